"""Changes and cancellations of orders we sent: 860 (X12) / ORDCHG (EDIFACT).

When the poll sees an order we sent change in Odoo (quantities, prices, dates, lines
added or deleted, the order cancelled) and the partner's profile says
``outbound.purchase_order.changes: send``:

* :func:`queue_change` compares the order as the supplier knows it (``OutboundOrder.
  document``) with Odoo's (:func:`gateway.outbound.changes.compare`), writes the change
  order with the partner's 860/ORDCHG map and our own validator, draws its control
  numbers and stores its bytes in an :class:`~gateway.store.models.OutboundChange` row -
  in the same transaction that moves the order's baseline on. A crash before the commit
  leaves nothing (the next poll finds the same change again); after it, the stored
  interchange is what is sent, however often: one change, one 860, one control number.
* :func:`send_change` is the ``send_change`` pipeline stage (attempt rows, backoff, dead
  letter like ``send_order``). A change waits while the order itself, or an earlier
  change of it, is not sent yet, so the supplier never gets an 860 before its 850.
* :func:`record_change_ack` marks a change accepted or rejected when the partner's
  997/999/CONTRL answers its group or interchange; a rejection is a business exception.

With ``changes: exception`` (the default) none of this runs: the poll raises the
exception that tells the buyer the supplier was not told.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.canonical import PurchaseOrder, Purpose
from gateway.engines import engine_for
from gateway.intake import PermanentSendError, TransientSendError
from gateway.outbound import OutboundInvalid, render, write
from gateway.outbound.changes import compare
from gateway.outbound.cycle import OrderCycle
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import PermanentError, TransientError
from gateway.pipeline.outbound_kinds import SENDER_KEYS, outbound_map_name
from gateway.pipeline.outbound_records import (
    codes_in_words,
    move_order,
    order_envelope,
    outbound_library,
    raise_order_exception,
    record_sent,
)
from gateway.pipeline.runtime import Runtime
from gateway.states import OUTBOUND_CHANGES
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import OutboundChange, OutboundOrder, utcnow


def _label(order: OutboundOrder) -> str:
    """What the changed document answers: our purchase order, or a customer's sale order
    (a replacing 855 / ORDRSP, :mod:`gateway.pipeline.reacknowledge`)."""
    return "sale order" if order.odoo_model == "sale.order" else "purchase order"


def _partner(order: OutboundOrder) -> str:
    return "customer" if order.odoo_model == "sale.order" else "supplier"


def _note(order: OutboundOrder, line: str) -> None:
    """Queue one chatter line for the purchase order in Odoo."""
    order.notes_pending = [*(order.notes_pending or []), f"EDI: {line}"]


def _event(session: Session, order: OutboundOrder, kind: str, detail: str, **data: Any) -> None:
    add_event(
        session,
        kind,
        f"{_label(order)} {order.business_key}: {detail}",
        partner_id=order.partner_id,
        correlation_id=order.correlation_id,
        data={"outbound_order_id": order.id, **data},
    )


def _stamp(order: OutboundOrder, step: str) -> None:
    timeline = dict(order.timeline or {})
    timeline[step] = utcnow().isoformat()
    order.timeline = timeline


def queue_change(
    runtime: Runtime,
    profile: PartnerProfile,
    order_id: int,
    current: PurchaseOrder | None,
    *,
    digest: str,
    write_date: str,
    cancelled: bool,
    problem: str | None = None,
) -> int | None:
    """Write and store the change order for what changed; its row id, or ``None``.

    ``current`` is the order read from Odoo now (``None`` when it could not be read:
    ``problem`` says why); ``digest`` its hash, stored so the same state is not looked at
    twice. ``None`` is returned when nothing the supplier knows changed, or when the
    change order cannot be written (then a business exception says why, and the order's
    baseline stays where it was, so the next change in Odoo retries all of it).
    """

    syntax, set_id, map_name = outbound_map_name(profile, change=True)
    try:
        map_ = outbound_library(runtime).get(map_name)
    except KeyError as exc:
        raise PermanentError(str(exc)) from exc
    with session_scope(runtime.sessions) as session:
        order = session.get(OutboundOrder, order_id, with_for_update=True)
        if order is None:
            return None
        order.odoo_write_date = write_date
        if digest == order.document_hash:
            return None  # looked at before (a poll repeated after a crash)
        order.document_hash = digest
        if current is None and not cancelled:
            raise_order_exception(
                session,
                order,
                "order_change_not_sendable",
                f"purchase order {order.business_key} was changed in Odoo after it was sent, "
                f"but the change cannot be sent to {profile.name}: {problem}. The supplier "
                "was NOT told; fix the order in Odoo.",
            )
            return None
        sent = PurchaseOrder.model_validate(order.document)
        change = compare(sent, current or sent, cancelled=cancelled)
        if change is None:
            return None  # Odoo touched the record (a receipt, a bill), not what we sent
        revision = 1 + (
            session.scalar(
                select(func.count())
                .select_from(OutboundChange)
                .where(OutboundChange.outbound_order_id == order.id)
            )
            or 0
        )
        # the change's own number (860 BCH05): a resend of it is the same change to the
        # supplier (as our own inbound 860s are keyed, gateway/canonical.py)
        document = change.document.model_copy(update={"change_sequence": str(revision)})
        env = order_envelope(runtime, session, profile, syntax)
        try:
            written = write(map_, render(map_, document), env)
        except OutboundInvalid as exc:
            raise_order_exception(
                session,
                order,
                "order_change_not_sendable",
                f"the {set_id} for purchase order {order.business_key} fails our own "
                f"validation: {exc}. The supplier was NOT told of: {'; '.join(change.summary)}",
            )
            return None
        controls = engine_for(syntax).stored_controls(env)
        row = OutboundChange(
            outbound_order_id=order.id,
            partner_id=order.partner_id,
            revision=revision,
            purpose=change.purpose.value,
            state=OrderCycle.QUEUED,
            syntax=syntax,
            set_id=set_id,
            map_name=map_name,
            interchange_control=controls.interchange,
            group_control=controls.group,
            transaction_control=controls.transaction,
            payload_sha256=runtime.payloads.put(session, written.data),
            document=document.model_dump(mode="json"),
            summary=list(change.summary),
            attempts=0,
        )
        session.add(row)
        order.document = change.known.model_dump(mode="json")
        what = "cancellation" if change.purpose is Purpose.CANCEL else f"change {revision}"
        _stamp(order, "cancel_queued" if change.purpose is Purpose.CANCEL else "changed")
        _event(
            session,
            order,
            "order_change_queued",
            f"{what} written as {set_id} {row.interchange_control}: {'; '.join(change.summary)}",
            revision=revision,
        )
        session.flush()
        return row.id


def send_change(runtime: Runtime, change_id: int) -> list[Next]:
    """Pipeline stage: hand a queued change order's stored bytes to the partner."""

    with session_scope(runtime.sessions) as session:
        change = session.get(OutboundChange, change_id)
        if change is None or change.state != OrderCycle.QUEUED or change.payload_sha256 is None:
            return []
        order = session.get(OutboundOrder, change.outbound_order_id)
        if order is None:
            return []
        if order.sent_at is None:
            if order.state == OrderCycle.FAILED:
                raise PermanentError(
                    f"{_label(order)} {order.business_key} itself was never sent; "
                    f"its {change.set_id} is not sent either"
                )
            raise TransientError(f"{_label(order)} {order.business_key} is not sent yet")
        earlier = session.scalar(
            select(OutboundChange.revision).where(
                OutboundChange.outbound_order_id == order.id,
                OutboundChange.revision < change.revision,
                OutboundChange.state == OrderCycle.QUEUED,
            )
        )
        if earlier is not None:
            raise TransientError(
                f"change {earlier} of {_label(order)} {order.business_key} is not sent yet"
            )
        sender = runtime.senders.get(SENDER_KEYS.get(order.transport, order.transport))
        if sender is None:
            raise PermanentError(f"no {order.transport} sender configured in this process")
        data = runtime.payloads.get(session, change.payload_sha256)
        change.attempts += 1
        partner_id, transport, key = order.partner_id, order.transport, order.business_key
        label = f"{_label(order)} {key}"
        number, set_id = change.interchange_control, change.set_id
        suffix = engine_for(change.syntax).file_suffix
        filename = f"{set_id}_{key}_{number}.{suffix}"
        filename = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in filename)
    try:
        ref = sender.send(partner_id, filename, data, kind=set_id)
    except TransientSendError as exc:
        with session_scope(runtime.sessions) as session:
            row = session.get(OutboundChange, change_id)
            if row is not None:
                row.error = str(exc)
        raise TransientError(f"sending the {set_id} for {label}: {exc}") from exc
    except PermanentSendError as exc:
        raise PermanentError(f"sending the {set_id} for {label}: {exc}") from exc
    with session_scope(runtime.sessions) as session:
        change = session.get(OutboundChange, change_id)
        order = session.get(OutboundOrder, change.outbound_order_id) if change else None
        if change is None or order is None:
            return []
        record_sent(
            session, change, order, transport=transport, filename=filename, size=len(data), ref=ref
        )
        _set(change, OrderCycle.SENT)
        detail = f"{set_id} {number} over {transport}"
        if change.purpose == Purpose.CANCEL:
            move_order(session, order, OrderCycle.CANCELLED, f"cancellation sent as {detail}")
        else:
            summary = "; ".join(change.summary or [])
            _note(order, f"change {change.revision} sent as {detail}: {summary}")
            _stamp(order, "change_sent")
            _event(
                session, order, "order_change_sent", f"change {change.revision} sent as {detail}"
            )
    return []


def _set(change: OutboundChange, state: OrderCycle) -> None:
    """Move a change along its table (gateway/states.py); staying put is no move."""
    if change.state is not state:
        OUTBOUND_CHANGES.move(change, state)


def fail_change(runtime: Runtime, change_id: int, error: str) -> None:
    """Dead letter: the change could not be sent; the buyer must know the supplier was not told."""

    with session_scope(runtime.sessions) as session:
        change = session.get(OutboundChange, change_id)
        order = session.get(OutboundOrder, change.outbound_order_id) if change else None
        if change is None or order is None:
            return
        mark_change_failed(session, change, order, f"could not be sent: {error}")


def mark_change_failed(
    session: Session, change: OutboundChange, order: OutboundOrder, why: str
) -> None:
    """Fail a change with the ``order_change_not_sent`` exception naming ``why`` (it
    could not be sent; the partner's MDN refused it) and what the partner was not told."""
    _set(change, OrderCycle.FAILED)
    change.error = why
    what = "cancellation" if change.purpose == Purpose.CANCEL else f"change {change.revision}"
    raise_order_exception(
        session,
        order,
        "order_change_not_sent",
        f"the {what} of {_label(order)} {order.business_key} ({change.set_id} "
        f"{change.interchange_control}) {why}. The {_partner(order)} "
        f"was NOT told of: {'; '.join(change.summary or [])}",
    )


def record_change_ack(
    session: Session,
    partner_id: str | None,
    kind: str,
    interchange_control: str | None,
    group_control: str | None,
    status: str,
    codes: Sequence[str] = (),
) -> list[int]:
    """A 997/999/CONTRL answering one of our change orders; the orders' ids it touched."""

    if not partner_id:
        return []
    query = select(OutboundChange).where(OutboundChange.partner_id == partner_id)
    if kind in ("997", "999") and group_control:
        query = query.where(OutboundChange.group_control == str(int(group_control)))
    elif interchange_control:
        number = (
            str(int(interchange_control)) if interchange_control.isdigit() else interchange_control
        )
        query = query.where(OutboundChange.interchange_control == number)
    else:
        return []
    touched: list[int] = []
    for change in session.scalars(query):
        order = session.get(OutboundOrder, change.outbound_order_id)
        if order is None:
            continue
        what = "cancellation" if change.purpose == Purpose.CANCEL else f"change {change.revision}"
        if status == "rejected":
            _set(change, OrderCycle.REJECTED)
            words = codes_in_words(kind, codes) or "no reason given"
            _note(order, f"{kind} rejected the {what} ({', '.join(codes) or 'no code'})")
            raise_order_exception(
                session,
                order,
                "order_change_rejected",
                f"{kind} from the {_partner(order)} rejected the {what} of {_label(order)} "
                f"{order.business_key}: {words}. The {_partner(order)} did not take: "
                f"{'; '.join(change.summary or [])}",
                detail={"codes": list(codes), "status": status, "revision": change.revision},
            )
        else:
            _set(change, OrderCycle.ACCEPTED)
            _note(order, f"{kind} {status.replace('_', ' ')} the {what}")
            _event(session, order, "order_change_accepted", f"{kind} accepted the {what}")
        touched.append(order.id)
    return touched


def changes_of(session: Session, order_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Each order's changes as plain rows (for ``outbound list --json`` and the console)."""
    found: dict[int, list[dict[str, Any]]] = {}
    if not order_ids:
        return found
    rows = session.scalars(
        select(OutboundChange)
        .where(OutboundChange.outbound_order_id.in_(list(order_ids)))
        .order_by(OutboundChange.outbound_order_id, OutboundChange.revision)
    )
    for c in rows:
        found.setdefault(c.outbound_order_id, []).append(
            {
                "revision": c.revision,
                "purpose": c.purpose,
                "state": c.state,
                "set": c.set_id,
                "interchange_control": c.interchange_control,
                "group_control": c.group_control,
                "summary": list(c.summary or []),
                "sent_at": c.sent_at.isoformat() if c.sent_at else None,
                "error": c.error,
            }
        )
    return found


def stalled_changes(session: Session, cutoff: Any) -> list[Next]:
    """Queued change orders nobody sent (a lost task, a crash): send them again."""
    ids = session.scalars(
        select(OutboundChange.id).where(
            OutboundChange.state == OrderCycle.QUEUED,
            OutboundChange.payload_sha256.is_not(None),
            OutboundChange.updated_at < cutoff,
        )
    ).all()
    return [Next("send_change", (change_id,)) for change_id in ids]

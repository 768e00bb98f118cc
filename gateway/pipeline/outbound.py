"""Orders we send: poll Odoo, write and queue, send, and follow each order's cycle.

* :func:`poll` finds confirmed ``purchase.order`` records of vendors whose profile has an
  ``outbound.purchase_order`` section, newer than the partner's ``write_date`` cursor,
  and queues each new one (:func:`queue_order`). An order changed or cancelled in Odoo
  after it was sent goes out as an 860/ORDCHG when the profile says ``changes: send``
  (:mod:`gateway.pipeline.outbound_changes`), and otherwise raises the exception that
  tells the buyer the supplier was not told.
* :func:`queue_order` reads the order (:mod:`gateway.outbound.from_odoo`), writes it with
  the partner's outbound map and our own validator, fixes its control numbers and stores
  the bytes before anything leaves: a resend after a crash is the same interchange under
  the same control number. A document that cannot be written is a business exception
  naming the field, and is retried when the order changes in Odoo.
* :func:`send_order` is the ``send_order`` pipeline stage run by the runner (attempt
  rows, backoff, dead letter).
* :func:`record_functional_ack` and :func:`record_business_document` move an order along
  its cycle when the partner's 997/999/CONTRL, 855/ORDRSP, 856/DESADV and 810/INVOIC
  arrive (called from the pipeline where those are recorded); :func:`check_overdue`
  raises one overdue exception per order and awaited answer; :func:`flush_notes` posts
  the cycle's chatter lines on the purchase order in Odoo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.canonical import PurchaseOrder
from gateway.engines import engine_for
from gateway.intake import PermanentSendError, TransientSendError
from gateway.outbound import OutboundInvalid, render, write
from gateway.outbound.cycle import OrderCycle, is_open
from gateway.outbound.from_odoo import OdooOrderReader, OrderNotSendable
from gateway.outbound.from_odoo_sale import (
    NotFromEdi,
)
from gateway.outbound.overdue import OrderProgress, overdue
from gateway.outbound.template import OutboundLibrary
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import PermanentError, TransientError
from gateway.pipeline.outbound_changes import (
    changes_of,
    queue_change,
    record_change_ack,
    stalled_changes,
)
from gateway.pipeline.outbound_kinds import (
    CANCELLED,
    CONFIRMED,
    KINDS,
    ORDER_ACKNOWLEDGEMENTS,
    ORDER_MODEL,
    PURCHASE_ORDERS,
    SENDER_KEYS,
    DocumentReader,
    OutboundKind,
    kind_of,
    outbound_map_name,
)
from gateway.pipeline.outbound_records import (
    codes_in_words,
    move_order,
    new_outbound_row,
    order_envelope,
    outbound_library,
    raise_order_exception,
    record_sent,
    route_order_exceptions,
    store_written,
    write_date_settled,
)
from gateway.pipeline.reacknowledge import reacknowledge
from gateway.pipeline.runtime import Runtime
from gateway.queries import contains
from gateway.states import OUTBOUND_ORDERS
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import (
    BusinessException,
    OutboundCursor,
    OutboundOrder,
    utcnow,
)

log = logging.getLogger(__name__)
POLL_BATCH = 200
CURSOR_OVERLAP = dt.timedelta(minutes=10)
DOCUMENT_STEPS = {
    "order_acknowledgement": OrderCycle.ACKNOWLEDGED,
    "ship_notice": OrderCycle.SHIPPED,
    "invoice": OrderCycle.INVOICED,
}


@dataclass
class PollResult:
    """What one poll did, per partner."""

    queued: list[str] = field(default_factory=list)  # PO numbers
    changed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # partners that could not be polled
    follow: list[Next] = field(default_factory=list)


def outbound_partners(
    runtime: Runtime, kind: OutboundKind = PURCHASE_ORDERS
) -> list[PartnerProfile]:
    """Profiles with an ``outbound`` section for ``kind`` and an Odoo partner."""
    return [
        p
        for p in runtime.registry.all()
        if p.enabled and kind.settings(p) is not None and p.odoo is not None
    ]


def _partner_ids(
    runtime: Runtime, profile: PartnerProfile, kind: OutboundKind = PURCHASE_ORDERS
) -> list[int]:
    partner_id, ref = kind.odoo_partner(profile)
    if partner_id is not None:
        return [partner_id]
    rows = runtime.odoo.search_read("res.partner", [["ref", "=", ref]], ["id"])
    return [int(r["id"]) for r in rows]


def _vendor_ids(runtime: Runtime, profile: PartnerProfile) -> list[int]:
    return _partner_ids(runtime, profile, PURCHASE_ORDERS)


def poll(runtime: Runtime, *, partner_id: str | None = None) -> PollResult:
    """Queue every confirmed order not sent yet; returns what was done.

    Cheap with many orders: each partner's search starts at its stored ``write_date``.
    """
    result = PollResult()
    for kind in KINDS:
        for profile in outbound_partners(runtime, kind):
            if partner_id is not None and profile.id != partner_id:
                continue
            try:
                _poll_partner(runtime, profile, result, kind)
            except Exception as exc:  # one partner's trouble (Odoo down, a broken map) only
                log.warning("outbound poll of %s failed: %s", profile.id, exc)
                result.errors.append(f"{profile.id}: {type(exc).__name__}: {exc}")
    if result.follow:
        runtime.dispatcher.dispatch(result.follow)
    return result


def _poll_partner(
    runtime: Runtime,
    profile: PartnerProfile,
    result: PollResult,
    kind: OutboundKind = PURCHASE_ORDERS,
) -> None:
    partners = _partner_ids(runtime, profile, kind)
    model = kind.odoo_model
    if not partners:
        ref = kind.odoo_partner(profile)[1]
        result.errors.append(f"{profile.id}: no Odoo partner with ref {ref!r}")
        return
    with session_scope(runtime.sessions) as session:
        cursor = session.get(OutboundCursor, (profile.id, model))
        since = cursor.write_date if cursor else ""
    domain: list[Any] = [
        ["state", "in", list(kind.states)],
        ["partner_id", kind.partner_operator, partners],
        *(list(term) for term in kind.domain),
    ]
    if since:
        # Odoo stamps write_date with its transaction's start, so an order committed just
        # after a poll can carry an older write_date than the newest one seen: read a
        # window before the cursor again (known orders are skipped with one lookup each)
        domain.append(["write_date", ">=", _minus(since, CURSOR_OVERLAP)])
    newest, offset = since, 0
    # one reader and map library per poll: company, warehouse and maps are read once
    reader, library = kind.make_reader(runtime, profile), outbound_library(runtime)
    while True:
        rows = runtime.odoo.search_read(
            model,
            domain,
            ["name", "write_date", "state"],
            limit=POLL_BATCH,
            order="write_date asc, id asc",
            offset=offset,
        )
        for row in rows:
            _consider(runtime, profile, row, result, (reader, library), kind)
        newest = max([newest, *(str(r["write_date"]) for r in rows)])
        if len(rows) < POLL_BATCH:
            break
        offset += len(rows)
    with session_scope(runtime.sessions) as session:
        cursor = session.get(OutboundCursor, (profile.id, model))
        if cursor is None:
            session.add(OutboundCursor(partner_id=profile.id, odoo_model=model, write_date=newest))
        elif newest > cursor.write_date:
            cursor.write_date = newest


def _minus(write_date: str, delta: dt.timedelta) -> str:
    """An Odoo ``write_date`` text (``2026-12-04 10:00:00``) moved back by ``delta``."""
    try:
        moment = dt.datetime.fromisoformat(write_date[:19])
    except ValueError:
        return write_date
    return (moment - delta).strftime("%Y-%m-%d %H:%M:%S")


def _consider(
    runtime: Runtime,
    profile: PartnerProfile,
    row: dict[str, Any],
    out: PollResult,
    context: tuple[DocumentReader, OutboundLibrary] | None = None,
    kind: OutboundKind = PURCHASE_ORDERS,
) -> None:
    """A confirmed order the poll saw: new, unchanged, changed, or waiting for a fix."""
    with session_scope(runtime.sessions) as session:
        existing = session.scalars(
            select(OutboundOrder).where(
                OutboundOrder.partner_id == profile.id,
                OutboundOrder.odoo_model == kind.odoo_model,
                OutboundOrder.odoo_id == int(row["id"]),
            )
        ).first()
        if (
            existing is not None
            and existing.odoo_write_date == str(row["write_date"])
            # a purchase order or acknowledgement sent: a stamp young enough to be shared
            # by a later write within the same second is compared by content instead (an
            # acknowledgement by the sale order as the sales desk keeps it: reacknowledge)
            and (
                kind not in (PURCHASE_ORDERS, ORDER_ACKNOWLEDGEMENTS)
                or existing.payload_sha256 is None
                or write_date_settled(str(row["write_date"]))
            )
        ):
            return
        state = OrderCycle(existing.state) if existing is not None else None
    never_sent = existing is None or (
        state is OrderCycle.FAILED and existing.payload_sha256 is None
    )
    if never_sent and row.get("state") == CANCELLED:
        return  # cancelled before anything went out: nothing to tell anyone
    if never_sent or existing is None:
        reader, library = context if context else (None, None)
        order = queue_order(
            runtime, profile, int(row["id"]), reader=reader, library=library, kind=kind
        )
        if order is not None and order.state == OrderCycle.QUEUED:
            out.queued.append(order.business_key)
            out.follow.append(Next("send_order", (order.id,)))
        elif order is not None:
            out.failed.append(order.business_key)
        return
    if kind is ORDER_ACKNOWLEDGEMENTS:
        # the sale order changed after its acknowledgement went out: acknowledge it again
        # when what the customer is told moved
        again = reacknowledge(runtime, profile, existing.id, row, context)
        out.changed += again.changed
        out.follow += again.follow
        return
    if kind is not PURCHASE_ORDERS:
        # a ship notice or invoice is sent once; a later change of its Odoo record is not
        # sent again: remember having seen it
        with session_scope(runtime.sessions) as session:
            seen = session.get(OutboundOrder, existing.id)
            if seen is not None:
                seen.odoo_write_date = str(row["write_date"])
        return
    _changed_after_sending(runtime, profile, existing.id, row, out)


def _document_hash(document: BaseModel) -> str:
    data = document.model_dump(mode="json", exclude={"source"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _changed_after_sending(
    runtime: Runtime, profile: PartnerProfile, order_id: int, row: dict[str, Any], out: PollResult
) -> None:
    cancelled = row.get("state") == CANCELLED
    document: PurchaseOrder | None = None
    problem: str | None = None
    try:
        document, _ = OdooOrderReader(runtime.odoo, profile).read(int(row["id"]))
        digest = _document_hash(document)
    except OrderNotSendable as exc:
        digest, problem = "unreadable", str(exc)
    if cancelled:  # Odoo's cancel leaves the lines as they were: the state is the change
        digest = f"cancelled:{digest}"[:64]
    policy = profile.outbound.purchase_order.changes  # type: ignore[union-attr]
    if policy == "send":
        change_id = queue_change(
            runtime,
            profile,
            order_id,
            document,
            digest=digest,
            write_date=str(row["write_date"]),
            cancelled=cancelled,
            problem=problem,
        )
        if change_id is not None:
            out.changed.append(str(row.get("name") or order_id))
            out.follow.append(Next("send_change", (change_id,)))
        return
    with session_scope(runtime.sessions) as session:
        order = session.get(OutboundOrder, order_id)
        if order is None:
            return
        order.odoo_write_date = str(row["write_date"])
        if digest == order.document_hash:
            return  # Odoo touched the record (a receipt, a bill) but not what we sent
        out.changed.append(order.business_key)
        why = "the profile does not send changes (outbound.purchase_order.changes)"
        what = "cancelled" if cancelled else "changed"
        changed = raise_order_exception(
            session,
            order,
            "order_changed_not_sent",
            f"purchase order {order.business_key} was {what} in Odoo after it was sent to "
            f"{profile.name}; the supplier was NOT told ({why}). Tell them, or cancel and "
            "reorder.",
        )
        order.document_hash = digest
        # dispatched by poll() once this session has committed
        out.follow += route_order_exceptions(runtime, session, order, [changed])


def queue_order(
    runtime: Runtime,
    profile: PartnerProfile,
    odoo_id: int,
    *,
    reader: DocumentReader | None = None,
    library: OutboundLibrary | None = None,
    kind: OutboundKind = PURCHASE_ORDERS,
) -> OutboundOrder | None:
    """Read, write, validate and store one document of ``kind`` made from Odoo record
    ``odoo_id``; ``None`` if it was queued before (or nothing is owed for the record)."""
    syntax, set_id, map_name = outbound_map_name(profile, kind=kind)
    problem: str | None = None
    document: Any = None
    raw: dict[str, Any] = {}
    try:
        document, raw = (reader or kind.make_reader(runtime, profile)).read(odoo_id)
        map_ = (library or outbound_library(runtime)).get(map_name)
    except NotFromEdi:
        return None
    except OrderNotSendable as exc:
        problem = str(exc)
    except KeyError as exc:
        raise PermanentError(str(exc)) from exc
    with session_scope(runtime.sessions) as session:
        order = session.scalars(
            select(OutboundOrder).where(
                OutboundOrder.partner_id == profile.id,
                OutboundOrder.odoo_model == kind.odoo_model,
                OutboundOrder.odoo_id == odoo_id,
            )
        ).first()
        if order is not None and order.payload_sha256 is not None:
            return None
        if order is None:
            order = new_outbound_row(
                profile,
                kind,
                odoo_id=odoo_id,
                business_key=kind.business_key(document) if document else str(odoo_id),
                syntax=syntax,
                set_id=set_id,
                map_name=map_name,
            )
            session.add(order)
            session.flush()
        order.odoo_write_date = str(raw.get("write_date") or order.odoo_write_date or "")
        if document is not None and problem is None:
            env = order_envelope(runtime, session, profile, syntax, kind)
            try:
                written = write(map_, render(map_, document), env)
            except OutboundInvalid as exc:
                problem = (
                    f"{set_id} for {kind.label} {kind.business_key(document)} fails our own "
                    f"validation: {exc}"
                )
            else:
                order.business_key = kind.business_key(document)
                order.document = document.model_dump(mode="json")
                order.document_hash = _document_hash(document)
                order.requested_date = getattr(document, "requested_delivery_date", None)
                store_written(runtime, session, order, written, env)
                return _detached(session, order)
        if order.state is not OrderCycle.FAILED:
            OUTBOUND_ORDERS.move(order, OrderCycle.FAILED)
        order.error = problem
        unsendable = raise_order_exception(
            session, order, "order_not_sendable", problem or "cannot be written"
        )
        follow = route_order_exceptions(runtime, session, order, [unsendable])
        failed = _detached(session, order)
    runtime.dispatcher.dispatch(follow)
    return failed


def _detached(session: Session, order: OutboundOrder) -> OutboundOrder:
    session.flush()
    session.refresh(order)
    session.expunge(order)
    return order


def send_order(runtime: Runtime, order_id: int) -> list[Next]:
    """Pipeline stage: hand a queued order's stored bytes to the partner's transport."""
    with session_scope(runtime.sessions) as session:
        order = session.get(OutboundOrder, order_id)
        if order is None or order.state != OrderCycle.QUEUED or order.payload_sha256 is None:
            return []
        sender = runtime.senders.get(SENDER_KEYS.get(order.transport, order.transport))
        if sender is None:
            raise PermanentError(f"no {order.transport} sender configured in this process")
        data = runtime.payloads.get(session, order.payload_sha256)
        order.attempts += 1
        partner_id, number, transport = order.partner_id, order.interchange_control, order.transport
        suffix = engine_for(order.syntax).file_suffix
        filename = f"{order.set_id}_{order.business_key}_{number}.{suffix}"
        filename = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in filename)
    try:
        ref = sender.send(partner_id, filename, data, kind=order.set_id)
    except TransientSendError as exc:
        _note_attempt(runtime, order_id, str(exc))
        raise TransientError(f"sending purchase order {order.business_key}: {exc}") from exc
    except PermanentSendError as exc:
        raise PermanentError(f"sending purchase order {order.business_key}: {exc}") from exc
    with session_scope(runtime.sessions) as session:
        order = session.get(OutboundOrder, order_id)
        if order is None:
            return []
        record_sent(
            session, order, order, transport=transport, filename=filename, size=len(data), ref=ref
        )
        move_order(
            session, order, OrderCycle.SENT, f"sent as {order.set_id} {number} over {transport}"
        )
    return []


def _note_attempt(runtime: Runtime, order_id: int, error: str) -> None:
    with session_scope(runtime.sessions) as session:
        order = session.get(OutboundOrder, order_id)
        if order is not None:
            order.error = error
            add_event(
                session,
                "order_retry",
                f"purchase order {order.business_key}: {error}",
                partner_id=order.partner_id,
                correlation_id=order.correlation_id,
            )


def fail_order(runtime: Runtime, order_id: int, error: str) -> None:
    """Dead letter: the order could not be sent; an operator resends it."""
    with session_scope(runtime.sessions) as session:
        order = session.get(OutboundOrder, order_id)
        if order is None:
            return
        order.error = error
        move_order(session, order, OrderCycle.FAILED, f"not sent: {error}")


# ---- answers from the partner ----------------------------------------------------------
def _orders_for(session: Session, partner_id: str | None, **where: str) -> list[OutboundOrder]:
    if not partner_id:
        return []
    query = select(OutboundOrder).where(OutboundOrder.partner_id == partner_id)
    for column, value in where.items():
        query = query.where(getattr(OutboundOrder, column) == value)
    return list(session.scalars(query))


def record_functional_ack(
    session: Session,
    partner_id: str | None,
    kind: str,
    interchange_control: str | None,
    group_control: str | None,
    status: str,
    codes: Sequence[str] = (),
) -> list[int]:
    """A 997/999/TA1/CONTRL from the partner: accept or reject the orders it answers."""
    if kind in ("997", "999") and group_control:
        orders = _orders_for(session, partner_id, group_control=str(int(group_control)))
    elif interchange_control:
        number = (
            str(int(interchange_control)) if interchange_control.isdigit() else interchange_control
        )
        orders = _orders_for(session, partner_id, interchange_control=number)
    else:
        orders = []
    for order in orders:
        if status == "rejected":
            move_order(
                session,
                order,
                OrderCycle.REJECTED,
                f"{kind} rejected it ({', '.join(codes) or 'no code'})",
            )
            sent = kind_of(order.document_type)  # a purchase order, 855, 856, 810, 846, 832
            raise_order_exception(
                session,
                order,
                "order_rejected",
                f"{kind} from the {sent.role} rejected {sent.label} {order.business_key} "
                f"({order.set_id}): " + (codes_in_words(kind, codes) or "no reason given"),
                detail={"codes": list(codes), "status": status},
            )
        else:
            move_order(session, order, OrderCycle.ACCEPTED, f"{kind} {status.replace('_', ' ')}")
    changed = record_change_ack(
        session, partner_id, kind, interchange_control, group_control, status, codes
    )
    return list(dict.fromkeys([*(o.id for o in orders), *changed]))


def record_business_document(session: Session, partner_id: str | None, document: Any) -> list[int]:
    """An 855/856/810 (or EDIFACT twin) from the partner: move the orders it answers."""
    step = DOCUMENT_STEPS.get(getattr(document, "document_type", ""))
    if step is None or getattr(document, "credit_note", False) is True:
        return []  # a credit note takes back part of a bill: the order is invoiced already
    numbers: list[str] = []
    if getattr(document, "po_number", None):
        numbers.append(str(document.po_number))
    for item in getattr(document, "orders", None) or []:
        if getattr(item, "po_number", None):
            numbers.append(str(item.po_number))
    moved: list[int] = []
    if not numbers or not partner_id:
        return moved
    place = {number: n for n, number in enumerate(dict.fromkeys(numbers))}
    # the orders of every number in one query (issue 21), moved number by number
    found = session.scalars(_ANSWERED, {"partner_id": partner_id, "numbers": list(place)})
    for order in sorted(found, key=lambda o: place[o.business_key]):
        label = {OrderCycle.ACKNOWLEDGED: "acknowledged", OrderCycle.SHIPPED: "shipped",
                 OrderCycle.INVOICED: "invoiced"}[step]  # fmt: skip
        move_order(session, order, step, f"supplier {label} it")
        moved.append(order.id)
    return moved


# built once: the purchase orders an 855/856/810 answers, by number
_ANSWERED = (
    select(OutboundOrder)
    .where(
        OutboundOrder.partner_id == bindparam("partner_id"),
        OutboundOrder.document_type == "purchase_order",
        OutboundOrder.business_key.in_(bindparam("numbers", expanding=True)),
    )
    .order_by(OutboundOrder.id)
)


# ---- scheduled checks --------------------------------------------------------------------
def _at(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def check_overdue(runtime: Runtime, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """Raise an overdue exception once per open order and awaited answer."""
    now = now or utcnow()
    raised: list[tuple[str, str]] = []
    follow: list[Next] = []
    with session_scope(runtime.sessions) as session:
        waiting = [state for state in OrderCycle if is_open(state)]
        rows = session.scalars(
            select(OutboundOrder).where(
                OutboundOrder.sent_at.is_not(None),
                OutboundOrder.state.in_(waiting),
                OutboundOrder.document_type == PURCHASE_ORDERS.document_type,
            )
        ).all()
        for order in rows:
            state = OrderCycle(order.state)
            profile = runtime.registry.get(order.partner_id)
            if profile is None or not is_open(state) or order.sent_at is None:
                continue
            t = order.timeline or {}
            sent_at = (
                order.sent_at if order.sent_at.tzinfo else order.sent_at.replace(tzinfo=dt.UTC)
            )
            progress = OrderProgress(
                sent_at=sent_at,
                functional_ack_at=_at(t.get("accepted")),
                order_ack_at=_at(t.get("acknowledged")),
                ship_notice_at=_at(t.get("shipped")),
                invoice_at=_at(t.get("invoiced")),
                requested_date=order.requested_date,
            )
            done = set(order.overdue_raised or [])
            new: list[BusinessException] = []
            for item in overdue(progress, profile.expect, now):
                if item.awaited.value in done:
                    continue
                new.append(
                    raise_order_exception(
                        session,
                        order,
                        f"overdue_{item.awaited.value}",
                        f"purchase order {order.business_key} to {profile.name}: "
                        f"{item.describe(now)}",
                        detail={"awaited": item.awaited.value, "due_at": item.due_at.isoformat()},
                    )
                )
                done.add(item.awaited.value)
                raised.append((order.business_key, item.awaited.value))
            order.overdue_raised = sorted(done)
            follow += route_order_exceptions(runtime, session, order, new)
    if follow:
        runtime.dispatcher.dispatch(follow)
    return raised


def flush_notes(runtime: Runtime) -> int:
    """Post the queued chatter lines on the purchase orders in Odoo; returns how many."""
    posted = 0
    with session_scope(runtime.sessions) as session:
        rows = session.execute(
            select(
                OutboundOrder.id,
                OutboundOrder.odoo_model,
                OutboundOrder.odoo_id,
                OutboundOrder.notes_pending,
            )
        ).all()
        pending = [(oid, m, odoo_id, list(notes)) for oid, m, odoo_id, notes in rows if notes]
    for order_id, model, odoo_id, lines in pending:
        body = "".join(f"<p>{_html(line)}</p>" for line in lines)
        try:  # as HTML: Odoo 17+ escapes a plain body, and the <p> tags showed as text
            runtime.odoo.message_post(model or ORDER_MODEL, odoo_id, body, html=True)
        except Exception as exc:  # Odoo down: the lines stay queued for the next poll
            log.warning("chatter note on %s %s not posted: %s", model, odoo_id, exc)
            continue
        with session_scope(runtime.sessions) as session:
            order = session.get(OutboundOrder, order_id)
            if order is not None:
                order.notes_pending = list(order.notes_pending or [])[len(lines) :]
        posted += len(lines)
    return posted


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def list_orders(
    session: Session,
    *,
    partner_id: str | None = None,
    state: str | None = None,
    search: str | None = None,
    limit: int = 200,
    document_type: str | None = None,
) -> list[dict[str, Any]]:
    """Outbound documents (orders, acknowledgements, ship notices, invoices), newest first,
    as plain rows (CLI ``--json`` and the console)."""
    query = select(OutboundOrder).order_by(OutboundOrder.id.desc()).limit(limit)
    if partner_id:
        query = query.where(OutboundOrder.partner_id == partner_id)
    if document_type:
        query = query.where(OutboundOrder.document_type == document_type)
    if state:
        query = query.where(OutboundOrder.state == state)
    if search:
        query = query.where(OutboundOrder.business_key.ilike(contains(search), escape="\\"))
    now = utcnow()
    out = []
    rows = list(session.scalars(query))
    changes = changes_of(session, [o.id for o in rows])
    for o in rows:
        created = o.created_at if o.created_at.tzinfo else o.created_at.replace(tzinfo=dt.UTC)
        out.append(
            {
                "id": o.id,
                "partner_id": o.partner_id,
                "po_number": o.business_key,
                "document_type": o.document_type,
                "odoo_id": o.odoo_id,
                "state": o.state,
                "syntax": o.syntax,
                "set": o.set_id,
                "transport": o.transport,
                "interchange_control": o.interchange_control,
                "group_control": o.group_control,
                "timeline": dict(o.timeline or {}),
                "overdue": list(o.overdue_raised or []),
                "error": o.error,
                "age_hours": round((now - created).total_seconds() / 3600, 1),
                "correlation_id": o.correlation_id,
                "changes": changes.get(o.id, []),
            }
        )
    return out


def resend_stalled(runtime: Runtime, *, older_than: dt.timedelta | None = None) -> list[Next]:
    """Queued orders nobody sent (a lost task, a crash): send them again.

    The stored bytes and control numbers are the ones written first, so a send that did
    happen before the crash reaches the partner again as the same interchange.
    """
    if older_than is None:  # (a zero timedelta is a valid argument: everything)
        older_than = dt.timedelta(seconds=runtime.settings.stalled_after_seconds)
    cutoff = utcnow() - older_than
    with session_scope(runtime.sessions) as session:
        changes = stalled_changes(session, cutoff)
        ids = session.scalars(
            select(OutboundOrder.id).where(
                OutboundOrder.state == OrderCycle.QUEUED,
                OutboundOrder.payload_sha256.is_not(None),
                OutboundOrder.updated_at < cutoff,
            )
        ).all()
    return [*(Next("send_order", (order_id,)) for order_id in ids), *changes]


def run_scheduled(runtime: Runtime, now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduler's outbound round: poll, resend stalled, overdue check, chatter.

    A partner whose poll failed is counted in ``errors`` (and logged); the others go on.
    """
    result = poll(runtime)
    stalled = resend_stalled(runtime)
    if stalled:
        runtime.dispatcher.dispatch(stalled)
    raised = check_overdue(runtime, now)
    notes = flush_notes(runtime)
    return {
        "queued": len(result.queued),
        "changed": len(result.changed),
        "failed": len(result.failed),
        "resent": len(stalled),
        "overdue": len(raised),
        "notes": notes,
        "errors": len(result.errors),
    }


def send_now(runtime: Runtime, po_name: str) -> OutboundOrder:
    """``outbound send PO_NAME``: queue and send one confirmed order now."""
    for profile in outbound_partners(runtime):
        vendors = _vendor_ids(runtime, profile)
        rows = runtime.odoo.search_read(
            ORDER_MODEL,
            [["name", "=", po_name], ["partner_id", "in", vendors]],
            ["state", "write_date"],
        )
        if not rows:
            continue
        if rows[0]["state"] not in CONFIRMED:
            raise PermanentError(f"purchase order {po_name} is {rows[0]['state']!r}, not confirmed")
        order = queue_order(runtime, profile, int(rows[0]["id"]))
        if order is None:  # written before: resend a dead-lettered one as it was written
            with session_scope(runtime.sessions) as session:
                found = session.scalars(
                    select(OutboundOrder).where(
                        OutboundOrder.partner_id == profile.id,
                        OutboundOrder.odoo_id == int(rows[0]["id"]),
                    )
                ).one()
                resend = found.state == OrderCycle.FAILED
                if resend:
                    move_order(session, found, OrderCycle.QUEUED, "resend asked by an operator")
                session.flush()
                session.expunge(found)
            if resend:
                runtime.dispatcher.dispatch([Next("send_order", (found.id,))])
            return found
        if order.state == OrderCycle.QUEUED:
            runtime.dispatcher.dispatch([Next("send_order", (order.id,))])
        return order
    raise PermanentError(
        f"no confirmed purchase order {po_name!r} for a vendor with an outbound profile"
    )

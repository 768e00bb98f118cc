"""The rows and envelopes of a document we send, shared by orders and their changes.

:func:`order_envelope` draws the control numbers of an outbound interchange from the
partner's counters (:func:`envelope_for`: our identity to theirs);
:func:`new_outbound_row` makes the stored row of a document we are about to write and
:func:`store_written` keeps its bytes and control numbers and queues it;
:func:`record_sent` writes the outbound message for a document the transport took;
:func:`move_order` advances an order's cycle with its timeline, chatter line and audit
event; :func:`raise_order_exception` raises a business exception about an order we sent;
:func:`write_date_settled` says whether an Odoo ``write_date`` can still be shared by a
later write.
:mod:`gateway.pipeline.outbound` (orders) and :mod:`gateway.pipeline.outbound_changes`
(860 / ORDCHG) both use them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from gateway.engines import engine_for
from gateway.identity import OurIdentity
from gateway.outbound import OutboundEnvelope, Written
from gateway.outbound.ack_codes import describe
from gateway.outbound.cycle import OrderCycle, advance
from gateway.outbound.template import OutboundLibrary
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import PermanentError
from gateway.pipeline.outbound_kinds import PURCHASE_ORDERS, OutboundKind, kind_of
from gateway.pipeline.routing import route_new_exceptions
from gateway.pipeline.runtime import Runtime
from gateway.states import OUTBOUND_ORDERS, MessageState
from gateway.store.audit import add_event, next_counter
from gateway.store.models import (
    BusinessException,
    Message,
    OutboundChange,
    OutboundOrder,
    utcnow,
)


def raise_order_exception(
    session: Session,
    order: OutboundOrder,
    kind: str,
    message: str,
    *,
    detail: dict[str, Any] | None = None,
) -> BusinessException:
    """A business exception about an order we sent, naming its Odoo record (so the Odoo
    activity of the routing lands on the purchase order)."""
    records = (
        [{"model": order.odoo_model, "id": order.odoo_id}]
        if kind_of(order.document_type).chatter
        else []
    )
    row = BusinessException(
        outbound_order_id=order.id,
        partner_id=order.partner_id,
        kind=kind,
        message=message,
        detail={"records": records, **(detail or {})},
    )
    session.add(row)
    add_event(
        session,
        "business_exception",
        message,
        partner_id=order.partner_id,
        correlation_id=order.correlation_id,
        data={"outbound_order_id": order.id, "kind": kind},
    )
    return row


def route_order_exceptions(
    runtime: Runtime, session: Session, order: OutboundOrder, rows: Sequence[BusinessException]
) -> list[Next]:
    """Route exceptions about ``order`` like a document's (owner group, assignee, due time,
    notifications); the notify stages to dispatch after commit."""
    return route_new_exceptions(
        runtime,
        session,
        rows,
        partner_id=order.partner_id,
        target=runtime.odoo_target(bool(order.test)),
        correlation_id=order.correlation_id,
    )


def order_envelope(
    runtime: Runtime,
    session: Session,
    profile: PartnerProfile,
    syntax: str,
    kind: OutboundKind | None = None,
) -> OutboundEnvelope:
    def number(name: str, modulo: int = 999_999_999) -> int:
        return next_counter(session, profile.id, name, modulo=modulo)

    identity = profile.identity_for((kind or PURCHASE_ORDERS).role)
    return envelope_for(runtime.identities.get(identity), profile, syntax, number)


def envelope_for(
    ident: OurIdentity,
    profile: PartnerProfile,
    syntax: str,
    number: Callable[..., int],
) -> OutboundEnvelope:
    """Our identity to the partner's, with control numbers from ``number(counter_name)``."""
    test = profile.mode.usage == "test"
    if syntax == "x12":
        if profile.x12 is None:
            raise PermanentError(f"partner {profile.id!r} sends X12 but has no x12 ids")
        return OutboundEnvelope(
            sender_id=ident.x12_id,
            sender_qualifier=ident.x12_qualifier,
            receiver_id=profile.x12.isa_id,
            receiver_qualifier=profile.x12.isa_qualifier,
            gs_sender=ident.group_id,
            gs_receiver=profile.x12.group_id,
            interchange_control=number("x12-interchange"),
            group_control=number("x12-group"),
            transaction_control=number("x12-transaction", modulo=9999),
            test=test,
        )
    if profile.edifact is None:
        raise PermanentError(f"partner {profile.id!r} sends EDIFACT but has no edifact ids")
    syntax_id, _, syntax_version = profile.edifact.syntax.partition(":")
    return OutboundEnvelope(
        sender_id=ident.edifact_id,
        sender_qualifier=ident.edifact_qualifier,
        receiver_id=profile.edifact.unb_id,
        receiver_qualifier=profile.edifact.unb_qualifier,
        interchange_control=number("edifact-interchange"),
        transaction_control=number("edifact-transaction", modulo=9999),
        test=test,
        edifact_syntax=syntax_id or "UNOC",
        edifact_syntax_version=syntax_version or "3",
    )


def outbound_library(runtime: Runtime) -> OutboundLibrary:
    return OutboundLibrary.load(runtime.settings.map_dirs(), collect=True)


def move_order(session: Session, order: OutboundOrder, reached: OrderCycle, detail: str) -> bool:
    """Advance the order's cycle, stamp the timeline, queue a chatter line. True if moved."""
    before = OrderCycle(order.state or OrderCycle.QUEUED)
    after = reached if reached is OrderCycle.QUEUED else advance(before, reached)
    timeline = dict(order.timeline or {})
    timeline.setdefault(reached.value, utcnow().isoformat())
    order.timeline = timeline
    if after is not before:
        OUTBOUND_ORDERS.move(order, after)
    if reached is not OrderCycle.QUEUED and kind_of(order.document_type).chatter:
        order.notes_pending = [*(order.notes_pending or []), f"EDI: {detail}"]
    add_event(
        session,
        f"order_{reached.value}",
        f"{kind_of(order.document_type).label} {order.business_key}: {detail}",
        partner_id=order.partner_id,
        message_id=order.message_id,
        state_from=before.value,
        state_to=after.value,
        correlation_id=order.correlation_id,
        data={"outbound_order_id": order.id},
    )
    return after != before


def record_sent(
    session: Session,
    sent: OutboundOrder | OutboundChange,
    order: OutboundOrder,
    *,
    transport: str,
    filename: str,
    size: int,
    ref: str,
) -> Message:
    """The outbound message for a document the transport took, and the document stamped
    sent (an order's 850, or one of its 860s)."""
    meta: dict[str, Any] = {"outbound_order_id": order.id}
    if isinstance(sent, OutboundChange):
        meta["outbound_change_id"] = sent.id
    message = Message(
        direction="out",
        transport=transport[:16],
        partner_id=order.partner_id,
        filename=filename,
        payload_sha256=sent.payload_sha256,
        size=size,
        syntax=sent.syntax,
        state=MessageState.SENT,
        correlation_id=order.correlation_id,
        meta={**meta, "transport_ref": ref},
    )
    session.add(message)
    session.flush()
    sent.message_id = message.id
    sent.transport_ref = ref
    sent.sent_at = utcnow()
    sent.error = None
    return message


def codes_in_words(kind: str, codes: Iterable[str]) -> str:

    return "; ".join(describe(kind, code) for code in codes)


def outbound_transport(profile: PartnerProfile, kind: OutboundKind | None = None) -> str:
    """How ``kind`` goes to the partner: its section's ``transport``, else AS2 when the
    profile has a URL, else SFTP (hosted or remote)."""
    kind = kind or PURCHASE_ORDERS
    settings = kind.settings(profile)
    if settings is None:
        raise PermanentError(f"partner {profile.id!r} has no outbound.{kind.document_type}")
    if settings.transport:
        return settings.transport
    if profile.as2 is not None and profile.as2.url:
        return "as2"
    if profile.sftp is not None:
        return "sftp" if profile.sftp.hosted is not None else "sftp_remote"
    return "as2"


def new_outbound_row(
    profile: PartnerProfile,
    kind: OutboundKind,
    *,
    odoo_id: int,
    business_key: str,
    syntax: str,
    set_id: str,
    map_name: str,
) -> OutboundOrder:
    """The stored row of a document of ``kind`` for ``profile``, before it is written."""
    return OutboundOrder(
        partner_id=profile.id,
        document_type=kind.document_type,
        odoo_model=kind.odoo_model,
        odoo_id=odoo_id,
        business_key=business_key,
        syntax=syntax,
        set_id=set_id,
        map_name=map_name,
        transport=outbound_transport(profile, kind),
        test=profile.mode.usage == "test",
        correlation_id=str(uuid.uuid4()),
        timeline={},
        overdue_raised=[],
        notes_pending=[],
        document={},
    )


def store_written(
    runtime: Runtime,
    session: Session,
    row: OutboundOrder,
    written: Written,
    envelope: OutboundEnvelope,
) -> None:
    """Keep the bytes and control numbers of ``row``'s written interchange and queue it."""
    row.payload_sha256 = runtime.payloads.put(session, written.data)
    controls = engine_for(row.syntax).stored_controls(envelope)
    row.interchange_control = controls.interchange
    row.group_control = controls.group
    row.transaction_control = controls.transaction
    move_order(session, row, OrderCycle.QUEUED, f"{row.set_id} {row.interchange_control} written")


#: Odoo's ``write_date`` has whole seconds (and is its transaction's start), so a second
#: write within the same second as one a poll saw carries the same stamp. A stamp younger
#: than this is not trusted to mean "unchanged": the record is compared by content. Our
#: clock and Odoo's are assumed to agree within a minute (NTP).
WRITE_DATE_SETTLED = dt.timedelta(minutes=2)


def write_date_settled(write_date: str, now: dt.datetime | None = None) -> bool:
    """Whether no later write can carry this Odoo ``write_date`` (UTC) any more.

    An unreadable or empty stamp counts as settled (the caller's old behaviour).
    """
    try:
        moment = dt.datetime.fromisoformat(write_date[:19]).replace(tzinfo=dt.UTC)
    except ValueError:
        return True
    return moment < (now or dt.datetime.now(dt.UTC)) - WRITE_DATE_SETTLED

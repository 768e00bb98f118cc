"""Asynchronous MDNs that do not come: an alarm once a sent message waited too long.

A message sent with ``mdn: async`` leaves a :class:`~gateway.store.models.PendingMdn`
row until the partner's MDN settles it. :func:`check_overdue_mdns` (run by the stall
recovery sweep, ``gateway.recover_stalled``, on the beat) looks for rows older than the
partner's ``as2.mdn_wait_seconds`` and raises the alarm once per message:

* the row's ``outcome`` becomes ``overdue`` while ``settled_at`` stays empty, so the
  message is still pending: a late MDN settles it as any other, and
  ``edigw_async_mdns_overdue`` counts the rows still waiting;
* an ``as2.mdn_overdue`` event on the record of everything sent under that Message-ID;
* an ``mdn_overdue`` business exception (high severity, routed to ``operations`` by
  default) per order or change order sent under it, or one for the message itself when
  only acknowledgements went under it, routed and notified like any exception.

When the MDN comes after all, :func:`resolve_overdue` closes those exceptions (they
said "no MDN", which is no longer true); the MDN's own outcome (delivered, or the
order failed) is recorded by :mod:`gateway.pipeline.as2_mdns` as usual.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.partners.as2 import DEFAULT_MDN_WAIT_SECONDS
from gateway.pipeline.dispatch import Next
from gateway.pipeline.outbound_records import raise_order_exception, route_order_exceptions
from gateway.pipeline.routing import route_new_exceptions
from gateway.pipeline.runtime import Runtime
from gateway.states import EXCEPTIONS, ExceptionState
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import (
    Acknowledgement,
    BusinessException,
    OutboundChange,
    OutboundOrder,
    PendingMdn,
    utcnow,
)

KIND = "mdn_overdue"
OVERDUE = "overdue"  # PendingMdn.outcome while the MDN is late (settled_at stays NULL)
#: rows looked at per sweep, oldest first; the rest wait for the next sweep
MAX_PER_SWEEP = 500


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def mdn_wait(runtime: Runtime, partner_id: str) -> dt.timedelta:
    """How long a message to ``partner_id`` may wait for its asynchronous MDN."""
    profile = runtime.registry.get(partner_id)
    seconds = (
        profile.as2.mdn_wait_seconds
        if profile is not None and profile.as2 is not None
        else DEFAULT_MDN_WAIT_SECONDS
    )
    return dt.timedelta(seconds=seconds)


def check_overdue_mdns(runtime: Runtime, now: dt.datetime | None = None) -> list[str]:
    """Raise the alarm for pending MDNs past their partner's wait; their Message-IDs.

    Each message is flagged once (``outcome = overdue``); notifications are dispatched
    after the commit.
    """
    now = now or utcnow()
    waits = [p.as2.mdn_wait_seconds for p in runtime.registry.all() if p.as2 is not None] + [
        DEFAULT_MDN_WAIT_SECONDS
    ]
    # nothing younger than the shortest wait can be late: no need to read it
    horizon = now - dt.timedelta(seconds=min(waits))
    flagged: list[str] = []
    follow: list[Next] = []
    with session_scope(runtime.sessions) as session:
        rows = session.scalars(
            select(PendingMdn)
            .where(
                PendingMdn.settled_at.is_(None),
                PendingMdn.outcome.is_(None),
                PendingMdn.sent_at < horizon,
            )
            .order_by(PendingMdn.sent_at)
            .limit(MAX_PER_SWEEP)
        ).all()
        for row in rows:
            waited = now - _aware(row.sent_at)
            limit = mdn_wait(runtime, row.partner_id)
            if waited < limit:
                continue
            row.outcome = OVERDUE
            follow += _raise(runtime, session, row, waited, limit)
            flagged.append(row.message_id)
    if follow:
        runtime.dispatcher.dispatch(follow)
    return flagged


def _raise(
    runtime: Runtime,
    session: Session,
    row: PendingMdn,
    waited: dt.timedelta,
    limit: dt.timedelta,
) -> list[Next]:
    """The event and exceptions of one overdue MDN; the notify stages to dispatch."""
    mid = row.message_id
    refs = [mid, f"<{mid}>"]
    sent = _aware(row.sent_at).strftime("%Y-%m-%d %H:%M UTC")
    late = (
        f"no asynchronous MDN from {row.partner_id} for AS2 message <{mid}> sent {sent}: "
        f"waited {_span(waited)}, the limit is {_span(limit)} (as2.mdn_wait_seconds)"
    )
    detail = {
        "as2_message_id": mid,
        "sent_at": _aware(row.sent_at).isoformat(),
        "waited_seconds": int(waited.total_seconds()),
        "limit_seconds": int(limit.total_seconds()),
    }
    follow: list[Next] = []
    orders = session.scalars(
        select(OutboundOrder).where(OutboundOrder.transport_ref.in_(refs))
    ).all()
    changes = session.scalars(
        select(OutboundChange).where(OutboundChange.transport_ref.in_(refs))
    ).all()
    acks = session.scalars(
        select(Acknowledgement).where(Acknowledgement.transport_ref.in_(refs))
    ).all()
    for order in orders:
        add_event(
            session,
            "as2.mdn_overdue",
            f"{order.document_type.replace('_', ' ')} {order.business_key}: {late}",
            partner_id=order.partner_id,
            correlation_id=order.correlation_id,
            data={**detail, "outbound_order_id": order.id},
        )
        exc = raise_order_exception(
            session,
            order,
            KIND,
            f"{order.document_type.replace('_', ' ')} {order.business_key}: {late}; the "
            "partner may not have it: ask the partner",
            detail=detail,
        )
        follow += route_order_exceptions(runtime, session, order, [exc])
    for change in changes:
        parent = session.get(OutboundOrder, change.outbound_order_id)
        if parent is None:
            continue
        exc = raise_order_exception(
            session,
            parent,
            KIND,
            f"change {change.set_id} {change.interchange_control} to order "
            f"{parent.business_key}: {late}; the partner may not know of the change",
            detail={**detail, "outbound_change_id": change.id},
        )
        follow += route_order_exceptions(runtime, session, parent, [exc])
    for ack in acks:
        add_event(
            session,
            "as2.mdn_overdue",
            f"{ack.kind} {ack.control_number}: {late}",
            partner_id=ack.partner_id,
            interchange_id=ack.interchange_id,
            data={**detail, "acknowledgement_id": ack.id},
        )
    if not orders and not changes:
        # acknowledgements only (or nothing we can name): the message is the record
        exc = BusinessException(
            partner_id=row.partner_id,
            kind=KIND,
            message=late
            + (f" ({', '.join(f'{a.kind} {a.control_number}' for a in acks)})" if acks else ""),
            detail={**detail, "records": [], "acknowledgements": [a.id for a in acks]},
        )
        session.add(exc)
        add_event(
            session,
            "business_exception",
            exc.message,
            partner_id=row.partner_id,
            data={"kind": KIND, "as2_message_id": mid},
        )
        follow += route_new_exceptions(
            runtime,
            session,
            [exc],
            partner_id=row.partner_id,
            target=runtime.odoo_target(False),
        )
    return follow


def resolve_overdue(session: Session, partner_id: str, message_id: str, outcome: str) -> int:
    """Close the open ``mdn_overdue`` exceptions of a message whose MDN came at last;
    how many. ``outcome`` says what the MDN said (in the resolution and the event)."""
    mid = message_id.strip().strip("<>")
    closed = 0
    for exc in session.scalars(
        select(BusinessException).where(
            BusinessException.kind == KIND,
            BusinessException.partner_id == partner_id,
            BusinessException.state == ExceptionState.OPEN,
        )
    ):
        if (exc.detail or {}).get("as2_message_id") != mid:
            continue
        EXCEPTIONS.move(exc, ExceptionState.RESOLVED)
        exc.resolution = f"the partner's MDN arrived late: {outcome}"
        exc.resolved_by, exc.resolved_at = "system", utcnow()
        add_event(
            session,
            f"exception_{ExceptionState.RESOLVED}",
            f"{KIND}: the partner's MDN for <{mid}> arrived late ({outcome})",
            partner_id=partner_id,
            data={"exception_id": exc.id},
        )
        closed += 1
    return closed


def _span(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"

"""The AS2 MDN ledger: MDNs we owe partners (sent by a stage) and MDNs we wait for.

Outgoing asynchronous MDNs are rows of :class:`~gateway.store.models.AsyncMdn` sent by
the ``send_mdn`` stage, so the runner gives them attempt rows, bounded retries with
backoff and a dead letter, and stall recovery re-queues them after a restart. Before
every POST the URL is checked again, now with its addresses resolved (a partner's host
that starts pointing at a private address is refused then).

Incoming asynchronous MDNs for messages we sent settle :class:`PendingMdn` rows and
the acknowledgements, purchase orders and change orders sent under that Message-ID.
Every AS2 send attempt and every MDN received is an event row.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.as2.async_mdn import MdnPostError, post_async_mdn
from gateway.as2.client import As2Sender, SendAttempt
from gateway.as2.client import PendingMdn as ClientPending
from gateway.as2.limits import async_mdn_url_refusal, resolve_host
from gateway.as2.receiver import AsyncMdnJob, ReceivedMdn
from gateway.pipeline.as2_mdn_overdue import OVERDUE, resolve_overdue
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import TransientError
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.outbound_changes import mark_change_failed
from gateway.pipeline.outbound_records import move_order
from gateway.pipeline.runtime import Runtime
from gateway.states import (
    ACKNOWLEDGEMENTS,
    ASYNC_MDNS,
    AckState,
    AsyncMdnState,
    OrderCycle,
)
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import (
    Acknowledgement,
    AsyncMdn,
    OutboundChange,
    OutboundOrder,
    PendingMdn,
    utcnow,
)

log = logging.getLogger(__name__)
POST_TIMEOUT = 30.0  # seconds per attempt; retries come from the runner


# ---- MDNs we owe ---------------------------------------------------------------------
def queue_async_mdn(runtime: Runtime, job: AsyncMdnJob) -> int:
    """Store an asynchronous MDN to send and queue the ``send_mdn`` stage; its row id."""
    with session_scope(runtime.sessions) as session:
        body_sha = runtime.payloads.put(session, job.body)
        row = AsyncMdn(
            message_id=job.message_id,
            partner_id=job.partner_id or "",
            original_message_id=job.original_message_id[:255],
            url=job.url,
            headers=dict(job.headers),
            body_sha256=body_sha,
            state=AsyncMdnState.QUEUED,
        )
        session.add(row)
        session.flush()
        add_event(
            session,
            "as2.async_mdn_queued",
            f"async MDN for {job.original_message_id} to {job.url} queued",
            partner_id=job.partner_id,
            message_id=job.message_id,
        )
        row_id = row.id
    runtime.dispatcher.dispatch([Next("send_mdn", (row_id,))])
    return row_id


def send_mdn(runtime: Runtime, mdn_id: int) -> list[Next]:
    """The ``send_mdn`` stage: one POST of a queued asynchronous MDN.

    A transient failure raises :class:`TransientError` (the runner retries with backoff,
    then dead-letters through :func:`fail_mdn`); a refusal fails the row at once.
    """
    with session_scope(runtime.sessions) as session:
        row = session.get(AsyncMdn, mdn_id)
        if row is None or row.state is not AsyncMdnState.QUEUED:
            return []  # already sent or failed (a re-queue after recovery)
        row.attempts += 1
        url, headers, partner_id = row.url, dict(row.headers), row.partner_id
        body = runtime.payloads.get(session, row.body_sha256)
    profile = runtime.registry.get(partner_id)
    if profile is None or profile.as2 is None:
        _finish(
            runtime, mdn_id, AsyncMdnState.FAILED, f"partner {partner_id!r} has no AS2 settings now"
        )
        return []
    refusal = async_mdn_url_refusal(
        url,
        profile.as2.allowed_async_mdn_hosts(),
        allow_private=profile.as2.async_mdn_allow_private,
        resolve=resolve_host,
    )
    if refusal is not None:
        _finish(runtime, mdn_id, AsyncMdnState.FAILED, f"not sent: {refusal}")
        return []
    try:
        status = post_async_mdn(url, headers, body, timeout=POST_TIMEOUT)
    except MdnPostError as exc:
        if exc.transient:
            with session_scope(runtime.sessions) as session:
                row = session.get(AsyncMdn, mdn_id)
                if row is not None:
                    row.error = str(exc)
            raise TransientError(f"async MDN to {url}: {exc}") from exc
        _finish(runtime, mdn_id, AsyncMdnState.FAILED, f"refused by the partner: {exc}")
        return []
    _finish(runtime, mdn_id, AsyncMdnState.SENT, f"delivered (HTTP {status})")
    return []


def fail_mdn(runtime: Runtime, mdn_id: int, error: str) -> None:
    """Dead letter of ``send_mdn``: the MDN is given up, visibly."""
    _finish(runtime, mdn_id, AsyncMdnState.FAILED, f"gave up: {error}")


def _finish(runtime: Runtime, mdn_id: int, state: AsyncMdnState, detail: str) -> None:
    with session_scope(runtime.sessions) as session:
        row = session.get(AsyncMdn, mdn_id)
        if row is None:
            return
        ASYNC_MDNS.move(row, state)
        row.error = None if state is AsyncMdnState.SENT else detail
        add_event(
            session,
            "as2.async_mdn_" + state,
            f"async MDN for {row.original_message_id} to {row.url}: {detail}",
            partner_id=row.partner_id,
            message_id=row.message_id,
            data={"async_mdn_id": row.id, "attempts": row.attempts},
        )


def stalled_mdns(session: Session, cutoff: datetime) -> list[Next]:
    """``send_mdn`` stages to queue again: rows still queued and untouched since ``cutoff``."""
    return [
        Next("send_mdn", (mdn_id,))
        for (mdn_id,) in session.execute(
            select(AsyncMdn.id).where(
                AsyncMdn.state == AsyncMdnState.QUEUED, AsyncMdn.updated_at < cutoff
            )
        )
    ]


# ---- MDNs we wait for -----------------------------------------------------------------
def record_send_attempt(runtime: Runtime, attempt: SendAttempt) -> None:
    """An event row for one try at sending an AS2 message (the AS2 sender's attempt log)."""
    StoreIntake(runtime).record_event(
        "as2_send",
        f"{attempt.outcome}: {attempt.detail}",
        partner_id=attempt.partner_id,
        data={"as2_message_id": attempt.message_id},
    )


def record_received_mdn(runtime: Runtime, received: ReceivedMdn) -> None:
    """An event row for an asynchronous MDN a partner sent us, verified or not."""
    mdn = received.mdn
    signature = "verified" if received.verified else f"NOT verified: {received.error}"
    StoreIntake(runtime).record_event(
        "as2_mdn_received",
        f"MDN for {mdn.original_message_id or '?'}: {mdn.disposition} (signature {signature})",
        partner_id=received.partner_id,
    )


def settle_async_mdn(runtime: Runtime, received: ReceivedMdn, sender: As2Sender | None) -> None:
    """An asynchronous MDN for something we sent: record it, check it against the message
    it answers (``sender`` checks MIC and signature; None when AS2 sending is not set up)
    and settle the pending row and the acknowledgements sent under that Message-ID.

    Only an authentic MDN settles (``sender`` decides: the partner the message went to,
    verified when signed receipts were asked); another partner's MDN or an unverified
    one is recorded as events and leaves the message pending."""
    record_received_mdn(runtime, received)
    if sender is None:
        return
    original = (received.mdn.original_message_id or "").strip().strip("<>")
    pending = find_pending_mdn(runtime, original)
    settlement = sender.settle_async_mdn(received, pending)
    if pending is not None and settlement != "ignored":
        settle_pending_mdn(runtime, received, pending, settlement == "delivered")


def store_pending_mdn(runtime: Runtime, pending: ClientPending) -> None:
    """Remember a sent AS2 message whose MDN will come asynchronously."""
    with session_scope(runtime.sessions) as session:
        session.merge(
            PendingMdn(
                message_id=pending.message_id.strip("<>"),
                partner_id=pending.partner_id,
                mic=pending.mic,
                mic_algorithm=pending.mic_algorithm,
                mdn_signed=pending.mdn_signed,
                sent_at=pending.sent_at,
            )
        )


def find_pending_mdn(runtime: Runtime, message_id: str) -> ClientPending | None:
    """The pending MDN of a message we sent, as the AS2 client expects it (or None)."""
    with session_scope(runtime.sessions) as session:
        row = session.get(PendingMdn, message_id.strip().strip("<>"))
        if row is None or row.settled_at is not None:
            return None
        return ClientPending(
            partner_id=row.partner_id,
            message_id=row.message_id,
            mic=row.mic,
            mic_algorithm=row.mic_algorithm,
            mdn_signed=row.mdn_signed,
            sent_at=row.sent_at,
        )


def settle_pending_mdn(
    runtime: Runtime, received: ReceivedMdn, pending: ClientPending, delivered: bool
) -> None:
    """Record the outcome of an async MDN on the pending row and on what was sent under
    that Message-ID: acknowledgements, purchase orders and change orders."""
    original = pending.message_id
    with session_scope(runtime.sessions) as session:
        row = session.get(PendingMdn, pending.message_id)
        if row is not None:
            if row.outcome == OVERDUE:  # late, but it settles as any MDN does
                resolve_overdue(session, row.partner_id, original, received.mdn.disposition or "?")
            row.settled_at = utcnow()
            row.outcome = "delivered" if delivered else "failed"
        for ack in session.scalars(
            select(Acknowledgement).where(
                Acknowledgement.transport_ref.in_([original, f"<{original}>"])
            )
        ):
            if not delivered:
                if ACKNOWLEDGEMENTS.allows(ack.state, AckState.FAILED):
                    ACKNOWLEDGEMENTS.move(ack, AckState.FAILED)
                ack.error = f"negative or unverifiable async MDN: {received.mdn.disposition}"
            add_event(
                session,
                "ack_mdn",
                f"{ack.kind} {ack.control_number}: async MDN "
                + ("confirms delivery" if delivered else "refused"),
                partner_id=ack.partner_id,
                interchange_id=ack.interchange_id,
            )
        refs = [original, f"<{original}>"]
        why = f"negative or unverifiable async MDN: {received.mdn.disposition}"
        for order in session.scalars(
            select(OutboundOrder).where(OutboundOrder.transport_ref.in_(refs))
        ):
            _settle_order(session, order, delivered, why)
        for change in session.scalars(
            select(OutboundChange).where(OutboundChange.transport_ref.in_(refs))
        ):
            _settle_change(session, change, delivered, why)


def _settle_order(session: Session, order: OutboundOrder, delivered: bool, why: str) -> None:
    """An order (850/ORDERS) the MDN answers: delivered, or failed as a refused sync MDN
    fails it (``fail_order``). Only a ``sent`` order moves: a 997 or 855 that came
    before the MDN has said more than the MDN can."""
    if order.state != OrderCycle.SENT:
        add_event(
            session,
            "order_mdn",
            f"purchase order {order.business_key}: async MDN "
            + ("confirms delivery" if delivered else f"refused ({why})")
            + f", order already {order.state}",
            partner_id=order.partner_id,
            correlation_id=order.correlation_id,
        )
        return
    if delivered:
        move_order(session, order, OrderCycle.DELIVERED, "the partner's MDN confirms receipt")
        return
    order.error = why
    move_order(session, order, OrderCycle.FAILED, f"not delivered: {why}")


def _settle_change(session: Session, change: OutboundChange, delivered: bool, why: str) -> None:
    """A change order (860/ORDCHG) the MDN answers: a refusal fails a ``sent`` change
    as ``fail_change`` fails one (the buyer must know the supplier was not told); a
    confirmation, or an MDN for a change already answered by a 997, is an event."""
    order = session.get(OutboundOrder, change.outbound_order_id)
    if delivered or order is None or change.state != OrderCycle.SENT:
        add_event(
            session,
            "order_mdn",
            f"{change.set_id} {change.interchange_control}: async MDN "
            + ("confirms delivery" if delivered else f"refused ({why})"),
            partner_id=change.partner_id,
        )
        return
    mark_change_failed(session, change, order, f"was refused by the partner's MDN ({why})")

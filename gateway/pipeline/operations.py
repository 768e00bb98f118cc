"""Operator actions on the pipeline: replay, cancel, dead letters and stall recovery.

Every action is an event with its actor. Replays start from the stored raw bytes; the
delivery ledger keeps a replay of something already delivered from delivering it again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gateway.intake import ReceivedPayload
from gateway.pipeline.as2_mdn_overdue import check_overdue_mdns
from gateway.pipeline.as2_mdns import stalled_mdns
from gateway.pipeline.dispatch import Next
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.routing import route_unrouted
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.transitions import set_state
from gateway.states import (
    EXCEPTIONS,
    INTERCHANGES,
    MESSAGES,
    TRANSACTIONS,
    AckState,
    ExceptionState,
    InterchangeState,
    NotificationState,
    can_cancel,
    can_replay,
)
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import (
    FINAL_TRANSACTION_STATES,
    Acknowledgement,
    BusinessException,
    Interchange,
    Message,
    MessageState,
    Notification,
    Transaction,
    TransactionState,
    utcnow,
)

# what an operator's action on a business exception makes of it
EXCEPTION_ACTIONS = {
    "resolve": ExceptionState.RESOLVED,
    "dismiss": ExceptionState.DISMISSED,
    "retry": ExceptionState.RETRIED,
}


class OperationError(ValueError):
    """An operator action that cannot be done (unknown id, wrong state)."""


def fail_subject(runtime: Runtime, stage: str, subject_id: int, error: str) -> None:
    """Dead-letter what a split/validate/acknowledge/translate stage was working on."""
    with session_scope(runtime.sessions) as session:
        if stage == "split":
            message = session.get(Message, subject_id)
            if message is not None and message.state == MessageState.RECEIVED:
                MESSAGES.move(message, MessageState.REJECTED)
                message.error = f"processing failed: {error}"
                add_event(
                    session,
                    "failed",
                    message.error,
                    message_id=message.id,
                    partner_id=message.partner_id,
                    correlation_id=message.correlation_id,
                )
            return
        txns = session.scalars(select(Transaction).where(Transaction.interchange_id == subject_id))
        for txn in txns:
            if txn.state not in FINAL_TRANSACTION_STATES:
                set_state(
                    session, txn, TransactionState.FAILED, f"{stage} failed: {error}", error=error
                )


def replay_transaction(runtime: Runtime, transaction_id: int, *, actor: str) -> None:
    """Run a transaction again from its stored raw bytes (translate, then deliver).

    Already delivered documents are found in the ledger and not delivered twice.
    """
    with session_scope(runtime.sessions) as session:
        txn = session.get(Transaction, transaction_id, with_for_update=True)
        if txn is None:
            raise OperationError(f"no transaction {transaction_id}")
        if not can_replay(txn.state):
            raise OperationError(f"transaction {transaction_id} is {txn.state}: still in progress")
        if not can_replay(txn.state, txn.issues or ()):
            raise OperationError(
                f"transaction {transaction_id} was rejected for its content; the partner "
                "must send a corrected one (replay the message after fixing configuration)"
            )
        set_state(session, txn, TransactionState.PARSED, "replay requested", actor=actor)
        txn.error = None
        interchange_id = txn.interchange_id
    runtime.dispatcher.dispatch([Next("translate", (interchange_id, [transaction_id]))])


def replay_message(runtime: Runtime, message_id: int, *, actor: str) -> int:
    """Feed a stored message through the whole pipeline again as a new message."""

    with session_scope(runtime.sessions) as session:
        message = session.get(Message, message_id)
        if message is None:
            raise OperationError(f"no message {message_id}")
        data = runtime.payloads.get(session, message.payload_sha256)
        partner, name = message.partner_id, message.filename
    receipt = StoreIntake(runtime).receive(
        ReceivedPayload(
            data=data,
            transport="replay",
            partner_id=partner,
            filename=name,
            metadata={"replay_of": str(message_id)},
            actor=actor,
        )
    )
    return receipt.message_id


def cancel_transaction(runtime: Runtime, transaction_id: int, *, actor: str, reason: str) -> None:
    """Stop a transaction that has not reached a final state."""
    with session_scope(runtime.sessions) as session:
        txn = session.get(Transaction, transaction_id, with_for_update=True)
        if txn is None:
            raise OperationError(f"no transaction {transaction_id}")
        if not can_cancel(txn.state):
            raise OperationError(f"transaction {transaction_id} is {txn.state}: cannot cancel")
        set_state(session, txn, TransactionState.CANCELLED, reason or "cancelled", actor=actor)


def recover_stalled(runtime: Runtime, *, older_than: dt.timedelta | None = None) -> int:
    """Re-queue work left behind by a lost broker message or a killed worker.

    The store is the source of truth: anything not final and untouched for a while gets
    its stage queued again. Stages are idempotent, so a spurious re-queue does nothing.
    Messages whose asynchronous MDN is past the partner's wait become ``mdn_overdue``
    exceptions here too (:func:`check_overdue_mdns`, not counted in the result).
    """
    # a zero timedelta means "everything" (tests, an operator's sweep), not the default
    age = (
        dt.timedelta(seconds=runtime.settings.stalled_after_seconds)
        if older_than is None
        else older_than
    )
    cutoff = utcnow() - age
    follow: list[Next] = []
    with session_scope(runtime.sessions) as session:
        for (mid,) in session.execute(
            select(Message.id).where(
                Message.state == MessageState.RECEIVED,
                Message.direction == "in",
                Message.updated_at < cutoff,
            )
        ):
            follow.append(Next("split", (mid,)))
        for (iid,) in session.execute(
            select(Interchange.id).where(
                Interchange.state.in_((InterchangeState.RECEIVED, InterchangeState.DUPLICATE)),
                Interchange.created_at < cutoff,
            )
        ):
            follow.append(Next("validate", (iid,)))
        for (iid,) in session.execute(
            select(Interchange.id).where(
                Interchange.state.in_(list(INTERCHANGES.final)),
                Interchange.partner_id.is_not(None),
                Interchange.ack_status.is_(None),
                Interchange.direction == "in",
                Interchange.created_at < cutoff,
            )
        ):
            follow.append(Next("acknowledge", (iid,)))
        stale = session.scalars(
            select(Transaction).where(
                Transaction.state.in_(
                    (
                        TransactionState.PARSED,
                        TransactionState.TRANSLATED,
                        TransactionState.DELIVERING,
                    )
                ),
                Transaction.updated_at < cutoff,
            )
        )
        interchanges: set[int] = set()
        for txn in stale:
            if txn.state == TransactionState.PARSED:
                interchanges.add(txn.interchange_id)
            else:
                if txn.state == TransactionState.DELIVERING:
                    # its worker died mid-delivery
                    TRANSACTIONS.move(txn, TransactionState.TRANSLATED)
                    add_event(
                        session,
                        "recovered",
                        "delivery claim released after stall",
                        transaction_id=txn.id,
                        message_id=txn.message_id,
                        partner_id=txn.partner_id,
                        correlation_id=txn.correlation_id,
                    )
                follow.append(Next("deliver", (txn.id,)))
        follow.extend(Next("translate", (i, None)) for i in sorted(interchanges))
        for (aid,) in session.execute(
            select(Acknowledgement.id).where(
                Acknowledgement.state == AckState.QUEUED,
                Acknowledgement.direction == "out",
                Acknowledgement.updated_at < cutoff,
            )
        ):
            follow.append(Next("send_ack", (aid,)))
        follow.extend(stalled_mdns(session, cutoff))
        for (nid,) in session.execute(
            select(Notification.id).where(
                Notification.state == NotificationState.QUEUED, Notification.created_at < cutoff
            )
        ):
            follow.append(Next("notify", (nid,)))
        # exceptions raised where routing was out of reach: routed and notified now
        follow.extend(route_unrouted(runtime, session, utcnow()))
    if follow:
        runtime.dispatcher.dispatch(follow)
    # asynchronous MDNs that never came: an exception each, once (notified by itself)
    check_overdue_mdns(runtime)
    return len(follow)


def resolve_exception(
    runtime: Runtime, exception_id: int, *, actor: str, action: str, comment: str = ""
) -> None:
    """Close a business exception: ``resolve`` (handled), ``dismiss``, or ``retry``.

    ``retry`` delivers the transaction again (after master data was fixed in Odoo); the
    delivery searches Odoo by business key first, so nothing already created is doubled.
    """

    if action not in ("resolve", "dismiss", "retry"):
        raise OperationError(f"unknown action {action!r}: use resolve, dismiss or retry")
    retry_txn: int | None = None
    with session_scope(runtime.sessions) as session:
        exc = session.get(BusinessException, exception_id, with_for_update=True)
        if exc is None:
            raise OperationError(f"no business exception {exception_id}")
        if exc.state is not ExceptionState.OPEN:
            raise OperationError(f"business exception {exception_id} is already {exc.state}")
        EXCEPTIONS.move(exc, EXCEPTION_ACTIONS[action])
        exc.resolution = comment
        exc.resolved_by = actor
        exc.resolved_at = utcnow()
        txn = (
            session.get(Transaction, exc.transaction_id, with_for_update=True)
            if exc.transaction_id is not None
            else None  # an exception about an order we sent
        )
        add_event(
            session,
            f"exception_{exc.state}",
            f"{exc.kind}: {comment or action}",
            actor=actor,
            partner_id=exc.partner_id,
            transaction_id=exc.transaction_id,
            message_id=txn.message_id if txn else None,
            data={"exception_id": exc.id},
        )
        if (
            action == "retry"
            and txn is not None
            and txn.state == TransactionState.BUSINESS_EXCEPTION
        ):
            # the other open exceptions of this transaction are superseded by the retry
            for other in session.scalars(
                select(BusinessException).where(
                    BusinessException.transaction_id == txn.id,
                    BusinessException.state == ExceptionState.OPEN,
                )
            ):
                EXCEPTIONS.move(other, ExceptionState.RETRIED)
                other.resolved_by, other.resolved_at = actor, utcnow()
            set_state(
                session, txn, TransactionState.TRANSLATED, "retry after exception", actor=actor
            )
            retry_txn = txn.id
    if retry_txn is not None:
        runtime.dispatcher.dispatch([Next("deliver", (retry_txn,))])

"""Moving a transaction between states, with the audit event that says so.

The one way every stage and operator action changes a transaction's state: the move is
checked against :data:`gateway.states.TRANSACTIONS` and leaves an event. :func:`set_state`
moves one ORM row (the change flushes with the session); :func:`set_states` moves many
at once with one UPDATE and one INSERT of their events, no unit of work (the stages'
hot paths, issue 21; :mod:`gateway.store.bulk`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from gateway.states import TRANSACTIONS
from gateway.store.audit import add_event, add_events
from gateway.store.bulk import update_rows
from gateway.store.models import Transaction, TransactionState


def set_state(
    session: Session,
    txn: Transaction,
    state: TransactionState,
    detail: str = "",
    *,
    actor: str = "system",
    error: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Change a transaction's state and append the event that says so.

    Raises :class:`~gateway.states.IllegalTransition` for a move the transaction table
    (:data:`gateway.states.TRANSACTIONS`) does not allow.
    """
    previous = TRANSACTIONS.move(txn, state)
    if error is not None:
        txn.error = error
    add_event(
        session,
        state.value,
        detail,
        actor=actor,
        partner_id=txn.partner_id,
        message_id=txn.message_id,
        interchange_id=txn.interchange_id,
        transaction_id=txn.id,
        state_from=previous,
        state_to=state,
        correlation_id=txn.correlation_id,
        data=data,
    )


class Keep(enum.Enum):
    """``Move.error``'s default: leave the stored error as it is."""

    KEEP = "keep"


@dataclass(frozen=True)
class Move:
    """One transaction's move for :func:`set_states`.

    ``txn`` is a :class:`Transaction` or any row carrying its ``id``, ``state``,
    ``partner_id``, ``message_id``, ``interchange_id`` and ``correlation_id`` as read in
    this database transaction (a claimed or locked row). ``error``: the text to store,
    None to clear it, :attr:`Keep.KEEP` to leave it.
    """

    txn: Any
    state: TransactionState
    detail: str = ""
    error: str | Literal[Keep.KEEP] | None = Keep.KEEP
    data: dict[str, Any] | None = None


_T = cast(Table, Transaction.__table__)


def set_states(session: Session, moves: Sequence[Move], *, actor: str = "system") -> None:
    """Move many transactions now: every move checked first, then one UPDATE per shape
    (with or without the error) and one INSERT of their events.

    ORM rows among them get the new values as their committed state (so a later flush
    does not write them again); other rows are the caller's to discard.
    """
    events = []
    plain: list[dict[str, Any]] = []
    with_error: list[dict[str, Any]] = []
    checked: set[tuple[Any, Any]] = set()  # a batch makes the same few moves
    for move in moves:
        txn = move.txn
        previous = txn.state
        if (previous, move.state) not in checked:
            TRANSACTIONS.check(previous, move.state)
            checked.add((previous, move.state))
        if move.error is Keep.KEEP:
            plain.append({"id": txn.id, "state": move.state})
        else:
            with_error.append({"id": txn.id, "state": move.state, "error": move.error})
        events.append(
            {
                "kind": move.state.value,
                "detail": move.detail,
                "actor": actor,
                "partner_id": txn.partner_id,
                "message_id": txn.message_id,
                "interchange_id": txn.interchange_id,
                "transaction_id": txn.id,
                "state_from": previous,
                "state_to": move.state,
                "correlation_id": txn.correlation_id,
                "data": move.data,
            }
        )
        if isinstance(txn, Transaction):
            set_committed_value(txn, "state", move.state)
            if move.error is not Keep.KEEP:
                set_committed_value(txn, "error", move.error)
    update_rows(session, _T, plain)
    update_rows(session, _T, with_error)
    add_events(session, events)

"""Moving a transaction between states, with the audit event that says so.

The one way every stage and operator action changes a transaction's state: the move is
checked against :data:`gateway.states.TRANSACTIONS` and leaves an event. :func:`set_state`
moves one ORM row (the change flushes with the session); :func:`set_states` moves many
at once with one UPDATE and one INSERT of their events, no unit of work (the stages'
hot paths, issue 21; :mod:`gateway.store.bulk`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
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
    None to clear it, :attr:`Keep.KEEP` to leave it. ``values``: other columns the move
    writes in the same UPDATE (translate's document type and business key).
    """

    txn: Any
    state: TransactionState
    detail: str = ""
    error: str | Literal[Keep.KEEP] | None = Keep.KEEP
    data: dict[str, Any] | None = None
    values: dict[str, Any] | None = None


_T = cast(Table, Transaction.__table__)


def set_states(
    session: Session,
    moves: Sequence[Move],
    *,
    actor: str = "system",
    also: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Move many transactions now: every move checked first, then one UPDATE per shape
    (the columns it writes: with or without the error, other ``values``) and one INSERT
    of their events, followed by the events in ``also`` (:func:`add_events`' mappings:
    a stage's own event after its moves', in the same statement).

    ORM rows among them get the new values as their committed state (so a later flush
    does not write them again); other rows are the caller's to discard.
    """
    events: list[Mapping[str, Any]] = []
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    checked: set[tuple[Any, Any]] = set()  # a batch makes the same few moves
    for move in moves:
        txn = move.txn
        previous = txn.state
        if (previous, move.state) not in checked:
            TRANSACTIONS.check(previous, move.state)
            checked.add((previous, move.state))
        row = {"id": txn.id, "state": move.state}
        if move.error is not Keep.KEEP:
            row["error"] = move.error
        if move.values:
            row.update(move.values)
        shapes.setdefault(tuple(row), []).append(row)
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
            for name, value in row.items():
                if name != "id":
                    set_committed_value(txn, name, value)
    for rows in shapes.values():
        update_rows(session, _T, rows)
    add_events(session, [*events, *also])

"""Moving a transaction between states, with the audit event that says so.

The one way every stage and operator action changes a transaction's state: the move is
checked against :data:`gateway.states.TRANSACTIONS` and leaves an event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.states import TRANSACTIONS
from gateway.store.audit import add_event
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

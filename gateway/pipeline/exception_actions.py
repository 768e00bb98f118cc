"""Working the exception queue: assigning exceptions and acting on many at once.

Each action is an audit event with its actor, like every operator action. Resolving,
dismissing and retrying one exception is :func:`gateway.pipeline.operations.resolve_exception`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.pipeline.operations import OperationError, resolve_exception
from gateway.pipeline.runtime import Runtime
from gateway.states import ExceptionState
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Transaction

BULK_ACTIONS = ("resolve", "dismiss", "retry", "assign")
MAX_BULK = 500


def assign_exception(
    runtime: Runtime, exception_id: int, *, assignee: str | None, actor: str
) -> None:
    """Give an open exception to someone (``None``/empty: back to its group)."""
    who = (assignee or "").strip() or None
    if who is not None and len(who) > 128:
        raise OperationError("an assignee name has at most 128 characters")
    with session_scope(runtime.sessions) as session:
        exc = session.get(BusinessException, exception_id, with_for_update=True)
        if exc is None:
            raise OperationError(f"no business exception {exception_id}")
        if exc.state is not ExceptionState.OPEN:
            raise OperationError(f"business exception {exception_id} is already {exc.state}")
        before, exc.assignee = exc.assignee, who
        txn = session.get(Transaction, exc.transaction_id)
        add_event(
            session,
            "exception_assigned",
            f"{exc.kind}: {before or exc.owner_group or 'unassigned'} → "
            f"{who or exc.owner_group or 'unassigned'}",
            actor=actor,
            partner_id=exc.partner_id,
            transaction_id=exc.transaction_id,
            message_id=txn.message_id if txn else None,
            correlation_id=txn.correlation_id if txn else None,
            data={"exception_id": exc.id, "from": before, "to": who},
        )


@dataclass(frozen=True)
class BulkResult:
    """What happened to one exception of a bulk action."""

    id: int
    ok: bool
    detail: str


def bulk_action(
    runtime: Runtime,
    ids: Sequence[int],
    action: str,
    *,
    actor: str,
    comment: str = "",
    assignee: str | None = None,
) -> list[BulkResult]:
    """Apply one action to each exception; each succeeds or fails on its own."""
    if action not in BULK_ACTIONS:
        raise OperationError(f"unknown action {action!r}: use {', '.join(BULK_ACTIONS)}")
    if len(ids) > MAX_BULK:
        raise OperationError(f"at most {MAX_BULK} exceptions at once")
    results = []
    for exception_id in dict.fromkeys(ids):  # once each, in the order given
        try:
            if action == "assign":
                assign_exception(runtime, exception_id, assignee=assignee, actor=actor)
            else:
                resolve_exception(
                    runtime, exception_id, actor=actor, action=action, comment=comment
                )
        except OperationError as exc:
            results.append(BulkResult(exception_id, False, str(exc)))
        else:
            results.append(BulkResult(exception_id, True, f"{action} done"))
    return results

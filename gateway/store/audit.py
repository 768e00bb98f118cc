"""Writing the audit trail and per-partner control number counters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.store.models import Counter, Event


def add_event(
    session: Session,
    kind: str,
    detail: str = "",
    *,
    actor: str = "system",
    partner_id: str | None = None,
    message_id: int | None = None,
    interchange_id: int | None = None,
    transaction_id: int | None = None,
    state_from: str | None = None,
    state_to: str | None = None,
    correlation_id: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Event:
    """Append one event (in the caller's unit of work, so it commits with the change)."""
    row = Event(
        kind=kind,
        detail=detail,
        actor=actor,
        partner_id=partner_id,
        message_id=message_id,
        interchange_id=interchange_id,
        transaction_id=transaction_id,
        state_from=state_from,
        state_to=state_to,
        correlation_id=correlation_id,
        data=dict(data or {}),
    )
    session.add(row)
    return row


@sa_event.listens_for(Event, "before_update")
def _events_are_append_only(_mapper: Any, _connection: Any, target: Event) -> None:
    raise RuntimeError(f"events are append-only (tried to update event {target.id})")


@sa_event.listens_for(Event, "before_delete")
def _events_are_never_deleted(_mapper: Any, _connection: Any, target: Event) -> None:
    raise RuntimeError(f"events are append-only (tried to delete event {target.id})")


def next_counter(session: Session, partner_id: str, name: str, *, modulo: int = 999_999_999) -> int:
    """Increment and return a per-partner counter, safely under concurrency.

    The UPDATE takes the row lock (PostgreSQL) or the database write lock (SQLite), so
    two workers never get the same number. Numbers wrap after ``modulo`` back to 1.
    """
    for _ in range(3):
        result = session.execute(
            update(Counter)
            .where(Counter.partner_id == partner_id, Counter.name == name)
            .values(value=Counter.value % modulo + 1)
            .returning(Counter.value)
        ).scalar()
        if result is not None:
            return int(result)
        try:
            with session.begin_nested():
                session.add(Counter(partner_id=partner_id, name=name, value=0))
        except IntegrityError:
            pass  # created concurrently; the UPDATE above will now find it
    value = session.execute(
        select(Counter.value).where(Counter.partner_id == partner_id, Counter.name == name)
    ).scalar_one()
    return int(value)

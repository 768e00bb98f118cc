"""The ``stage_attempts`` row of a stage run, written inside the stage's own transaction.

The runner opens an :func:`attempt_scope` around a stage run; every commit of the
stage's sessions in that scope (a ``before_commit`` hook, top-level transactions only)
writes the attempt row into that very transaction: the first commit inserts it, later
ones (a stage that commits more than once, such as ``deliver``) update its outcome and
finish time. Only transactions that write anyway carry it (a read-only session opened
next to the stage's own must not start writing: SQLite has one writer). So a stage run
costs no database transaction of its own for its record; only a run that wrote nothing,
or whose outcome changed after its last commit (it failed after committing), has its
row written by :meth:`AttemptRecord.flush_alone`.

A run killed before its first commit leaves no attempt row, and none of its work either
(both roll back together); stall recovery finds the work by its state, not by attempts.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, bindparam, insert, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    SessionTransaction,
    UOWTransaction,
    sessionmaker,
)

from gateway.store.models import StageAttempt, utcnow

# built once: a stage run writes its row at every commit (statements built per call
# cost more than executing them)
_TABLE = cast(Table, StageAttempt.__table__)
_INSERT = insert(_TABLE)
_UPDATE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("a_id"))
    .values(
        finished_at=bindparam("finished_at"),
        outcome=bindparam("outcome"),
        error=bindparam("error"),
    )
)


@dataclass
class AttemptRecord:
    """One stage run as it will be stored; ``outcome``/``error`` are set by the runner."""

    stage: str
    subject_id: int
    attempt: int
    worker: str
    started_at: dt.datetime
    outcome: str = "ok"
    error: str | None = None
    id: int | None = None
    written: tuple[str, str | None] | None = None  # (outcome, error) of the last write

    def write(self, connection: Connection) -> None:
        """Insert the row, or bring it up to date (outcome, error, finish time)."""
        values = {"finished_at": utcnow(), "outcome": self.outcome, "error": self.error}
        if self.id is None:
            result = connection.execute(
                _INSERT,
                {
                    "stage": self.stage,
                    "subject_id": self.subject_id,
                    "attempt": self.attempt,
                    "worker": self.worker,
                    "started_at": self.started_at,
                    **values,
                },
            )
            key = result.inserted_primary_key
            self.id = int(key[0]) if key is not None else None
        else:
            connection.execute(_UPDATE, {"a_id": self.id, **values})
        self.written = (self.outcome, self.error)

    @property
    def stale(self) -> bool:
        """True when the stored row (if any) does not say what the run ended with."""
        return self.written != (self.outcome, self.error)

    def flush_alone(self, sessions: sessionmaker[Session]) -> None:
        """Write the row in a transaction of its own (the run's commits did not)."""
        token = _CURRENT.set(None)  # this commit is not the stage's
        try:
            with sessions() as session, session.begin():
                self.write(session.connection())
        finally:
            _CURRENT.reset(token)


_CURRENT: contextvars.ContextVar[AttemptRecord | None] = contextvars.ContextVar(
    "edigw_stage_attempt", default=None
)


@contextmanager
def attempt_scope(record: AttemptRecord) -> Iterator[AttemptRecord]:
    """Make every commit in this thread/context carry ``record`` until the block ends."""
    token = _CURRENT.set(record)
    try:
        yield record
    finally:
        _CURRENT.reset(token)


_WROTE = "edigw_attempt_wrote"  # session.info: this transaction wrote something


def note_write(session: Session) -> None:
    """Tell the running stage's attempt that this transaction writes (for statements run
    on the session's connection, which the session's own events do not see)."""
    session.info[_WROTE] = True


@sa_event.listens_for(Session, "do_orm_execute")
def _note_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@sa_event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush: UOWTransaction) -> None:
    session.info[_WROTE] = True


@sa_event.listens_for(Session, "before_commit")
def _write_attempt(session: Session) -> None:
    """Put the running stage's attempt row into the transaction being committed.

    Only a transaction that writes anyway carries it: a read-only session a stage opens
    next to its own (SQLite has one writer) must not start writing.
    """
    record = _CURRENT.get()
    if record is None or session.in_nested_transaction():
        return
    if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
        record.write(session.connection())


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)

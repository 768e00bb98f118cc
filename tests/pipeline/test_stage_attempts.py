"""A stage run's attempt row rides in the stage's own transaction (no commits of its own)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from gateway.intake import ReceivedPayload
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runner import run_stage
from gateway.pipeline.runtime import Runtime
from gateway.store.attempts import AttemptRecord, attempt_scope
from gateway.store.db import session_scope
from gateway.store.models import Event, Message, StageAttempt, utcnow
from tests.pipeline.conftest import fixture_bytes


@contextmanager
def commits(runtime: Runtime) -> Iterator[list[int]]:
    """Count the commits on the runtime's engine inside the block."""
    seen = [0]

    def count(*_: object) -> None:
        seen[0] += 1

    event.listen(runtime.engine, "commit", count)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "commit", count)


def attempts(runtime: Runtime) -> list[tuple[str, int, str, str | None, bool]]:
    with runtime.sessions() as s:
        return [
            (a.stage, a.subject_id, a.outcome, a.error, a.finished_at is not None)
            for a in s.scalars(select(StageAttempt).order_by(StageAttempt.id))
        ]


def test_a_stage_run_commits_once_with_its_attempt_row_inside(
    make_runtime: Callable[..., Runtime],
) -> None:
    # given a received 850 whose split the dispatcher has not run yet (and the partner
    # configuration loaded, so that its reload check commits nothing during the stage)
    runtime = make_runtime(reload_check_seconds=3600)
    assert runtime.config.registry.get("keystone-pharma") is not None
    StoreIntake(runtime).receive(
        ReceivedPayload(
            data=fixture_bytes("keystone-pharma", "850_purchase_order.edi"), transport="cli"
        )
    )
    with runtime.sessions() as s:
        message_id = s.scalar(select(Message.id))
    assert message_id is not None
    runtime.dispatcher._heap.clear()  # type: ignore[attr-defined]
    # when the split stage runs
    with commits(runtime) as seen:
        run_stage(runtime, "split", (message_id,))
    # then its work and its attempt row took one commit between them
    assert seen[0] == 1
    assert attempts(runtime) == [("split", message_id, "ok", None, True)]
    # and a second run (a redelivered task) changes nothing but still leaves its row
    run_stage(runtime, "split", (message_id,))
    assert [a[2] for a in attempts(runtime)] == ["ok", "ok"]
    # and the rest of the pipeline runs to the end with one ok row per stage run
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    stages = [a[0] for a in attempts(runtime)]
    assert {"validate", "acknowledge", "translate", "deliver"} <= set(stages)
    assert all(a[2] == "ok" and a[4] for a in attempts(runtime))


def test_a_failed_run_records_its_outcome_with_the_dead_letter(
    make_runtime: Callable[..., Runtime],
) -> None:
    # given a split for a message that does not exist (a permanent error)
    runtime = make_runtime()
    # when it runs
    run_stage(runtime, "split", (4242,))
    # then the attempt says failed and why
    [(stage, subject, outcome, error, finished)] = attempts(runtime)
    assert (stage, subject, outcome, finished) == ("split", 4242, "failed", True)
    assert error is not None and "message 4242 does not exist" in error


def test_only_a_writing_transaction_carries_the_row(
    make_runtime: Callable[..., Runtime],
) -> None:
    # given a running stage's attempt record
    runtime = make_runtime()
    record = AttemptRecord(
        stage="validate", subject_id=7, attempt=1, worker="test", started_at=utcnow()
    )
    with attempt_scope(record):
        # when a read-only session commits (a lookup next to the stage's own session)
        with session_scope(runtime.sessions) as session:
            session.scalar(select(Event.id))
        # then it does not write (on SQLite it would wait for the stage's write lock)
        assert record.id is None and record.stale
        # when the stage's writing transaction commits, the row goes with it
        with session_scope(runtime.sessions) as session:
            session.add(Event(kind="test", detail="work"))
        assert record.id is not None and not record.stale
    assert attempts(runtime) == [("validate", 7, "ok", None, True)]
    # and outside the scope commits carry nothing
    with session_scope(runtime.sessions) as session:
        session.add(Event(kind="test", detail="more"))
    assert len(attempts(runtime)) == 1

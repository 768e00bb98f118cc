"""Runs one stage once: attempt row, error classification, retry or dead letter.

The attempt row is written inside the stage's own transaction
(:mod:`gateway.store.attempts`), not in transactions of its own.

Both the Celery tasks and the inline dispatcher call :func:`run_stage`, so the demo,
the tests and production run the same code. Only :class:`TransientError` (and database
connection trouble) is retried, with exponential backoff; anything else fails at once.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from gateway.pipeline.acks import acknowledge, fail_ack, send_ack
from gateway.pipeline.as2_mdns import fail_mdn, send_mdn
from gateway.pipeline.deliver import deliver, fail_delivery
from gateway.pipeline.dispatch import InlineDispatcher, Next, Stage, ThreadedDispatcher
from gateway.pipeline.errors import TransientError
from gateway.pipeline.notify import fail_notification, notify
from gateway.pipeline.operations import fail_subject
from gateway.pipeline.outbound import fail_order, send_order
from gateway.pipeline.outbound_changes import fail_change, send_change
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.stages import split, validate
from gateway.pipeline.translate import translate
from gateway.store.attempts import AttemptRecord, attempt_scope
from gateway.store.models import utcnow

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"


DeadLetter = Callable[[Runtime, int, str], None]


@dataclass(frozen=True)
class StageSpec:
    """What runs a stage, and what puts its subject in its failed state at the end."""

    run: Callable[..., list[Next]]
    dead_letter: DeadLetter
    batch: bool = False  # every argument is a subject (deliver: an interchange's batch)


@functools.cache
def stage_table() -> dict[Stage, StageSpec]:
    """Every :class:`Stage` with its function and its dead letter (one entry each)."""

    def subject(stage: Stage) -> DeadLetter:
        # split/validate/acknowledge/translate: their message's or interchange's rows
        return lambda runtime, subject_id, error: fail_subject(runtime, stage, subject_id, error)

    table = {
        Stage.SPLIT: StageSpec(split, subject(Stage.SPLIT)),
        Stage.VALIDATE: StageSpec(validate, subject(Stage.VALIDATE)),
        Stage.ACKNOWLEDGE: StageSpec(acknowledge, subject(Stage.ACKNOWLEDGE)),
        Stage.SEND_ACK: StageSpec(send_ack, fail_ack),
        Stage.TRANSLATE: StageSpec(translate, subject(Stage.TRANSLATE)),
        Stage.DELIVER: StageSpec(deliver, fail_delivery, batch=True),
        Stage.SEND_ORDER: StageSpec(send_order, fail_order),
        Stage.SEND_CHANGE: StageSpec(send_change, fail_change),
        Stage.SEND_MDN: StageSpec(send_mdn, fail_mdn),
        Stage.NOTIFY: StageSpec(notify, fail_notification),
    }
    missing = set(Stage) - set(table)
    if missing:
        raise RuntimeError(f"stages without a runner entry: {sorted(missing)}")
    return table


def _dead_letter(runtime: Runtime, stage: str, args: tuple[Any, ...], error: str) -> None:
    """Put the subject of a stage that will not succeed in its failed state."""
    spec = stage_table()[Stage(stage)]
    for subject in args if spec.batch else args[:1]:
        spec.dead_letter(runtime, subject, error)


def backoff(runtime: Runtime, attempt: int) -> float:
    """Delay before the next attempt: doubles each time, capped at ten minutes."""
    return float(min(runtime.settings.task_backoff_seconds * 2 ** (attempt - 1), 600.0))


def run_stage(
    runtime: Runtime, stage: str, args: tuple[Any, ...], attempt: int = 1
) -> float | None:
    """Run a stage; dispatch its follow-ups; return a retry delay or None when finished."""
    func = stage_table()[Stage(stage)].run
    record = AttemptRecord(
        stage=stage, subject_id=int(args[0]), attempt=attempt, worker=WORKER, started_at=utcnow()
    )
    retry_in = None
    with attempt_scope(record):  # the attempt row rides in the stage's own commits
        try:
            follow = func(runtime, *args)
        except (TransientError, OperationalError) as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            limit = getattr(exc, "max_retries", None)
            if attempt <= (runtime.settings.task_max_retries if limit is None else limit):
                record.outcome, retry_in = "retry", backoff(runtime, attempt)
                log.warning(
                    "stage %s%s attempt %d will retry in %.1fs: %s",
                    stage,
                    args,
                    attempt,
                    retry_in,
                    record.error,
                )
            else:
                record.outcome = "dead_letter"
                _dead_letter(runtime, stage, args, record.error)
            follow = []
        except DBAPIError as exc:
            record.outcome, record.error, follow = "failed", f"database: {exc.orig}", []
            log.error("stage %s%s failed in the database: %s", stage, args, exc.orig)
            _dead_letter(runtime, stage, args, record.error)
        except Exception as exc:
            # our bug or a permanent refusal: fail visibly now, an operator replays later
            record.outcome, record.error, follow = "failed", f"{type(exc).__name__}: {exc}", []
            log.error(
                "stage %s%s failed: %s\n%s", stage, args, record.error, traceback.format_exc()
            )
            _dead_letter(runtime, stage, args, record.error)
    if record.stale:  # nothing committed since the outcome was known
        record.flush_alone(runtime.sessions)
    if follow:
        runtime.dispatcher.dispatch(follow)
    return retry_in


def attach_inline(runtime: Runtime, dispatcher: InlineDispatcher | ThreadedDispatcher) -> None:
    """Make an in-process dispatcher run stages with this runtime."""
    dispatcher.runner = lambda item, attempt: run_stage(runtime, item.stage, item.args, attempt)

"""How a stage hands work to the next one: Celery in production, inline for demo/tests.

Stages never enqueue directly: they return :class:`Next` items, and the runner hands them
to the dispatcher only after the stage's database transaction has committed, so a task
never runs before the rows it needs exist.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

STAGES = ("split", "validate", "acknowledge", "send_ack", "translate", "deliver")


@dataclass(frozen=True, slots=True)
class Next:
    """A follow-up stage to run with these (id) arguments."""

    stage: str
    args: tuple[Any, ...]
    countdown: float = 0.0

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage {self.stage!r}")


class Dispatcher(Protocol):
    """Queues stages."""

    def dispatch(self, items: Sequence[Next]) -> None: ...


class CeleryDispatcher:
    """Sends stages to the Celery broker by task name (``gateway.<stage>``)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def dispatch(self, items: Sequence[Next]) -> None:
        """Send each item as a task message carrying only ids."""
        for item in items:
            self.app.send_task(
                f"gateway.{item.stage}", args=list(item.args), countdown=item.countdown or None
            )


class InlineDispatcher:
    """Runs stages in this process, in order, honouring retry delays.

    Used by ``edi-gateway demo``, ``ingest --inline`` and tests: the same stage code as
    the Celery tasks, without a broker.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Next, int]] = []
        self._seq = itertools.count()
        self.runner: Callable[[Next, int], float | None] | None = None

    def dispatch(self, items: Sequence[Next]) -> None:
        """Queue items (attempt 1)."""
        for item in items:
            self.push(item, attempt=1)

    def push(self, item: Next, *, attempt: int) -> None:
        """Queue one item for a given attempt number."""
        due = time.monotonic() + item.countdown
        heapq.heappush(self._heap, (due, next(self._seq), item, attempt))

    def pending(self) -> int:
        """How many stage runs are queued."""
        return len(self._heap)

    def drain(self, *, timeout: float = 300.0, max_wait: float | None = None) -> int:
        """Run queued stages until none are left; return how many ran.

        ``max_wait`` caps how long a retry delay is honoured (tests shorten backoff).
        """
        if self.runner is None:
            raise RuntimeError("InlineDispatcher has no runner attached")
        ran = 0
        deadline = time.monotonic() + timeout
        while self._heap:
            due, _, item, attempt = heapq.heappop(self._heap)
            wait = due - time.monotonic()
            if max_wait is not None:
                wait = min(wait, max_wait)
            if wait > 0:
                time.sleep(wait)
            if time.monotonic() > deadline:
                raise TimeoutError(f"inline pipeline still busy after {timeout}s")
            retry_in = self.runner(item, attempt)
            ran += 1
            if retry_in is not None:
                self.push(Next(item.stage, item.args, retry_in), attempt=attempt + 1)
        return ran

"""How a stage hands work to the next one: Celery in production, inline for demo/tests.

Stages never enqueue directly: they return :class:`Next` items, and the runner hands them
to the dispatcher only after the stage's database transaction has committed, so a task
never runs before the rows it needs exist.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Stage(enum.StrEnum):
    """Every pipeline stage: the one list (Celery task ``gateway.<stage>``, the runner's
    table in :mod:`gateway.pipeline.runner`, ``stage_attempts.stage``)."""

    SPLIT = "split"
    VALIDATE = "validate"
    ACKNOWLEDGE = "acknowledge"
    SEND_ACK = "send_ack"
    TRANSLATE = "translate"
    DELIVER = "deliver"
    SEND_ORDER = "send_order"
    SEND_CHANGE = "send_change"
    SEND_MDN = "send_mdn"
    NOTIFY = "notify"


STAGES: tuple[str, ...] = tuple(s.value for s in Stage)


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


class ThreadedDispatcher:
    """Runs stages on a pool of threads in this process (the demo's embedded gateway).

    Transports call ``dispatch`` from their own threads (HTTP, SFTP); worker threads run
    the stages with the same code as the Celery tasks. Retry delays use timers.
    """

    def __init__(self, workers: int = 2) -> None:
        import queue
        import threading

        self._queue: queue.Queue[tuple[Next, int] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"stage-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        self._busy = 0
        self._timers = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.runner: Callable[[Next, int], float | None] | None = None

    def start(self) -> None:
        """Start the worker threads."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop the worker threads after the queued work."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=30)

    def dispatch(self, items: Sequence[Next]) -> None:
        """Queue items (attempt 1)."""
        with self._lock:
            self._busy += len(items)
        for item in items:
            self._queue.put((item, 1))

    def _later(self, item: Next, attempt: int, delay: float) -> None:
        import threading

        def fire() -> None:
            with self._lock:
                self._timers -= 1
                self._busy += 1
            self._queue.put((item, attempt))

        with self._lock:
            self._timers += 1
        threading.Timer(delay, fire).start()

    def _work(self) -> None:
        while True:
            entry = self._queue.get()
            if entry is None:
                return
            item, attempt = entry
            try:
                if self.runner is None:
                    raise RuntimeError("ThreadedDispatcher has no runner attached")
                retry_in = self.runner(item, attempt)
                if retry_in is not None:
                    self._later(item, attempt + 1, retry_in)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued, running or waiting to retry; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._busy > 0 or self._timers > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

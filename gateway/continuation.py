"""A worker runs a message's follow-up stages itself instead of queueing each one.

Every stage used to be its own broker round trip: split, validate, acknowledge,
send_ack, translate, deliver — six hops per document, each waiting for a consumer to
poll (kombu's filesystem transport sleeps up to its polling interval between looks) and
queued behind every other document's earlier stages, so the first delivery came only
after every file had been split. Here a stage's follow-ups that are due now run in the
same worker thread right after it, depth-first: one broker message per received file.

What goes through the broker still: the first stage of a received file (from the API,
SFTP, ``ingest --queue``), retries with a delay (with their attempt number), and
anything dispatched outside a task. Reliability is unchanged: every stage commits its
own rows before its follow-ups run, the task is acknowledged late, and the scheduler's
stall recovery re-queues whatever a killed worker left half-way (as it did when the
crash fell between a commit and a publish).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from gateway.pipeline.dispatch import Dispatcher, Next
from gateway.pipeline.runner import run_stage

if TYPE_CHECKING:
    from gateway.pipeline.runtime import Runtime


class ContinuingDispatcher:
    """Wraps a worker's dispatcher: inside :meth:`run`, due follow-ups stay in the thread."""

    def __init__(self, inner: Dispatcher) -> None:
        self.inner = inner
        self._local = threading.local()

    def dispatch(self, items: Sequence[Next]) -> None:
        """Keep due items for this thread's chain; delayed ones (and calls outside a
        task) go to the wrapped dispatcher."""
        pending: deque[Next] | None = getattr(self._local, "pending", None)
        if pending is None:
            self.inner.dispatch(items)
            return
        later = [item for item in items if item.countdown]
        pending.extend(item for item in items if not item.countdown)
        if later:
            self.inner.dispatch(later)

    def run(
        self,
        runtime: Runtime,
        stage: str,
        args: tuple[Any, ...],
        attempt: int,
        retry_later: Callable[[Next, int, float], None],
    ) -> float | None:
        """Run a stage, then every follow-up it (and they) produce; returns the first
        stage's retry delay. A follow-up that must retry is handed to ``retry_later``
        with its next attempt number and delay."""
        pending: deque[Next] = deque()
        self._local.pending = pending
        try:
            retry_in = run_stage(runtime, stage, args, attempt)
            while pending:
                item = pending.popleft()
                delay = run_stage(runtime, item.stage, item.args, 1)
                if delay is not None:
                    retry_later(item, 2, delay)
        finally:
            self._local.pending = None
        return retry_in


def continuing(runtime: Runtime) -> ContinuingDispatcher:
    """The runtime's dispatcher, wrapped (once) so follow-ups continue in the thread."""
    if not isinstance(runtime.dispatcher, ContinuingDispatcher):
        runtime.dispatcher = ContinuingDispatcher(runtime.dispatcher)
    return runtime.dispatcher

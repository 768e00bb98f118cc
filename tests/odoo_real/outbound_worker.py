"""A worker process for the outbound kill tests: one scheduler round, killed at a step.

``python -m tests.odoo_real.outbound_worker STEP LOG`` runs what the Celery beat task
``gateway.outbound.poll`` runs (:func:`gateway.pipeline.outbound.run_scheduled`, the send
stage through the runner) with the settings from the environment, and SIGKILLs itself at
``STEP``:

- ``written``: the order is read from Odoo and written, its control numbers drawn, the
  transaction not yet committed;
- ``queued``: the queued order is committed, its send task not yet handed over;
- ``before-send``: the send stage runs, nothing has gone to the partner yet;
- ``after-send``: the partner has the file, the gateway has not recorded it;
- ``recording``: the gateway is recording the send (its transaction not committed);
- ``none``: no kill (the recovery run).

Every copy the transport accepted is appended to ``LOG`` as one JSON line (its sha256
and file name), so the test sees what the partner received across runs. The kill points
are test instrumentation wrapped around the gateway's own functions; the gateway code
is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from gateway.pipeline import outbound
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.process import build_process_runtime
from gateway.settings import Settings

STEPS = ("written", "queued", "before-send", "after-send", "recording", "none")


def die() -> None:
    """What a power cut or ``kill -9`` does: no cleanup, no commit."""
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class LoggingSender:
    """Wraps the partner's transport: logs each accepted copy, dies where told."""

    def __init__(self, inner: Any, step: str, log: Path) -> None:
        self.inner, self.step, self.log = inner, step, log

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        if self.step == "before-send":
            die()
        ref = str(self.inner.send(partner_id, filename, data, kind=kind))
        with self.log.open("a") as out:
            out.write(json.dumps({"sha256": hashlib.sha256(data).hexdigest(), "file": filename}))
            out.write("\n")
        if self.step == "after-send":
            die()
        return ref


def instrument(step: str, log: Path, runtime: Any) -> None:
    """Put the kill point for ``step`` in place."""
    if step == "written":
        write = outbound.write

        def write_then_die(*args: Any, **kwargs: Any) -> Any:
            write(*args, **kwargs)
            die()

        outbound.write = write_then_die  # type: ignore[assignment]
    elif step == "queued":
        dispatch = runtime.dispatcher.dispatch

        def dispatch_or_die(items: Any) -> None:
            if any(getattr(item, "stage", "") == "send_order" for item in items):
                die()
            dispatch(items)

        runtime.dispatcher.dispatch = dispatch_or_die
    elif step == "recording":
        move = outbound.move_order

        def move_then_die(session: Any, order: Any, reached: Any, detail: str) -> bool:
            moved = move(session, order, reached, detail)
            if reached is outbound.OrderCycle.SENT:
                session.flush()  # the rows are written, the transaction is not committed
                die()
            return moved

        outbound.move_order = move_then_die  # type: ignore[assignment]
    runtime.senders["sftp"] = LoggingSender(runtime.senders["sftp"], step, log)


def main() -> int:
    step, log = sys.argv[1], Path(sys.argv[2])
    if step not in STEPS:
        raise SystemExit(f"unknown step {step!r}; one of {', '.join(STEPS)}")
    runtime = build_process_runtime(Settings(), dispatcher=InlineDispatcher(), run_migrations=False)
    instrument(step, log, runtime)
    try:
        counts = outbound.run_scheduled(runtime)
        runtime.dispatcher.drain(max_wait=1)  # type: ignore[attr-defined]
        print(json.dumps(counts))
    finally:
        runtime.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

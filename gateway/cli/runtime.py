"""The pipeline runtime of one ``edi-gateway`` command, shared by the command modules."""

from __future__ import annotations

from gateway import heap
from gateway.pipeline.dispatch import CeleryDispatcher
from gateway.pipeline.runtime import Runtime
from gateway.settings import get_settings


def cli_runtime(*, queue: bool = False) -> Runtime:
    """A runtime for this CLI process: inline pipeline, or the broker with ``queue``."""
    # deferred: every stage and the transports (paramiko); only pipeline commands need them
    from gateway.process import build_process_runtime  # deferred: CLI start-up (see above)

    settings = get_settings()
    dispatcher = None
    if queue:
        from gateway.celery_app import app  # deferred: loads Celery; only --queue needs it

        dispatcher = CeleryDispatcher(app)
    runtime = build_process_runtime(settings, dispatcher=dispatcher)
    heap.settle()  # a command's configuration stays for its whole run (gateway.heap)
    return runtime

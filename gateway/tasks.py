"""Thin Celery tasks: each carries ids only and calls one pipeline function.

The runtime (engine, payload store, profiles and maps, the audit of profile versions) is
built once per worker process, when the process starts (Celery's ``worker_ready`` for the
threads and solo pools, ``worker_process_init`` in each prefork child), not in
its first task: building costs about a second of CPU (mostly parsing the YAML of the
profiles and maps), which the first file of every worker process otherwise paid.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Celery, Task, current_app
from celery.signals import worker_process_init, worker_ready

from gateway import heap
from gateway.continuation import continuing
from gateway.pipeline.dispatch import STAGES, CeleryDispatcher, Next
from gateway.pipeline.operations import recover_stalled
from gateway.pipeline.outbound import run_scheduled
from gateway.pipeline.profile_audit import record_profile_versions
from gateway.pipeline.runtime import Runtime
from gateway.process import build_process_runtime
from gateway.reconcile import reconcile
from gateway.reload import start_file_watcher
from gateway.settings import get_settings
from gateway.transports import poll_partner_now

log = logging.getLogger(__name__)
_runtime: Runtime | None = None
_lock = threading.Lock()
STAGE_TASK = "gateway.split"  # registered on every gateway app (see register)
_TaskFn = TypeVar("_TaskFn", bound=Callable[..., Any])


def _task(app: Celery, **options: Any) -> Callable[[_TaskFn], _TaskFn]:
    """``app.task(**options)`` with a type: Celery ships no annotations, so its own decorator
    would make every task function untyped. The task is registered on the app (workers and
    ``send_task`` find it by name); the decorated name stays the plain, typed function."""

    def register_task(fn: _TaskFn) -> _TaskFn:
        app.task(**options)(fn)
        return fn

    return register_task


def worker_runtime(app: Celery) -> Runtime:
    """The process's runtime, dispatching follow-up stages through this Celery app."""
    global _runtime  # noqa: PLW0603 - one runtime per worker process, built on first use
    with _lock:
        if _runtime is None:
            _runtime = build_process_runtime(get_settings(), dispatcher=CeleryDispatcher(app))
            start_file_watcher(_runtime, announce=False)
            record_profile_versions(_runtime)
            heap.settle()  # the configuration stays for the process's life (gateway.heap)
        return _runtime


def _build_at_start(app: Celery) -> None:
    """Start building the runtime of a gateway worker process before it takes a task.

    The build runs on a thread of its own: a prefork child must report itself up within
    ``worker_proc_alive_timeout`` (4 s) or the parent kills it, and the threads pool's
    consumer keeps serving the broker meanwhile. A task that arrives first waits for the
    build (``worker_runtime`` holds the lock); a failed build (the store not reachable
    yet) is logged and the first task tries again.
    """
    if STAGE_TASK not in app.tasks:
        return  # not a gateway app

    def build() -> None:
        try:
            worker_runtime(app)
        except Exception:
            log.exception("the worker's runtime did not build at start; the first task retries")

    threading.Thread(target=build, name="runtime-build", daemon=True).start()


def _on_worker_ready(sender: Any = None, **_: Any) -> None:
    """Threads and solo pools run tasks in the worker itself: build there, once the
    embedded beat (a forked child) has started, so it inherits no database connection.
    ``sender`` is the worker's consumer."""
    if sender is not None and not _forks(type(sender.pool)):
        _build_at_start(sender.app)


def _on_process_init(**_: Any) -> None:
    """Prefork: each child builds its own after the fork (no shared connections)."""
    _build_at_start(current_app._get_current_object())  # the proxy resolves in the child


worker_ready.connect(_on_worker_ready, weak=False)
worker_process_init.connect(_on_process_init, weak=False)


def _forks(pool_cls: type) -> bool:
    """Whether a worker's pool runs tasks in child processes (prefork)."""
    return pool_cls.__module__.endswith(".prefork")


def set_worker_runtime(runtime: Runtime | None) -> None:
    """Use a given runtime in this process (tests running an in-process worker)."""
    global _runtime  # noqa: PLW0603 - one runtime per worker process, built on first use
    with _lock:
        _runtime = runtime


def register(app: Celery) -> None:
    """Register the pipeline tasks and the maintenance tasks on an app."""

    def retry_later(item: Next, attempt: int, delay: float) -> None:
        # `retries` is what the task reads back as its attempt number (attempt - 1)
        app.send_task(
            f"gateway.{item.stage}", args=list(item.args), countdown=delay, retries=attempt - 1
        )

    def make(stage: str) -> None:
        @_task(
            app,
            name=f"gateway.{stage}",
            bind=True,
            acks_late=True,
            reject_on_worker_lost=True,
            ignore_result=True,
            max_retries=None,
            shared=False,
        )
        def stage_task(self: Task, *args: Any) -> None:
            runtime = worker_runtime(app)
            attempt = int(self.request.retries or 0) + 1
            retry_in = continuing(runtime).run(runtime, stage, tuple(args), attempt, retry_later)
            if retry_in is not None:
                raise self.retry(countdown=retry_in)

    for stage in STAGES:
        make(stage)

    @_task(app, name="gateway.recover_stalled", ignore_result=True, shared=False)
    def recover_stalled_task() -> int:
        return recover_stalled(worker_runtime(app))

    @_task(app, name="gateway.outbound.poll", ignore_result=True, shared=False)
    def outbound_poll_task() -> dict[str, int]:
        from gateway.pipeline.outbound_publish import publish_due  # deferred: worker start-up

        runtime = worker_runtime(app)
        counts = run_scheduled(runtime)
        # 846 on its schedule, 832 when the pricelist changed
        return {**counts, **publish_due(runtime).counts()}

    @_task(app, name="gateway.reconcile", ignore_result=True, shared=False)
    def reconcile_task() -> int:
        return len(reconcile(worker_runtime(app)).findings)

    @_task(app, name="gateway.sftp.poll", ignore_result=True, acks_late=True, shared=False)
    def sftp_poll_task(partner_id: str) -> None:
        poll_partner_now(worker_runtime(app), partner_id)

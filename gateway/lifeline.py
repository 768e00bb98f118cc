"""Processes that die with the process that started them (Linux ``PR_SET_PDEATHSIG``).

``edi-gateway run`` starts the Celery worker in a session of its own (so the worker, its
pool and its embedded scheduler stop as one process group), and the worker forks the
embedded scheduler (Celery beat). When ``run`` stops normally it stops them; when it is
killed outright (the OOM killer, ``kill -9``) nothing would: the worker would go on taking
work with the old configuration, and the next ``run`` would start a second scheduler
beside the orphaned one, firing every scheduled task twice. So each asks the kernel for a
SIGTERM when its parent dies: the worker (told its parent's pid in
:data:`PARENT_PID_ENV` by ``run``) stops as on a TERM, and the scheduler follows the
worker. Elsewhere (not Linux, no libc) this does nothing and says so in the log.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
from typing import Any

from celery.signals import beat_embedded_init, worker_init

log = logging.getLogger(__name__)

#: set by ``edi-gateway run`` on the worker it starts: the pid whose death stops the worker
PARENT_PID_ENV = "EDIGW_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, sig: signal.Signals = signal.SIGTERM) -> bool:
    """Have the kernel send ``sig`` to this process when its parent dies; when the parent
    (``parent_pid``) is gone already, send it now. False where the kernel cannot."""
    if not sys.platform.startswith("linux"):
        log.info("not Linux: this process does not stop with its parent (%s)", parent_pid)
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    except OSError as exc:
        log.warning("this process will not stop with its parent (%s): %s", parent_pid, exc)
        return False
    if os.getppid() != parent_pid:  # the parent died before the request was in place
        os.kill(os.getpid(), sig)
    return True


_worker_pid: int | None = None  # set in the worker; a scheduler it forks inherits it


def _on_worker_init(**_: Any) -> None:
    """The worker started by ``run``: stop when ``run`` dies."""
    global _worker_pid  # noqa: PLW0603 - one worker per process, read by its forked scheduler
    _worker_pid = os.getpid()
    parent = os.environ.get(PARENT_PID_ENV, "")
    if parent.isdigit():
        die_with_parent(int(parent))


def _on_beat_embedded_init(**_: Any) -> None:
    """The scheduler a worker forked (``--beat``, a billiard process): stop when that
    worker dies."""
    if _worker_pid is not None and _worker_pid != os.getpid():
        die_with_parent(_worker_pid)


def connect() -> None:
    """Hook both into Celery's start-up signals (once, however often called)."""
    worker_init.connect(_on_worker_init, weak=False, dispatch_uid="edigw-lifeline-worker")
    beat_embedded_init.connect(
        _on_beat_embedded_init, weak=False, dispatch_uid="edigw-lifeline-beat"
    )

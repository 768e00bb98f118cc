"""``edi-gateway as2``: the AS2 endpoint alone, on a port of its own, in several processes.

The console's server (``edi-gateway api``, ``run``) answers ``POST /as2`` beside the REST
API and the pages. The AS2 listener is for a site that wants more of either:

* **exposure**: partners reach only ``POST /as2`` (and ``GET /healthz`` for a load
  balancer); everything else answers 404, so the port can face the internet while the
  console stays on an internal address;
* **throughput**: every process takes one message at a time on its event loop's own
  thread (:class:`~gateway.as2.http.As2Endpoint` with ``inline``), as a synchronous
  worker would, and the kernel spreads the connections over the processes. No thread
  pool, so no thread hands the GIL to another each time the crypto library releases it
  (about ten times per message on the console's pool), and no console middleware or
  routing: per message the listener spends a quarter to two fifths more CPU than the
  crypto itself (it depends on the host), where the console's server spends over half
  more, and on two cores it takes 1.6-1.9 times the console's messages per second
  (bench/README.md, "The AS2 listener").

``--processes`` (``EDIGW_AS2_PROCESSES``; default: one per CPU this process may use) is
how many messages are unpacked at once. A process waiting on the store holds only its
own message; raise the count when the store's latency, not the CPU, limits the rate.

uvicorn runs the processes (its ``workers``): it restarts one that dies, stops them all
on SIGTERM/SIGINT and restarts them on SIGHUP (with one process, uvicorn serves in the
parent itself and SIGHUP ends it, as for ``api``). The parent runs the database migrations
once before starting them; each process builds its own runtime, follows profile reloads
like every other process (the reload generation in the store) and stops when the parent
dies, even when the parent is killed (:func:`gateway.lifeline.die_with_parent`).

The processes are forked from the parent once it has imported what they run and frozen
its heap (:func:`fork_workers`), not spawned as fresh interpreters that import it all
again: they share those pages, and of a process's ~125 MB resident ~45 MB is its own
(three processes took 247 MB in all by proportional set size, 442 MB spawned).
"""

from __future__ import annotations

import importlib
import logging
import math
import multiprocessing
import os
from pathlib import Path
from typing import Any

from gateway import heap
from gateway.as2.listener import As2App
from gateway.lifeline import PARENT_PID_ENV, die_with_parent
from gateway.settings import Settings, get_settings
from gateway.store.db import open_store

#: set by the listener's parent for its processes: the pid whose death stops them
LISTENER_PID_ENV = "EDIGW_AS2_LISTENER_PID"
#: the import string uvicorn's processes build the app from
APP_FACTORY = "gateway.as2_server:create_app"
#: what a listener process imports (:func:`create_app`, uvicorn's HTTP protocol and event
#: loop), imported by the parent before it forks them
APP_MODULES = (
    "gateway.celery_app",
    "gateway.pipeline.dispatch",
    "gateway.process",
    "gateway.transports",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.loops.uvloop",
)
#: how uvicorn runs a listener process (the benchmarks start theirs the same way): no
#: websockets, no lifespan (the runtime is built before the app), and no ``server:
#: uvicorn`` header on a port that may face the internet
UVICORN_OPTIONS: dict[str, Any] = {"ws": "none", "lifespan": "off", "server_header": False}
log = logging.getLogger(__name__)


def create_app() -> As2App:
    """One listener process's app (uvicorn's factory): its own runtime and receiver.

    Migrations are the parent's job (:func:`serve`); this process stops when the parent
    dies.
    """
    from gateway.celery_app import app as celery_app  # deferred: importing it builds the Celery app
    from gateway.pipeline.dispatch import CeleryDispatcher  # deferred: with the Celery app
    from gateway.process import build_process_runtime  # deferred: only the listener's processes
    from gateway.transports import make_as2_receiver  # deferred: only the listener's processes

    parent = os.environ.get(LISTENER_PID_ENV, "")
    if parent.isdigit() and int(parent) != os.getpid():
        die_with_parent(int(parent))
    runtime = build_process_runtime(
        get_settings(), dispatcher=CeleryDispatcher(celery_app), run_migrations=False
    )
    receiver = make_as2_receiver(runtime)  # now: this process exists to receive AS2
    heap.settle()  # the configuration stays for the process's life (gateway.heap)
    return As2App(lambda: receiver, runtime.settings.max_payload_bytes)


def process_count(requested: int | None, settings: Settings) -> int:
    """``--processes``, else ``EDIGW_AS2_PROCESSES``; 0 means one per CPU this process
    may use (:func:`usable_cpus`)."""
    count = requested if requested is not None else settings.as2_processes
    if count < 0:
        raise ValueError(f"the AS2 listener needs at least one process, not {count}")
    return count or usable_cpus()


def usable_cpus(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """CPUs this process may run on: its affinity mask, capped by a cgroup v2 CPU quota
    (a container's ``--cpus``), which ``os.cpu_count()`` ignores: in a container on a
    64-core host it would start 64 processes for a quota of two CPUs."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        count = os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):  # no cgroup v2 file here, or not in its format
        return max(1, count)
    if quota != "max" and quota.isdigit() and period.isdigit() and int(period) > 0:
        count = min(count, math.ceil(int(quota) / int(period)))
    return max(1, count)


def serve(settings: Settings, *, host: str, port: int, processes: int) -> None:
    """Run the listener until SIGTERM/SIGINT: migrations once, then ``processes``
    uvicorn processes on one socket."""
    import uvicorn

    parent = os.environ.get(PARENT_PID_ENV, "")
    if parent.isdigit():  # started by `edi-gateway run`: stop when it dies
        die_with_parent(int(parent))
    open_store(settings).dispose()  # migrations once, before the processes start
    os.environ[LISTENER_PID_ENV] = str(os.getpid())
    if processes > 1:
        fork_workers()
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=processes,
        log_level="info",
        access_log=settings.as2_access_log,
        **UVICORN_OPTIONS,
    )


def fork_workers() -> bool:
    """Have uvicorn fork its worker processes from this one, after importing what they run
    (:data:`APP_MODULES`) and freezing the heap (:func:`gateway.heap.settle`), instead of
    spawning fresh interpreters: the workers then share the imported code and data with
    the parent until they write to it. Call it in the parent, with no thread running but
    the main one, before ``uvicorn.run``. False, and uvicorn spawns as before (each
    process importing everything again), when this uvicorn starts processes some other
    way than through ``uvicorn._subprocess.spawn``.
    """
    from uvicorn import _subprocess

    if not isinstance(getattr(_subprocess, "spawn", None), multiprocessing.context.BaseContext):
        log.warning("this uvicorn starts its processes its own way: each imports everything")
        return False
    for name in APP_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # not installed (uvloop, httptools): the process does without
            continue
    heap.settle()
    # uvicorn takes its processes from this context; fork copies only this thread
    _subprocess.spawn = multiprocessing.get_context("fork")  # type: ignore[assignment]
    return True

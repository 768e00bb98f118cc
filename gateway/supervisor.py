"""``edi-gateway run``: every part of the gateway on one machine, as one process group.

The ``run`` process serves HTTP (API, console, ``/as2``) and the hosted SFTP server on
threads, and starts the pipeline worker (Celery, with the scheduler embedded) as a child
in its own session; with ``EDIGW_AS2_PORT`` (or ``--as2-port``) also the AS2 listener
(``edi-gateway as2``, :mod:`gateway.as2.listener`), the same way. It owns the signals for
all of them:

* ``SIGTERM`` / ``SIGINT``: stop accepting (HTTP, SFTP), ask the worker's whole process
  group to stop, and kill what is still there after ``EDIGW_SHUTDOWN_TIMEOUT_SECONDS``.
  uvicorn runs on a thread, so its own handlers (which re-raise the signal and skip any
  cleanup) are never installed.
* ``SIGHUP``: reload partner profiles and maps here and tell every other process of the
  gateway to reload too (:mod:`gateway.reload`).

The worker runs with the data directory as its working directory, so nothing kombu or
Celery writes relative to the current directory lands outside it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from gateway import heap
from gateway.api.app import create_app
from gateway.lifeline import PARENT_PID_ENV
from gateway.pipeline.dispatch import CeleryDispatcher
from gateway.process import build_process_runtime
from gateway.reload import reload_everywhere, start_file_watcher
from gateway.settings import Settings
from gateway.transports import make_sftp_server

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Binding:
    """Where ``run`` listens (settings, overridden by command-line options)."""

    http_host: str
    http_port: int
    sftp_host: str
    sftp_port: int
    as2_host: str = ""
    as2_port: int = 0  # 0: no AS2 listener (AS2 on the HTTP port only)

    @classmethod
    def resolve(
        cls,
        settings: Settings,
        *,
        host: str | None = None,
        http_port: int | None = None,
        sftp_host: str | None = None,
        sftp_port: int | None = None,
        as2_port: int | None = None,
    ) -> Binding:
        """Options win over ``EDIGW_HTTP_*`` / ``EDIGW_SFTP_*`` / ``EDIGW_AS2_*``;
        ``--host`` sets every host unless ``--sftp-host`` or ``EDIGW_AS2_HOST`` is given."""
        return cls(
            http_host=host or settings.http_host,
            http_port=http_port if http_port is not None else settings.http_port,
            sftp_host=sftp_host or host or settings.sftp_host,
            sftp_port=sftp_port if sftp_port is not None else settings.sftp_port,
            as2_host=settings.as2_host or host or settings.http_host,
            as2_port=as2_port if as2_port is not None else settings.as2_port,
        )


def worker_command(settings: Settings, workers: int, *, beat: bool = True) -> list[str]:
    """The Celery worker (threads pool, scheduler embedded) that ``run`` starts."""
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "gateway.celery_app",
        "worker",
        "--loglevel",
        "INFO",
        "-Q",
        settings.queue_name,
        "--pool",
        "threads",
        "--concurrency",
        str(workers),
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    if beat:
        cmd += ["--beat", "-s", str(settings.data_dir / "celerybeat-schedule")]
    return cmd


class Supervisor:
    """Runs HTTP and SFTP on threads and the worker as a child; handles the signals."""

    def __init__(self, settings: Settings, binding: Binding, *, workers: int = 2) -> None:
        self.settings = settings
        self.binding = binding
        self.workers = workers
        self.children: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._exit_code = 0

    # ---- signals ------------------------------------------------------------------
    def _on_stop(self, signum: int, _frame: Any) -> None:
        log.info("received %s: shutting down", signal.Signals(signum).name)
        self._stop.set()

    def _on_hup(self, _signum: int, _frame: Any) -> None:
        self._reload.set()

    def install_signals(self) -> None:
        """TERM/INT stop everything; HUP reloads profiles and maps."""
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)

    # ---- children -----------------------------------------------------------------
    def start_worker(self) -> subprocess.Popen[bytes]:
        """The Celery worker in its own session, so its pool and beat can be stopped as
        one process group; working directory = the data directory."""
        return self._start(worker_command(self.settings, self.workers))

    def start_as2_listener(self) -> subprocess.Popen[bytes]:
        """The AS2 listener (``edi-gateway as2``) and its processes, as one group."""
        host, port = self.binding.as2_host, str(self.binding.as2_port)
        return self._start(
            [sys.executable, "-m", "gateway.cli.main", "as2", "--host", host, "--port", port]
        )

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        """A child in its own session (stopped as one process group), working directory
        = the data directory, stopping when this process dies."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        child = subprocess.Popen(  # noqa: S603 - our own commands, no shell, no partner input
            command,
            cwd=self.settings.data_dir,
            start_new_session=True,
            # the child stops when this process dies, even when killed (gateway.lifeline)
            env={**os.environ, PARENT_PID_ENV: str(os.getpid())},
        )
        self.children.append(child)
        return child

    def stop_children(self) -> None:
        """TERM each child's process group, then KILL whatever is left at the deadline."""
        deadline = time.monotonic() + self.settings.shutdown_timeout_seconds
        for child in self.children:
            _signal_group(child.pid, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("child %s did not stop in time: killing it", child.pid)
            # the group may outlive its leader (beat, pool processes): kill the rest
            _signal_group(child.pid, signal.SIGKILL)
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - KILL does not fail
                log.error("child %s survived SIGKILL", child.pid)

    # ---- the loop -----------------------------------------------------------------
    def serve(self) -> int:
        """Run until TERM/INT (or a part dies); returns the exit code."""
        import uvicorn

        from gateway import celery_app  # deferred: importing it builds the Celery app

        self.install_signals()
        runtime = build_process_runtime(self.settings, dispatcher=CeleryDispatcher(celery_app.app))
        heap.settle()  # the configuration stays for the process's life (gateway.heap)
        sftp = make_sftp_server(runtime, host=self.binding.sftp_host, port=self.binding.sftp_port)
        sftp.start()
        config = uvicorn.Config(
            create_app(runtime),
            host=self.binding.http_host,
            port=self.binding.http_port,
            log_level="info",
            access_log=self.settings.http_access_log,
        )
        server = uvicorn.Server(config)
        http = threading.Thread(target=server.run, name="http", daemon=True)
        http.start()
        worker = self.start_worker()
        listener = self.start_as2_listener() if self.binding.as2_port else None
        watcher = start_file_watcher(runtime, self._stop)
        as2 = (
            f"  AS2 listener on http://{self.binding.as2_host}:{self.binding.as2_port}/as2"
            if listener
            else ""
        )
        print(
            f"edi-gateway HTTP on http://{self.binding.http_host}:{self.binding.http_port}"
            f"  SFTP on {self.binding.sftp_host}:{sftp.port}{as2}  worker pid {worker.pid}",
            flush=True,
        )
        try:
            while not self._stop.is_set():
                self._stop.wait(0.5)
                if self._reload.is_set():
                    self._reload.clear()

                    report = reload_everywhere(runtime, actor="signal:SIGHUP")
                    print(report.summary(), flush=True)
                stopped = _first_exited({"worker": worker, "AS2 listener": listener})
                if stopped is not None:
                    name, code = stopped
                    log.error("the %s exited (%s): stopping", name, code)
                    print(f"edi-gateway: the {name} exited ({code})", flush=True)
                    self._exit_code = 1
                    break
                if not http.is_alive():
                    print("edi-gateway: the HTTP server stopped", flush=True)
                    self._exit_code = 1
                    break
        finally:
            server.should_exit = True
            sftp.stop()
            self.stop_children()
            http.join(timeout=max(1.0, self.settings.shutdown_timeout_seconds))
            if watcher is not None:
                watcher.join(timeout=2)
        return self._exit_code


def _first_exited(
    children: dict[str, subprocess.Popen[bytes] | None],
) -> tuple[str, int] | None:
    """The name and exit code of the first of ``children`` that has exited, if any."""
    for name, child in children.items():
        if child is not None and child.poll() is not None:
            return name, child.returncode
    return None


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)

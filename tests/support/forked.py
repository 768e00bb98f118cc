"""Worker processes forked from a server that imported the gateway once.

The kill tests start a worker process per transaction and kill some of them with
SIGKILL. Started with ``python -m``, each spends about 1.5 s importing the gateway before
it does anything; against a real Odoo that was a third of a case. Here they are forked
from multiprocessing's fork server instead, which imports the worker's module once
(``preload``) and nothing else: no thread, no connection, no pytest state. Each child is
still a process of its own, with its own environment, database connections and Odoo
client, killed as a Celery worker's process would be.

:class:`ForkedProcess` is what the tests use of :class:`subprocess.Popen` (``pid``,
``poll``, ``wait``, ``communicate``, ``returncode``); the child's stdout and stderr go to a
file, read back by :meth:`ForkedProcess.communicate`.
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

_PRELOAD: list[str] = []


def _child(env: Mapping[str, str], argv: Sequence[str], output: str, target: str) -> None:
    """In the forked process: this environment and argv, output to ``output``, then
    ``module:function``; its return value is the exit status."""
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = list(argv)
    module, _, function = target.partition(":")
    main = getattr(importlib.import_module(module), function)
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


class ForkedProcess:
    """A forked child, seen as much like :class:`subprocess.Popen` as the tests need."""

    def __init__(self, process: multiprocessing.process.BaseProcess, output: Path) -> None:
        self._process = process
        self._output = output

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        """The exit status, or None while it runs."""
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child; :class:`subprocess.TimeoutExpired` when it outlives
        ``timeout``."""
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(f"forked {self.pid}", timeout or 0)
        return self._process.exitcode

    def communicate(self, timeout: float | None = None) -> tuple[bytes, None]:
        """Wait for the child and give what it wrote (stdout and stderr together)."""
        self.wait(timeout)
        return self.output(), None

    def output(self) -> bytes:
        """What the child has written so far."""
        try:
            return self._output.read_bytes()
        except FileNotFoundError:
            return b""


class Forker:
    """Forks children that run ``target`` (``module:function``) from a fork server that
    imported ``module`` once."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._context = multiprocessing.get_context("forkserver")
        # one fork server per process: it preloads what every Forker made before it
        # starts asked for (test modules make theirs at import, before any test runs)
        _PRELOAD.append(target.partition(":")[0])
        self._context.set_forkserver_preload(list(_PRELOAD))
        self._outputs: Path | None = None  # made at the first start, gone at exit
        self._count = 0

    def start(self, argv: Sequence[str], env: Mapping[str, str]) -> ForkedProcess:
        """A running child with exactly ``env`` as its environment and ``argv`` as
        ``sys.argv``."""
        if self._outputs is None:
            self._outputs = Path(tempfile.mkdtemp(prefix="forked-"))
            atexit.register(shutil.rmtree, self._outputs, ignore_errors=True)
        self._count += 1
        output = self._outputs / f"{self._count}.log"
        process = self._context.Process(
            target=_child, args=(dict(env), list(argv), str(output), self.target)
        )
        process.start()
        return ForkedProcess(process, output)

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Start a child and wait for it, as :func:`subprocess.run` with
        ``capture_output=True, text=True`` would (stdout carries stderr too)."""
        child = self.start(argv, env)
        out, _ = child.communicate(timeout)
        return subprocess.CompletedProcess(
            list(argv), child.wait(), out.decode(errors="replace"), ""
        )

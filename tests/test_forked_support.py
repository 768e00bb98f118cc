"""The kill tests' forked worker processes (tests/support/forked.py) behave as the
subprocesses they replace: exactly the given environment and argv, the exit status of
the target, its output, and -9 when SIGKILLed."""

from __future__ import annotations

import os
import signal
import sys
import time

from tests.support.forked import Forker

WORKERS = Forker("tests.test_forked_support:probe")


def probe() -> int:
    """The child: prints what it was given, then exits with argv[1], or waits when told."""
    print(f"argv={sys.argv} env={sorted(os.environ.items())} pid={os.getpid()}", flush=True)
    if sys.argv[1] == "wait":
        time.sleep(60)
    return int(sys.argv[1])


def test_a_child_gets_exactly_its_environment_and_argv_and_gives_its_exit_status() -> None:
    done = WORKERS.run(["probe", "3"], {"EDIGW_X": "1"}, timeout=60)
    assert done.returncode == 3
    assert "argv=['probe', '3'] env=[('EDIGW_X', '1')]" in done.stdout
    assert f"pid={os.getpid()}" not in done.stdout  # a process of its own


def test_a_child_killed_with_sigkill_reports_minus_nine() -> None:
    child = WORKERS.start(["probe", "wait"], {})
    deadline = time.monotonic() + 30
    while b"argv=" not in child.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert child.poll() is None
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(30) == -signal.SIGKILL
    assert child.returncode == -signal.SIGKILL

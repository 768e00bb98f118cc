"""A Celery worker with the embedded scheduler (``--beat``, as ``run`` starts it) killed
outright takes its scheduler with it: an orphaned scheduler beside the next worker's
would fire every scheduled task twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.settings import Settings
from gateway.supervisor import worker_command
from tests.ops.gateway_process import alive, descendants, gateway_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"),
]


def test_a_worker_killed_outright_leaves_no_scheduler(tmp_path: Path) -> None:
    env = gateway_env(tmp_path)
    settings = Settings(data_dir=tmp_path / "var")
    settings.data_dir.mkdir(parents=True)
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            worker_command(settings, 1), env=env, cwd=settings.data_dir, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    scheduler = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not descendants(worker.pid):
            assert worker.poll() is None, log.read_text(errors="replace")
            time.sleep(0.2)
        [scheduler] = descendants(worker.pid)
        # when the worker is killed without a chance to stop its scheduler
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        # then the scheduler stops too
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and alive(scheduler):
            time.sleep(0.2)
        assert not alive(scheduler), f"the scheduler {scheduler} outlived its worker"
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        if scheduler and alive(scheduler):
            os.kill(scheduler, signal.SIGKILL)

"""``edi-gateway run`` killed outright (SIGKILL: the OOM killer, ``kill -9``) takes its
worker and the worker's embedded scheduler with it: an orphaned worker would keep taking
work with the old configuration, and a second scheduler beside the next ``run``'s would
fire every scheduled task twice."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest

from tests.ops.gateway_process import alive, descendants, running_gateway

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"),
]


def test_run_killed_outright_leaves_no_worker_or_scheduler(tmp_path: Path) -> None:
    with running_gateway(tmp_path) as gw:
        children = descendants(gw.process.pid)
        assert len(children) >= 2, "the worker and its embedded scheduler run below `run`"
        # when run is killed without a chance to stop its children
        gw.process.send_signal(signal.SIGKILL)
        gw.process.wait(timeout=10)
        # then the worker stops (within its shutdown timeout) and the scheduler with it
        deadline = time.monotonic() + 10 + 15
        while time.monotonic() < deadline and any(alive(pid) for pid in children):
            time.sleep(0.2)
        survivors = [pid for pid in children if alive(pid)]
        assert survivors == [], f"still running after run was killed: {survivors}"

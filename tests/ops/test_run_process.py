"""``edi-gateway run`` as an operator runs it: ports from the settings, signals, data dir.

Findings 1 and 2 of issue 18: ``run`` ignored ``EDIGW_*_HOST/PORT``; SIGTERM orphaned the
worker and the scheduler; kombu wrote ``control/`` into the current directory.
"""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from gateway.settings import Settings
from gateway.supervisor import Binding
from tests.ops.gateway_process import (
    alive,
    descendants,
    free_port,
    gateway_env,
    running_gateway,
)

pytestmark = pytest.mark.slow


def test_options_override_settings_and_host_sets_both() -> None:
    settings = Settings(http_host="10.0.0.1", http_port=1, sftp_host="10.0.0.2", sftp_port=2)
    # no AS2 listener unless a port is set; it binds where HTTP does unless told otherwise
    assert Binding.resolve(settings) == Binding("10.0.0.1", 1, "10.0.0.2", 2, "10.0.0.1", 0)
    assert Binding.resolve(settings, http_port=5, sftp_port=6, as2_port=7) == Binding(
        "10.0.0.1", 5, "10.0.0.2", 6, "10.0.0.1", 7
    )
    assert Binding.resolve(settings, host="127.0.0.9") == Binding(
        "127.0.0.9", 1, "127.0.0.9", 2, "127.0.0.9", 0
    )
    assert Binding.resolve(settings, host="127.0.0.9", sftp_host="::1").sftp_host == "::1"
    with_as2 = Settings(http_host="10.0.0.1", as2_host="0.0.0.0", as2_port=4080)  # noqa: S104
    assert (Binding.resolve(with_as2).as2_host, Binding.resolve(with_as2).as2_port) == (
        "0.0.0.0",  # noqa: S104 - the setting, not a bind
        4080,
    )
    assert Binding.resolve(with_as2, host="127.0.0.9", as2_port=0).as2_port == 0


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_binds_configured_ports_and_term_leaves_no_child(tmp_path: Path) -> None:
    # given ports chosen through the environment only
    http_port, sftp_port = free_port(), free_port()
    env = gateway_env(
        tmp_path,
        EDIGW_HTTP_PORT=str(http_port),
        EDIGW_SFTP_PORT=str(sftp_port),
        EDIGW_HTTP_HOST="127.0.0.1",
        EDIGW_SFTP_HOST="127.0.0.1",
    )
    with running_gateway(tmp_path, env=env) as gw:
        # then both servers listen where the settings say
        assert httpx.get(f"http://127.0.0.1:{http_port}/healthz").json() == {"status": "ok"}
        with socket.create_connection(("127.0.0.1", sftp_port), timeout=5) as sock:
            assert sock.recv(64).startswith(b"SSH-2.0-")
        assert not _accepts(8080) or gw.http_port == 8080
        children = descendants(gw.process.pid)
        assert len(children) >= 2, "the worker and its embedded scheduler run below `run`"
        # when run gets SIGTERM
        gw.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = gw.process.wait(timeout=30)
        took = time.monotonic() - started
        # then it exits cleanly and no process it started survives (checked by PID)
        assert code == 0, gw.output()
        time.sleep(0.5)
        survivors = [pid for pid in children if alive(pid)]
        assert survivors == [], f"still running after TERM: {survivors}"
        assert took < 10 + 5, "stopped within the shutdown timeout"
        # and nothing was written into the working directory (kombu's control/ folder)
        assert list(gw.cwd.iterdir()) == []
        assert (tmp_path / "var" / "broker" / "control").is_dir()


def test_run_command_line_ports_win(tmp_path: Path) -> None:
    env = gateway_env(tmp_path, EDIGW_HTTP_PORT=str(free_port()), EDIGW_SFTP_PORT="1")
    http_port, sftp_port = free_port(), free_port()
    with running_gateway(
        tmp_path,
        "--http-port",
        str(http_port),
        "--sftp-port",
        str(sftp_port),
        env=env,
        http_port=http_port,
    ) as gw:
        assert httpx.get(f"{gw.url}/healthz").status_code == 200
        assert _accepts(sftp_port)
        # SIGINT (Ctrl-C) stops everything too
        children = descendants(gw.process.pid)
        gw.process.send_signal(signal.SIGINT)
        assert gw.process.wait(timeout=30) == 0
        time.sleep(0.5)
        assert [pid for pid in children if alive(pid)] == []

"""Start ``edi-gateway run`` as a real process for tests, and inspect its process tree."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ADMIN_KEY = "ops-test-admin-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (children, grandchildren ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        nxt = {child for child, parent in parents.items() if parent in frontier}
        nxt -= found
        found |= nxt
        frontier = nxt
    return found


def alive(pid: int) -> bool:
    """True when the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Gateway:
    """A running ``edi-gateway run``."""

    process: subprocess.Popen[bytes]
    env: dict[str, str]
    http_port: int
    sftp_port: int
    cwd: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run another ``edi-gateway`` command against the same data directory."""
        return subprocess.run(
            [sys.executable, "-m", "gateway.cli.main", *args],
            check=False,
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def gateway_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env.update(
        EDIGW_DATA_DIR=str(tmp_path / "var"),
        EDIGW_ADMIN_API_KEY=ADMIN_KEY,
        EDIGW_SHUTDOWN_TIMEOUT_SECONDS="10",
        EDIGW_RELOAD_CHECK_SECONDS="0.5",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@contextmanager
def running_gateway(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, http_port: int | None = None
) -> Iterator[Gateway]:
    """``edi-gateway run`` started from an empty working directory; TERM on exit."""
    env = env or gateway_env(tmp_path)
    cwd = tmp_path / "cwd"
    cwd.mkdir(exist_ok=True)
    log = tmp_path / "run.log"
    env.setdefault("EDIGW_HTTP_PORT", str(free_port()))
    env.setdefault("EDIGW_SFTP_PORT", str(free_port()))
    http = http_port or int(env["EDIGW_HTTP_PORT"])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli.main", "run", *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    gateway = Gateway(process, env, http, int(env.get("EDIGW_SFTP_PORT", "0")), cwd, log)
    try:
        wait_healthy(gateway)
        yield gateway
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in descendants(process.pid):
                    os.kill(pid, signal.SIGKILL)
                process.kill()
                process.wait()


def wait_healthy(gateway: Gateway, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gateway.process.poll() is not None:
            raise AssertionError(f"edi-gateway run exited:\n{gateway.output()}")
        try:
            healthy = httpx.get(gateway.url + "/healthz", timeout=1).status_code == 200
            if healthy and "ready." in gateway.output():  # the worker logs "ready."
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"edi-gateway run did not come up:\n{gateway.output()}")

"""The AS2 listener's app (``edi-gateway as2``): what it serves, and that it serves inline.

Every AS2 test with the ``endpoint`` fixture also runs against this app (tests/as2/
conftest.py); these are what only the listener does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from gateway.as2.listener import As2App
from gateway.as2.receiver import As2Receiver, As2Response
from gateway.as2_server import process_count, usable_cpus
from gateway.settings import Settings

from .as2_helpers import ServerThread


@dataclass
class ThreadRecordingReceiver:
    """Answers every message; records the thread each call ran on."""

    limit: int = 1000
    threads: list[str] = field(default_factory=list)
    refused: list[tuple[int, int]] = field(default_factory=list)

    def body_limit(self, headers: Mapping[str, str]) -> int:
        return self.limit

    def refuse_oversized(self, headers: Mapping[str, str], size: int, limit: int) -> None:
        self.threads.append(threading.current_thread().name)
        self.refused.append((size, limit))

    def handle(self, headers: Mapping[str, str], body: bytes) -> As2Response:
        self.threads.append(threading.current_thread().name)
        return As2Response(200, {"Content-Type": "text/plain"}, b"taken " + body[:5])


@pytest.fixture
def listener() -> Any:
    receiver = ThreadRecordingReceiver()
    with ServerThread(As2App(lambda: cast(As2Receiver, receiver), 10_000)) as server:
        server.thread.name = "listener-loop"
        yield server, receiver


def test_the_receiver_runs_on_the_event_loop_thread_one_message_at_a_time(listener: Any) -> None:
    server, receiver = listener
    with httpx.Client(base_url=server.url) as client:
        answers = [client.post("/as2", content=f"msg-{n}".encode()) for n in range(3)]
        too_big = client.post("/as2", content=b"x" * 1001)
    assert [a.content for a in answers] == [b"taken msg-0", b"taken msg-1", b"taken msg-2"]
    assert too_big.status_code == 413
    assert receiver.refused == [(1001, 1000)]
    # no thread pool: every call on the loop's own thread
    assert receiver.threads == ["listener-loop"] * 4


def test_only_post_as2_and_healthz_are_served(listener: Any) -> None:
    server, receiver = listener
    with httpx.Client(base_url=server.url) as client:
        health = client.get("/healthz")
        head = client.head("/healthz")
        get_as2 = client.get("/as2")
        post_health = client.post("/healthz")
        console = client.get("/api/v1/messages")
        root = client.post("/")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == health.headers["content-length"]
    assert (get_as2.status_code, get_as2.headers["allow"]) == (405, "POST")
    assert (post_health.status_code, post_health.headers["allow"]) == (405, "GET, HEAD")
    assert console.status_code == root.status_code == 404
    assert console.text == "this port serves POST /as2 only"
    for answer in (health, get_as2, console):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
    assert receiver.threads == []  # none of these reached the receiver


def test_lifespan_is_answered() -> None:
    app = As2App(lambda: cast(As2Receiver, ThreadRecordingReceiver()), 10)
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_process_count_option_setting_and_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gateway.as2_server.usable_cpus", lambda: 6)
    assert process_count(None, Settings(as2_processes=3)) == 3
    assert process_count(2, Settings(as2_processes=3)) == 2
    assert process_count(None, Settings()) == 6  # 0: one per CPU
    assert process_count(0, Settings(as2_processes=3)) == 6
    with pytest.raises(ValueError, match="at least one process, not -1"):
        process_count(-1, Settings())


def test_an_as2_answer_carries_the_security_headers_too(listener: Any) -> None:
    server, _receiver = listener
    with httpx.Client(base_url=server.url) as client:
        taken, too_big = client.post("/as2", content=b"x"), client.post("/as2", content=b"x" * 1001)
    for answer in (taken, too_big):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert taken.headers["content-type"] == "text/plain"  # the receiver's own headers stay


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [
        (None, 8),  # no cgroup v2 file: the affinity mask
        ("max 100000\n", 8),  # no quota
        ("200000 100000\n", 2),  # docker --cpus 2
        ("150000 100000\n", 2),  # 1.5 CPUs: two processes
        ("50000 100000\n", 1),
        ("1600000 100000\n", 8),  # a quota above the mask: the mask
        ("garbage\n", 8),
        ("-1 0\n", 8),
    ],
)
def test_usable_cpus_follows_the_cgroup_quota(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpu_max: str | None, expected: int
) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: set(range(8)))
    path = tmp_path / "cpu.max"
    if cpu_max is not None:
        path.write_text(cpu_max)
    assert usable_cpus(path) == expected


def test_fork_workers_has_uvicorn_fork_and_says_so_when_it_cannot(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """uvicorn takes its processes from ``uvicorn._subprocess.spawn``: after
    ``fork_workers`` that is a fork context (with the app's modules imported); an uvicorn
    without it keeps starting processes its own way, and the log says so."""
    import multiprocessing
    import sys

    from uvicorn import _subprocess

    from gateway import as2_server

    monkeypatch.setattr(as2_server.heap, "settle", lambda: None)  # not this test process's
    monkeypatch.setattr(_subprocess, "spawn", multiprocessing.get_context("spawn"))
    assert as2_server.fork_workers() is True
    assert _subprocess.spawn.get_start_method() == "fork"
    assert "gateway.transports" in sys.modules

    monkeypatch.delattr(_subprocess, "spawn")
    with caplog.at_level("WARNING", logger="gateway.as2_server"):
        assert as2_server.fork_workers() is False
    assert "starts its processes its own way" in caplog.text

"""A Celery worker process builds its runtime at start without holding up the start."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from celery import Celery

from gateway import tasks


@pytest.fixture
def gateway_app() -> Celery:
    app = Celery("gateway-test", set_as_current=False)
    tasks.register(app)
    return app


def test_the_start_hook_returns_before_the_runtime_is_built(
    gateway_app: Celery, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a runtime build that takes longer than Celery waits for a prefork child
    # to report itself up (worker_proc_alive_timeout)
    release, built = threading.Event(), threading.Event()
    apps: list[Celery] = []

    def slow_build(app: Celery) -> Any:
        release.wait(10)
        apps.append(app)
        built.set()

    monkeypatch.setattr(tasks, "worker_runtime", slow_build)
    # when the hook runs (as in a threads-pool worker: the consumer is the sender)
    consumer = type("Consumer", (), {"app": gateway_app, "pool": object()})()
    tasks._on_worker_ready(sender=consumer)
    # then it has returned, and the build finishes on its own thread
    assert not built.is_set()
    release.set()
    assert built.wait(10)
    assert apps == [gateway_app]


def test_a_non_gateway_app_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Celery] = []
    monkeypatch.setattr(tasks, "worker_runtime", calls.append)
    other = Celery("other", set_as_current=False)
    consumer = type("Consumer", (), {"app": other, "pool": object()})()
    tasks._on_worker_ready(sender=consumer)
    threading.Event().wait(0.2)
    assert calls == []

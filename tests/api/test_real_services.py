"""The console on PostgreSQL with a Redis broker (the production stack's store and queue)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.api.app import create_app
from tests.api.world import PARTNER, make_world


def test_console_on_postgresql_and_redis(
    tmp_path: Path, postgres_url: str, redis_url: str, queue_name: str
) -> None:
    # given the store on PostgreSQL, Redis as broker with two tasks waiting; the queue is
    # this test's own, so other suites and other runs on the same Redis never touch it
    world = make_world(
        tmp_path, database_url=postgres_url, broker_url=redis_url, queue_name=queue_name
    )
    queue = redis.Redis.from_url(redis_url)
    queue.lpush(queue_name, "task-1", "task-2")
    try:
        with TestClient(create_app(world.runtime)) as c:
            h = world.headers("viewer")
            ready = c.get("/readyz").json()
            metrics = c.get("/metrics", headers=h).text
            dashboard = c.get("/api/v1/dashboard", params={"days": 2}, headers=h).json()
            found = c.get(
                "/api/v1/transactions", params={"business_key": "PO-API-5001"}, headers=h
            ).json()
            files = c.get("/api/v1/messages", params={"document_type": "invoice"}, headers=h).json()
    finally:
        queue.delete(queue_name)
        world.runtime.engine.dispose()
    # then readiness checks PostgreSQL and Redis for real
    assert ready["ready"] is True
    assert ready["checks"]["database"]["detail"] == "postgresql"
    assert ready["checks"]["broker"]["detail"] == "redis"
    # the queue depth is Redis' length of the gateway queue
    # - the queue the gateway is set to use, not a fixed "gateway"
    depth = [
        (s.labels["queue"], s.value)
        for f in text_string_to_metric_families(metrics)
        for s in f.samples
        if s.name == "edigw_queue_depth"
    ]
    assert depth == [(queue_name, 2.0)]
    # and the dashboard's per-day grouping and the finders work on PostgreSQL
    assert dashboard["volume"]["days"][-1] == dt.datetime.now(dt.UTC).date().isoformat()
    assert dashboard["volume"]["partners"] == {PARTNER: [0, 2]}
    assert [t["business_key"] for t in found["items"]] == ["PO-API-5001"]
    assert [m["id"] for m in files["items"]] == [world.files["invoice"]]

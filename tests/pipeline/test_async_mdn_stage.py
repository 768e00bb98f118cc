"""Asynchronous MDNs are a pipeline stage (#14 item 4, #17 finding 2).

The ``send_mdn`` stage gets attempt rows and bounded retries from the runner, checks the
URL again with its addresses resolved, and a row left queued by a worker that died is
sent after stall recovery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI, Request
from fastapi import Response as FastResponse
from sqlalchemy import select

from gateway.as2.receiver import AsyncMdnJob
from gateway.pipeline.as2_mdns import queue_async_mdn
from gateway.pipeline.dispatch import Next
from gateway.pipeline.operations import recover_stalled
from gateway.pipeline.runtime import Runtime
from gateway.store.models import AsyncMdn, Event, StageAttempt
from tests.as2.as2_helpers import ServerThread


class PartnerMdnEndpoint:
    """The partner's MDN URL: counts hits, answers 503 for the first ``fail`` ones."""

    def __init__(self, fail: int = 0) -> None:
        self.hits: list[bytes] = []
        self.fail = fail
        app = FastAPI()

        @app.post("/mdn")
        async def take(request: Request) -> FastResponse:
            self.hits.append(await request.body())
            return FastResponse(status_code=503 if len(self.hits) <= self.fail else 200)

        self.server = ServerThread(app)


class LostDispatcher:
    """A broker that loses everything (the worker died before running it)."""

    def __init__(self) -> None:
        self.lost: list[Next] = []

    def dispatch(self, items: list[Next]) -> None:
        self.lost.extend(items)


def write_profile(site: Path, port: int, *, allow_private: bool) -> None:
    site.mkdir(exist_ok=True)
    profile = {
        "id": "mdnco",
        "name": "MDN Co",
        "x12": {"isa_qualifier": "ZZ", "isa_id": "MDNCO"},
        "as2": {
            "as2_id": "MDNCO",
            "url": f"http://127.0.0.1:{port}/as2",
            "async_mdn_allow_private": allow_private,
        },
    }
    (site / "mdnco.yaml").write_text(yaml.safe_dump(profile))


def job(url: str) -> AsyncMdnJob:
    return AsyncMdnJob(url, {"Content-Type": "multipart/report"}, b"MDN", "mdnco", "<m1@mdnco>")


def rows(runtime: Runtime) -> list[tuple[str, int, str | None]]:
    with runtime.sessions() as s:
        return [(r.state, r.attempts, r.error) for r in s.scalars(select(AsyncMdn))]


def attempts(runtime: Runtime) -> list[str | None]:
    with runtime.sessions() as s:
        return list(
            s.scalars(
                select(StageAttempt.outcome)
                .where(StageAttempt.stage == "send_mdn")
                .order_by(StageAttempt.id)
            )
        )


def test_private_address_is_refused_at_send_time_unless_the_profile_allows_it(
    tmp_path: Path, make_runtime: Callable[..., Runtime]
) -> None:
    partner = PartnerMdnEndpoint()
    with partner.server as server:
        site = tmp_path / "site"
        write_profile(site, server.port, allow_private=False)
        runtime = make_runtime(profiles_dir=str(site))
        # the host is the partner's own (allowed by name) but resolves to loopback
        queue_async_mdn(runtime, job(f"{server.url}/mdn"))
        runtime.dispatcher.drain()  # type: ignore[attr-defined]
        assert partner.hits == []
        ((state, _, error),) = rows(runtime)
        assert state == "failed" and "loopback" in (error or "")
        # a partner on a private network is allowed explicitly in its profile
        write_profile(site, server.port, allow_private=True)
        runtime.reload()
        queue_async_mdn(runtime, job(f"{server.url}/mdn"))
        runtime.dispatcher.drain()  # type: ignore[attr-defined]
        assert partner.hits == [b"MDN"] and rows(runtime)[-1][0] == "sent"
        assert attempts(runtime) == ["ok", "ok"]


def test_transient_failures_are_retried_with_attempt_rows_and_bounded(
    tmp_path: Path, make_runtime: Callable[..., Runtime]
) -> None:
    partner = PartnerMdnEndpoint(fail=2)
    with partner.server as server:
        site = tmp_path / "site"
        write_profile(site, server.port, allow_private=True)
        runtime = make_runtime(profiles_dir=str(site), task_max_retries=3)
        queue_async_mdn(runtime, job(f"{server.url}/mdn"))
        runtime.dispatcher.drain()  # type: ignore[attr-defined]
        assert len(partner.hits) == 3
        assert rows(runtime) == [("sent", 3, None)]
        assert attempts(runtime) == ["retry", "retry", "ok"]
        # a partner that never answers well is given up after the retry bound, visibly
        partner.fail = 10_000
        queue_async_mdn(runtime, job(f"{server.url}/mdn"))
        runtime.dispatcher.drain()  # type: ignore[attr-defined]
        state, tries, error = rows(runtime)[-1]
        assert (state, tries) == ("failed", 4) and "gave up" in (error or "")
        with runtime.sessions() as s:
            assert "as2.async_mdn_failed" in s.scalars(select(Event.kind)).all()


def test_async_mdn_survives_a_worker_restart(
    tmp_path: Path, make_runtime: Callable[..., Runtime]
) -> None:
    partner = PartnerMdnEndpoint()
    with partner.server as server:
        site = tmp_path / "site"
        write_profile(site, server.port, allow_private=True)
        db = f"sqlite:///{tmp_path / 'shared.db'}"
        # given: the MDN was queued, and the worker (or broker) lost the task
        lost = LostDispatcher()
        first: Any = make_runtime(db, dispatcher=lost, profiles_dir=str(site))
        queue_async_mdn(first, job(f"{server.url}/mdn"))
        assert [n.stage for n in lost.lost] == ["send_mdn"] and partner.hits == []
        first.engine.dispose()  # that process is gone; only the store remembers the MDN
        # when: a new worker process starts and stall recovery runs
        second = make_runtime(db, profiles_dir=str(site))
        assert recover_stalled(second, older_than=dt.timedelta(seconds=-1)) >= 1
        second.dispatcher.drain()  # type: ignore[attr-defined]
        # then: the MDN is delivered once, and a second recovery does not send it again
        assert partner.hits == [b"MDN"]
        recover_stalled(second, older_than=dt.timedelta(seconds=-1))
        second.dispatcher.drain()  # type: ignore[attr-defined]
        assert partner.hits == [b"MDN"] and rows(second) == [("sent", 1, None)]

"""``POST /as2`` as an ASGI endpoint: what it hands the receiver and what it answers."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from gateway.as2.http import As2Endpoint, make_router, mount
from gateway.as2.receiver import As2Receiver, As2Response

REQUEST_TAG: contextvars.ContextVar[str] = contextvars.ContextVar("request_tag", default="-")


@dataclass
class StubReceiver:
    """Records what the endpoint hands over; answers like a receiver would."""

    limit: int = 1000
    calls: list[tuple[dict[str, str], bytes, str]] = field(default_factory=list)
    refused: list[tuple[int, int]] = field(default_factory=list)

    def body_limit(self, headers: Mapping[str, str]) -> int:
        return self.limit

    def refuse_oversized(self, headers: Mapping[str, str], size: int, limit: int) -> None:
        self.refused.append((size, limit))

    def handle(self, headers: Mapping[str, str], body: bytes) -> As2Response:
        self.calls.append((dict(headers), body, REQUEST_TAG.get()))
        return As2Response(200, {"Content-Type": "text/plain", "X-Answer": "yes"}, b"taken")


def client_for(stub: StubReceiver, *, mounted: bool = False) -> TestClient:
    """The endpoint through ``make_router`` or, ``mounted``, as the gateway's app has it."""
    app = FastAPI()

    @app.middleware("http")
    async def tag(request: Request, call_next: Any) -> Response:
        REQUEST_TAG.set(request.headers.get("x-tag", "none"))
        return cast(Response, await call_next(request))

    if mounted:
        mount(app, lambda: cast(As2Receiver, stub), 10_000)
    else:
        app.include_router(make_router(lambda: cast(As2Receiver, stub), 10_000))
    return TestClient(app)


@pytest.mark.parametrize("mounted", [False, True])
def test_body_and_headers_reach_the_receiver_and_its_answer_goes_back(mounted: bool) -> None:
    stub = StubReceiver()
    with client_for(stub, mounted=mounted) as client:
        response = client.post(
            "/as2",
            content=b"x" * 300,
            headers=[("AS2-From", "ACME"), ("AS2-From", "OTHER"), ("X-Tag", "t1")],
        )
    assert response.status_code == 200
    assert response.content == b"taken"
    assert response.headers["x-answer"] == "yes"
    assert response.headers["content-length"] == "5"
    (headers, body, tag), *_ = stub.calls
    assert body == b"x" * 300
    assert headers["as2-from"] == "ACME"  # lower-case names; the first of repeated ones
    assert tag == "t1"  # the request's context variables reach the receiver's thread


def test_over_the_limit_is_413_and_the_receiver_records_it() -> None:
    stub = StubReceiver(limit=100)
    with client_for(stub) as client:
        declared = client.post("/as2", content=b"x" * 101)
        bad = client.post("/as2", content=b"x", headers={"Content-Length": "nope"})
    assert declared.status_code == 413
    assert declared.text == "request body exceeds 100 bytes"
    assert declared.headers["connection"] == "close"
    assert stub.refused == [(101, 100)]
    assert bad.status_code == 400 and bad.text == "invalid Content-Length"
    assert stub.calls == []


@pytest.mark.parametrize("mounted", [False, True])
def test_route_is_documented_and_other_methods_are_refused(mounted: bool) -> None:
    stub = StubReceiver()
    with client_for(stub, mounted=mounted) as client:
        spec = client.get("/openapi.json").json()
        get = client.get("/as2")
        client.post("/as2", content=b"x")
    assert spec["paths"]["/as2"]["post"]["summary"] == "Receive an AS2 message or MDN"
    assert len(stub.calls) == 1  # the endpoint serves the POST, not the documenting one
    assert get.status_code == 405
    assert get.headers["allow"] == "POST"


def test_answers_carry_the_headers_a_starlette_response_would() -> None:
    """The endpoint sends its ASGI messages itself: the same status line, headers (names,
    order, values) and body as the ``Response`` objects it used to build."""
    from fastapi import Response as StarletteResponse

    from gateway.as2.http import _plain, _raw_headers

    mdn_headers = {"Content-Type": 'multipart/signed; boundary="b"', "MIME-Version": "1.0",
                   "AS2-From": "GATEWAY", "Message-ID": "<m@gw>"}  # fmt: skip
    for status, headers, body in [
        (200, mdn_headers, b"--b\r\n..."),
        (200, {"Content-Type": "text/plain; charset=utf-8"}, b"processed"),
        (503, {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "30"}, b"busy"),
        (413, {}, b""),
    ]:
        expected = StarletteResponse(content=body, status_code=status, headers=headers)
        assert _raw_headers(status, headers, len(body)) == expected.raw_headers
    for status, text, close in [(400, "invalid Content-Length", False),
                                (413, "request body exceeds 10 bytes", True)]:  # fmt: skip
        expected = StarletteResponse(
            content=text, status_code=status, media_type="text/plain",
            headers={"Connection": "close"} if close else None,
        )  # fmt: skip
        assert _plain(status, text, close=close) == (status, expected.raw_headers, expected.body)


def test_the_hop_to_the_pool_returns_raises_and_drops_what_was_cancelled_unstarted() -> None:
    """What ``run_in_executor`` gave: the call's result or its exception in the awaiting
    task, and a call whose task was cancelled before a thread took it never runs."""
    endpoint = As2Endpoint(lambda: cast(As2Receiver, StubReceiver()), 1000)
    endpoint._pool = ThreadPoolExecutor(1)  # one thread: the second call has to queue
    release, ran = threading.Event(), []

    def blocking() -> str:
        release.wait(10)
        return "first"

    def fail() -> None:
        raise ValueError("from the pool")

    async def scenario() -> None:
        first = asyncio.ensure_future(endpoint._in_thread(blocking))
        queued = asyncio.ensure_future(endpoint._in_thread(ran.append, "queued"))
        await asyncio.sleep(0.05)
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued  # cancelled while the only thread is still busy with the first
        release.set()
        assert await first == "first"
        with pytest.raises(ValueError, match="from the pool"):
            await endpoint._in_thread(fail)
        assert await endpoint._in_thread(lambda: "again") == "again"

    try:
        asyncio.run(scenario())
    finally:
        endpoint._pool.shutdown(wait=True)
    assert ran == []

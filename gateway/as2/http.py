"""``POST /as2`` for FastAPI: streams the body under a size cap, then calls the receiver.

The body is read chunk by chunk and refused with 413 as soon as it passes the limit
(or at once when Content-Length already says so), so an oversized request never sits
whole in memory. The receiver's synchronous work runs on a thread pool.

The route is a plain ASGI endpoint rather than a FastAPI path operation: it takes no
parameters FastAPI could parse or validate, and FastAPI's request handling (dependency
solving, the request object, the exit stack) and anyio's thread hop cost as much CPU per
message as the receiver's own bookkeeping. A path operation with the same path stays in
the router, after the endpoint, only so that the OpenAPI document lists ``POST /as2``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fastapi import APIRouter, Request, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway.as2.receiver import As2Receiver

log = logging.getLogger(__name__)
T = TypeVar("T")
# a request waits here while earlier ones are unpacked (the memory budget bounds what
# the running ones hold); as many threads as anyio's default pool had for it
MAX_THREADS = 40


class As2Endpoint:
    """The ASGI app behind ``POST /as2``."""

    def __init__(self, get_receiver: Callable[[], As2Receiver], max_body_bytes: int) -> None:
        self.get_receiver = get_receiver
        self.max_body_bytes = max_body_bytes
        self._pool: ThreadPoolExecutor | None = None

    def _executor(self) -> ThreadPoolExecutor:
        # made on first use: an app that never receives AS2 starts no threads
        if self._pool is None:
            self._pool = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="as2")
        return self._pool

    async def _in_thread(self, func: Callable[..., T], *args: object) -> T:
        """``func(*args)`` on the pool, with this task's context variables (as anyio)."""
        call = functools.partial(contextvars.copy_context().run, func, *args)
        return await asyncio.get_running_loop().run_in_executor(self._executor(), call)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._respond(scope, receive)
        await response(scope, receive, send)

    async def _respond(self, scope: Scope, receive: Receive) -> Response:
        receiver = self.get_receiver()
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            # ASGI header names are lower case; the first of repeated names wins
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        limit = min(self.max_body_bytes, receiver.body_limit(headers))
        declared = headers.get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                return _plain(400, "invalid Content-Length")
            if too_big:
                await self._in_thread(receiver.refuse_oversized, headers, int(declared), limit)
                return _plain(413, f"request body exceeds {limit} bytes", close=True)
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                # the sender went away mid-body: nothing to answer, nothing to process
                log.info("AS2 sender disconnected after %d bytes", total)
                return _plain(400, "client disconnected")
            if message["type"] != "http.request":
                continue
            chunk = message.get("body", b"")
            if chunk:
                total += len(chunk)
                if total > limit:
                    chunks.clear()
                    await self._in_thread(receiver.refuse_oversized, headers, total, limit)
                    return _plain(413, f"request body exceeds {limit} bytes", close=True)
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        chunks.clear()
        result = await self._in_thread(receiver.handle, headers, body)
        return Response(content=result.body, status_code=result.status, headers=result.headers)


def make_router(get_receiver: Callable[[], As2Receiver], max_body_bytes: int) -> APIRouter:
    """A router with ``POST /as2``."""
    router = APIRouter()
    router.routes.append(
        Route("/as2", As2Endpoint(get_receiver, max_body_bytes), methods=["POST"],
              include_in_schema=False)
    )  # fmt: skip

    @router.post("/as2", include_in_schema=True, summary="Receive an AS2 message or MDN")
    async def receive_as2(request: Request) -> Response:  # pragma: no cover - never routed
        """Documents the route for OpenAPI; :class:`As2Endpoint` (matched first) serves it."""
        raise RuntimeError("POST /as2 is served by As2Endpoint")

    return router


def _plain(status: int, text: str, *, close: bool = False) -> Response:
    headers = {"Connection": "close"} if close else None
    return Response(content=text, status_code=status, media_type="text/plain", headers=headers)

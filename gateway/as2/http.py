"""``POST /as2`` for FastAPI: streams the body under a size cap, then calls the receiver.

The body is read chunk by chunk and refused with 413 as soon as it passes the limit
(or at once when Content-Length already says so), so an oversized request never sits
whole in memory. The receiver's synchronous work runs in the threadpool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from gateway.as2.receiver import As2Receiver

log = logging.getLogger(__name__)


def make_router(get_receiver: Callable[[], As2Receiver], max_body_bytes: int) -> APIRouter:
    """A router with ``POST /as2``."""
    router = APIRouter()

    @router.post("/as2", include_in_schema=True, summary="Receive an AS2 message or MDN")
    async def receive_as2(request: Request) -> Response:
        receiver = get_receiver()
        headers = dict(request.headers)
        limit = min(max_body_bytes, receiver.body_limit(headers))
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                return _plain(400, "invalid Content-Length")
            if too_big:
                await run_in_threadpool(receiver.refuse_oversized, headers, int(declared), limit)
                return _plain(413, f"request body exceeds {limit} bytes", close=True)
        chunks: list[bytes] = []
        total = 0
        try:
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit:
                    chunks.clear()
                    await run_in_threadpool(receiver.refuse_oversized, headers, total, limit)
                    return _plain(413, f"request body exceeds {limit} bytes", close=True)
                chunks.append(chunk)
        except ClientDisconnect:
            # the sender went away mid-body: nothing to answer, nothing to process
            log.info("AS2 sender disconnected after %d bytes", total)
            return _plain(400, "client disconnected")
        body = b"".join(chunks)
        chunks.clear()
        result = await run_in_threadpool(receiver.handle, headers, body)
        return Response(content=result.body, status_code=result.status, headers=result.headers)

    return router


def _plain(status: int, text: str, *, close: bool = False) -> Response:
    headers = {"Connection": "close"} if close else None
    return Response(content=text, status_code=status, media_type="text/plain", headers=headers)

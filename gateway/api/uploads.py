"""Bounded reading of request bodies and uploaded files (413 past the payload limit)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from gateway.api.console_actions import ConsoleError

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and small fields around the file

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    """The file's bytes, refused with 413 as soon as they pass ``limit``."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await upload.read(CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise ConsoleError(413, f"upload exceeds the limit of {limit} bytes", size=total)
        chunks.append(chunk)
    return b"".join(chunks)


class BodyTooLarge(Exception):
    """Raised inside the body size middleware's receive wrapper."""


class BodySizeLimit:
    """Refuses request bodies above a limit with 413, before a handler reads them whole.

    Declared ``Content-Length`` is checked up front; chunked bodies are counted as they
    stream. ``/as2`` is left alone: the AS2 router applies its own per-partner limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        exempt: tuple[str, ...] = ("/as2",),
        on_refused: Callable[[str, int], None] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt
        # told (path, bytes seen or declared) of each 413, to leave a record of it
        self.on_refused = on_refused

    async def _refused(self, send: Send, path: str, size: int) -> None:
        await _plain(send, 413, b"request body too large")
        if self.on_refused is not None:
            try:
                await run_in_threadpool(self.on_refused, path, size)
            except Exception:  # the answer is sent; a failed record must not turn into a 500
                log.exception("could not record the refused request to %s", path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or scope.get("path", "").startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _plain(send, 400, b"invalid Content-Length")
                    return
                if declared > self.limit:
                    await self._refused(send, scope.get("path", ""), declared)
                    return
        seen = 0
        started = False
        over = False

        async def counting_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    over = True
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            # a handler may turn the aborted read into its own 400; the client should
            # learn the real reason
            nonlocal started
            if over:
                if not started:
                    started = True
                    await self._refused(send, scope.get("path", ""), seen)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                started = True
                await self._refused(send, scope.get("path", ""), seen)


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

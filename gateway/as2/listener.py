"""The AS2 listener's app: ``POST /as2`` and ``GET /healthz`` on a port of their own.

:mod:`gateway.as2_server` runs it in several processes (``edi-gateway as2``); the module
there says why a site would. Each process takes one message at a time on its event
loop's own thread (:class:`~gateway.as2.http.As2Endpoint` with ``inline``); every other
path answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send

from gateway.as2.http import As2Endpoint

if TYPE_CHECKING:
    from gateway.as2.receiver import As2Receiver

# on every answer, as the console's server adds them (gateway.api.security; no CSP: the
# listener serves no page)
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class As2App:
    """The listener's ASGI app: ``POST /as2`` and ``GET /healthz``, nothing else."""

    def __init__(self, get_receiver: Callable[[], As2Receiver], max_body_bytes: int) -> None:
        self.endpoint = As2Endpoint(
            get_receiver, max_body_bytes, inline=True, extra_headers=_COMMON
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(receive, send)
            return
        if kind != "http":  # uvicorn runs the listener without websockets
            return
        path, method = scope["path"], scope["method"]
        if path == "/as2":
            if method == "POST":
                await self.endpoint(scope, receive, send)
            else:
                await _text(send, 405, "use POST for AS2", [(b"allow", b"POST")])
        elif path == "/healthz":
            if method in ("GET", "HEAD"):
                body = b'{"status":"ok"}'
                await _answer(send, 200, b"application/json", body, method == "HEAD")
            else:
                await _text(send, 405, "use GET", [(b"allow", b"GET, HEAD")])
        else:
            await _text(send, 404, "this port serves POST /as2 only")


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to set up or tear down (the runtime is built before the app)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _text(
    send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    await _answer(send, status, b"text/plain; charset=utf-8", text.encode(), False, extra)


async def _answer(
    send: Send,
    status: int,
    content_type: bytes,
    body: bytes,
    head: bool,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
        *_COMMON,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})

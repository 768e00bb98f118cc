"""``POST /as2`` for FastAPI: streams the body under a size cap, then calls the receiver.

The body is read chunk by chunk and refused with 413 as soon as it passes the limit
(or at once when Content-Length already says so), so an oversized request never sits
whole in memory. The receiver's synchronous work runs on a thread pool, small messages
too: the event loop also serves the console, the REST API and the health checks, and the
receiver writes to the store (a database that may make it wait), so running it inline
would let one message stall every request; measured, it did not save CPU either and
halved the rate (bench/README.md, "AS2 endpoint: cost outside the crypto").

The route is a plain ASGI endpoint rather than a FastAPI path operation: it takes no
parameters FastAPI could parse or validate, and FastAPI's request handling (dependency
solving, the request object, the exit stack) and anyio's thread hop cost as much CPU per
message as the receiver's own bookkeeping. A path operation with the same path stays in
the router, after the endpoint, only so that the OpenAPI document lists ``POST /as2``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway.as2.mime import Headers
from gateway.as2.receiver import As2Receiver

log = logging.getLogger(__name__)
T = TypeVar("T")
# a request waits here while earlier ones are unpacked (the memory budget bounds what
# the running ones hold); as many threads as anyio's default pool had for it
MAX_THREADS = 40
#: request headers, names and values together. AS2 sends a dozen short ones (about 1 KiB);
#: the HTTP servers read header values of megabytes, so more is refused with 431 before
#: anything parses or remembers them
MAX_REQUEST_HEADER_BYTES = 64 * 1024
#: what a refused request's record keeps of its headers
_REFUSED_HEADERS, _REFUSED_NAME, _REFUSED_VALUE = 64, 128, 512


class As2Endpoint:
    """The ASGI app behind ``POST /as2``.

    ``inline``: the receiver runs on the event loop's own thread, one message at a time,
    instead of on the thread pool. Only for a process that serves AS2 and nothing else
    (:mod:`gateway.as2.listener`, several such processes side by side): there a message
    has nothing to stall but the next message of the same process, and without the pool
    no thread hands the GIL to another whenever the crypto library releases it.
    ``extra_headers`` go on every answer. Requests whose headers together pass
    ``max_header_bytes`` are answered 431, unread.
    """

    def __init__(
        self,
        get_receiver: Callable[[], As2Receiver],
        max_body_bytes: int,
        *,
        inline: bool = False,
        extra_headers: Sequence[tuple[bytes, bytes]] = (),
        max_header_bytes: int = MAX_REQUEST_HEADER_BYTES,
    ) -> None:
        self.get_receiver = get_receiver
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.inline = inline
        self.extra_headers = list(extra_headers)
        self._pool: ThreadPoolExecutor | None = None

    def _executor(self) -> ThreadPoolExecutor:
        # made on first use: an app that never receives AS2 starts no threads
        if self._pool is None:
            self._pool = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="as2")
        return self._pool

    async def _in_thread(self, func: Callable[..., T], *args: object) -> T:
        """``func(*args)`` on the pool, with this task's context variables (as anyio).

        The worker hands its outcome straight to an asyncio future on the loop, rather
        than through ``run_in_executor``, whose chaining of a concurrent future into an
        asyncio one cost about a third of the hop's CPU (bench/README.md, "AS2 endpoint:
        uvloop and the thread hop"). A task cancelled before the pool started the call
        still never runs it. With ``inline``, ``func(*args)`` here and now.
        """
        if self.inline:
            return func(*args)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        context = contextvars.copy_context()

        def work() -> None:
            try:
                result = context.run(func, *args)
            except BaseException as exc:  # handed to the awaiting task, raised there
                _settle_soon(loop, done, _fail, exc)
            else:
                _settle_soon(loop, done, _succeed, result)

        submitted = self._executor().submit(work)
        try:
            return await done
        except asyncio.CancelledError:
            submitted.cancel()  # not started yet: it never runs (as run_in_executor)
            raise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, headers, body = await self._respond(scope, receive)
        if self.extra_headers:
            headers += self.extra_headers
        # the two ASGI messages a Starlette ``Response`` would send, without building one
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _respond(self, scope: Scope, receive: Receive) -> _Answer:
        receiver = self.get_receiver()
        raw_headers = scope["headers"]
        size = 0
        for name, value in raw_headers:
            size += len(name) + len(value)
        if size > self.max_header_bytes:
            await self._in_thread(
                receiver.refuse_oversized_headers,
                _cut_headers(raw_headers),
                size,
                self.max_header_bytes,
            )
            return _plain(431, f"request headers exceed {self.max_header_bytes} bytes", close=True)
        # built once, here, for the size check and the receiver alike
        headers = Headers.from_asgi(raw_headers)
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
        # one chunk (the usual case for a small message) is passed on as it is, uncopied
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        result = await self._in_thread(receiver.handle, headers, body)
        status, body = result.status, result.body
        return status, _raw_headers(status, result.headers, len(body)), body


def make_router(get_receiver: Callable[[], As2Receiver], max_body_bytes: int) -> APIRouter:
    """A router with ``POST /as2`` (an app serving AS2 uses :func:`mount`)."""
    router = APIRouter()
    router.routes.append(_route(get_receiver, max_body_bytes))
    _document(router)
    return router


def mount(app: FastAPI, get_receiver: Callable[[], As2Receiver], max_body_bytes: int) -> None:
    """``POST /as2`` on ``app`` itself rather than through an included router, which
    FastAPI matches twice per request (the router, then its route): ~7 us of CPU per
    message."""
    app.router.routes.append(_route(get_receiver, max_body_bytes))
    _document(app)


def _route(get_receiver: Callable[[], As2Receiver], max_body_bytes: int) -> Route:
    endpoint = As2Endpoint(get_receiver, max_body_bytes)
    return Route("/as2", endpoint, methods=["POST"], include_in_schema=False)


def _document(routes: APIRouter | FastAPI) -> None:
    """Add the path operation that lists ``POST /as2`` in the OpenAPI document, after the
    endpoint's own route, which is matched first and serves every request."""

    @routes.post("/as2", include_in_schema=True, summary="Receive an AS2 message or MDN")
    async def receive_as2(request: Request) -> Response:  # pragma: no cover - never routed
        """Documents the route for OpenAPI; :class:`As2Endpoint` (matched first) serves it."""
        raise RuntimeError("POST /as2 is served by As2Endpoint")


def _succeed(future: asyncio.Future[T], result: T) -> None:
    if not future.done():  # the awaiting task may have been cancelled meanwhile
        future.set_result(result)


def _fail(future: asyncio.Future[T], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def _settle_soon(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[T],
    settle: Callable[[asyncio.Future[T], Any], None],
    outcome: object,
) -> None:
    """Settle ``future`` on its loop (called from a pool thread)."""
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
        loop.call_soon_threadsafe(settle, future, outcome)


# status, ASGI headers and body of an answer
_Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
_TEXT_PLAIN = (b"content-type", b"text/plain; charset=utf-8")
_CLOSE = (b"connection", b"close")


def _raw_headers(status: int, headers: Mapping[str, str], length: int) -> list[tuple[bytes, bytes]]:
    """The receiver's headers as ``Response(content, headers=headers)`` sends them: names
    in lower case, then Content-Length unless the receiver gave one.

    Less the receiver's Date (a synchronous MDN's): the server dates every answer itself
    (uvicorn does, for the console and the listener alike), and a second Date would make
    the field invalid (RFC 9110 5.3: it takes one value).
    """
    raw = [
        (name, v.encode("latin-1"))
        for k, v in headers.items()
        if (name := k.lower().encode("latin-1")) != b"date"
    ]
    if status >= 200 and status not in (204, 304) and all(n != b"content-length" for n, _ in raw):
        raw.append((b"content-length", str(length).encode("latin-1")))
    return raw


def _cut_headers(raw: Iterable[tuple[bytes, bytes]]) -> Headers:
    """The first of a refused request's headers, each cut short, for its record."""
    return Headers.from_asgi(
        (name[:_REFUSED_NAME], value[:_REFUSED_VALUE])
        for name, value in itertools.islice(raw, _REFUSED_HEADERS)
    )


def _plain(status: int, text: str, *, close: bool = False) -> _Answer:
    """A plain-text answer of the endpoint itself (headers as ``Response(media_type=
    "text/plain")`` sends them)."""
    body = text.encode()
    headers = [_CLOSE] if close else []
    headers += [(b"content-length", str(len(body)).encode("latin-1")), _TEXT_PLAIN]
    return status, headers, body

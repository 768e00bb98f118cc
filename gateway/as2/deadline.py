"""A total deadline on every socket operation of an HTTP exchange with a partner.

httpx's timeouts are per operation: a partner that answers one byte every few seconds
never trips a read timeout, and while httpcore reads the response headers no caller
code runs between those reads. So the deadline is enforced below httpcore, in its
network stream: each connect, TLS handshake, write and read waits at most what is left
of the deadline in force (:func:`deadline_within`), and one started after it passed
fails at once with httpcore's own timeout error (httpx maps it to its
``TimeoutException``). Connect, request, response headers and body are all covered;
only the name lookup before the connect is not (the system resolver has no timeout).

The deadline is a context variable, so one client (and its pooled connections) serves
exchanges with different deadlines, and a client used outside :func:`deadline_within`
behaves exactly as httpx's own. :func:`deadline_client` is the only way to get such a
client: it wraps the network backend of the client's transports, the proxy ones
included.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "edigw_http_deadline", default=None
)


@contextlib.contextmanager
def deadline_within(total_seconds: float) -> Iterator[float]:
    """Hold every socket operation of clients from :func:`deadline_client` inside this
    block to ``total_seconds`` from now (monotonic clock); yields the deadline."""
    deadline = time.monotonic() + total_seconds
    token = _DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None, error: type[Exception], what: str) -> float | None:
    """``timeout`` cut to what is left of the deadline; ``error`` once it has passed."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error(f"total deadline passed before {what}")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation waits at most until the deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout, "a read"))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout, "a write"))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wait = _bounded(timeout, httpcore.ConnectTimeout, "the TLS handshake")
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, wait))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend, its streams held to the deadline in force."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        wait = _bounded(timeout, httpcore.ConnectTimeout, "the connect")
        return _DeadlineStream(
            self._backend.connect_tcp(host, port, wait, local_address, socket_options)
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        wait = _bounded(timeout, httpcore.ConnectTimeout, "the connect")
        return _DeadlineStream(self._backend.connect_unix_socket(path, wait, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _with_deadline(transport: httpx.BaseTransport) -> httpx.BaseTransport:
    # httpx offers no public way to give its transport a network backend; its pool
    # (a ConnectionPool, or an HTTPProxy for a proxy) keeps it in ``_network_backend``.
    # A test sends to a partner trickling its headers, so an httpx that moves it fails
    # there rather than silently losing the deadline.
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.NetworkBackend):
        raise TypeError(f"cannot hold {type(transport).__name__} to a total deadline")
    if not isinstance(backend, DeadlineBackend):
        pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
    return transport


class _DeadlineClient(httpx.Client):
    """An ``httpx.Client`` whose own transports (direct and proxy) honour the deadline."""

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        if kwargs.get("transport") is not None:
            return super()._init_transport(*args, **kwargs)  # the caller's own: as given
        return _with_deadline(super()._init_transport(*args, **kwargs))

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        return _with_deadline(super()._init_proxy_transport(*args, **kwargs))


def deadline_client(**kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` (same arguments) whose exchanges :func:`deadline_within`
    bounds as a whole. A ``transport=`` given here is used as it is, unbounded."""
    return _DeadlineClient(**kwargs)

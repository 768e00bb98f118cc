"""Delivering an asynchronous MDN to the partner's Receipt-Delivery-Option URL.

One POST, classified: the gateway sends asynchronous MDNs only from the pipeline's
``send_mdn`` stage (:mod:`gateway.pipeline.as2_mdns`), which stores the MDN first and
gets attempt rows, retries with backoff and a dead letter from the runner, so there is
no retry loop here.

:func:`post_bounded` is the one way the gateway POSTs to a partner over AS2 (messages
from :mod:`gateway.as2.client` and MDNs from here): the answer is streamed, its body
capped at :data:`MAX_RESPONSE_BYTES`, and the whole exchange (connect, request,
response headers and body) held to a total deadline (:mod:`gateway.as2.deadline`),
because httpx's timeouts are per read and a partner trickling a byte at a time would
otherwise hold a worker for ever.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from gateway.as2.deadline import deadline_client, deadline_within

# What we read of a partner's answer: an MDN is a few KiB, a refusal page a few more.
MAX_RESPONSE_BYTES = 1 << 20


class DeadlineExceeded(httpx.TimeoutException):
    """The exchange outlasted its total deadline (a timeout, like httpx's own)."""


class ResponseTooLarge(Exception):
    """The partner's answer is larger than :data:`MAX_RESPONSE_BYTES`."""

    def __init__(self, size: int, *, declared: bool, limit: int) -> None:
        what = f"declares {size} bytes" if declared else f"exceeds {limit} bytes (read {size})"
        super().__init__(f"response body {what}; at most {limit} bytes are accepted")
        self.size = size
        self.limit = limit


@dataclass(frozen=True, slots=True)
class BoundedResponse:
    """A partner's answer, read in full within the deadline and the size cap."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def post_bounded(
    http: httpx.Client,
    url: str,
    *,
    headers: dict[str, str],
    content: bytes,
    total_seconds: float,
    max_body: int = MAX_RESPONSE_BYTES,
) -> BoundedResponse:
    """POST and read the answer, all within ``total_seconds`` (monotonic clock).

    With a client from :func:`~gateway.as2.deadline.deadline_client` (the gateway's own
    always are) every socket operation, the connect and the response headers included,
    waits at most what is left of the deadline, so a partner trickling its headers is cut
    off too; with another client (a test's ``MockTransport``) only between body chunks.
    Raises :class:`DeadlineExceeded` (an ``httpx.TimeoutException``, so callers treat it
    as the timeout it is) once the deadline has passed, :class:`ResponseTooLarge` past
    ``max_body`` (declared or read), and ``httpx.HTTPError`` as httpx does.
    """
    with deadline_within(total_seconds) as deadline:
        try:
            return _post(http, url, headers, content, total_seconds, deadline, max_body)
        except httpx.TimeoutException as exc:
            if isinstance(exc, DeadlineExceeded) or time.monotonic() < deadline:
                raise
            try:
                request: httpx.Request | None = exc.request
            except RuntimeError:  # raised before httpx attached the request
                request = None
            raise DeadlineExceeded(
                f"no complete answer within {total_seconds:g} s ({exc or type(exc).__name__})",
                request=request,
            ) from exc


def _post(
    http: httpx.Client,
    url: str,
    headers: dict[str, str],
    content: bytes,
    total_seconds: float,
    deadline: float,
    max_body: int,
) -> BoundedResponse:
    with http.stream(
        "POST", url, headers=headers, content=content, timeout=httpx.Timeout(total_seconds)
    ) as response:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body:
            raise ResponseTooLarge(int(declared), declared=True, limit=max_body)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_body:
                raise ResponseTooLarge(size, declared=False, limit=max_body)
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise DeadlineExceeded(
                    f"no complete answer within {total_seconds:g} s (read {size} bytes)",
                    request=response.request,
                )
        return BoundedResponse(response.status_code, response.headers, b"".join(chunks))


class MdnPostError(Exception):
    """An async MDN POST that did not succeed; ``transient`` when a retry may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def post_async_mdn(
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    client: httpx.Client | None = None,
    timeout: float = 30.0,
) -> int:
    """One POST of an MDN (the caller retries); returns the HTTP status on success.

    ``timeout`` is the total deadline of the exchange (:func:`post_bounded`). Redirects
    are not followed (a redirect could lead anywhere the URL check refused): only 2xx
    is success. Raises :class:`MdnPostError`: transient for network errors, the
    deadline, 5xx, 408 and 429; permanent for other answers and an oversized body.
    """
    if not url.lower().startswith(("http://", "https://")):
        raise MdnPostError(f"unsupported URL {url!r}", transient=False)
    own = client is None
    http = client or deadline_client(timeout=timeout, follow_redirects=False)
    try:
        try:
            response = post_bounded(http, url, headers=headers, content=body, total_seconds=timeout)
        except httpx.HTTPError as exc:
            raise MdnPostError(f"{type(exc).__name__}: {exc}", transient=True) from exc
        except ResponseTooLarge as exc:
            raise MdnPostError(str(exc), transient=False) from exc
        if 200 <= response.status_code < 300:
            return response.status_code
        transient = response.status_code >= 500 or response.status_code in (408, 429)
        detail = f"HTTP {response.status_code}"
        if 300 <= response.status_code < 400:
            detail += f" redirect to {response.headers.get('location', '?')!r} (not followed)"
        raise MdnPostError(detail, transient=transient)
    finally:
        if own:
            http.close()

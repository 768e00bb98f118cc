"""Delivering an asynchronous MDN to the partner's Receipt-Delivery-Option URL.

The gateway sends them from the pipeline's ``send_mdn`` stage with :func:`post_async_mdn`
(one attempt per stage run, retries by the runner); :func:`deliver_async_mdn` is the
same with its own retry loop, for tools and tests without a pipeline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx

from gateway.as2.receiver import AsyncMdnJob

log = logging.getLogger(__name__)


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

    Redirects are not followed (a redirect could lead anywhere the URL check refused).
    Raises :class:`MdnPostError`: transient for network errors, 5xx, 408 and 429.
    """
    if not url.lower().startswith(("http://", "https://")):
        raise MdnPostError(f"unsupported URL {url!r}", transient=False)
    own = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=False)
    try:
        try:
            response = http.post(url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            raise MdnPostError(f"{type(exc).__name__}: {exc}", transient=True) from exc
        if response.is_success:
            return response.status_code
        transient = response.status_code >= 500 or response.status_code in (408, 429)
        raise MdnPostError(f"HTTP {response.status_code}", transient=transient)
    finally:
        if own:
            http.close()


def deliver_async_mdn(
    job: AsyncMdnJob,
    *,
    attempts: int = 5,
    backoff: float = 2.0,
    client: httpx.Client | None = None,
    timeout: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """POST the MDN, retrying with exponential backoff; True once the partner took it.

    A 4xx answer is final (the partner refuses it; retrying would not help), as are
    non-HTTP URLs (``mailto:`` receipts are not supported).
    """
    if not job.url.lower().startswith(("http://", "https://")):
        log.warning("async MDN for %s: unsupported URL %r", job.original_message_id, job.url)
        return False
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        for attempt in range(max(1, attempts)):
            try:
                response = http.post(job.url, headers=job.headers, content=job.body)
            except httpx.HTTPError as exc:
                log.warning("async MDN to %s failed (attempt %d): %s", job.url, attempt + 1, exc)
            else:
                if response.is_success:
                    return True
                if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                    log.warning("async MDN to %s refused: HTTP %d", job.url, response.status_code)
                    return False
                log.warning("async MDN to %s: HTTP %d", job.url, response.status_code)
            if attempt + 1 < attempts:
                sleep(backoff * (2**attempt))
        return False
    finally:
        if own:
            http.close()

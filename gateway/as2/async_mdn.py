"""Delivering an asynchronous MDN to the partner's Receipt-Delivery-Option URL."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx

from gateway.as2.receiver import AsyncMdnJob

log = logging.getLogger(__name__)


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

"""Delivering an asynchronous MDN to the partner's Receipt-Delivery-Option URL.

One POST, classified: the gateway sends asynchronous MDNs only from the pipeline's
``send_mdn`` stage (:mod:`gateway.pipeline.as2_mdns`), which stores the MDN first and
gets attempt rows, retries with backoff and a dead letter from the runner, so there is
no retry loop here.
"""

from __future__ import annotations

import httpx


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

"""Browser-facing protections: security headers, and CSRF checks for cookie callers.

Pages get a Content-Security-Policy that allows only the console's own scripts, styles
and images (no inline script, no framing, forms post only to us); every response gets
``nosniff``, ``Referrer-Policy`` and ``X-Frame-Options``. Swagger UI (``/docs``) needs
one inline script, so that page alone allows it.

A request authenticated by the session cookie that changes state must carry proof
that our own page sent it: the form's ``csrf`` field (pages) or the ``X-CSRF-Token``
header (``/api/v1``), and, when the browser says where it came from (``Origin``), that
origin must be ours. API keys in headers are not sent by browsers on their own, so
requests with a key need neither.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request

CSRF_HEADER = "X-CSRF-Token"
MAX_DB_INT = 2**31 - 1  # ids, offsets: the store's integer columns
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SecurityHeaders:
    """Adds the security headers to every HTTP response (the CSP to HTML pages)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        csp = DOCS_CSP if path == "/docs" else PAGE_CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _COMMON if h[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def foreign_origin(request: Request) -> str | None:
    """The request's ``Origin`` (or ``Referer``) when it is not this server, else None."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin or None
    host = request.headers.get("host", "")
    try:
        parts = urlsplit(origin)
    except ValueError:
        return origin
    return None if parts.netloc.lower() == host.lower() else origin


def cookie_csrf_refusal(request: Request, expected_token: str) -> str | None:
    """Why a state-changing request authenticated by cookie is refused (None: allowed)."""
    if request.method in SAFE_METHODS:
        return None
    foreign = foreign_origin(request)
    if foreign is not None:
        return f"cross-site request from {foreign[:200]!r}"
    if request.url.path.startswith("/api/"):
        token = request.headers.get(CSRF_HEADER, "")
        if not token:
            return f"a session cookie needs the {CSRF_HEADER} header (or use an API key)"
        if not hmac.compare_digest(token, expected_token):
            return f"{CSRF_HEADER} does not belong to this session"
    return None

"""What every console page shares: rendering with the session's CSRF token, redirects
with a notice, form token checks and small parsing helpers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from gateway.api import onboarding
from gateway.api.auth import SESSION_COOKIE, Principal
from gateway.api.console_actions import ConsoleError
from gateway.api.deps import get_signer


def render(
    request: Request, template: str, principal: Principal | None, nav: str, **context: Any
) -> HTMLResponse:
    """Render a page with the caller, the form token and any notice or error."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    csrf = get_signer(request).csrf_token(cookie) if cookie else ""
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "csrf": csrf,
            "nav": nav,
            "notice": request.query_params.get("notice"),
            "error": request.query_params.get("error"),
            **context,
        },
    )
    return response


def back(path: str, *, notice: str | None = None, error: str | None = None) -> RedirectResponse:
    """Redirect (303) to a page with a notice or an error to show there."""
    query = urlencode({k: v for k, v in (("notice", notice), ("error", error)) if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def check_csrf(request: Request, token: str) -> None:
    """Cookie-authenticated form posts must carry the session's token."""
    cookie = request.cookies.get(SESSION_COOKIE)
    by_header = request.headers.get("authorization") or request.headers.get("x-api-key")
    if cookie and not by_header and not get_signer(request).check_csrf(cookie, token):
        raise ConsoleError(403, "This form has expired; reload the page and try again.")


def parse_date(value: str | None, *, end: bool = False) -> dt.datetime | None:
    """A YYYY-MM-DD (or ISO) filter date as UTC; ``end`` makes a plain date inclusive."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConsoleError(422, f"not a date: {value!r} (use YYYY-MM-DD)") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    if end and len(value) <= 10:
        parsed += dt.timedelta(days=1)  # "until 2024-05-01" includes that whole day
    return parsed


def safe_next(target: str | None) -> str:
    """Only same-site paths after login (never an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def partner_ids(request: Request) -> list[str]:
    """Partner ids for filter dropdowns (empty when profiles do not load)."""
    try:
        return list(onboarding.partner_profiles(request.app.state.runtime))
    except Exception:  # a profile directory that does not load must not break the tracker
        return []


def pretty(value: Any) -> str:
    """Indented JSON for a code block ("" for nothing)."""
    if value is None:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)

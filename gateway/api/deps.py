"""FastAPI dependencies as ``Annotated`` aliases: runtime, session, caller and role checks.

Credentials: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` for the API, the
signed session cookie for the pages (either works on both). Every route declares the
permission it needs with one of the ``*Dep`` aliases below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field
from sqlalchemy.orm import Session

from gateway.api.auth import (
    SESSION_COOKIE,
    AuthError,
    Forbidden,
    Principal,
    SessionSigner,
    authenticate_key,
    principal_for_id,
)
from gateway.api.security import MAX_DB_INT, cookie_csrf_refusal
from gateway.pipeline.runtime import Runtime
from gateway.store.db import session_scope

log = logging.getLogger(__name__)


def get_runtime(request: Request) -> Runtime:
    """The app's runtime."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """One store session per request, committed when the route returns normally."""
    with session_scope(runtime.sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_signer(request: Request) -> SessionSigner:
    """The session cookie signer."""
    signer: SessionSigner = request.app.state.signer
    return signer


def _bootstrap(runtime: Runtime) -> str | None:
    key = runtime.settings.admin_api_key
    return key.get_secret_value() if key is not None and key.get_secret_value() else None


# declared as security schemes so /docs offers "Authorize"; checked by get_principal
_bearer = HTTPBearer(auto_error=False, description="An API key as bearer token.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
HeaderKeyDep = Annotated[str | None, Depends(_api_key)]


def get_principal(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    bearer: BearerDep,
    header_key: HeaderKeyDep,
) -> Principal:
    """Who is calling; raises :class:`AuthError` (401 / login page) when nobody valid is."""
    key = (bearer.credentials.strip() if bearer else None) or (header_key or "").strip() or None
    if key is not None:
        principal = authenticate_key(session, key, _bootstrap(runtime))
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise AuthError("no credentials: send Authorization: Bearer <key> or X-API-Key")
        signer = get_signer(request)
        key_id = signer.verify(cookie)
        refusal = cookie_csrf_refusal(request, signer.csrf_token(cookie))
        if refusal is not None:
            log.warning("refused %s %s: %s", request.method, request.url.path, refusal)
            raise Forbidden(refusal)
        principal = principal_for_id(session, key_id, _bootstrap(runtime))
    # release the write lock the last-used stamp may hold before the route's own work
    session.commit()
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(permission: str) -> Callable[[Principal], Principal]:
    """A dependency that lets only roles with ``permission`` through (403 otherwise)."""

    def check(principal: PrincipalDep) -> Principal:
        principal.require(permission)
        return principal

    check.__name__ = f"require_{permission}"
    return check


ReaderDep = Annotated[Principal, Depends(require("read"))]
OperatorDep = Annotated[Principal, Depends(require("operate"))]
OnboardingDep = Annotated[Principal, Depends(require("onboard"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]

# ids are 32-bit integer columns: anything else is a 422, never an overflow in the driver
DbId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="Row id.")]
# the same bound for ids inside a JSON body or a form, and how many one bulk action takes
RowId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
MAX_BULK = 500

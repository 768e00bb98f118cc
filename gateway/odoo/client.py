"""The real Odoo client: JSON-RPC for Odoo 16-18, the JSON-2 API for Odoo 19 and later.

Every request to a real Odoo goes through :class:`OdooClient`. It reads the server
version once (``common.version`` over JSON-RPC; ``GET /web/version`` when ``/jsonrpc``
is gone), logs in once and keeps the uid, reuses one ``httpx.Client`` (connection pool,
timeouts) and maps every failure once, here, to :mod:`gateway.odoo.errors`.

Wire facts this module relies on (recorded against Odoo 17, see ``tests/support``):
JSON-RPC answers HTTP 200 for application errors with ``error.data.name/message``; a
method returning None gives a reply without ``result``; ``authenticate`` with a wrong
password answers ``false``. JSON-2 answers the bare result with HTTP 200, or a 4xx/5xx
with ``{name, message, arguments, context, debug}``.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Sequence
from typing import Any

import httpx

from gateway.odoo.api import OdooApi, Values
from gateway.odoo.dialect import OdooDialect, dialect_from_version
from gateway.odoo.errors import (
    OdooConfigurationError,
    OdooError,
    OdooTransientError,
    error_from_fault,
    error_from_http_status,
)

USER_AGENT = "edi-gateway (Odoo delivery)"

# ORM methods whose leading parameters go positionally in execute_kw, after the ids
# for record methods. Everything else is passed by keyword, which Odoo accepts too.
_POSITIONAL: dict[str, tuple[str, ...]] = {
    "search_read": ("domain",),
    "search": ("domain",),
    "search_count": ("domain",),
    "create": ("vals_list",),
    "write": ("vals",),
}


def to_execute_kw(
    method: str, ids: Sequence[int] | None, params: Values | None, context: Values | None
) -> tuple[list[Any], Values]:
    """Turn a named call into ``execute_kw``'s ``args`` and ``kwargs``."""
    remaining = dict(params or {})
    args: list[Any] = [] if ids is None else [list(ids)]
    for name in _POSITIONAL.get(method, ()):
        if name not in remaining:
            break
        args.append(remaining.pop(name))
    if context:
        remaining["context"] = context
    return args, remaining


class OdooClient(OdooApi):
    """A logged-in connection to one Odoo database."""

    def __init__(
        self,
        url: str,
        db: str,
        user: str,
        *,
        password: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not (password or api_key):
            raise OdooConfigurationError("Odoo needs a password or an API key (EDIGW_ODOO_*)")
        self.url = url.rstrip("/")
        self.db = db
        self.user = user
        self._secret = api_key or password or ""
        self._api_key = api_key
        self._http = httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT},
            transport=transport,
        )
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._dialect: OdooDialect | None = None
        self._uid: int | None = None

    # ---- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> OdooClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        return f"Odoo at {self.url} (database {self.db}, user {self.user})"

    # ---- version and login ---------------------------------------------------------
    @property
    def dialect(self) -> OdooDialect:
        if self._dialect is None:
            with self._lock:
                if self._dialect is None:
                    self._dialect = self._read_version()
        return self._dialect

    def _read_version(self) -> OdooDialect:
        try:
            info = self._jsonrpc("common", "version", [], context="common.version")
        except OdooConfigurationError as exc:
            # Odoo 22 drops /jsonrpc; /web/version answers on every version since 16
            if "HTTP 404" not in exc.message:
                raise
            info = self._get_json("/web/version")
        if not isinstance(info, dict):
            raise OdooConfigurationError(f"unexpected answer to common.version: {info!r}")
        try:
            return dialect_from_version(info)
        except ValueError as exc:
            raise OdooConfigurationError(str(exc)) from exc

    @property
    def uses_json2(self) -> bool:
        """JSON-2 needs Odoo 19+ and an API key; otherwise JSON-RPC (still served by 19)."""
        return self.dialect.json2 and self._api_key is not None

    @property
    def uid(self) -> int:
        """The user id, from one ``common.authenticate`` (JSON-RPC only)."""
        if self._uid is None:
            with self._lock:
                if self._uid is None:
                    self._uid = self._authenticate()
        return self._uid

    def _authenticate(self) -> int:
        uid = self._jsonrpc(
            "common",
            "authenticate",
            [self.db, self.user, self._secret, {}],
            context="common.authenticate",
        )
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise OdooConfigurationError(
                f"Odoo refused the login of {self.user!r} on database {self.db!r} "
                "(wrong password or API key?)",
                odoo_name="odoo.exceptions.AccessDenied",
                odoo_message="authenticate returned false",
            )
        return uid

    # ---- calls ---------------------------------------------------------------------
    def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        params: Values | None = None,
        context: Values | None = None,
    ) -> Any:
        if self.uses_json2:
            return self._json2(model, method, ids, params, context)
        args, kwargs = to_execute_kw(method, ids, params, context)
        return self._jsonrpc(
            "object",
            "execute_kw",
            [self.db, self.uid, self._secret, model, method, args, kwargs],
            context=f"{model}.{method}",
        )

    def _jsonrpc(self, service: str, method: str, args: list[Any], *, context: str) -> Any:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        response = self._post("/jsonrpc", body, context=context)
        data = self._decode(response, context=context)
        if not isinstance(data, dict):
            raise OdooTransientError(f"{context}: unexpected JSON-RPC reply {data!r:.200}")
        error = data.get("error")
        if error is not None:
            raise _fault_error(error, context=context)
        # a method that returns None gives a reply without "result"
        return data.get("result")

    def _json2(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None,
        params: Values | None,
        context: Values | None,
    ) -> Any:
        body: Values = dict(params or {})
        if ids is not None:
            body["ids"] = list(ids)
        if context:
            body["context"] = context
        headers = {
            "Authorization": f"bearer {self._api_key}",
            "X-Odoo-Database": self.db,
        }
        label = f"{model}.{method}"
        response = self._post(f"/json/2/{model}/{method}", body, context=label, headers=headers)
        return self._decode(response, context=label)

    def _post(
        self,
        path: str,
        body: Values,
        *,
        context: str,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return self._http.post(path, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise OdooTransientError(f"{context}: Odoo did not answer in time ({exc})") from exc
        except httpx.TransportError as exc:
            raise OdooTransientError(f"{context}: cannot reach Odoo at {self.url}: {exc}") from exc

    def _get_json(self, path: str) -> Any:
        try:
            response = self._http.get(path)
        except httpx.TransportError as exc:
            raise OdooTransientError(f"GET {path}: cannot reach Odoo: {exc}") from exc
        return self._decode(response, context=f"GET {path}")

    @staticmethod
    def _decode(response: httpx.Response, *, context: str) -> Any:
        if response.status_code == 200:
            try:
                return response.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                # a proxy's maintenance page with status 200: try again later
                raise OdooTransientError(
                    f"{context}: Odoo answered something that is not JSON"
                ) from exc
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("name"), str):
            # JSON-2 errors name the Python exception: that decides, not the status code
            raise error_from_fault(
                payload["name"], str(payload.get("message", "")), context=context
            )
        raise error_from_http_status(response.status_code, response.text, context=context)


def _fault_error(error: Any, *, context: str) -> OdooError:
    """Map a JSON-RPC ``error`` object."""
    if not isinstance(error, dict):
        return OdooTransientError(f"{context}: malformed JSON-RPC error {error!r:.200}")
    data = error.get("data")
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        return error_from_fault(data["name"], str(data.get("message", "")), context=context)
    message = str(error.get("message", "Odoo Server Error"))
    return error_from_fault("", message, context=context)

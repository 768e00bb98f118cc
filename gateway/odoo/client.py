"""The real Odoo client: JSON-2 where the server has it and an API key is set, else JSON-RPC.

Every request to a real Odoo goes through :class:`OdooClient`. It reads the server
version once (``common.version`` over JSON-RPC; ``GET /web/version`` when ``/jsonrpc``
is gone), then probes ``POST /json/2/res.users/context_get`` once: the protocol is chosen
from that answer, never from the version number alone (18 answers a 303 to the login
page there). It logs in once and keeps the uid (JSON-RPC), reuses one ``httpx.Client``
(connection pool, timeouts, redirects never followed) and maps every failure once, here,
to :mod:`gateway.odoo.errors`: a redirect or an HTML page where JSON is expected is a
configuration error naming the URL and what came back.

Wire facts this module relies on (recorded against Odoo 17, see ``tests/support``):
JSON-RPC answers HTTP 200 for application errors with ``error.data.name/message``; a
method returning None gives a reply without ``result``; ``authenticate`` with a wrong
password answers ``false``. JSON-2 answers the bare result with HTTP 200, or a 4xx/5xx
with ``{name, message, arguments, context, debug}``.
"""

from __future__ import annotations

import itertools
import json
import re
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
JSON2 = "JSON-2"
JSONRPC = "JSON-RPC"
_PROBE_MODEL, _PROBE_METHOD = "res.users", "context_get"
_RETRY_STATUSES = (502, 503, 504)

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
        self._protocol: str | None = None
        self._warnings: list[str] = []
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

    # ---- version, protocol and login ----------------------------------------------
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
            # Odoo 20 drops /jsonrpc; /web/version answers on every version since 16
            if "HTTP 404" not in exc.message:
                raise
            info = self._get_json("/web/version")
        if not isinstance(info, dict):
            raise OdooConfigurationError(
                f"{self.url}/jsonrpc: unexpected answer to common.version: {info!r:.200}"
            )
        try:
            return dialect_from_version(info, reader=self._fields_present)
        except ValueError as exc:
            raise OdooConfigurationError(str(exc)) from exc

    def _fields_present(self, model: str, names: list[str]) -> set[str]:
        """Which of ``names`` the server's ``model`` has (the dialect's reader)."""
        found = self.call(model, "fields_get", params={"allfields": names, "attributes": ["type"]})
        return set(found or {}) & set(names)

    @property
    def protocol(self) -> str:
        """``"JSON-2"`` or ``"JSON-RPC"``: decided by what the server answers (see
        :meth:`_detect_protocol`), never by the version number alone."""
        if self._protocol is None:
            self.dialect  # noqa: B018 - the version first: a server that is not Odoo fails here
            with self._lock:
                if self._protocol is None:
                    self._protocol = self._detect_protocol()
        return self._protocol

    @property
    def uses_json2(self) -> bool:
        """True when calls go to ``/json/2`` (server has it and an API key is configured)."""
        return self.protocol == JSON2

    @property
    def warnings(self) -> list[str]:
        """What ``odoo check`` should show as warnings (JSON-RPC deprecated on this server)."""
        self.protocol  # noqa: B018
        return list(self._warnings)

    def _detect_protocol(self) -> str:
        """Probe ``POST /json/2/res.users/context_get`` (a read every user may do).

        200 JSON: JSON-2 works with the key. A JSON-2 error body (401 without or with a
        wrong key): the server has JSON-2. Anything else (17's 404 HTML page, 18's 303 to
        ``/web/login``): it has not, JSON-RPC is used.
        """
        headers = self._json2_headers()
        path = f"/json/2/{_PROBE_MODEL}/{_PROBE_METHOD}"
        try:
            response = self._http.post(path, json={}, headers=headers)
        except httpx.TransportError as exc:
            raise OdooTransientError(f"{self.url}{path}: cannot reach Odoo: {exc}") from exc
        if response.status_code == 200 and _is_json(response) and self._api_key:
            return JSON2
        payload = _json_or_none(response) if _is_json(response) else None
        has_json2 = isinstance(payload, dict) and isinstance(payload.get("name"), str)
        if not has_json2:
            return JSONRPC
        if self._api_key:
            name = str(payload.get("name")) if isinstance(payload, dict) else ""
            message = str(payload.get("message", "")) if isinstance(payload, dict) else ""
            if response.status_code == 401:
                raise OdooConfigurationError(
                    f"{self.url}{path}: Odoo refused the API key of {self.user!r} on database "
                    f"{self.db!r} (HTTP 401: {message}); make a new key (EDIGW_ODOO_API_KEY)",
                    odoo_name=name,
                    odoo_message=message,
                )
            return JSON2
        self._warnings.append(
            f"Odoo {self.dialect.server_version} has JSON-2, but only a password is configured: "
            "the gateway uses JSON-RPC, which this version deprecates (removal announced for "
            "Odoo 20). Set EDIGW_ODOO_API_KEY to an API key of the user to use JSON-2."
        )
        return JSONRPC

    def _json2_headers(self) -> dict[str, str]:
        headers = {"X-Odoo-Database": self.db}
        if self._api_key:
            headers["Authorization"] = f"bearer {self._api_key}"
        return headers

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
        headers = self._json2_headers()
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

    def _decode(self, response: httpx.Response, *, context: str) -> Any:
        """The JSON of an answer; a configuration error for anything that is not Odoo's JSON.

        A redirect (a login page, 18's ``/json/2``) or an HTML page where JSON is expected
        means the URL does not lead to Odoo's API: the error names the URL and what came
        back. A 502/503/504 page from a proxy is transient (Odoo restarting behind it).
        """
        url = str(response.request.url) if response.request else self.url
        if response.is_redirect:
            location = response.headers.get("Location", "?")
            raise OdooConfigurationError(
                f"{context}: {url} answered HTTP {response.status_code} redirecting to "
                f"{location} where Odoo's JSON was expected (a login page or a proxy? check "
                "EDIGW_ODOO_URL)"
            )
        payload = _json_or_none(response) if _is_json(response) else _NOT_JSON
        if payload is _NOT_JSON:
            what = _what_came_back(response)
            text = (
                f"{context}: {url} answered HTTP {response.status_code} {what} "
                "where Odoo's JSON was expected"
            )
            if response.status_code in _RETRY_STATUSES:
                raise OdooTransientError(text)
            if response.status_code == 404 and "database" in response.text.lower():
                text += f" (is the database {self.db!r} served there? EDIGW_ODOO_DB)"
            else:
                text += " (is EDIGW_ODOO_URL the address of Odoo itself?)"
            raise OdooConfigurationError(text)
        if response.status_code == 200:
            return payload
        if isinstance(payload, dict) and isinstance(payload.get("name"), str):
            # JSON-2 errors name the Python exception: that decides, not the status code
            raise error_from_fault(
                payload["name"], str(payload.get("message", "")), context=context
            )
        raise error_from_http_status(response.status_code, response.text, context=context)


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("Content-Type", "").lower()


_NOT_JSON = object()


def _json_or_none(response: httpx.Response) -> Any:
    """The decoded body; :data:`_NOT_JSON` when it does not parse."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _NOT_JSON


def _what_came_back(response: httpx.Response) -> str:
    """``text/html "Odoo - Login"`` or the first words of the body, for error messages."""
    kind = response.headers.get("Content-Type", "no Content-Type").split(";")[0].strip()
    body = response.text
    match = re.search(r"<title>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
    snippet = match.group(1) if match else body
    snippet = " ".join(snippet.split())[:120]
    return f'{kind} "{snippet}"' if snippet else kind


def _fault_error(error: Any, *, context: str) -> OdooError:
    """Map a JSON-RPC ``error`` object."""
    if not isinstance(error, dict):
        return OdooTransientError(f"{context}: malformed JSON-RPC error {error!r:.200}")
    data = error.get("data")
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        return error_from_fault(data["name"], str(data.get("message", "")), context=context)
    message = str(error.get("message", "Odoo Server Error"))
    return error_from_fault("", message, context=context)

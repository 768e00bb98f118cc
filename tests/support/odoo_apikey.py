"""Make an Odoo API key the way *Preferences -> Account Security -> New API Key* does.

``make_key`` only works over a web session ("This method can only be accessed over
HTTP" on ``/jsonrpc``), so this logs in with ``/web/session/authenticate`` (cookie) and
calls, through ``/web/dataset/call_kw``: ``res.users.apikeys.description.create``,
``write {"duration": "0"}`` where the field exists (a key that does not expire:
administrators only), ``make_key``, which first answers the ``res.users.identitycheck``
wizard; ``run_check`` on it with the password (17/18 read the wizard's ``password`` field,
19 reads ``context["password"]``: both are sent) answers the action whose
``context.default_key`` is the 40-character key. Works on Odoo 17, 18 and 19.

Usage (also ``python -m tests.support.odoo_apikey URL DB LOGIN PASSWORD``)::

    key = make_api_key("http://127.0.0.1:8069", "prod", "admin", "admin")
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from typing import Any

import httpx

_ids = itertools.count(1)


class ApiKeyError(RuntimeError):
    """Odoo did not give a key (the message says at which step and why)."""


def _rpc(http: httpx.Client, path: str, params: dict[str, Any]) -> Any:
    body = {"jsonrpc": "2.0", "method": "call", "params": params, "id": next(_ids)}
    response = http.post(path, json=body)
    if response.status_code != 200 or "json" not in response.headers.get("Content-Type", ""):
        raise ApiKeyError(f"{path}: HTTP {response.status_code} {response.text[:200]!r}")
    data = response.json()
    if data.get("error"):
        error = data["error"]
        message = (error.get("data") or {}).get("message") or error.get("message")
        raise ApiKeyError(f"{path} {params.get('model', '')}.{params.get('method', '')}: {message}")
    return data.get("result")


def _call_kw(
    http: httpx.Client,
    model: str,
    method: str,
    args: list[Any],
    kwargs: dict[str, Any] | None = None,
) -> Any:
    params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
    return _rpc(http, f"/web/dataset/call_kw/{model}/{method}", params)


def make_api_key(url: str, db: str, login: str, password: str, *, name: str = "edi-gateway") -> str:
    """A new API key of ``login`` on ``db`` (persistent when the user may make one)."""
    with httpx.Client(base_url=url.rstrip("/"), timeout=60.0) as http:
        session = _rpc(
            http,
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )
        if not isinstance(session, dict) or not session.get("uid"):
            raise ApiKeyError(f"login of {login!r} on {db!r} refused")
        model = "res.users.apikeys.description"
        description = _call_kw(http, model, "create", [{"name": name}])
        description_id = description[0] if isinstance(description, list) else description
        fields = _call_kw(http, model, "fields_get", [], {"attributes": ["type"]})
        if "duration" in fields:
            # not an administrator: the default expiry of the user's groups applies
            with contextlib.suppress(ApiKeyError):
                _call_kw(http, model, "write", [[description_id], {"duration": "0"}])
        context = {"password": password}
        action = _call_kw(http, model, "make_key", [[description_id]], {"context": context})
        if isinstance(action, dict) and action.get("res_model") == "res.users.identitycheck":
            wizard_id = action["res_id"]
            check = "res.users.identitycheck"
            wizard_fields = _call_kw(http, check, "fields_get", [], {"attributes": ["type"]})
            if "password" in wizard_fields:
                _call_kw(http, check, "write", [[wizard_id], {"password": password}])
            action = _call_kw(http, check, "run_check", [[wizard_id]], {"context": context})
        key = (
            (action or {}).get("context", {}).get("default_key")
            if isinstance(action, dict)
            else None
        )
        if not isinstance(key, str) or not key:
            raise ApiKeyError(f"make_key gave no key: {action!r:.300}")
        return key


if __name__ == "__main__":  # pragma: no cover - a command-line convenience
    print(make_api_key(*sys.argv[1:5]))

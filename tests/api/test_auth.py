"""Keys, roles and sessions: who may do what, and how credentials are kept."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.auth import (
    SESSION_MAX_AGE,
    AuthError,
    SessionSigner,
    check_secret,
    create_key,
    hash_secret,
    split_key,
)
from gateway.store.db import session_scope
from gateway.store.models import ApiKey, Event
from tests.api.world import BOOTSTRAP, World

READ_ROUTES = [
    "/api/v1/me",
    "/api/v1/dashboard",
    "/api/v1/messages",
    "/api/v1/messages/1",
    "/api/v1/messages/1/raw",
    "/api/v1/transactions",
    "/api/v1/transactions/1",
    "/api/v1/transactions/1/raw",
    "/api/v1/acknowledgements/1/raw",
    "/api/v1/exceptions",
    "/api/v1/exceptions/1",
    "/api/v1/partners",
    "/api/v1/partners/errors",
    "/api/v1/partners/keystone-pharma",
    "/metrics",
]


@pytest.mark.parametrize("path", READ_ROUTES)
def test_every_read_route_needs_a_key(client: TestClient, path: str) -> None:
    # given no credentials / when reading / then 401 with a Bearer challenge
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("role", ["viewer", "operator", "onboarding", "admin"])
@pytest.mark.parametrize("path", READ_ROUTES)
def test_every_role_may_read(client: TestClient, world: World, role: str, path: str) -> None:
    # given a key of any role / when reading / then it is served
    assert client.get(path, headers=world.headers(role)).status_code == 200


# (method, path, body kind) of every state-changing API route, and the roles allowed
CHANGES = [
    ("post", "/api/v1/messages", "upload", {"operator", "admin"}),
    ("post", "/api/v1/messages/1/replay", None, {"operator", "admin"}),
    ("post", "/api/v1/transactions/1/replay", None, {"operator", "admin"}),
    ("post", "/api/v1/transactions/2/cancel", "comment", {"operator", "admin"}),
    ("post", "/api/v1/exceptions/1/resolve", "comment", {"operator", "admin"}),
    ("post", "/api/v1/partners/validate", "yaml", {"onboarding", "admin"}),
    ("post", "/api/v1/partners/keystone-pharma/test", "upload", {"onboarding", "admin"}),
    ("get", "/api/v1/keys", None, {"admin"}),
    ("post", "/api/v1/keys", "newkey", {"admin"}),
    ("delete", "/api/v1/keys/nobody", None, {"admin"}),
]


def _call(
    client: TestClient, method: str, path: str, kind: str | None, headers: dict[str, str]
) -> httpx.Response:
    if kind == "upload":
        return client.post(path, headers=headers, files={"file": ("x.edi", b"not edi")})
    if kind == "comment":
        return client.post(path, headers=headers, json={"comment": "role test"})
    if kind == "yaml":
        return client.post(
            path, headers={**headers, "Content-Type": "application/yaml"}, content=b"id: x\n"
        )
    if kind == "newkey":
        return client.post(path, headers=headers, json={"name": "made-in-test", "role": "viewer"})
    return getattr(client, method)(path, headers=headers)


FORBIDDEN = [
    (method, path, kind, role)
    for method, path, kind, allowed in CHANGES
    for role in ("viewer", "operator", "onboarding")
    if role not in allowed
]


@pytest.mark.parametrize(("method", "path", "kind", "role"), FORBIDDEN)
def test_roles_without_the_permission_get_403(
    client: TestClient, world: World, method: str, path: str, kind: str | None, role: str
) -> None:
    # given a role not listed for the route / when it tries / then 403 and nothing changes
    with session_scope(world.runtime.sessions) as session:
        before = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    response = _call(client, method, path, kind, world.headers(role))
    assert response.status_code == 403, response.text
    assert role in response.json()["detail"]
    with session_scope(world.runtime.sessions) as session:
        after = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    assert after == before


@pytest.mark.parametrize(("method", "path", "kind", "allowed"), CHANGES)
def test_state_changing_routes_need_a_key(
    client: TestClient, method: str, path: str, kind: str | None, allowed: set[str]
) -> None:
    assert _call(client, method, path, kind, {}).status_code == 401


def test_x_api_key_header_and_bootstrap_admin(client: TestClient, world: World) -> None:
    # given the X-API-Key header form and the bootstrap key from the settings
    me = client.get("/api/v1/me", headers={"X-API-Key": world.keys["operator"]}).json()
    assert me == {"name": "operator-key", "role": "operator", "permissions": ["operate", "read"]}
    boot = client.get("/api/v1/me", headers={"X-API-Key": BOOTSTRAP}).json()
    assert boot["role"] == "admin" and boot["name"] == "bootstrap-admin"


@pytest.mark.parametrize(
    "key", ["egw_deadbeef_nottherightsecret", "garbage", "egw_", "egw_short_x", BOOTSTRAP + "x"]
)
def test_wrong_keys_are_refused(client: TestClient, key: str) -> None:
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_key_with_right_prefix_but_wrong_secret_is_refused(
    client: TestClient, world: World
) -> None:
    prefix, _ = split_key(world.keys["viewer"]) or ("", "")
    forged = f"egw_{prefix}_{'A' * 43}"
    assert client.get("/api/v1/me", headers={"X-API-Key": forged}).status_code == 401


def test_keys_are_stored_hashed_with_a_salt(world: World) -> None:
    # given the stored rows / then no key appears in them and equal secrets hash differently
    with session_scope(world.runtime.sessions) as session:
        rows = list(session.scalars(select(ApiKey)))
    stored = " ".join(f"{r.prefix} {r.key_hash}" for r in rows)
    for key in world.keys.values():
        assert split_key(key)[1] not in stored  # type: ignore[index]
    assert hash_secret("same") != hash_secret("same")
    assert check_secret("same", hash_secret("same"))
    assert not check_secret("other", hash_secret("same"))
    assert not check_secret("same", "md5$00$00")


def test_revoked_key_stops_working_at_once(fresh_client: TestClient, fresh: World) -> None:
    # given an operator key in use
    headers = fresh.headers("operator")
    assert fresh_client.get("/api/v1/me", headers=headers).status_code == 200
    # when the admin revokes it
    response = fresh_client.delete("/api/v1/keys/operator-key", headers=fresh.headers("admin"))
    assert response.status_code == 200
    # then it is refused, and the revocation is in the audit trail with its actor
    assert fresh_client.get("/api/v1/me", headers=headers).status_code == 401
    with session_scope(fresh.runtime.sessions) as session:
        event = session.scalar(select(Event).where(Event.kind == "key_revoked"))
        assert event is not None and event.actor == "key:admin-key"


def test_admin_creates_a_key_that_works_and_names_are_unique(
    fresh_client: TestClient, fresh: World
) -> None:
    admin = fresh.headers("admin")
    created = fresh_client.post(
        "/api/v1/keys", headers=admin, json={"name": "jane", "role": "onboarding"}
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert fresh_client.get("/api/v1/me", headers={"X-API-Key": key}).json()["role"] == "onboarding"
    listed = fresh_client.get("/api/v1/keys", headers=admin).json()
    assert "jane" in [k["name"] for k in listed]
    assert all("key" not in k and "key_hash" not in k for k in listed)
    again = fresh_client.post(
        "/api/v1/keys", headers=admin, json={"name": "jane", "role": "viewer"}
    )
    assert again.status_code == 409
    bad = fresh_client.post("/api/v1/keys", headers=admin, json={"name": "x", "role": "root"})
    assert bad.status_code == 422


def test_session_cookie_signature_and_expiry() -> None:
    signer = SessionSigner(b"s" * 32, bootstrap="boot")
    cookie = signer.sign(7, now=1000.0)
    assert signer.verify(cookie, now=1000.0 + 60) == 7
    with pytest.raises(AuthError):
        signer.verify(cookie, now=1000.0 + SESSION_MAX_AGE + 1)
    _key_id, issued, mac = cookie.split(".")
    with pytest.raises(AuthError):
        signer.verify(f"8.{issued}.{mac}", now=1000.0)
    with pytest.raises(AuthError):
        signer.verify("not-a-cookie", now=1000.0)
    # the bootstrap admin's sessions end when the bootstrap key changes
    boot_cookie = signer.sign(0, now=1000.0)
    with pytest.raises(AuthError):
        SessionSigner(b"s" * 32, bootstrap="rotated").verify(boot_cookie, now=1000.0)
    # CSRF tokens belong to one session
    assert signer.check_csrf(cookie, signer.csrf_token(cookie))
    assert not signer.check_csrf(cookie, signer.csrf_token(boot_cookie))


def test_create_key_refuses_unknown_role(world: World) -> None:
    from gateway.api.auth import KeyManagementError

    with session_scope(world.runtime.sessions) as session, pytest.raises(KeyManagementError):
        create_key(session, "x", "superuser")

"""Console pages over HTTP (no browser): login, role checks, forms and their CSRF token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Event
from tests.api.world import World

PAGES = [
    "/",
    "/messages",
    "/messages?view=files",
    "/messages/1",
    "/documents/1",
    "/documents/2",
    "/exceptions",
    "/exceptions?state=all",
    "/partners",
    "/partners/keystone-pharma",
]


def _login(client: TestClient, key: str, next_: str = "/") -> None:
    response = client.post("/login", data={"key": key, "next": next_}, follow_redirects=False)
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "page has no form token"
    return match.group(1)


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_strangers_to_the_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_login_with_a_bad_key_says_so(world: World) -> None:
    with TestClient(create_app(world.runtime)) as c:
        response = c.post("/login", data={"key": "egw_nope_nope"})
        assert response.status_code == 401
        assert "not valid" in response.text
        assert c.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_a_viewer(world: World, path: str) -> None:
    with TestClient(create_app(world.runtime)) as c:
        _login(c, world.keys["viewer"])
        response = c.get(path)
        assert response.status_code == 200, response.text
        assert "viewer-key" in response.text
        # a viewer sees no buttons that change things
        assert "Replay" not in response.text and 'name="action"' not in response.text


def test_operator_sees_actions_and_viewer_gets_403_page(world: World) -> None:
    with TestClient(create_app(world.runtime)) as c:
        _login(c, world.keys["operator"])
        assert "Replay" in c.get("/documents/1").text
        assert 'value="retry"' in c.get("/exceptions").text
    with TestClient(create_app(world.runtime)) as c:
        _login(c, world.keys["viewer"])
        response = c.post("/documents/1/replay", data={"csrf": "x"})
        assert response.status_code == 403
        assert "Not allowed" in response.text
        assert c.get("/keys").status_code == 403


def test_tracker_finds_by_po_number_and_shows_empty_state(world: World) -> None:
    with TestClient(create_app(world.runtime)) as c:
        _login(c, world.keys["viewer"])
        found = c.get("/messages", params={"business_key": "PO-API-5001"}).text
        assert "/documents/1" in found and "/documents/2" not in found
        none = c.get("/messages", params={"business_key": "NOPE-1"}).text
        assert "Nothing matches these filters" in none
        bad = c.get("/messages", params={"since": "yesterday"})
        assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text


def test_forms_need_the_session_token(fresh: World) -> None:
    with TestClient(create_app(fresh.runtime)) as c:
        _login(c, fresh.keys["operator"])
        page = c.get("/exceptions").text
        # without the token: refused, nothing changes
        refused = c.post("/exceptions/1", data={"action": "resolve", "comment": "x"})
        assert refused.status_code == 403
        # with it: resolved, with the comment and the operator's name
        done = c.post(
            "/exceptions/1",
            data={"action": "resolve", "comment": "booked by hand", "csrf": _csrf(page)},
            follow_redirects=False,
        )
        assert done.status_code == 303 and "notice=" in done.headers["location"]
        assert "Nothing waiting" in c.get("/exceptions").text
        assert "No resolved exceptions" not in c.get("/exceptions?state=resolved").text
        assert "No dismissed exceptions" in c.get("/exceptions?state=dismissed").text
    with session_scope(fresh.runtime.sessions) as session:
        row = session.get(BusinessException, 1)
        assert row is not None
        assert (row.state, row.resolution, row.resolved_by) == (
            "resolved",
            "booked by hand",
            "key:operator-key",
        )


def test_login_logout_and_audit(fresh: World) -> None:
    with TestClient(create_app(fresh.runtime)) as c:
        _login(c, fresh.keys["admin"], next_="/partners")
        assert c.get("/keys").status_code == 200
        logout = c.post("/logout", follow_redirects=False)
        assert logout.status_code == 303
        assert c.get("/", follow_redirects=False).status_code == 303
    with session_scope(fresh.runtime.sessions) as session:
        login = session.scalar(select(Event).where(Event.kind == "console_login"))
        assert login is not None and login.actor == "key:admin-key"


def test_login_never_redirects_off_site(world: World) -> None:
    with TestClient(create_app(world.runtime)) as c:
        response = c.post(
            "/login",
            data={"key": world.keys["viewer"], "next": "//evil.example/x"},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


def test_admin_creates_and_revokes_keys_on_the_page(fresh: World) -> None:
    with TestClient(create_app(fresh.runtime)) as c:
        _login(c, fresh.keys["admin"])
        token = _csrf(c.get("/keys").text)
        created = c.post("/keys", data={"name": "lab-viewer", "role": "viewer", "csrf": token})
        key = re.search(r"(egw_[0-9a-f]{8}_[\w-]+)", created.text)
        assert key, "the new key is shown once"
        assert c.get("/api/v1/me", headers={"X-API-Key": key.group(1)}).status_code == 200
        c.post("/keys/lab-viewer/revoke", data={"csrf": token})
        assert c.get("/api/v1/me", headers={"X-API-Key": key.group(1)}).status_code == 401
        # a revoked key's browser session ends too
    with TestClient(create_app(fresh.runtime)) as other:
        _login(other, fresh.keys["viewer"])
        assert other.get("/").status_code == 200
    with TestClient(create_app(fresh.runtime)) as c:
        _login(c, fresh.keys["admin"])
        c.post("/keys/viewer-key/revoke", data={"csrf": _csrf(c.get("/keys").text)})
        assert other.get("/", follow_redirects=False).status_code == 303


def test_partner_page_sample_test_and_validate(world: World) -> None:
    from tests.api.world import purchase_order

    with TestClient(create_app(world.runtime)) as c:
        _login(c, world.keys["onboarding"])
        page = c.get("/partners/keystone-pharma").text
        result = c.post(
            "/partners/keystone-pharma/test",
            data={"csrf": _csrf(page)},
            files={"file": ("s.edi", purchase_order("PO-PAGE-1", 810001))},
        )
        assert result.status_code == 200
        assert "translates cleanly" in result.text and "PO-PAGE-1" in result.text
        assert "ST*999" in result.text
        assert (
            "Where each field came from" in result.text and "<code>po_number</code>" in result.text
        )
        form = c.get("/partners/validate").text
        checked = c.post(
            "/partners/validate", data={"csrf": _csrf(form), "text": "id: Bad Id\nname: x\n"}
        )
        assert "problem" in checked.text and "<code>id</code>" in checked.text


def test_unknown_ids_show_a_not_found_page(world: World) -> None:
    with TestClient(create_app(world.runtime)) as c:
        _login(c, world.keys["viewer"])
        for path in ("/documents/999", "/messages/999", "/partners/nobody"):
            response = c.get(path)
            assert response.status_code == 404
            assert "Not found" in response.text and "Dashboard" in response.text


def test_rejected_document_offers_no_replay(fresh: World) -> None:
    from tests.api.world import purchase_order

    bad = purchase_order("PO-BAD-1", 700099).replace(b"SE*12*0001", b"SE*99*0001")
    fresh.feed("bad", bad, "bad.edi")
    with TestClient(create_app(fresh.runtime)) as c:
        _login(c, fresh.keys["operator"])
        page = c.get("/documents/3").text
    assert "rejected for its content" in page
    assert "/documents/3/replay" not in page
    # the stored finding is the problem banner already: not repeated as a finding below it
    banner = page.index("<strong>Problem:</strong> segment 12 (SE), byte")
    assert 'class="issue' not in page[banner : page.index('<div class="tabs"')]

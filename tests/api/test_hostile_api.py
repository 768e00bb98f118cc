"""Issue #17, API findings: 7 CSRF on cookie-authenticated API routes; 12 ids and offsets
that overflowed, an upload while the broker is down, a 413 without a record, no CSP.

Real HTTP through httpx against the ASGI app (the network is not the point here); the
broker that is down is a real Celery client pointed at a closed Redis port.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.api.auth import SESSION_COOKIE
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import CeleryDispatcher
from gateway.store.models import Event, Message, MessageState
from tests.api.world import World, make_settings, make_world, purchase_order

FOREIGN = "https://evil.example"


def login(client: TestClient, world: World, role: str = "operator") -> str:
    response = client.post("/login", data={"key": world.keys[role], "next": "/"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return cookie


def test_7_cookie_alone_cannot_upload_or_replay_through_the_api(
    fresh: World, fresh_client: TestClient
) -> None:
    cookie = login(fresh_client, fresh)
    message_id = fresh.files["po"]
    files = {"file": ("po.edi", purchase_order("PO-CSRF-1", 710001), "text/plain")}
    with fresh.runtime.sessions() as s:
        before = len(s.scalars(select(Message.id)).all())
    # the attack: the session cookie rides along, from a foreign page
    for headers in ({"Origin": FOREIGN}, {}):
        upload = fresh_client.post("/api/v1/messages", files=files, headers=headers)
        replay = fresh_client.post(f"/api/v1/messages/{message_id}/replay", headers=headers)
        assert (upload.status_code, replay.status_code) == (403, 403), upload.text
    with fresh.runtime.sessions() as s:
        assert len(s.scalars(select(Message.id)).all()) == before  # nothing ingested
    # our own page (same origin, the session's token in the header) may
    token = fresh_client.app.state.signer.csrf_token(cookie)  # type: ignore[attr-defined]
    ok = fresh_client.post("/api/v1/messages", files=files, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201, ok.text
    bad = fresh_client.post(
        "/api/v1/messages", files=files, headers={"X-CSRF-Token": token, "Origin": FOREIGN}
    )
    assert bad.status_code == 403
    # and an API key needs no token (browsers never send it by themselves)
    fresh_client.cookies.clear()
    keyed = fresh_client.post(
        f"/api/v1/messages/{message_id}/replay", headers=fresh.headers("operator")
    )
    assert keyed.status_code == 200


def test_7_console_forms_refuse_a_foreign_origin(fresh: World, fresh_client: TestClient) -> None:
    login(fresh_client, fresh)
    page = fresh_client.get("/messages")
    assert page.status_code == 200
    response = fresh_client.post(
        f"/messages/{fresh.files['po']}/replay", data={"csrf": "whatever"},
        headers={"Origin": FOREIGN}, follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/messages/99999999999999999999",
        "/api/v1/messages/99999999999999999999/raw",
        "/api/v1/transactions/99999999999999999999",
        "/api/v1/acknowledgements/99999999999999999999/raw",
        "/api/v1/exceptions/99999999999999999999",
        "/api/v1/messages?offset=99999999999999999999",
        "/api/v1/transactions?message_id=99999999999999999999",
        "/api/v1/messages/0",
    ],
)
def test_12_giant_ids_and_offsets_are_422_not_500(
    world: World, client: TestClient, path: str
) -> None:
    response = client.get(path, headers=world.headers("viewer"))
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/exceptions/99999999999999999999/assign", {"assignee": "ann"}),
        ("/api/v1/exceptions/2147483648/assign", {"assignee": "ann"}),
        ("/api/v1/exceptions/bulk", {"ids": [2**63], "action": "resolve"}),
        ("/api/v1/exceptions/bulk", {"ids": [0], "action": "resolve"}),
    ],
)
def test_12_giant_ids_in_writes_are_422_not_500(
    world: World, client: TestClient, path: str, body: dict[str, object]
) -> None:
    response = client.post(path, json=body, headers=world.headers("operator"))
    assert response.status_code == 422, response.text


def test_12_giant_ids_on_pages_are_422(world: World, client: TestClient) -> None:
    login(client, world, "viewer")
    assert client.get("/messages/99999999999999999999").status_code == 422
    assert client.get("/messages?page=99999999999999999999").status_code == 422
    client.cookies.clear()


def test_12_pages_carry_a_csp_and_the_usual_headers(client: TestClient) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "unsafe-inline" not in response.headers["content-security-policy"]


@pytest.fixture
def broker_down(tmp_path: Path) -> Iterator[tuple[TestClient, World]]:
    from gateway.celery_app import make_celery
    from tests.api.world import ROLES, create_key, session_scope

    settings = make_settings(tmp_path, broker_url="redis://127.0.0.1:1/0")
    app = make_celery(settings)
    app.conf.broker_transport_options = {"max_retries": 1}
    runtime = build_runtime(settings, dispatcher=CeleryDispatcher(app))
    world = World(runtime=runtime)
    with session_scope(runtime.sessions) as session:
        for role in ROLES:
            world.keys[role] = create_key(session, f"{role}-key", role)[1]
    with TestClient(create_app(runtime)) as client:
        yield client, world
    runtime.engine.dispose()


def test_12_upload_while_the_broker_is_down_is_stored_and_answered_202(
    broker_down: tuple[TestClient, World],
) -> None:
    client, world = broker_down
    files = {"file": ("po.edi", purchase_order("PO-DOWN-1", 720001), "text/plain")}
    response = client.post("/api/v1/messages", files=files, headers=world.headers("operator"))
    assert response.status_code == 202, response.text
    message_id = response.json()["id"]
    with world.runtime.sessions() as s:
        message = s.get(Message, message_id)
        assert message is not None and message.state == MessageState.RECEIVED
        kinds = s.scalars(select(Event.kind).where(Event.message_id == message_id)).all()
        assert "queue_unavailable" in kinds  # stall recovery queues it when the broker is back


def test_12_a_413_leaves_a_refused_message(fresh: World, fresh_client: TestClient) -> None:
    # the test world's payload limit is 64 KB
    big = b"ISA*" + b"x" * (200 * 1024)
    response = fresh_client.post(
        "/api/v1/messages", files={"file": ("big.edi", big, "text/plain")},
        headers=fresh.headers("operator"),
    )  # fmt: skip
    assert response.status_code == 413
    empty = fresh_client.post(
        "/api/v1/messages", files={"file": ("empty.edi", b"", "text/plain")},
        headers=fresh.headers("operator"),
    )  # fmt: skip
    assert empty.status_code == 422
    with fresh.runtime.sessions() as s:
        refused = s.scalars(
            select(Message).where(Message.state == MessageState.REFUSED).order_by(Message.id)
        ).all()
        assert len(refused) == 2 and "over the limit" in (refused[0].error or "")
        assert refused[1].error == "the uploaded file is empty"
    # and the refused messages are visible and searchable by state
    listed = fresh_client.get(
        "/api/v1/messages?state=refused", headers=fresh.headers("viewer")
    ).json()
    assert listed["total"] == 2


def test_12_security_events_are_a_metric_and_refused_messages_show_in_the_console(
    fresh: World, fresh_client: TestClient
) -> None:
    from gateway.pipeline.intake import StoreIntake

    # an unsigned MDN (our key expired) and an SFTP lockout, as the transports record them
    StoreIntake(fresh.runtime).record_event("as2.mdn_unsigned", "MDN sent UNSIGNED")
    StoreIntake(fresh.runtime).record_event("sftp.lockout", "user:x locked out")
    body = fresh_client.get("/metrics", headers=fresh.headers("viewer")).text
    assert 'edigw_security_events_total{kind="as2.mdn_unsigned",reason=""} 1.0' in body
    assert 'edigw_security_events_total{kind="sftp.lockout",reason=""} 1.0' in body
    # a refused upload is a message in the console's tracker, filterable by its state
    fresh_client.post(
        "/api/v1/messages", files={"file": ("empty-upload.edi", b"", "text/plain")},
        headers=fresh.headers("operator"),
    )  # fmt: skip
    login(fresh_client, fresh, "viewer")
    page = fresh_client.get("/messages?view=files&state=refused")
    assert page.status_code == 200 and "empty-upload.edi" in page.text


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_refused_as2_requests_and_sftp_operations_count_as_security_events(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # the reason is read from the events' JSON data: both databases' dialects
    database = request.getfixturevalue("postgres_url") if store == "postgresql" else None
    fresh = make_world(
        tmp_path / "world", documents=False, database_url=database, max_payload_bytes=4096
    )
    try:
        with TestClient(create_app(fresh.runtime)) as fresh_client:
            _count_refusals(fresh, fresh_client, tmp_path / "sftp")
    finally:
        fresh.runtime.engine.dispose()


def _count_refusals(fresh: World, fresh_client: TestClient, tmp_path: Path) -> None:
    from gateway.partners.sftp import HostedAccount
    from gateway.pipeline.intake import StoreIntake
    from gateway.sftp.session import SessionContext

    # given: no refusal yet, every reason is exported at 0 (rate() needs the series)
    body = fresh_client.get("/metrics", headers=fresh.headers("viewer")).text
    assert 'edigw_security_events_total{kind="as2.refused",reason="no_as2_ids"} 0.0' in body
    assert 'edigw_security_events_total{kind="sftp.refused",reason="mkdir"} 0.0' in body
    # when: strangers post to /as2 without AS2 ids (twice) and with 80 KiB of headers
    for _ in range(2):
        assert fresh_client.post("/as2", content=b"x").status_code == 400
    big = {f"x-pad-{n}": "p" * 1000 for n in range(80)}
    assert fresh_client.post("/as2", content=b"x", headers=big).status_code == 431
    # and a body over the payload limit
    limit = fresh.runtime.settings.max_payload_bytes
    oversized = fresh_client.post("/as2", content=b"x" * (limit + 1))
    assert oversized.status_code == 413
    # and a partner's SFTP session is refused a mkdir and a path outside its root, as the
    # hosted server records them, plus an event of an operation the metric does not know
    ctx = SessionContext(
        "acme", "acme", HostedAccount(username="acme"), tmp_path, StoreIntake(fresh.runtime)
    )
    ctx.refused("mkdir", "/inbox/sub", "folders are fixed")
    ctx.refused("open", "/../etc/passwd", "outside the partner's folders")
    ctx.refused("teleport" * 50, "/x", "unknown")
    # then: /metrics counts each by kind and a reason from a short fixed list
    body = fresh_client.get("/metrics", headers=fresh.headers("viewer")).text
    counted = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("edigw_security_events_total{")
    }
    prefix = "edigw_security_events_total"
    assert counted[f'{prefix}{{kind="as2.refused",reason="no_as2_ids"}}'] == 2
    assert counted[f'{prefix}{{kind="as2.refused",reason="headers_too_large"}}'] == 1
    assert counted[f'{prefix}{{kind="as2.refused",reason="body_too_large"}}'] == 1
    assert counted[f'{prefix}{{kind="sftp.refused",reason="mkdir"}}'] == 1
    assert counted[f'{prefix}{{kind="sftp.refused",reason="open"}}'] == 1
    assert counted[f'{prefix}{{kind="sftp.refused",reason="other"}}'] == 1
    # and the label values stay the fixed list whatever the events held
    reasons = {key.split('reason="')[1].rstrip('"}') for key in counted}
    assert "teleport" * 50 not in reasons and len(counted) < 40

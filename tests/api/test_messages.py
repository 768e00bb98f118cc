"""Messages and documents: finding, detail, downloads, uploads, replay and cancel."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.store.db import session_scope
from gateway.store.models import Event, Transaction
from tests.api.world import PARTNER, World, purchase_order


def test_find_a_document_by_po_number(client: TestClient, world: World) -> None:
    # given an 850 and an 810 for the same PO / when searching by the PO number
    page = client.get(
        "/api/v1/transactions",
        params={"business_key": "PO-API-5001"},
        headers=world.headers("viewer"),
    ).json()
    # then exactly the purchase order comes back, delivered
    assert page["total"] == 1
    (doc,) = page["items"]
    assert (doc["document_type"], doc["state"], doc["partner_id"]) == (
        "purchase_order",
        "delivered",
        PARTNER,
    )


def test_tracker_filters(client: TestClient, world: World) -> None:
    h = world.headers("viewer")

    def total(**params: str) -> int:
        response = client.get("/api/v1/transactions", params=params, headers=h)
        assert response.status_code == 200, response.text
        return int(response.json()["total"])

    assert total() == 2
    assert total(partner=PARTNER) == 2
    assert total(partner="nobody") == 0
    assert total(document_type="invoice") == 1
    assert total(document_type="810") == 1
    assert total(state="business_exception") == 1
    assert total(direction="out") == 0
    assert total(control_number="700002") == 1  # GS06
    assert total(control_number="000700002") == 1  # ISA13
    today = dt.datetime.now(dt.UTC).date()
    assert total(since=today.isoformat()) == 2
    assert total(until=(today - dt.timedelta(days=1)).isoformat()) == 0
    assert (
        client.get("/api/v1/transactions", params={"since": "not a date"}, headers=h).status_code
        == 422
    )


def test_message_list_filters_by_document_fields_and_pages(
    client: TestClient, world: World
) -> None:
    h = world.headers("viewer")
    page = client.get("/api/v1/messages", params={"business_key": "INV-API-9001"}, headers=h).json()
    assert [m["id"] for m in page["items"]] == [world.files["invoice"]]
    assert page["items"][0]["document_types"] == ["invoice"]
    first = client.get("/api/v1/messages", params={"limit": 1}, headers=h).json()
    second = client.get("/api/v1/messages", params={"limit": 1, "offset": 1}, headers=h).json()
    assert first["total"] == second["total"] == 2
    assert first["items"][0]["id"] != second["items"][0]["id"]
    assert client.get("/api/v1/messages", params={"limit": 0}, headers=h).status_code == 422


def test_message_detail_has_everything_an_operator_needs(client: TestClient, world: World) -> None:
    # given the delivered 850's file / when opening it
    data = client.get(
        f"/api/v1/messages/{world.files['po']}", headers=world.headers("viewer")
    ).json()
    # then: the document with its canonical JSON
    (doc,) = data["documents"]
    assert doc["business_key"] == "PO-API-5001"
    assert doc["document"]["lines"][0]["quantity"] == "96"
    assert doc["document"]["lines"][1]["item"]["ndc"] == "00264780000"
    # the Odoo records it produced (a dry run: no link without an Odoo URL)
    assert data["odoo_records"] and data["odoo_records"][0]["model"] == "purchase.order"
    assert data["odoo_records"][0]["url"] is None
    # the 999 we sent back
    assert [(a["kind"], a["status"]) for a in data["acknowledgements"]] == [("999", "accepted")]
    # the parsed segments
    (ic,) = data["parsed"]["interchanges"]
    segments = ic["groups"][0]["transactions"][0]["segments"]
    assert [s["tag"] for s in segments[:3]] == ["ST", "BEG", "CUR"]
    assert segments[1]["elements"][2] == "PO-API-5001"
    # and the timeline from receipt to delivery
    kinds = [e["kind"] for e in data["events"]]
    assert kinds[0] == "received" and "delivered" in kinds


def test_document_detail_and_raw_download(client: TestClient, world: World) -> None:
    h = world.headers("viewer")
    data = client.get("/api/v1/transactions/1", headers=h).json()
    assert data["business_key"] == "PO-API-5001"
    assert data["document"]["document_type"] == "purchase_order"
    assert data["interchange"]["control_number"] == "000700001"
    assert data["parsed"]["interchanges"][0]["groups"][0]["transactions"][0]["set_id"] == "850"
    raw = client.get(f"/api/v1/messages/{world.files['po']}/raw", headers=h)
    assert raw.content == purchase_order("PO-API-5001", 700001)
    assert 'filename="po-5001.edi"' in raw.headers["content-disposition"]
    interchange = client.get("/api/v1/transactions/1/raw", headers=h).content
    assert interchange.startswith(b"ISA") and interchange.rstrip().endswith(b"IEA*1*000700001~")


def test_acknowledgement_download(client: TestClient, world: World) -> None:
    h = world.headers("viewer")
    (ack,) = client.get(f"/api/v1/messages/{world.files['po']}", headers=h).json()[
        "acknowledgements"
    ]
    data = client.get(f"/api/v1/acknowledgements/{ack['id']}/raw", headers=h).content
    assert data.startswith(b"ISA") and b"ST*999" in data and b"IK5*A" in data


def test_unknown_ids_are_404(client: TestClient, world: World) -> None:
    h = world.headers("viewer")
    for path in (
        "/api/v1/messages/999",
        "/api/v1/messages/999/raw",
        "/api/v1/transactions/999",
        "/api/v1/transactions/999/raw",
        "/api/v1/acknowledgements/999/raw",
        "/api/v1/exceptions/999",
        "/api/v1/partners/nobody",
    ):
        response = client.get(path, headers=h)
        assert response.status_code == 404, path
        assert "999" in response.json()["detail"] or "nobody" in response.json()["detail"]


def test_upload_feeds_the_pipeline(fresh_client: TestClient, fresh: World) -> None:
    # given an operator uploading a new PO
    data = purchase_order("PO-UPLOAD-1", 700050)
    response = fresh_client.post(
        "/api/v1/messages", headers=fresh.headers("operator"), files={"file": ("upload.edi", data)}
    )
    # then it is stored, processed, and findable by its PO number
    assert response.status_code == 201, response.text
    message_id = response.json()["id"]
    found = fresh_client.get(
        "/api/v1/transactions",
        params={"business_key": "PO-UPLOAD-1"},
        headers=fresh.headers("viewer"),
    ).json()["items"]
    assert [(t["message_id"], t["state"]) for t in found] == [(message_id, "delivered")]
    with session_scope(fresh.runtime.sessions) as session:
        received = session.scalar(
            select(Event).where(Event.message_id == message_id, Event.kind == "received")
        )
        assert received is not None and received.actor == "key:operator-key"


def test_upload_limits(fresh_client: TestClient, fresh: World) -> None:
    h = fresh.headers("operator")
    limit = fresh.runtime.settings.max_payload_bytes
    too_big = fresh_client.post(
        "/api/v1/messages", headers=h, files={"file": ("big.edi", b"x" * (limit + 1))}
    )
    assert too_big.status_code == 413
    way_too_big = fresh_client.post(
        "/api/v1/messages", headers=h, files={"file": ("big.edi", b"x" * (limit + 200_000))}
    )
    assert way_too_big.status_code == 413
    empty = fresh_client.post("/api/v1/messages", headers=h, files={"file": ("e.edi", b"")})
    assert empty.status_code == 422
    # not EDI at all: stored and rejected, never a crash
    junk = fresh_client.post(
        "/api/v1/messages", headers=h, files={"file": ("junk.bin", b"\x00\xffhello")}
    )
    assert junk.status_code == 201
    detail = fresh_client.get(f"/api/v1/messages/{junk.json()['id']}", headers=h).json()
    assert detail["state"] == "rejected" and "not EDI" in (detail["error"] or "")


def test_replay_a_document_records_the_actor(fresh_client: TestClient, fresh: World) -> None:
    response = fresh_client.post("/api/v1/transactions/1/replay", headers=fresh.headers("operator"))
    assert response.status_code == 200, response.text
    with session_scope(fresh.runtime.sessions) as session:
        txn = session.get(Transaction, 1)
        assert txn is not None and txn.state == "delivered"  # delivered again, not twice
        events = list(
            session.scalars(
                select(Event).where(Event.transaction_id == 1, Event.actor == "key:operator-key")
            )
        )
    assert [e.detail for e in events][:1] == ["replay requested"]


def test_replay_a_message_makes_a_new_one(fresh_client: TestClient, fresh: World) -> None:
    response = fresh_client.post(
        f"/api/v1/messages/{fresh.files['po']}/replay", headers=fresh.headers("admin")
    )
    assert response.status_code == 200
    new_id = response.json()["id"]
    assert new_id != fresh.files["po"]
    detail = fresh_client.get(f"/api/v1/messages/{new_id}", headers=fresh.headers("viewer")).json()
    assert detail["transport"] == "replay"
    assert detail["metadata"]["replay_of"] == str(fresh.files["po"])


def test_cancel(fresh_client: TestClient, fresh: World) -> None:
    h = fresh.headers("operator")
    # a delivered document cannot be cancelled
    refused = fresh_client.post("/api/v1/transactions/1/cancel", headers=h, json={"comment": "x"})
    assert refused.status_code == 409 and "delivered" in refused.json()["detail"]
    # the invoice waiting on exceptions can, with the operator's reason kept
    done = fresh_client.post(
        "/api/v1/transactions/2/cancel",
        headers=h,
        json={"comment": "duplicate invoice, vendor will resend"},
    )
    assert done.status_code == 200
    with session_scope(fresh.runtime.sessions) as session:
        txn = session.get(Transaction, 2)
        assert txn is not None and txn.state == "cancelled"
        event = session.scalar(
            select(Event).where(Event.transaction_id == 2, Event.kind == "cancelled")
        )
        assert event is not None
        assert (event.actor, event.detail) == (
            "key:operator-key",
            "duplicate invoice, vendor will resend",
        )
    missing = fresh_client.post("/api/v1/transactions/99/replay", headers=h)
    assert missing.status_code == 404 and "99" in missing.json()["detail"]


def test_dashboard_counts_per_day_partner_and_rates(fresh_client: TestClient, fresh: World) -> None:
    # given the invoice received yesterday and the order today
    with session_scope(fresh.runtime.sessions) as session:
        txn = session.get(Transaction, 2)
        assert txn is not None
        txn.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    # when the dashboard covers three days
    data = fresh_client.get(
        "/api/v1/dashboard", params={"days": 3}, headers=fresh.headers("viewer")
    ).json()
    # then each shows on its own day, and the rates follow the states
    today = dt.datetime.now(dt.UTC).date()
    assert data["volume"]["days"][-1] == today.isoformat()
    assert data["volume"]["partners"] == {PARTNER: [0, 1, 1]}
    assert data["volume"]["exceptions"] == [0, 1, 0]
    assert data["volume"]["errors"] == [0, 0, 0]
    assert data["documents"] == 2
    assert data["exception_rate"] == 0.5 and data["error_rate"] == 0.0
    assert data["exceptions"] == {"open": 1}

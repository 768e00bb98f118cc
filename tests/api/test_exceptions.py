"""The business exception queue: what was expected and what came; resolve, retry, dismiss."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Event, Transaction
from tests.api.world import World


def test_queue_shows_expected_and_received(client: TestClient, world: World) -> None:
    # given an invoice billing goods never received (dry run)
    page = client.get("/api/v1/exceptions", headers=world.headers("viewer")).json()
    # then the queue holds its exception with both sides and the document it belongs to
    assert page["total"] == 1
    (item,) = page["items"]
    assert item["kind"] == "quantity_mismatch"
    assert (item["expected"], item["received"]) == ("0", "96")
    assert (item["business_key"], item["document_type"]) == ("INV-API-9001", "invoice")
    assert item["message_id"] == world.files["invoice"]
    assert item["state"] == "open"
    one = client.get(f"/api/v1/exceptions/{item['id']}", headers=world.headers("viewer")).json()
    assert one["message"] == item["message"]


def test_queue_filters(client: TestClient, world: World) -> None:
    h = world.headers("viewer")

    def total(**params: str) -> int:
        return int(client.get("/api/v1/exceptions", params=params, headers=h).json()["total"])

    assert total(state="resolved") == 0
    assert total(state="all") == 1
    assert total(partner="nobody") == 0
    assert total(kind="quantity_mismatch") == 1
    assert total(kind="price_mismatch") == 0


def test_resolve_with_a_comment(fresh_client: TestClient, fresh: World) -> None:
    # when an operator resolves the exception with a comment
    response = fresh_client.post(
        "/api/v1/exceptions/1/resolve",
        headers=fresh.headers("operator"),
        json={"comment": "receipt booked by hand in Odoo"},
    )
    assert response.status_code == 200, response.text
    # then it leaves the open queue, keeps who and why, and the trail says so
    assert (
        fresh_client.get("/api/v1/exceptions", headers=fresh.headers("viewer")).json()["total"] == 0
    )
    with session_scope(fresh.runtime.sessions) as session:
        row = session.get(BusinessException, 1)
        assert row is not None
        assert (row.state, row.resolution, row.resolved_by) == (
            "resolved",
            "receipt booked by hand in Odoo",
            "key:operator-key",
        )
        event = session.scalar(select(Event).where(Event.kind == "exception_resolved"))
        assert event is not None and event.actor == "key:operator-key"
    # and it cannot be resolved twice
    again = fresh_client.post("/api/v1/exceptions/1/dismiss", headers=fresh.headers("operator"))
    assert again.status_code == 409 and "already resolved" in again.json()["detail"]


def test_retry_delivers_again(fresh_client: TestClient, fresh: World) -> None:
    # when an operator retries after "fixing master data"
    response = fresh_client.post(
        "/api/v1/exceptions/1/retry",
        headers=fresh.headers("admin"),
        json={"comment": "receipt posted"},
    )
    assert response.status_code == 200
    # then the exception is closed as retried and the invoice went through delivery again
    with session_scope(fresh.runtime.sessions) as session:
        old = session.get(BusinessException, 1)
        assert old is not None and old.state == "retried"
        retried = session.scalar(
            select(Event).where(Event.transaction_id == 2, Event.detail == "retry after exception")
        )
        assert retried is not None and retried.actor == "key:admin-key"
        txn = session.get(Transaction, 2)
        assert txn is not None and txn.state == "delivered"
        delivered = session.scalar(
            select(Event).where(Event.transaction_id == 2, Event.kind == "delivered")
        )
        assert delivered is not None
    assert (
        fresh_client.get("/api/v1/exceptions", headers=fresh.headers("viewer")).json()["total"] == 0
    )


def test_dismiss_and_unknown(fresh_client: TestClient, fresh: World) -> None:
    h = fresh.headers("operator")
    assert fresh_client.post("/api/v1/exceptions/1/dismiss", headers=h).status_code == 200
    with session_scope(fresh.runtime.sessions) as session:
        row = session.get(BusinessException, 1)
        assert row is not None and row.state == "dismissed"
    assert fresh_client.post("/api/v1/exceptions/42/resolve", headers=h).status_code == 404
    assert fresh_client.post("/api/v1/exceptions/1/explode", headers=h).status_code == 422
    long = fresh_client.post(
        "/api/v1/exceptions/1/resolve", headers=h, json={"comment": "x" * 5000}
    )
    assert long.status_code == 422

"""The exception queue: assignment, "my exceptions", ageing and bulk actions, in the API
and on the console page; every action is an audit event."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.store.audit_trail import verify_chains
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Event, Transaction
from tests.api.world import World


def add_exceptions(world: World, count: int, *, hours_old: float = 1) -> list[int]:
    created = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_old)
    with session_scope(world.runtime.sessions) as session:
        txn = session.scalars(select(Transaction).where(Transaction.document_type == "invoice"))
        txn_id = txn.one().id
        rows = [
            BusinessException(
                transaction_id=txn_id,
                partner_id="keystone-pharma",
                kind="price_mismatch",
                message=f"line {n}: price differs",
                owner_group="ap-team",
                severity="medium",
                created_at=created,
                due_at=created + dt.timedelta(hours=24),
            )
            for n in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def test_assign_and_list_my_exceptions_with_their_age(fresh: World) -> None:
    ids = add_exceptions(fresh, 3, hours_old=30)
    operator = fresh.headers("operator")
    with TestClient(create_app(fresh.runtime)) as c:
        # when the operator takes two of them
        for exception_id in ids[:2]:
            r = c.post(
                f"/api/v1/exceptions/{exception_id}/assign",
                json={"assignee": "operator-key"},
                headers=operator,
            )
            assert r.status_code == 200, r.text
        mine = c.get("/api/v1/exceptions?assignee=me", headers=operator).json()
        group = c.get("/api/v1/exceptions?group=ap-team", headers=operator).json()
        # a viewer cannot assign
        refused = c.post(
            f"/api/v1/exceptions/{ids[2]}/assign",
            json={"assignee": "x"},
            headers=fresh.headers("viewer"),
        )
    # then "my exceptions" are exactly those two, with age and overdue (30 h > 24 h due)
    assert [x["id"] for x in mine["items"]] == ids[:2]
    assert all(x["assignee"] == "operator-key" for x in mine["items"])
    assert all(x["overdue"] and 29 * 3600 < x["age_seconds"] < 31 * 3600 for x in mine["items"])
    assert set(ids) <= {x["id"] for x in group["items"]}
    assert all(x["owner_group"] == "ap-team" for x in group["items"])
    assert refused.status_code == 403
    with fresh.runtime.sessions() as s:
        events = s.scalars(select(Event).where(Event.kind == "exception_assigned")).all()
    assert len(events) == 2 and events[0].actor == "key:operator-key"
    assert events[0].data == {"exception_id": ids[0], "from": None, "to": "operator-key"}


def test_bulk_actions_report_each_exception(fresh: World) -> None:
    ids = add_exceptions(fresh, 3)
    operator = fresh.headers("operator")
    with TestClient(create_app(fresh.runtime)) as c:
        c.post(f"/api/v1/exceptions/{ids[0]}/dismiss", headers=operator)
        r = c.post(
            "/api/v1/exceptions/bulk",
            json={"ids": [*ids, 999999], "action": "resolve", "comment": "credit note agreed"},
            headers=operator,
        )
    assert r.status_code == 200
    results = {x["id"]: x for x in r.json()}
    assert [results[i]["ok"] for i in ids] == [False, True, True]
    assert "already dismissed" in results[ids[0]]["detail"]
    assert results[999999] == {"id": 999999, "ok": False, "detail": "no business exception 999999"}
    with fresh.runtime.sessions() as s:
        states = [s.get(BusinessException, i).state for i in ids]  # type: ignore[union-attr]
        resolutions = {s.get(BusinessException, i).resolution for i in ids[1:]}  # type: ignore[union-attr]
    assert states == ["dismissed", "resolved", "resolved"]
    assert resolutions == {"credit note agreed"}
    assert verify_chains(fresh.runtime.engine).intact


def test_console_queue_shows_owner_age_and_takes_bulk_actions(fresh: World) -> None:
    ids = add_exceptions(fresh, 2, hours_old=30)
    with TestClient(create_app(fresh.runtime)) as c:
        login = c.post("/login", data={"key": fresh.keys["operator"]}, follow_redirects=False)
        assert login.status_code == 303
        page = c.get("/exceptions").text
        assert "ap-team" in page and "overdue" in page and "open 30 h" in page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        # tick both and assign them to bob in one go
        r = c.post(
            "/exceptions/bulk",
            data={"csrf": csrf.group(1), "action": "assign", "assignee": "bob", "ids": ids},
            follow_redirects=False,
        )
        assert r.status_code == 303 and "2+of+2" in r.headers["location"]
        # "take it" on one: it becomes mine
        r = c.post(
            f"/exceptions/{ids[0]}",
            data={"csrf": csrf.group(1), "action": "assign", "assignee": "operator-key"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and "error" not in r.headers["location"]
        mine = c.get("/exceptions?mine=true").text
    assert f'id="exception-{ids[0]}"' in mine and f'id="exception-{ids[1]}"' not in mine
    with fresh.runtime.sessions() as s:
        assert s.get(BusinessException, ids[1]).assignee == "bob"  # type: ignore[union-attr]

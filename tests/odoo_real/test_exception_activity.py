"""A business exception reaches the responsible Odoo user as a To-Do activity on the
purchase order, in a real Odoo, through the pipeline's notify stage and the gateway's
client; an Odoo login that does not exist fails the notification without retrying."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.odoo.client import OdooClient
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.runner import run_stage
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.store.models import (
    BusinessException,
    Event,
    FunctionalGroup,
    Interchange,
    Message,
    Notification,
    Payload,
    Transaction,
)

pytestmark = pytest.mark.real_odoo(version=17)


@pytest.fixture(scope="module")
def odoo_po(real_odoo):  # type: ignore[no-untyped-def]
    """A draft purchase order and an internal user 'ap.clerk' who works bills."""
    db = real_odoo
    vendor = db.create("res.partner", {"name": "Keystone Pharmaceutical", "ref": "KEYSTONE"})
    product = db.create("product.product", {"name": "Saline 1000 ml", "default_code": "SAL"})
    order = db.create(
        "purchase.order",
        {"partner_id": vendor, "order_line": [(0, 0, {"product_id": product, "product_qty": 5})]},
    )
    user = db.create("res.users", {"name": "AP Clerk", "login": "ap.clerk"})
    return db, order, user


def runtime_for(tmp_path: Path, db) -> Runtime:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "var", database_url=None, task_max_retries=2,
                        task_backoff_seconds=0.01)  # fmt: skip
    return build_runtime(
        settings,
        dispatcher=InlineDispatcher(),
        odoo_factory=lambda: OdooClient(db.url, db.name, db.login, password=db.password),
    )


def queue_activity(runtime: Runtime, order: int, login: str) -> int:
    """An open price mismatch on the order, due tomorrow, and its odoo_activity row."""
    with session_scope(runtime.sessions) as s:
        s.add(Payload(sha256="0" * 64, size=0, storage="file"))
        s.flush()
        msg = Message(transport="cli", payload_sha256="0" * 64, correlation_id="c-1")
        s.add(msg)
        s.flush()
        ic = Interchange(message_id=msg.id, syntax="x12", sender_id="K", receiver_id="M",
                         control_number="1")  # fmt: skip
        s.add(ic)
        s.flush()
        group = FunctionalGroup(interchange_id=ic.id)
        s.add(group)
        s.flush()
        txn = Transaction(group_id=group.id, interchange_id=ic.id, message_id=msg.id,
                          set_id="810", document_type="invoice", control_number="1",
                          business_key="INV-77", partner_id="keystone-pharma",
                          correlation_id="c-1")  # fmt: skip
        s.add(txn)
        s.flush()
        exc = BusinessException(
            transaction_id=txn.id,
            partner_id="keystone-pharma",
            kind="price_mismatch",
            message="line 1: billed 2.60, ordered 2.41",
            line_number="1",
            severity="medium",
            owner_group="ap-team",
            due_at=dt.datetime(2030, 1, 15, 12, tzinfo=dt.UTC),
            detail={"records": [{"model": "purchase.order", "id": order, "name": "P0001"}]},
        )
        s.add(exc)
        s.flush()
        note = Notification(exception_id=exc.id, channel="odoo_activity", target=login)
        s.add(note)
        s.flush()
        return note.id


def test_the_responsible_user_gets_an_activity_on_the_order(odoo_po, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, order, user = odoo_po
    runtime = runtime_for(tmp_path, db)
    note_id = queue_activity(runtime, order, "ap.clerk")
    assert run_stage(runtime, "notify", (note_id,)) is None
    [activity] = db.search_read(
        "mail.activity",
        [["res_model", "=", "purchase.order"], ["res_id", "=", order]],
        ["user_id", "summary", "date_deadline", "note", "activity_type_id"],
    )
    assert activity["user_id"][0] == user
    assert (
        activity["summary"]
        == "[EDI medium] price_mismatch: invoice INV-77 line 1 (keystone-pharma)"
    )
    assert activity["date_deadline"] == "2030-01-15"
    assert "billed 2.60, ordered 2.41" in activity["note"]
    assert activity["activity_type_id"]  # a To-Do type
    with runtime.sessions() as s:
        row = s.get(Notification, note_id)
        assert row is not None and row.state == "sent"
        event = s.scalars(select(Event).where(Event.kind == "exception_notified")).one()
        assert f"on purchase.order {order}" in event.detail
    runtime.engine.dispose()


def test_an_unknown_odoo_login_fails_at_once(odoo_po, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, order, _ = odoo_po
    runtime = runtime_for(tmp_path, db)
    note_id = queue_activity(runtime, order, "nobody.here")
    assert run_stage(runtime, "notify", (note_id,)) is None  # no retry scheduled
    with runtime.sessions() as s:
        row = s.get(Notification, note_id)
        assert row is not None and (row.state, row.attempts) == ("failed", 1)
        assert row.error == "Odoo has no user with login 'nobody.here'"
    runtime.engine.dispose()

"""Our purchase order leaves a real Odoo 17 as an 850 and is followed to the invoice.

Confirming an order for an EDI vendor results, after one poll, in an 850 in the
partner's hosted SFTP outbox, content checked against the Odoo order; the partner's 997
marks it accepted, the 855 acknowledged, the 856 shipped and the 810 invoiced - each in
``list_orders`` (what ``outbound list --json`` prints) and as a chatter line on the PO.
A second poll sends nothing again; a stalled send is resent as the same interchange; a
missing 997 is overdue exactly once (fixed clock).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.engines import parse_payload
from gateway.intake import ReceivedPayload
from gateway.odoo.client import OdooClient
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.outbound import check_overdue, list_orders, resend_stalled, run_scheduled
from gateway.pipeline.runtime import Runtime
from gateway.process import build_process_runtime
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, OutboundOrder, Transaction
from gateway.x12.writer import DocumentBuilder
from tests.odoo_real.samples import summit_order

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "partners" / "summit-medical"
FIXTURE_PO = "MH-2026-0417"


@pytest.fixture(scope="module")
def odoo_setup(real_odoo):  # type: ignore[no-untyped-def]
    """Vendor SUMMIT, a boxed product with Summit's part number, one confirmed order."""
    order, name = summit_order(real_odoo)
    return real_odoo, order, name


@pytest.fixture(scope="module")
def gateway(odoo_setup, tmp_path_factory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("outbound")
    profiles = root / "profiles"
    profiles.mkdir()
    profile = yaml.safe_load((REPO / "partner_profiles" / "summit-medical.yaml").read_text())
    profile.pop("as2", None)  # this test's Summit exchanges files over our SFTP
    profile.pop("maps", None)
    profile["sftp"] = {"hosted": {"username": "summit"}}
    profile["outbound"] = {"purchase_order": {"transport": "sftp"}}
    profile["odoo"]["uom"] = {"EA": "Units", "BX": "Box"}
    (profiles / "summit-medical.yaml").write_text(yaml.safe_dump(profile))
    return root, profiles


def make(gateway, db, **overrides: Any) -> Runtime:  # type: ignore[no-untyped-def]
    root, profiles = gateway
    settings = Settings(
        data_dir=root / "var",
        profiles_dir=str(profiles),
        task_backoff_seconds=0.01,
        **overrides,
    )
    runtime = build_process_runtime(
        settings,
        dispatcher=InlineDispatcher(),
        odoo_factory=lambda: OdooClient(db.url, db.name, db.login, password=db.password),
    )
    return runtime


def ingest(runtime: Runtime, data: bytes, name: str) -> None:
    StoreIntake(runtime).receive(ReceivedPayload(data=data, transport="cli", filename=name))
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]


def order_row(runtime: Runtime, po: str) -> dict[str, Any]:
    with session_scope(runtime.sessions) as session:
        (row,) = list_orders(session, search=po)
    return row


def chatter(db, order_id: int) -> str:  # type: ignore[no-untyped-def]
    rows = db.search_read(
        "mail.message",
        [["model", "=", "purchase.order"], ["res_id", "=", order_id]],
        ["body"],
    )
    return "\n".join(str(r["body"]) for r in rows)


def test_order_is_sent_once_and_followed_to_the_invoice(gateway, odoo_setup) -> None:  # type: ignore[no-untyped-def]
    db, order_id, po = odoo_setup
    runtime = make(gateway, db)
    # when the scheduler polls (and the inline dispatcher runs the send stage)
    counts = run_scheduled(runtime)
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    assert counts["queued"] == 1
    # then the 850 is in Summit's outbox, validated, carrying the Odoo order
    files = list((runtime.settings.sftp_root / "summit-medical" / "outbox").glob("850_*"))
    assert len(files) == 1
    data = files[0].read_bytes()
    payload = parse_payload(data)
    (interchange,) = payload.interchanges
    assert interchange.receiver_id == "SUMMITMED" and interchange.sender_id == "MERIDIANHEALTH"
    assert not [i for i in interchange.transactions[0].issues if i.fatal]
    text = data.decode()
    assert f"BEG*00*SA*{po}*" in text
    assert "PO1*1*50*BX*8.95*PE*VP*SMS-NG100M*BP*MH-NDL*UK*10884521000018~" in text
    row = order_row(runtime, po)
    assert row["state"] == "sent" and row["set"] == "850"
    # a second poll sends nothing again
    assert run_scheduled(runtime)["queued"] == 0
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    assert len(list(files[0].parent.glob("850_*"))) == 1

    # the partner's 997 accepts our group
    group = row["group_control"]
    ack = DocumentBuilder(sender=("ZZ", "SUMMITMED"), receiver=("ZZ", "MERIDIANHEALTH"),
                          control_number=7001)  # fmt: skip
    ack.group("FA", "SUMMITMED", "MERIDIANHEALTH", 7001)
    ack.transaction("997", "0001", [f"AK1*PO*{group}", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"])
    ingest(runtime, ack.to_bytes(), "997.edi")
    assert order_row(runtime, po)["state"] == "accepted"

    # the 855, 856 and 810 answer the order by its PO number
    for name, state in (
        ("855_po_ack.edi", "acknowledged"),
        ("856_ship_notice.edi", "shipped"),
        ("810_invoice.edi", "invoiced"),
    ):
        raw = (FIXTURES / name).read_bytes().replace(FIXTURE_PO.encode(), po.encode())
        ingest(runtime, raw, name)
        assert order_row(runtime, po)["state"] == state, name
    final = order_row(runtime, po)
    assert set(final["timeline"]) >= {"queued", "sent", "accepted", "acknowledged", "shipped",
                                      "invoiced"}  # fmt: skip
    # a credit note afterwards takes back part of the bill: the order stays invoiced, once
    raw = (FIXTURES / "810_credit_memo.edi").read_bytes().replace(FIXTURE_PO.encode(), po.encode())
    ingest(runtime, raw, "810_credit_memo.edi")
    with session_scope(runtime.sessions) as session:
        memo = session.query(Transaction).filter_by(business_key="CM-SMS-90211-1").one()
        # delivered, or an exception when the invoice was not billed: never the order's step
        assert memo.state in ("delivered", "business_exception"), (memo.state, memo.error)
    assert order_row(runtime, po)["timeline"] == final["timeline"]
    # and each step is a chatter line on the purchase order in Odoo
    run_scheduled(runtime)
    notes = chatter(db, order_id)
    for words in ("sent as 850", "997 accepted", "acknowledged it", "shipped it", "invoiced it"):
        assert words in notes, words


def test_stalled_send_goes_out_as_the_same_interchange(gateway, odoo_setup) -> None:  # type: ignore[no-untyped-def]
    db, _, po = odoo_setup
    runtime = make(gateway, db)
    with session_scope(runtime.sessions) as session:
        order = session.query(OutboundOrder).filter_by(business_key=po).one()
        sent_number = order.interchange_control
        payload = order.payload_sha256
    # a queued order nobody sent is resent by the sweep; a sent one is not
    assert resend_stalled(runtime, older_than=dt.timedelta(0)) == []
    with session_scope(runtime.sessions) as session:
        order = session.query(OutboundOrder).filter_by(business_key=po).one()
        order.state = "queued"  # as if the worker died after writing, before sending
    items = resend_stalled(runtime, older_than=dt.timedelta(0))
    assert len(items) == 1
    runtime.dispatcher.dispatch(items)
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    with session_scope(runtime.sessions) as session:
        order = session.query(OutboundOrder).filter_by(business_key=po).one()
        assert (order.interchange_control, order.payload_sha256) == (sent_number, payload)
        assert order.state == "sent"
    outbox = runtime.settings.sftp_root / "summit-medical" / "outbox"
    assert [p.name for p in outbox.glob("850_*")] == [f"850_{po}_{sent_number}.x12"]


def test_dead_lettered_order_is_resent_by_outbound_send(gateway, odoo_setup) -> None:  # type: ignore[no-untyped-def]
    from gateway.pipeline.outbound import fail_order, send_now

    db, _, po = odoo_setup
    runtime = make(gateway, db)
    with session_scope(runtime.sessions) as session:
        order = session.query(OutboundOrder).filter_by(business_key=po).one()
        order_id, number = order.id, order.interchange_control
        order.state = "queued"
    fail_order(runtime, order_id, "transport down for good")
    assert order_row(runtime, po)["state"] == "failed"
    # when an operator runs `outbound send PO`
    send_now(runtime, po)
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    # then it goes out again, as the same interchange
    row = order_row(runtime, po)
    assert (row["state"], row["interchange_control"]) == ("sent", number)


def test_missing_997_is_overdue_exactly_once(gateway, odoo_setup) -> None:  # type: ignore[no-untyped-def]
    db, _, po = odoo_setup
    runtime = make(gateway, db)
    with session_scope(runtime.sessions) as session:
        order = session.query(OutboundOrder).filter_by(business_key=po).one()
        order.state, order.timeline, order.overdue_raised = "sent", {"sent": "x"}, []
        sent_at = order.sent_at.replace(tzinfo=dt.UTC)
    # before the 2 h default nothing; after it one exception; the next check none again
    assert check_overdue(runtime, sent_at + dt.timedelta(hours=1)) == []
    assert check_overdue(runtime, sent_at + dt.timedelta(hours=3)) == [(po, "functional_ack")]
    assert check_overdue(runtime, sent_at + dt.timedelta(hours=4)) == []
    with session_scope(runtime.sessions) as session:
        found = session.query(BusinessException).filter_by(kind="overdue_functional_ack").all()
        assert len(found) == 1 and po in found[0].message


def test_console_lists_the_order_and_its_exception(gateway, odoo_setup) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from gateway.api.app import create_app
    from gateway.api.auth import create_key

    db, _, po = odoo_setup
    runtime = make(gateway, db)
    with session_scope(runtime.sessions) as session:
        _, key = create_key(session, "viewer-test", "viewer")
    client = TestClient(create_app(runtime=runtime))
    headers = {"Authorization": f"Bearer {key}"}
    page = client.get(f"/orders?q={po[-3:]}", headers=headers)
    assert page.status_code == 200
    assert po in page.text and "order-" in page.text
    assert "No match for these filters" in client.get("/orders?q=NOPE", headers=headers).text
    queue = client.get("/exceptions", headers=headers)
    assert queue.status_code == 200
    assert f"/orders?q={po}" in queue.text  # the overdue exception links to the order
    metrics = client.get("/metrics", headers=headers).text
    assert 'edigw_overdue_documents{kind="functional_ack",partner="summit-medical"} 1.0' in metrics

"""A confirmed sale order that changes after its 855 went out is acknowledged again, once
per change (BAK01 05, the line statuses recomputed); an untouched one is not (the Odoo
double; the real Odoo 17: tests/odoo_real/test_seller_outbound.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.canonical import LineStatus
from gateway.customer_items import CustomerItemRef, replace_items
from gateway.odoo.client import OdooClient
from gateway.pipeline.outbound import poll
from gateway.pipeline.runtime import Runtime
from gateway.store.db import session_scope
from gateway.store.models import OutboundChange, OutboundOrder
from tests.fixtures.partners.build_fixtures import x12
from tests.odoo.test_sale_order import Shop, seed_shop
from tests.outbound.test_order_acknowledgement import read_back
from tests.pipeline.test_customer_acknowledgements import Recorder
from tests.pipeline.test_customer_changes import change_860
from tests.pipeline.test_customer_orders import PROFILE, ingest, order_850
from tests.support.odoo_double import OdooDouble, start_odoo_double


@pytest.fixture
def odoo() -> Iterator[OdooDouble]:
    double = start_odoo_double(17)
    yield double
    double.stop()


@pytest.fixture
def shop(odoo: OdooDouble) -> Shop:
    return seed_shop(odoo)


def _runtime(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, tmp_path: Path, changes: str
) -> Runtime:
    site = tmp_path / "site"
    site.mkdir()
    profile = PROFILE.replace("{confirm: auto}", f"{{confirm: auto, changes: {changes}}}") + (
        "sftp: {hosted: {username: mercy}}\noutbound: {order_acknowledgement: {transport: sftp}}\n"
    )
    (site / "mercy.yaml").write_text(profile)
    rt = make_runtime(
        odoo_factory=lambda: OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password),
        profiles_dir=str(site),
    )
    with session_scope(rt.sessions) as session:
        replace_items(session, "mercy", [CustomerItemRef("M-778", "GAU-1", "default_code", 1)])
    return rt


def _poll(runtime: Runtime) -> list[str]:
    result = poll(runtime, partner_id="mercy")
    assert not result.errors, result.errors
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    return result.changed


def test_a_quantity_changed_in_odoo_sends_one_replacing_855(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, shop: Shop, tmp_path: Path
) -> None:
    runtime = _runtime(make_runtime, odoo, tmp_path, "review")
    recorder = Recorder()
    runtime.senders["sftp"] = recorder
    client = OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password)
    assert ingest(runtime, order_850(801), "850.edi").state == "delivered"
    _poll(runtime)
    assert len(recorder.files) == 1  # the first 855: no stock yet, every line backordered
    assert recorder.files[0][1].decode().count("ACK*IB*") == 3
    # an untouched order, or one touched where the customer cannot see it: nothing more
    [order] = [o for o in odoo.records("sale.order") if o["client_order_ref"] == "MH-5001"]
    client.write("sale.order", [order["id"]], {"note": "<p>packed</p>"})
    assert _poll(runtime) == [] and len(recorder.files) == 1
    # when a person lowers the gloves to 15 on the confirmed order (most often within the
    # same second as the poll that saw the order: the same whole-second write_date, so the
    # poll compares the sale order's content)
    lines = sorted(odoo.records("sale.order.line"), key=lambda x: x["sequence"])
    fewer = [[1, lines[0]["id"], {"product_uom_qty": 15}]]
    client.write("sale.order", [order["id"]], {"order_line": fewer})
    # then one replacing 855 goes out: BAK01 05, line 1 IQ 15, the others as before (IB)
    assert _poll(runtime) == ["MH-5001"]
    assert len(recorder.files) == 2
    filename, data = recorder.files[1]
    assert filename.startswith("855_MH-5001_")
    text = data.decode()
    assert "BAK*05*AC*MH-5001*" in text
    ack = read_back("x12/004010/855", data)
    assert [(x.line_number, x.quantity, x.status_code) for x in ack.lines] == [
        ("1", 15, "IQ"), ("2", 5, "IB"), ("3", 40, "IB"),
    ]  # fmt: skip
    assert ack.lines[0].status is LineStatus.CHANGED
    with runtime.sessions() as s:
        [change] = s.scalars(select(OutboundChange)).all()
        [row] = s.scalars(select(OutboundOrder)).all()
    assert (change.revision, change.set_id, change.state) == (1, "855", "sent")
    assert change.summary == ["line 1: IQ 15 at 8.5 by 2026-12-10"]
    assert row.document["revision"] == 1
    # and polling again (with or without a touch) sends nothing more
    client.write("sale.order", [order["id"]], {"note": "<p>packed twice</p>"})
    assert _poll(runtime) == [] and len(recorder.files) == 2
    # the customer's 997 for the replacing 855 is matched to it
    body = ["AK1*PR*" + change.group_control, f"AK2*855*{change.transaction_control}", "AK5*A"]
    ack997 = x12(
        "MERCYHOSP", "MERIDIANHEALTH", "004010", "FA", 811, [("997", [*body, "AK9*A*1*1*1"])]
    )
    ingest(runtime, ack997.encode(), "997.edi")
    with runtime.sessions() as s:
        assert s.get(OutboundChange, change.id).state == "accepted"  # type: ignore[union-attr]


def test_a_customer_change_applied_to_a_confirmed_order_is_acknowledged_as_asked(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, shop: Shop, tmp_path: Path
) -> None:
    runtime = _runtime(make_runtime, odoo, tmp_path, "apply")
    recorder = Recorder()
    runtime.senders["sftp"] = recorder
    assert ingest(runtime, order_850(821), "850.edi").state == "delivered"
    _poll(runtime)
    # sending the 855 notes it on the sale order, which moves its write_date when that
    # falls in a later second than the poll: the next poll sees that, and nothing to tell
    assert _poll(runtime) == []
    # when the customer's 860 raises gloves to 30 and deletes the gauze (the added line
    # and the new date cannot be applied to a confirmed order: an exception, nothing done)
    txn = ingest(runtime, change_860(822), "860.edi")
    assert txn.state == "business_exception"
    assert _poll(runtime) == []  # nothing changed in Odoo: nothing new to tell
    # when the customer sends a change Odoo takes
    body = [
        "BCH*04*SA*MH-5001**2*20261201",
        "POC*1*QI*30**EA***UK*00017953755437",
        "POC*3*DI*0**EA***BP*M-778",
        "CTT*2",
    ]
    second = x12("MERCYHOSP", "MERIDIANHEALTH", "004010", "PC", 823, [("860", body)]).encode()
    assert ingest(runtime, second, "860-2.edi").state == "delivered"
    # then the next 855 says: gloves 30 as asked, gauze deleted, the refused added line 4
    # (still asked for) rejected, and every line DR: the delivery date the first change
    # asked for (2026-12-18) was refused, the order keeps 2026-12-10
    assert _poll(runtime) == ["MH-5001"]
    ack = read_back("x12/004010/855", recorder.files[-1][1])
    assert [(x.line_number, x.quantity, x.status_code) for x in ack.lines] == [
        ("1", 30, "DR"), ("2", 5, "DR"), ("3", 0, "ID"), ("4", 12, "IR"),
    ]  # fmt: skip

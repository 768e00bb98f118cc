"""A customer's change orders (860) against a real Odoo 17, 18 and 19 with ``sale_stock``,
checked in Odoo: a quotation takes quantity, delete, add and the order's date, once (a resent 860 is
recorded as delivered and changes nothing); a confirmed order with ``changes: apply`` takes
a quantity cut and an undelivered delete (Odoo moves the delivery with it) and refuses an
added line with nothing written; and a quantity changed in Odoo on a confirmed order whose
855 went out sends one replacing 855 with the changed line's status, an untouched one none.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.pipeline.outbound import poll
from gateway.pipeline.runtime import Runtime
from gateway.store.models import Delivery, OutboundChange
from tests.fixtures.partners.build_fixtures import x12
from tests.odoo_real.samples import exceptions, ingest
from tests.odoo_real.test_sale_order import Shop, lines_of, order_850, sale_orders, seed
from tests.odoo_real.test_seller_outbound import MERCY, Recorder, _runtime, segments, stock
from tests.support.real_odoo import OdooDatabase

VERSIONS = [
    pytest.param({"version": v, "extra": ["sale_stock"]}, id=f"odoo{v}") for v in (17, 18, 19)
]
pytestmark = [
    pytest.mark.parametrize("real_odoo", VERSIONS, indirect=True),
    pytest.mark.timeout(900),
]


def change_860(control: int, po: str, sequence: str, pocs: list[str], *head: str) -> bytes:
    body = [f"BCH*04*SA*{po}**{sequence}*20261201", *head, *pocs, f"CTT*{len(pocs)}"]
    return x12("MERCYHOSP", "MERIDIANHEALTH", "004010", "PC", control, [("860", body)]).encode()


@pytest.fixture(scope="module")
def shop(real_odoo: OdooDatabase) -> Shop:
    shop = seed(real_odoo)
    stock(real_odoo, shop.syringe, 100)  # gloves and gauze wait for goods
    return shop


def _site(tmp_path: Path, profile: str) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "mercy.yaml").write_text(profile)
    return site


@pytest.fixture
def runtime(real_odoo: OdooDatabase, shop: Shop, tmp_path: Path) -> Iterator[Runtime]:
    rt = _runtime(real_odoo, tmp_path, _site(tmp_path, MERCY))
    yield rt
    rt.engine.dispose()


@pytest.fixture
def applying(real_odoo: OdooDatabase, shop: Shop, tmp_path: Path) -> Iterator[Runtime]:
    profile = MERCY.replace("{confirm: review}", "{confirm: review, changes: apply}")
    rt = _runtime(real_odoo, tmp_path, _site(tmp_path, profile))
    yield rt
    rt.engine.dispose()


def _notes(db: OdooDatabase, order_id: int, marker: str) -> list[str]:
    rows = db.search_read(
        "mail.message",
        [["model", "=", "sale.order"], ["res_id", "=", order_id], ["body", "ilike", marker]],
        ["body"],
    )
    return [str(r["body"]) for r in rows]


def test_a_quotation_takes_the_change_once(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    assert ingest(runtime, order_850(801, "MH-8001"), "850.edi").state == "delivered"
    [order] = sale_orders(db, shop.mercy, "MH-8001")
    # when Mercy's 860 raises the gloves to 30, deletes the gauze, adds 12 syringes and
    # moves the order's delivery date
    pocs = [
        "POC*1*QI*30**EA*8.50*PE*UK*00017953755437",
        "POC*3*DI*0**EA***BP*M-778",
        "POC*4*AI*12**EA*13.50*PE*VP*SYR-1",
    ]
    change = ingest(runtime, change_860(802, "MH-8001", "1", pocs, "DTM*002*20261212"), "860")
    # then the quotation in Odoo says so, priced by Mercy's pricelist
    assert change.state == "delivered", (change.error, exceptions(runtime, change))
    lines = lines_of(db, order["id"])
    got = [
        (x["sequence"], x["product_id"][0], x["product_uom_qty"], x["price_unit"]) for x in lines
    ]
    assert got == [
        (1, shop.glove, 30.0, 8.5), (2, shop.syringe, 5.0, 13.5), (4, shop.syringe, 12.0, 13.5),
    ]  # fmt: skip
    [order] = sale_orders(db, shop.mercy, "MH-8001")
    assert order["state"] == "draft" and order["commitment_date"] == "2026-12-12 00:00:00"
    assert len(_notes(db, order["id"], "[EDI change MH-8001/change/1 applied]")) == 1
    # when the same 860 comes again in another interchange
    again = ingest(runtime, change_860(803, "MH-8001", "1", pocs, "DTM*002*20261212"), "860")
    # then it is recorded as delivered by the first, and Odoo is as it was
    assert again.state == "delivered"
    with runtime.sessions() as s:
        keys = sorted(d.business_key for d in s.scalars(select(Delivery)))
    assert keys.count("MH-8001/change/1") == 1
    assert lines_of(db, order["id"]) == lines
    assert len(_notes(db, order["id"], "MH-8001/change/1")) == 1


def test_a_confirmed_order_takes_what_odoo_allows_all_or_nothing(
    applying: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    runtime = applying
    assert ingest(runtime, order_850(811, "MH-8002"), "850.edi").state == "delivered"
    [order] = sale_orders(db, shop.mercy, "MH-8002")
    db.call("sale.order", "action_confirm", [order["id"]])
    # when Mercy cuts the gloves to 15 and deletes the gauze
    pocs = ["POC*1*QD*15**EA***UK*00017953755437", "POC*3*DI*0**EA***BP*M-778"]
    change = ingest(runtime, change_860(812, "MH-8002", "1", pocs), "860")
    # then the confirmed order takes both (the gauze line stays with quantity 0, as Odoo
    # wants) and Odoo's delivery follows
    assert change.state == "delivered", (change.error, exceptions(runtime, change))
    assert [x["product_uom_qty"] for x in lines_of(db, order["id"])] == [15.0, 5.0, 0.0]
    moves = db.search_read(
        "stock.move",
        [["sale_line_id.order_id", "=", order["id"]], ["state", "!=", "cancel"]],
        ["product_id", "product_uom_qty"],
    )
    assert sorted((m["product_id"][0], m["product_uom_qty"]) for m in moves) == sorted(
        [(shop.glove, 15.0), (shop.syringe, 5.0)]
    )
    # when Mercy's next change adds a line and raises the syringes
    pocs = ["POC*2*QI*8**EA***VP*SYR-1", "POC*4*AI*6**EA***VP*GLV-1"]
    refused = ingest(runtime, change_860(813, "MH-8002", "2", pocs), "860")
    # then nothing of it is written, and the exception names the order and the line
    assert refused.state == "business_exception"
    [issue] = exceptions(runtime, refused)
    assert issue.kind == "customer_changed_order" and issue.line_number == "4"
    assert f"sale order {order['name']} was not changed" in issue.message
    assert [x["product_uom_qty"] for x in lines_of(db, order["id"])] == [15.0, 5.0, 0.0]
    assert len(_notes(db, order["id"], "[EDI change MH-8002/change/2 to review]")) == 1


def test_a_quantity_changed_on_a_confirmed_order_sends_one_replacing_855(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    recorder = Recorder()
    runtime.senders["sftp"] = recorder
    assert ingest(runtime, order_850(821, "MH-8003"), "850.edi").state == "delivered"
    [order] = sale_orders(db, shop.mercy, "MH-8003")
    db.call("sale.order", "action_confirm", [order["id"]])
    assert poll(runtime, partner_id="mercy").queued == ["MH-8003"]
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    assert len(recorder.files) == 1
    # an untouched order: a later poll sends nothing
    assert poll(runtime, partner_id="mercy").changed == []
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    assert len(recorder.files) == 1
    # when the sales desk lowers the syringes to 3 on the confirmed order (often within
    # the same second as the poll: the same write_date, compared by content)
    syringes = lines_of(db, order["id"])[1]
    db.call("sale.order.line", "write", [syringes["id"]], {"product_uom_qty": 3})
    result = poll(runtime, partner_id="mercy")
    assert not result.errors, result.errors
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    # then one replacing 855 went out: BAK01 05, line 2 IQ 3, the others as before
    assert result.changed == ["MH-8003"]
    assert len(recorder.files) == 2
    first, second = segments(recorder.files[0][1]), segments(recorder.files[1][1])
    assert next(s for s in first if s[0] == "BAK")[1] == "00"
    bak = next(s for s in second if s[0] == "BAK")
    assert bak[1:4] == ["05", "AC", "MH-8003"] and bak[8] == order["name"]
    acks = [s[1:3] for s in second if s[0] == "ACK"]
    assert acks == [["IB", "20"], ["IQ", "3"], ["IB", "40"]]
    assert [s[1:3] for s in first if s[0] == "ACK"] == [["IB", "20"], ["IA", "5"], ["IB", "40"]]
    with runtime.sessions() as s:
        [change] = s.scalars(select(OutboundChange)).all()
    assert (change.revision, change.set_id, change.state) == (1, "855", "sent")
    # and the next poll, the order untouched since, sends nothing more
    assert poll(runtime, partner_id="mercy").changed == []
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    assert len(recorder.files) == 2

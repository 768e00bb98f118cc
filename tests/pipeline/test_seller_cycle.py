"""A customer's order to cash on the Odoo double: their 850 becomes a confirmed sale order,
its 855 says which lines wait for goods, a partial delivery in two packages with lots
sends an 856 (one pack per package, valid SSCCs, lots and expiry), the backorder's
delivery a second one, and the posted invoice an 810 with Odoo's totals. The same cycle
on a real Odoo 17: tests/odoo_real/test_seller_outbound.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.canonical import LineStatus, ShipNotice
from gateway.customer_items import CustomerItemRef, replace_items
from gateway.identifiers import is_sscc, make_sscc
from gateway.odoo.client import OdooClient
from gateway.pipeline.outbound import poll
from gateway.pipeline.runtime import Runtime
from gateway.store.db import session_scope
from gateway.store.models import OutboundOrder
from tests.odoo.test_sale_order import Shop, seed_shop
from tests.outbound.test_order_acknowledgement import read_back
from tests.outbound.test_ship_notice import comparable
from tests.outbound.test_ship_notice import read_back as read_back_notice
from tests.pipeline.test_customer_orders import PROFILE, ingest, order_850
from tests.support.odoo_double import OdooDouble, start_odoo_double

SELLING = PROFILE + (
    "sftp: {hosted: {username: mercy}}\n"
    "outbound:\n"
    "  order_acknowledgement: {transport: sftp}\n"
    '  ship_notice: {transport: sftp, gs1_prefix: "0614141"}\n'
    "  invoice: {transport: sftp}\n"
)
NAMED_SSCC = "106141411234567897"  # a package named with its SSCC-18 (GS1's example)


class Recorder:
    """The customer's side of the transport: every file it was handed."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        self.files.append((filename, data))
        return f"outbox/{filename}"

    def of(self, set_id: str) -> list[bytes]:
        return [data for name, data in self.files if name.startswith(f"{set_id}_")]


@pytest.fixture
def odoo() -> Iterator[OdooDouble]:
    double = start_odoo_double(17)
    yield double
    double.stop()


@pytest.fixture
def shop(odoo: OdooDouble) -> Shop:
    shop = seed_shop(odoo)
    with odoo._lock:  # gloves are lot-tracked with expiry dates
        odoo.odoo.write(
            "product.product", [shop.glove_id], {"tracking": "lot", "use_expiration_date": True}
        )
    return shop


@pytest.fixture
def runtime(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, shop: Shop, tmp_path: Path
) -> Runtime:
    site = tmp_path / "site"
    site.mkdir()
    (site / "mercy.yaml").write_text(SELLING)
    rt = make_runtime(
        odoo_factory=lambda: OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password),
        profiles_dir=str(site),
    )
    with session_scope(rt.sessions) as session:
        replace_items(session, "mercy", [CustomerItemRef("M-778", "GAU-1", "default_code", 1)])
    return rt


def segments(data: bytes) -> list[list[str]]:
    return [s.strip().split("*") for s in data.decode().split("~") if s.strip()]


def body(data: bytes) -> list[list[str]]:
    seg = segments(data)
    return seg[3 : [s[0] for s in seg].index("SE")]


def items(seg: list[list[str]]) -> list[tuple[str | None, str, str, str | None, str | None]]:
    """(SSCC, line, quantity, lot, expiry) per item HL, in order."""
    out: list[list[Any]] = []
    sscc: str | None = None
    for s in seg:
        if s[0] == "MAN":
            sscc = s[2]
        elif s[0] == "HL" and s[3] == "I":
            out.append([sscc, "", "", None, None])
        elif out and s[0] == "LIN":
            out[-1][1] = s[1]
        elif out and s[0] == "SN1":
            out[-1][2] = s[2]
        elif out and s[:2] == ["REF", "LT"]:
            out[-1][3] = s[2]
        elif out and s[:2] == ["DTM", "036"]:
            out[-1][4] = s[2]
    return [tuple(x) for x in out]  # type: ignore[misc]


def run_poll(runtime: Runtime) -> None:
    result = poll(runtime, partner_id="mercy")
    assert not result.errors, result.errors
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]


def pick(client: OdooClient, move: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """The warehouse replaces the move's reserved lines with what it packed, picked."""
    stale: list[Any] = [[2, i] for i in move["move_line_ids"]]
    fresh = [[0, 0, {**x, "picked": True}] for x in lines]
    client.write("stock.move", [move["id"]], {"move_line_ids": stale + fresh})
    client.write("stock.move", [move["id"]], {"picked": True})


def validate(client: OdooClient, picking_id: int) -> None:
    """``button_validate``, answering the backorder wizard with *create a backorder*."""
    result = client.call("stock.picking", "button_validate", ids=[picking_id])
    if isinstance(result, dict) and result.get("res_model"):
        context = result.get("context") or {}
        wizard = client.create(result["res_model"], {}, context=context)
        client.call(result["res_model"], "process", ids=[wizard], context=context)


def test_order_to_cash_sends_855_two_856_and_810(
    runtime: Runtime, odoo: OdooDouble, shop: Shop
) -> None:
    recorder = Recorder()
    runtime.senders["sftp"] = recorder
    client = OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password)
    # given two lots of gloves and the syringes in stock, no gauze
    lot_a = odoo.put_in_stock(shop.glove_id, 10, lot="GLV-A1", expiry="2028-01-31")
    lot_b = odoo.put_in_stock(shop.glove_id, 30, lot="GLV-B2", expiry="2027-06-30")
    odoo.put_in_stock(shop.syringe_id, 100)
    # when Mercy's 850 comes in (confirmed at once) and the poll runs
    txn = ingest(runtime, order_850(701), "850.edi")
    assert txn.state == "delivered", txn.error
    [order] = [o for o in odoo.records("sale.order") if o["client_order_ref"] == "MH-5001"]
    assert order["state"] == "sale"
    run_poll(runtime)
    # then the 855 accepts gloves and syringes and backorders the gauze
    [ack_data] = recorder.of("855")
    ack = read_back("x12/004010/855", ack_data)
    assert [(x.line_number, x.status) for x in ack.lines] == [
        ("1", LineStatus.ACCEPTED), ("2", LineStatus.ACCEPTED), ("3", LineStatus.BACKORDERED),
    ]  # fmt: skip
    # and the delivery holds the lot counted in first (FIFO, Odoo's default), no gauze
    [picking] = client.search_read(
        "stock.picking", [["sale_id", "=", order["id"]]], ["name", "state", "move_ids"]
    )
    moves = {
        m["product_id"][0]: m
        for m in client.search_read(
            "stock.move",
            [["picking_id", "=", picking["id"]]],
            ["product_id", "state", "move_line_ids", "sale_line_id"],
        )
    }
    assert {p: m["state"] for p, m in moves.items()} == {
        shop.glove_id: "assigned", shop.syringe_id: "assigned", shop.gauze_id: "confirmed",
    }  # fmt: skip
    reserved = client.search_read(
        "stock.move.line", [["move_id", "=", moves[shop.glove_id]["id"]]], ["lot_id", "quantity"]
    )
    assert [(x["lot_id"][1], x["quantity"]) for x in reserved] == [
        ("GLV-A1", 10.0), ("GLV-B2", 10.0),
    ]  # fmt: skip
    # when the warehouse packs 10 gloves of lot A in a package named with its SSCC,
    # 5 of lot B and the 5 syringes in a second package, no gauze, and validates
    named = client.create("stock.quant.package", {"name": NAMED_SSCC})
    second = client.create("stock.quant.package", {})
    pick(client, moves[shop.glove_id], [
        {"quantity": 10, "lot_id": lot_a, "result_package_id": named},
        {"quantity": 5, "lot_id": lot_b, "result_package_id": second},
    ])  # fmt: skip
    pick(client, moves[shop.syringe_id], [{"quantity": 5, "result_package_id": second}])
    validate(client, picking["id"])
    run_poll(runtime)
    # then one 856: shipment, order, two packs (one per package), three items
    [first] = recorder.of("856")
    seg = body(first)
    assert seg[0][:3] == ["BSN", "00", picking["name"]]
    assert [s[1:4] for s in seg if s[0] == "HL"] == [
        ["1", "", "S"], ["2", "1", "O"], ["3", "2", "P"], ["4", "3", "I"],
        ["5", "2", "P"], ["6", "5", "I"], ["7", "5", "I"],
    ]  # fmt: skip
    ssccs = [s[2] for s in seg if s[0] == "MAN"]
    assert ssccs == [NAMED_SSCC, make_sscc("0614141", second)]
    assert all(is_sscc(x) for x in ssccs)
    assert items(seg) == [
        (NAMED_SSCC, "1", "10", "GLV-A1", "20280131"),
        (ssccs[1], "1", "5", "GLV-B2", "20270630"),
        (ssccs[1], "2", "5", None, None),
    ]
    with runtime.sessions() as s:
        [row] = s.scalars(
            select(OutboundOrder).where(OutboundOrder.document_type == "ship_notice")
        ).all()
    assert (row.business_key, row.state) == (picking["name"], "sent")
    back = read_back_notice(first, "004010")
    stored = ShipNotice.model_validate(row.document)
    assert comparable(back) == comparable(stored)
    # and the sale order knows what was delivered
    delivered = client.search_read(
        "sale.order.line", [["order_id", "=", order["id"]]], ["sequence", "qty_delivered"]
    )
    assert sorted((x["sequence"], x["qty_delivered"]) for x in delivered) == [
        (1, 15.0), (2, 5.0), (3, 0.0),
    ]  # fmt: skip
    # when the gauze arrives and the backorder (5 gloves, 40 gauze) is delivered as reserved
    [backorder] = client.search_read(
        "stock.picking", [["backorder_id", "=", picking["id"]]], ["name", "state"]
    )
    assert backorder["name"].startswith("WH/OUT/") and backorder["state"] == "assigned"
    odoo.put_in_stock(shop.gauze_id, 40)
    client.call("stock.picking", "action_assign", ids=[backorder["id"]])
    validate(client, backorder["id"])
    run_poll(runtime)
    # then a second 856 for it, the goods without a package under the order
    notices = recorder.of("856")
    assert len(notices) == 2
    rest = body(notices[1])
    assert rest[0][:3] == ["BSN", "00", backorder["name"]]
    assert [s[3] for s in rest if s[0] == "HL"] == ["S", "O", "I", "I"]
    assert [(x[1], x[2], x[3]) for x in items(rest)] == [("1", "5", "GLV-B2"), ("3", "40", None)]
    # when the sale order is invoiced and the invoice posted
    context = {"active_model": "sale.order", "active_ids": [order["id"]]}
    wizard = client.create(
        "sale.advance.payment.inv", {"advance_payment_method": "delivered"}, context=context
    )
    client.call("sale.advance.payment.inv", "create_invoices", ids=[wizard], context=context)
    [invoice_id] = client.read("sale.order", [order["id"]], ["invoice_ids"])[0]["invoice_ids"]
    client.call("account.move", "action_post", ids=[invoice_id])
    [move] = client.read(
        "account.move", [invoice_id], ["name", "amount_total", "invoice_date", "state"]
    )
    assert move["state"] == "posted" and move["name"].startswith("INV/")
    run_poll(runtime)
    # then an 810 with Odoo's number, the customer's lines and Odoo's total
    [invoice] = recorder.of("810")
    seg = body(invoice)
    assert seg[0][0] == "BIG" and seg[0][2] == move["name"] and seg[0][4] == "MH-5001"
    assert [s[1:5] for s in seg if s[0] == "IT1"] == [
        ["1", "20", "EA", "8.5"], ["2", "5", "EA", "13.5"], ["3", "40", "EA", "4"],
    ]  # fmt: skip
    [tds] = [s for s in seg if s[0] == "TDS"]
    assert Decimal(tds[1]) == Decimal(str(move["amount_total"])) * 100 == 170 * 100 + 67_50 + 160_00
    # nothing more on a later poll: each document went once
    run_poll(runtime)
    assert [name[:3] for name, _ in recorder.files] == ["855", "856", "856", "810"]
    with runtime.sessions() as s:
        states = {r.document_type: r.state for r in s.scalars(select(OutboundOrder))}
    assert set(states) == {"order_acknowledgement", "ship_notice", "invoice"}
    assert set(states.values()) == {"sent"}


def test_a_delivery_without_lots_for_a_tracked_product_is_refused_by_odoo(
    odoo: OdooDouble, shop: Shop
) -> None:
    client = OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password)
    order = client.create(
        "sale.order",
        {"partner_id": shop.customer_id,
         "order_line": [[0, 0, {"product_id": shop.glove_id, "product_uom_qty": 3}]]},
    )  # fmt: skip
    client.call("sale.order", "action_confirm", ids=[order])
    [picking] = client.search_read("stock.picking", [["sale_id", "=", order]], ["move_ids"])
    [move] = client.read("stock.move", picking["move_ids"], ["state", "move_line_ids"])
    assert move["state"] == "confirmed" and move["move_line_ids"] == []  # nothing in stock
    client.write("stock.move", [move["id"]], {"quantity": 3, "picked": True})
    with pytest.raises(Exception, match="Lot/Serial number"):
        client.call("stock.picking", "button_validate", ids=[picking["id"]])

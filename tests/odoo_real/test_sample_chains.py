"""The sample partners' chains through the whole pipeline into a real Odoo, checked field
by field in Odoo: orders, acknowledgements, receipts with lots and expiry dates and
backorders, bills with their units, currency, totals and state.

Runs on Odoo 17, 18 and 19 with the five documented modules, and on 17 once more with
``stock_delivery`` added (which brings ``stock.picking.carrier_tracking_ref``);
version-specific names come from the gateway's dialect.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.odoo.dialect import OdooDialect
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from tests.odoo_real.samples import (
    Samples,
    exceptions,
    fixture_bytes,
    ingest,
    prepare_samples,
    sample_site,
)
from tests.support.real_odoo import OdooDatabase

VERSIONS = (17, 18, 19)
SETUPS = [pytest.param({"version": v}, id=f"odoo{v}") for v in VERSIONS] + [
    pytest.param({"version": 17, "extra": ["stock_delivery"]}, id="odoo17+stock_delivery")
]
pytestmark = [pytest.mark.parametrize("real_odoo", SETUPS, indirect=True)]


def make_runtime(db: OdooDatabase, data_dir: Path) -> Runtime:
    """The gateway as deployed against this database (settings as EDIGW_ODOO_* would)."""
    env = db.gateway_env()
    settings = Settings(
        data_dir=data_dir,
        profiles_dir=str(sample_site(data_dir)),
        odoo_url=env["EDIGW_ODOO_URL"],
        odoo_db=env["EDIGW_ODOO_DB"],
        odoo_user=env["EDIGW_ODOO_USER"],
        odoo_password=env["EDIGW_ODOO_PASSWORD"],
        task_backoff_seconds=0.01,
    )
    return build_runtime(settings, dispatcher=InlineDispatcher())


@pytest.fixture(scope="module")
def samples(real_odoo: OdooDatabase, tmp_path_factory: pytest.TempPathFactory) -> Samples:
    runtime = make_runtime(real_odoo, tmp_path_factory.mktemp("prepare"))
    try:
        return prepare_samples(real_odoo, runtime)
    finally:
        runtime.engine.dispose()


@pytest.fixture
def runtime(real_odoo: OdooDatabase, samples: Samples, tmp_path: Path) -> Iterator[Runtime]:
    rt = make_runtime(real_odoo, tmp_path)
    yield rt
    rt.engine.dispose()


def m2o(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def order_of(db: OdooDatabase, vendor: int, po_number: str) -> dict[str, Any]:
    [order] = db.search_read(
        "purchase.order",
        # our orders carry the PO number as their name, a supplier's 850 as partner_ref
        [
            "|",
            ["name", "=", po_number],
            ["partner_ref", "=", po_number],
            ["partner_id", "=", vendor],
        ],
        ["name", "state", "currency_id", "date_order", "origin", "partner_id", "amount_untaxed"],
    )
    return order


def order_lines(db: OdooDatabase, order_id: int) -> list[dict[str, Any]]:
    uom = OdooDialect(major=db.version, server_version="").purchase_line_uom_field
    return db.search_read(
        "purchase.order.line",
        [["order_id", "=", order_id]],
        [
            "product_id",
            "product_qty",
            "price_unit",
            uom,
            "date_planned",
            "qty_received",
            "qty_invoiced",
        ],
        order="sequence, id",
    )


def pickings(db: OdooDatabase, order_id: int) -> list[dict[str, Any]]:
    fields = ["name", "state", "origin", "backorder_id", "move_ids"]
    if "stock_delivery" in db.modules:
        fields.append("carrier_tracking_ref")
    return db.search_read("stock.picking", [["purchase_id", "=", order_id]], fields, order="id")


def move_lines(db: OdooDatabase, picking_id: int) -> list[tuple[str, str, float, str, str]]:
    """(product, lot, quantity, unit, expiry date) of a picking, sorted."""
    qty = OdooDialect(major=db.version, server_version="").move_line_quantity_field
    rows = db.search_read(
        "stock.move.line",
        [["picking_id", "=", picking_id]],
        ["product_id", "lot_id", qty, "product_uom_id", "expiration_date"],
    )
    return sorted(
        (
            r["product_id"][1],
            r["lot_id"][1] if r["lot_id"] else "",
            r[qty],
            r["product_uom_id"][1],
            (r["expiration_date"] or "")[:10],
        )
        for r in rows
    )


def chatter(db: OdooDatabase, model: str, res_id: int) -> list[str]:
    rows = db.search_read(
        "mail.message", [["model", "=", model], ["res_id", "=", res_id]], ["body"], order="id"
    )
    return [r["body"] or "" for r in rows]


def bill_of(db: OdooDatabase, vendor: int, ref: str) -> tuple[dict[str, Any], list[dict]]:
    [bill] = db.search_read(
        "account.move",
        [["ref", "=", ref], ["partner_id", "=", vendor], ["move_type", "=", "in_invoice"]],
        [
            "name",
            "state",
            "currency_id",
            "amount_untaxed",
            "amount_tax",
            "amount_total",
            "invoice_origin",
            "invoice_date",
        ],
    )
    lines = db.search_read(
        "account.move.line",
        [["move_id", "=", bill["id"]], ["display_type", "=", "product"]],
        ["product_id", "purchase_line_id", "quantity", "product_uom_id", "price_unit", "name"],
        order="sequence, id",
    )
    return bill, lines


# ---------------------------------------------------------------------------------------
def test_x12_4010_summit_ack_receipt_with_lots_and_bill_in_boxes(
    real_odoo: OdooDatabase, samples: Samples, runtime: Runtime
) -> None:
    from gateway.demo import seed_our_orders

    db, vendor = real_odoo, samples.vendors["summit-medical"]
    # given our purchase order MH-2026-0417 to Summit, confirmed in Odoo
    seed_our_orders(runtime)
    order = order_of(db, vendor, "MH-2026-0417")
    assert order["state"] == "purchase"
    assert order["currency_id"][1] == "USD"
    assert order["date_order"] == "2026-11-16 00:00:00"
    lines = order_lines(db, order["id"])
    assert [(m2o(x["product_id"]), x["product_qty"], x["price_unit"]) for x in lines] == [
        (samples.products["SMS-NG100M"], 50, 8.95),
        (samples.products["SMS-SYR5LL"], 20, 14.2),
        (samples.products["SMS-IVC20G"], 6, 62.5),
        (samples.products["SMS-GZ44S"], 30, 21.75),
    ]
    uom = OdooDialect(major=db.version, server_version="").purchase_line_uom_field
    units = [m2o(x[uom]) for x in lines]
    assert units == [samples.units[u] for u in ("Box", "Box", "Box", "Case")]
    assert {x["date_planned"] for x in lines} == {"2026-11-20 00:00:00"}

    # when Summit acknowledges it, changing line 3 to 4 boxes
    ack = ingest(runtime, fixture_bytes("summit-medical", "855_po_ack.edi"), "855.edi")
    assert ack.state == "business_exception", ack.error
    assert [e.kind for e in exceptions(runtime, ack)] == ["changed_line"]
    assert ack.error is None
    # then the planned dates move (the profile applies dates) and a readable note is posted
    assert {x["date_planned"] for x in order_lines(db, order["id"])} == {"2026-11-18 00:00:00"}
    [note] = [b for b in chatter(db, "purchase.order", order["id"]) if "[EDI 855" in b]
    assert note.count("<p>") == 5 and "line 3" in note and "6 → 4" in note

    # when the ship notice comes: 4 of 6 catheters, lots with expiry dates
    asn = ingest(runtime, fixture_bytes("summit-medical", "856_ship_notice.edi"), "856.edi")
    assert asn.state == "delivered", (asn.error, exceptions(runtime, asn))
    done, backorder = pickings(db, order["id"])
    assert done["state"] == "done" and backorder["state"] not in ("done", "cancel")
    assert m2o(backorder["backorder_id"]) == done["id"]
    # the receipt keeps the order's name; the shipment and tracking number are in its note
    assert done["origin"] == order["name"]
    [received] = [b for b in chatter(db, "stock.picking", done["id"]) if "[EDI 856" in b]
    assert "SH-778812" in received and "1Z999AA10123456784" in received
    if "stock_delivery" in db.modules:
        assert done["carrier_tracking_ref"] == "1Z999AA10123456784"
    # gloves and syringes are stocked in units (1 box = 100), catheters in boxes
    assert move_lines(db, done["id"]) == sorted(
        [
            (
                "[SMS-GZ44S] STERILE GAUZE SPONGE 4X4IN 12PLY CASE",
                "GZ5521",
                30,
                "Case",
                "2031-01-01",
            ),
            ("[SMS-IVC20G] IV CATHETER 20G X 1.16IN BOX/50", "IVC0611", 2, "Box", "2028-05-31"),
            ("[SMS-IVC20G] IV CATHETER 20G X 1.16IN BOX/50", "IVC0702", 2, "Box", "2028-07-31"),
            (
                "[SMS-NG100M] NITRILE EXAM GLOVES MEDIUM BOX/100",
                "NG24K07",
                5000,
                "Units",
                "2029-06-30",
            ),
            (
                "[SMS-SYR5LL] SYRINGE 5 ML LUER-LOCK STERILE BOX/100",
                "SY2406A",
                1200,
                "Units",
                "2028-10-31",
            ),
            (
                "[SMS-SYR5LL] SYRINGE 5 ML LUER-LOCK STERILE BOX/100",
                "SY2409C",
                800,
                "Units",
                "2029-02-28",
            ),
        ]
    )
    lots = db.search_read(
        "stock.lot", [["name", "in", ["NG24K07", "IVC0702"]]], ["name", "expiration_date"]
    )
    assert {x["name"]: x["expiration_date"][:10] for x in lots} == {
        "NG24K07": "2029-06-30",
        "IVC0702": "2028-07-31",
    }
    assert [x["qty_received"] for x in order_lines(db, order["id"])] == [50, 20, 4, 30]

    # when the invoice comes: 4 lines in boxes and cases, 25.00 freight, TDS 1,659.00
    inv = ingest(runtime, fixture_bytes("summit-medical", "810_invoice.edi"), "810.edi")
    assert inv.state == "delivered", (inv.error, [e.message for e in exceptions(runtime, inv)])
    bill, bill_lines = bill_of(db, vendor, "INV-SMS-90211")
    assert bill["state"] == "posted" and bill["currency_id"][1] == "USD"
    assert (bill["amount_untaxed"], bill["amount_tax"], bill["amount_total"]) == (1659, 0, 1659)
    assert bill["invoice_origin"] == order["name"] and bill["invoice_date"] == "2026-11-18"
    po_lines = [x["id"] for x in order_lines(db, order["id"])]
    assert [
        (m2o(x["purchase_line_id"]), x["quantity"], m2o(x["product_uom_id"]), x["price_unit"])
        for x in bill_lines
    ] == [
        (po_lines[0], 50, samples.units["Box"], 8.95),
        (po_lines[1], 20, samples.units["Box"], 14.2),
        (po_lines[2], 4, samples.units["Box"], 62.5),
        (po_lines[3], 30, samples.units["Case"], 21.75),
        (False, 1, samples.units["Units"], 25.0),
    ]
    assert m2o(bill_lines[-1]["product_id"]) == samples.freight
    # and Odoo sees the boxes billed as boxes: nothing left to bill for what was received
    assert [x["qty_invoiced"] for x in order_lines(db, order["id"])] == [50, 20, 4, 30]

    # when Summit credits one box of catheters returned damaged (BIG07 CR, REF*OI)
    memo = ingest(runtime, fixture_bytes("summit-medical", "810_credit_memo.edi"), "cm.edi")
    assert memo.state == "delivered", (memo.error, [e.message for e in exceptions(runtime, memo)])
    [refund] = db.search_read(
        "account.move",
        [["ref", "=", "CM-SMS-90211-1"], ["partner_id", "=", vendor]],
        ["move_type", "state", "reversed_entry_id", "amount_total", "invoice_origin", "name"],
    )
    # then it is a vendor credit note reversing the bill, posted, on the same order line
    assert (refund["move_type"], refund["state"]) == ("in_refund", "posted")
    assert m2o(refund["reversed_entry_id"]) == bill["id"] and refund["amount_total"] == 62.5
    assert refund["invoice_origin"] == order["name"] and refund["name"].startswith("RBILL/")
    refund_lines = db.search_read(
        "account.move.line",
        [["move_id", "=", refund["id"]], ["display_type", "=", "product"]],
        ["purchase_line_id", "quantity", "product_uom_id", "price_unit"],
    )
    assert [
        (m2o(x["purchase_line_id"]), x["quantity"], m2o(x["product_uom_id"]), x["price_unit"])
        for x in refund_lines
    ] == [(po_lines[2], 1, samples.units["Box"], 62.5)]
    # and Odoo's billed quantity of the catheters goes down by the box credited
    assert [x["qty_invoiced"] for x in order_lines(db, order["id"])] == [50, 20, 3, 30]


def test_x12_5010_keystone_order_receipt_backorder_and_bill(
    real_odoo: OdooDatabase, samples: Samples, runtime: Runtime
) -> None:
    db, vendor = real_odoo, samples.vendors["keystone-pharma"]
    # the wholesaler's buying system sends a purchase order (NDCs, USD)
    po = ingest(runtime, fixture_bytes("keystone-pharma", "850_purchase_order.edi"), "850.edi")
    assert po.state == "delivered", (po.error, exceptions(runtime, po))
    order = order_of(db, vendor, "KPW-PO-88120")
    assert order["state"] == "purchase" and order["currency_id"][1] == "USD"
    assert order["origin"] == "EDI 850 000088120"
    assert order["partner_id"][0] == vendor
    lines = order_lines(db, order["id"])
    assert [(m2o(x["product_id"]), x["product_qty"], x["price_unit"]) for x in lines] == [
        (samples.products["KPW-338049"], 96, 2.41),
        (samples.products["KPW-264780"], 48, 2.87),
        (samples.products["KPW-409127"], 200, 0.64),
    ]
    assert {x["date_planned"] for x in lines} == {"2026-11-19 00:00:00"}
    # when it ships lines 1 (two lots) and 3; line 2 is backordered
    asn = ingest(runtime, fixture_bytes("keystone-pharma", "856_ship_notice.edi"), "856.edi")
    assert asn.state == "delivered", (asn.error, exceptions(runtime, asn))
    done, backorder = pickings(db, order["id"])
    assert done["state"] == "done" and m2o(backorder["backorder_id"]) == done["id"]
    assert move_lines(db, done["id"]) == [
        ("[KPW-338049] SODIUM CHLORIDE 0.9% INJ 1000 ML BAG", "P412087", 60, "Units", "2028-02-28"),
        ("[KPW-338049] SODIUM CHLORIDE 0.9% INJ 1000 ML BAG", "P412233", 36, "Units", "2028-04-30"),
        (
            "[KPW-409127] HEPARIN LOCK FLUSH 10 UNITS/ML 5 ML VIAL",
            "HL55103",
            200,
            "Units",
            "2027-11-30",
        ),
    ]
    if "stock_delivery" in db.modules:
        assert done["carrier_tracking_ref"] == "794611223344"
    open_moves = db.search_read(
        "stock.move", [["picking_id", "=", backorder["id"]]], ["product_id", "product_uom_qty"]
    )
    assert [(m2o(m["product_id"]), m["product_uom_qty"]) for m in open_moves] == [
        (samples.products["KPW-264780"], 48)
    ]
    # when it bills what was shipped (TDS 359.36, no currency named: the order's)
    inv = ingest(runtime, fixture_bytes("keystone-pharma", "810_invoice.edi"), "810.edi")
    assert inv.state == "delivered", [e.message for e in exceptions(runtime, inv)]
    bill, bill_lines = bill_of(db, vendor, "KINV-771205")
    assert bill["state"] == "posted" and bill["currency_id"][1] == "USD"
    assert (bill["amount_untaxed"], bill["amount_total"]) == (359.36, 359.36)
    assert [(x["quantity"], x["price_unit"]) for x in bill_lines] == [(96, 2.41), (200, 0.64)]
    assert [m2o(x["purchase_line_id"]) for x in bill_lines] == [lines[0]["id"], lines[2]["id"]]
    assert [x["qty_invoiced"] for x in order_lines(db, order["id"])] == [96, 0, 200]


def test_edifact_nordlicht_in_euro_with_vat(
    real_odoo: OdooDatabase, samples: Samples, runtime: Runtime
) -> None:
    from gateway.demo import seed_our_orders

    db, vendor = real_odoo, samples.vendors["nordlicht-medtech"]
    seed_our_orders(runtime)
    order = order_of(db, vendor, "MH-2026-0422")
    assert order["currency_id"][1] == "EUR" and order["state"] == "purchase"
    assert order["amount_untaxed"] == 200 * 0.85 + 150 * 1.95 + 10 * 18.40
    rsp = ingest(runtime, fixture_bytes("nordlicht-medtech", "ORDRSP_order_response.edi"), "r.edi")
    assert rsp.state == "business_exception", rsp.error
    assert [e.kind for e in exceptions(runtime, rsp)] == ["changed_line"]  # 10 -> 8 on line 3
    desadv = ingest(
        runtime, fixture_bytes("nordlicht-medtech", "DESADV_despatch_advice.edi"), "d.edi"
    )
    assert desadv.state == "delivered", (desadv.error, exceptions(runtime, desadv))
    done, backorder = pickings(db, order["id"])
    assert done["origin"] == order["name"] and done["state"] == "done"
    assert move_lines(db, done["id"]) == [
        ("[NL-CS145] CHIRURGISCHE SCHERE 14.5 CM", "", 8, "Units", ""),
        ("[NL-IS180] INFUSIONSBESTECK 180 CM", "IS24-880", 150, "Units", "2028-09-30"),
        ("[NL-WV1010] WUNDVERBAND STERIL 10X10 CM", "WV24-117", 120, "Units", "2029-03-31"),
        ("[NL-WV1010] WUNDVERBAND STERIL 10X10 CM", "WV24-131", 80, "Units", "2029-04-30"),
    ]
    assert m2o(backorder["backorder_id"]) == done["id"]
    if "stock_delivery" in db.modules:
        assert done["carrier_tracking_ref"] == "JJD000390007788123"
    invoic = ingest(runtime, fixture_bytes("nordlicht-medtech", "INVOIC_invoice.edi"), "i.edi")
    assert invoic.state == "delivered", [e.message for e in exceptions(runtime, invoic)]
    bill, bill_lines = bill_of(db, vendor, "NL-RE-26-30551")
    assert bill["state"] == "posted" and bill["currency_id"][1] == "EUR"
    # MOA 79 609.70, TAX 19 % MOA 124 115.84, MOA 86 725.54: Odoo rounds per line (115.85)
    assert bill["amount_untaxed"] == 609.7
    assert abs(bill["amount_tax"] - 115.84) <= 0.01 and abs(bill["amount_total"] - 725.54) <= 0.01
    assert [(x["quantity"], x["price_unit"]) for x in bill_lines] == [
        (200, 0.85),
        (150, 1.95),
        (8, 18.4),
    ]

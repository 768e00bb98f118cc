"""Customers' orders (X12 850 and EDIFACT ORDERS) through the whole pipeline into a real
Odoo 17, 18 and 19 with ``sale_stock``, checked field by field in Odoo: the sale order's customer,
delivery address, lines, prices from the customer's pricelist, ``client_order_ref`` and
dates; a resent order makes no second sale order; a price difference leaves a quotation
with the exception and a note; ``confirm: auto`` confirms (and Odoo makes the delivery);
a changed 850 restates the order and its price is checked, not written (860s:
test_sale_order_change.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.customer_items import CustomerItemRef, replace_items
from gateway.odoo.client import OdooClient
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.store.models import Delivery
from tests.fixtures.partners.build_fixtures import x12
from tests.odoo_real.samples import exceptions, ingest
from tests.support.real_odoo import OdooDatabase

pytestmark = [
    pytest.mark.parametrize(
        "real_odoo", [{"version": v, "extra": ["sale_stock"]} for v in (17, 18, 19)], indirect=True
    ),
    pytest.mark.timeout(900),
]

DOCK_GLN = "0614141000012"
WARD_GLN = "0614141000029"  # the EDIFACT customer's ward

MERCY = """\
id: mercy
name: Mercy Hospital
role: customer
x12: {isa_qualifier: ZZ, isa_id: MERCYHOSP}
acknowledgements: {x12: none}
odoo:
  customer_ref: MERCY
  uom: {EA: Units}
  sale_order: {confirm: review}
"""
# a second customer, EDIFACT, whose orders are confirmed when every check passes
STJUDE = """\
id: stjude
name: St. Jude Klinikum
roles: [supplier, customer]
edifact: {unb_id: "4098765000003", unb_qualifier: "14"}
acknowledgements: {x12: none, contrl: false}
uom_codes: {PCE: EA}
odoo:
  vendor_ref: STJUDE
  uom: {EA: Units}
  sale_order: {confirm: auto}
"""


@dataclass(frozen=True)
class Shop:
    mercy: int
    dock: int
    stjude: int
    ward: int
    glove: int  # GLV-1, GTIN 00017953755437, list 9.00; Mercy pays 8.50 from 10
    syringe: int  # SYR-1, list 15.00; Mercy gets 10 % off (13.50)
    gauze: int  # GAU-1, list 4.00, no rule; Mercy calls it M-778
    units: int


def seed(db: OdooDatabase) -> Shop:
    """Products, Mercy's contract pricelist, both customers and their delivery addresses."""
    units = db.ref("uom.product_uom_unit")
    # a seller with contract pricelists has Sales > Settings > Pricelists on (Odoo ignores
    # every customer's pricelist without it)
    settings = db.call("res.config.settings", "create", [{"group_product_pricelist": True}])
    db.call(
        "res.config.settings", "execute", settings if isinstance(settings, list) else [settings]
    )
    # the fields that differ between versions, as the gateway's own dialect names them
    dialect = OdooClient(db.url, db.name, db.login, password=db.password).dialect
    purchase_unit = dialect.product_purchase_uom_field

    def product(name: str, code: str, price: float, barcode: str | None = None) -> int:
        values: dict[str, Any] = {
            "name": name,
            "default_code": code,
            "list_price": price,
            **dialect.storable_product_values(),
            "uom_id": units,
            "sale_ok": True,
        }
        if purchase_unit is not None:
            values[purchase_unit] = units
        if barcode:
            values["barcode"] = barcode
        return db.create("product.product", values)

    glove = product("Nitrile glove M", "GLV-1", 9.0, "0017953755437")
    syringe = product("Syringe 5 ml", "SYR-1", 15.0)
    gauze = product("Gauze 4x4", "GAU-1", 4.0)
    pricelist = db.create(
        "product.pricelist",
        {
            "name": "Mercy contract",
            "item_ids": [
                [0, 0, {"applied_on": "0_product_variant", "product_id": glove,
                        "min_quantity": 10, "compute_price": "fixed", "fixed_price": 8.5}],
                [0, 0, {"applied_on": "0_product_variant", "product_id": syringe,
                        "compute_price": "percentage", "percent_price": 10}],
            ],
        },
    )  # fmt: skip
    mercy = db.create(
        "res.partner",
        {"name": "Mercy Hospital", "ref": "MERCY", "is_company": True,
         "property_product_pricelist": pricelist},
    )  # fmt: skip
    dock = db.create(
        "res.partner",
        {"name": "Mercy receiving dock", "ref": DOCK_GLN, "parent_id": mercy, "type": "delivery",
         "street": "1 Harbor Drive", "city": "Portland"},
    )  # fmt: skip
    standard = db.create("product.pricelist", {"name": "Standard (no rules)"})
    stjude = db.create(
        "res.partner",
        {"name": "St. Jude Klinikum", "ref": "STJUDE", "is_company": True,
         "property_product_pricelist": standard},
    )  # fmt: skip
    ward = db.create(
        "res.partner",
        {"name": "St. Jude ward 3", "ref": WARD_GLN, "parent_id": stjude, "type": "delivery"},
    )
    return Shop(mercy, dock, stjude, ward, glove, syringe, gauze, units)


def order_850(control: int, po: str, glove_price: str = "8.50", purpose: str = "00") -> bytes:
    body = [
        f"BEG*{purpose}*SA*{po}**20261201",
        "CUR*BY*USD",  # the pricelist's currency: compared, no issue
        "DTM*002*20261210",
        "N1*BY*MERCY HOSPITAL*92*MERCY",
        f"N1*ST*MERCY RECEIVING DOCK*UL*{DOCK_GLN}",
        f"PO1*1*20*EA*{glove_price}**UK*00017953755437",
        "PO1*2*5*EA*13.50**VP*SYR-1",
        "DTM*002*20261217",
        "PO1*3*40*EA*4.00**BP*M-778",
        "CTT*3",
    ]
    return x12("MERCYHOSP", "MERIDIANHEALTH", "004010", "PO", control, [("850", body)]).encode()


def orders_edifact(reference: str, po: str) -> bytes:
    message = [
        "UNH+1+ORDERS:D:96A:UN:EAN008",
        f"BGM+220+{po}+9",
        "DTM+137:20261201:102",
        "DTM+2:20261215:102",
        "NAD+BY+4098765000003::9++ST. JUDE KLINIKUM",
        f"NAD+DP+{WARD_GLN}::9",
        "LIN+1++00017953755437:SRV",
        "QTY+21:12:PCE",
        "PRI+AAA:9.00",
        "LIN+2",
        "PIA+1+GAU-1:SA",
        "QTY+21:100:PCE",
        "PRI+AAA:4.00",
        "UNS+S",
        "CNT+2:2",
    ]
    message.append(f"UNT+{len(message) + 1}+1")
    segments = [
        f"UNB+UNOC:3+4098765000003:14+5412345000006:14+261201:0930+{reference}",
        *message,
        f"UNZ+1+{reference}",
    ]
    return ("UNA:+.? '" + "'".join(segments) + "'").encode()


def make_runtime(db: OdooDatabase, data_dir: Path) -> Runtime:
    site = data_dir / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "mercy.yaml").write_text(MERCY)
    (site / "stjude.yaml").write_text(STJUDE)
    env = db.gateway_env()
    settings = Settings(
        data_dir=data_dir,
        profiles_dir=str(site),
        shipped_profiles=False,
        odoo_url=env["EDIGW_ODOO_URL"],
        odoo_db=env["EDIGW_ODOO_DB"],
        odoo_user=env["EDIGW_ODOO_USER"],
        odoo_password=env["EDIGW_ODOO_PASSWORD"],
        task_backoff_seconds=0.01,
    )
    runtime = build_runtime(settings, dispatcher=InlineDispatcher())
    with session_scope(runtime.sessions) as session:
        replace_items(session, "mercy", [CustomerItemRef("M-778", "GAU-1", "default_code", 2)])
    return runtime


@pytest.fixture(scope="module")
def shop(real_odoo: OdooDatabase) -> Shop:
    return seed(real_odoo)


@pytest.fixture
def runtime(real_odoo: OdooDatabase, shop: Shop, tmp_path: Path) -> Iterator[Runtime]:
    rt = make_runtime(real_odoo, tmp_path)
    yield rt
    rt.engine.dispose()


ORDER_FIELDS = [
    "name", "state", "partner_id", "partner_shipping_id", "partner_invoice_id",
    "client_order_ref", "origin", "commitment_date", "pricelist_id", "amount_untaxed",
    "picking_ids",
]  # fmt: skip
LINE_FIELDS = ["sequence", "product_id", "product_uom_qty", "product_uom", "price_unit",
               "discount", "name", "price_subtotal"]  # fmt: skip


def sale_orders(db: OdooDatabase, customer: int, po: str) -> list[dict[str, Any]]:
    return db.search_read(
        "sale.order",
        [["client_order_ref", "=", po], ["partner_id", "=", customer]],
        ORDER_FIELDS,
        order="id",
    )


def lines_of(db: OdooDatabase, order_id: int) -> list[dict[str, Any]]:
    """The sale order's lines; the unit as ``product_uom`` on every version (Odoo 19 calls
    it ``product_uom_id``)."""
    if db.version < 19:
        return db.search_read(
            "sale.order.line", [["order_id", "=", order_id]], LINE_FIELDS, order="sequence, id"
        )
    fields = [f if f != "product_uom" else "product_uom_id" for f in LINE_FIELDS]
    rows = db.search_read("sale.order.line", [["order_id", "=", order_id]], fields, "sequence, id")
    return [{**row, "product_uom": row["product_uom_id"]} for row in rows]


def test_850_becomes_a_quotation_field_by_field_and_a_resend_makes_no_second(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    # when Mercy's 850 comes in
    txn = ingest(runtime, order_850(601, "MH-5001"), "850.edi")
    assert txn.state == "delivered", (txn.error, exceptions(runtime, txn))
    # then one quotation (policy review) for Mercy, to its dock, keyed by the PO number
    [order] = sale_orders(db, shop.mercy, "MH-5001")
    assert order["state"] == "draft"
    assert order["partner_id"][0] == shop.mercy
    assert order["partner_shipping_id"][0] == shop.dock
    assert order["partner_invoice_id"][0] == shop.mercy
    assert order["client_order_ref"] == "MH-5001"
    assert order["origin"] == "EDI 850 000000601"
    assert order["commitment_date"] == "2026-12-10 00:00:00"
    assert order["pricelist_id"][1].startswith("Mercy contract")
    assert order["picking_ids"] == []
    lines = lines_of(db, order["id"])
    assert [
        (
            x["product_id"][0],
            x["product_uom_qty"],
            x["product_uom"][0],
            x["price_unit"],
            x["discount"],
        )
        for x in lines
    ] == [
        (shop.glove, 20.0, shop.units, 8.5, 0.0),  # Odoo's pricelist price for 20
        (shop.syringe, 5.0, shop.units, 13.5, 0.0),  # 10 % off 15.00
        (shop.gauze, 40.0, shop.units, 4.0, 0.0),  # their M-778, through the xref
    ]
    assert lines[1]["name"].endswith("Requested delivery: 2026-12-17")
    assert "Requested delivery" not in lines[0]["name"] + lines[2]["name"]
    assert order["amount_untaxed"] == 170.0 + 67.5 + 160.0
    # and the delivery ledger holds the sale order (for the outbound 855/856/810)
    with runtime.sessions() as s:
        [ledger] = s.scalars(select(Delivery).where(Delivery.transaction_id == txn.id)).all()
    assert ledger.records[0] == {"model": "sale.order", "id": order["id"], "name": order["name"]}
    # when Mercy sends the same order again (a new interchange)
    again = ingest(runtime, order_850(602, "MH-5001"), "850-resent.edi")
    # then there is still exactly one sale order
    assert again.state == "delivered"
    assert len(sale_orders(db, shop.mercy, "MH-5001")) == 1


def test_a_price_difference_leaves_a_quotation_with_the_exception(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    txn = ingest(runtime, order_850(611, "MH-5002", glove_price="8.00"), "850.edi")
    assert txn.state == "business_exception"
    [issue] = exceptions(runtime, txn)
    assert issue.kind == "customer_price_mismatch" and issue.line_number == "1"
    assert (issue.expected, issue.received) == ("8.5", "8.00")
    assert "our price 8.5" in issue.message and "price 8.00" in issue.message
    [order] = sale_orders(db, shop.mercy, "MH-5002")
    assert order["state"] == "draft"
    assert lines_of(db, order["id"])[0]["price_unit"] == 8.5  # Odoo's price stays
    notes = db.search_read(
        "mail.message",
        [
            ["model", "=", "sale.order"],
            ["res_id", "=", order["id"]],
            ["message_type", "=", "comment"],
        ],
        ["body"],
    )
    assert len(notes) == 1 and "review before confirming" in notes[0]["body"]
    # the resend of an order still under review makes no second one either
    ingest(runtime, order_850(612, "MH-5002", glove_price="8.00"), "850-resent.edi")
    assert len(sale_orders(db, shop.mercy, "MH-5002")) == 1


def test_auto_confirm_confirms_an_edifact_order_and_odoo_makes_the_delivery(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    # St. Jude's pricelist has no rules: the sales prices apply
    txn = ingest(runtime, orders_edifact("SJ0001", "SJ-77"), "orders.edi")
    assert txn.state == "delivered", (txn.error, exceptions(runtime, txn))
    [order] = sale_orders(db, shop.stjude, "SJ-77")
    assert order["state"] == "sale"
    assert order["partner_shipping_id"][0] == shop.ward
    assert order["commitment_date"] == "2026-12-15 00:00:00"
    assert [
        (x["product_id"][0], x["product_uom_qty"], x["price_unit"])
        for x in lines_of(db, order["id"])
    ] == [
        (shop.glove, 12.0, 9.0),
        (shop.gauze, 100.0, 4.0),
    ]
    # confirming made the outgoing delivery to the ward, due on the committed date
    [picking] = db.search_read(
        "stock.picking",
        [["sale_id", "=", order["id"]]],
        ["partner_id", "picking_type_code", "move_ids"],
    )
    assert picking["picking_type_code"] == "outgoing" and picking["partner_id"][0] == shop.ward
    moves = db.search_read(
        "stock.move",
        [["picking_id", "=", picking["id"]]],
        ["product_id", "product_uom_qty", "date_deadline"],
        order="id",
    )
    assert [(m["product_id"][0], m["product_uom_qty"]) for m in moves] == [
        (shop.glove, 12.0),
        (shop.gauze, 100.0),
    ]
    assert {m["date_deadline"] for m in moves} == {"2026-12-15 00:00:00"}


def test_a_changed_850_restates_the_order_and_its_price_is_checked_not_written(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    ingest(runtime, order_850(621, "MH-5003"), "850.edi")
    [order] = sale_orders(db, shop.mercy, "MH-5003")
    before = lines_of(db, order["id"])
    # an 850 that says change (BEG01 04) restates the order, the gloves now at 8.00
    change = ingest(runtime, order_850(622, "MH-5003", glove_price="8.00", purpose="04"), "850")
    # the quotation keeps the pricelist's price: the customer's is compared, never written
    assert change.state == "business_exception"
    [issue] = exceptions(runtime, change)
    assert issue.kind == "customer_price_mismatch" and issue.line_number == "1"
    assert (issue.expected, issue.received) == ("8.5", "8.00")
    assert lines_of(db, order["id"]) == before
    assert len(sale_orders(db, shop.mercy, "MH-5003")) == 1


def test_odoo_check_finds_sale_stock_the_customers_and_their_pricelists(
    real_odoo: OdooDatabase, shop: Shop, tmp_path: Path
) -> None:
    from gateway.odoo.check import PartnerOdoo, check_odoo

    runtime = make_runtime(real_odoo, tmp_path)
    try:
        partners = [p for p in map(PartnerOdoo.from_profile, runtime.registry.all()) if p]
        results = {r.name: r for r in check_odoo(runtime.odoo_for("odoo"), partners)}
    finally:
        runtime.engine.dispose()
    assert results["module sale_stock"].ok
    assert results["mercy: customer"].ok and "mercy: vendor" not in results
    assert results["mercy: customer pricelist"].detail == (
        "orders are priced and checked with 'Mercy contract (USD)'"
    )
    # St. Jude is both: vendor and customer are the same company (vendor_ref)
    assert results["stjude: vendor"].ok and results["stjude: customer"].ok

    # with the Pricelists setting off, Odoo (17, 18, 19) applies no customer's pricelist
    # and reads none on the customer: said so
    def pricelists(on: bool) -> None:
        made = real_odoo.call("res.config.settings", "create", [{"group_product_pricelist": on}])
        real_odoo.call("res.config.settings", "execute", made if isinstance(made, list) else [made])

    pricelists(False)
    runtime = make_runtime(real_odoo, tmp_path / "off")
    try:
        results = {r.name: r for r in check_odoo(runtime.odoo_for("odoo"), partners)}
    finally:
        runtime.engine.dispose()
        pricelists(True)
    assert results["mercy: customer pricelist"].detail.startswith(
        "the Pricelists setting is off (Sales > Configuration > Settings > Pricelists)"
    )

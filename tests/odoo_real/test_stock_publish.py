"""What we publish to a customer, from a real Odoo 17, 18 and 19 with ``sale_stock``: the
846 carries Odoo's own on-hand and forecast quantities after a receipt arrives and a sale order
reserves stock, on the profile's schedule and once per slot; the 832 carries the prices
Odoo itself puts on the customer's sale order lines (fixed from a quantity, percentage,
a rounded formula on a category, a rule that starts next month), on demand and again
only when the pricelist changes a price. Each document is read back by our own inbound
map."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.canonical import InventoryAdvice, PriceCatalog
from gateway.customer_items import CustomerItemRef, replace_items
from gateway.engines import parse_payload
from gateway.mapping import MapLibrary, translate
from gateway.odoo.client import OdooClient
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.errors import PermanentError
from gateway.pipeline.outbound_publish import PublishResult, publish_due, send_catalog
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, OutboundOrder
from tests.support.real_odoo import OdooDatabase

VERSIONS = [
    pytest.param({"version": v, "extra": ["sale_stock"]}, id=f"odoo{v}") for v in (17, 18, 19)
]
pytestmark = [
    pytest.mark.parametrize("real_odoo", VERSIONS, indirect=True),
    pytest.mark.timeout(900),
]

REPO = Path(__file__).resolve().parents[2]
INBOUND = MapLibrary.load([REPO / "maps"])
MERCY = """\
id: mercy
name: Mercy Hospital
role: customer
x12: {isa_qualifier: ZZ, isa_id: MERCYHOSP}
acknowledgements: {x12: none}
sftp: {hosted: {username: mercy}}
odoo:
  customer_ref: MERCY
  uom: {EA: Units}
outbound:
  inventory_advice: {transport: sftp, every: 1h}
  price_catalog: {transport: sftp}
"""
NEXT_MONTH = dt.date.today().replace(day=1) + dt.timedelta(days=40)


@dataclass(frozen=True)
class Shop:
    mercy: int
    pricelist: int
    glove: int
    syringe: int
    gauze: int
    gauze_rule: int


class Recorder:
    """The customer's side of the transport: every file it was handed."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        self.files.append((filename, data))
        return f"outbox/{filename}"


def pricelists(db: OdooDatabase, on: bool) -> None:
    """Sales > Settings > Pricelists on or off (Odoo 19 ignores every customer's pricelist
    while it is off)."""
    settings = db.call("res.config.settings", "create", [{"group_product_pricelist": on}])
    db.call(
        "res.config.settings", "execute", settings if isinstance(settings, list) else [settings]
    )


def seed(db: OdooDatabase) -> Shop:
    units = db.ref("uom.product_uom_unit")
    pricelists(db, True)  # a seller with contract pricelists has the setting on
    medical = db.create("product.category", {"name": "Medical"})
    dressings = db.create("product.category", {"name": "Dressings", "parent_id": medical})
    # the fields that differ between versions, as the gateway's own dialect names them
    dialect = OdooClient(db.url, db.name, db.login, password=db.password).dialect
    purchase_unit = dialect.product_purchase_uom_field

    def product(name: str, code: str, price: float, barcode: str, categ: int) -> int:
        values: dict[str, Any] = {
            "name": name, "default_code": code, "list_price": price, "barcode": barcode,
            **dialect.storable_product_values(), "uom_id": units, "sale_ok": True,
            "categ_id": categ,
        }  # fmt: skip
        if purchase_unit is not None:
            values[purchase_unit] = units
        return db.create("product.product", values)

    glove = product("Nitrile glove M", "GLV-1", 9.0, "00017953755437", medical)
    syringe = product("Syringe 5 ml", "SYR-1", 15.0, "00614141000128", medical)
    gauze = product("Gauze 4x4", "GAU-1", 4.37, "00614141000135", dressings)
    # a product we sell that Mercy does not buy (not in their xref table): not published
    product("Scalpel", "SCP-1", 3.0, "00614141000142", medical)
    if db.version < 19:
        db.create("product.packaging", {"name": "Box of 100", "product_id": glove, "qty": 100})
    else:  # 19: a packaging is a unit of the product (uom_ids), 100 of its own unit
        [unit] = db.search_read("uom.uom", [["id", "=", units]], dialect.unit_fields())
        box = db.create("uom.uom", dialect.new_unit_values("Box of 100", Decimal(100), unit))
        db.call("product.product", "write", [glove], {"uom_ids": [[4, box]]})
    start = f"{NEXT_MONTH.isoformat()} 00:00:00"
    pricelist = db.create(
        "product.pricelist",
        {
            "name": "Mercy contract",
            "item_ids": [
                [0, 0, {"applied_on": "0_product_variant", "product_id": glove,
                        "compute_price": "fixed", "fixed_price": 8.75}],
                [0, 0, {"applied_on": "0_product_variant", "product_id": glove,
                        "min_quantity": 50, "compute_price": "fixed", "fixed_price": 8.5}],
                [0, 0, {"applied_on": "0_product_variant", "product_id": glove,
                        "date_start": start, "compute_price": "fixed", "fixed_price": 8.0}],
                [0, 0, {"applied_on": "1_product",
                        "product_tmpl_id": _template(db, syringe),
                        "compute_price": "percentage", "percent_price": 10}],
            ],
        },
    )  # fmt: skip
    # gauze's category's parent: 17 % off, rounded to 0.05, plus 0.02
    gauze_rule = db.create(
        "product.pricelist.item",
        {"pricelist_id": pricelist, "applied_on": "2_product_category", "categ_id": medical,
         "compute_price": "formula", "base": "list_price", "price_discount": 17,
         "price_round": 0.05, "price_surcharge": 0.02},
    )  # fmt: skip
    mercy = db.create(
        "res.partner",
        {"name": "Mercy Hospital", "ref": "MERCY", "is_company": True,
         "property_product_pricelist": pricelist},
    )  # fmt: skip
    return Shop(mercy, pricelist, glove, syringe, gauze, gauze_rule)


def _template(db: OdooDatabase, product: int) -> int:
    [row] = db.search_read("product.product", [["id", "=", product]], ["product_tmpl_id"])
    return int(row["product_tmpl_id"][0])


def stock(db: OdooDatabase, product: int, quantity: float) -> None:
    quant = db.call(
        "stock.quant",
        "create",
        [{"product_id": product, "location_id": db.ref("stock.stock_location_stock"),
          "inventory_quantity": quantity}],
        context={"inventory_mode": True},
    )  # fmt: skip
    db.call(
        "stock.quant", "action_apply_inventory", [quant[0] if isinstance(quant, list) else quant]
    )


@pytest.fixture(scope="module")
def shop(real_odoo: OdooDatabase) -> Shop:
    return seed(real_odoo)


@pytest.fixture
def runtime(real_odoo: OdooDatabase, shop: Shop, tmp_path: Path) -> Iterator[Runtime]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "mercy.yaml").write_text(MERCY)
    env = real_odoo.gateway_env()
    settings = Settings(
        data_dir=tmp_path,
        profiles_dir=str(site),
        shipped_profiles=False,
        odoo_url=env["EDIGW_ODOO_URL"],
        odoo_db=env["EDIGW_ODOO_DB"],
        odoo_user=env["EDIGW_ODOO_USER"],
        odoo_password=env["EDIGW_ODOO_PASSWORD"],
        task_backoff_seconds=0.01,
    )
    rt = build_runtime(settings, dispatcher=InlineDispatcher())
    with session_scope(rt.sessions) as session:
        replace_items(
            session,
            "mercy",
            [
                CustomerItemRef("M-GLOVE", "GLV-1", "default_code", 1),
                CustomerItemRef("M-SYR", "00614141000128", "gtin", 2),
                CustomerItemRef("M-778", "GAU-1", "default_code", 3),
            ],
        )
    rt.senders["sftp"] = Recorder()
    yield rt
    rt.engine.dispose()


def read_back(data: bytes) -> Any:
    payload = parse_payload(data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (transaction,) = group.transactions
    profile = PartnerProfile.model_validate(
        {"id": "mercy", "name": "Mercy", "x12": {"isa_qualifier": "ZZ", "isa_id": "MERCYHOSP"}}
    )
    inbound = INBOUND.map_for(profile, "x12", "004010", transaction.set_id)
    return translate(
        transaction, interchange=interchange, group=group, map=inbound, profile=profile
    ).document


def odoo_quantities(db: OdooDatabase, product: int) -> tuple[Decimal, Decimal]:
    [row] = db.search_read(
        "product.product", [["id", "=", product]], ["qty_available", "virtual_available"]
    )
    return Decimal(repr(row["qty_available"])), Decimal(repr(row["virtual_available"]))


def files(runtime: Runtime, set_id: str = "") -> list[tuple[str, bytes]]:
    """What the customer received (of ``set_id`` only, when given)."""
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    recorder = runtime.senders["sftp"]
    assert isinstance(recorder, Recorder)
    return [(n, d) for n, d in recorder.files if n.startswith(set_id)]


def test_the_846_reports_odoos_on_hand_and_forecast_once_per_slot(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    # given 100 gloves and 40 syringes in stock, 30 gauze on an incoming receipt, and a
    # confirmed sale order that reserves 25 gloves
    stock(db, shop.glove, 100)
    stock(db, shop.syringe, 40)
    move = {"product_id": shop.gauze, "product_uom_qty": 30,
            "product_uom": db.ref("uom.product_uom_unit"),
            "location_id": db.ref("stock.stock_location_suppliers"),
            "location_dest_id": db.ref("stock.stock_location_stock")}  # fmt: skip
    if db.version < 19:  # a move's description; 19 has none
        move["name"] = "Gauze"
    receipt = db.create(
        "stock.picking",
        {"picking_type_id": db.ref("stock.picking_type_in"),
         "location_id": db.ref("stock.stock_location_suppliers"),
         "location_dest_id": db.ref("stock.stock_location_stock"),
         "move_ids": [[0, 0, move]]},
    )  # fmt: skip
    db.call("stock.picking", "action_confirm", [receipt])
    order = db.create(
        "sale.order",
        {"partner_id": shop.mercy,
         "order_line": [[0, 0, {"product_id": shop.glove, "product_uom_qty": 25}]]},
    )  # fmt: skip
    db.call("sale.order", "action_confirm", [order])
    now = dt.datetime.now(dt.UTC)
    # when the schedule runs
    result = publish_due(runtime, now, partner_id="mercy")
    assert not result.errors and not result.failed, (result.errors, result.failed)
    # then one 846 went out with Odoo's quantities for each of Mercy's products (and,
    # the first time round, their catalog)
    assert [n[:3] for n, _ in files(runtime)] == ["846", "832"]
    [(name, data)] = files(runtime, "846")
    assert name.startswith("846_IA1_")
    advice = read_back(data)
    assert isinstance(advice, InventoryAdvice)
    by_code = {line.item.vendor_part: line for line in advice.lines}
    assert sorted(by_code) == ["GAU-1", "GLV-1", "SYR-1"]  # not the scalpel
    expected = {"GLV-1": (100, 75), "SYR-1": (40, 40), "GAU-1": (0, 30)}
    for code, product in (("GLV-1", shop.glove), ("SYR-1", shop.syringe), ("GAU-1", shop.gauze)):
        line = by_code[code]
        assert (line.on_hand, line.forecast) == odoo_quantities(db, product)
        assert (line.on_hand, line.forecast) == tuple(Decimal(n) for n in expected[code])
        assert line.uom == "EA" and line.as_of == now.date()
    assert by_code["GLV-1"].item.buyer_part == "M-GLOVE"
    assert by_code["SYR-1"].item.gtin == "00614141000128"
    assert by_code["SYR-1"].item.buyer_part == "M-SYR"
    # and the row stored before sending is what was sent
    with runtime.sessions() as s:
        [row] = s.scalars(
            select(OutboundOrder).where(OutboundOrder.document_type == "inventory_advice")
        ).all()
    assert (row.document_type, row.set_id, row.state, row.business_key) == (
        "inventory_advice", "846", "sent", "IA1",
    )  # fmt: skip
    assert InventoryAdvice.model_validate(row.document) == advice.model_copy(
        update={"source": None}
    )
    # a second round within the hour sends nothing
    assert publish_due(runtime, now + dt.timedelta(minutes=10)).queued == []
    assert len(files(runtime)) == 2
    # when the gauze arrives and an hour has passed, the next advice shows it on hand
    [move] = db.search_read("stock.move", [["picking_id", "=", receipt]], ["id"])
    db.call("stock.move", "write", [move["id"]], {"quantity": 30, "picked": True})
    db.call("stock.picking", "button_validate", [receipt])
    later = publish_due(runtime, now + dt.timedelta(minutes=61))
    assert later.queued == ["IA2"]
    second = read_back(files(runtime, "846")[1][1])
    gauze = next(line for line in second.lines if line.item.vendor_part == "GAU-1")
    assert (gauze.on_hand, gauze.forecast) == (Decimal(30), Decimal(30))
    assert (gauze.on_hand, gauze.forecast) == odoo_quantities(db, shop.gauze)


def catalogs(result: PublishResult) -> list[str]:
    return [key for key in result.queued if key.startswith("PC")]


def odoo_price(
    db: OdooDatabase, shop: Shop, product: int, quantity: Decimal, day: dt.date
) -> Decimal:
    """The unit price Odoo itself puts on Mercy's sale order line."""
    order = db.create(
        "sale.order",
        {"partner_id": shop.mercy, "date_order": f"{day.isoformat()} 12:00:00",
         "order_line": [[0, 0, {"product_id": product, "product_uom_qty": float(quantity)}]]},
    )  # fmt: skip
    [line] = db.search_read(
        "sale.order.line", [["order_id", "=", order]], ["price_unit", "discount"]
    )
    price = Decimal(repr(line["price_unit"])) * (1 - Decimal(repr(line["discount"])) / 100)
    return price.quantize(Decimal("0.01"))


def test_the_832_carries_the_prices_odoo_charges_and_follows_pricelist_changes(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    # when the sales desk sends Mercy their catalog
    row = send_catalog(runtime, "mercy")
    assert row.state == "queued", row.error
    [(name, data)] = files(runtime)
    assert name.startswith(f"832_PC{shop.pricelist}-1_")
    catalog = read_back(data)
    assert isinstance(catalog, PriceCatalog) and catalog.currency == "USD"
    by_code = {line.item.vendor_part: line for line in catalog.lines}
    assert sorted(by_code) == ["GAU-1", "GLV-1", "SYR-1"]
    # then every price is the one Odoo puts on a sale order line for that quantity/date
    checked = 0
    for code, product in (("GLV-1", shop.glove), ("SYR-1", shop.syringe), ("GAU-1", shop.gauze)):
        for price in by_code[code].prices:
            day = price.effective_from or dt.date.today()
            quantity = price.min_quantity or Decimal(1)
            assert price.unit_price == odoo_price(db, shop, product, quantity, day), (code, price)
            checked += 1
    assert checked == 5
    glove = by_code["GLV-1"]
    assert [(p.unit_price, p.min_quantity, p.effective_from) for p in glove.prices] == [
        (Decimal("8.75"), None, None),
        (Decimal("8.50"), Decimal(50), None),
        (Decimal("8.00"), None, NEXT_MONTH),
    ]
    assert glove.pack_size == Decimal(100) and glove.item.buyer_part == "M-GLOVE"
    assert by_code["SYR-1"].prices[0].unit_price == Decimal("13.50")
    # 4.37 less 17 % = 3.6271 -> 3.65 (to 0.05) + 0.02
    assert by_code["GAU-1"].prices[0].unit_price == Decimal("3.67")
    # a poll with no change sends no catalog (the advice has its own schedule)
    assert catalogs(publish_due(runtime, partner_id="mercy")) == []
    # when a rule's price changes, the next poll sends a new catalog; then nothing more
    db.call("product.pricelist.item", "write", [shop.gauze_rule], {"price_surcharge": 0.03})
    changed = publish_due(runtime, partner_id="mercy")
    assert catalogs(changed) == [f"PC{shop.pricelist}-2"], (changed.errors, changed.failed)
    assert catalogs(publish_due(runtime, partner_id="mercy")) == []
    again = read_back(files(runtime, "832")[1][1])
    gauze = next(line for line in again.lines if line.item.vendor_part == "GAU-1")
    assert gauze.prices[0].unit_price == Decimal("3.68")
    assert gauze.prices[0].unit_price == odoo_price(
        db, shop, shop.gauze, Decimal(1), dt.date.today()
    )
    # a rule written without changing any price is seen, but no catalog is resent (when
    # within the second of the last write, the stamp is the same - write_date has whole
    # seconds - and a young stamp is compared by content)
    db.call("product.pricelist.item", "write", [shop.gauze_rule], {"price_surcharge": 0.03})
    touched = publish_due(runtime, partner_id="mercy")
    assert catalogs(touched) == [] and touched.unchanged == ["mercy"]
    assert len(files(runtime, "832")) == 2


def test_a_rule_the_gateway_cannot_compute_is_an_exception_naming_it(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    # given a rule based on a pricelist in another currency
    eur = db.call(
        "res.currency", "search_read", [["name", "=", "EUR"]], fields=["id"],
        context={"active_test": False},
    )  # fmt: skip
    db.call("res.currency", "write", [eur[0]["id"]], {"active": True})
    euro = db.create("product.pricelist", {"name": "Euro list", "currency_id": eur[0]["id"]})
    rule = db.create(
        "product.pricelist.item",
        {"pricelist_id": shop.pricelist, "applied_on": "0_product_variant",
         "product_id": shop.syringe, "min_quantity": 5, "compute_price": "formula",
         "base": "pricelist", "base_pricelist_id": euro},
    )  # fmt: skip
    try:
        row = send_catalog(runtime, "mercy")
        # then nothing is sent; the row and the exception name the rule and the product
        assert row.state == "failed"
        assert f"pricelist rule {rule}" in (row.error or "") and "SYR-1" in (row.error or "")
        assert files(runtime) == []
        with runtime.sessions() as s:
            [exc] = s.scalars(select(BusinessException)).all()
        assert exc.kind == "publication_not_writable" and f"rule {rule}" in exc.message
    finally:
        db.call("product.pricelist.item", "unlink", [rule])
    # and an unknown partner is a clear error
    with pytest.raises(PermanentError, match="no partner 'nobody'"):
        send_catalog(runtime, "nobody")


def test_with_the_pricelists_setting_off_the_error_says_which_setting(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    pricelists(db, False)
    try:
        # Odoo (17, 18 and 19) then reads no pricelist on the customer: nothing is sent,
        # and the error names the setting, not only the missing pricelist
        with pytest.raises(PermanentError, match="the Pricelists setting is off"):
            send_catalog(runtime, "mercy")
        assert files(runtime) == []
    finally:
        pricelists(db, True)

"""The sample partners' master data in a real Odoo, and the pipeline that delivers into it.

:func:`prepare_samples` sets a fresh database up the way the walkthrough in docs/odoo.md
tells a user to, with plain JSON-RPC calls (the independent helper of
:class:`tests.support.real_odoo.OdooDatabase`, not the gateway's client): vendors with
their ``ref``, the units ``Box`` (100 Units) and ``Case`` (10 Box, as Summit's profile's
``uom_sizes`` says and ``odoo prepare`` makes it), EUR activated, a 19 %
purchase VAT for the German supplier, a ``Freight`` service product for Summit's freight
charges, and every item the sample documents name (lot + expiry tracked where the ship
notices give lots, findable by vendor part number, GTIN or NDC). US medical supplies are
bought untaxed; Odoo would otherwise add its default 15 % purchase tax.

Some goods are bought in boxes but stocked in units (gloves, syringes: 1 Box = 100
Units), some stocked in boxes and cases: the receipts and bills must convert or keep the
unit accordingly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from gateway.canonical import ShipNotice
from gateway.engines import parse_payload
from gateway.intake import ReceivedPayload
from gateway.mapping import translate
from gateway.odoo.dialect import OdooDialect
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.store.models import BusinessException, Transaction
from tests.conftest import REPO
from tests.support.real_odoo import OdooDatabase

FIXTURES = REPO / "tests" / "fixtures" / "partners"
VENDORS = {
    "summit-medical": ("Summit Medical Supply", "SUMMIT"),
    "keystone-pharma": ("Keystone Pharmaceutical Wholesale", "KEYSTONE"),
    "nordlicht-medtech": ("Nordlicht Medizintechnik GmbH", "NORDLICHT"),
}
# the files that name every item a partner sends
ITEM_FILES = {
    "summit-medical": ["850_purchase_order.edi", "856_ship_notice.edi"],
    "keystone-pharma": ["850_purchase_order.edi", "856_ship_notice.edi"],
    "nordlicht-medtech": ["ORDERS_purchase_order.edi", "DESADV_despatch_advice.edi"],
}
# how each item is stocked: stock unit and purchase unit (default Units/Units)
STOCK_UNITS = {
    "SMS-NG100M": ("Units", "Box"),
    "SMS-SYR5LL": ("Units", "Box"),
    "SMS-IVC20G": ("Box", "Box"),
    "SMS-GZ44S": ("Case", "Case"),
}
# units of "Units" in one: the sizes the profiles' uom_sizes give (Case = 10 Box), which
# the pack-size check compares with Odoo's
UNITS = {"Box": 100.0, "Case": 1000.0}


def fixture_bytes(partner: str, name: str) -> bytes:
    """A sample partner's EDI file."""
    return (FIXTURES / partner / name).read_bytes()


@dataclass
class Samples:
    """What :func:`prepare_samples` created: ids by name, for the checks."""

    vendors: dict[str, int] = field(default_factory=dict)  # partner id -> res.partner
    products: dict[str, int] = field(default_factory=dict)  # vendor part -> product.product
    units: dict[str, int] = field(default_factory=dict)  # name -> uom.uom
    currencies: dict[str, int] = field(default_factory=dict)  # ISO code -> res.currency
    vat19: int = 0
    freight: int = 0


def documents(runtime: Runtime, partner: str, name: str) -> Any:
    """The canonical document of a sample file (as the pipeline would translate it)."""
    profile = runtime.registry.get(partner)
    assert profile is not None
    payload = parse_payload(fixture_bytes(partner, name))
    ic = payload.interchanges[0]
    group = ic.groups[0]
    txn = group.transactions[0]
    mapping = runtime.maps.map_for(profile, ic.syntax.value, txn.version, txn.set_id)
    return translate(txn, interchange=ic, group=group, map=mapping, profile=profile).document


def prepare_samples(db: OdooDatabase, runtime: Runtime) -> Samples:
    """Set the database up for the sample partners (see the module docstring)."""
    dialect = OdooDialect(major=db.version, server_version="")
    out = Samples()
    # the integration user needs an e-mail address to post notes and create bills
    db.call("res.users", "write", [db.uid], {"email": "edi-gateway@example.org"})
    for code in ("USD", "EUR"):
        [row] = db.search_read(
            "res.currency", [["name", "=", code], ["active", "in", [True, False]]], ["id"]
        )
        db.call("res.currency", "write", [row["id"]], {"active": True})
        out.currencies[code] = int(row["id"])
    out.units["Units"] = db.ref("uom.product_uom_unit")
    # 17/18: a unit in the category of Units; 19: relative to Units (the dialect knows)
    [units_row] = db.search_read(
        "uom.uom", [["id", "=", out.units["Units"]]], dialect.unit_fields()
    )
    for name, ratio in UNITS.items():
        values = dialect.new_unit_values(name, Decimal(str(ratio)), units_row)
        out.units[name] = db.create("uom.uom", {**values, "rounding": 0.01})
    out.vat19 = db.create(
        "account.tax",
        {"name": "19% VAT (purchase)", "amount": 19.0, "type_tax_use": "purchase"},
    )
    out.freight = db.create(
        "product.product",
        {
            "name": "Freight",
            "default_code": "Freight",
            **_service(dialect),
            "supplier_taxes_id": [[6, 0, []]],
        },
    )
    for partner, (name, ref) in VENDORS.items():
        vendor = db.create(
            "res.partner", {"name": name, "ref": ref, "is_company": True, "supplier_rank": 1}
        )
        out.vendors[partner] = vendor
        for item, lots in _items(runtime, partner):
            unit, purchase_unit = STOCK_UNITS.get(item.vendor_part or "", ("Units", "Units"))
            values: dict[str, Any] = {
                "name": item.description or item.vendor_part,
                "default_code": item.vendor_part,
                "barcode": item.gtin or item.ndc,
                "tracking": "lot" if lots else "none",
                "use_expiration_date": lots,
                "uom_id": out.units[unit],
                "supplier_taxes_id": [
                    [6, 0, [out.vat19] if partner == "nordlicht-medtech" else []]
                ],
                **dialect.storable_product_values(),
            }
            if dialect.product_purchase_uom_field:
                values[dialect.product_purchase_uom_field] = out.units[purchase_unit]
            product = db.create("product.product", values)
            out.products[item.vendor_part or ""] = product
            template = db.search_read(
                "product.product", [["id", "=", product]], ["product_tmpl_id"]
            )
            db.create(
                "product.supplierinfo",
                {
                    "partner_id": vendor,
                    "product_tmpl_id": template[0]["product_tmpl_id"][0],
                    "product_id": product,
                    "product_code": item.vendor_part,
                },
            )
    return out


# the sample customer (partner_profiles/lakeside-hospital.yaml): the hospital, its receiving
# dock by GLN, and the items of its 850 (gloves lot-tracked), priced as it orders them
CUSTOMER = ("lakeside-hospital", "Lakeside Regional Hospital", "LAKESIDE", "0890123000014")


def prepare_customer(db: OdooDatabase, runtime: Runtime) -> dict[str, int]:
    """The hospital buying from us (needs ``sale_stock``): the customer with ``ref``, its
    delivery address with the GLN as ``ref``, our products at the customer's prices.
    Returns the product ids by our part number."""
    dialect = OdooDialect(major=db.version, server_version="")
    partner, name, ref, dock = CUSTOMER
    customer = db.create(
        "res.partner", {"name": name, "ref": ref, "is_company": True, "customer_rank": 1}
    )
    db.create(
        "res.partner",
        {"name": f"{name} receiving", "ref": dock, "parent_id": customer, "type": "delivery"},
    )
    products: dict[str, int] = {}
    for line in documents(runtime, partner, "850_purchase_order.edi").lines:
        lots = line.item.vendor_part == "DS-GLV-M"
        products[line.item.vendor_part or ""] = db.create(
            "product.product",
            {
                "name": line.item.description or line.item.vendor_part,
                "default_code": line.item.vendor_part,
                "barcode": line.item.gtin,
                "list_price": float(line.unit_price or 0),
                "tracking": "lot" if lots else "none",
                "use_expiration_date": lots,
                "uom_id": db.ref("uom.product_uom_unit"),
                **dialect.storable_product_values(),
            },
        )
    return products


def _service(dialect: OdooDialect) -> dict[str, Any]:
    return {"type": "service"} if dialect.major >= 18 else {"detailed_type": "service"}


def _items(runtime: Runtime, partner: str) -> list[tuple[Any, bool]]:
    """Every item the partner's sample files name, and whether it arrives with lots."""
    found: dict[str, tuple[Any, bool]] = {}
    for name in ITEM_FILES[partner]:
        doc = documents(runtime, partner, name)
        lines = (
            [line for order in doc.orders for line in order.lines]
            if isinstance(doc, ShipNotice)
            else doc.lines
        )
        for line in lines:
            key = line.item.vendor_part or ""
            item, lots = found.get(key, (line.item, False))
            if item.description is None and line.item.description:
                item = line.item
            found[key] = (item, lots or bool(getattr(line, "lot_number", None)))
    return list(found.values())


def sample_site(tmp_path: Path) -> Path:
    """Profiles layered over the shipped ones: Keystone's orders come in confirmed (its
    buying system's 850s are orders we place), so receipts and bills can follow."""
    site = tmp_path / "site"
    site.mkdir(parents=True, exist_ok=True)
    profile = yaml.safe_load((REPO / "partner_profiles" / "keystone-pharma.yaml").read_text())
    profile["odoo"]["purchase_order_state"] = "confirmed"
    (site / "keystone-pharma.yaml").write_text(yaml.safe_dump(profile))
    return site


def ingest(runtime: Runtime, data: bytes, name: str) -> Transaction:
    """One file in through the intake, every stage run, its transaction returned."""
    receipt = StoreIntake(runtime).receive(
        ReceivedPayload(data=data, transport="cli", filename=name)
    )
    runtime.dispatcher.drain(max_wait=5)  # type: ignore[attr-defined]
    with runtime.sessions() as s:
        return s.scalars(
            select(Transaction).where(Transaction.message_id == receipt.message_id)
        ).one()


def exceptions(runtime: Runtime, txn: Transaction) -> list[BusinessException]:
    """The business exceptions recorded for a transaction."""
    with runtime.sessions() as s:
        return list(
            s.scalars(select(BusinessException).where(BusinessException.transaction_id == txn.id))
        )


MakeRuntime = Callable[..., Runtime]


def summit_order(db: OdooDatabase, vendor_name: str = "Summit Medical Supply") -> tuple[int, str]:
    """Vendor SUMMIT, a boxed needle with Summit's part number, one confirmed order.

    Returns the order's id and name. The outbound-order tests start from it.
    """
    vendor = db.create("res.partner", {"name": vendor_name, "ref": "SUMMIT"})
    unit = db.ref("uom.product_uom_unit")
    category = db.search_read("uom.uom", [["id", "=", unit]], ["category_id"])[0]["category_id"][0]
    box = db.create(
        "uom.uom", {"name": "Box", "category_id": category, "uom_type": "bigger", "factor_inv": 10}
    )
    needle = db.create(
        "product.product",
        {"name": "Needle 100", "default_code": "MH-NDL", "barcode": "10884521000018",
         "uom_id": unit, "uom_po_id": box},
    )  # fmt: skip
    tmpl = db.search_read("product.product", [["id", "=", needle]], ["product_tmpl_id"])
    db.create(
        "product.supplierinfo",
        {"partner_id": vendor, "product_tmpl_id": tmpl[0]["product_tmpl_id"][0],
         "product_code": "SMS-NG100M"},
    )  # fmt: skip
    order = db.create(
        "purchase.order",
        {"partner_id": vendor, "order_line": [(0, 0, {
            "product_id": needle, "product_qty": 50, "product_uom": box, "price_unit": 8.95,
            "date_planned": "2026-12-20 10:00:00"})]},
    )  # fmt: skip
    db.call("purchase.order", "button_confirm", [order])
    name = db.search_read("purchase.order", [["id", "=", order]], ["name"])[0]["name"]
    return order, str(name)

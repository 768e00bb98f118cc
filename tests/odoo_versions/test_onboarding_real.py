"""Onboarding on real Odoo 17, 18 and 19: ``odoo check`` fails on a fresh database and
names the fix; ``odoo prepare`` + ``import-catalog`` make it pass; each failure the issue
lists (missing vendor, duplicate vendor reference, missing unit, user without e-mail,
inactive currency, a field whose module is not installed) is named with its fix.

Every state is set up and read back with the fixture's own JSON-RPC helper, not with the
gateway's client.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.odoo.catalog import import_catalog
from gateway.odoo.check import CheckResult, PartnerOdoo, check_odoo
from gateway.odoo.client import OdooClient
from gateway.odoo.prepare import prepare_odoo
from gateway.partners.odoo import OdooPartnerSettings

pytestmark = pytest.mark.parametrize("real_odoo", [17, 18, 19], indirect=True)

REF = "ACME-EDI"
CATALOG = """vendor_part,gtin,description,unit,pack_size,price,currency,tracking,expiry
AC-GLV-M,10884521000018,NITRILE GLOVES M BOX/100,BX,100,8.95,USD,lot,yes
AC-SYR-5,,SYRINGE 5ML BOX/100,Box,100,14.20,,lot,no
AC-GZ-44,10884521000049,GAUZE 4X4 CASE,CA,1000,21.75,USD,none,no
AC-CATH,10884521000032,IV CATHETER 20G BOX/50,BX,50,62.50,USD,lot,yes
AC-PAL,,PALLET OF THINGS,PL,,99,USD,none,no
"""


def acme(**changes: Any) -> PartnerOdoo:
    values: dict[str, Any] = {
        "vendor_ref": REF,
        "uom": {"EA": "Units", "BX": "Box", "CA": "Case"},
        "uom_sizes": {"Box": "100 Units", "Case": "10 Box"},
        "currencies": ["EUR"],
        **changes,
    }
    return PartnerOdoo("acme", "Acme Medical", OdooPartnerSettings(**values), "X12 ZZ:ACME")


@pytest.fixture
def client(real_odoo) -> Iterator[OdooClient]:  # type: ignore[no-untyped-def]
    with OdooClient(
        real_odoo.url, real_odoo.name, real_odoo.login, password=real_odoo.password
    ) as odoo:
        yield odoo


def failed(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results if not r.ok}


def unit(db, name: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    fields = db.call("uom.uom", "fields_get", [], attributes=["type"])
    wanted = [
        f
        for f in ("factor", "factor_inv", "category_id", "relative_factor", "relative_uom_id")
        if f in fields
    ]
    return db.search_read("uom.uom", [["name", "=", name]], wanted)[0]


def test_fresh_database_fails_then_prepare_and_catalog_make_check_pass(
    real_odoo,  # type: ignore[no-untyped-def]
    client: OdooClient,
    tmp_path: Path,
) -> None:
    db = real_odoo
    partner = acme()
    # given a fresh database whose integration user has no e-mail address
    admin = db.uid
    db.call("res.users", "write", [admin], {"email": False})

    # when checked: each missing thing fails and names its fix
    results = check_odoo(client, [partner])
    bad = failed(results)
    assert set(bad) == {
        "user e-mail",
        "currency EUR",
        "acme: vendor",
        "acme: unit Box",
        "acme: unit Case",
    }, bad
    assert "no partner has the reference 'ACME-EDI'" in bad["acme: vendor"].detail
    assert "edi-gateway odoo prepare --partner acme" in bad["acme: vendor"].fix
    assert "e-mail" in bad["user e-mail"].fix
    assert (
        bad["currency EUR"].detail.startswith("inactive") and "prepare" in bad["currency EUR"].fix
    )
    assert "creates it: 100 Units" in bad["acme: unit Box"].fix
    server = next(r for r in results if r.name == "server")
    assert f"Odoo {db.version}." in server.detail and "JSON-RPC" in server.detail
    # every row of the dialect's table is on this server
    assert not [
        r for r in results if r.name.startswith(("fields of", "method", "model")) and not r.ok
    ]

    # a dry run says what it would do and writes nothing
    steps = prepare_odoo(client, [partner], dry_run=True)
    outcomes = {s.what: s.outcome for s in steps}
    assert outcomes["vendor ACME-EDI"] == "created" and outcomes["unit Case"] == "created"
    assert db.search_read("res.partner", [["ref", "=", REF]], ["id"]) == []
    assert db.search_read("uom.uom", [["name", "in", ["Box", "Case"]]], ["id"]) == []

    # prepare creates the vendor and the units, activates EUR, lists what it must not invent
    steps = prepare_odoo(client, [partner])
    outcomes = {s.what: s.outcome for s in steps}
    assert outcomes == {
        "vendor ACME-EDI": "created",
        "unit Box": "created",
        "unit Case": "created",
        "unit Units": "exists",
        "currency EUR": "activated",
        "currency EUR rate": "manual",
        "products and prices": "manual",
        "user admin": "manual",
    }
    vendor = db.search_read("res.partner", [["ref", "=", REF]], ["name", "is_company"])
    assert [(v["name"], v["is_company"]) for v in vendor] == [("Acme Medical", True)]
    box, case, units = unit(db, "Box"), unit(db, "Case"), unit(db, "Units")
    if db.version >= 19:  # no categories: relative to another unit
        assert box["relative_uom_id"][0] == units["id"] and box["relative_factor"] == 100
        assert case["relative_uom_id"][0] == box["id"] and case["relative_factor"] == 10
        assert case["factor"] == pytest.approx(1000)
    else:
        assert box["category_id"] == case["category_id"] == units["category_id"]
        assert box["factor_inv"] == pytest.approx(100) and case["factor_inv"] == pytest.approx(1000)
    eur = db.search_read("res.currency", [["name", "=", "EUR"]], ["active"])
    assert eur and eur[0]["active"]
    # prepare again: nothing left to create
    again = {s.what: s.outcome for s in prepare_odoo(client, [partner])}
    assert again["vendor ACME-EDI"] == again["unit Box"] == again["unit Case"] == "exists"

    # the person does the manual step: an e-mail address for the user
    db.call("res.users", "write", [admin], {"email": "edi@example.org"})

    # import-catalog: three rows created, two refused with the reason
    catalog = tmp_path / "acme.csv"
    catalog.write_text(CATALOG)
    report = import_catalog(client, partner, catalog)
    by_part = {r.vendor_part: r for r in report.rows}
    assert report.summary == "3 created, 0 updated, 0 unchanged, 2 refused", report.rows
    assert "pack size 50 but Odoo's Box holds 100 Units" in by_part["AC-CATH"].detail
    assert "unit 'PL' is not in Odoo" in by_part["AC-PAL"].detail
    infos = db.search_read(
        "product.supplierinfo",
        [["partner_id", "=", vendor[0]["id"]]],
        ["product_code", "price", "product_id"],
    )
    assert {i["product_code"]: i["price"] for i in infos} == {
        "AC-GLV-M": 8.95,
        "AC-SYR-5": 14.20,
        "AC-GZ-44": 21.75,
    }
    storable = ["is_storable"] if db.version >= 18 else ["detailed_type"]
    gloves = db.search_read(
        "product.product",
        [["id", "=", by_part["AC-GLV-M"].product_id]],
        ["barcode", "tracking", "use_expiration_date", "uom_id", *storable],
    )[0]
    assert gloves["barcode"] == "10884521000018" and gloves["tracking"] == "lot"
    assert gloves["use_expiration_date"] is True and gloves["uom_id"][0] == units["id"]
    assert gloves[storable[0]] in (True, "product")
    if db.version <= 18:
        po_unit = db.search_read(
            "product.product", [["id", "=", by_part["AC-GZ-44"].product_id]], ["uom_po_id"]
        )
        assert po_unit[0]["uom_po_id"][0] == case["id"]
    else:
        gauze_info = db.search_read(
            "product.supplierinfo", [["product_code", "=", "AC-GZ-44"]], ["product_uom_id"]
        )
        assert gauze_info[0]["product_uom_id"][0] == case["id"]

    # loading the same file again changes nothing; a new price is an update
    assert import_catalog(client, partner, catalog).summary == (
        "0 created, 0 updated, 3 unchanged, 2 refused"
    )
    catalog.write_text(CATALOG.replace(",8.95,", ",9.10,"))
    report = import_catalog(client, partner, catalog)
    assert report.summary == "0 created, 1 updated, 2 unchanged, 2 refused"
    assert "vendor price" in next(r for r in report.rows if r.vendor_part == "AC-GLV-M").detail
    assert (
        len(db.search_read("product.supplierinfo", [["product_code", "=", "AC-GLV-M"]], ["id"]))
        == 1
    )

    # now everything delivery needs is there
    results = check_odoo(client, [partner])
    assert failed(results) == {}

    # a second partner with the same reference: named, with the fix
    twin = db.create("res.partner", {"name": "Acme Duplicate", "ref": REF})
    bad = failed(check_odoo(client, [partner]))
    assert set(bad) == {"acme: vendor"}
    assert f"2 partners have the reference '{REF}'" in bad["acme: vendor"].detail
    assert f"#{twin} Acme Duplicate" in bad["acme: vendor"].detail
    db.call("res.partner", "write", [twin], {"active": False})
    assert failed(check_odoo(client, [partner])) == {}

    # a unit the profile names that Odoo does not have, without a size
    pallets = acme(uom={"EA": "Units", "PL": "Pallet"}, uom_sizes={})
    bad = failed(check_odoo(client, [pallets]))
    assert set(bad) == {"acme: unit Pallet"}
    assert "uom_sizes" in bad["acme: unit Pallet"].fix
    steps = {s.what: s for s in prepare_odoo(client, [pallets])}
    assert steps["unit Pallet"].outcome == "manual"

    # a unit of another size than the profile says is named, never changed
    wrong = acme(uom_sizes={"Box": "12 Units", "Case": "10 Box"})
    bad = failed(check_odoo(client, [wrong]))
    assert "holds 100 Units in Odoo, the profile says 12 Units" in bad["acme: unit Box"].detail


def test_check_names_the_module_of_a_missing_field(
    real_odoo,  # type: ignore[no-untyped-def]
    client: OdooClient,
) -> None:
    # given product_expiry uninstalled (the lot expiration dates go with it)
    ids = real_odoo.call("ir.module.module", "search", [["name", "=", "product_expiry"]])
    real_odoo.call("ir.module.module", "button_immediate_uninstall", ids)
    # when checked
    bad = failed(check_odoo(client, []))
    # then the module and every field it provides are named, with the module to install
    assert bad["module product_expiry"].detail == "uninstalled"
    assert bad["fields of stock.lot"].detail == "missing: expiration_date"
    assert bad["fields of stock.lot"].fix == "install the module(s) product_expiry"
    assert "use_expiration_date" in bad["fields of product.product"].detail

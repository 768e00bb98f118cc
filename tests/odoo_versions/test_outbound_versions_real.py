"""The outbound-order reader on real Odoo 18 and 19 (17 is covered by
``tests/odoo_real/test_outbound_order_from_odoo.py``): the data is made the version-neutral
way a user makes it (``odoo prepare`` + ``import-catalog``), the order read over the
protocol the server offers (JSON-2 with an API key on 19), down to the written 850."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gateway.odoo.catalog import import_catalog
from gateway.odoo.check import PartnerOdoo
from gateway.odoo.client import OdooClient
from gateway.odoo.dialect import OdooDialect
from gateway.odoo.prepare import prepare_odoo
from gateway.outbound import OutboundEnvelope, OutboundLibrary, render, write
from gateway.outbound.from_odoo import OdooOrderReader
from gateway.partners.profile import PartnerProfile
from tests.support.odoo_apikey import make_api_key

REPO = Path(__file__).resolve().parents[2]
CATALOG = """vendor_part,gtin,description,unit,pack_size,price,tracking,expiry
SM-100,00614141000012,GAUZE 4X4 BOX/10,BX,10,8.95,lot,yes
"""


def _profile() -> PartnerProfile:
    return PartnerProfile.model_validate(
        {
            "id": "summit-medical",
            "name": "Summit Medical Supply",
            "x12": {"isa_qualifier": "ZZ", "isa_id": "SUMMITMED", "version": "004010"},
            "odoo": {
                "vendor_ref": "SUMMIT",
                "uom": {"EA": "Units", "BX": "Box"},
                "uom_sizes": {"Box": "10 Units"},
            },
        }
    )


@pytest.mark.parametrize("real_odoo", [18, 19], indirect=True)
def test_confirmed_order_reads_and_writes_on_18_and_19(real_odoo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = real_odoo
    profile = _profile()
    partner = PartnerOdoo.from_profile(profile)
    assert partner is not None
    key = make_api_key(db.url, db.name, db.login, db.password)
    with OdooClient(db.url, db.name, db.login, api_key=key) as client:
        assert client.protocol == ("JSON-2" if db.version >= 19 else "JSON-RPC")
        # onboarding, the way a user does it
        prepare_odoo(client, [partner])
        catalog = tmp_path / "summit.csv"
        catalog.write_text(CATALOG)
        report = import_catalog(client, partner, catalog)
        assert report.summary == "1 created, 0 updated, 0 unchanged, 0 refused"
        gauze = report.rows[0].product_id
        # a buyer orders 50 boxes in Odoo (written with the fixture's own RPC helper)
        vendor = db.search_read("res.partner", [["ref", "=", "SUMMIT"]], ["id"])[0]["id"]
        box = db.search_read("uom.uom", [["name", "=", "Box"]], ["id"])[0]["id"]
        line_unit = OdooDialect(db.version).field("purchase.order.line", "uom")
        order = db.create(
            "purchase.order",
            {
                "partner_id": vendor,
                "order_line": [
                    (0, 0, {"product_id": gauze, "product_qty": 50, line_unit: box,
                            "price_unit": 8.95, "date_planned": "2026-12-20 10:00:00"}),
                ],
            },
        )  # fmt: skip
        db.call("purchase.order", "button_confirm", [order])
        # the gateway reads it
        document, _ = OdooOrderReader(client, profile).read(order)
    (line,) = document.lines
    assert (line.quantity, line.uom, line.unit_price) == (Decimal(50), "BX", Decimal("8.95"))
    assert line.item.vendor_part == "SM-100" and line.item.gtin == "00614141000012"
    map_ = OutboundLibrary.load([REPO / "maps"]).get("x12/004010/850")
    written = write(
        map_,
        render(map_, document),
        OutboundEnvelope(sender_id="MERIDIAN", receiver_id="SUMMITMED", interchange_control=7),
    )
    assert "PO1*1*50*BX*8.95*PE*VP*SM-100*UK*00614141000012~" in written.data.decode()

"""A purchase order confirmed in a real Odoo becomes the 850/ORDERS we would send.

Odoo is the source: the test makes a vendor, products with a vendor part number and a
barcode, and a purchase order in boxes, confirms it, then reads it with the gateway's
client and checks the canonical order and the written, validated 850 and ORDERS field by
field against what Odoo holds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.canonical import PurchaseOrder
from gateway.engines import parse_payload
from gateway.odoo.client import OdooClient
from gateway.outbound import OutboundEnvelope, OutboundLibrary, render, write
from gateway.outbound.from_odoo import OdooOrderReader, OrderNotSendable
from gateway.partners.profile import PartnerProfile

REPO = Path(__file__).resolve().parents[2]
LIBRARY = OutboundLibrary.load([REPO / "maps"])


@pytest.fixture(scope="module")
def odoo_order(real_odoo):  # type: ignore[no-untyped-def]
    """A confirmed order for 50 boxes of gauze and 12 units of saline at vendor SUMMIT."""
    db = real_odoo
    vendor = db.create("res.partner", {"name": "Summit Medical Supply", "ref": "SUMMIT"})
    unit = db.ref("uom.product_uom_unit")
    category = db.search_read("uom.uom", [["id", "=", unit]], ["category_id"])[0]["category_id"][0]
    box = db.create(
        "uom.uom",
        {"name": "Box", "category_id": category, "uom_type": "bigger", "factor_inv": 10},
    )
    gauze = db.create(
        "product.product",
        {"name": "Gauze 4x4", "default_code": "MH-GZ-44", "barcode": "00614141000012",
         "uom_id": unit, "uom_po_id": box},
    )  # fmt: skip
    saline = db.create("product.product", {"name": "Saline 500 ml", "default_code": "MH-SAL"})
    tmpl = db.search_read("product.product", [["id", "=", gauze]], ["product_tmpl_id"])
    db.create(
        "product.supplierinfo",
        {"partner_id": vendor, "product_tmpl_id": tmpl[0]["product_tmpl_id"][0],
         "product_code": "SM-100"},
    )  # fmt: skip
    # the purchase representative (the buyer's contact) and the order's terms
    db.call("res.users", "write", [db.uid], {"phone": "+1 555 0100",
                                             "email": "dana@meridian.example"})  # fmt: skip
    order = db.create(
        "purchase.order",
        {
            "partner_id": vendor,
            "user_id": db.uid,
            "notes": "<p>Deliver to dock 4</p><p>Keep cold &amp; dry</p>",
            "order_line": [
                (0, 0, {"product_id": gauze, "product_qty": 50, "product_uom": box,
                        "price_unit": 8.95, "date_planned": "2026-12-20 10:00:00"}),
                (0, 0, {"product_id": saline, "product_qty": 12, "product_uom": unit,
                        "price_unit": 2.5, "date_planned": "2026-12-21 10:00:00"}),
            ],
        },
    )  # fmt: skip
    db.call("purchase.order", "button_confirm", [order])
    return db, order


def _profile(**odoo: object) -> PartnerProfile:
    return PartnerProfile.model_validate(
        {
            "id": "summit-medical",
            "name": "Summit Medical Supply",
            "x12": {"isa_qualifier": "ZZ", "isa_id": "SUMMITMED", "version": "004010"},
            "edifact": {"unb_id": "SUMMITMED", "directory": "D96A"},
            "odoo": {"vendor_ref": "SUMMIT", "uom": {"EA": "Units", "BX": "Box"}, **odoo},
        }
    )


def _client(db) -> OdooClient:  # type: ignore[no-untyped-def]
    return OdooClient(db.url, db.name, db.login, password=db.password)


def test_confirmed_order_reads_as_canonical_order(odoo_order) -> None:  # type: ignore[no-untyped-def]
    db, order_id = odoo_order
    # given what Odoo holds
    held = db.search_read(
        "purchase.order", [["id", "=", order_id]], ["name", "state", "currency_id"]
    )[0]
    assert held["state"] == "purchase"
    # when the gateway reads the order
    document, row = OdooOrderReader(_client(db), _profile()).read(order_id)
    # then the canonical order says what Odoo says
    assert document.po_number == held["name"]
    assert document.currency == held["currency_id"][1]
    assert document.order_date is not None
    assert row["write_date"]
    gauze, saline = document.lines
    assert (gauze.quantity, gauze.uom, gauze.unit_price) == (Decimal(50), "BX", Decimal("8.95"))
    assert gauze.item.vendor_part == "SM-100"
    assert gauze.item.buyer_part == "MH-GZ-44"
    assert gauze.item.gtin == "00614141000012"
    assert gauze.requested_date == dt.date(2026, 12, 20)
    assert (saline.quantity, saline.uom, saline.unit_price) == (Decimal(12), "EA", Decimal("2.5"))
    assert saline.item.vendor_part is None
    assert document.seller is not None and document.seller.name == "Summit Medical Supply"
    company = db.search_read("res.company", [], ["name"])[0]["name"]
    assert document.buyer is not None and document.buyer.name == company
    assert document.ship_to is not None and document.ship_to.name
    user = db.search_read("res.users", [["id", "=", db.uid]], ["name"])[0]["name"]
    assert document.buyer.contact is not None
    assert document.buyer.contact.model_dump() == {
        "name": user,
        "phone": "+1 555 0100",
        "email": "dana@meridian.example",
    }
    assert document.notes == ["Deliver to dock 4", "Keep cold & dry"]


@pytest.mark.parametrize("map_name", ["x12/004010/850", "edifact/D96A/ORDERS"])
def test_written_document_carries_the_odoo_order(odoo_order, map_name: str) -> None:  # type: ignore[no-untyped-def]
    db, order_id = odoo_order
    document, _ = OdooOrderReader(_client(db), _profile()).read(order_id)
    map_ = LIBRARY.get(map_name)
    written = write(
        map_,
        render(map_, document),
        OutboundEnvelope(sender_id="MERIDIAN", receiver_id="SUMMITMED", interchange_control=101),
    )
    # our own validator passed (write raises otherwise); the bytes carry the order's facts
    assert parse_payload(written.data).interchanges[0].transactions[0].set_id == map_.set
    text = written.data.decode()
    if map_.syntax == "x12":
        assert f"BEG*00*SA*{document.po_number}*" in text
        assert "PO1*1*50*BX*8.95*PE*VP*SM-100*BP*MH-GZ-44*UK*00614141000012~" in text
        assert "PO1*2*12*EA*2.5*PE*BP*MH-SAL~" in text
        assert "DTM*002*20261220~" in text
        assert "CTT*2~" in text
        assert "N9*L1*NOTES~\nMSG*Deliver to dock 4~\nMSG*Keep cold & dry~" in text
        assert "*TE*+1 555 0100*EM*dana@meridian.example~" in text
    else:
        assert f"BGM+220+{document.po_number}+9'" in text
        assert "LIN+1++00614141000012:EN'PIA+5+SM-100:SA+MH-GZ-44:IN'" in text
        assert "QTY+21:50:BX'DTM+2:20261220:102'PRI+AAA:8.95'" in text
        assert "CNT+2:2'" in text
        assert "FTX+AAI+++Deliver to dock 4'FTX+AAI+++Keep cold & dry'" in text
        assert "COM+?+1 555 0100:TE'COM+dana@meridian.example:EM'" in text


def test_unit_missing_from_the_profile_is_named(odoo_order) -> None:  # type: ignore[no-untyped-def]
    db, order_id = odoo_order
    with pytest.raises(OrderNotSendable) as caught:
        OdooOrderReader(_client(db), _profile(uom={"EA": "Units"})).read(order_id)
    assert "line 1: unit 'Box'" in str(caught.value)
    assert isinstance(caught.value.po_number, str) and caught.value.po_number.startswith("P")


def test_reader_result_is_a_purchase_order(odoo_order) -> None:  # type: ignore[no-untyped-def]
    db, order_id = odoo_order
    document, _ = OdooOrderReader(_client(db), _profile()).read(order_id)
    assert isinstance(document, PurchaseOrder)

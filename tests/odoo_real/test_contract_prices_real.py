"""Contract prices from a real Odoo 17's vendor pricelist (issue 20, item 1).

An 810 above the vendor's contract price leaves the bill in draft with an exception that
names the ``product.supplierinfo`` line; an expired line (``date_end`` past), although
cheaper, is not used; an acknowledged price above the contract is not written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from gateway.canonical import (
    AckType,
    Invoice,
    InvoiceLine,
    ItemIds,
    LineStatus,
    OrderAcknowledgement,
    OrderAcknowledgementLine,
    PurchaseOrder,
    PurchaseOrderLine,
    ShipNotice,
    ShipNoticeLine,
    ShipNoticeOrder,
)
from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from gateway.partners.profile import PartnerProfile
from tests.support.real_odoo import OdooDatabase

pytestmark = pytest.mark.real_odoo(version=17)

GLOVE = ItemIds(vendor_part="VP-GLV")


def profile(**odoo: Any) -> PartnerProfile:
    return PartnerProfile.model_validate(
        {
            "id": "acme",
            "name": "ACME Medical Supply",
            "x12": {"isa_qualifier": "ZZ", "isa_id": "ACME"},
            "odoo": {
                "vendor_ref": "ACME",
                "item_lookup": ["vendor_part"],
                "purchase_order_state": "confirmed",
                **odoo,
            },
        }
    )


@pytest.fixture(scope="module")
def world(real_odoo: OdooDatabase) -> dict[str, int]:
    """A vendor, an untaxed storable glove, and two vendor price lines for it: 6.00 until
    30 June 2026 (expired for a November invoice, and cheaper) and 7.00 from 1 July."""
    db = real_odoo
    vendor = db.create("res.partner", {"name": "ACME Medical Supply", "ref": "ACME"})
    glove = db.create(
        "product.product",
        {"name": "Nitrile glove M", "detailed_type": "product", "supplier_taxes_id": [(6, 0, [])]},
    )
    template = db.search_read("product.product", [["id", "=", glove]], ["product_tmpl_id"])[0]
    tmpl = template["product_tmpl_id"][0]
    common = {"partner_id": vendor, "product_tmpl_id": tmpl, "product_code": "VP-GLV"}
    expired = db.create("product.supplierinfo", {**common, "price": 6.0, "date_end": "2026-06-30"})
    current = db.create(
        "product.supplierinfo", {**common, "price": 7.0, "date_start": "2026-07-01"}
    )
    return {"vendor": vendor, "glove": glove, "expired": expired, "current": current}


@pytest.fixture
def client(real_odoo: OdooDatabase) -> Any:
    db = real_odoo
    odoo = OdooClient(db.url, db.name, db.login, password=db.password)
    yield odoo
    odoo.close()


def test_bill_above_the_contract_stays_draft_naming_the_line(
    real_odoo: OdooDatabase, world: dict[str, int], client: OdooClient
) -> None:
    p = profile(ack_updates=["dates", "prices"])
    order = PurchaseOrder(
        po_number="PO-CT-1",
        order_date=dt.date(2026, 11, 16),
        lines=[
            PurchaseOrderLine(
                line_number="1", quantity=Decimal(100), uom="EA", unit_price=Decimal("7.25"),
                item=GLOVE,
            )
        ],
    )  # fmt: skip
    assert deliver(order, profile=p, odoo=client).exceptions == []

    # an acknowledgement at 7.50 (profile lets acks change prices): above the contract
    ack = OrderAcknowledgement(
        po_number="PO-CT-1",
        ack_number="ACK-1",
        ack_date=dt.date(2026, 11, 17),
        ack_type=AckType.ACCEPTED_WITH_CHANGES,
        lines=[
            OrderAcknowledgementLine(
                line_number="1", status=LineStatus.CHANGED, quantity=Decimal(100),
                unit_price=Decimal("7.50"), item=GLOVE,
            )
        ],
    )  # fmt: skip
    outcome = deliver(ack, profile=p, odoo=client)
    [off] = [i for i in outcome.exceptions if i.kind == "off_contract_price"]
    assert off.expected == "7.00" and off.received == "7.50"
    [line] = real_odoo.search_read(
        "purchase.order.line", [["order_id.partner_ref", "=", "PO-CT-1"]], ["price_unit"]
    )
    assert line["price_unit"] == 7.25  # the PO was not changed to the above-contract price

    shipped = ShipNotice(
        shipment_id="ASN-CT-1",
        orders=[
            ShipNoticeOrder(
                po_number="PO-CT-1",
                lines=[
                    ShipNoticeLine(po_line_number="1", quantity=Decimal(60), uom="EA", item=GLOVE)
                ],
            )
        ],
    )
    assert deliver(shipped, profile=p, odoo=client).exceptions == []

    # when the vendor bills 60 at the order's 7.25, dated 22 November 2026
    bill = Invoice(
        invoice_number="INV-CT-1",
        invoice_date=dt.date(2026, 11, 22),
        po_number="PO-CT-1",
        lines=[
            InvoiceLine(
                line_number="1", po_line_number="1", quantity=Decimal(60), uom="EA",
                unit_price=Decimal("7.25"), item=GLOVE,
            )
        ],
    )  # fmt: skip
    outcome = deliver(bill, profile=p, odoo=client)
    # then the one exception names the current contract line (7.00), not the expired
    # cheaper one (6.00), which Odoo itself would not use on that date either
    [issue] = outcome.exceptions
    assert issue.kind == "off_contract_price"
    assert (issue.expected, issue.received, issue.quantity) == ("7.00", "7.25", "60")
    assert f"vendor price line {world['current']} (product.supplierinfo)" in issue.message
    assert f"vendor price line {world['expired']} " not in issue.message
    [move] = real_odoo.search_read(
        "account.move",
        [["ref", "=", "INV-CT-1"], ["partner_id", "=", world["vendor"]]],
        ["state"],
    )
    assert move["state"] == "draft"
    notes = real_odoo.search_read(
        "mail.message",
        [["model", "=", "account.move"], ["res_id", "=", move["id"]]],
        ["body"],
    )
    assert any("above the contract price 7.00" in (n["body"] or "") for n in notes)
    # and Odoo's own choice (its _select_seller pricing a new order line of that date
    # and quantity) is the same line's price
    probe = real_odoo.create(
        "purchase.order",
        {
            "partner_id": world["vendor"],
            "date_order": "2026-11-22 10:00:00",
            "order_line": [(0, 0, {"product_id": world["glove"], "product_qty": 60})],
        },
    )
    [priced] = real_odoo.search_read(
        "purchase.order.line", [["order_id", "=", probe]], ["price_unit"]
    )
    assert priced["price_unit"] == 7.0

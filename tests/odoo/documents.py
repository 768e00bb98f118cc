"""Canonical documents for the Odoo tests (built in code: they are the delivery's input)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
    SourceRef,
)

GLOVE = ItemIds(vendor_part="VP-GLV", gtin="00017953755437")
SYRINGE = ItemIds(ndc="12345-678-90", buyer_part="SYR-1")
GAUZE = ItemIds(buyer_part="GAU-1")
UNKNOWN = ItemIds(vendor_part="VP-NOPE", gtin="09999999999994")


def purchase_order(po_number: str = "PO-1001", **changes: object) -> PurchaseOrder:
    """Two lines: 100 gloves (by vendor part) and 20 syringes (by NDC)."""
    values: dict[str, object] = {
        "source": SourceRef(
            syntax="x12",
            sender_id="HOSP",
            interchange_control_number="000000101",
            transaction_control_number="0001",
            transaction_set="850",
        ),
        "po_number": po_number,
        "order_date": dt.date(2026, 11, 20),
        "lines": [
            PurchaseOrderLine(
                line_number="1",
                quantity=Decimal("100"),
                uom="EA",
                unit_price=Decimal("7.25"),
                item=GLOVE,
            ),
            PurchaseOrderLine(
                line_number="2",
                quantity=Decimal("20"),
                uom="EA",
                unit_price=Decimal("12.00"),
                item=SYRINGE,
            ),
        ],
    }
    values.update(changes)
    return PurchaseOrder.model_validate(values)


def acknowledgement(po_number: str = "PO-1001", **changes: object) -> OrderAcknowledgement:
    """Line 1 accepted with a new date; line 2 rejected."""
    values: dict[str, object] = {
        "po_number": po_number,
        "ack_number": "ACK-1",
        "ack_type": AckType.ACCEPTED_WITH_CHANGES,
        "lines": [
            OrderAcknowledgementLine(
                line_number="1",
                status=LineStatus.ACCEPTED,
                quantity=Decimal("100"),
                unit_price=Decimal("7.25"),
                scheduled_date=dt.date(2030, 1, 15),
                item=GLOVE,
            ),
            OrderAcknowledgementLine(
                line_number="2", status=LineStatus.REJECTED, quantity=Decimal("0"), item=SYRINGE
            ),
        ],
    }
    values.update(changes)
    return OrderAcknowledgement.model_validate(values)


def ship_notice(
    shipment_id: str = "ASN-1",
    po_number: str = "PO-1001",
    lines: list[ShipNoticeLine] | None = None,
) -> ShipNotice:
    """Partial: 60 of 100 gloves, all 20 syringes in two lots with expiry dates."""
    return ShipNotice(
        shipment_id=shipment_id,
        ship_date=dt.date(2026, 11, 21),
        carrier="UPSN",
        tracking_number="1Z999AA10123456784",
        orders=[
            ShipNoticeOrder(
                po_number=po_number,
                lines=lines
                if lines is not None
                else [
                    ShipNoticeLine(
                        po_line_number="1", quantity=Decimal("60"), uom="EA", item=GLOVE
                    ),
                    ShipNoticeLine(
                        po_line_number="2",
                        quantity=Decimal("12"),
                        uom="EA",
                        item=SYRINGE,
                        lot_number="LOT-A",
                        expiry_date=dt.date(2028, 6, 30),
                    ),
                    ShipNoticeLine(
                        po_line_number="2",
                        quantity=Decimal("8"),
                        uom="EA",
                        item=SYRINGE,
                        lot_number="LOT-B",
                        expiry_date=dt.date(2028, 9, 30),
                    ),
                ],
            )
        ],
    )


def invoice(
    invoice_number: str = "INV-1", po_number: str = "PO-1001", syringe_price: str = "12.00"
) -> Invoice:
    """Bills what the ship notice above delivered: 60 gloves, 20 syringes."""
    return Invoice(
        invoice_number=invoice_number,
        invoice_date=dt.date(2026, 11, 22),
        po_number=po_number,
        lines=[
            InvoiceLine(
                line_number="1",
                po_line_number="1",
                quantity=Decimal("60"),
                unit_price=Decimal("7.25"),
                item=GLOVE,
            ),
            InvoiceLine(
                line_number="2",
                po_line_number="2",
                quantity=Decimal("20"),
                unit_price=Decimal(syringe_price),
                item=SYRINGE,
            ),
        ],
    )

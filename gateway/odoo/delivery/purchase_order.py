"""PurchaseOrder (850 / ORDERS) → ``purchase.order``.

Every line is resolved (product, unit) before anything is written, so an unknown item or
unit leaves no half-created order. The order is keyed by the vendor and ``partner_ref`` =
the PO number: a retry after a crash finds it and answers ``already_existed``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.canonical import PurchaseOrder, Purpose
from gateway.odoo.api import OdooApi
from gateway.odoo.delivery.outcome import BusinessIssue, DeliveryOutcome, OdooRecordRef
from gateway.odoo.delivery.resolve import Product, Resolver
from gateway.partners.profile import PartnerProfile


def odoo_datetime(day: dt.date) -> str:
    """A date as an Odoo datetime string (midnight, as recorded for planned dates)."""
    return f"{day.isoformat()} 00:00:00"


def source_label(document: Any, set_code: str) -> str:
    """``EDI 850 ISA 000000123`` for chatter and ``origin`` fields."""
    source = getattr(document, "source", None)
    if source is None:
        return f"EDI {set_code}"
    return f"EDI {source.transaction_set} {source.interchange_control_number}"


def deliver_purchase_order(
    document: PurchaseOrder, *, profile: PartnerProfile, odoo: OdooApi, resolver: Resolver
) -> DeliveryOutcome:
    """Create (and confirm, per profile) the purchase order; see the module docstring."""
    settings = resolver.settings
    existing = resolver.find_order(document.po_number)
    if existing is not None:
        return _existing(document, existing, odoo=odoo, confirm=settings.purchase_order_state)
    if document.purpose is not Purpose.ORIGINAL:
        return DeliveryOutcome(
            exceptions=[
                BusinessIssue(
                    kind="order_not_found",
                    message=f"{document.purpose.value} of purchase order {document.po_number}, "
                    "which is not in Odoo",
                    received=document.po_number,
                )
            ]
        )

    issues: list[BusinessIssue] = []
    commands: list[list[Any]] = []
    uom_field = odoo.dialect.purchase_line_uom_field
    for line in document.lines:
        product = resolver.product(line.item, line.line_number)
        uom = resolver.uom(line.uom, line.line_number)
        if isinstance(product, BusinessIssue):
            issues.append(product)
        if isinstance(uom, BusinessIssue):
            issues.append(uom.model_copy(update={"identifiers": line.item.identifiers()}))
        if not isinstance(product, Product) or isinstance(uom, BusinessIssue):
            continue
        values: dict[str, Any] = {"product_id": product.id, "product_qty": float(line.quantity)}
        if line.unit_price is not None:
            values["price_unit"] = float(line.unit_price)
        if uom is not None:
            values[uom_field] = uom
        planned = line.requested_date or document.requested_delivery_date
        if planned is not None:
            values["date_planned"] = odoo_datetime(planned)
        values["sequence"] = len(commands) + 1
        commands.append([0, 0, values])
    if not document.lines:
        issues.append(BusinessIssue(kind="unknown_item", message="the purchase order has no lines"))
    if issues:
        return DeliveryOutcome(
            exceptions=issues,
            notes=[f"purchase order {document.po_number} not created: fix the lines first"],
        )

    order_values: dict[str, Any] = {
        "partner_id": resolver.vendor_id,
        "partner_ref": document.po_number,
        "origin": source_label(document, "850"),
        "order_line": commands,
    }
    if document.order_date is not None:
        order_values["date_order"] = odoo_datetime(document.order_date)
    if document.requested_delivery_date is not None:
        order_values["date_planned"] = odoo_datetime(document.requested_delivery_date)
    order_id = odoo.create("purchase.order", order_values)
    notes = [f"created purchase order for {document.po_number}"]
    if settings.purchase_order_state == "confirmed":
        odoo.call("purchase.order", "button_confirm", ids=[order_id])
        notes.append("confirmed")
    return DeliveryOutcome(records=[_ref(odoo, order_id)], notes=notes)


def _existing(
    document: PurchaseOrder, order: dict[str, Any], *, odoo: OdooApi, confirm: str
) -> DeliveryOutcome:
    order_id = int(order["id"])
    ref = OdooRecordRef(model="purchase.order", id=order_id, name=str(order.get("name") or ""))
    notes: list[str] = []
    issues: list[BusinessIssue] = []
    if document.purpose is Purpose.CANCEL:
        if order.get("state") != "cancel":
            odoo.call("purchase.order", "button_cancel", ids=[order_id])
            odoo.message_post(
                "purchase.order",
                order_id,
                f"{source_label(document, '850')}: the buyer cancelled purchase order "
                f"{document.po_number}",
            )
            return DeliveryOutcome(records=[ref], notes=["purchase order cancelled"])
        return DeliveryOutcome(records=[ref], already_existed=True, notes=["already cancelled"])
    if document.purpose is Purpose.CHANGE:
        # A change order needs a person: Odoo has no safe automatic merge of line changes.
        source = document.source
        tag = f"[EDI 850 change {document.po_number}/" + (
            f"{source.interchange_control_number}/{source.transaction_control_number}]"
            if source
            else f"{document.order_date or ''}]"
        )
        if _noted(odoo, order_id, tag):
            return DeliveryOutcome(
                records=[ref], already_existed=True, notes=["change already noted"]
            )
        odoo.message_post(
            "purchase.order",
            order_id,
            f"{source_label(document, '850')} {tag}: change order received for "
            f"{document.po_number} ({len(document.lines)} lines); review the order",
        )
        issues.append(
            BusinessIssue(
                kind="changed_order",
                message=f"change order for {document.po_number}: review {ref.name} in Odoo",
                received=document.po_number,
            )
        )
        return DeliveryOutcome(records=[ref], exceptions=issues, notes=["change order noted"])
    # The same original again: a retry after a crash, or a duplicate from the partner.
    if confirm == "confirmed" and order.get("state") in ("draft", "sent"):
        odoo.call("purchase.order", "button_confirm", ids=[order_id])
        notes.append("found in draft after an interrupted delivery; confirmed now")
    notes.append(f"purchase order {document.po_number} already in Odoo as {ref.name}")
    return DeliveryOutcome(records=[ref], already_existed=True, notes=notes)


def _ref(odoo: OdooApi, order_id: int) -> OdooRecordRef:
    rows = odoo.read("purchase.order", [order_id], ["name"])
    name = str(rows[0]["name"]) if rows else ""
    return OdooRecordRef(model="purchase.order", id=order_id, name=name)


def _noted(odoo: OdooApi, order_id: int, text: str) -> bool:
    rows = odoo.search_read(
        "mail.message",
        [["model", "=", "purchase.order"], ["res_id", "=", order_id], ["body", "ilike", text]],
        ["id"],
        limit=1,
    )
    return bool(rows)

"""PurchaseOrder (850 / ORDERS) → ``purchase.order``.

Every line is resolved (product, unit, the order's currency) before anything is written,
so an unknown item, unit or currency leaves no half-created order. The order is keyed by
the vendor and ``partner_ref`` = the PO number: a retry after a crash finds it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.canonical import PurchaseOrder, PurchaseOrderLine, Purpose
from gateway.odoo.api import OdooApi
from gateway.odoo.delivery.outcome import BusinessIssue, OdooRecordRef
from gateway.odoo.delivery.plan import (
    CancelOrder,
    ConfirmOrder,
    CreateOrder,
    DeliveryPlan,
    PostNote,
)
from gateway.odoo.delivery.resolve import Product, Resolver


def odoo_datetime(day: dt.date) -> str:
    """A date as an Odoo datetime string (midnight, as recorded for planned dates)."""
    return f"{day.isoformat()} 00:00:00"


def source_label(document: Any, set_code: str) -> str:
    """``EDI 850 ISA 000000123`` for chatter and ``origin`` fields."""
    source = getattr(document, "source", None)
    if source is None:
        return f"EDI {set_code}"
    return f"EDI {source.transaction_set} {source.interchange_control_number}"


def plan_purchase_order(
    document: PurchaseOrder, *, plan: DeliveryPlan, odoo: OdooApi, resolver: Resolver
) -> DeliveryPlan:
    """Decide how the purchase order lands (create and confirm, per profile)."""
    settings = resolver.settings
    existing = resolver.find_order(document.po_number)
    if existing is not None:
        return _existing(
            document, existing, plan=plan, odoo=odoo, confirm=settings.purchase_order_state
        )
    if document.purpose is not Purpose.ORIGINAL:
        plan.exceptions.append(
            BusinessIssue(
                kind="order_not_found",
                message=f"{document.purpose.value} of purchase order {document.po_number}, "
                "which is not in Odoo",
                received=document.po_number,
            )
        )
        return plan

    issues: list[BusinessIssue] = []
    commands: list[list[Any]] = []
    uom_field = odoo.dialect.purchase_line_uom_field
    currency = resolver.currency(document.currency, f"purchase order {document.po_number}")
    if isinstance(currency, BusinessIssue):
        issues.append(currency)
    for line in document.lines:
        product = resolver.product(line.item, line.line_number)
        uom = resolver.uom(line.uom, line.line_number)
        if isinstance(product, BusinessIssue):
            issues.append(product)
        if isinstance(uom, BusinessIssue):
            issues.append(uom.model_copy(update={"identifiers": line.item.identifiers()}))
        if not isinstance(product, Product) or isinstance(uom, BusinessIssue):
            continue
        values = _line_values(document, line, product, {uom_field: uom} if uom is not None else {})
        values["sequence"] = len(commands) + 1
        commands.append([0, 0, values])
    if not document.lines:
        issues.append(BusinessIssue(kind="unknown_item", message="the purchase order has no lines"))
    if issues:
        plan.exceptions.extend(issues)
        plan.notes.append(f"purchase order {document.po_number} not created: fix the lines first")
        return plan

    order_values = _order_values(document, resolver.vendor_id, commands, currency)
    confirm = settings.purchase_order_state == "confirmed"
    plan.steps.append(CreateOrder(values=order_values, confirm=confirm))
    plan.notes.append(f"created purchase order for {document.po_number}")
    if confirm:
        plan.notes.append("confirmed")
    return plan


def _line_values(
    document: PurchaseOrder, line: PurchaseOrderLine, product: Product, unit: dict[str, int]
) -> dict[str, Any]:
    """An order line's values: product, quantity, price, unit (``unit``, under the
    dialect's field name) and planned date (the line's, or the order's)."""
    values: dict[str, Any] = {"product_id": product.id, "product_qty": float(line.quantity)}
    if line.unit_price is not None:
        values["price_unit"] = float(line.unit_price)
    values.update(unit)
    planned = line.requested_date or document.requested_delivery_date
    if planned is not None:
        values["date_planned"] = odoo_datetime(planned)
    return values


def _order_values(
    document: PurchaseOrder,
    vendor_id: int,
    commands: list[list[Any]],
    currency: int | BusinessIssue | None,
) -> dict[str, Any]:
    """The purchase order's own values around its line commands."""
    values: dict[str, Any] = {
        "partner_id": vendor_id,
        "partner_ref": document.po_number,
        "origin": source_label(document, "850"),
        "order_line": commands,
    }
    if isinstance(currency, int):
        values["currency_id"] = currency
    if document.order_date is not None:
        values["date_order"] = odoo_datetime(document.order_date)
    if document.requested_delivery_date is not None:
        values["date_planned"] = odoo_datetime(document.requested_delivery_date)
    return values


def _existing(
    document: PurchaseOrder,
    order: dict[str, Any],
    *,
    plan: DeliveryPlan,
    odoo: OdooApi,
    confirm: str,
) -> DeliveryPlan:
    order_id = int(order["id"])
    ref = OdooRecordRef(model="purchase.order", id=order_id, name=str(order.get("name") or ""))
    plan.records.append(ref)
    if document.purpose is Purpose.CANCEL:
        if order.get("state") != "cancel":
            label = source_label(document, "850")
            plan.steps.append(CancelOrder(order_id=order_id))
            plan.steps.append(
                PostNote(
                    model="purchase.order",
                    res_id=order_id,
                    marker=f"[EDI 850 cancel {document.business_key}]",
                    lines=[
                        f"{label} [EDI 850 cancel {document.business_key}]: the buyer "
                        f"cancelled purchase order {document.po_number}"
                    ],
                )
            )
            plan.notes.append("purchase order cancelled")
            return plan
        plan.already_existed = True
        plan.notes.append("already cancelled")
        return plan
    if document.purpose is Purpose.CHANGE:
        # A change order needs a person: Odoo has no safe automatic merge of line changes.
        source = document.source
        tag = f"[EDI 850 change {document.po_number}/" + (
            f"{source.interchange_control_number}/{source.transaction_control_number}]"
            if source
            else f"{document.order_date or ''}]"
        )
        plan.exceptions.append(
            BusinessIssue(
                kind="changed_order",
                message=f"change order for {document.po_number}: review {ref.name} in Odoo",
                received=document.po_number,
            )
        )
        if _noted(odoo, order_id, tag):
            plan.already_existed = True
            plan.notes.append("change already noted")
            return plan
        plan.steps.append(
            PostNote(
                model="purchase.order",
                res_id=order_id,
                marker=tag,
                lines=[
                    f"{source_label(document, '850')} {tag}: change order received for "
                    f"{document.po_number} ({len(document.lines)} lines); review the order"
                ],
            )
        )
        plan.notes.append("change order noted")
        return plan
    # The same original again: a retry after a crash, or a duplicate from the partner.
    if confirm == "confirmed" and order.get("state") in ("draft", "sent"):
        plan.steps.append(ConfirmOrder(order_id=order_id))
        plan.notes.append("found in draft after an interrupted delivery; confirmed now")
    plan.notes.append(f"purchase order {document.po_number} already in Odoo as {ref.name}")
    plan.already_existed = True
    return plan


def _noted(odoo: OdooApi, order_id: int, text: str) -> bool:
    rows = odoo.search_read(
        "mail.message",
        [["model", "=", "purchase.order"], ["res_id", "=", order_id], ["body", "ilike", text]],
        ["id"],
        limit=1,
    )
    return bool(rows)

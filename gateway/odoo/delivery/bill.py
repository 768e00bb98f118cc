"""Invoice (810 / INVOIC) → vendor bill (``account.move``, ``move_type='in_invoice'``).

Each invoice line is tied to its purchase order line (``purchase_line_id``). Before
posting, the gateway checks billed quantity against what was received and not yet billed,
and the unit price against the order line and, where the profile lists one, the contract
price, within the profile's tolerances. A failed check leaves the bill in draft with a
chatter note listing the failures, and the failures come back as business issues.

Odoo accepts two bills with the same vendor reference, so the gateway guards: a bill of
this vendor with ``ref`` = the invoice number means the invoice was already delivered.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.canonical import Invoice, InvoiceLine
from gateway.odoo.api import OdooApi
from gateway.odoo.delivery.acknowledgement import already_noted, marker
from gateway.odoo.delivery.outcome import BusinessIssue, DeliveryOutcome, OdooRecordRef
from gateway.odoo.delivery.purchase_order import source_label
from gateway.odoo.delivery.resolve import OrderLine, Resolver
from gateway.partners.odoo import Tolerances

BILL_FIELDS = ["id", "name", "state", "ref", "amount_untaxed", "amount_total"]


def price_within(expected: Decimal, billed: Decimal, tolerances: Tolerances) -> bool:
    """True when ``billed`` is within the profile's amount or percent tolerance."""
    allowed = max(tolerances.price_amount, abs(expected) * tolerances.price_percent / 100)
    return abs(billed - expected) <= allowed


def deliver_invoice(document: Invoice, *, odoo: OdooApi, resolver: Resolver) -> DeliveryOutcome:
    """Create the vendor bill, check it, post it per profile; see the module docstring."""
    settings = resolver.settings
    existing = odoo.search_read(
        "account.move",
        [
            ["ref", "=", document.invoice_number],
            ["partner_id", "=", resolver.vendor_id],
            ["move_type", "=", "in_invoice"],
            ["state", "!=", "cancel"],
        ],
        BILL_FIELDS,
        order="id",
    )
    if existing:
        return _existing(document, existing[0], odoo=odoo, post=settings.bill_state == "posted")
    if not document.po_number:
        return _not_found(document, "the invoice names no purchase order")
    order = resolver.find_order(document.po_number)
    if order is None:
        return _not_found(document, f"purchase order {document.po_number} is not in Odoo")
    order_lines = resolver.order_lines(int(order["id"]))

    issues: list[BusinessIssue] = []
    failed_checks: list[BusinessIssue] = []
    commands: list[list[Any]] = []
    billed: dict[int, Decimal] = {}
    for line in document.lines:
        order_line, _ = resolver.match_line(
            order_lines, line.item, line.po_line_number, line.line_number
        )
        if order_line is None:
            issues.append(
                BusinessIssue(
                    kind="unexpected_item",
                    message=f"invoice line {line.line_number}: item is not on purchase order "
                    f"{order.get('name')}",
                    line_number=line.line_number,
                    received=str(line.quantity),
                    identifiers=line.item.identifiers(),
                )
            )
            continue
        quantity = resolver.convert(line.quantity, line.uom, order_line.uom_id, line.line_number)
        if isinstance(quantity, BusinessIssue):
            issues.append(quantity.model_copy(update={"identifiers": line.item.identifiers()}))
            continue
        if quantity != line.quantity and quantity:
            # billed in another unit than ordered: bill in the order's unit, same amount
            line = line.model_copy(
                update={
                    "quantity": quantity,
                    "unit_price": line.unit_price * line.quantity / quantity,
                }
            )
        billed[order_line.id] = billed.get(order_line.id, Decimal("0")) + line.quantity
        failed_checks.extend(
            _price_checks(line, order_line, settings.contract_prices, settings.tolerances)
        )
        commands.append(
            [
                0,
                0,
                {
                    "purchase_line_id": order_line.id,
                    "product_id": order_line.product_id,
                    "quantity": float(line.quantity),
                    "price_unit": float(round(line.unit_price, 6)),
                },
            ]
        )
    if issues:
        # an invoice line that matches nothing on the order: no bill at all, a person decides
        return DeliveryOutcome(
            exceptions=issues,
            notes=[f"invoice {document.invoice_number} not billed: review the lines"],
        )
    failed_checks.extend(_quantity_checks(document, order_lines, billed, settings.tolerances))

    values: dict[str, Any] = {
        "move_type": "in_invoice",
        "partner_id": resolver.vendor_id,
        "ref": document.invoice_number,
        "invoice_origin": str(order.get("name") or ""),
        "invoice_line_ids": commands,
    }
    if document.invoice_date is not None:
        values["invoice_date"] = document.invoice_date.isoformat()
    bill_id = odoo.create("account.move", values)
    notes = [f"vendor bill created for invoice {document.invoice_number}"]
    if document.allowances_charges or document.taxes:
        # Odoo computes taxes from its own tax setup; allowances and charges need an
        # account decision, so they are left to the person who posts or reviews the bill
        notes.append(
            f"{len(document.allowances_charges)} allowance/charge and {len(document.taxes)} tax "
            "entries of the invoice were not transferred (Odoo applies its own taxes)"
        )
    if failed_checks:
        odoo.message_post("account.move", bill_id, _failure_note(document, failed_checks))
        notes.append("left in draft: checks failed")
    elif settings.bill_state == "posted":
        odoo.call("account.move", "action_post", ids=[bill_id])  # answers false on success
        notes.append("posted")
    return DeliveryOutcome(records=[_ref(odoo, bill_id)], exceptions=failed_checks, notes=notes)


def _price_checks(
    line: InvoiceLine, order_line: OrderLine, contract: dict[str, Decimal], tolerances: Tolerances
) -> list[BusinessIssue]:
    out: list[BusinessIssue] = []
    ids = line.item.identifiers()
    if not price_within(order_line.price_unit, line.unit_price, tolerances):
        out.append(
            BusinessIssue(
                kind="price_mismatch",
                message=f"invoice line {line.line_number}: unit price {line.unit_price} differs "
                f"from the order's {order_line.price_unit}",
                line_number=line.line_number,
                expected=str(order_line.price_unit),
                received=str(line.unit_price),
                identifiers=ids,
            )
        )
    agreed = contract.get(line.item.vendor_part or "") if line.item.vendor_part else None
    if agreed is not None and not price_within(agreed, line.unit_price, tolerances):
        out.append(
            BusinessIssue(
                kind="price_mismatch",
                message=f"invoice line {line.line_number}: unit price {line.unit_price} differs "
                f"from the contract price {agreed}",
                line_number=line.line_number,
                expected=str(agreed),
                received=str(line.unit_price),
                identifiers=ids,
            )
        )
    return out


def _quantity_checks(
    document: Invoice,
    order_lines: list[OrderLine],
    billed: dict[int, Decimal],
    tolerances: Tolerances,
) -> list[BusinessIssue]:
    out: list[BusinessIssue] = []
    by_id = {x.id: x for x in order_lines}
    for line_id, quantity in billed.items():
        order_line = by_id[line_id]
        billable = order_line.received - order_line.invoiced
        allowed = billable * (1 + tolerances.quantity_over_percent / 100)
        if quantity > allowed:
            numbers = [
                x.line_number
                for x in document.lines
                if (x.po_line_number or x.line_number) == str(order_line.position)
            ]
            out.append(
                BusinessIssue(
                    kind="quantity_mismatch",
                    message=f"{order_line.product_name}: {quantity} billed but {billable} "
                    f"received and not yet billed",
                    line_number=numbers[0] if numbers else None,
                    expected=str(billable),
                    received=str(quantity),
                )
            )
    return out


def _failure_note(document: Invoice, failures: list[BusinessIssue]) -> str:
    head = (
        f"{source_label(document, '810')} {marker('810-checks-failed', document.invoice_number)}: "
        "bill left in draft"
    )
    return "\n".join([head, *(f"- {f.message}" for f in failures)])


def _existing(
    document: Invoice, bill: dict[str, Any], *, odoo: OdooApi, post: bool
) -> DeliveryOutcome:
    bill_id = int(bill["id"])
    notes = [f"invoice {document.invoice_number} already billed as {bill.get('name')}"]
    if post and bill.get("state") == "draft":
        failed = already_noted(
            odoo, "account.move", bill_id, marker("810-checks-failed", document.invoice_number)
        )
        if not failed:
            # created, then interrupted before posting: finish the delivery
            odoo.call("account.move", "action_post", ids=[bill_id])
            notes.append("posted now (the earlier delivery stopped before posting)")
    return DeliveryOutcome(records=[_ref(odoo, bill_id)], already_existed=True, notes=notes)


def _not_found(document: Invoice, why: str) -> DeliveryOutcome:
    return DeliveryOutcome(
        exceptions=[
            BusinessIssue(
                kind="order_not_found",
                message=f"invoice {document.invoice_number}: {why}",
                received=document.po_number,
            )
        ]
    )


def _ref(odoo: OdooApi, bill_id: int) -> OdooRecordRef:
    rows = odoo.read("account.move", [bill_id], ["name"])
    return OdooRecordRef(
        model="account.move", id=bill_id, name=str(rows[0]["name"]) if rows else ""
    )

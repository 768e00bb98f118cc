"""Invoice (810 / INVOIC) → vendor bill (``account.move``, ``move_type='in_invoice'``).

Each invoice line is tied to its purchase order line (``purchase_line_id``) and carries
the document line's unit (``product_uom_id``, through the profile's unit table) and the
invoice's currency (else the order's). Allowances and charges (SAC / ALC) become lines
on the products the profile names (``odoo.charges``). The gateway checks billed quantity
against what was received and not yet billed, the unit price against the order line and
the contract price (:mod:`~gateway.odoo.delivery.contract`: Odoo's vendor pricelist,
the profile's table as override) and the contract number the invoice names, and — once
Odoo has computed the bill — the invoice's untaxed amount, tax and total against Odoo's
(``odoo.invoice_tolerance``). Any failed check leaves the
bill in draft with a chatter note listing the failures, returned as business issues.

A supplier's credit note (X12 BIG07 ``CR``, INVOIC BGM ``381``) becomes a vendor credit
note (``move_type='in_refund'``) that reverses the bill of the invoice it names
(``reversed_entry_id``), its lines tied to the same purchase order lines, so that Odoo's
billed quantities go down by what was credited. It is checked like a bill, except that
the quantity credited is held against what was billed and not yet credited, and there is
no contract check (a credit returns what was billed). A credit note whose invoice is not
a bill of this vendor in Odoo, or that names none, is the business exception
``supplier_credit_note`` for the accounts team.

Odoo accepts two bills with the same vendor reference, so the gateway guards: a bill of
this vendor with ``ref`` = the invoice number means the invoice was already delivered
(a credit note of this vendor with that reference, for a credit note).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.canonical import AllowanceCharge, Invoice, InvoiceLine
from gateway.odoo.api import OdooApi, m2o_id
from gateway.odoo.delivery.contract import ContractPrices, price_within
from gateway.odoo.delivery.item_checks import invalid_identifier
from gateway.odoo.delivery.order_acknowledgement import already_noted, marker
from gateway.odoo.delivery.outcome import BusinessIssue, OdooRecordRef
from gateway.odoo.delivery.plan import CheckTotals, CreateBill, DeliveryPlan, PostBill
from gateway.odoo.delivery.resolve import OrderLine, Resolver
from gateway.partners.odoo import OdooPartnerSettings, Tolerances

BILL_FIELDS = ["id", "name", "state", "ref", "amount_untaxed", "amount_total"]


def _bill_currency(
    document: Invoice, order: dict[str, Any], resolver: Resolver
) -> int | BusinessIssue | None:
    """The invoice's currency; the order's when the invoice names none."""
    currency = resolver.currency(document.currency, f"invoice {document.invoice_number}")
    return m2o_id(order.get("currency_id")) if currency is None else currency


def _what(document: Invoice) -> str:
    """How messages name the document: ``invoice`` or ``credit note``."""
    return "credit note" if document.credit_note else "invoice"


def _move_type(document: Invoice) -> str:
    return "in_refund" if document.credit_note else "in_invoice"


def _unsigned(document: Invoice) -> Invoice:
    """A credit note with its quantities and amounts as what is credited.

    Some suppliers sign a credit note's quantities and amounts negative, others state
    them as positive numbers under BIG07 ``CR`` / BGM ``381``; Odoo's vendor credit notes
    hold them positive. Allowances and charges keep their sign (an allowance lowers the
    credit)."""
    if not document.credit_note:
        return document
    lines = [
        line.model_copy(
            update={
                "quantity": abs(line.quantity),
                "unit_price": abs(line.unit_price),
                "amount": None if line.amount is None else abs(line.amount),
            }
        )
        for line in document.lines
    ]
    taxes = [
        tax.model_copy(update={"amount": None if tax.amount is None else abs(tax.amount)})
        for tax in document.taxes
    ]
    total = None if document.total_amount is None else abs(document.total_amount)
    return document.model_copy(update={"lines": lines, "taxes": taxes, "total_amount": total})


def _match(
    line: InvoiceLine,
    order: dict[str, Any],
    order_lines: list[OrderLine],
    resolver: Resolver,
    what: str,
) -> tuple[OrderLine, int | None, Decimal] | BusinessIssue:
    """The order line an invoice line bills, the invoice's unit and the quantity in the
    order's unit; or why the line cannot be billed."""
    order_line, product = resolver.match_line(
        order_lines, line.item, line.po_line_number, line.line_number
    )
    if order_line is None and invalid_identifier(product):
        return product
    if order_line is None:
        return BusinessIssue(
            kind="unexpected_item",
            message=f"{what} line {line.line_number}: item is not on purchase order "
            f"{order.get('name')}",
            line_number=line.line_number,
            received=str(line.quantity),
            identifiers=line.item.identifiers(),
        )
    unit = resolver.uom(line.uom, line.line_number)
    quantity = resolver.convert(line.quantity, line.uom, order_line.uom_id, line.line_number)
    if isinstance(unit, BusinessIssue):
        return unit.model_copy(update={"identifiers": line.item.identifiers()})
    if isinstance(quantity, BusinessIssue):
        return quantity.model_copy(update={"identifiers": line.item.identifiers()})
    return order_line, unit, quantity


def entered_moves(
    odoo: OdooApi, vendor_id: int | None, ref: str, move_type: str
) -> list[dict[str, Any]]:
    """This vendor's bills (``in_invoice``) or credit notes (``in_refund``) with the
    vendor's reference ``ref``, not cancelled, oldest first."""
    return odoo.search_read(
        "account.move",
        [
            ["ref", "=", ref],
            ["partner_id", "=", vendor_id],
            ["move_type", "=", move_type],
            ["state", "!=", "cancel"],
        ],
        BILL_FIELDS,
        order="id",
    )


def plan_invoice(
    document: Invoice, *, plan: DeliveryPlan, odoo: OdooApi, resolver: Resolver
) -> DeliveryPlan:
    """Decide the vendor bill (or credit note): its lines, the checks that failed,
    whether to post it."""
    settings = resolver.settings
    existing = entered_moves(
        odoo, resolver.vendor_id, document.invoice_number, _move_type(document)
    )
    if existing:
        return _existing(document, existing[0], plan=plan, odoo=odoo, settings=settings)
    credited: dict[str, Any] | None = None
    po_number = document.po_number
    if document.credit_note:
        found = _credited_bill(document, odoo, resolver)
        if isinstance(found, BusinessIssue):
            plan.exceptions.append(found)
            return plan
        credited = found
        po_number = po_number or str(found.get("invoice_origin") or "") or None
        document = _unsigned(document)
    what = _what(document)
    if not po_number:
        return _not_found(plan, document, f"the {what} names no purchase order")
    order = resolver.find_order(po_number)
    if order is None:
        return _not_found(plan, document, f"purchase order {po_number} is not in Odoo")
    order_lines = resolver.order_lines(int(order["id"]))
    label = f"{what} {document.invoice_number}"

    found_lines = _bill_lines(document, order, order_lines, resolver)
    issues, failed_checks, commands = found_lines.issues, found_lines.checks, found_lines.commands
    if not commands and not issues:
        issues.append(
            BusinessIssue(
                kind="supplier_credit_note" if document.credit_note else "invalid_value",
                message=f"{label} has no lines and no allowances or charges to enter",
                received=document.invoice_number,
            )
        )
    if issues:
        # an invoice line that matches nothing on the order: no bill at all, a person decides
        plan.exceptions.extend(issues)
        plan.notes.append(f"{label} not entered: review the lines")
        return plan
    failed_checks.extend(
        _quantity_checks(document, order_lines, found_lines.billed, settings.tolerances)
    )
    failed_checks.extend(found_lines.charge_issues)

    values = _bill_values(document, resolver, order, commands, found_lines.currency)
    if credited is not None:
        values["reversed_entry_id"] = int(credited["id"])
    plan.steps.append(CreateBill(values=values))
    plan.steps.append(_totals(document, settings))
    plan.steps.append(PostBill())
    plan.exceptions.extend(failed_checks)
    plan.post = settings.bill_state == "posted" and not failed_checks
    if credited is None:
        plan.notes.append(f"vendor bill created for invoice {document.invoice_number}")
    else:
        plan.notes.append(
            f"vendor credit note created for credit note {document.invoice_number}, "
            f"crediting bill {credited.get('name')} (invoice {credited.get('ref')})"
        )
    if failed_checks:
        plan.notes.append("left in draft: checks failed")
    return plan


@dataclass
class _Lines:
    """What an invoice's lines become: bill line commands, lines that match nothing
    (no bill at all), checks that failed (a draft bill), quantity per order line,
    allowances and charges with no product (a draft bill too)."""

    commands: list[list[Any]] = field(default_factory=list)
    issues: list[BusinessIssue] = field(default_factory=list)
    checks: list[BusinessIssue] = field(default_factory=list)
    billed: dict[int, Decimal] = field(default_factory=dict)
    charge_issues: list[BusinessIssue] = field(default_factory=list)
    currency: Any = None


def _bill_lines(
    document: Invoice, order: dict[str, Any], order_lines: list[OrderLine], resolver: Resolver
) -> _Lines:
    """Match each line to its order line, check its price (and, for a bill, the contract)
    and build the bill lines, allowances and charges included."""
    out = _Lines()
    what = _what(document)
    settings = resolver.settings
    out.currency = _bill_currency(document, order, resolver)
    if isinstance(out.currency, BusinessIssue):
        out.issues.append(out.currency)
    contracts = ContractPrices(resolver) if not document.credit_note else None
    day = document.invoice_date or dt.date.today()
    order_currency = order.get("currency_id")
    currency_code = document.currency or (
        str(order_currency[1]) if isinstance(order_currency, list) else None
    )
    company_id = m2o_id(order.get("company_id"))
    if contracts is not None:  # a credit returns what was billed: no contract check
        label = f"{what} {document.invoice_number}"
        reference = contracts.check_reference(document.contract_number, day, label)
        if reference is not None:
            out.checks.append(reference)
    for line in document.lines:
        matched = _match(line, order, order_lines, resolver, what)
        if isinstance(matched, BusinessIssue):
            out.issues.append(matched)
            continue
        order_line, unit, quantity = matched
        checked = line
        if quantity != line.quantity and quantity:
            # billed in another unit than ordered: compare in the order's unit
            checked = line.model_copy(
                update={
                    "quantity": quantity,
                    "unit_price": line.unit_price * line.quantity / quantity,
                }
            )
        out.billed[order_line.id] = out.billed.get(order_line.id, Decimal("0")) + checked.quantity
        out.checks.extend(_price_checks(checked, order_line, settings.tolerances, what))
        if contracts is not None:
            off_contract = contracts.check_price(
                what=f"invoice line {line.line_number}",
                line_number=line.line_number,
                price=checked.unit_price,
                quantity=checked.quantity,
                uom_id=order_line.uom_id,
                currency=currency_code,
                product_id=order_line.product_id,
                vendor_part=line.item.vendor_part,
                identifiers=line.item.identifiers(),
                day=day,
                company_id=company_id,
            )
            if off_contract is not None:
                out.checks.append(off_contract)
        values: dict[str, Any] = {
            "purchase_line_id": order_line.id,
            "product_id": order_line.product_id,
            "quantity": float(line.quantity),
            "price_unit": float(round(line.unit_price, 6)),
        }
        if unit is not None:
            values["product_uom_id"] = unit  # the document's unit: 50 BX stays 50 boxes
        out.commands.append([0, 0, values])
    charges, charge_issues = _charge_lines(document, resolver)
    out.commands.extend(charges)
    out.charge_issues = charge_issues
    return out


def _credited_bill(
    document: Invoice, odoo: OdooApi, resolver: Resolver
) -> dict[str, Any] | BusinessIssue:
    """The vendor bill a credit note credits, or why it cannot be entered."""
    original = document.original_invoice_number
    found = entered_moves(odoo, resolver.vendor_id, original, "in_invoice") if original else []
    if found:
        return found[0]
    why = (
        f"invoice {original} is not a bill of this vendor in Odoo"
        if original
        else "it names no invoice it credits (X12 REF*OI / INVOIC RFF+IV)"
    )
    return BusinessIssue(
        kind="supplier_credit_note",
        message=f"credit note {document.invoice_number} (crediting "
        f"{original or 'an invoice it does not name'}): {why}; enter it in Odoo by hand",
        received=document.invoice_number,
        expected=original,
    )


def _bill_values(
    document: Invoice,
    resolver: Resolver,
    order: dict[str, Any],
    commands: list[list[Any]],
    currency: Any,
) -> dict[str, Any]:
    """The vendor bill to create: vendor, the invoice's number and date, its lines."""
    values: dict[str, Any] = {
        "move_type": _move_type(document),
        "partner_id": resolver.vendor_id,
        "ref": document.invoice_number,
        "invoice_origin": str(order.get("name") or ""),
        "invoice_line_ids": commands,
    }
    if isinstance(currency, int):
        values["currency_id"] = currency
    if document.invoice_date is not None:
        values["invoice_date"] = document.invoice_date.isoformat()
    return values


def _totals(document: Invoice, settings: OdooPartnerSettings) -> CheckTotals:
    """What the invoice says the bill should come to."""
    untaxed = sum(
        (
            line.amount if line.amount is not None else line.quantity * line.unit_price
            for line in document.lines
        ),
        Decimal("0"),
    )
    stated = {line.line_number for line in document.lines if line.amount is not None}
    for entry in document.allowances_charges:
        if entry.line_number is not None and entry.line_number in stated:
            continue  # inside the line's stated (net) amount already
        untaxed += entry.amount if entry.kind == "charge" else -entry.amount
    # the document's taxes are its totals; a line's taxes repeat them per line, so they
    # count only when the document states none
    amounts = [t.amount for t in document.taxes if t.amount is not None and not t.line_number]
    amounts = amounts or [t.amount for t in document.taxes if t.amount is not None]
    return CheckTotals(
        untaxed=untaxed.quantize(Decimal("0.01")),
        tax=sum(amounts, Decimal("0")) if amounts else None,
        total=document.total_amount,
        tolerance_amount=settings.invoice_tolerance.amount,
        tolerance_percent=settings.invoice_tolerance.percent,
    )


def _billed_separately(document: Invoice) -> list[AllowanceCharge]:
    """The allowances and charges that become bill lines of their own.

    A line's stated amount (EDIFACT MOA+203) is its net amount, its own allowances and
    charges inside it. When quantity x price already makes that amount, the price was the
    net one (PRI+AAA) and the line's allowances and charges only inform: billing them too
    would count them twice. Otherwise (a gross price, PRI+AAB) they take the bill line's
    quantity x price to the stated amount, as do those of a line with no stated amount and
    the header's."""
    net_priced = {
        line.line_number
        for line in document.lines
        if line.amount is not None
        and abs(line.quantity * line.unit_price - line.amount) <= Decimal("0.01")
    }
    return [
        entry
        for entry in document.allowances_charges
        if entry.line_number is None or entry.line_number not in net_priced
    ]


def _charge_lines(
    document: Invoice, resolver: Resolver
) -> tuple[list[list[Any]], list[BusinessIssue]]:
    """Allowances and charges as bill lines on the products the profile names."""
    commands: list[list[Any]] = []
    issues: list[BusinessIssue] = []
    for entry in _billed_separately(document):
        code = entry.code or ""
        label = f"{entry.kind} {code} {entry.description or ''}".strip()
        name = resolver.settings.charges.get(code)
        product_id = resolver.charge_product(name) if name else None
        if product_id is None:
            why = (
                f"the product {name!r} (odoo.charges) is not in Odoo"
                if name
                else "the partner profile names no product for it (odoo.charges)"
            )
            issues.append(
                BusinessIssue(
                    kind="unmapped_charge",
                    message=f"invoice {document.invoice_number}: {label} of {entry.amount}: {why}",
                    line_number=entry.line_number,
                    received=str(entry.amount),
                )
            )
            continue
        amount = entry.amount if entry.kind == "charge" else -entry.amount
        commands.append(
            [
                0,
                0,
                {
                    "product_id": product_id,
                    "name": entry.description or label,
                    "quantity": 1.0,
                    "price_unit": float(amount),
                },
            ]
        )
    return commands, issues


def _price_checks(
    line: InvoiceLine, order_line: OrderLine, tolerances: Tolerances, what: str
) -> list[BusinessIssue]:
    """The billed (or credited) unit price against the order's (the contract is checked
    separately)."""
    if price_within(order_line.price_unit, line.unit_price, tolerances):
        return []
    return [
        BusinessIssue(
            kind="price_mismatch",
            message=f"{what} line {line.line_number}: unit price {line.unit_price} differs "
            f"from the order's {order_line.price_unit}",
            line_number=line.line_number,
            expected=str(order_line.price_unit),
            received=str(line.unit_price),
            identifiers=line.item.identifiers(),
            quantity=str(line.quantity),
        )
    ]


def _quantity_checks(
    document: Invoice,
    order_lines: list[OrderLine],
    billed: dict[int, Decimal],
    tolerances: Tolerances,
) -> list[BusinessIssue]:
    """Billed quantities against what was received and not yet billed; credited ones
    against what was billed and not yet credited (no tolerance: a credit is exact)."""
    out: list[BusinessIssue] = []
    by_id = {x.id: x for x in order_lines}
    for line_id, quantity in billed.items():
        order_line = by_id[line_id]
        if document.credit_note:
            billable, allowed = order_line.invoiced, order_line.invoiced
            why = f"{quantity} credited but {billable} billed and not yet credited"
        else:
            billable = order_line.received - order_line.invoiced
            allowed = billable * (1 + tolerances.quantity_over_percent / 100)
            why = f"{quantity} billed but {billable} received and not yet billed"
        if quantity > allowed:
            numbers = [
                x.line_number
                for x in document.lines
                if (x.po_line_number or x.line_number) == str(order_line.position)
            ]
            out.append(
                BusinessIssue(
                    kind="quantity_mismatch",
                    message=f"{order_line.product_name}: {why}",
                    line_number=numbers[0] if numbers else None,
                    expected=str(billable),
                    received=str(quantity),
                )
            )
    return out


def _existing(
    document: Invoice,
    bill: dict[str, Any],
    *,
    plan: DeliveryPlan,
    odoo: OdooApi,
    settings: OdooPartnerSettings,
) -> DeliveryPlan:
    bill_id = int(bill["id"])
    plan.records.append(
        OdooRecordRef(model="account.move", id=bill_id, name=str(bill.get("name") or ""))
    )
    plan.already_existed = True
    plan.bill_id = bill_id
    document = _unsigned(document)
    entered = "entered" if document.credit_note else "billed"
    plan.notes.append(
        f"{_what(document)} {document.invoice_number} already {entered} as {bill.get('name')}"
    )
    if settings.bill_state == "posted" and bill.get("state") == "draft":
        held = already_noted(odoo, "account.move", bill_id, "[EDI bill left in draft") or (
            already_noted(
                odoo, "account.move", bill_id, marker("810-checks-failed", document.invoice_number)
            )
        )
        if not held:
            # created, then interrupted before posting: finish the delivery
            plan.post = True
            plan.steps.extend([_totals(document, settings), PostBill()])
            plan.notes.append("posting it now (the earlier delivery stopped before posting)")
    return plan


def _not_found(plan: DeliveryPlan, document: Invoice, why: str) -> DeliveryPlan:
    plan.exceptions.append(
        BusinessIssue(
            kind="order_not_found",
            message=f"{_what(document)} {document.invoice_number}: {why}",
            received=document.po_number,
        )
    )
    return plan

"""OrderAcknowledgement (855 / ORDRSP) → updates and a chatter note on the purchase order.

What the vendor's answer may change is the profile's ``ack_updates`` (planned dates,
quantities, prices); rejected lines and changes outside that policy become business
issues for the buyer. The chatter note carries a marker with the acknowledgement's
business key, which is how a retry knows the acknowledgement was already applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.canonical import AckType, LineStatus, OrderAcknowledgement, OrderAcknowledgementLine
from gateway.odoo.api import OdooApi, m2o_id
from gateway.odoo.delivery.contract import ContractPrices
from gateway.odoo.delivery.item_checks import invalid_identifier
from gateway.odoo.delivery.outcome import BusinessIssue, OdooRecordRef
from gateway.odoo.delivery.plan import DeliveryPlan, PostNote, WriteRecords, noted
from gateway.odoo.delivery.purchase_order import odoo_datetime, source_label
from gateway.odoo.delivery.resolve import OrderLine, Resolver

_REJECTED = (LineStatus.REJECTED, LineStatus.DELETED)
_CHANGED = (LineStatus.CHANGED, LineStatus.SUBSTITUTED, LineStatus.BACKORDERED)


def marker(kind: str, key: str) -> str:
    """The text a chatter note carries so a retry can find it."""
    return f"[EDI {kind} {key}]"


already_noted = noted


def plan_order_acknowledgement(
    document: OrderAcknowledgement, *, plan: DeliveryPlan, odoo: OdooApi, resolver: Resolver
) -> DeliveryPlan:
    """Decide what the acknowledgement changes on its purchase order (module docstring)."""
    order = resolver.find_order(document.po_number)
    if order is None:
        plan.exceptions.append(
            BusinessIssue(
                kind="order_not_found",
                message=f"acknowledgement for purchase order {document.po_number}, "
                "which is not in Odoo",
                received=document.po_number,
            )
        )
        return plan
    order_id = int(order["id"])
    ref = OdooRecordRef(model="purchase.order", id=order_id, name=str(order.get("name") or ""))
    plan.records.append(ref)
    tag = marker("855", document.business_key)
    if already_noted(odoo, "purchase.order", order_id, tag):
        plan.already_existed = True
        plan.notes.append(f"acknowledgement {document.business_key} was already applied")
        return plan

    updates = set(resolver.settings.ack_updates)
    lines = resolver.order_lines(order_id)
    summary: list[str] = []
    writes: list[tuple[int, dict[str, Any]]] = []
    order_currency = order.get("currency_id")
    check = _LineCheck(
        updates=frozenset(updates),
        contracts=ContractPrices(resolver),
        currency=str(order_currency[1]) if isinstance(order_currency, list) else None,
        day=document.ack_date or dt.date.today(),
        company_id=m2o_id(order.get("company_id")),
    )
    issues = _order_issues(document, check)
    for line in document.lines:
        order_line, product = resolver.match_line(lines, line.item, line.line_number, None)
        ids = line.item.identifiers()
        label = f"line {line.line_number}"
        if order_line is None and invalid_identifier(product):
            issues.append(product)
            summary.append(f"{label}: {line.status.value}, item identifier is wrong")
            continue
        if order_line is None:
            issues.append(
                BusinessIssue(
                    kind="unexpected_item",
                    message=f"{label}: acknowledged item is not on {ref.name}",
                    line_number=line.line_number,
                    identifiers=ids,
                )
            )
            summary.append(f"{label}: {line.status.value}, item not on the order")
            continue
        text = [f"{label} ({order_line.product_name}): {line.status.value}"]
        values: dict[str, Any] = {}
        if line.status in _REJECTED:
            issues.append(
                BusinessIssue(
                    kind="rejected_line",
                    message=f"{label}: the vendor {line.status.value} {order_line.product_name}",
                    line_number=line.line_number,
                    identifiers=ids,
                    expected=str(order_line.quantity),
                    received=line.status.value,
                )
            )
            summary.append(text[0])
            continue
        quantity, scheduled_date, backorder = split_view(line)
        if quantity is not None and quantity != order_line.quantity:
            text.append(f"quantity {order_line.quantity} → {quantity}")
            if "quantities" in updates:
                values["product_qty"] = float(quantity)
            issues.append(_changed(label, "quantity", order_line.quantity, quantity, line, ids))
        if line.unit_price is not None and line.unit_price != order_line.price_unit:
            issues += check.price(label, line, order_line, quantity, text, values)
        if backorder is not None:
            text.append(backorder)
        if scheduled_date is not None:
            issues += check.date(label, line, order_line, scheduled_date, backorder, text, values)
        if line.status in _CHANGED and len(text) == 1:
            issues.append(
                BusinessIssue(
                    kind="changed_line",
                    message=f"{label}: the vendor marked the line {line.status.value}",
                    line_number=line.line_number,
                    identifiers=ids,
                    received=line.status.value,
                )
            )
        if values:
            writes.append((order_line.id, values))
            text.append("applied" if len(values) == len(text) - 1 else "partly applied")
        summary.append(", ".join(text))

    if writes:
        plan.steps.append(WriteRecords(model="purchase.order.line", writes=writes))
    header = f"{source_label(document, '855')} {tag}: {document.ack_type.value.replace('_', ' ')}"
    plan.steps.append(
        PostNote(model="purchase.order", res_id=order_id, marker=tag, lines=[header, *summary])
    )
    plan.exceptions.extend(issues)
    plan.notes.append(f"acknowledgement applied to {ref.name}: {len(writes)} lines updated")
    return plan


def _order_issues(document: OrderAcknowledgement, check: _LineCheck) -> list[BusinessIssue]:
    """What the acknowledgement as a whole raises: a contract reference that does not
    hold, a rejected order."""
    issues: list[BusinessIssue] = []
    reference = check.contracts.check_reference(
        document.contract_number, check.day, f"acknowledgement {document.business_key}"
    )
    if reference is not None:
        issues.append(reference)
    if document.ack_type is AckType.REJECTED:
        issues.append(
            BusinessIssue(
                kind="rejected_order",
                message=f"the vendor rejected purchase order {document.po_number}",
                received=document.ack_type.value,
            )
        )
    return issues


@dataclass(frozen=True)
class _LineCheck:
    """What each acknowledged line is checked against; its methods add to the line's
    note text and the values to write, and return the issues found."""

    updates: frozenset[str]
    contracts: ContractPrices
    currency: str | None
    day: dt.date
    company_id: int | None

    def price(
        self,
        label: str,
        line: OrderAcknowledgementLine,
        order_line: OrderLine,
        quantity: Decimal | None,
        text: list[str],
        values: dict[str, Any],
    ) -> list[BusinessIssue]:
        """A price other than the order's."""
        if line.unit_price is None:
            return []
        ids = line.item.identifiers()
        issues: list[BusinessIssue] = []
        text.append(f"price {order_line.price_unit} → {line.unit_price}")
        # checked before anything is written: an acknowledged price above the
        # contract never reaches the order, whatever the profile lets acks change
        off_contract = self.contracts.check_price(
            what=label,
            line_number=line.line_number,
            price=line.unit_price,
            quantity=quantity if quantity is not None else order_line.quantity,
            uom_id=order_line.uom_id,
            currency=self.currency,
            product_id=order_line.product_id,
            vendor_part=line.item.vendor_part,
            identifiers=ids,
            day=self.day,
            company_id=self.company_id,
        )
        if off_contract is not None:
            issues.append(off_contract)
            text.append("above the contract price, not applied")
        elif "prices" in self.updates:
            values["price_unit"] = float(line.unit_price)
        issues.append(_changed(label, "price", order_line.price_unit, line.unit_price, line, ids))
        return issues

    def date(
        self,
        label: str,
        line: OrderAcknowledgementLine,
        order_line: OrderLine,
        scheduled_date: dt.date,
        backorder: str | None,
        text: list[str],
        values: dict[str, Any],
    ) -> list[BusinessIssue]:
        """A scheduled date other than the order line's planned date."""
        planned = odoo_datetime(scheduled_date)
        if (order_line.date_planned or "")[:10] == planned[:10]:
            return []
        ids = line.item.identifiers()
        text.append(f"date {(order_line.date_planned or '?')[:10]} → {planned[:10]}")
        if "dates" in self.updates:
            values["date_planned"] = planned
            return []
        if backorder is not None:
            return [_backordered(label, backorder, order_line, planned, line, ids)]
        return [_changed(label, "date", order_line.date_planned, planned[:10], line, ids)]


# ---- split acknowledgements (several ACKs for one line) --------------------------------


def split_view(line: OrderAcknowledgementLine) -> tuple[Decimal | None, dt.date | None, str | None]:
    """What a line acknowledged in parts means for the purchase order line.

    "20 accepted for 20 Nov, 10 backordered to 15 Dec" (two ACKs) is 30 to be supplied,
    complete on 15 Dec: the quantity is the sum of the parts not rejected, the planned
    date the latest date among them, and the text names the backordered parts. A line
    with one ACK (or none) is read from its own fields.
    """
    if len(line.splits) < 2:
        return line.quantity, line.scheduled_date, None
    kept = [s for s in line.splits if s.status not in _REJECTED]
    quantities = [s.quantity for s in kept if s.quantity is not None]
    quantity = sum(quantities, Decimal(0)) if quantities else line.quantity
    dates = [s.date for s in kept if s.date is not None]
    planned = max(dates) if dates else line.scheduled_date
    parts = [
        f"{s.quantity if s.quantity is not None else '?'} backordered"
        + (f" to {s.date.isoformat()}" if s.date else "")
        for s in kept
        if s.status is LineStatus.BACKORDERED
    ]
    return quantity, planned, ", ".join(parts) or None


def _backordered(
    label: str, backorder: str, order_line: Any, planned: str, line: Any, ids: dict[str, str]
) -> BusinessIssue:
    return BusinessIssue(
        kind="changed_line",
        message=f"{label}: {backorder}; the planned date stays "
        f"{(order_line.date_planned or '?')[:10]} (the profile does not let "
        f"acknowledgements move dates): the backordered part arrives by {planned[:10]}",
        line_number=line.line_number,
        expected=(order_line.date_planned or "")[:10] or None,
        received=planned[:10],
        identifiers=ids,
    )


def _changed(
    label: str, what: str, expected: Any, received: Any, line: Any, ids: dict[str, str]
) -> BusinessIssue:
    return BusinessIssue(
        kind="changed_line",
        message=f"{label}: the vendor changed the {what} from {expected} to {received}",
        line_number=line.line_number,
        expected=str(expected) if expected is not None else None,
        received=str(received),
        identifiers=ids,
    )

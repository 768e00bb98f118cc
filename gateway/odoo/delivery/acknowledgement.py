"""OrderAcknowledgement (855 / ORDRSP) → updates and a chatter note on the purchase order.

What the vendor's answer may change is the profile's ``ack_updates`` (planned dates,
quantities, prices); rejected lines and changes outside that policy become business
issues for the buyer. The chatter note carries a marker with the acknowledgement's
business key, which is how a retry knows the acknowledgement was already applied.
"""

from __future__ import annotations

from typing import Any

from gateway.canonical import AckType, LineStatus, OrderAcknowledgement
from gateway.odoo.api import OdooApi
from gateway.odoo.delivery.outcome import BusinessIssue, OdooRecordRef
from gateway.odoo.delivery.plan import DeliveryPlan, PostNote, WriteRecords, noted
from gateway.odoo.delivery.purchase_order import odoo_datetime, source_label
from gateway.odoo.delivery.resolve import Resolver

_REJECTED = (LineStatus.REJECTED, LineStatus.DELETED)
_CHANGED = (LineStatus.CHANGED, LineStatus.SUBSTITUTED, LineStatus.BACKORDERED)


def marker(kind: str, key: str) -> str:
    """The text a chatter note carries so a retry can find it."""
    return f"[EDI {kind} {key}]"


already_noted = noted


def plan_acknowledgement(
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
    issues: list[BusinessIssue] = []
    summary: list[str] = []
    writes: list[tuple[int, dict[str, Any]]] = []
    if document.ack_type is AckType.REJECTED:
        issues.append(
            BusinessIssue(
                kind="rejected_order",
                message=f"the vendor rejected purchase order {document.po_number}",
                received=document.ack_type.value,
            )
        )
    for line in document.lines:
        order_line, _product = resolver.match_line(lines, line.item, line.line_number, None)
        ids = line.item.identifiers()
        label = f"line {line.line_number}"
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
        if line.quantity is not None and line.quantity != order_line.quantity:
            text.append(f"quantity {order_line.quantity} → {line.quantity}")
            if "quantities" in updates:
                values["product_qty"] = float(line.quantity)
            issues.append(
                _changed(label, "quantity", order_line.quantity, line.quantity, line, ids)
            )
        if line.unit_price is not None and line.unit_price != order_line.price_unit:
            text.append(f"price {order_line.price_unit} → {line.unit_price}")
            if "prices" in updates:
                values["price_unit"] = float(line.unit_price)
            issues.append(
                _changed(label, "price", order_line.price_unit, line.unit_price, line, ids)
            )
        if line.scheduled_date is not None:
            planned = odoo_datetime(line.scheduled_date)
            if (order_line.date_planned or "")[:10] != planned[:10]:
                text.append(f"date {(order_line.date_planned or '?')[:10]} → {planned[:10]}")
                if "dates" in updates:
                    values["date_planned"] = planned
                else:
                    issues.append(
                        _changed(label, "date", order_line.date_planned, planned[:10], line, ids)
                    )
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

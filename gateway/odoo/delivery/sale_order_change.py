"""A customer's change order (860 / ORDCHG, or an 850 / ORDERS with purpose change or
cancel) → the ``sale.order`` its order became.

The sale order is the customer's by ``client_order_ref`` = the PO number (found by
:func:`gateway.odoo.delivery.sale_order.plan_sale_order`, which hands it here; a change
for an order that is not in Odoo is ``order_not_found`` there). Each changed line is
matched to the sale order line made from it: the customer's line number's place in the
order as they asked for it (the 850 and the changes applied since,
:func:`merge_change`; the n-th line is the sale order line with ``sequence`` n, as the
850's delivery creates them), or, when that is not known (the dry run), by product.

What a change may do depends on the sale order:

* a **quotation** (draft/sent) takes every change: a line's quantity (POC QI/QD, LIN 1229
  3), its date (the line's description, or the order's ``commitment_date`` for the
  header's), a line added (our product by ``sale_order.item_lookup``; Odoo prices it from
  the pricelist) or deleted (unlinked), the order cancelled. A price the customer sends
  (POC PC, or with any change) is compared with the pricelist's as for an order, never
  written: a difference is ``customer_price_mismatch``.
* a **confirmed** order (sale) takes, with ``odoo.sale_order.changes: apply``, what Odoo
  allows on it without a person: a line's quantity up, or down to no less than delivered,
  and a deleted line whose goods have not left (its quantity set to 0: Odoo refuses to
  delete a confirmed order's line). Anything else (an added line, a price or date that
  differs, a cancellation, a locked order), and every change with ``changes: review``
  (the default), is the business exception ``customer_changed_order`` naming the sale
  order and the line; then nothing of the change is applied (all or nothing) and a note
  on the sale order says what the customer asked.

Exactly once: the delivery ledger keys a change by PO number + change sequence (BCH05 /
BGM 1004; else the interchange), so a resent change is recorded as already delivered;
behind it, the note the applied change leaves on the sale order (its marker names the
change) makes a replay or a copy that slipped past the ledger a no-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from gateway.canonical import LineChange, PurchaseOrder, PurchaseOrderLine, Purpose
from gateway.odoo.api import OdooApi, m2o_id
from gateway.odoo.delivery.outcome import BusinessIssue, OdooRecordRef
from gateway.odoo.delivery.plan import (
    ChangeSaleOrder,
    CheckSalePrices,
    DeliveryPlan,
    LinePrice,
    PostNote,
    noted,
    within,
)
from gateway.odoo.delivery.purchase_order import odoo_datetime, source_label
from gateway.odoo.delivery.resolve import Product, Resolver, decimal

LINE_FIELDS = [
    "id",
    "sequence",
    "product_id",
    "product_uom_qty",
    "qty_delivered",
    "price_unit",
    "discount",
    "name",
    "display_type",
]
QUANTITY_CHANGES = (LineChange.QUANTITY_INCREASE, LineChange.QUANTITY_DECREASE)
DATE_NOTE = "\nRequested delivery: "
CONFIRMED = ("sale", "done")
#: our product for one of the customer's lines, or the issue naming what was looked for
FindProduct = Callable[[PurchaseOrderLine], Product | BusinessIssue]


# ---- the order as the customer asks for it -----------------------------------------------
def _date_of(line: PurchaseOrderLine) -> dt.date | None:
    if line.requested_date is not None:
        return line.requested_date
    return line.dates.requested_delivery if line.dates is not None else None


def merge_change(order: PurchaseOrder, change: PurchaseOrder) -> PurchaseOrder:
    """The order as the customer asks for it after ``change`` (pure).

    Lines keep their place, so the n-th line stays the sale order line with sequence n: a
    deleted line stays with quantity 0 (an 855 answers it ``ID``), an added line is
    appended (one whose number the order already has replaces that line). A cancellation
    leaves the lines as they were (the sale order's state says it).
    """
    if change.purpose is Purpose.CANCEL:
        return order
    lines = list(order.lines)
    numbers = [line.line_number for line in lines]
    for line in change.lines:
        index = numbers.index(line.line_number) if line.line_number in numbers else None
        if index is None:
            if line.change is not LineChange.DELETED:  # added (or restated: new to us)
                lines.append(line.model_copy(update={"change": None}))
                numbers.append(line.line_number)
        elif line.change is LineChange.ADDED:
            lines[index] = line.model_copy(update={"change": None})
        else:
            lines[index] = _changed_line(lines[index], line)
    header: dict[str, Any] = {"lines": lines}
    if change.requested_delivery_date is not None:
        header["requested_delivery_date"] = change.requested_delivery_date
    return order.model_copy(update=header)


def _changed_line(old: PurchaseOrderLine, new: PurchaseOrderLine) -> PurchaseOrderLine:
    kind = new.change or LineChange.REPLACE  # a restated line (an 850 that changes)
    update: dict[str, Any] = {}
    if kind is LineChange.DELETED:
        update["quantity"] = Decimal(0)
    if kind in QUANTITY_CHANGES or (kind is LineChange.REPLACE and new.quantity > 0):
        update["quantity"] = new.quantity
    if kind in (LineChange.PRICE, LineChange.REPLACE) and new.unit_price is not None:
        update["unit_price"] = new.unit_price
    if kind in QUANTITY_CHANGES and new.unit_price is not None:
        update["unit_price"] = new.unit_price
    date = _date_of(new)
    if kind in (LineChange.DATE, LineChange.REPLACE) and date is not None:
        update["requested_date"] = date
    return old.model_copy(update=update)


# ---- planning ------------------------------------------------------------------------------
class _Change:
    """What a change does to one sale order (collected while the lines are looked at)."""

    def __init__(self, po_number: str, order_name: str) -> None:
        self.po_number = po_number
        self.order_name = order_name
        self.issues: list[BusinessIssue] = []
        self.updates: dict[int, dict[str, Any]] = {}
        self.creates: list[dict[str, Any]] = []
        self.deletes: list[int] = []
        self.prices: list[LinePrice] = []
        self.order_values: dict[str, Any] = {}
        # what is changed, in words, and the customer's line it comes from
        self.done: list[tuple[PurchaseOrderLine | None, str]] = []

    def refuse(self, line: PurchaseOrderLine | None, why: str) -> None:
        where = f"line {line.line_number}" if line is not None else "the order"
        self.issues.append(
            BusinessIssue(
                kind="customer_changed_order",
                message=f"customer order {self.po_number}, {where}: {why}; sale order "
                f"{self.order_name} was not changed",
                line_number=line.line_number if line is not None else None,
                received=self.po_number,
                identifiers=line.item.identifiers() if line is not None else {},
            )
        )

    def update(self, line_id: int, values: dict[str, Any]) -> None:
        self.updates.setdefault(line_id, {}).update(values)

    def did(self, line: PurchaseOrderLine | None, text: str) -> None:
        self.done.append((line, text))

    @property
    def summary(self) -> str:
        return "; ".join(text for _, text in self.done) or "nothing to change"


def plan_sale_order_change(
    document: PurchaseOrder,
    order: dict[str, Any],
    *,
    plan: DeliveryPlan,
    odoo: OdooApi,
    resolver: Resolver,
    find_product: FindProduct,
) -> DeliveryPlan:
    """Decide what the customer's change does to sale order ``order`` (see the module);
    ``find_product`` is our product for a customer's line (``sale_order.item_lookup``)."""
    order_id = int(order["id"])
    name = str(order.get("name") or order_id)
    ref = OdooRecordRef(model="sale.order", id=order_id, name=name)
    plan.records.append(ref)
    plan.sale_order_id = order_id
    key = document.business_key
    what = "cancellation" if document.purpose is Purpose.CANCEL else "change"
    applied = f"[EDI {what} {key} applied]"
    review = f"[EDI {what} {key} to review]"
    if noted(odoo, "sale.order", order_id, applied):
        plan.already_existed = True
        plan.notes.append(f"{what} {key} already applied to {name}: not applied again")
        return plan
    current = _read_order(odoo, order_id)
    state = str(current.get("state") or order.get("state") or "")
    confirmed = state in CONFIRMED
    change = _Change(document.po_number, name)
    if state == "cancel":
        change.refuse(None, "the sale order is cancelled")
    elif bool(current.get("locked")) or state == "done":
        change.refuse(None, "the sale order is locked")
    elif document.purpose is Purpose.CANCEL:
        if confirmed:
            change.refuse(None, "the customer cancelled it; a person cancels a confirmed order")
        else:
            change.did(None, "order cancelled")
    else:
        lines = _sale_lines(odoo, order_id)
        _header_date(document, current, resolver, change, confirmed=confirmed)
        for line in document.lines:
            _plan_line(line, lines, resolver, change, confirmed=confirmed, find=find_product)
        if confirmed and resolver.settings.sale_order.changes == "review":
            for asked, text in change.done:  # what Odoo would take, a person applies
                change.refuse(
                    asked,
                    f"{text} (odoo.sale_order.changes is review: a person changes a "
                    "confirmed order)",
                )
    if change.issues:
        plan.exceptions.extend(change.issues)
        plan.notes.append(f"{what} of {document.po_number} not applied to {name}: review it")
        if not noted(odoo, "sale.order", order_id, review):
            plan.steps.append(
                PostNote(
                    model="sale.order",
                    res_id=order_id,
                    marker=review,
                    lines=[
                        f"{source_label(document, '860')} {review}: the customer's {what} of "
                        f"order {document.po_number} was NOT applied:",
                        *(f"- {issue.message}" for issue in change.issues),
                    ],
                )
            )
        return plan
    _number_added(change, _first_new_sequence(resolver.asked_order, odoo, order_id))
    plan.steps.append(
        ChangeSaleOrder(
            order_id=order_id,
            marker=applied,
            updates=sorted(change.updates.items()),
            creates=change.creates,
            deletes=change.deletes,
            order_values=change.order_values,
            cancel=document.purpose is Purpose.CANCEL,
            lines=[
                f"{source_label(document, '860')} {applied}: the customer's {what} of order "
                f"{document.po_number}: {change.summary}"
            ],
        )
    )
    if change.prices:
        plan.steps.append(
            CheckSalePrices(
                po_number=document.po_number,
                lines=change.prices,
                tolerance_amount=resolver.settings.tolerances.price_amount,
                tolerance_percent=resolver.settings.tolerances.price_percent,
            )
        )
    plan.notes.append(f"{what} applied to {name}: {change.summary}")
    return plan


def _read_order(odoo: OdooApi, order_id: int) -> dict[str, Any]:
    fields = ["state", "commitment_date"]
    if odoo.dialect.has_field("sale.order", "locked"):
        fields.append("locked")
    rows = odoo.read("sale.order", [order_id], fields)
    return rows[0] if rows else {}


def _sale_lines(odoo: OdooApi, order_id: int) -> list[dict[str, Any]]:
    rows = odoo.search_read("sale.order.line", [["order_id", "=", order_id]], LINE_FIELDS)
    rows = [r for r in rows if not r.get("display_type")]
    rows.sort(key=lambda r: (int(r.get("sequence") or 0), int(r["id"])))
    return rows


def _number_added(change: _Change, first: int) -> None:
    """Give each added line its ``sequence``: the place its number has in the order as
    asked (a line the order had before, added again), else the next place from ``first``."""
    placed = 0
    numbered: list[int] = []
    for values in change.creates:
        if "sequence" not in values:
            values["sequence"] = first + placed
            placed += 1
        numbered.append(int(values["sequence"]))
    for price in change.prices:
        if price.sequence < 0:  # an added line's price: its sequence is known now
            price.sequence = numbered[-price.sequence - 1]


def _first_new_sequence(asked: PurchaseOrder | None, odoo: OdooApi, order_id: int) -> int:
    """The sequence of the first added line: after every line the customer's order has
    had (deleted ones keep their place), and after every line of the sale order."""
    rows = odoo.search_read("sale.order.line", [["order_id", "=", order_id]], ["sequence"])
    highest = max((int(r.get("sequence") or 0) for r in rows), default=0)
    return max(highest, len(asked.lines) if asked is not None else 0) + 1


def _header_date(
    document: PurchaseOrder,
    current: dict[str, Any],
    resolver: Resolver,
    change: _Change,
    *,
    confirmed: bool,
) -> None:
    """The order's requested delivery date, when the change moves it."""
    wanted = document.requested_delivery_date
    if wanted is None:
        return
    asked = resolver.asked_order
    before = asked.requested_delivery_date if asked is not None else None
    if before is None:
        committed = current.get("commitment_date")
        before = dt.date.fromisoformat(str(committed)[:10]) if committed else None
    if wanted == before:
        return
    if confirmed:
        change.refuse(None, f"the delivery date moves to {wanted.isoformat()}")
        return
    change.order_values["commitment_date"] = odoo_datetime(wanted)
    change.did(None, f"delivery date {wanted.isoformat()}")


def _match(
    line: PurchaseOrderLine,
    lines: list[dict[str, Any]],
    asked: PurchaseOrder | None,
    product: Product | None,
) -> dict[str, Any] | None:
    """The sale order line made from the customer's line ``line.line_number``."""
    if asked is not None:
        numbers = [x.line_number for x in asked.lines]
        if line.line_number not in numbers:
            return None
        sequence = numbers.index(line.line_number) + 1
        return next((x for x in lines if int(x.get("sequence") or 0) == sequence), None)
    if product is not None:
        hits = [x for x in lines if m2o_id(x.get("product_id")) == product.id]
        if len(hits) == 1:
            return hits[0]
    if line.line_number.isdigit():
        wanted = int(line.line_number)
        return next((x for x in lines if int(x.get("sequence") or 0) == wanted), None)
    return None


def _plan_line(
    line: PurchaseOrderLine,
    lines: list[dict[str, Any]],
    resolver: Resolver,
    change: _Change,
    *,
    confirmed: bool,
    find: FindProduct,
) -> None:
    """What one changed line does (or why it cannot be applied)."""
    kind = line.change
    product: Product | None = None
    if kind is LineChange.ADDED or line.item.identifiers():
        found = find(line)
        if isinstance(found, BusinessIssue):
            if kind is LineChange.ADDED:
                change.issues.append(found)
                return
        else:
            product = found
    target = _match(line, lines, resolver.asked_order, product)
    if kind is None:  # a restated line (an 850 that changes), or a code we do not know
        kind = LineChange.REPLACE if target is not None else LineChange.ADDED
        if kind is LineChange.ADDED and product is None:
            found = find(line)
            if isinstance(found, BusinessIssue):
                change.issues.append(found)
                return
            product = found
    if kind is LineChange.ADDED:
        _add(line, target, product, resolver, change, confirmed=confirmed)
        return
    if target is None:
        change.refuse(line, "no sale order line was made from it")
        return
    if product is not None and m2o_id(target.get("product_id")) != product.id:
        change.refuse(line, f"its item is not the product of sale order line {target['id']}")
        return
    _change_line(line, kind, target, resolver, change, confirmed=confirmed)


def _change_line(
    line: PurchaseOrderLine,
    kind: LineChange,
    target: dict[str, Any],
    resolver: Resolver,
    change: _Change,
    *,
    confirmed: bool,
) -> None:
    """What a change does to the sale order line it was matched to."""
    if kind is LineChange.DELETED:
        _delete(line, target, change, confirmed=confirmed)
        return
    new_quantity = kind in QUANTITY_CHANGES or (kind is LineChange.REPLACE and line.quantity > 0)
    if new_quantity and not _quantity(line, target, change, confirmed=confirmed):
        return  # refused
    wanted = _date_of(line)
    if wanted is None and kind is LineChange.DATE:
        change.refuse(line, "a new date was announced but none given")
        return
    dated = kind in (LineChange.DATE, LineChange.REPLACE)
    if (
        dated
        and wanted is not None
        and not _date(line, wanted, target, change, confirmed=confirmed)
    ):
        return  # refused
    if line.unit_price is not None:
        _price(line, line.unit_price, target, resolver, change, confirmed=confirmed)
    elif kind is LineChange.PRICE:
        change.refuse(line, "a price change without a price")


def _delete(
    line: PurchaseOrderLine, target: dict[str, Any], change: _Change, *, confirmed: bool
) -> None:
    """A quotation's line goes; a confirmed order's line drops to zero unless some of
    it was delivered."""
    delivered = decimal(target.get("qty_delivered"))
    if not confirmed:
        change.deletes.append(int(target["id"]))
    elif delivered > 0:
        change.refuse(line, f"deleted, but {delivered:f} of it was delivered")
        return
    else:
        change.update(int(target["id"]), {"product_uom_qty": 0.0})
    change.did(line, f"line {line.line_number} deleted")


def _quantity(
    line: PurchaseOrderLine, target: dict[str, Any], change: _Change, *, confirmed: bool
) -> bool:
    """A new quantity (never below what was delivered); False when refused."""
    ordered = decimal(target.get("product_uom_qty"))
    delivered = decimal(target.get("qty_delivered"))
    if confirmed and line.quantity < delivered:
        change.refuse(line, f"quantity {line.quantity:f} is less than the {delivered:f} delivered")
        return False
    if line.quantity != ordered:
        change.update(int(target["id"]), {"product_uom_qty": float(line.quantity)})
        change.did(line, f"line {line.line_number} quantity {ordered:f} → {line.quantity:f}")
    return True


def _date(
    line: PurchaseOrderLine,
    wanted: dt.date,
    target: dict[str, Any],
    change: _Change,
    *,
    confirmed: bool,
) -> bool:
    """A new delivery date, noted in the line's description (a quotation's only);
    False when refused."""
    text = str(target.get("name") or "")
    base, _, was = text.partition(DATE_NOTE)
    if was.strip() == wanted.isoformat():
        return True
    if confirmed:
        change.refuse(line, f"its delivery date moves to {wanted.isoformat()}")
        return False
    change.update(int(target["id"]), {"name": f"{base}{DATE_NOTE}{wanted.isoformat()}"})
    change.did(line, f"line {line.line_number} delivery {wanted.isoformat()}")
    return True


def _price(
    line: PurchaseOrderLine,
    price: Decimal,
    target: dict[str, Any],
    resolver: Resolver,
    change: _Change,
    *,
    confirmed: bool,
) -> None:
    """The customer's price is checked against ours, never written."""
    sequence = int(target.get("sequence") or 0)
    if not confirmed:  # Odoo reprices a quotation's line from its quantity: after the write
        change.prices.append(
            LinePrice(
                line_number=line.line_number,
                sequence=sequence,
                price=price,
                product=str(target.get("name") or "").split("\n")[0],
            )
        )
        return
    discount = decimal(target.get("discount"))
    ours = (decimal(target.get("price_unit")) * (1 - discount / 100)).quantize(Decimal("0.0001"))
    tolerances = resolver.settings.tolerances
    if not within(ours, price, tolerances.price_amount, tolerances.price_percent):
        theirs, our = f"{price:f}", f"{ours.normalize():f}"
        change.refuse(line, f"the customer's price {theirs} differs from ours {our}")


def _add(
    line: PurchaseOrderLine,
    target: dict[str, Any] | None,
    product: Product | None,
    resolver: Resolver,
    change: _Change,
    *,
    confirmed: bool,
) -> None:
    if target is not None:
        change.refuse(line, f"added, but the order already has line {line.line_number}")
        return
    if confirmed:
        change.refuse(line, "a line added to a confirmed sale order")
        return
    if product is None:
        return  # the unknown item is already an issue
    if line.quantity <= 0:
        change.refuse(line, "added without a quantity")
        return
    uom = resolver.uom(line.uom, line.line_number)
    if isinstance(uom, BusinessIssue):
        change.issues.append(uom.model_copy(update={"identifiers": line.item.identifiers()}))
        return
    values: dict[str, Any] = {"product_id": product.id, "product_uom_qty": float(line.quantity)}
    asked = resolver.asked_order
    numbers = [x.line_number for x in asked.lines] if asked is not None else []
    if line.line_number in numbers:  # deleted before, added again: the same place
        values["sequence"] = numbers.index(line.line_number) + 1
    if uom is not None:
        values[resolver.odoo.dialect.purchase_line_uom_field] = uom
    wanted = _date_of(line)
    if wanted is not None:
        values["name"] = f"{product.name}{DATE_NOTE}{wanted.isoformat()}"
    change.creates.append(values)
    if line.unit_price is not None:  # its sequence is set once every added line is known
        change.prices.append(
            LinePrice(
                line_number=line.line_number,
                sequence=-len(change.creates),
                price=line.unit_price,
                product=product.name,
            )
        )
    change.did(line, f"line {line.line_number} added ({product.name}, {line.quantity:f})")

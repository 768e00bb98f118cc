"""ShipNotice (856 / DESADV) → the order's open incoming picking, received and validated.

Per order in the notice: every shipped line is matched to a move (item not on the order
→ ``unexpected_item``; more than ordered beyond the profile's tolerance →
``over_shipment``; a lot-tracked item without a lot → ``missing_lot``; several batches
of a line that do not add up to it → ``lot_quantity_mismatch``; a lot without an expiry
for a product received with expiration dates → ``missing_expiry``) and the fields the
receipt needs are checked (``fields_get``) before anything is written, so a problem never
leaves a half-received picking. Then each move gets its received quantity — lot-tracked
moves one move line per lot with ``lot_name`` and ``expiration_date`` — the picking is
validated (a partial receipt answers the backorder wizard with ``process`` so the rest
stays expected), and the shipment is noted on the picking: its ``origin`` keeps the
purchase order's name; the shipment id, carrier and tracking number go into a chatter
note, and the tracking number also into ``carrier_tracking_ref`` where that field exists
(``stock_delivery``).

Exactly once: the note carries a marker with the shipment id; a done picking of the order
with that note means the notice was already received.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.canonical import Lot, ShipNotice, ShipNoticeLine, ShipNoticeOrder
from gateway.edi.numbers import plain
from gateway.odoo.api import OdooApi, m2o_id
from gateway.odoo.delivery.outcome import BusinessIssue, OdooRecordRef
from gateway.odoo.delivery.plan import (
    DeliveryPlan,
    MoveReceipt,
    PostNote,
    Receive,
    Validate,
    WriteRecords,
)
from gateway.odoo.delivery.purchase_order import odoo_datetime, source_label
from gateway.odoo.delivery.resolve import Product, Resolver, decimal, has_field


@dataclass
class _Receipt:
    """What arrives for one move."""

    move: dict[str, Any]
    quantity: Decimal = Decimal("0")
    lots: list[tuple[str, Decimal, str | None]] = field(default_factory=list)  # name, qty, expiry
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Batch:
    """One batch of a line that lists several: its lot, quantity and expiry."""

    lot_number: str
    quantity: Decimal
    expiry_date: dt.date | None


def shipment_marker(shipment_id: str) -> str:
    """The text the picking's note carries so a later delivery finds the receipt."""
    return f"[EDI 856 {shipment_id}]"


def plan_ship_notice(
    document: ShipNotice, *, plan: DeliveryPlan, odoo: OdooApi, resolver: Resolver
) -> DeliveryPlan:
    """Decide how every order of the notice is received; see the module docstring."""
    existed: list[bool] = []
    for order in document.orders:
        existed.append(_plan_order(document, order, plan=plan, odoo=odoo, resolver=resolver))
    if not document.orders:
        plan.exceptions.append(
            BusinessIssue(kind="order_not_found", message="the ship notice names no order")
        )
    plan.already_existed = bool(existed) and all(existed)
    if plan.exceptions:
        plan.steps.clear()  # one order's problem holds back the whole notice
    return plan


def _plan_order(
    document: ShipNotice,
    shipped: ShipNoticeOrder,
    *,
    plan: DeliveryPlan,
    odoo: OdooApi,
    resolver: Resolver,
) -> bool:
    """Add one order's receipt to ``plan``; True when it was received already."""
    order = resolver.find_order(shipped.po_number)
    if order is None:
        plan.exceptions.append(
            BusinessIssue(
                kind="order_not_found",
                message=f"shipment {document.shipment_id} is for purchase order "
                f"{shipped.po_number}, which is not in Odoo",
                received=shipped.po_number,
            )
        )
        return False
    order_id = int(order["id"])
    done = _received_already(document.shipment_id, order_id, odoo=odoo)
    if done:
        plan.records.extend(_picking_ref(p) for p in done)
        plan.notes.append(f"shipment {document.shipment_id} already received in {done[0]['name']}")
        return True
    open_pickings = odoo.search_read(
        "stock.picking",
        [
            ["purchase_id", "=", order_id],
            ["picking_type_code", "=", "incoming"],
            ["state", "not in", ["done", "cancel"]],
        ],
        ["id", "name", "state", "move_ids", "location_id", "location_dest_id", "origin"],
        order="id",
    )
    if not open_pickings:
        plan.exceptions.append(
            BusinessIssue(
                kind="nothing_to_receive",
                message=f"purchase order {order.get('name')} has no open receipt for "
                f"shipment {document.shipment_id} (not confirmed, or all received)",
                received=shipped.po_number,
            )
        )
        return False
    picking = open_pickings[0]
    receipts, issues = _plan(picking, order_id, shipped, odoo=odoo, resolver=resolver)
    if issues:
        plan.exceptions.extend(issues)
        plan.notes.append(
            f"shipment {document.shipment_id} not received into {picking['name']}: review the lines"
        )
        return False
    picking_id = int(picking["id"])
    plan.steps.append(
        Receive(
            picking_id=picking_id,
            location_id=m2o_id(picking.get("location_id")),
            location_dest_id=m2o_id(picking.get("location_dest_id")),
            moves=[
                MoveReceipt(
                    move_id=int(r.move["id"]),
                    quantity=r.quantity,
                    lots=r.lots,
                    product_id=m2o_id(r.move.get("product_id")),
                    uom_id=m2o_id(r.move.get("product_uom")),
                )
                for r in receipts
            ],
        )
    )
    plan.steps.append(Validate(picking_id=picking_id))
    if document.tracking_number and has_field(odoo, "stock.picking", "carrier_tracking_ref"):
        plan.steps.append(
            WriteRecords(
                model="stock.picking",
                writes=[(picking_id, {"carrier_tracking_ref": document.tracking_number})],
            )
        )
    plan.steps.append(
        PostNote(
            model="stock.picking",
            res_id=picking_id,
            marker=shipment_marker(document.shipment_id),
            lines=_note_lines(document, receipts),
        )
    )
    plan.notes.append(f"shipment {document.shipment_id} received in {picking['name']}")
    return False


def _received_already(shipment_id: str, order_id: int, *, odoo: OdooApi) -> list[dict[str, Any]]:
    """Done pickings of the order that hold this shipment (by note; or, as earlier
    gateway versions did it, by ``origin``)."""
    done = odoo.search_read(
        "stock.picking",
        [["purchase_id", "=", order_id], ["state", "=", "done"]],
        ["id", "name", "state", "origin"],
        order="id",
    )
    if not done:
        return []
    by_origin = [p for p in done if p.get("origin") == shipment_id]
    if by_origin:
        return by_origin
    noted = odoo.search_read(
        "mail.message",
        [
            ["model", "=", "stock.picking"],
            ["res_id", "in", [int(p["id"]) for p in done]],
            ["body", "ilike", shipment_marker(shipment_id)],
        ],
        ["res_id"],
    )
    ids = {int(m["res_id"]) for m in noted}
    return [p for p in done if int(p["id"]) in ids]


def _note_lines(document: ShipNotice, receipts: list[_Receipt]) -> list[str]:
    head = f"{source_label(document, '856')} {shipment_marker(document.shipment_id)}"
    lines = [f"{head}: shipment {document.shipment_id} received"]
    if document.carrier or document.tracking_number:
        lines.append(
            f"carrier {document.carrier or '?'}, tracking number {document.tracking_number or '-'}"
        )
    if document.ship_date:
        lines.append(f"shipped {document.ship_date.isoformat()}")
    for receipt in receipts:
        if not receipt.lines:
            continue
        product = receipt.move.get("product_id")
        name = product[1] if isinstance(product, list) else ""
        lots = ", ".join(
            f"lot {lot} × {qty.normalize()}" + (f" exp. {exp[:10]}" if exp else "")
            for lot, qty, exp in receipt.lots
        )
        lines.append(
            f"{', '.join(receipt.lines)}: {receipt.quantity.normalize()} {name}"
            + (f" ({lots})" if lots else "")
        )
    return lines


def _batches(line: ShipNoticeLine, label: str) -> list[_Batch] | BusinessIssue:
    """The line's batches (DESADV PCI groups and every GIN+BX batch number, X12 REF*LT
    lots and LIN LT pairs); nothing when it lists none (the line's own lot number is used).
    A line's own lot number that none of its lots names is one batch more (the maps list
    it; a document from elsewhere may not): it is never left out unseen.

    Several batches must each name a lot and a quantity and add up to the line's
    quantity, and one batch with a quantity must be the whole line: anything else is
    ``lot_quantity_mismatch``, never the whole line under one lot. A group with neither
    a lot nor a quantity (a marking, not a batch) is not counted, nor are groups of
    which none names a lot (load details: they say nothing about lots); the same lot
    named twice without a quantity (REF*BT and REF*LT for one batch) is one batch."""
    lots = _merged([lot for lot in line.lots if lot.lot_number or lot.quantity is not None])
    if not any(lot.lot_number for lot in lots):
        return []
    if line.lot_number and all(lot.lot_number != line.lot_number for lot in lots):
        lots.append(Lot(lot_number=line.lot_number))
    if len(lots) == 1 and (lots[0].quantity is None or lots[0].quantity == line.quantity):
        # the whole line is this lot, with its own expiry where it has one (an item's
        # DTM*036 may come before the lot's REF*LT and its own DTM*036)
        only = lots[0]
        return [_Batch(only.lot_number or "", line.quantity, only.expiry_date or line.expiry_date)]
    incomplete = [
        f"batch {n} "
        + (f"(lot {lot.lot_number}) has no quantity" if lot.lot_number else "has no lot number")
        for n, lot in enumerate(lots, start=1)
        if not lot.lot_number or lot.quantity is None
    ]
    total = sum((lot.quantity or Decimal(0) for lot in lots), Decimal(0))
    if incomplete or total != line.quantity:
        several = len(lots) > 1
        why = (
            ", ".join(incomplete)
            if incomplete
            else f"{'they add up to' if several else 'it is for'} {plain(total)}"
        )
        count = f"{len(lots)} batches" if several else "1 batch"
        return BusinessIssue(
            kind="lot_quantity_mismatch",
            message=f"{label}: {count} for a quantity of {plain(line.quantity)}, "
            f"but {why}: which lot the goods belong to is not known",
            line_number=line.po_line_number,
            expected=str(line.quantity),
            received=str(total),
            identifiers=line.item.identifiers(),
        )
    # a batch without its own expiry takes the line's only when no batch has one: the
    # line's expiry is then the item's (or pack's), never another batch's
    shared = None if any(lot.expiry_date for lot in lots) else line.expiry_date
    return [
        _Batch(lot.lot_number or "", lot.quantity or Decimal(0), lot.expiry_date or shared)
        for lot in lots
    ]


def _merged(lots: list[Lot]) -> list[Lot]:
    """The lots with a repeat of an earlier lot number folded into it when neither has a
    quantity and their dates do not disagree (one batch sent as REF*BT and REF*LT)."""
    out: list[Lot] = []
    for lot in lots:
        same = next(
            (
                n
                for n, seen in enumerate(out)
                if lot.quantity is None
                and seen.quantity is None
                and seen.lot_number == lot.lot_number
                and _agree(seen.expiry_date, lot.expiry_date)
                and _agree(seen.production_date, lot.production_date)
            ),
            None,
        )
        if same is None:
            out.append(lot)
            continue
        seen = out[same]
        out[same] = seen.model_copy(
            update={
                "expiry_date": seen.expiry_date or lot.expiry_date,
                "production_date": seen.production_date or lot.production_date,
            }
        )
    return out


def _agree(first: dt.date | None, second: dt.date | None) -> bool:
    return first is None or second is None or first == second


def _missing_expiry(
    label: str, line: ShipNoticeLine, product: Product, lots: list[str]
) -> BusinessIssue:
    named = ", ".join(lots[:5]) + (f" and {len(lots) - 5} more" if len(lots) > 5 else "")
    return BusinessIssue(
        kind="missing_expiry",
        message=f"{label}: {product.name} is received with expiration dates but the "
        f"shipment gives no expiry date for {'lots' if len(lots) > 1 else 'lot'} {named}",
        line_number=line.po_line_number,
        received=named,
        identifiers=line.item.identifiers(),
    )


def _plan(
    picking: dict[str, Any],
    order_id: int,
    shipped: ShipNoticeOrder,
    *,
    odoo: OdooApi,
    resolver: Resolver,
) -> tuple[list[_Receipt], list[BusinessIssue]]:
    dialect = odoo.dialect
    qty_field = dialect.move_quantity_field
    move_fields = [
        "id",
        "product_id",
        "product_uom_qty",
        qty_field,
        "move_line_ids",
        "purchase_line_id",
        "product_uom",
    ]
    if dialect.has_picked:
        move_fields.append("picked")
    moves = odoo.search_read("stock.move", [["picking_id", "=", picking["id"]]], move_fields)
    order_lines = {line.id: line for line in resolver.order_lines(order_id)}
    receipts = {int(m["id"]): _Receipt(move=m) for m in moves}
    issues: list[BusinessIssue] = []
    tolerance = resolver.settings.tolerances.quantity_over_percent
    for line in shipped.lines:
        label = _label(line)
        move, product = _match_move(moves, order_lines, line, resolver)
        ids = line.item.identifiers()
        if move is None:
            if isinstance(product, BusinessIssue) and product.kind != "unknown_item":
                issues.append(product)
            else:
                issues.append(
                    BusinessIssue(
                        kind="unexpected_item",
                        message=f"{label}: shipped item is not on the order's open receipt "
                        f"{picking['name']}",
                        line_number=line.po_line_number,
                        received=str(line.quantity),
                        identifiers=ids,
                    )
                )
            continue
        receipt = receipts[int(move["id"])]
        quantity = resolver.convert(
            line.quantity, line.uom, m2o_id(move.get("product_uom")), line.po_line_number
        )
        if isinstance(quantity, BusinessIssue):
            issues.append(quantity.model_copy(update={"identifiers": ids}))
            continue
        receipt.quantity += quantity
        receipt.lines.append(label)
        lots, problems = _lots(
            line,
            label,
            product if isinstance(product, Product) else None,
            quantity,
            uom_id=m2o_id(move.get("product_uom")),
            resolver=resolver,
        )
        receipt.lots.extend(lots)
        issues.extend(problems)
        # untracked in Odoo: the quantity is enough (a lot number would have nowhere to go)
    for receipt in receipts.values():
        demand = decimal(receipt.move.get("product_uom_qty"))
        allowed = demand * (1 + tolerance / 100)
        if receipt.quantity > allowed:
            product_name = receipt.move["product_id"][1] if receipt.move.get("product_id") else ""
            issues.append(
                BusinessIssue(
                    kind="over_shipment",
                    message=f"{', '.join(receipt.lines)}: {receipt.quantity} shipped of "
                    f"{product_name}, {demand} expected"
                    + (f" (tolerance {tolerance}%)" if tolerance else ""),
                    expected=str(demand),
                    received=str(receipt.quantity),
                    line_number=receipt.lines[0].removeprefix("line ") if receipt.lines else None,
                )
            )
    return list(receipts.values()), issues


def _lots(
    line: ShipNoticeLine,
    label: str,
    product: Product | None,
    quantity: Decimal,
    *,
    uom_id: int | None,
    resolver: Resolver,
) -> tuple[list[tuple[str, Decimal, str | None]], list[BusinessIssue]]:
    """The move lines (lot or serial, quantity in the move's unit, expiry) one shipped
    line brings to a tracked product, and what keeps them from being received."""
    tracking = product.tracking if product is not None else "none"
    if tracking not in ("lot", "serial") or product is None:
        return [], []  # untracked in Odoo: the quantity is enough
    ids = line.item.identifiers()
    expiry = odoo_datetime(line.expiry_date) if line.expiry_date else None
    lots: list[tuple[str, Decimal, str | None]] = []
    issues: list[BusinessIssue] = []
    serials = tracking == "serial" and bool(line.serial_numbers)
    batches = [] if serials else _batches(line, label)
    if isinstance(batches, BusinessIssue):
        return [], [batches]
    if serials:
        # one move line per serial number, quantity 1 each
        lots = [(serial, Decimal("1"), expiry) for serial in line.serial_numbers]
        if len(line.serial_numbers) != line.quantity:
            issues.append(
                BusinessIssue(
                    kind="quantity_mismatch",
                    message=f"{label}: {len(line.serial_numbers)} serial numbers for a "
                    f"quantity of {line.quantity}",
                    line_number=line.po_line_number,
                    expected=str(line.quantity),
                    received=str(len(line.serial_numbers)),
                    identifiers=ids,
                )
            )
    elif batches:
        # several batches of one line (DESADV PCI groups, X12 REF*LT lots): one move
        # line per batch, each with its own quantity and expiry date (_batches)
        for batch in batches:
            converted = resolver.convert(batch.quantity, line.uom, uom_id, line.po_line_number)
            if isinstance(converted, BusinessIssue):  # the line's unit converted before
                issues.append(converted.model_copy(update={"identifiers": ids}))
                continue
            lot_expiry = odoo_datetime(batch.expiry_date) if batch.expiry_date else None
            lots.append((batch.lot_number, converted, lot_expiry))
    elif line.lot_number:
        lots = [(line.lot_number, quantity, expiry)]
    else:
        issues.append(
            BusinessIssue(
                kind="missing_lot",
                message=f"{label}: {product.name} is {tracking}-tracked but the shipment "
                f"gives no {'serial numbers' if tracking == 'serial' else 'lot number'}",
                line_number=line.po_line_number,
                identifiers=ids,
            )
        )
    if product.expires:
        # a product received with expiration dates (product_expiry) never gets a lot
        # without one: Odoo would keep it as if it never expired
        undated = [lot for lot, _, exp in lots if not exp]
        if undated:
            issues.append(_missing_expiry(label, line, product, undated))
    return lots, issues


def _label(line: ShipNoticeLine) -> str:
    return f"line {line.po_line_number}" if line.po_line_number else "line"


def _match_move(
    moves: list[dict[str, Any]],
    order_lines: dict[int, Any],
    line: ShipNoticeLine,
    resolver: Resolver,
) -> tuple[dict[str, Any] | None, Product | BusinessIssue]:
    lines = list(order_lines.values())
    order_line, product = resolver.match_line(lines, line.item, line.po_line_number, None)
    if order_line is None:
        return None, product
    for move in moves:
        if m2o_id(move.get("purchase_line_id")) == order_line.id:
            return move, product
    return None, product


def _picking_ref(picking: dict[str, Any]) -> OdooRecordRef:
    return OdooRecordRef(model="stock.picking", id=int(picking["id"]), name=str(picking["name"]))

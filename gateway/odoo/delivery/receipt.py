"""ShipNotice (856 / DESADV) → the order's open incoming picking, received and validated.

Per order in the notice: every shipped line is matched to a move (item not on the order
→ ``unexpected_item``; more than ordered beyond the profile's tolerance →
``over_shipment``; a lot-tracked item without a lot → ``missing_lot``) before anything is
written. Then each move gets its received quantity — lot-tracked moves one move line per
lot with ``lot_name`` and ``expiration_date`` — the picking gets the shipment id as
``origin`` and the tracking number, and is validated; a partial receipt answers the
backorder wizard with ``process`` so the rest stays expected.

Exactly once: a done picking of the order whose ``origin`` is the shipment id means the
notice was already received. Writing quantities is idempotent (the full set of move lines
is rewritten), so a retry after a crash before validation is safe too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.canonical import ShipNotice, ShipNoticeLine, ShipNoticeOrder
from gateway.odoo.api import OdooApi, m2o_id
from gateway.odoo.delivery.outcome import BusinessIssue, DeliveryOutcome, OdooRecordRef
from gateway.odoo.delivery.purchase_order import odoo_datetime
from gateway.odoo.delivery.resolve import Product, Resolver, decimal
from gateway.odoo.errors import OdooBusinessError

BACKORDER_WIZARD = "stock.backorder.confirmation"


@dataclass
class _Receipt:
    """What arrives for one move."""

    move: dict[str, Any]
    quantity: Decimal = Decimal("0")
    lots: list[tuple[str, Decimal, str | None]] = field(default_factory=list)  # name, qty, expiry
    lines: list[str] = field(default_factory=list)


def deliver_ship_notice(
    document: ShipNotice, *, odoo: OdooApi, resolver: Resolver
) -> DeliveryOutcome:
    """Receive every order of the notice; see the module docstring."""
    outcome = DeliveryOutcome()
    existed: list[bool] = []
    for order in document.orders:
        part = _receive_order(document, order, odoo=odoo, resolver=resolver)
        outcome.records.extend(part.records)
        outcome.exceptions.extend(part.exceptions)
        outcome.notes.extend(part.notes)
        existed.append(part.already_existed)
    if not document.orders:
        outcome.exceptions.append(
            BusinessIssue(kind="order_not_found", message="the ship notice names no order")
        )
    outcome.already_existed = bool(existed) and all(existed)
    return outcome


def _receive_order(
    document: ShipNotice, shipped: ShipNoticeOrder, *, odoo: OdooApi, resolver: Resolver
) -> DeliveryOutcome:
    order = resolver.find_order(shipped.po_number)
    if order is None:
        return DeliveryOutcome(
            exceptions=[
                BusinessIssue(
                    kind="order_not_found",
                    message=f"shipment {document.shipment_id} is for purchase order "
                    f"{shipped.po_number}, which is not in Odoo",
                    received=shipped.po_number,
                )
            ]
        )
    order_id = int(order["id"])
    done = odoo.search_read(
        "stock.picking",
        [
            ["purchase_id", "=", order_id],
            ["origin", "=", document.shipment_id],
            ["state", "=", "done"],
        ],
        ["id", "name", "state", "origin"],
    )
    if done:
        return DeliveryOutcome(
            records=[_picking_ref(p) for p in done],
            already_existed=True,
            notes=[f"shipment {document.shipment_id} already received in {done[0]['name']}"],
        )
    open_pickings = odoo.search_read(
        "stock.picking",
        [
            ["purchase_id", "=", order_id],
            ["picking_type_code", "=", "incoming"],
            ["state", "not in", ["done", "cancel"]],
        ],
        ["id", "name", "state", "move_ids", "location_id", "location_dest_id"],
        order="id",
    )
    if not open_pickings:
        return DeliveryOutcome(
            exceptions=[
                BusinessIssue(
                    kind="nothing_to_receive",
                    message=f"purchase order {order.get('name')} has no open receipt for "
                    f"shipment {document.shipment_id} (not confirmed, or all received)",
                    received=shipped.po_number,
                )
            ]
        )
    picking = open_pickings[0]
    receipts, issues = _plan(picking, order_id, shipped, odoo=odoo, resolver=resolver)
    if issues:
        return DeliveryOutcome(
            exceptions=issues,
            notes=[
                f"shipment {document.shipment_id} not received into {picking['name']}: "
                "review the lines"
            ],
        )
    _write_quantities(picking, receipts, odoo=odoo)
    picking_values: dict[str, Any] = {"origin": document.shipment_id}
    if document.tracking_number:
        picking_values["carrier_tracking_ref"] = document.tracking_number
    odoo.write("stock.picking", [int(picking["id"])], picking_values)
    backorder = _validate(int(picking["id"]), odoo=odoo)
    outcome = DeliveryOutcome(
        records=[_picking_ref(picking)],
        notes=[f"shipment {document.shipment_id} received in {picking['name']}"],
    )
    if backorder:
        outcome.notes.append(
            "partial shipment: the rest stays expected in "
            + ", ".join(str(b["name"]) for b in backorder)
        )
        outcome.records.extend(_picking_ref(b) for b in backorder)
    return outcome


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
        tracking = product.tracking if isinstance(product, Product) else "none"
        expiry = odoo_datetime(line.expiry_date) if line.expiry_date else None
        if tracking == "serial" and line.serial_numbers:
            # one move line per serial number, quantity 1 each
            receipt.lots.extend((serial, Decimal("1"), expiry) for serial in line.serial_numbers)
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
        elif tracking in ("lot", "serial") and line.lot_number:
            receipt.lots.append((line.lot_number, quantity, expiry))
        elif tracking in ("lot", "serial"):
            issues.append(
                BusinessIssue(
                    kind="missing_lot",
                    message=f"{label}: {product.name if isinstance(product, Product) else ''} "
                    f"is {tracking}-tracked but the shipment gives no "
                    f"{'serial numbers' if tracking == 'serial' else 'lot number'}",
                    line_number=line.po_line_number,
                    identifiers=ids,
                )
            )
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


def _write_quantities(picking: dict[str, Any], receipts: list[_Receipt], *, odoo: OdooApi) -> None:
    dialect = odoo.dialect
    qty = dialect.move_line_quantity_field
    for receipt in receipts:
        move = receipt.move
        move_id = int(move["id"])
        if not receipt.lots:
            values: dict[str, Any] = {dialect.move_quantity_field: float(receipt.quantity)}
            if dialect.has_picked:
                values["picked"] = receipt.quantity > 0
            odoo.write("stock.move", [move_id], values)
            continue
        existing = [int(i) for i in move.get("move_line_ids") or []]
        commands: list[list[Any]] = []
        for index, (lot, quantity, expiry) in enumerate(receipt.lots):
            line_values: dict[str, Any] = {"lot_name": lot, qty: float(quantity)}
            if dialect.has_picked:
                line_values["picked"] = True
            if expiry:
                line_values["expiration_date"] = expiry
            if index < len(existing):
                commands.append([1, existing[index], line_values])
            else:
                line_values.update(
                    {
                        "product_id": m2o_id(move.get("product_id")),
                        "product_uom_id": m2o_id(move.get("product_uom")),
                        "location_id": m2o_id(picking.get("location_id")),
                        "location_dest_id": m2o_id(picking.get("location_dest_id")),
                        "picking_id": int(picking["id"]),
                    }
                )
                commands.append([0, 0, line_values])
        commands.extend([2, stale] for stale in existing[len(receipt.lots) :])
        odoo.write("stock.move", [move_id], {"move_line_ids": commands})


def _validate(picking_id: int, *, odoo: OdooApi) -> list[dict[str, Any]]:
    """Validate; keep a backorder when the receipt is partial. Returns the backorders."""
    result = odoo.call("stock.picking", "button_validate", ids=[picking_id])
    if isinstance(result, dict) and result.get("res_model"):
        wizard_model = str(result["res_model"])
        context = result.get("context") or {}
        if wizard_model != BACKORDER_WIZARD:
            raise OdooBusinessError(
                f"validating the receipt opened {wizard_model!r} "
                f"({result.get('name', '')}); finish it in Odoo",
                odoo_name="wizard",
            )
        created = odoo.call(wizard_model, "create", params={"vals_list": [{}]}, context=context)
        wizard_id = int(created[0] if isinstance(created, list) else created)
        odoo.call(wizard_model, "process", ids=[wizard_id], context=context)
    return odoo.search_read(
        "stock.picking", [["backorder_id", "=", picking_id]], ["id", "name", "state"]
    )


def _picking_ref(picking: dict[str, Any]) -> OdooRecordRef:
    return OdooRecordRef(model="stock.picking", id=int(picking["id"]), name=str(picking["name"]))

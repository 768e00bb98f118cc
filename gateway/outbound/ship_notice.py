"""What we tell a customer when their goods leave: the 856/DESADV of a validated delivery.

Pure: the customer's order as it came in (the canonical :class:`PurchaseOrder` of their
850/ORDERS) and the delivery as Odoo recorded it (:class:`DeliveryState`, one
:class:`ShippedUnit` per ``stock.move.line``) in, the canonical :class:`ShipNotice` out.
One line per order line, package and lot, under the customer's line number and item
numbers; each line carries its package's SSCC-18: the package's name when it is one
(18 digits, valid check digit), else made from our GS1 company prefix and the package's
id (:func:`gateway.identifiers.make_sscc`). The maps write shipment → order → pack (one
per SSCC) → item. A partial delivery and its backorder are two deliveries: two notices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.canonical import Party, PurchaseOrder, ShipNotice, ShipNoticeLine, ShipNoticeOrder
from gateway.identifiers import is_sscc, make_sscc


class NotShippable(ValueError):
    """The delivery cannot become a ship notice (names the package or line)."""


@dataclass(frozen=True)
class ShippedUnit:
    """One ``stock.move.line`` of the delivery."""

    sale_line_sequence: int  # the sale order line's sequence = the customer's n-th line
    quantity: Decimal
    package_id: int | None = None
    package_name: str | None = None
    lot_number: str | None = None
    expiry_date: dt.date | None = None


@dataclass(frozen=True)
class DeliveryState:
    """A validated outgoing delivery (``stock.picking``)."""

    name: str
    ship_date: dt.date | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    ship_to: Party | None = None
    ship_from: Party | None = None
    units: list[ShippedUnit] = field(default_factory=list)


def package_sscc(package_id: int, name: str | None, gs1_prefix: str | None) -> str:
    """The SSCC-18 of an Odoo package: its name when that is one, else made from ours."""
    if name and is_sscc(name.strip()):
        return name.strip()
    if not gs1_prefix:
        raise NotShippable(
            f"package {name or package_id} has no SSCC-18 as its name and the profile "
            "has no outbound.ship_notice.gs1_prefix to make one"
        )
    return make_sscc(gs1_prefix, package_id)


def ship_notice(
    asked: PurchaseOrder, delivery: DeliveryState, *, gs1_prefix: str | None = None
) -> ShipNotice:
    """The ship notice of ``delivery`` for the customer's order ``asked``."""
    merged: dict[tuple[str | None, int, str | None], ShipNoticeLine] = {}
    for unit in delivery.units:
        if not 1 <= unit.sale_line_sequence <= len(asked.lines):
            raise NotShippable(
                f"delivery {delivery.name} ships a sale order line (sequence "
                f"{unit.sale_line_sequence}) that is not in customer order {asked.po_number}"
            )
        line = asked.lines[unit.sale_line_sequence - 1]
        sscc = None
        if unit.package_id is not None:
            sscc = package_sscc(unit.package_id, unit.package_name, gs1_prefix)
        key = (sscc, unit.sale_line_sequence, unit.lot_number)
        found = merged.get(key)
        if found is not None:
            merged[key] = found.model_copy(update={"quantity": found.quantity + unit.quantity})
            continue
        merged[key] = ShipNoticeLine(
            po_line_number=line.line_number,
            quantity=unit.quantity,
            uom=line.uom,
            item=line.item,
            lot_number=unit.lot_number,
            expiry_date=unit.expiry_date,
            sscc=sscc,
        )
    return ShipNotice(
        shipment_id=delivery.name,
        ship_date=delivery.ship_date,
        carrier=delivery.carrier,
        tracking_number=delivery.tracking_number,
        ship_to=delivery.ship_to,
        ship_from=delivery.ship_from,
        orders=[ShipNoticeOrder(po_number=asked.po_number, lines=list(merged.values()))],
    )

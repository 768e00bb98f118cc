"""Read a customer's confirmed Odoo sale order as the acknowledgement we owe them, and
its validated deliveries as ship notices (:class:`DeliveryReader`).

The order the customer asked for is the canonical :class:`PurchaseOrder` their 850/ORDERS
was translated into, found by the caller (the pipeline reads the delivery ledger, which
names the sale order each of their orders became, and the stored document of that
transaction: :func:`gateway.pipeline.outbound_kinds.asked_order`). The sale order as it
stands in Odoo (lines by ``sequence``, quantity, unit price, the committed date, whether
the stock moves wait for goods) is compared with it by
:func:`gateway.outbound.acknowledge.acknowledge`.

A sale order no customer's EDI order made (entered by hand, from the web shop) is
:class:`NotFromEdi`: nothing is owed, nothing is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from gateway.canonical import OrderAcknowledgement, Party, PurchaseOrder, ShipNotice
from gateway.odoo.api import OdooApi
from gateway.outbound.acknowledge import SaleOrderState, SoldLine, acknowledge
from gateway.outbound.from_odoo import OrderNotSendable
from gateway.outbound.ship_notice import DeliveryState, NotShippable, ShippedUnit, ship_notice
from gateway.partners.profile import PartnerProfile

#: the customer's order (as translated) that became sale order ``id`` with ``po_number``
AskedOrder = Callable[[int, str], PurchaseOrder | None]

SALE_ORDER_FIELDS = [
    "name",
    "state",
    "partner_id",
    "client_order_ref",
    "commitment_date",
    "date_order",
    "company_id",
    "order_line",
    "write_date",
]
SALE_LINE_FIELDS = ["sequence", "product_id", "product_uom_qty", "price_unit", "display_type"]
WAITING_MOVE_STATES = ("confirmed", "waiting", "partially_available")


class NotFromEdi(Exception):
    """The sale order was not made from this customer's EDI order."""


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    return dt.date.fromisoformat(str(value)[:10])


def _id(value: Any) -> int | None:
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    return int(value) if value else None


class SaleOrderReader:
    """Reads confirmed sale orders of one customer; the company is read once."""

    def __init__(self, odoo: OdooApi, profile: PartnerProfile, asked: AskedOrder) -> None:
        self.odoo = odoo
        self.profile = profile
        self.asked = asked
        self._seller: dict[int, Party] = {}

    def _company(self, company_id: int | None) -> Party | None:
        if company_id is None:
            return None
        if company_id not in self._seller:
            [row] = self.odoo.read("res.company", [company_id], ["partner_id"])
            partner = _id(row.get("partner_id"))
            name = None
            if partner is not None:
                [p] = self.odoo.read("res.partner", [partner], ["name"])
                name = str(p.get("name") or "") or None
            self._seller[company_id] = Party(name=name)
        return self._seller[company_id]

    def read(self, odoo_id: int) -> tuple[OrderAcknowledgement, dict[str, Any]]:
        """The acknowledgement of sale order ``odoo_id`` and the raw order row."""
        document, _, order = self.read_with_state(odoo_id)
        return document, order

    def read_with_state(
        self, odoo_id: int
    ) -> tuple[OrderAcknowledgement, SaleOrderState, dict[str, Any]]:
        """The acknowledgement of sale order ``odoo_id``, the sale order it was made from
        and the raw order row."""
        rows = self.odoo.read("sale.order", [odoo_id], SALE_ORDER_FIELDS)
        if not rows:
            raise OrderNotSendable(str(odoo_id), ["the sale order no longer exists in Odoo"])
        order = rows[0]
        po_number = str(order.get("client_order_ref") or "")
        asked = self.asked(odoo_id, po_number) if po_number else None
        if asked is None:
            raise NotFromEdi(f"sale order {order.get('name')} was not made from an EDI order")
        line_ids = [int(i) for i in order.get("order_line") or []]
        lines = self.odoo.read("sale.order.line", line_ids, SALE_LINE_FIELDS) if line_ids else []
        lines = [x for x in lines if not x.get("display_type") and x.get("product_id")]
        waiting = self._waiting_lines([int(x["id"]) for x in lines])
        sold = [
            SoldLine(
                sequence=int(x.get("sequence") or 0),
                quantity=Decimal(str(x.get("product_uom_qty") or 0)),
                unit_price=Decimal(str(x.get("price_unit") or 0)),
                backordered=int(x["id"]) in waiting,
            )
            for x in lines
        ]
        state = SaleOrderState(
            name=str(order.get("name") or odoo_id),
            lines=sold,
            commitment_date=_date(order.get("commitment_date")),
            ack_date=_date(order.get("write_date")) or dt.date.today(),
            cancelled=order.get("state") == "cancel",
            seller=self._company(_id(order.get("company_id"))),
        )
        return acknowledge(asked, state), state, order

    def _waiting_lines(self, line_ids: list[int]) -> set[int]:
        """Sale order lines whose outgoing stock move still waits for goods."""
        if not line_ids or not self.odoo.dialect.has_field("stock.move", "sale_line_id"):
            return set()
        moves = self.odoo.search_read(
            "stock.move",
            [["sale_line_id", "in", line_ids], ["state", "in", list(WAITING_MOVE_STATES)]],
            ["sale_line_id"],
        )
        return {i for m in moves if (i := _id(m.get("sale_line_id"))) is not None}


class DeliveryReader:
    """Reads a customer's validated outgoing deliveries as ship notices.

    The delivery's sale order (``sale_id``) leads to the customer's order as it came in;
    each move line gives a quantity, its package (``result_package_id``), its lot and
    the lot's expiry date; the carrier (``carrier_id``) and tracking number
    (``carrier_tracking_ref``) come from ``stock_delivery`` when it is installed.
    """

    def __init__(self, odoo: OdooApi, profile: PartnerProfile, asked: AskedOrder) -> None:
        self.odoo = odoo
        self.profile = profile
        self.asked = asked
        settings = profile.outbound.ship_notice
        self.gs1_prefix = settings.gs1_prefix if settings is not None else None

    def read(self, odoo_id: int) -> tuple[ShipNotice, dict[str, Any]]:
        """The ship notice of delivery ``odoo_id`` and the raw picking row."""
        d = self.odoo.dialect
        fields = ["name", "state", "partner_id", "date_done", "write_date"]
        fields += d.fields("stock.picking", "sale_id", "carrier_tracking_ref", "carrier_id")
        rows = self.odoo.read("stock.picking", [odoo_id], fields)
        if not rows:
            raise OrderNotSendable(str(odoo_id), ["the delivery no longer exists in Odoo"])
        picking = rows[0]
        sale_id = _id(picking.get("sale_id"))
        if sale_id is None:
            raise NotFromEdi(f"delivery {picking.get('name')} has no sale order")
        [order] = self.odoo.read("sale.order", [sale_id], ["name", "client_order_ref"])
        po_number = str(order.get("client_order_ref") or "")
        asked = self.asked(sale_id, po_number) if po_number else None
        if asked is None:
            raise NotFromEdi(f"sale order {order.get('name')} was not made from an EDI order")
        quantity = d.field("stock.move.line", "quantity")
        lines = self.odoo.search_read(
            "stock.move.line",
            [["picking_id", "=", odoo_id]],
            ["move_id", "lot_id", "lot_name", "result_package_id", quantity],
            order="result_package_id, id",
        )
        move_ids = sorted({i for x in lines if (i := _id(x.get("move_id"))) is not None})
        moves = {
            int(m["id"]): _id(m.get("sale_line_id"))
            for m in self.odoo.read("stock.move", move_ids, ["sale_line_id"])
        }
        sale_line_ids = sorted({i for i in moves.values() if i is not None})
        sequences = {
            int(x["id"]): int(x.get("sequence") or 0)
            for x in self.odoo.read("sale.order.line", sale_line_ids, ["sequence"])
        }
        lots = self._lots(lines)
        packages = self._packages(lines)
        units: list[ShippedUnit] = []
        for x in lines:
            amount = Decimal(str(x.get(quantity) or 0))
            if amount <= 0:
                continue
            sale_line = moves.get(_id(x.get("move_id")) or 0)
            lot_id = _id(x.get("lot_id"))
            lot_name, expiry = lots.get(lot_id or 0, (str(x.get("lot_name") or "") or None, None))
            package = _id(x.get("result_package_id"))
            units.append(
                ShippedUnit(
                    sale_line_sequence=sequences.get(sale_line or 0, 0),
                    quantity=amount,
                    package_id=package,
                    package_name=packages.get(package or 0),
                    lot_number=lot_name,
                    expiry_date=expiry,
                )
            )
        ship_to = None
        partner = _id(picking.get("partner_id"))
        if partner is not None:
            [p] = self.odoo.read("res.partner", [partner], ["name", "ref"])
            ref = str(p.get("ref") or "")
            gln = ref if len(ref) == 13 and ref.isdigit() else None
            ship_to = Party(name=str(p.get("name") or "") or None, gln=gln)
        carrier = picking.get("carrier_id")
        state = DeliveryState(
            name=str(picking.get("name") or odoo_id),
            ship_date=_date(picking.get("date_done")),
            carrier=str(carrier[1]) if isinstance(carrier, list | tuple) and carrier else None,
            tracking_number=str(picking.get("carrier_tracking_ref") or "") or None,
            ship_to=ship_to,
            units=units,
        )
        try:
            notice = ship_notice(asked, state, gs1_prefix=self.gs1_prefix)
        except (NotShippable, ValueError) as exc:
            raise OrderNotSendable(state.name, [str(exc)]) from exc
        return notice, picking

    def _lots(self, lines: list[dict[str, Any]]) -> dict[int, tuple[str | None, dt.date | None]]:
        ids = sorted({i for x in lines if (i := _id(x.get("lot_id"))) is not None})
        if not ids:
            return {}
        d = self.odoo.dialect
        fields = ["name", *d.fields("stock.lot", "expiration_date")]
        return {
            int(r["id"]): (str(r.get("name") or "") or None, _date(r.get("expiration_date")))
            for r in self.odoo.read("stock.lot", ids, fields)
        }

    def _packages(self, lines: list[dict[str, Any]]) -> dict[int, str]:
        ids = sorted({i for x in lines if (i := _id(x.get("result_package_id"))) is not None})
        if not ids:
            return {}
        return {
            int(r["id"]): str(r.get("name") or "")
            for r in self.odoo.read(self.odoo.dialect.package_model, ids, ["name"])
        }

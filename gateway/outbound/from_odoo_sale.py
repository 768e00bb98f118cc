"""Read a customer's confirmed Odoo sale order as the acknowledgement we owe them.

The order the customer asked for is the canonical :class:`PurchaseOrder` their 850/ORDERS
was translated into: the delivery ledger (``deliveries``) names the sale order each of
their orders became, and the stored document (``documents``) of that transaction is what
they sent. The sale order as it stands in Odoo (lines by ``sequence``, quantity, unit
price, the committed date, whether the stock moves wait for goods) is compared with it by
:func:`gateway.outbound.acknowledge.acknowledge`.

A sale order no customer's EDI order made (entered by hand, from the web shop) is
:class:`NotFromEdi`: nothing is owed, nothing is sent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.canonical import OrderAcknowledgement, Party, PurchaseOrder
from gateway.odoo.api import OdooApi
from gateway.outbound.acknowledge import SaleOrderState, SoldLine, acknowledge
from gateway.outbound.from_odoo import OrderNotSendable
from gateway.partners.profile import PartnerProfile
from gateway.store.models import Delivery, Document

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


def asked_order(
    session: Session, partner_id: str, sale_order_id: int, po_number: str
) -> PurchaseOrder | None:
    """The customer's order (as translated) that became sale order ``sale_order_id``."""
    rows = session.scalars(
        select(Delivery).where(
            Delivery.partner_id == partner_id,
            Delivery.document_type == "purchase_order",
            Delivery.business_key == po_number,
        )
    ).all()
    for delivery in rows:
        if any(
            r.get("model") == "sale.order" and int(r.get("id") or 0) == sale_order_id
            for r in delivery.records or []
        ):
            document = session.scalars(
                select(Document).where(Document.transaction_id == delivery.transaction_id)
            ).first()
            if document is not None:
                return PurchaseOrder.model_validate(document.data)
    return None


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

    def __init__(
        self, odoo: OdooApi, profile: PartnerProfile, sessions: sessionmaker[Session]
    ) -> None:
        self.odoo = odoo
        self.profile = profile
        self.sessions = sessions
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
        rows = self.odoo.read("sale.order", [odoo_id], SALE_ORDER_FIELDS)
        if not rows:
            raise OrderNotSendable(str(odoo_id), ["the sale order no longer exists in Odoo"])
        order = rows[0]
        po_number = str(order.get("client_order_ref") or "")
        with self.sessions() as session:
            asked = asked_order(session, self.profile.id, odoo_id, po_number) if po_number else None
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
        return acknowledge(asked, state), order

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

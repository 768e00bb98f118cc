"""A customer's order as they ask for it now: the 850 / ORDERS that became a sale order,
with every change (860 / ORDCHG) they sent since merged in, in the order received.

Two readers need it: the delivery of a change (which sale order line a changed line is:
the customer's line number's place in the order, :mod:`gateway.odoo.delivery.
sale_order_change`) and the acknowledgement we send (line statuses compared with what
the customer asks for, :mod:`gateway.outbound.acknowledge`). The original order is found
through the delivery ledger (which names the sale order it became) and the stored
document of that transaction; the changes are the stored documents of the partner's
change transactions for the PO number that were delivered or ended in a business
exception (what the customer asked for stays asked, applied or not: the 855 then says
what we did with it), each change sequence once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.canonical import PurchaseOrder
from gateway.odoo.delivery.sale_order_change import merge_change
from gateway.store.models import Delivery, Document, Transaction, TransactionState

CHANGE_STATES = (TransactionState.DELIVERED, TransactionState.BUSINESS_EXCEPTION)


def original_order(
    session: Session, partner_id: str, po_number: str, sale_order_id: int | None = None
) -> PurchaseOrder | None:
    """The customer's order as it came in (the delivered 850 / ORDERS for ``po_number``;
    with ``sale_order_id``, only the one that became that sale order)."""
    rows = session.scalars(
        select(Delivery)
        .where(
            Delivery.partner_id == partner_id,
            Delivery.document_type == "purchase_order",
            Delivery.business_key == po_number,
        )
        .order_by(Delivery.id)
    ).all()
    for delivery in rows:
        if sale_order_id is not None and not any(
            r.get("model") == "sale.order" and int(r.get("id") or 0) == sale_order_id
            for r in delivery.records or []
        ):
            continue
        document = session.scalars(
            select(Document).where(Document.transaction_id == delivery.transaction_id)
        ).first()
        if document is not None:
            return PurchaseOrder.model_validate(document.data)
    return None


def changes_of(
    session: Session, partner_id: str, po_number: str, *, excluding: str | None = None
) -> list[PurchaseOrder]:
    """The customer's changes of ``po_number`` received so far, oldest first, each change
    (business key) once; ``excluding`` leaves out the one being delivered."""
    prefix = f"{po_number}/change/"
    rows = session.execute(
        select(Document.business_key, Document.data)
        .join(Transaction, Transaction.id == Document.transaction_id)
        .where(
            Transaction.partner_id == partner_id,
            Transaction.state.in_(CHANGE_STATES),
            Document.document_type == "purchase_order",
            Document.business_key.startswith(prefix, autoescape=True),
        )
        .order_by(Transaction.id)
    ).all()
    seen: set[str] = set()
    found: list[PurchaseOrder] = []
    for key, data in rows:
        if key in seen or key == excluding:
            continue
        seen.add(key)
        found.append(PurchaseOrder.model_validate(data))
    return found


def asked_order(
    session: Session,
    partner_id: str,
    po_number: str,
    sale_order_id: int | None = None,
    *,
    excluding: str | None = None,
) -> PurchaseOrder | None:
    """The customer's order with their changes merged in (None: no such order of theirs)."""
    order = original_order(session, partner_id, po_number, sale_order_id)
    if order is None:
        return None
    for change in changes_of(session, partner_id, po_number, excluding=excluding):
        order = merge_change(order, change)
    return order

"""What we answer a customer's order with: the 855/ORDRSP of a confirmed sale order.

Pure: the customer's order as it came in (the canonical :class:`PurchaseOrder` stored for
their 850/ORDERS) and the sale order as it stands in Odoo (:class:`SoldLine` per line) in,
the canonical :class:`OrderAcknowledgement` out. Each line the customer asked for is
matched to the sale order line made from it (the 850's n-th line is the sale order line
with ``sequence`` n, as :mod:`gateway.odoo.delivery.sale_order` creates them) and gets a
status by comparing the two:

========  =====================================================  ==========
ACK01     when                                                   status
========  =====================================================  ==========
``IA``    quantity, price and date as asked                      accepted
``IQ``    the quantity differs                                   changed
``IP``    the price differs (the customer sent one)              changed
``DR``    the order's committed delivery date moved from the asked changed
``IC``    more than one of the above                             changed
``IB``    as asked, but the stock cannot cover it yet            backordered
``IR``    no sale order line for it any more (deleted/zero qty)  rejected
``ID``    the customer deleted it (860 / ORDCHG) and so did we   deleted
========  =====================================================  ==========

BAK02 / BGM 1225: ``AD`` (acknowledge, no change) when every line is accepted, ``RJ``
when every line is rejected or the order is cancelled, else ``AC`` (with changes).

When the sale order changes after its acknowledgement was sent, the acknowledgement is
made again and compared with the one sent by :func:`signature` (what the customer was
told: the header status and each line's status, quantity, price and date; not the date
of the acknowledgement): a difference is sent as a replacement (``revision`` 1, 2 ...;
BAK01 ``05`` / BGM 1225 ``5``), :func:`differences` says what moved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from gateway.canonical import (
    AckType,
    LineStatus,
    OrderAcknowledgement,
    OrderAcknowledgementLine,
    Party,
    PurchaseOrder,
    PurchaseOrderLine,
    ScheduleLine,
)

PRICE_TOLERANCE = Decimal("0.005")
# ACK04 (X12 374) of the date we commit to: 067 current schedule delivery
SCHEDULE_QUALIFIER = "067"
STATUS_OF_CODE = {
    "IA": LineStatus.ACCEPTED,
    "IQ": LineStatus.CHANGED,
    "IP": LineStatus.CHANGED,
    "DR": LineStatus.CHANGED,
    "IC": LineStatus.CHANGED,
    "IB": LineStatus.BACKORDERED,
    "IR": LineStatus.REJECTED,
    "ID": LineStatus.DELETED,
}


@dataclass(frozen=True)
class SoldLine:
    """One ``sale.order.line`` as the acknowledgement needs it."""

    sequence: int
    quantity: Decimal
    unit_price: Decimal
    backordered: bool = False  # its stock move waits for goods


@dataclass(frozen=True)
class SaleOrderState:
    """The confirmed sale order: its number, lines and committed date."""

    name: str
    lines: list[SoldLine]
    commitment_date: dt.date | None = None
    ack_date: dt.date | None = None
    cancelled: bool = False
    seller: Party | None = None


def _asked_date(asked: PurchaseOrder, line: PurchaseOrderLine) -> dt.date | None:
    if line.requested_date is not None:
        return line.requested_date
    if line.dates is not None and line.dates.requested_delivery is not None:
        return line.dates.requested_delivery
    return asked.requested_delivery_date


def asked_commitment(asked: PurchaseOrder) -> dt.date | None:
    """The one delivery date the sale order was given for the order (its
    ``commitment_date``): the header's requested date, else the earliest line's. Odoo 17
    keeps no date per sale order line, so a line asking for another date keeps it as
    asked (it is in the line's description) unless the order's date moved."""
    if asked.requested_delivery_date is not None:
        return asked.requested_delivery_date
    dates = [d for line in asked.lines if (d := _asked_date(asked, line)) is not None]
    return min(dates) if dates else None


def line_code(
    asked: PurchaseOrder,
    line: PurchaseOrderLine,
    sold: SoldLine | None,
    commitment: dt.date | None,
) -> str:
    """The ACK01 code of one asked line against the sale order line made from it."""
    if sold is None or sold.quantity <= 0:
        return "ID" if line.quantity <= 0 else "IR"  # deleted by the customer: by us too
    changed = []
    if sold.quantity != line.quantity:
        changed.append("IQ")
    if line.unit_price is not None and abs(sold.unit_price - line.unit_price) > PRICE_TOLERANCE:
        changed.append("IP")
    if commitment is not None and commitment != asked_commitment(asked):
        changed.append("DR")
    if len(changed) > 1:
        return "IC"
    if changed:
        return changed[0]
    return "IB" if sold.backordered else "IA"


def acknowledge(asked: PurchaseOrder, order: SaleOrderState) -> OrderAcknowledgement:
    """The acknowledgement of ``asked`` as ``order`` stands in Odoo."""
    by_sequence = {line.sequence: line for line in order.lines}
    lines: list[OrderAcknowledgementLine] = []
    for index, line in enumerate(asked.lines, start=1):
        sold = None if order.cancelled else by_sequence.get(index)
        code = line_code(asked, line, sold, order.commitment_date)
        status = STATUS_OF_CODE[code]
        quantity = line.quantity if sold is None or code in ("IR", "ID") else sold.quantity
        price = line.unit_price if sold is None else sold.unit_price
        moved = order.commitment_date is not None and order.commitment_date != asked_commitment(
            asked
        )
        date = order.commitment_date if moved else _asked_date(asked, line)
        scheduled = date if code not in ("IR", "ID") else None
        lines.append(
            OrderAcknowledgementLine(
                line_number=line.line_number,
                status=status,
                status_code=code,
                quantity=quantity,
                uom=line.uom,
                unit_price=price,
                scheduled_date=scheduled,
                item=line.item,
                splits=[
                    ScheduleLine(
                        status=status,
                        quantity=quantity,
                        uom=line.uom,
                        date=scheduled,
                        date_qualifier=SCHEDULE_QUALIFIER if scheduled else None,
                    )
                ],
            )
        )
    codes = {line.status_code for line in lines}
    if order.cancelled or codes <= {"IR", "ID"}:
        ack_type = AckType.REJECTED
    elif codes <= {"IA", "ID"}:
        ack_type = AckType.ACCEPTED
    else:
        ack_type = AckType.ACCEPTED_WITH_CHANGES
    buyer = None
    if asked.buyer is not None:
        buyer = Party(name=asked.buyer.name, gln=asked.buyer.gln, duns=asked.buyer.duns)
    return OrderAcknowledgement(
        po_number=asked.po_number,
        ack_type=ack_type,
        ack_date=order.ack_date,
        ack_number=order.name,
        contract_number=asked.contract_number,
        buyer=buyer,
        seller=order.seller,
        lines=lines,
    )


Told = tuple[str, dict[str, tuple[str, str, str, str]]]


def _told(ack: OrderAcknowledgement) -> Told:
    """What an acknowledgement tells the customer: its header status and, per line, the
    status code, quantity, price and date, as comparable text."""
    lines = {
        line.line_number: (
            line.status_code or line.status.value,
            f"{(line.quantity or Decimal(0)).normalize():f}",
            f"{line.unit_price.normalize():f}" if line.unit_price is not None else "",
            line.scheduled_date.isoformat() if line.scheduled_date else "",
        )
        for line in ack.lines
    }
    return ack.ack_type.value, lines


def signature(ack: OrderAcknowledgement) -> str:
    """A digest of what ``ack`` tells the customer (equal: nothing new to tell them)."""
    data = json.dumps(_told(ack), sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


def state_digest(order: SaleOrderState) -> str:
    """A digest of the sale order as the sales desk keeps it: its lines, quantities,
    prices, date, state and seller. Not the day it was last written, and not whether a
    line waits for goods: stock coming and going (the 856s tell what ships) is no reason to
    acknowledge the order again, whenever the poll happens to look."""
    data = {
        "name": order.name,
        "lines": [
            [x.sequence, f"{x.quantity.normalize():f}", f"{x.unit_price.normalize():f}"]
            for x in order.lines
        ],
        "commitment_date": order.commitment_date.isoformat() if order.commitment_date else None,
        "cancelled": order.cancelled,
        "seller": order.seller.model_dump(mode="json") if order.seller is not None else None,
    }  # fmt: skip
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def differences(sent: OrderAcknowledgement, now: OrderAcknowledgement) -> list[str]:
    """What moved between the acknowledgement sent and the one made now, in words."""
    (type_before, before), (type_after, after) = _told(sent), _told(now)
    out: list[str] = []
    if type_before != type_after:
        out.append(f"order {type_before} → {type_after}")
    for number, told in after.items():
        was = before.get(number)
        if was != told:
            code, quantity, price, date = told
            shown = f"{code} {quantity}" + (f" at {price}" if price else "")
            shown += f" by {date}" if date else ""
            out.append(f"line {number}: {shown}" + ("" if was else " (new)"))
    return out

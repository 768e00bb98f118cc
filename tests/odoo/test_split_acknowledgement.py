"""An 855 line acknowledged in parts (two ACKs: part now, part backordered to a later
date) reaches Odoo whole: the quantity is the sum of the parts and the backordered part
moves the planned date, or raises the exception that says so."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway.canonical import LineStatus, OrderAcknowledgementLine, ScheduleLine
from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from tests.odoo.conftest import World, make_profile
from tests.odoo.documents import GLOVE, acknowledgement, purchase_order
from tests.support.odoo_double import OdooDouble


def _split_ack() -> object:
    # ACK*IA*60*EA*068*20300115 and ACK*IB*40*EA*068*20300220 on the 100-glove line
    line = OrderAcknowledgementLine(
        line_number="1",
        status=LineStatus.ACCEPTED,
        quantity=Decimal("60"),
        unit_price=Decimal("7.25"),
        scheduled_date=dt.date(2030, 1, 15),
        item=GLOVE,
        splits=[
            ScheduleLine(
                status=LineStatus.ACCEPTED,
                quantity=Decimal("60"),
                uom="EA",
                date_qualifier="068",
                date=dt.date(2030, 1, 15),
            ),
            ScheduleLine(
                status=LineStatus.BACKORDERED,
                quantity=Decimal("40"),
                uom="EA",
                date_qualifier="068",
                date=dt.date(2030, 2, 20),
            ),
        ],
    )
    return acknowledgement(lines=[line])


def _glove(double: OdooDouble) -> dict:
    return sorted(double.records("purchase.order.line"), key=lambda r: r["id"])[0]


def test_backordered_part_moves_the_planned_date_and_keeps_the_quantity(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    profile = make_profile()  # default policy: acknowledgements may move dates
    deliver(purchase_order(), profile=profile, odoo=odoo_client)
    outcome = deliver(_split_ack(), profile=profile, odoo=odoo_client)  # type: ignore[arg-type]
    glove = _glove(odoo_double)
    # the whole 100 is coming (60 + 40): no quantity change is reported
    assert glove["product_qty"] == 100
    assert not [i for i in outcome.exceptions if "quantity" in i.message]
    # the line is complete when the backordered part arrives
    assert glove["date_planned"] == "2030-02-20 00:00:00"
    [note] = odoo_double.records("mail.message")
    assert "40 backordered to 2030-02-20" in note["body"]


def test_backordered_part_is_an_exception_when_dates_may_not_move(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    profile = make_profile(ack_updates=[])
    deliver(purchase_order(), profile=profile, odoo=odoo_client)
    before = _glove(odoo_double)["date_planned"]
    outcome = deliver(_split_ack(), profile=profile, odoo=odoo_client)  # type: ignore[arg-type]
    [issue] = outcome.exceptions
    assert issue.kind == "changed_line" and issue.line_number == "1"
    assert "40 backordered to 2030-02-20" in issue.message
    assert issue.received == "2030-02-20"
    assert _glove(odoo_double)["date_planned"] == before

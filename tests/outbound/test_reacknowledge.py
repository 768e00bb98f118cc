"""The acknowledgement made again after the sale order changed: what the customer is told
(signature, differences), the customer's deleted line (ID), and the replacing 855 / ORDRSP
the maps write (BAK01 05, BGM 1225 5) through our own validator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.canonical import LineStatus
from gateway.engines import parse_payload
from gateway.outbound import render, write
from gateway.outbound.acknowledge import SoldLine, acknowledge, differences, signature
from tests.outbound.test_change_maps import ENVELOPE
from tests.outbound.test_order_acknowledgement import OUTBOUND, asked, read_back, sale

SOLD = [
    SoldLine(1, Decimal(20), Decimal("8.50")),
    SoldLine(2, Decimal(5), Decimal("13.50")),
    SoldLine(3, Decimal(40), Decimal("4.00")),
    SoldLine(4, Decimal(10), Decimal("2.00")),
    SoldLine(5, Decimal(12), Decimal("3.00")),
    SoldLine(6, Decimal(7), Decimal("1.00")),
]


def test_the_signature_ignores_the_date_of_the_acknowledgement_only() -> None:
    first = acknowledge(asked(), sale(*SOLD))
    later = first.model_copy(update={"ack_date": dt.date(2026, 12, 9), "revision": 2})
    assert signature(first) == signature(later)
    fewer = acknowledge(asked(), sale(SoldLine(1, Decimal(15), Decimal("8.50")), *SOLD[1:]))
    assert signature(fewer) != signature(first)
    assert differences(first, fewer) == [
        "order accepted → accepted_with_changes", "line 1: IQ 15 at 8.5 by 2026-12-10",
    ]  # fmt: skip


def test_a_line_the_customer_deleted_and_we_did_too_is_id() -> None:
    order = asked()
    order.lines[3].quantity = Decimal(0)  # the customer's change deleted line 4
    ack = acknowledge(order, sale(*SOLD[:3], SoldLine(4, Decimal(0), Decimal("2.00")), *SOLD[4:]))
    assert ack.lines[3].status_code == "ID" and ack.lines[3].status is LineStatus.DELETED
    assert ack.lines[3].scheduled_date is None
    assert ack.ack_type.value == "accepted"  # deleted as asked: nothing else to say


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("x12/004010/855", b"BAK*05*AC*MH-5001*"),
        ("x12/005010/855", b"BAK*05*AC*MH-5001*"),
        ("edifact/D96A/ORDRSP", b"BGM+231+S00042+5'"),
        ("edifact/D01B/ORDRSP", b"BGM+231+S00042+5'"),
    ],
)
def test_a_replacing_acknowledgement_says_replace(name: str, marker: bytes) -> None:
    fewer = acknowledge(asked(), sale(SoldLine(1, Decimal(15), Decimal("8.50")), *SOLD[1:]))
    first = write(OUTBOUND.get(name), render(OUTBOUND.get(name), fewer), ENVELOPE)
    assert marker not in first.data  # the first one is an original
    replacing = fewer.model_copy(update={"revision": 1})
    written = write(OUTBOUND.get(name), render(OUTBOUND.get(name), replacing), ENVELOPE)
    assert marker in written.data
    assert not parse_payload(written.data).issues
    back = read_back(name, written.data)
    assert [x.quantity for x in back.lines][:2] == [15, 5]

"""Comparing the order we sent with the order in Odoo now: what goes in the change order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway.canonical import ItemIds, LineChange, PurchaseOrder, PurchaseOrderLine, Purpose
from gateway.outbound.changes import compare


def line(n: int, part: str, qty: str, price: str = "2.50", day: int = 10) -> PurchaseOrderLine:
    return PurchaseOrderLine(
        line_number=str(n),
        quantity=Decimal(qty),
        uom="EA",
        unit_price=Decimal(price),
        item=ItemIds(vendor_part=part, buyer_part=f"OUR-{part}"),
        requested_date=dt.date(2026, 12, day),
    )


def order(*lines: PurchaseOrderLine, **header: object) -> PurchaseOrder:
    day = dt.date(2026, 12, 1)
    return PurchaseOrder(po_number="PO-1", order_date=day, lines=list(lines), **header)  # type: ignore[arg-type]


SENT = order(line(1, "A", "10"), line(2, "B", "5"), line(3, "C", "1"))


def test_nothing_the_supplier_knows_changed_is_no_change() -> None:
    # given Odoo renumbered nothing and changed only what we do not send
    current = order(line(1, "A", "10"), line(2, "B", "5"), line(3, "C", "1"))
    # then there is nothing to tell
    assert compare(SENT, current, cancelled=False) is None


def test_quantity_up_and_down_price_and_date_each_get_their_code() -> None:
    current = order(line(1, "A", "12"), line(2, "B", "5", price="2.75"), line(3, "C", "1", day=20))
    change = compare(SENT, current, cancelled=False)
    assert change is not None and change.purpose is Purpose.CHANGE
    assert [(x.line_number, x.change) for x in change.document.lines] == [
        ("1", LineChange.QUANTITY_INCREASE),
        ("2", LineChange.PRICE),
        ("3", LineChange.DATE),
    ]
    assert change.summary[0] == "line 1 (A): quantity 10 -> 12"
    decrease = compare(SENT, order(line(1, "A", "4"), line(2, "B", "5"), line(3, "C", "1")),
                       cancelled=False)  # fmt: skip
    assert decrease is not None
    assert [x.change for x in decrease.document.lines] == [LineChange.QUANTITY_DECREASE]


def test_two_kinds_of_change_on_one_line_replace_it() -> None:
    current = order(line(1, "A", "12", price="3"), line(2, "B", "5"), line(3, "C", "1"))
    change = compare(SENT, current, cancelled=False)
    assert change is not None
    assert [(x.line_number, x.change) for x in change.document.lines] == [("1", LineChange.REPLACE)]


def test_deleted_line_keeps_its_number_and_later_lines_are_not_renumbered() -> None:
    # given line 2 deleted in Odoo: the reader now numbers C as line 2
    current = order(line(1, "A", "10"), line(2, "C", "1"))
    change = compare(SENT, current, cancelled=False)
    assert change is not None
    # then the change deletes line 2 (B) and leaves C as the supplier's line 3
    found = [
        (x.line_number, x.item.vendor_part, x.change, x.quantity) for x in change.document.lines
    ]
    assert found == [("2", "B", LineChange.DELETED, Decimal(0))]
    assert [(x.line_number, x.item.vendor_part) for x in change.known.lines] == [
        ("1", "A"),
        ("2", "B"),
        ("3", "C"),
    ]
    # and a line added afterwards does not take number 2 again
    later = compare(change.known, order(line(1, "A", "10"), line(2, "C", "1"), line(3, "D", "7")),
                    cancelled=False)  # fmt: skip
    assert later is not None
    assert [(x.line_number, x.item.vendor_part, x.change) for x in later.document.lines] == [
        ("4", "D", LineChange.ADDED)
    ]


def test_added_line_and_quantity_change_together() -> None:
    current = order(line(1, "A", "15"), line(2, "B", "5"), line(3, "C", "1"), line(4, "E", "2"))
    change = compare(SENT, current, cancelled=False)
    assert change is not None
    assert [(x.line_number, x.change) for x in change.document.lines] == [
        ("1", LineChange.QUANTITY_INCREASE),
        ("4", LineChange.ADDED),
    ]
    # the baseline has every line, none marked
    assert [x.change for x in change.known.lines] == [None, None, None, None]
    # comparing the same Odoo order with the new baseline finds nothing more
    assert compare(change.known, current, cancelled=False) is None


def test_header_change_without_line_change_is_a_change_with_no_lines() -> None:
    current = order(
        line(1, "A", "10"), line(2, "B", "5"), line(3, "C", "1"),
        requested_delivery_date=dt.date(2026, 12, 24),
    )  # fmt: skip
    change = compare(SENT, current, cancelled=False)
    assert change is not None
    assert change.document.lines == []
    assert change.document.requested_delivery_date == dt.date(2026, 12, 24)
    assert change.summary == ["requested delivery date changed: None -> 2026-12-24"]


def test_cancelled_order_is_a_cancellation_and_nothing_follows_it() -> None:
    change = compare(SENT, SENT, cancelled=True)
    assert change is not None and change.purpose is Purpose.CANCEL
    assert change.document.lines == []
    assert compare(change.known, order(line(1, "A", "99")), cancelled=False) is None


def test_same_item_twice_pairs_in_order() -> None:
    sent = order(line(1, "A", "10"), line(2, "A", "20"))
    change = compare(sent, order(line(1, "A", "10"), line(2, "A", "25")), cancelled=False)
    assert change is not None
    assert [(x.line_number, x.quantity) for x in change.document.lines] == [("2", Decimal(25))]

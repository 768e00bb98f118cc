"""A customer's change order (860 / ORDCHG) → the sale order its order became, through the
real client over HTTP against the double (the real Odoo 17 proof:
tests/odoo_real/test_sale_order_change.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from gateway.canonical import ItemIds, LineChange, PurchaseOrder, PurchaseOrderLine, Purpose
from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import DeliveryOutcome, deliver
from gateway.odoo.delivery.sale_order_change import merge_change
from tests.odoo.test_sale_order import XREF, Shop, customer_order, customer_profile, seed_shop
from tests.support.odoo_double import OdooDouble


def change_line(
    number: str, change: LineChange, quantity: str = "0", **values: Any
) -> PurchaseOrderLine:
    return PurchaseOrderLine(
        line_number=number, change=change, quantity=Decimal(quantity), uom="EA", **values
    )


def change_order(
    *lines: PurchaseOrderLine, sequence: str = "1", purpose: Purpose = Purpose.CHANGE, **header: Any
) -> PurchaseOrder:
    return PurchaseOrder(
        po_number="MH-5001",
        purpose=purpose,
        change_sequence=sequence,
        lines=list(lines),
        **header,
    )


def _deliver(
    client: OdooClient, document: PurchaseOrder, *, asked: PurchaseOrder | None = None, **sale: Any
) -> DeliveryOutcome:
    return deliver(
        document,
        profile=customer_profile(**sale),
        odoo=client,
        customer_items=XREF,
        asked_order=asked if asked is not None else customer_order(),
    )


def _lines(double: OdooDouble) -> list[dict[str, Any]]:
    return sorted(double.records("sale.order.line"), key=lambda x: x["sequence"])


def _notes(double: OdooDouble) -> list[str]:
    return [m["body"] for m in double.records("mail.message") if m.get("model") == "sale.order"]


def _order(double: OdooDouble, client: OdooClient, **sale: Any) -> dict[str, Any]:
    outcome = deliver(
        customer_order(), profile=customer_profile(**sale), odoo=client, customer_items=XREF
    )
    assert outcome.exceptions == []
    [order] = double.records("sale.order")
    return order


def test_a_quotation_takes_quantity_date_delete_and_add_once(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    shop: Shop = seed_shop(odoo_double)
    order = _order(odoo_double, odoo_client)
    # when the customer raises gloves to 30, moves syringes, deletes gauze, adds 12 syringes
    change = change_order(
        change_line("1", LineChange.QUANTITY_INCREASE, "30", unit_price=Decimal("8.50")),
        change_line("2", LineChange.DATE, requested_date=dt.date(2026, 12, 20)),
        change_line("3", LineChange.DELETED, item=ItemIds(buyer_part="M-778")),
        change_line("4", LineChange.ADDED, "12", item=ItemIds(vendor_part="SYR-1")),
        requested_delivery_date=dt.date(2026, 12, 12),
    )
    outcome = _deliver(odoo_client, change)
    # then the quotation says so, line by line, and the prices agree
    assert outcome.exceptions == [], outcome.exceptions
    lines = _lines(odoo_double)
    assert [(x["sequence"], x["product_id"][0], x["product_uom_qty"]) for x in lines] == [
        (1, shop.glove_id, 30.0), (2, shop.syringe_id, 5.0), (4, shop.syringe_id, 12.0),
    ]  # fmt: skip
    assert lines[1]["name"].endswith("Requested delivery: 2026-12-20")
    [order] = odoo_double.records("sale.order")
    assert order["state"] == "draft" and order["commitment_date"] == "2026-12-12 00:00:00"
    [note] = _notes(odoo_double)
    assert "applied" in note and "line 1 quantity 20 → 30" in note and "line 3 deleted" in note
    assert [r.name for r in outcome.records] == [order["name"]]
    # and the same change again (a replay past the ledger) changes nothing
    again = _deliver(odoo_client, change)
    assert again.already_existed and again.exceptions == []
    assert _lines(odoo_double) == lines and len(_notes(odoo_double)) == 1


def test_a_price_the_pricelist_does_not_give_is_an_exception_after_the_change(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    _order(odoo_double, odoo_client)
    change = change_order(change_line("2", LineChange.PRICE, "5", unit_price=Decimal("12.00")))
    outcome = _deliver(odoo_client, change)
    [issue] = outcome.exceptions
    assert issue.kind == "customer_price_mismatch" and issue.line_number == "2"
    assert issue.expected == "13.5" and issue.received == "12.00"
    assert _lines(odoo_double)[1]["price_unit"] == 13.5  # our price stays


def test_a_confirmed_order_under_review_is_left_unchanged_with_one_exception_per_line(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    order = _order(odoo_double, odoo_client, confirm="auto")
    change = change_order(
        change_line("1", LineChange.QUANTITY_INCREASE, "30"),
        change_line("2", LineChange.PRICE, "5", unit_price=Decimal("13.50")),  # no change
    )
    outcome = _deliver(odoo_client, change, confirm="auto")
    [issue] = outcome.exceptions
    assert issue.kind == "customer_changed_order" and issue.line_number == "1"
    assert f"sale order {order['name']} was not changed" in issue.message
    assert "line 1 quantity 20 → 30" in issue.message and "changes is review" in issue.message
    assert _lines(odoo_double)[0]["product_uom_qty"] == 20.0
    # one note on the order saying what was not applied; a resend adds none
    _deliver(odoo_client, change, confirm="auto")
    notes = _notes(odoo_double)
    assert len(notes) == 1 and "was NOT applied" in notes[0]


def test_a_confirmed_order_with_changes_apply_takes_quantities_and_undelivered_deletes(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    _order(odoo_double, odoo_client, confirm="auto", changes="apply")
    change = change_order(
        change_line("1", LineChange.QUANTITY_DECREASE, "15"),
        change_line("3", LineChange.DELETED),
    )
    outcome = _deliver(odoo_client, change, changes="apply")
    assert outcome.exceptions == []
    # the deleted line stays with quantity 0, as Odoo wants for a confirmed order
    assert [x["product_uom_qty"] for x in _lines(odoo_double)] == [15.0, 5.0, 0.0]


def test_a_confirmed_order_takes_all_or_nothing(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    _order(odoo_double, odoo_client, confirm="auto", changes="apply")
    with odoo_double._lock:  # 4 of the syringes already left
        [line] = [
            x for x in odoo_double.odoo.tables["sale.order.line"].values() if x["sequence"] == 2
        ]
        line["qty_delivered"] = 4.0
    change = change_order(
        change_line("1", LineChange.QUANTITY_INCREASE, "30"),
        change_line("2", LineChange.QUANTITY_DECREASE, "3"),
        change_line("5", LineChange.ADDED, "2", item=ItemIds(vendor_part="GAU-1")),
        sequence="2",
    )
    outcome = _deliver(odoo_client, change, changes="apply")
    got = sorted((i.line_number, i.message.split(": ", 1)[1]) for i in outcome.exceptions)
    assert [n for n, _ in got] == ["2", "5"]
    assert "less than the 4 delivered" in got[0][1]
    assert "added to a confirmed sale order" in got[1][1]
    assert [x["product_uom_qty"] for x in _lines(odoo_double)] == [20.0, 5.0, 40.0]


def test_a_change_for_an_order_we_do_not_have_is_order_not_found(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    outcome = _deliver(odoo_client, change_order(change_line("1", LineChange.DELETED)))
    [issue] = outcome.exceptions
    assert issue.kind == "order_not_found" and "MH-5001" in issue.message


def test_a_cancellation_cancels_a_quotation_but_not_a_confirmed_order(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    _order(odoo_double, odoo_client)
    outcome = _deliver(odoo_client, change_order(purpose=Purpose.CANCEL))
    assert outcome.exceptions == []
    [order] = odoo_double.records("sale.order")
    assert order["state"] == "cancel"


def test_a_cancellation_of_a_confirmed_order_is_an_exception(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    _order(odoo_double, odoo_client, confirm="auto")
    outcome = _deliver(odoo_client, change_order(purpose=Purpose.CANCEL), changes="apply")
    [issue] = outcome.exceptions
    assert issue.kind == "customer_changed_order" and "cancelled" in issue.message
    [order] = odoo_double.records("sale.order")
    assert order["state"] == "sale"


def test_merge_change_keeps_each_line_in_its_place() -> None:
    asked = customer_order()
    change = change_order(
        change_line("1", LineChange.QUANTITY_INCREASE, "30"),
        change_line("2", LineChange.PRICE, unit_price=Decimal("13.00")),
        change_line("3", LineChange.DELETED),
        change_line("4", LineChange.ADDED, "12", item=ItemIds(vendor_part="SYR-1")),
    )
    merged = merge_change(asked, change)
    assert [(x.line_number, x.quantity, x.unit_price) for x in merged.lines] == [
        ("1", 30, Decimal("8.50")), ("2", 5, Decimal("13.00")), ("3", 0, Decimal("4.00")),
        ("4", 12, None),
    ]  # fmt: skip
    assert all(x.change is None for x in merged.lines)
    assert merge_change(asked, change_order(purpose=Purpose.CANCEL)) == asked


def test_a_line_deleted_then_added_again_takes_its_old_place(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    shop = seed_shop(odoo_double)
    _order(odoo_double, odoo_client)
    deleted = change_order(change_line("3", LineChange.DELETED))
    assert _deliver(odoo_client, deleted).exceptions == []
    # the customer's order as asked after the first change keeps line 3 (quantity 0)
    asked = merge_change(customer_order(), deleted)
    again = change_order(
        change_line("3", LineChange.ADDED, "25", item=ItemIds(vendor_part="GAU-1")),
        change_line("4", LineChange.ADDED, "2", item=ItemIds(vendor_part="SYR-1")),
        sequence="2",
    )
    assert _deliver(odoo_client, again, asked=asked).exceptions == []
    got = [(x["sequence"], x["product_id"][0], x["product_uom_qty"]) for x in _lines(odoo_double)]
    assert got == [
        (1, shop.glove_id, 20.0), (2, shop.syringe_id, 5.0), (3, shop.gauze_id, 25.0),
        (4, shop.syringe_id, 2.0),
    ]  # fmt: skip

"""Contract prices from Odoo's vendor pricelist and contract references (issue 20, item 1).

The selection rule is Odoo 17's ``_select_seller`` (checked against its source, see
gateway/odoo/delivery/contract.py); deliveries run against the Odoo double through the
real client (tests/odoo_real/test_contract_prices_real.py runs them on a real Odoo 17).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from gateway.odoo.delivery.contract import select_seller
from tests.odoo.conftest import World, make_profile
from tests.odoo.documents import acknowledgement, invoice, purchase_order, ship_notice
from tests.support.odoo_double import OdooDouble

PROFILE = make_profile()
DAY = dt.date(2026, 11, 22)


def _row(id_: int, price: float, **values: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "partner_id": [1, "ACME"],
        "product_id": False,
        "sequence": 1,
        "min_qty": 0.0,
        "price": price,
        "date_start": False,
        "date_end": False,
        "company_id": False,
        **values,
    }


def _pick(rows: list[dict[str, Any]], quantity: str = "10", **kw: Any) -> int | None:
    found = select_seller(
        rows,
        product_id=kw.pop("product_id", 7),
        quantity=Decimal(quantity),
        day=kw.pop("day", DAY),
        company_id=kw.pop("company_id", 1),
    )
    return int(found["id"]) if found else None


def test_select_seller_follows_odoo_17() -> None:
    # the cheapest line in force wins, whatever its sequence (sort: price_discounted,
    # sequence, id), once dates, quantity, variant and company have filtered
    rows = [_row(1, 9.0), _row(2, 8.0, sequence=5), _row(3, 8.0, sequence=2)]
    assert _pick(rows) == 3
    # a discount counts: 10.00 at 25 % is cheaper than 8.00
    assert _pick([*rows, _row(4, 10.0, discount=25.0)]) == 4
    # min_qty: the 7.00 line from 100 only for 100 or more
    tiered = [_row(1, 8.0), _row(2, 7.0, min_qty=100.0)]
    assert _pick(tiered, "99.99") == 1 and _pick(tiered, "100") == 2
    assert _pick(tiered, "99.999") == 2  # float_compare at 2 digits, as Odoo
    # dates: an expired or not yet started line is not used; the ends are inclusive
    dated = [
        _row(1, 9.0),
        _row(2, 6.0, date_end="2026-11-21"),
        _row(3, 7.0, date_start="2026-11-23"),
    ]
    assert _pick(dated) == 1
    assert _pick(dated, day=dt.date(2026, 11, 21)) == 2
    assert _pick(dated, day=dt.date(2026, 11, 23)) == 3
    # variant lines only for their variant; another company's line is not used
    other = [_row(1, 9.0), _row(2, 5.0, product_id=[8, "other variant"])]
    assert _pick(other) == 1 and _pick(other, product_id=8) == 2
    assert _pick([_row(1, 9.0), _row(2, 5.0, company_id=[2, "B"])]) == 1
    assert _pick([_row(1, 9.0, date_end="2020-01-01")]) is None


def _billed_at_order_price_with_contract(
    odoo_double: OdooDouble, odoo_client: OdooClient, contract: dict[str, Any]
) -> Any:
    deliver(purchase_order(), profile=PROFILE, odoo=odoo_client)  # ordered at 7.25
    deliver(ship_notice(), profile=PROFILE, odoo=odoo_client)
    [line] = odoo_double.records("product.supplierinfo")
    with odoo_double._lock:
        odoo_double.odoo.write("product.supplierinfo", [line["id"]], contract)
    return deliver(invoice(), profile=PROFILE, odoo=odoo_client), line["id"]


def test_invoice_above_the_odoo_contract_price_leaves_the_bill_in_draft(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    outcome, line_id = _billed_at_order_price_with_contract(
        odoo_double, odoo_client, {"price": 7.0, "date_end": "2026-12-31"}
    )
    [issue] = outcome.exceptions
    assert issue.kind == "off_contract_price" and issue.line_number == "1"
    assert (issue.expected, issue.received, issue.quantity) == ("7.00", "7.25", "60")
    assert f"vendor price line {line_id} (product.supplierinfo)" in issue.message
    assert issue.contract is not None and "to 2026-12-31" in issue.contract
    [bill] = odoo_double.records("account.move")
    assert bill["state"] == "draft"
    note = odoo_double.records("mail.message")[-1]["body"]
    assert "above the contract price 7.00" in note


def test_an_expired_contract_line_is_not_used(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    outcome, _ = _billed_at_order_price_with_contract(
        odoo_double, odoo_client, {"price": 7.0, "date_end": "2026-11-21"}
    )
    assert outcome.exceptions == []
    assert [b["state"] for b in odoo_double.records("account.move")] == ["posted"]


def test_a_contract_tier_below_the_quantity_is_not_used(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    outcome, _ = _billed_at_order_price_with_contract(
        odoo_double, odoo_client, {"price": 7.0, "min_qty": 61}
    )
    assert outcome.exceptions == []


def test_acknowledged_price_above_contract_is_not_written(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    deliver(purchase_order(), profile=PROFILE, odoo=odoo_client)
    document = acknowledgement()
    document.lines[0].unit_price = Decimal("7.50")  # the vendor's line says 7.25
    document.lines = document.lines[:1]
    outcome = deliver(
        document, profile=make_profile(ack_updates=["dates", "prices"]), odoo=odoo_client
    )
    kinds = sorted(i.kind for i in outcome.exceptions)
    assert kinds == ["changed_line", "off_contract_price"]
    glove = sorted(odoo_double.records("purchase.order.line"), key=lambda r: r["id"])[0]
    assert glove["price_unit"] == 7.25  # not changed, although the profile lets acks
    assert glove["date_planned"] == "2030-01-15 00:00:00"  # the date still is
    note = odoo_double.records("mail.message")[-1]["body"]
    assert "above the contract price, not applied" in note


def test_contract_reference_must_be_an_active_contract_of_the_vendor(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    contracts = [
        {"number": "GPO-2025", "date_end": "2025-12-31"},
        {"number": "GPO-2026", "date_start": "2026-01-01"},
    ]
    profile = make_profile(contracts=contracts)
    deliver(purchase_order(), profile=profile, odoo=odoo_client)
    deliver(ship_notice(), profile=profile, odoo=odoo_client)
    expired = invoice()
    expired.contract_number = "GPO-2025"
    [issue] = deliver(expired, profile=profile, odoo=odoo_client).exceptions
    assert issue.kind == "invalid_contract_reference" and issue.received == "GPO-2025"
    assert "invalid contract reference 'GPO-2025'" in issue.message
    assert "not active on 2026-11-22" in issue.message and issue.expected == "GPO-2026"
    unknown = invoice("INV-2")
    unknown.contract_number = "NOPE-1"
    issues = deliver(unknown, profile=profile, odoo=odoo_client).exceptions
    # (it bills the same goods again: also quantity issues)
    [issue] = [i for i in issues if i.kind == "invalid_contract_reference"]
    assert "is not a contract of this vendor" in issue.message
    ok = acknowledgement(contract_number="GPO-2026")
    ok.lines = ok.lines[:1]
    assert deliver(ok, profile=profile, odoo=odoo_client).exceptions == []

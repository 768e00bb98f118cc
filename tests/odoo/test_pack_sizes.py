"""Unit-of-measure and pack-size consistency: a partner's case of 10 is never received or
billed as Odoo's case of 12, and a quantity that is no whole number of the order's pack
unit is reported instead of being booked as a fraction."""

from __future__ import annotations

from decimal import Decimal

from gateway.canonical import PurchaseOrderLine, ShipNoticeLine
from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from tests.odoo.conftest import World, make_profile
from tests.odoo.documents import GLOVE, invoice, purchase_order, ship_notice
from tests.support.odoo_double import OdooDouble


def _add_case(double: OdooDouble, size: int) -> None:
    """Odoo's unit "Case" holding ``size`` Units (17/18 store the inverse as factor)."""
    [units] = double.odoo.search_read("uom.uom", [["name", "=", "Units"]], ["category_id"])
    double.odoo._insert(
        "uom.uom",
        {
            "name": "Case",
            "category_id": units["category_id"][0],
            "factor": 1 / size,
            "uom_type": "bigger",
        },
    )


def _case_profile(case: str):  # type: ignore[no-untyped-def]
    return make_profile(uom={"EA": "Units", "CA": "Case"}, uom_sizes={"Case": case})


def _ship_cases(quantity: str) -> list[ShipNoticeLine]:
    return [ShipNoticeLine(po_line_number="1", quantity=Decimal(quantity), uom="CA", item=GLOVE)]


def test_case_size_that_odoo_holds_differently_is_a_pack_size_exception(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # given the partner's case is 10 units (profile) but Odoo's Case holds 12
    _add_case(odoo_double, 12)
    profile = _case_profile("10 Units")
    deliver(purchase_order(), profile=profile, odoo=odoo_client)
    # when 5 cases are shipped against the order line in units
    outcome = deliver(ship_notice(lines=_ship_cases("5")), profile=profile, odoo=odoo_client)
    # then the line is an exception naming both units and sizes, and nothing is received
    [issue] = outcome.exceptions
    assert issue.kind == "pack_size_mismatch" and issue.line_number == "1"
    assert "CA is 10 Units" in issue.message and "holds 12 Units" in issue.message
    assert issue.received == "CA=10 Units"
    assert odoo_double.records("purchase.order.line")[0]["qty_received"] == 0.0


def test_case_size_that_agrees_with_odoo_is_converted(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    _add_case(odoo_double, 12)
    profile = _case_profile("12 Units")
    deliver(purchase_order(), profile=profile, odoo=odoo_client)
    outcome = deliver(ship_notice(lines=_ship_cases("5")), profile=profile, odoo=odoo_client)
    assert outcome.exceptions == []
    assert odoo_double.records("purchase.order.line")[0]["qty_received"] == 60.0


def _order_in_dozens():  # type: ignore[no-untyped-def]
    return purchase_order(
        lines=[PurchaseOrderLine(line_number="1", quantity=Decimal("10"), uom="DZ", item=GLOVE)]
    )


def test_quantity_that_is_no_whole_number_of_the_order_pack_is_an_exception(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # given an order in dozens, a unit the profile sizes as a pack
    profile = make_profile(uom_sizes={"Dozens": "12 Units"})
    deliver(_order_in_dozens(), profile=profile, odoo=odoo_client)
    # when 30 units are shipped (2.5 dozens)
    lines = [ShipNoticeLine(po_line_number="1", quantity=Decimal("30"), uom="EA", item=GLOVE)]
    outcome = deliver(ship_notice(lines=lines), profile=profile, odoo=odoo_client)
    # then the line is reported, not received as a fraction of a dozen
    [issue] = outcome.exceptions
    assert issue.kind == "pack_size_mismatch" and issue.line_number == "1"
    assert "30 EA is 2.5 Dozens" in issue.message
    assert odoo_double.records("purchase.order.line")[0]["qty_received"] == 0.0


def test_whole_number_of_the_order_pack_is_received(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    profile = make_profile(uom_sizes={"Dozens": "12 Units"})
    deliver(_order_in_dozens(), profile=profile, odoo=odoo_client)
    lines = [ShipNoticeLine(po_line_number="1", quantity=Decimal("36"), uom="EA", item=GLOVE)]
    outcome = deliver(ship_notice(lines=lines), profile=profile, odoo=odoo_client)
    assert outcome.exceptions == []
    assert odoo_double.records("purchase.order.line")[0]["qty_received"] == 3.0


def test_bill_in_a_case_odoo_sizes_differently_is_an_exception(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    _add_case(odoo_double, 12)
    profile = _case_profile("10 Units")
    deliver(purchase_order(), profile=profile, odoo=odoo_client)
    document = invoice()
    document.lines[0].quantity = Decimal("5")
    document.lines[0].uom = "CA"
    outcome = deliver(document, profile=profile, odoo=odoo_client)
    kinds = [(i.kind, i.line_number) for i in outcome.exceptions]
    assert ("pack_size_mismatch", document.lines[0].line_number) in kinds

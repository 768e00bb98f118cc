"""A customer's 850 → ``sale.order``, through the real client over HTTP, against the double.

The double prices sale order lines from the customer's pricelist as Odoo 17 does for the
simple rules (fixed, percentage); the real Odoo 17 proof is tests/odoo_real/test_sale_order.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from gateway.canonical import ItemIds, Party, PurchaseOrder, PurchaseOrderLine, Purpose, SourceRef
from gateway.customer_items import CustomerItemRef
from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver, plan_delivery
from gateway.odoo.errors import OdooConfigurationError
from gateway.partners.profile import PartnerProfile
from tests.support.odoo_double import OdooDouble

SHIP_GLN = "0614141000012"


@dataclass(frozen=True)
class Shop:
    """A distributor's Odoo with one hospital customer."""

    customer_id: int
    dock_id: int  # the customer's delivery address, GLN SHIP_GLN as its reference
    glove_id: int  # GLV-1, GTIN 00017953755437, list 9.00; pricelist 8.50 from 10
    syringe_id: int  # SYR-1, list 15.00; pricelist 10% off = 13.50
    gauze_id: int  # GAU-1, list 4.00, no pricelist rule


def seed_shop(double: OdooDouble) -> Shop:
    odoo = double.odoo
    with double._lock:
        pricelist = odoo.create("product.pricelist", {"name": "Mercy contract", "currency_id": 1})
        customer = odoo.create(
            "res.partner",
            {
                "name": "Mercy Hospital",
                "ref": "MERCY",
                "is_company": True,
                "customer_rank": 1,
                "property_product_pricelist": pricelist,
            },
        )
        dock = odoo.create(
            "res.partner",
            {
                "name": "Mercy receiving dock",
                "ref": SHIP_GLN,
                "parent_id": customer,
                "type": "delivery",
            },
        )
    glove = double.add_product("Nitrile glove M", default_code="GLV-1", barcode="0017953755437")
    syringe = double.add_product("Syringe 5 ml", default_code="SYR-1")
    gauze = double.add_product("Gauze 4x4", default_code="GAU-1")
    with double._lock:
        for product, price in ((glove, 9.0), (syringe, 15.0), (gauze, 4.0)):
            odoo.write("product.product", [product], {"list_price": price})
        odoo.create(
            "product.pricelist.item",
            {
                "pricelist_id": pricelist,
                "applied_on": "0_product_variant",
                "product_id": glove,
                "min_quantity": 10,
                "compute_price": "fixed",
                "fixed_price": 8.5,
            },
        )
        odoo.create(
            "product.pricelist.item",
            {
                "pricelist_id": pricelist,
                "applied_on": "0_product_variant",
                "product_id": syringe,
                "compute_price": "percentage",
                "percent_price": 10,
            },
        )
    return Shop(customer, dock, glove, syringe, gauze)


def customer_profile(**sale_order: Any) -> PartnerProfile:
    return PartnerProfile.model_validate(
        {
            "id": "mercy",
            "name": "Mercy Hospital",
            "role": "customer",
            "x12": {"isa_qualifier": "ZZ", "isa_id": "MERCYHOSP"},
            "odoo": {"customer_ref": "MERCY", "uom": {"EA": "Units"}, "sale_order": sale_order},
        }
    )


XREF = {"M-778": CustomerItemRef("M-778", "GAU-1", "default_code", 2)}


def customer_order(po_number: str = "MH-5001", **changes: Any) -> PurchaseOrder:
    """Three lines: gloves by GTIN, syringes by our part number, gauze by their number."""
    values: dict[str, Any] = {
        "source": SourceRef(
            syntax="x12",
            sender_id="MERCYHOSP",
            interchange_control_number="000000501",
            transaction_control_number="0001",
            transaction_set="850",
        ),
        "po_number": po_number,
        "order_date": dt.date(2026, 12, 1),
        "ship_to": Party(name="Mercy receiving dock", gln=SHIP_GLN),
        "requested_delivery_date": dt.date(2026, 12, 10),
        "lines": [
            PurchaseOrderLine(
                line_number="1",
                quantity=Decimal("20"),
                uom="EA",
                unit_price=Decimal("8.50"),
                item=ItemIds(gtin="00017953755437"),
            ),
            PurchaseOrderLine(
                line_number="2",
                quantity=Decimal("5"),
                uom="EA",
                unit_price=Decimal("13.50"),
                item=ItemIds(vendor_part="SYR-1"),
                requested_date=dt.date(2026, 12, 17),
            ),
            PurchaseOrderLine(
                line_number="3",
                quantity=Decimal("40"),
                uom="EA",
                unit_price=Decimal("4.00"),
                item=ItemIds(buyer_part="M-778"),
            ),
        ],
    }
    values.update(changes)
    return PurchaseOrder.model_validate(values)


def _deliver(client: OdooClient, document: PurchaseOrder, **sale_order: Any) -> Any:
    return deliver(
        document, profile=customer_profile(**sale_order), odoo=client, customer_items=XREF
    )


def test_customer_order_becomes_a_quotation_with_customer_address_lines_and_dates(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    shop = seed_shop(odoo_double)
    # when a customer's 850 is delivered with the default policy (review)
    outcome = _deliver(odoo_client, customer_order())
    # then a quotation for the customer, shipping to the dock, keyed by the PO number
    assert outcome.exceptions == []
    [order] = odoo_double.records("sale.order")
    assert outcome.records[0].model == "sale.order" and outcome.records[0].id == order["id"]
    assert order["partner_id"][0] == shop.customer_id
    assert order["partner_shipping_id"][0] == shop.dock_id
    assert order["client_order_ref"] == "MH-5001"
    assert order["state"] == "draft"
    assert order["commitment_date"] == "2026-12-10 00:00:00"
    assert order["origin"] == "EDI 850 000000501"
    lines = sorted(odoo_double.records("sale.order.line"), key=lambda x: x["sequence"])
    assert [(x["product_id"][0], x["product_uom_qty"], x["price_unit"]) for x in lines] == [
        (shop.glove_id, 20.0, 8.5),  # the pricelist's price for 20 (fixed from 10)
        (shop.syringe_id, 5.0, 13.5),  # 10% off 15.00
        (shop.gauze_id, 40.0, 4.0),  # found by their part number through the xref
    ]
    # the line asking for another date says so in its description
    assert lines[1]["name"].endswith("Requested delivery: 2026-12-17")
    assert "Requested delivery" not in lines[0]["name"]
    # and nothing was confirmed
    assert odoo_double.records("stock.picking") == []


def test_auto_confirm_confirms_when_every_check_passes(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    outcome = _deliver(odoo_client, customer_order(), confirm="auto")
    assert outcome.exceptions == [] and "confirmed" in outcome.notes
    [order] = odoo_double.records("sale.order")
    assert order["state"] == "sale"
    [picking] = odoo_double.records("stock.picking")
    assert picking["picking_type_code"] == "outgoing" and picking["sale_id"][0] == order["id"]


def test_a_price_difference_leaves_a_quotation_with_the_exception(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    # given a customer price of 8.00 where their pricelist says 8.50 for 20 gloves
    document = customer_order()
    document.lines[0].unit_price = Decimal("8.00")
    # when delivered with auto-confirm
    outcome = _deliver(odoo_client, document, confirm="auto")
    # then the order stays a quotation, and the exception names the line and both prices
    [issue] = outcome.exceptions
    assert issue.kind == "customer_price_mismatch" and issue.line_number == "1"
    assert issue.expected == "8.5" and issue.received == "8.00"
    assert "line 1" in issue.message and "8.00" in issue.message and "8.5" in issue.message
    [order] = odoo_double.records("sale.order")
    assert order["state"] == "draft"
    # Odoo's price stays on the line; the quotation's chatter says what to review
    [glove_line] = [x for x in odoo_double.records("sale.order.line") if x["sequence"] == 1]
    assert glove_line["price_unit"] == 8.5
    notes = [m for m in odoo_double.records("mail.message") if m["model"] == "sale.order"]
    assert len(notes) == 1 and "review before confirming" in notes[0]["body"]
    assert "8.00" in notes[0]["body"]


def test_price_for_a_smaller_quantity_is_the_list_price(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    # 5 gloves: under the pricelist's minimum of 10, so the sales price 9.00 applies
    document = customer_order()
    document.lines[0].quantity = Decimal("5")
    outcome = _deliver(odoo_client, document, confirm="auto")
    [issue] = outcome.exceptions
    assert issue.kind == "customer_price_mismatch" and issue.expected == "9"


def test_a_resent_order_never_makes_a_second_sale_order(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    first = _deliver(odoo_client, customer_order(), confirm="auto")
    again = _deliver(odoo_client, customer_order(), confirm="auto")
    assert again.already_existed and again.exceptions == []
    assert [r.id for r in again.records] == [first.records[0].id]
    assert len(odoo_double.records("sale.order")) == 1
    assert any("already in Odoo" in note for note in again.notes)


def test_an_interrupted_create_is_found_by_client_order_ref(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    # given the decision was made, then the first attempt created the order and the
    # answer was lost (the plan is replayed, not made again)
    from gateway.odoo.delivery import apply_plan

    seed_shop(odoo_double)
    plan = plan_delivery(
        customer_order(),
        profile=customer_profile(confirm="auto"),
        odoo=odoo_client,
        customer_items=XREF,
    )
    apply_plan(plan.model_copy(deep=True), odoo_client)
    # when the recorded plan is applied again
    outcome = apply_plan(plan.model_copy(deep=True), odoo_client)
    # then the same order is found, not a second one created
    assert len(odoo_double.records("sale.order")) == 1
    assert outcome.records[0].id == odoo_double.records("sale.order")[0]["id"]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (ItemIds(buyer_part="NOT-MAPPED"), "customer part=NOT-MAPPED (not in the cross-reference"),
        (ItemIds(vendor_part="NOPE-1"), "our part=NOPE-1"),
        (ItemIds(gtin="09999999999994"), "gtin=09999999999994"),
    ],
)
def test_unknown_item_creates_nothing_and_names_the_line(
    odoo_double: OdooDouble, odoo_client: OdooClient, item: ItemIds, expected: str
) -> None:
    seed_shop(odoo_double)
    document = customer_order()
    document.lines[2].item = item
    outcome = _deliver(odoo_client, document)
    [issue] = outcome.exceptions
    assert issue.kind == "unknown_item" and issue.line_number == "3"
    assert expected in issue.message
    assert odoo_double.records("sale.order") == []


def test_unknown_customer_is_a_business_exception(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    profile = customer_profile().model_copy(
        update={"odoo": customer_profile().odoo.model_copy(update={"customer_ref": "NOBODY"})}  # type: ignore[union-attr]
    )
    outcome = deliver(customer_order(), profile=profile, odoo=odoo_client, customer_items=XREF)
    [issue] = outcome.exceptions
    assert issue.kind == "unknown_customer" and "'NOBODY'" in issue.message
    assert odoo_double.records("sale.order") == []


def test_unknown_ship_to_names_the_gln(odoo_double: OdooDouble, odoo_client: OdooClient) -> None:
    seed_shop(odoo_double)
    document = customer_order(ship_to=Party(name="Mercy east wing", gln="0614141000029"))
    outcome = _deliver(odoo_client, document)
    [issue] = outcome.exceptions
    assert issue.kind == "unknown_ship_to" and issue.received == "0614141000029"
    assert "GLN 0614141000029" in issue.message and "Mercy east wing" in issue.message
    assert odoo_double.records("sale.order") == []


def test_a_ship_to_of_another_customer_is_not_used(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    shop = seed_shop(odoo_double)
    with odoo_double._lock:
        other = odoo_double.odoo.create("res.partner", {"name": "Other", "ref": "OTHER"})
        odoo_double.odoo.create(
            "res.partner",
            {"name": "Other dock", "ref": "0614141000036", "parent_id": other, "type": "delivery"},
        )
    outcome = _deliver(odoo_client, customer_order(ship_to=Party(gln="0614141000036")))
    assert [i.kind for i in outcome.exceptions] == ["unknown_ship_to"]
    assert shop.customer_id != other


def test_a_changed_850_for_a_confirmed_order_raises_an_exception_and_changes_nothing(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    _deliver(odoo_client, customer_order(), confirm="auto")
    [order] = odoo_double.records("sale.order")
    # an 850 that says change (BEG01 04) restates the order: line 1 is now 30
    change = customer_order(
        purpose=Purpose.CHANGE,
        source=SourceRef(
            syntax="x12",
            sender_id="MERCYHOSP",
            interchange_control_number="000000502",
            transaction_control_number="0001",
            transaction_set="850",
        ),
    )
    change.lines[0].quantity = Decimal("30")
    outcome = _deliver(odoo_client, change, confirm="auto")
    # with the default policy (changes: review) the changed line is an exception
    [issue] = outcome.exceptions
    assert issue.kind == "customer_changed_order" and issue.line_number == "1"
    assert issue.message.startswith("customer order MH-5001, line 1: line 1 quantity 20 → 30")
    assert issue.message.endswith(f"sale order {order['name']} was not changed")
    # the order is untouched and carries one note; the same change again adds none
    lines = sorted(odoo_double.records("sale.order.line"), key=lambda x: x["sequence"])
    assert lines[0]["product_uom_qty"] == 20.0
    _deliver(odoo_client, change, confirm="auto")
    notes = [m for m in odoo_double.records("mail.message") if m["model"] == "sale.order"]
    assert len(notes) == 1 and "was NOT applied" in notes[0]["body"]


def test_a_customer_only_partners_acknowledgement_is_a_configuration_error(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    from tests.odoo.documents import acknowledgement

    with pytest.raises(OdooConfigurationError, match="comes from a supplier"):
        plan_delivery(acknowledgement(), profile=customer_profile(), odoo=odoo_client)


def test_a_partner_with_both_roles_sends_orders_as_a_customer(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    profile = PartnerProfile.model_validate(
        {
            "id": "mercy",
            "name": "Mercy Hospital",
            "roles": ["supplier", "customer"],
            "x12": {"isa_qualifier": "ZZ", "isa_id": "MERCYHOSP"},
            "odoo": {"vendor_ref": "MERCY", "uom": {"EA": "Units"}},
        }
    )
    outcome = deliver(customer_order(), profile=profile, odoo=odoo_client, customer_items=XREF)
    assert [r.model for r in outcome.records] == ["sale.order"]
    assert odoo_double.records("purchase.order") == []


def test_the_dry_run_makes_the_sale_order_from_synthetic_master_data(tmp_path: Any) -> None:
    from gateway.odoo.dryrun import DryRunOdoo

    dry = DryRunOdoo(tmp_path / "dry")
    outcome = deliver(
        customer_order(), profile=customer_profile(confirm="auto"), odoo=dry, customer_items=XREF
    )
    # nothing to review: the dry run makes up the customer, its dock and the products,
    # and says it did not compare prices
    assert outcome.exceptions == []
    assert any(n.startswith("prices not compared (the dry run has") for n in outcome.notes)
    [order] = dry.memory.search_read(
        "sale.order", [], ["client_order_ref", "state", "partner_shipping_id"]
    )
    assert order["client_order_ref"] == "MH-5001" and order["state"] == "sale"
    [dock] = dry.memory.read("res.partner", [order["partner_shipping_id"][0]], ["ref", "type"])
    assert dock["ref"] == SHIP_GLN and dock["type"] == "delivery"
    # a second run (new process) finds the order in the saved state
    again = deliver(
        customer_order(),
        profile=customer_profile(),
        odoo=DryRunOdoo(tmp_path / "dry"),
        customer_items=XREF,
    )
    assert again.already_existed


def test_odoo_check_checks_a_customer_and_sale_stock(start_odoo_double: Any) -> None:
    # the double has no res.users, so the login step of check_odoo is left out here (the
    # whole check runs against the real Odoo in tests/odoo_real/test_sale_order.py)
    from gateway.odoo.check import PartnerOdoo, _check_modules, _check_partner
    from gateway.odoo.memory import REQUIRED_MODULES

    for modules, installed in (
        (REQUIRED_MODULES, False),
        ((*REQUIRED_MODULES, "sale_stock"), True),
    ):
        double = start_odoo_double(17, modules=modules)
        seed_shop(double)
        client = OdooClient(double.url, double.db, double.user, password=double.password)
        partner = PartnerOdoo.from_profile(customer_profile())
        assert partner is not None and partner.roles == ("customer",)
        found: list[Any] = []
        _check_modules(client, found, customers=True)
        _check_partner(client, client.dialect, partner, {}, found)
        client.close()
        results = {r.name: r for r in found}
        assert results["module sale_stock"].ok is installed
        if not installed:
            assert "install the module sale_stock" in results["module sale_stock"].fix
        # the customer is found by its reference, and its pricelist named; no vendor check
        assert results["mercy: customer"].ok
        assert "'MERCY' is #" in results["mercy: customer"].detail
        assert results["mercy: customer pricelist"].detail == (
            "orders are priced and checked with 'Mercy contract'"
        )
        assert "mercy: vendor" not in results


def test_lines_by_ndc_and_hibcc_and_a_bad_check_digit(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    from gateway.identifiers import hibcc_check_character

    shop = seed_shop(odoo_double)
    hibcc = "+A123CATH201" + hibcc_check_character("+A123CATH201")
    drug = odoo_double.add_product("Heparin 5000 IU", default_code="HEP-1", barcode="12345678901")
    catheter = odoo_double.add_product("IV catheter 20G", default_code="CAT-1", barcode=hibcc)
    document = customer_order()
    document.lines[0].item = ItemIds(ndc="12345-6789-01")
    document.lines[1].item = ItemIds(hibcc=hibcc[1:])  # sent without its leading +
    document.lines[0].unit_price = document.lines[1].unit_price = None
    outcome = _deliver(odoo_client, document)
    assert outcome.exceptions == []
    lines = sorted(odoo_double.records("sale.order.line"), key=lambda x: x["sequence"])
    assert [x["product_id"][0] for x in lines] == [drug, catheter, shop.gauze_id]
    # a GTIN with a wrong check digit is named as such, never "unknown item"
    bad = customer_order("MH-5002")
    bad.lines[0].item = ItemIds(gtin="00017953755431")
    [issue] = _deliver(odoo_client, bad).exceptions
    assert issue.kind == "invalid_item_id" and issue.line_number == "1"
    assert "check digit is 1" in issue.message


def test_an_order_in_another_currency_than_the_pricelist_is_an_exception(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    seed_shop(odoo_double)
    outcome = _deliver(odoo_client, customer_order(currency="EUR"), confirm="auto")
    [issue] = outcome.exceptions
    assert issue.kind == "customer_price_mismatch"
    assert (issue.expected, issue.received) == ("USD", "EUR")
    assert "is in EUR, the customer's pricelist in Odoo is in USD" in issue.message
    [order] = odoo_double.records("sale.order")
    assert order["state"] == "draft"
    # the same currency as the pricelist is no issue
    assert _deliver(odoo_client, customer_order("MH-5002", currency="usd")).exceptions == []

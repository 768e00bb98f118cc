"""Item identity checks in delivery: a wrong check digit is a business exception naming
the line (never "unknown item"), and an NDC is found whatever form Odoo stores it in."""

from __future__ import annotations

from decimal import Decimal

from gateway.canonical import InvoiceLine, ItemIds, PurchaseOrderLine
from gateway.identifiers import hibcc_check_character
from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from tests.odoo.conftest import World, make_profile
from tests.odoo.documents import GLOVE, invoice, purchase_order
from tests.support.odoo_double import OdooDouble

BY_IDS = make_profile(item_lookup=["vendor_part", "gtin", "ndc", "hibcc", "default_code"])


def order_of(*items: ItemIds, po_number: str = "PO-1001") -> object:
    return purchase_order(
        po_number,
        lines=[
            PurchaseOrderLine(line_number=str(n), quantity=Decimal("5"), uom="EA", item=item)
            for n, item in enumerate(items, start=1)
        ],
    )


def test_a_gtin_with_a_wrong_check_digit_names_its_line(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # given an order whose second line carries the glove's GTIN with one digit mistyped
    wrong = ItemIds(vendor_part="VP-GLV", gtin="00017953755431")
    outcome = deliver(order_of(GLOVE, wrong), profile=BY_IDS, odoo=odoo_client)
    # then nothing is created and the exception says what is wrong on which line,
    # even though its vendor part alone would have found the glove
    assert odoo_double.records("purchase.order") == []
    [issue] = outcome.exceptions
    assert issue.kind == "invalid_item_id" and issue.line_number == "2"
    assert issue.message == (
        "line 2: GTIN '00017953755431' check digit is 1, the digits before it give 7"
    )
    assert issue.received == "gtin=00017953755431"


def test_a_wrong_gtin_on_an_invoice_is_an_exception_not_an_unknown_item(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    deliver(purchase_order(), profile=BY_IDS, odoo=odoo_client)
    bill = invoice().model_copy(
        update={
            "lines": [
                InvoiceLine(
                    line_number="1",
                    quantity=Decimal("100"),
                    uom="EA",
                    unit_price=Decimal("7.25"),
                    item=ItemIds(gtin="00017953755473"),
                )
            ]
        }
    )
    outcome = deliver(bill, profile=BY_IDS, odoo=odoo_client)
    kinds = [(i.kind, i.line_number) for i in outcome.exceptions]
    assert ("invalid_item_id", "1") in kinds and "unknown_item" not in dict(kinds)


def test_an_ndc_is_found_in_whichever_form_odoo_stores_it(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # given three products whose NDC field holds 11 digits, a dashed 10-digit form and a
    # dashed 11-digit form
    eleven = odoo_double.add_product("Heparin 5000 u/ml", barcode="00409127201")
    ten = odoo_double.add_product("Saline 0.9% 10 ml", barcode="0264-7800-00")
    dashed = odoo_double.add_product("Lidocaine 1% 5 ml", barcode="63323-0485-57")
    # when lines name them as 4-4-2 dashed, as 11 digits and undashed 5-3-2 ten digits
    document = order_of(
        ItemIds(ndc="0409-1272-01"),  # 4-4-2 of 00409-1272-01
        ItemIds(ndc="00264780000"),  # 11 digits of 0264-7800-00
        ItemIds(ndc="6332348557"),  # undashed 10 digits, read as 5-3-2 = 63323-0485-57
    )
    outcome = deliver(document, profile=BY_IDS, odoo=odoo_client)
    # then every line found its product
    assert outcome.exceptions == []
    lines = odoo_double.records("purchase.order.line")
    assert [line["product_id"][0] for line in lines] == [eleven, ten, dashed]


def test_an_undashed_ten_digit_ndc_matching_two_readings_is_ambiguous(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # given two products whose NDCs are two readings of the same ten digits
    odoo_double.add_product("Product A", barcode="01234567890")  # 4-4-2 reading
    odoo_double.add_product("Product B", barcode="12345067890")  # 5-3-2 reading
    outcome = deliver(order_of(ItemIds(ndc="1234567890")), profile=BY_IDS, odoo=odoo_client)
    [issue] = outcome.exceptions
    assert issue.kind == "ambiguous_item" and issue.line_number == "1"
    assert "matches 2 products" in issue.message


def test_hibcc_is_checked_and_found_with_or_without_its_plus(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    good = "+A1234BJC5D6E71K"
    product = odoo_double.add_product("Catheter", barcode=good[1:])
    outcome = deliver(order_of(ItemIds(hibcc=good)), profile=BY_IDS, odoo=odoo_client)
    assert outcome.exceptions == []
    assert odoo_double.records("purchase.order.line")[0]["product_id"][0] == product
    body = "+A1234BJC5D6E71"
    wrong = body + ("G" if hibcc_check_character(body) != "G" else "H")
    outcome = deliver(
        order_of(ItemIds(hibcc=wrong), po_number="PO-1002"), profile=BY_IDS, odoo=odoo_client
    )
    [issue] = outcome.exceptions
    assert issue.kind == "invalid_item_id" and "check character is 'G'" in issue.message

"""The invoice reader on Odoo 17's records (as a real server answers them, held in dicts):
lines under the customer's numbers, a line discount as the line's allowance, a charge line
under the profile's code, taxes per Odoo tax, payment terms per due date with the early
discount (one ITD in X12, two PAT groups in EDIFACT), credit notes, and the refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from gateway.canonical import (
    AllowanceCharge,
    ItemIds,
    PaymentTerms,
    PurchaseOrder,
    PurchaseOrderLine,
    Tax,
)
from gateway.outbound.from_odoo import OrderNotSendable
from gateway.outbound.from_odoo_sale import NotFromEdi
from gateway.outbound.invoice_reader import InvoiceReader, invoice_codes
from gateway.partners.profile import PartnerProfile


class Dialect:
    """Odoo 17 has every field the reader asks for."""

    def fields(self, model: str, *keys: str) -> list[str]:
        return list(keys)


class Records:
    """read / search_read over records by model (the domains the reader uses)."""

    def __init__(self, records: dict[str, dict[int, dict[str, Any]]]) -> None:
        self.records = records
        self.dialect = Dialect()

    def read(self, model: str, ids: list[int], fields: list[str]) -> list[dict[str, Any]]:
        return [{"id": i, **self.records[model][i]} for i in ids if i in self.records[model]]

    def search_read(
        self, model: str, domain: list[Any], fields: list[str], **_: Any
    ) -> list[dict[str, Any]]:
        rows = [{"id": i, **r} for i, r in self.records[model].items()]
        for name, op, value in domain:
            assert op == "="
            rows = [
                r for r in rows if (r[name][0] if isinstance(r[name], list) else r[name]) == value
            ]
        return rows


ORDER = PurchaseOrder(
    po_number="MH-9501",
    lines=[
        PurchaseOrderLine(line_number="1", quantity=Decimal(20), uom="EA",
                          item=ItemIds(gtin="00017953755437")),
        PurchaseOrderLine(line_number="2", quantity=Decimal(5), uom="EA",
                          item=ItemIds(vendor_part="SYR-1")),
    ],
)  # fmt: skip


def odoo(*, refund: bool = False, freight: str = "FRT-1") -> Records:
    tax = [21]
    return Records(
        {
            "account.move": {
                7: {
                    "name": "RINV/2026/00001" if refund else "INV/2026/00007",
                    "move_type": "out_refund" if refund else "out_invoice",
                    "state": "posted", "partner_id": [3, "Mercy"], "invoice_date": "2026-12-06",
                    "invoice_date_due": "2027-01-05", "currency_id": [1, "USD"],
                    "invoice_payment_term_id": [4, "2% 10, Net 30"], "company_id": [1, "Us"],
                    "amount_untaxed": 255.75, "amount_tax": 21.1, "amount_total": 276.85,
                    "invoice_line_ids": [71, 72, 73, 74], "write_date": "2026-12-06 10:00:00",
                    "reversed_entry_id": [6, "INV/2026/00006 (MH-9501)"] if refund else False,
                },
                6: {"name": "INV/2026/00006"},
            },
            "account.move.line": {
                71: {"move_id": [7, "x"], "display_type": "product", "product_id": [11, "Glove"],
                     "name": "Glove", "quantity": 20.0, "price_unit": 8.5, "discount": 0.0,
                     "price_subtotal": 170.0, "tax_ids": tax, "sale_line_ids": [101]},
                72: {"move_id": [7, "x"], "display_type": "product", "product_id": [12, "Syr"],
                     "name": "Syringe", "quantity": 5.0, "price_unit": 13.5, "discount": 10.0,
                     "price_subtotal": 60.75, "tax_ids": tax, "sale_line_ids": [102]},
                73: {"move_id": [7, "x"], "display_type": "product", "product_id": [13, "Frt"],
                     "name": "Freight\nby truck", "quantity": 1.0, "price_unit": 25.0,
                     "discount": 0.0, "price_subtotal": 25.0, "tax_ids": tax,
                     "sale_line_ids": [103]},
                74: {"move_id": [7, "x"], "display_type": "line_note", "product_id": False,
                     "name": "thank you", "sale_line_ids": []},
                75: {"move_id": [7, "x"], "display_type": "tax", "tax_line_id": [21, "8.25%"],
                     "amount_currency": 21.1 if refund else -21.1},
                76: {"move_id": [7, "x"], "display_type": "payment_term",
                     "tax_line_id": False, "date_maturity": "2027-01-05",
                     "amount_currency": -276.85 if refund else 276.85,
                     "discount_date": "2026-12-16",
                     "discount_amount_currency": -271.31 if refund else 271.31},
            },
            "sale.order.line": {
                101: {"sequence": 1, "order_id": [9, "S00009"]},
                102: {"sequence": 2, "order_id": [9, "S00009"]},
                103: {"sequence": 10, "order_id": [9, "S00009"]},  # added in Odoo
            },
            "sale.order": {9: {"name": "S00009", "client_order_ref": "MH-9501"}},
            "account.tax": {21: {"name": "Sales 8.25%", "amount": 8.25, "amount_type": "percent"}},
            "account.payment.term": {
                4: {"name": "2% 10, Net 30", "early_discount": True, "discount_percentage": 2.0}
            },
            "res.company": {1: {"partner_id": [1, "Meridian Health Supply"]}},
            "product.product": {13: {"default_code": freight, "name": "Freight"}},
        }
    )  # fmt: skip


def profile(syntax: str = "x12") -> PartnerProfile:
    ids = (
        {"x12": {"isa_qualifier": "ZZ", "isa_id": "MERCY"}}
        if syntax == "x12"
        else {"edifact": {"unb_id": "MERCY"}}
    )
    return PartnerProfile.model_validate(
        {"id": "mercy", "name": "Mercy", "role": "customer", **ids,
         "odoo": {"customer_ref": "MERCY", "charges": {"D240": "FRT-1"}},
         "outbound": {"invoice": {"tax_types": {"Sales 8.25%": "ST"}}}}
    )  # fmt: skip


def reader(records: Records, syntax: str = "x12") -> InvoiceReader:
    p = profile(syntax)
    return InvoiceReader(records, p, lambda _id, _po: ORDER, invoice_codes(syntax, p))  # type: ignore[arg-type]


def test_lines_discount_charge_taxes_and_terms_of_an_invoice() -> None:
    invoice, _ = reader(odoo()).read(7)
    assert (invoice.invoice_number, invoice.po_number, invoice.credit_note) == (
        "INV/2026/00007", "MH-9501", False,
    )  # fmt: skip
    assert [(x.line_number, x.quantity, x.unit_price, x.amount) for x in invoice.lines] == [
        ("1", Decimal(20), Decimal("8.5"), None),
        ("2", Decimal(5), Decimal("13.5"), None),  # the price before the discount
    ]
    assert invoice.allowances_charges == [
        AllowanceCharge(kind="charge", code="D240", description="Freight", amount=Decimal(25)),
        AllowanceCharge(kind="allowance", code="C310", description="Discount 10 %",
                        amount=Decimal("6.75"), percent=Decimal(10), line_number="2"),
    ]  # fmt: skip
    assert invoice.taxes == [
        Tax(tax_type="ST", rate=Decimal("8.25"), amount=Decimal("21.10"),
            taxable_amount=Decimal("255.75")),
        Tax(tax_type="ST", rate=Decimal("8.25"), line_number="1"),
        Tax(tax_type="ST", rate=Decimal("8.25"), line_number="2"),
    ]  # fmt: skip
    assert invoice.payment_terms == [
        PaymentTerms(type_code="08", basis_code="3", discount_percent=Decimal(2),
                     discount_due_date=dt.date(2026, 12, 16), discount_days=10,
                     net_due_date=dt.date(2027, 1, 5), net_days=30,
                     discount_amount=Decimal("5.54"), description="2% 10, Net 30"),
    ]  # fmt: skip
    assert invoice.terms == "2% 10, Net 30" and invoice.total_amount == Decimal("276.85")
    assert invoice.seller is not None and invoice.seller.name == "Meridian Health Supply"


def test_edifact_codes_line_amounts_and_one_pat_group_per_term() -> None:
    invoice, _ = reader(odoo(), "edifact").read(7)
    assert [x.amount for x in invoice.lines] == [Decimal("170.00"), Decimal("60.75")]
    assert invoice.allowances_charges[1].code == "DI"
    assert invoice.payment_terms == [
        PaymentTerms(type_code="1", basis_code="5", net_due_date=dt.date(2027, 1, 5),
                     net_days=30),
        PaymentTerms(type_code="22", basis_code="5", discount_percent=Decimal(2),
                     discount_due_date=dt.date(2026, 12, 16), discount_days=10,
                     discount_amount=Decimal("5.54")),
    ]  # fmt: skip


def test_a_credit_note_names_the_invoice_and_has_no_terms() -> None:
    invoice, _ = reader(odoo(refund=True)).read(7)
    assert invoice.credit_note and invoice.original_invoice_number == "INV/2026/00006"
    assert invoice.payment_terms == [] and invoice.terms is None
    assert invoice.taxes[0].amount == Decimal("21.10")  # positive, as on the invoice


def test_a_line_neither_ordered_nor_a_named_charge_is_refused_naming_it() -> None:
    with pytest.raises(OrderNotSendable) as caught:
        reader(odoo(freight="FRT-9")).read(7)
    message = str(caught.value)
    assert "'Freight'" in message and "FRT-9" in message and "odoo.charges" in message


def test_an_invoice_of_no_edi_order_is_not_sent() -> None:
    records = odoo()
    records.records["sale.order"][9]["client_order_ref"] = False
    with pytest.raises(NotFromEdi):
        reader(records).read(7)

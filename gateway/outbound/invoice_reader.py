"""Read a customer's posted invoices and credit notes from Odoo as canonical invoices.

An ``account.move`` of type ``out_invoice`` (or ``out_refund``, a credit note) whose lines
lead through their sale order lines (``sale_line_ids``) to one sale order made from the
customer's 850/ORDERS becomes the :class:`~gateway.canonical.Invoice` the 810/INVOIC maps
write. What comes from where (docs/odoo.md, "Invoices to customers"):

* **lines**: each product line tied to a line of the customer's order is invoiced under
  the customer's line number, unit and item numbers, with Odoo's quantity and unit price
  (before the line's discount); a line's ``discount`` % is a line allowance (the amount it
  takes off, with its percent), its taxes are named on the line (type and percent);
* **charges**: a line tied to no line of the customer's order (freight, handling, a
  negative-price discount line) is a document-level charge (or an allowance when it is
  negative) under the code the partner profile's ``odoo.charges`` gives its product;
  a line whose product is not there cannot be sent (:class:`OrderNotSendable` naming it);
* **taxes**: one per Odoo tax, with the amount of the invoice's tax lines, the tax's
  percent and the untaxed amount it applies to;
* **payment terms**: one per due date of the invoice (its payment-term lines), net days
  and due date, and the early-payment discount (percent, days, date, amount) when the
  terms grant one; the terms' name as the invoice's ``terms``;
* **credit notes**: ``credit_note`` and the invoice it reverses (``reversed_entry_id``).

Codes the partner sees differ by syntax (a discount is SAC02 ``C310`` in X12, ALC
``DI`` in EDIFACT): :class:`InvoiceCodes` holds them, the caller picks the set for the
partner's syntax and the profile may override the tax types and the discount code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from gateway.canonical import (
    AllowanceCharge,
    Invoice,
    InvoiceLine,
    Party,
    PaymentTerms,
    PurchaseOrder,
    Tax,
)
from gateway.odoo.api import OdooApi
from gateway.outbound.from_odoo import OrderNotSendable
from gateway.outbound.from_odoo_sale import AskedOrder, NotFromEdi
from gateway.partners.profile import PartnerProfile

CENT = Decimal("0.01")
MOVE_TYPES = ("out_invoice", "out_refund")
PRODUCT_LINE = (None, False, "product")  # display_type of an invoice line (17: "product")


@dataclass(frozen=True)
class InvoiceCodes:
    """The partner-visible codes an invoice is written with, for one syntax."""

    tax_type: str  # TXI01 (963) / TAX C241 5153 of a tax the profile does not name
    discount: str  # SAC02 (1300) / ALC C214 7161 of a line discount
    terms_basic: str  # ITD01 (336) / PAT 4279: net terms
    terms_discount: str  # ITD01 basic discount offered / PAT discount terms
    terms_basis: str  # ITD02 (333) / PAT C112 2475: counted from the invoice date
    # X12 writes discount and net terms in one ITD; EDIFACT one PAT group for each
    discount_in_own_term: bool
    term_descriptions: bool  # ITD12 carries the terms' name; PAT has no place for it
    line_amounts: bool  # MOA+203 (EDIFACT); the 810's IT1 has no line amount
    tax_types: Mapping[str, str] = field(default_factory=dict)  # Odoo tax name -> code


X12_CODES = InvoiceCodes(
    tax_type="TX",  # all taxes
    discount="C310",  # discount
    terms_basic="01",  # basic
    terms_discount="08",  # basic discount offered
    terms_basis="3",  # invoice date
    discount_in_own_term=False,
    term_descriptions=True,
    line_amounts=False,
)
EDIFACT_CODES = InvoiceCodes(
    tax_type="VAT",
    discount="DI",  # EANCOM 7161 discount
    terms_basic="1",  # basic
    terms_discount="22",  # discount
    terms_basis="5",  # date of invoice
    discount_in_own_term=True,
    term_descriptions=False,
    line_amounts=True,
)
CODES = {"x12": X12_CODES, "edifact": EDIFACT_CODES}


def invoice_codes(syntax: str, profile: PartnerProfile) -> InvoiceCodes:
    """The codes for ``syntax`` with the profile's ``outbound.invoice`` overrides."""
    codes = CODES[syntax]
    settings = profile.outbound.invoice
    if settings is None:
        return codes
    return replace(
        codes,
        discount=settings.discount_code or codes.discount,
        tax_types=dict(settings.tax_types),
    )


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _id(value: Any) -> int | None:
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    return int(value) if value else None


def _name(value: Any) -> str | None:
    return str(value[1]) if isinstance(value, list | tuple) and len(value) > 1 else None


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _number(value: Any) -> Decimal:
    """An Odoo float as the decimal it was entered as (10.0 -> 10, 8.5 -> 8.5)."""
    number = Decimal(str(value or 0))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


class InvoiceReader:
    """Reads one customer's posted invoices and credit notes (company read once)."""

    def __init__(
        self,
        odoo: OdooApi,
        profile: PartnerProfile,
        asked: AskedOrder,
        codes: InvoiceCodes = X12_CODES,
    ) -> None:
        self.odoo = odoo
        self.profile = profile
        self.asked = asked
        self.codes = codes
        self._seller: dict[int, Party] = {}
        charges = profile.odoo.charges if profile.odoo is not None else {}
        self._charge_codes = {product: code for code, product in charges.items()}

    # -- the invoice ---------------------------------------------------------------------
    def read(self, odoo_id: int) -> tuple[Invoice, dict[str, Any]]:
        """The invoice or credit note ``odoo_id`` as the canonical document, and its row."""
        d = self.odoo.dialect
        fields = ["name", "move_type", "state", "partner_id", "invoice_date", "currency_id",
                  "amount_untaxed", "amount_tax", "amount_total", "invoice_line_ids"]  # fmt: skip
        fields += d.fields(
            "account.move",
            "invoice_date_due",
            "invoice_payment_term_id",
            "company_id",
            "write_date",
            "reversed_entry_id",
        )
        rows = self.odoo.read("account.move", [odoo_id], fields)
        if not rows:
            raise OrderNotSendable(str(odoo_id), ["the invoice no longer exists in Odoo"])
        move = rows[0]
        name = str(move.get("name") or odoo_id)
        if move.get("move_type") not in MOVE_TYPES:
            raise NotFromEdi(f"{name} is not a customer invoice or credit note")
        lines = self._lines(move)
        asked = self._asked(move, lines)
        invoice_date = _date(move.get("invoice_date"))
        out, taxes, allowances = self._invoice_lines(name, lines, asked)
        charges = self._charges(name, lines, asked)
        term_name = _name(move.get("invoice_payment_term_id"))
        due = _date(move.get("invoice_date_due"))
        # an Odoo invoice without payment terms is due on its date
        term_name = term_name or ("Immediate Payment" if due and due == invoice_date else None)
        refund = move.get("move_type") == "out_refund"
        term_name = None if refund else term_name  # nothing is due to us on a credit note
        document = Invoice(
            invoice_number=name,
            invoice_date=invoice_date,
            credit_note=refund,
            original_invoice_number=self._original(move) if refund else None,
            po_number=asked.po_number,
            currency=_name(move.get("currency_id")),
            seller=self._company(_id(move.get("company_id"))),
            buyer=Party(name=asked.buyer.name) if asked.buyer and asked.buyer.name else None,
            terms=term_name,
            payment_terms=self._terms(move, invoice_date, term_name, refund),
            lines=out,
            # the document's taxes and charges first, the lines' after (as maps read them)
            taxes=[*self._taxes(move, lines, refund), *taxes],
            allowances_charges=[*charges, *allowances],
            total_amount=_money(move.get("amount_total")),
        )
        return document, move

    def _lines(self, move: dict[str, Any]) -> list[dict[str, Any]]:
        d = self.odoo.dialect
        ids = [int(i) for i in move.get("invoice_line_ids") or []]
        fields = ["product_id", "name", "quantity", "price_unit", "tax_ids"]
        fields += d.fields("account.move.line", "price_subtotal", "display_type", "sale_line_ids",
                           "discount")  # fmt: skip
        rows = self.odoo.read("account.move.line", ids, fields) if ids else []
        return [x for x in rows if x.get("display_type") in PRODUCT_LINE and x.get("product_id")]

    def _asked(self, move: dict[str, Any], lines: list[dict[str, Any]]) -> _Asked:
        """The customer's order the invoice's sale order lines belong to."""
        sale_line_ids = sorted({int(i) for x in lines for i in x.get("sale_line_ids") or []})
        sale_lines = {
            int(x["id"]): x
            for x in self.odoo.read("sale.order.line", sale_line_ids, ["sequence", "order_id"])
        } if sale_line_ids else {}  # fmt: skip
        orders = sorted({o for x in sale_lines.values() if (o := _id(x.get("order_id")))})
        if len(orders) != 1:
            raise NotFromEdi(f"invoice {move.get('name')} is not for one sale order")
        [order] = self.odoo.read("sale.order", orders, ["name", "client_order_ref"])
        po_number = str(order.get("client_order_ref") or "")
        asked = self.asked(orders[0], po_number) if po_number else None
        if asked is None:
            raise NotFromEdi(f"sale order {order.get('name')} was not made from an EDI order")
        return _Asked(asked, sale_lines)

    def _invoice_lines(
        self, name: str, lines: list[dict[str, Any]], asked: _Asked
    ) -> tuple[list[InvoiceLine], list[Tax], list[AllowanceCharge]]:
        """The lines of the customer's order, their taxes and their discounts."""
        out: list[InvoiceLine] = []
        taxes: list[Tax] = []
        allowances: list[AllowanceCharge] = []
        rates = self._tax_rows({int(t) for x in lines for t in x.get("tax_ids") or []})
        for x in lines:
            ordered = asked.line_of(x)
            if ordered is None:
                continue  # a charge (see _charges)
            quantity = _number(x.get("quantity"))
            unit_price = _number(x.get("price_unit"))
            net = _money(x.get("price_subtotal"))
            line = InvoiceLine(
                line_number=ordered.line_number,
                po_line_number=ordered.line_number,
                quantity=quantity,
                uom=ordered.uom,
                unit_price=unit_price,
                item=ordered.item,
                amount=net if self.codes.line_amounts else None,
            )
            out.append(line)
            discount = _number(x.get("discount"))
            if discount:
                # what the discount took off: Odoo rounds the line once, after the discount
                off = (quantity * unit_price).quantize(CENT) - net
                allowances.append(
                    AllowanceCharge(
                        kind="allowance",
                        code=self.codes.discount,
                        description=f"Discount {discount} %",
                        amount=off,
                        percent=discount,
                        line_number=line.line_number,
                    )
                )
            for tax_id in x.get("tax_ids") or []:
                tax = rates.get(int(tax_id))
                if tax is not None and tax.rate is not None:  # a fixed tax has no percent
                    taxes.append(tax.model_copy(update={"line_number": line.line_number}))
        if not out:
            raise OrderNotSendable(name, [f"no line of {name} is a line of {asked.po_number}"])
        return out, taxes, allowances

    def _charges(
        self, name: str, lines: list[dict[str, Any]], asked: _Asked
    ) -> list[AllowanceCharge]:
        """Lines tied to no line of the customer's order: charges (allowances when negative)
        under the partner's code for their product (``odoo.charges``)."""
        extra = [x for x in lines if asked.line_of(x) is None]
        if not extra:
            return []
        products = self._products({int(p) for x in extra if (p := _id(x.get("product_id")))})
        out: list[AllowanceCharge] = []
        problems: list[str] = []
        for x in extra:
            code_name = products.get(_id(x.get("product_id")) or 0, ("", ""))
            code = self._charge_codes.get(code_name[0]) or self._charge_codes.get(code_name[1])
            label = str(x.get("name") or "").split("\n")[0] or code_name[1]
            if code is None:
                problems.append(
                    f"invoice line {label!r} (product {code_name[0] or code_name[1]!r}) is not "
                    f"a line of {asked.po_number} and the partner profile names no charge "
                    f"code for its product (odoo.charges)"
                )
                continue
            amount = _money(x.get("price_subtotal"))
            out.append(
                AllowanceCharge(
                    kind="allowance" if amount < 0 else "charge",
                    code=code,
                    description=label[:80] or None,
                    amount=abs(amount),
                )
            )
        if problems:
            raise OrderNotSendable(name, problems)
        return out

    # -- taxes ---------------------------------------------------------------------------
    def _tax_rows(self, ids: Iterable[int]) -> dict[int, Tax]:
        """Each Odoo tax as a canonical tax without amounts: its code and percent."""
        wanted = sorted(ids)
        if not wanted:
            return {}
        fields = self.odoo.dialect.fields("account.tax", "name", "amount", "amount_type")
        out: dict[int, Tax] = {}
        for row in self.odoo.read("account.tax", wanted, fields):
            name = str(row.get("name") or "")
            percent = row.get("amount_type") == "percent"
            out[int(row["id"])] = Tax(
                tax_type=self.codes.tax_types.get(name, self.codes.tax_type),
                rate=_number(row.get("amount")) if percent else None,
            )
        return out

    def _taxes(self, move: dict[str, Any], lines: list[dict[str, Any]], refund: bool) -> list[Tax]:
        """One tax per Odoo tax: the amount of its tax lines, the base it applies to.

        A server without tax lines to read (no ``tax_line_id``) gives one tax of the
        default type with the invoice's ``amount_tax``."""
        d = self.odoo.dialect
        wanted = d.fields("account.move.line", "tax_line_id", "amount_currency", "display_type")
        if len(wanted) < 3:
            total = _money(move.get("amount_tax"))
            return [Tax(tax_type=self.codes.tax_type, amount=total)] if total else []
        tax_line, amount, _ = wanted
        rows = self.odoo.search_read(
            "account.move.line",
            [["move_id", "=", int(move["id"])], ["display_type", "=", "tax"]],
            [tax_line, amount],
            order="id",
        )
        # an invoice's tax lines are credits (negative), a credit note's debits
        sign = Decimal(1) if refund else Decimal(-1)
        amounts: dict[int, Decimal] = {}
        for row in rows:
            tax_id = _id(row.get(tax_line))
            if tax_id is not None:
                amounts[tax_id] = amounts.get(tax_id, Decimal(0)) + sign * _money(row.get(amount))
        described = self._tax_rows(amounts)
        out: list[Tax] = []
        for tax_id, total in amounts.items():
            taxed = [x for x in lines if tax_id in (x.get("tax_ids") or [])]
            base = sum((_money(x.get("price_subtotal")) for x in taxed), Decimal(0))
            tax = described[tax_id]
            out.append(
                tax.model_copy(
                    update={
                        "amount": total.quantize(CENT),
                        "taxable_amount": base if tax.rate is not None else None,
                    }
                )
            )
        return out

    # -- payment terms -------------------------------------------------------------------
    def _terms(
        self, move: dict[str, Any], invoice_date: dt.date | None, name: str | None, refund: bool
    ) -> list[PaymentTerms]:
        """One term per due date (the invoice's payment-term lines), with the early-payment
        discount the terms grant; a credit note is owed back, so it has none."""
        if invoice_date is None or refund:
            return []
        d = self.odoo.dialect
        wanted = d.fields("account.move.line", "date_maturity", "amount_currency", "discount_date",
                          "discount_amount_currency")  # fmt: skip
        installments: list[dict[str, Any]] = []
        if "date_maturity" in wanted and d.fields("account.move.line", "display_type"):
            installments = self.odoo.search_read(
                "account.move.line",
                [["move_id", "=", int(move["id"])], ["display_type", "=", "payment_term"]],
                wanted,
                order="date_maturity, id",
            )
        percent = self._discount_percent(_id(move.get("invoice_payment_term_id")))
        due = _date(move.get("invoice_date_due"))
        if not installments and due is not None:
            installments = [{"date_maturity": str(due)}]
        codes = self.codes
        described = name if codes.term_descriptions else None
        out: list[PaymentTerms] = []
        for row in installments:
            net_due = _date(row.get("date_maturity")) or due
            if net_due is None:
                continue
            net = PaymentTerms(
                type_code=codes.terms_basic,
                basis_code=codes.terms_basis,
                net_due_date=net_due,
                net_days=(net_due - invoice_date).days,
                description=described,
            )
            early = _date(row.get("discount_date"))
            owed = abs(_money(row.get("amount_currency")))
            early_owed = abs(_money(row.get("discount_amount_currency")))
            if early is None or not early_owed or early_owed >= owed:
                out.append(net)
                continue
            discount = PaymentTerms(
                type_code=codes.terms_discount,
                basis_code=codes.terms_basis,
                discount_percent=percent,
                discount_due_date=early,
                discount_days=(early - invoice_date).days,
                discount_amount=owed - early_owed,
            )
            if codes.discount_in_own_term:
                out += [net, discount]
            else:
                out.append(
                    discount.model_copy(
                        update={
                            "net_due_date": net.net_due_date,
                            "net_days": net.net_days,
                            "description": described,
                        }
                    )
                )
        return out

    def _discount_percent(self, term_id: int | None) -> Decimal | None:
        """The early-payment discount percent of the terms (Odoo 17+), if they grant one."""
        if term_id is None:
            return None
        fields = self.odoo.dialect.fields(
            "account.payment.term", "early_discount", "discount_percentage"
        )
        if "discount_percentage" not in fields:
            return None
        [row] = self.odoo.read("account.payment.term", [term_id], fields)
        if "early_discount" in fields and not row.get("early_discount"):
            return None
        return _number(row.get("discount_percentage")) or None

    def _original(self, move: dict[str, Any]) -> str | None:
        """The number of the invoice a credit note reverses (its display name adds the
        invoice's reference: ``INV/2026/00001 (MH-9501)``)."""
        original = _id(move.get("reversed_entry_id"))
        if original is None:
            return None
        rows = self.odoo.read("account.move", [original], ["name"])
        return str(rows[0].get("name") or "") or None if rows else None

    # -- master data ---------------------------------------------------------------------
    def _company(self, company_id: int | None) -> Party | None:
        if company_id is None:
            return None
        if company_id not in self._seller:
            [row] = self.odoo.read("res.company", [company_id], ["partner_id"])
            self._seller[company_id] = Party(name=_name(row.get("partner_id")))
        return self._seller[company_id]

    def _products(self, ids: set[int]) -> dict[int, tuple[str, str]]:
        """Product id -> (internal reference, name)."""
        if not ids:
            return {}
        rows = self.odoo.read("product.product", sorted(ids), ["default_code", "name"])
        return {
            int(r["id"]): (str(r.get("default_code") or ""), str(r.get("name") or "")) for r in rows
        }


@dataclass(frozen=True)
class _Asked:
    """The customer's order and the invoice's sale order lines (by id)."""

    order: PurchaseOrder
    sale_lines: dict[int, dict[str, Any]]

    @property
    def po_number(self) -> str:
        return self.order.po_number

    @property
    def buyer(self) -> Party | None:
        return self.order.buyer

    def line_of(self, invoice_line: dict[str, Any]) -> Any:
        """The customer's order line an invoice line invoices (None: a charge).

        The sale order made from the customer's order numbers its lines by ``sequence``
        1..n in the order's line order; a line added in Odoo later (freight) has none of
        those numbers or another product.
        """
        for sale_line_id in invoice_line.get("sale_line_ids") or []:
            row = self.sale_lines.get(int(sale_line_id))
            sequence = int(row.get("sequence") or 0) if row else 0
            if 1 <= sequence <= len(self.order.lines):
                return self.order.lines[sequence - 1]
        return None

"""Contract prices: the vendor price Odoo itself would use, and the contract a document names.

The source of truth is Odoo's vendor pricelist (``product.supplierinfo``). For one vendor,
product, quantity and date, :func:`select_seller` picks the line Odoo 17 picks in
``product.product._select_seller`` (``addons/product/models/product_product.py``):

1. the product template's vendor lines, variant lines only for this variant, in the
   model's order ``sequence, min_qty DESC, price, id`` (``_prepare_sellers``);
2. kept when the line has no company or the order's company, ``date_start <= date <=
   date_end`` (open ends allowed), it is this vendor's, and the quantity expressed in the
   line's unit is at least ``min_qty`` (``_get_filtered_sellers``);
3. of those, the cheapest after its discount (``price_discounted``), then ``sequence``,
   then ``id`` (``_select_seller``).

A line at price 0 is not a contract price (Odoo creates such lines when a vendor is added
to a product without a price; the dry run's invented vendor lines have none either).
The profile's ``odoo.contract_prices`` (vendor part -> price) overrides Odoo for the items
it names; ``odoo.vendor_pricelist: false`` turns the Odoo lookup off.

Community Odoo has no contract model, so the contract *number* a document carries
(REF*CT, RFF+CT -> ``contract_number``) is checked against the profile's ``odoo.contracts``
(number and dates): a number that is not an active contract of this vendor on the
document's date is an ``invalid_contract_reference`` issue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.odoo.api import m2o_id
from gateway.odoo.delivery.outcome import BusinessIssue
from gateway.odoo.delivery.resolve import Resolver, decimal
from gateway.partners.odoo import Tolerances

SUPPLIERINFO = "product.supplierinfo"
#: Odoo's default precision of 'Product Unit of Measure' (float_compare in the filter)
QTY_DIGITS = Decimal("0.01")


def price_within(expected: Decimal, billed: Decimal, tolerances: Tolerances) -> bool:
    """True when ``billed`` is within the profile's amount or percent tolerance."""
    allowed = max(tolerances.price_amount, abs(expected) * tolerances.price_percent / 100)
    return abs(billed - expected) <= allowed


@dataclass(frozen=True)
class ContractLine:
    """The contract price for one item: an Odoo vendor price line or the profile's table."""

    price: Decimal  # net of the line's discount, per ``uom_id``
    source: str  # "odoo" or "profile"
    supplierinfo_id: int | None = None
    currency: str | None = None
    min_qty: Decimal = Decimal(0)
    date_start: str | None = None
    date_end: str | None = None
    uom_id: int | None = None
    uom_name: str | None = None
    vendor_part: str | None = None

    def describe(self) -> str:
        """How a person finds this price again ("vendor price line 12 ...")."""
        if self.source == "profile":
            return f"the profile's contract price for {self.vendor_part} (odoo.contract_prices)"
        parts = [f"vendor price line {self.supplierinfo_id} (product.supplierinfo)"]
        amount = f"{self.price.normalize():f}"
        if self.currency:
            amount += f" {self.currency}"
        if self.uom_name:
            amount += f" per {self.uom_name}"
        parts.append(amount)
        if self.min_qty:
            parts.append(f"from {self.min_qty.normalize():f}")
        if self.date_start or self.date_end:
            parts.append(f"valid {self.date_start or '…'} to {self.date_end or '…'}")
        return ", ".join(parts)


def money(value: Decimal) -> str:
    """A price as text with at least two decimals (7.00, 7.125), without float noise."""
    value = value.quantize(Decimal("0.000001")).normalize()
    if value.as_tuple().exponent > -2:  # type: ignore[operator]
        value = value.quantize(Decimal("0.01"))
    return f"{value:f}"


def _day(value: Any) -> dt.date | None:
    if not value:
        return None
    return dt.date.fromisoformat(str(value)[:10])


def select_seller(
    rows: list[dict[str, Any]],
    *,
    product_id: int,
    quantity: Decimal | None,
    day: dt.date,
    company_id: int | None,
    to_seller_unit: Any = None,
) -> dict[str, Any] | None:
    """The vendor line Odoo 17's ``_select_seller`` picks among one vendor's ``rows``.

    ``rows`` are ``product.supplierinfo`` records as read (many2one as ``[id, name]``);
    ``to_seller_unit(quantity, row)`` expresses the quantity in the row's unit (None: as is).
    """

    def prepared_key(row: dict[str, Any]) -> tuple[Any, ...]:
        price = decimal(row.get("price"))
        return (int(row.get("sequence") or 0), -decimal(row.get("min_qty")), price, int(row["id"]))

    candidates = sorted(
        (r for r in rows if m2o_id(r.get("product_id")) in (None, product_id)), key=prepared_key
    )
    kept: list[dict[str, Any]] = []
    for row in candidates:
        company = m2o_id(row.get("company_id"))
        if company is not None and company_id is not None and company != company_id:
            continue
        start, end = _day(row.get("date_start")), _day(row.get("date_end"))
        if start is not None and start > day:
            continue
        if end is not None and end < day:
            continue
        if quantity is not None:
            in_unit = to_seller_unit(quantity, row) if to_seller_unit else quantity
            if in_unit.quantize(QTY_DIGITS) < decimal(row.get("min_qty")).quantize(QTY_DIGITS):
                continue
        kept.append(row)
    if not kept:
        return None
    vendor = m2o_id(kept[0].get("partner_id"))
    same = [r for r in kept if m2o_id(r.get("partner_id")) == vendor]
    return min(same, key=lambda r: (_discounted(r), int(r.get("sequence") or 0), int(r["id"])))


def _discounted(row: dict[str, Any]) -> Decimal:
    return decimal(row.get("price")) * (1 - decimal(row.get("discount")) / 100)


class ContractPrices:
    """Contract prices and references for one delivery (caches per product)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.odoo = resolver.odoo
        self.settings = resolver.settings
        self._rows: dict[int, list[dict[str, Any]]] = {}

    # ---- prices ----------------------------------------------------------------------
    def line_for(
        self,
        *,
        product_id: int | None,
        vendor_part: str | None,
        quantity: Decimal | None,
        uom_id: int | None,
        day: dt.date,
        company_id: int | None,
    ) -> ContractLine | None:
        """The contract price in force for the item (profile table first, then Odoo)."""
        if vendor_part and vendor_part in self.settings.contract_prices:
            return ContractLine(
                price=self.settings.contract_prices[vendor_part],
                source="profile",
                vendor_part=vendor_part,
            )
        if product_id is None or not self.settings.vendor_pricelist:
            return None
        rows = [r for r in self._vendor_rows(product_id) if decimal(r.get("price")) > 0]
        if not rows:
            return None
        uom_key = self.odoo.dialect.field(SUPPLIERINFO, "uom")

        def to_seller_unit(qty: Decimal, row: dict[str, Any]) -> Decimal:
            seller_uom = m2o_id(row.get(uom_key))
            if uom_id is None or seller_uom is None:
                return qty
            ratio = self.resolver.unit_ratio(uom_id, seller_uom)
            return qty * ratio if ratio is not None else qty

        row = select_seller(
            rows,
            product_id=product_id,
            quantity=quantity,
            day=day,
            company_id=company_id,
            to_seller_unit=to_seller_unit,
        )
        if row is None:
            return None
        unit = row.get(uom_key)
        currency = row.get("currency_id")
        return ContractLine(
            price=_discounted(row),
            source="odoo",
            supplierinfo_id=int(row["id"]),
            currency=str(currency[1]) if isinstance(currency, list) else None,
            min_qty=decimal(row.get("min_qty")),
            date_start=str(row["date_start"])[:10] if row.get("date_start") else None,
            date_end=str(row["date_end"])[:10] if row.get("date_end") else None,
            uom_id=m2o_id(unit),
            uom_name=str(unit[1]) if isinstance(unit, list) else None,
            vendor_part=str(row.get("product_code") or "") or None,
        )

    def _vendor_rows(self, product_id: int) -> list[dict[str, Any]]:
        if product_id not in self._rows:
            product = self.odoo.read("product.product", [product_id], ["product_tmpl_id"])
            template = m2o_id(product[0].get("product_tmpl_id")) if product else None
            if template is None:
                self._rows[product_id] = []
                return []
            dialect = self.odoo.dialect
            fields = [
                "id",
                "partner_id",
                "product_id",
                "product_code",
                "sequence",
                "min_qty",
                "price",
                "currency_id",
                "date_start",
                "date_end",
                "company_id",
                dialect.field(SUPPLIERINFO, "uom"),
            ]
            discount = dialect.name_or_none(SUPPLIERINFO, "discount")  # 17 and later
            if discount:
                fields.append(discount)
            self._rows[product_id] = self.odoo.search_read(
                SUPPLIERINFO,
                [["partner_id", "=", self.resolver.vendor_id], ["product_tmpl_id", "=", template]],
                fields,
            )
        return self._rows[product_id]

    def price_in(self, line: ContractLine, uom_id: int | None) -> Decimal:
        """The contract price per ``uom_id`` (Odoo's ``seller.product_uom._compute_price``)."""
        if line.uom_id is None or uom_id is None or line.uom_id == uom_id:
            return line.price
        ratio = self.resolver.unit_ratio(uom_id, line.uom_id)  # seller units in one line unit
        return line.price * ratio if ratio is not None else line.price

    def check_price(
        self,
        *,
        what: str,
        line_number: str | None,
        price: Decimal,
        quantity: Decimal | None,
        uom_id: int | None,
        currency: str | None,
        product_id: int | None,
        vendor_part: str | None,
        identifiers: dict[str, str],
        day: dt.date,
        company_id: int | None,
    ) -> BusinessIssue | None:
        """An ``off_contract_price`` issue when ``price`` (per ``uom_id``) is above the
        contract price beyond the profile's tolerance, or in another currency."""
        contract = self.line_for(
            product_id=product_id,
            vendor_part=vendor_part,
            quantity=quantity,
            uom_id=uom_id,
            day=day,
            company_id=company_id,
        )
        if contract is None:
            return None
        agreed = self.price_in(contract, uom_id)
        common = {
            "kind": "off_contract_price",
            "line_number": line_number,
            "expected": money(agreed),
            "received": money(price),
            "identifiers": identifiers,
            "quantity": f"{quantity.normalize():f}" if quantity is not None else None,
            "currency": currency or contract.currency,
            "contract": contract.describe(),
        }
        if currency and contract.currency and currency.upper() != contract.currency.upper():
            return BusinessIssue(
                **common,
                message=f"{what}: unit price {price} {currency} cannot be compared with the "
                f"contract price: {contract.describe()}",
            )
        if price <= agreed or price_within(agreed, price, self.settings.tolerances):
            return None
        return BusinessIssue(
            **common,
            message=f"{what}: unit price {money(price)} is above the contract price "
            f"{money(agreed)}: "
            f"{contract.describe()}",
        )

    # ---- references ------------------------------------------------------------------
    def check_reference(self, number: str | None, day: dt.date, what: str) -> BusinessIssue | None:
        """``invalid_contract_reference`` when the document names a contract that is not
        an active contract of this vendor (the profile's ``odoo.contracts``) on ``day``.
        Without contracts in the profile there is nothing to check against."""
        contracts = self.settings.contracts
        if not number or not contracts:
            return None
        number = number.strip()
        active = [c.number for c in contracts if c.active_on(day)]
        if number in active:
            return None
        known = next((c for c in contracts if c.number == number), None)
        why = (
            f"is not active on {day.isoformat()} (valid {known.date_start or '…'} to "
            f"{known.date_end or '…'})"
            if known
            else "is not a contract of this vendor"
        )
        return BusinessIssue(
            kind="invalid_contract_reference",
            message=f"{what}: invalid contract reference {number!r}: it {why}; active: "
            f"{', '.join(active) or 'none'}",
            expected=", ".join(active) or None,
            received=number,
        )

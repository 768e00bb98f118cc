"""The Odoo section of a partner profile: how this partner's documents land in Odoo."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import Field, field_validator, model_validator

from gateway.partners.common import StrictModel

ItemIdKind = Literal["vendor_part", "buyer_part", "gtin", "upc", "ndc", "hibcc", "default_code"]


AckUpdate = Literal["dates", "quantities", "prices"]


def _default_lookup() -> list[ItemIdKind]:
    return ["vendor_part", "gtin", "default_code"]


def _default_ack_updates() -> list[AckUpdate]:
    return ["dates"]


@dataclass(frozen=True)
class UnitSize:
    """One Odoo unit's size from the profile: ``ratio`` of unit ``of`` ("12 Units")."""

    ratio: Decimal
    of: str

    @property
    def text(self) -> str:
        return f"{self.ratio.normalize():f} {self.of}"


def parse_unit_size(value: str | int | float | Decimal) -> UnitSize:
    """``"12 Units"`` / ``"0.5 kg"`` / ``12`` (of ``Units``) as a :class:`UnitSize`."""
    text = str(value).strip()
    number, _, of = text.partition(" ")
    try:
        ratio = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"unit size {text!r} is not '<number> <unit>' (e.g. '12 Units')") from None
    if ratio <= 0:
        raise ValueError(f"unit size {text!r} must be positive")
    return UnitSize(ratio, of.strip() or "Units")


class Tolerances(StrictModel):
    """Business-check tolerances (invoice vs order, shipment vs order)."""

    price_percent: Decimal = Decimal("0")
    price_amount: Decimal = Decimal("0.01")
    quantity_over_percent: Decimal = Decimal("0")


class InvoiceTolerance(StrictModel):
    """How far an invoice's totals may differ from the bill Odoo computes (either limit)."""

    amount: Decimal = Decimal("0.01")
    percent: Decimal = Decimal("0")


# How a customer's order line names our product: its part number through the gateway's
# cross-reference table (`edi-gateway xref import`), our part number (the line's vendor
# part = our default_code), or a GTIN/UPC/NDC/HIBCC on our product.
SaleItemKind = Literal["customer_part", "our_part", "gtin", "upc", "ndc", "hibcc"]


def _default_sale_lookup() -> list[SaleItemKind]:
    return ["gtin", "ndc", "hibcc", "our_part", "customer_part"]


class SaleOrderSettings(StrictModel):
    """How a customer's order lands as a ``sale.order`` (``odoo.sale_order``).

    ``confirm: review`` leaves every order as a quotation for a person to confirm;
    ``auto`` confirms it when every check passed (customer, ship-to, items, prices).
    An order with a business exception is always left as a quotation.

    ``changes`` says what a customer's change order (860 / ORDCHG) may do to a sale order
    that is already confirmed: ``review`` (the default) changes nothing and raises a
    business exception naming the order and lines; ``apply`` takes what Odoo allows on
    a confirmed order (a line's quantity up, or down to no less than delivered, a line
    deleted by setting its quantity to 0 while nothing of it was delivered) and raises
    the exception for the rest (added lines, prices, dates), all or nothing. A change to
    a quotation is always applied (gateway/odoo/delivery/sale_order_change.py).
    """

    confirm: Literal["review", "auto"] = "review"
    changes: Literal["review", "apply"] = "review"
    item_lookup: list[SaleItemKind] = Field(default_factory=_default_sale_lookup, min_length=1)


class Contract(StrictModel):
    """One contract with this vendor, as procurement knows it (Odoo Community has no
    contract model): the number a document's REF*CT / RFF+CT must carry while it is active."""

    number: str
    date_start: dt.date | None = None
    date_end: dt.date | None = None

    def active_on(self, day: dt.date) -> bool:
        """True when ``day`` is within the contract's dates (open ends allowed)."""
        return (self.date_start is None or self.date_start <= day) and (
            self.date_end is None or day <= self.date_end
        )


class OdooPartnerSettings(StrictModel):
    """Odoo side of the partner."""

    vendor_ref: str | None = None  # res.partner.ref
    vendor_id: int | None = None  # res.partner id (wins over vendor_ref)
    # the partner as our customer (role: customer); default: the vendor_ref/vendor_id
    # partner (one company that both sells to and buys from us)
    customer_ref: str | None = None  # res.partner.ref
    customer_id: int | None = None  # res.partner id (wins over customer_ref)
    sale_order: SaleOrderSettings = Field(default_factory=SaleOrderSettings)
    item_lookup: list[ItemIdKind] = Field(default_factory=_default_lookup)
    ndc_field: str = "barcode"  # product.product field holding the NDC
    hibcc_field: str = "barcode"
    buyer_part_field: str = "default_code"
    uom: dict[str, str] = Field(default_factory=lambda: {"EA": "Units"})  # EDI code -> uom.uom name
    purchase_order_state: Literal["draft", "confirmed"] = "draft"
    bill_state: Literal["draft", "posted"] = "posted"
    ack_updates: list[AckUpdate] = Field(default_factory=_default_ack_updates)
    # vendor part -> agreed price: overrides Odoo's vendor pricelist for that item
    contract_prices: dict[str, Decimal] = Field(default_factory=dict)
    # read contract prices from Odoo's vendor pricelist (product.supplierinfo)
    vendor_pricelist: bool = True
    # the contract numbers a document may reference (REF*CT / RFF+CT), with their dates
    contracts: list[Contract] = Field(default_factory=list)
    tolerances: Tolerances = Field(default_factory=Tolerances)
    # Odoo unit name -> its size, "12 Units": lets `odoo prepare` create missing units and
    # `odoo check` verify existing ones (the unit table above only names them)
    uom_sizes: dict[str, str] = Field(default_factory=dict)
    # ISO codes of the currencies this partner's documents use (checked active in Odoo)
    currencies: list[str] = Field(default_factory=list)
    # SAC / ALC code -> product (default_code or name) the charge or allowance is billed on
    charges: dict[str, str] = Field(default_factory=dict)
    invoice_tolerance: InvoiceTolerance = Field(default_factory=InvoiceTolerance)

    @field_validator("uom_sizes", mode="before")
    @classmethod
    def _sizes_parse(cls, value: object) -> object:
        if isinstance(value, dict):
            out = {str(k): str(v) for k, v in value.items()}
            for text in out.values():
                parse_unit_size(text)
            return out
        return value

    @field_validator("currencies")
    @classmethod
    def _iso_codes(cls, value: list[str]) -> list[str]:
        codes = [c.strip().upper() for c in value]
        bad = [c for c in codes if len(c) != 3 or not c.isalpha()]
        if bad:
            raise ValueError(f"not ISO 4217 currency codes: {', '.join(bad)}")
        return codes

    def unit_sizes(self) -> dict[str, UnitSize]:
        """``uom_sizes`` parsed."""
        return {name: parse_unit_size(text) for name, text in self.uom_sizes.items()}

    @model_validator(mode="after")
    def _partner_named(self) -> OdooPartnerSettings:
        named = (self.vendor_ref, self.vendor_id, self.customer_ref, self.customer_id)
        if all(value is None for value in named):
            raise ValueError(
                "give vendor_ref or vendor_id (customer_ref or customer_id for a customer)"
            )
        return self

    @property
    def names_vendor(self) -> bool:
        """Whether the section says which Odoo partner is the vendor."""
        return self.vendor_ref is not None or self.vendor_id is not None

    def customer(self) -> tuple[int | None, str | None]:
        """(res.partner id, ref) of the customer: its own keys, else the vendor's."""
        if self.customer_id is not None or self.customer_ref is not None:
            return self.customer_id, self.customer_ref
        return self.vendor_id, self.vendor_ref

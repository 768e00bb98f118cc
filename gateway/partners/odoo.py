"""The Odoo section of a partner profile: how this partner's documents land in Odoo."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from gateway.partners.common import StrictModel

ItemIdKind = Literal["vendor_part", "buyer_part", "gtin", "upc", "ndc", "hibcc", "default_code"]


AckUpdate = Literal["dates", "quantities", "prices"]


def _default_lookup() -> list[ItemIdKind]:
    return ["vendor_part", "gtin", "default_code"]


def _default_ack_updates() -> list[AckUpdate]:
    return ["dates"]


class Tolerances(StrictModel):
    """Business-check tolerances (invoice vs order, shipment vs order)."""

    price_percent: Decimal = Decimal("0")
    price_amount: Decimal = Decimal("0.01")
    quantity_over_percent: Decimal = Decimal("0")


class OdooPartnerSettings(StrictModel):
    """Odoo side of the partner."""

    vendor_ref: str | None = None  # res.partner.ref
    vendor_id: int | None = None  # res.partner id (wins over vendor_ref)
    item_lookup: list[ItemIdKind] = Field(default_factory=_default_lookup)
    ndc_field: str = "barcode"  # product.product field holding the NDC
    hibcc_field: str = "barcode"
    buyer_part_field: str = "default_code"
    uom: dict[str, str] = Field(default_factory=lambda: {"EA": "Units"})  # EDI code -> uom.uom name
    purchase_order_state: Literal["draft", "confirmed"] = "draft"
    bill_state: Literal["draft", "posted"] = "posted"
    ack_updates: list[AckUpdate] = Field(default_factory=_default_ack_updates)
    contract_prices: dict[str, Decimal] = Field(default_factory=dict)  # vendor part -> price
    tolerances: Tolerances = Field(default_factory=Tolerances)

    @model_validator(mode="after")
    def _vendor_named(self) -> OdooPartnerSettings:
        if self.vendor_ref is None and self.vendor_id is None:
            raise ValueError("give vendor_ref or vendor_id")
        return self

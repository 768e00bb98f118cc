"""What a delivery returns: the Odoo records it touched and the business issues it found."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

IssueKind = Literal[
    "unknown_item",
    "ambiguous_item",
    "invalid_item_id",
    "unknown_uom",
    "pack_size_mismatch",
    "price_mismatch",
    "quantity_mismatch",
    "over_shipment",
    "unexpected_item",
    "missing_lot",
    "missing_expiry",
    "lot_quantity_mismatch",
    "rejected_line",
    "rejected_order",
    "changed_line",
    "changed_order",
    "order_not_found",
    "nothing_to_receive",
    "invalid_value",
    "unknown_currency",
    "unmapped_charge",
    "total_mismatch",
    "tax_mismatch",
    # a customer's order (sale side)
    "unknown_customer",
    "unknown_ship_to",
    "customer_price_mismatch",
    "customer_changed_order",
    "off_contract_price",
    "invalid_contract_reference",
    "supplier_credit_note",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OdooRecordRef(_Model):
    """One Odoo record a delivery created, changed or found."""

    model: str
    id: int
    name: str = ""


class BusinessIssue(_Model):
    """A business exception for procurement staff (not a technical failure).

    ``expected`` is what Odoo holds (order, receipt, contract), ``received`` what the
    partner's document says; ``identifiers`` are the item identifiers of the line. A price
    issue may name the line's ``quantity`` and ``currency`` (what the difference is worth)
    and the ``contract`` line it was checked against.
    """

    kind: IssueKind
    message: str
    line_number: str | None = None
    expected: str | None = None
    received: str | None = None
    identifiers: dict[str, str] = Field(default_factory=dict)
    quantity: str | None = None
    currency: str | None = None
    contract: str | None = None


class DeliveryOutcome(_Model):
    """Result of delivering one canonical document to Odoo."""

    records: list[OdooRecordRef] = Field(default_factory=list)
    exceptions: list[BusinessIssue] = Field(default_factory=list)
    already_existed: bool = False
    notes: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is nothing for a person to review."""
        return not self.exceptions

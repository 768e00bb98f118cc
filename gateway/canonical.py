"""Canonical business documents: what every X12 or EDIFACT transaction is translated into.

Maps (:mod:`gateway.mapping`) produce these; Odoo delivery (:mod:`gateway.odoo`) reads
them. They are pydantic models so they validate on the way in and serialize to JSON for
the store, the console and golden-file tests. Field names are part of the product's
public interface (maps name them), so they are kept exactly as the issue gave them.

Quantities, prices and amounts are :class:`~decimal.Decimal` (serialized as strings in
JSON) so that implied decimals and currency amounts survive untouched.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


class SourceRef(_Model):
    """Which transaction a canonical document came from."""

    syntax: Literal["x12", "edifact"]
    sender_id: str
    receiver_id: str = ""
    interchange_control_number: str
    group_control_number: str = ""
    transaction_control_number: str
    transaction_set: str  # "850", "ORDERS", ...
    version: str = ""
    partner_id: str = ""  # the gateway's partner profile id
    transaction_id: int | None = None  # the gateway's store id, when stored


class Address(_Model):
    """A postal address."""

    street: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Contact(_Model):
    """The person to ask about a document for one party (X12 PER, EDIFACT CTA + COM)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


class Party(_Model):
    """A trading party (buyer, seller, ship-to ...) with its identifiers."""

    name: str | None = None
    gln: str | None = None
    duns: str | None = None
    identifiers: dict[str, str] = Field(default_factory=dict)  # other qualifier -> id
    address: Address | None = None
    contact: Contact | None = None  # the buyer's purchasing agent, the seller's sales desk


class ItemIds(_Model):
    """Every identifier a line carries for its item, plus the description."""

    vendor_part: str | None = None
    buyer_part: str | None = None
    gtin: str | None = None
    ndc: str | None = None
    hibcc: str | None = None
    upc: str | None = None
    description: str | None = None
    other: dict[str, str] = Field(default_factory=dict)  # unmapped qualifier -> id

    def identifiers(self) -> dict[str, str]:
        """The identifier kinds present, in a stable order (for messages and lookups)."""
        known = {
            k: v
            for k in ("vendor_part", "buyer_part", "gtin", "ndc", "hibcc", "upc")
            if (v := getattr(self, k))
        }
        return {**known, **self.other}


class LineStatus(enum.StrEnum):
    """Line status of a purchase order acknowledgement (ACK01 / LIN 1229)."""

    ACCEPTED = "accepted"
    CHANGED = "changed"
    REJECTED = "rejected"
    BACKORDERED = "backordered"
    DELETED = "deleted"
    SUBSTITUTED = "substituted"
    PENDING = "pending"


class OrderCycleDates(_Model):
    """Every date of the order/delivery cycle a document carries, by meaning.

    Maps file each DTM/ACK/SCH qualifier (X12 374, EDIFACT 2005) under its meaning; a
    qualifier the map does not name stays out (never a wrong meaning).
    """

    requested_delivery: dt.date | None = None  # X12 002 / EDIFACT 2
    requested_ship: dt.date | None = None  # X12 010 / EDIFACT 10
    promised_delivery: dt.date | None = None  # X12 069 promised for delivery / EDIFACT 69
    scheduled_ship: dt.date | None = None  # X12 068 current schedule ship
    scheduled_delivery: dt.date | None = None  # X12 067 current schedule delivery
    estimated_delivery: dt.date | None = None  # X12 017 / EDIFACT 17
    estimated_arrival: dt.date | None = None  # X12 371 / EDIFACT 132
    shipped: dt.date | None = None  # X12 011 / EDIFACT 11
    delivered: dt.date | None = None  # X12 035 / EDIFACT 35
    ship_not_before: dt.date | None = None  # X12 037 / EDIFACT 64 (earliest)
    ship_no_later: dt.date | None = None  # X12 038 / EDIFACT 63 (latest)
    deliver_not_before: dt.date | None = None  # X12 064 (do not deliver before)
    deliver_no_later: dt.date | None = None  # X12 063 (do not deliver after)
    cancel_after: dt.date | None = None  # X12 001 / EDIFACT 61


class ScheduleLine(_Model):
    """One quantity on one date of a line: an 850 SCH schedule, an 855 ACK split, an
    EDIFACT SCC/QTY/DTM group. ``date_qualifier`` is the partner's code for the date."""

    quantity: Decimal | None = None
    uom: str | None = None
    date: dt.date | None = None
    date_qualifier: str | None = None
    end_date: dt.date | None = None  # SCH08/09: a second date (e.g. the window's end)
    status: LineStatus | None = None  # ACK01 / the line's status for this part (855)


class Lot(_Model):
    """One batch/lot of a shipped line, with its own quantity and dates."""

    lot_number: str | None = None
    quantity: Decimal | None = None
    expiry_date: dt.date | None = None
    production_date: dt.date | None = None


class PaymentTerms(_Model):
    """Terms of sale / payment terms (X12 ITD, EDIFACT PAT group)."""

    type_code: str | None = None  # ITD01 (336) / PAT 4279
    basis_code: str | None = None  # ITD02 (333) / PAT 2475 (the date the periods count from)
    discount_percent: Decimal | None = None  # ITD03 / PCD+12
    discount_due_date: dt.date | None = None  # ITD04 / DTM+12
    discount_days: int | None = None  # ITD05
    net_due_date: dt.date | None = None  # ITD06 / DTM+13
    net_days: int | None = None  # ITD07 / PAT C112 2152
    discount_amount: Decimal | None = None  # ITD08 / MOA+52
    description: str | None = None  # ITD12


class Purpose(enum.StrEnum):
    """Why a purchase order was sent (BEG01 / BGM 1225)."""

    ORIGINAL = "original"
    CHANGE = "change"
    CANCEL = "cancel"


class LineChange(enum.StrEnum):
    """What a change order (860 POC02 / ORDCHG LIN 1229) does to one line."""

    ADDED = "added"
    DELETED = "deleted"
    QUANTITY_INCREASE = "quantity_increase"
    QUANTITY_DECREASE = "quantity_decrease"
    PRICE = "price"
    DATE = "date"
    REPLACE = "replace"  # more than one of quantity, price, date and unit changed


class PurchaseOrderLine(_Model):
    """One ordered line (PO1 / LIN group; POC in a change order)."""

    line_number: str
    quantity: Decimal
    uom: str | None = None
    unit_price: Decimal | None = None
    # the partner's price was for ``price_basis`` units (X12 PO105/IT105/POC07 HP = 100,
    # EDIFACT PRI C509 5284): translation divides, so ``unit_price`` is always per one
    # unit and ``quoted_price`` keeps the price as written; ``price_basis_uom`` is the
    # basis unit (PRI 6411), the line's own unit or the line is refused. None: per unit
    price_basis: Decimal | None = None
    price_basis_uom: str | None = None
    quoted_price: Decimal | None = None
    item: ItemIds = Field(default_factory=ItemIds)
    requested_date: dt.date | None = None
    schedules: list[ScheduleLine] = Field(default_factory=list)  # every SCH / SCC
    dates: OrderCycleDates | None = None
    change: LineChange | None = None  # only in a change order (purpose change)


class PurchaseOrder(_Model):
    """X12 850 / EDIFACT ORDERS."""

    document_type: Literal["purchase_order"] = "purchase_order"
    source: SourceRef | None = None
    po_number: str
    order_date: dt.date | None = None
    purpose: Purpose = Purpose.ORIGINAL
    currency: str | None = None
    buyer: Party | None = None
    seller: Party | None = None
    ship_to: Party | None = None
    bill_to: Party | None = None
    requested_delivery_date: dt.date | None = None
    contract_number: str | None = None
    lines: list[PurchaseOrderLine] = Field(default_factory=list)
    payment_terms: list[PaymentTerms] = Field(default_factory=list)
    dates: OrderCycleDates | None = None
    notes: list[str] = Field(default_factory=list)  # X12 N9/MSG, EDIFACT FTX: free text
    # a change order's own number (860 BCH05 change order sequence number, ORDCHG BGM
    # 1004 when RFF+ON names the order); None in an original order
    change_sequence: str | None = None

    @property
    def business_key(self) -> str:
        """What makes this document unique for one partner.

        A change or cancellation of an order is a document of its own, not a duplicate of
        the original order: keyed by its change sequence (a resent 860 carries the same
        one), else by the interchange it came in.
        """
        if self.purpose is Purpose.ORIGINAL:
            return self.po_number
        sequence = self.change_sequence
        if sequence and sequence != self.po_number:
            return f"{self.po_number}/{self.purpose.value}/{sequence}"
        ref = self.source.interchange_control_number if self.source else ""
        return f"{self.po_number}/{self.purpose.value}/{ref}"

    def numbered_lines(self) -> list[tuple[str, BaseModel]]:
        """Every line with the number messages about it use."""
        return [(line.line_number, line) for line in self.lines]


class AckType(enum.StrEnum):
    """Header status of a purchase order acknowledgement (BAK02 / BGM 1225)."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_CHANGES = "accepted_with_changes"
    REJECTED = "rejected"


class OrderAcknowledgementLine(_Model):
    """One acknowledged line (PO1+ACK / LIN group)."""

    line_number: str
    status: LineStatus = LineStatus.ACCEPTED
    # the X12 ACK01 code as written (IQ, IP and DR are all "changed"); None when the
    # document carries none (EDIFACT: LIN 1229 says no more than the status)
    status_code: str | None = None
    quantity: Decimal | None = None
    uom: str | None = None
    unit_price: Decimal | None = None
    # the partner's price was for ``price_basis`` units (X12 PO105/IT105/POC07 HP = 100,
    # EDIFACT PRI C509 5284): translation divides, so ``unit_price`` is always per one
    # unit and ``quoted_price`` keeps the price as written; ``price_basis_uom`` is the
    # basis unit (PRI 6411), the line's own unit or the line is refused. None: per unit
    price_basis: Decimal | None = None
    price_basis_uom: str | None = None
    quoted_price: Decimal | None = None
    scheduled_date: dt.date | None = None
    item: ItemIds = Field(default_factory=ItemIds)
    # every ACK of the line: "20 accepted for one date, 10 backordered to a later one";
    # status/quantity/scheduled_date above are the first one's
    splits: list[ScheduleLine] = Field(default_factory=list)
    dates: OrderCycleDates | None = None  # the line's DTM dates by meaning


class OrderAcknowledgement(_Model):
    """X12 855 / EDIFACT ORDRSP."""

    document_type: Literal["order_acknowledgement"] = "order_acknowledgement"
    source: SourceRef | None = None
    po_number: str
    ack_type: AckType = AckType.ACCEPTED
    ack_date: dt.date | None = None
    ack_number: str | None = None
    contract_number: str | None = None  # REF*CT / RFF+CT
    seller: Party | None = None
    buyer: Party | None = None
    lines: list[OrderAcknowledgementLine] = Field(default_factory=list)
    dates: OrderCycleDates | None = None
    # None: the first acknowledgement of the order; n: the n-th one that replaces it
    # after the order changed (we write BAK01 05 / BGM 1225 5)
    revision: int | None = None

    @property
    def business_key(self) -> str:
        """What makes this document unique for one partner."""
        return f"{self.po_number}/{self.ack_number or self.ack_date or ''}"

    def numbered_lines(self) -> list[tuple[str, BaseModel]]:
        """Every line with the number messages about it use."""
        return [(line.line_number, line) for line in self.lines]


class ShipNoticeLine(_Model):
    """One shipped item with its lot (HL item level / LIN group)."""

    po_line_number: str | None = None
    quantity: Decimal
    uom: str | None = None
    item: ItemIds = Field(default_factory=ItemIds)
    lot_number: str | None = None
    expiry_date: dt.date | None = None
    serial_numbers: list[str] = Field(default_factory=list)
    sscc: str | None = None  # serial shipping container code of the pack/pallet
    # every batch of the line with its quantity and dates (lot_number/expiry_date above
    # are the first one's)
    lots: list[Lot] = Field(default_factory=list)


class ShipNoticeOrder(_Model):
    """The part of a shipment for one purchase order (HL order level)."""

    po_number: str
    lines: list[ShipNoticeLine] = Field(default_factory=list)


class ShipNotice(_Model):
    """X12 856 / EDIFACT DESADV."""

    document_type: Literal["ship_notice"] = "ship_notice"
    source: SourceRef | None = None
    shipment_id: str
    ship_date: dt.date | None = None
    estimated_delivery: dt.date | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    ship_from: Party | None = None
    ship_to: Party | None = None
    orders: list[ShipNoticeOrder] = Field(default_factory=list)
    dates: OrderCycleDates | None = None

    @property
    def business_key(self) -> str:
        """What makes this document unique for one partner."""
        return self.shipment_id

    def numbered_lines(self) -> list[tuple[str, BaseModel]]:
        """Every line of every order with the number messages about it use (the purchase
        order's line number, else ``PO#n``)."""
        return [
            (line.po_line_number or f"{order.po_number}#{n}", line)
            for order in self.orders
            for n, line in enumerate(order.lines, start=1)
        ]


class AllowanceCharge(_Model):
    """An allowance (discount) or charge (freight ...) on an invoice (SAC / ALC)."""

    kind: Literal["allowance", "charge"]
    code: str | None = None  # SAC02 (1300) / ALC C214 7161: the partner's code
    description: str | None = None
    amount: Decimal  # always positive: ``kind`` says which way it goes
    # the percentage it was computed from (a line discount of 10 %): SAC07 / PCD+3
    percent: Decimal | None = None
    line_number: str | None = None  # None for header level


class Tax(_Model):
    """A tax on an invoice (TXI / TAX+MOA)."""

    tax_type: str | None = None  # TXI01 (963) / TAX C241 5153: the partner's code
    rate: Decimal | None = None  # percent: TXI03 / TAX C243 5278
    amount: Decimal | None = None  # TXI02 / MOA+124
    taxable_amount: Decimal | None = None  # the base the rate applies to: TXI08 / MOA+125
    # None for the document's taxes; a line's taxes name the line (written with their
    # type and rate, the amounts being the document's per tax)
    line_number: str | None = None


class InvoiceLine(_Model):
    """One invoiced line (IT1 / LIN group)."""

    line_number: str
    po_line_number: str | None = None
    quantity: Decimal
    uom: str | None = None
    unit_price: Decimal
    # the partner's price was for ``price_basis`` units (X12 PO105/IT105/POC07 HP = 100,
    # EDIFACT PRI C509 5284): translation divides, so ``unit_price`` is always per one
    # unit and ``quoted_price`` keeps the price as written; ``price_basis_uom`` is the
    # basis unit (PRI 6411), the line's own unit or the line is refused. None: per unit
    price_basis: Decimal | None = None
    price_basis_uom: str | None = None
    quoted_price: Decimal | None = None
    item: ItemIds = Field(default_factory=ItemIds)
    amount: Decimal | None = None


class Invoice(_Model):
    """X12 810 / EDIFACT INVOIC."""

    document_type: Literal["invoice"] = "invoice"
    source: SourceRef | None = None
    invoice_number: str
    invoice_date: dt.date | None = None
    # a credit note (credit memo) rather than an invoice: X12 BIG07 CR / INVOIC BGM 381
    credit_note: bool = False
    # the invoice a credit note credits: X12 REF*OI / INVOIC RFF+IV
    original_invoice_number: str | None = None
    po_number: str | None = None
    contract_number: str | None = None  # REF*CT / RFF+CT
    currency: str | None = None
    seller: Party | None = None
    buyer: Party | None = None
    remit_to: Party | None = None
    terms: str | None = None  # the payment terms' name: ITD12 / FTX+AAB
    payment_terms: list[PaymentTerms] = Field(default_factory=list)  # every ITD / PAT group
    lines: list[InvoiceLine] = Field(default_factory=list)
    allowances_charges: list[AllowanceCharge] = Field(default_factory=list)
    taxes: list[Tax] = Field(default_factory=list)
    total_amount: Decimal | None = None

    @property
    def business_key(self) -> str:
        """What makes this document unique for one partner."""
        return self.invoice_number

    def numbered_lines(self) -> list[tuple[str, BaseModel]]:
        """Every line with the number messages about it use."""
        return [(line.line_number, line) for line in self.lines]


class InventoryLine(_Model):
    """One product's stock in an inventory advice (846 LIN loop / INVRPT LIN group).

    ``on_hand`` is what is in stock now (Odoo ``qty_available``); ``forecast`` what will
    be after the confirmed incoming and outgoing moves (Odoo ``virtual_available``: on
    hand + receipts - deliveries and reservations), negative when more is promised than
    held.
    """

    line_number: str
    item: ItemIds = Field(default_factory=ItemIds)
    on_hand: Decimal
    forecast: Decimal | None = None
    uom: str | None = None
    as_of: dt.date | None = None


class InventoryAdvice(_Model):
    """X12 846 / EDIFACT INVRPT: our stock of the products a customer buys from us."""

    document_type: Literal["inventory_advice"] = "inventory_advice"
    source: SourceRef | None = None
    report_number: str
    report_date: dt.date
    seller: Party | None = None
    buyer: Party | None = None
    lines: list[InventoryLine] = Field(default_factory=list)

    @property
    def business_key(self) -> str:
        """What makes this document unique for one partner."""
        return self.report_number

    def numbered_lines(self) -> list[tuple[str, BaseModel]]:
        """Every line with the number messages about it use."""
        return [(line.line_number, line) for line in self.lines]


class CatalogPrice(_Model):
    """One price of a catalog line: from ``min_quantity`` on, between two dates
    (832 CTP loop with its DTM / PRICAT PRI group with RNG and DTM)."""

    unit_price: Decimal
    min_quantity: Decimal | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


class PriceCatalogLine(_Model):
    """One product of a price catalog (832 LIN loop / PRICAT LIN group)."""

    line_number: str
    item: ItemIds = Field(default_factory=ItemIds)
    uom: str | None = None
    pack_size: Decimal | None = None  # units in the selling pack (PO401 / QTY+52)
    prices: list[CatalogPrice] = Field(default_factory=list)  # by min_quantity, then date


class PriceCatalog(_Model):
    """X12 832 / EDIFACT PRICAT: the customer's prices from their pricelist."""

    document_type: Literal["price_catalog"] = "price_catalog"
    source: SourceRef | None = None
    catalog_number: str
    catalog_date: dt.date
    currency: str | None = None
    seller: Party | None = None
    buyer: Party | None = None
    lines: list[PriceCatalogLine] = Field(default_factory=list)

    @property
    def business_key(self) -> str:
        """What makes this document unique for one partner."""
        return self.catalog_number

    def numbered_lines(self) -> list[tuple[str, BaseModel]]:
        """Every line with the number messages about it use."""
        return [(line.line_number, line) for line in self.lines]


# The union of the canonical document models, spelled out once (type checkers need it
# static); gateway.documents refuses to import when its table and this union disagree.
AnyDocument = (
    PurchaseOrder | OrderAcknowledgement | ShipNotice | Invoice | InventoryAdvice | PriceCatalog
)

# The same union as a pydantic field type: the model is chosen by ``document_type``.
CanonicalDocument = Annotated[AnyDocument, Field(discriminator="document_type")]

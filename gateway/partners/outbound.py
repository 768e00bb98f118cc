"""The ``outbound:`` and ``expect:`` sections of a partner profile.

``outbound`` says which documents we send this partner and how::

    outbound:
      purchase_order:            # our confirmed Odoo purchase orders go out as 850/ORDERS
        syntax: x12              # default: x12 when the profile has x12 ids, else edifact
        map: overrides/acme/850  # outbound map; default <syntax>/<version>/<set>
        transport: as2           # as2 | sftp (our hosted outbox) | sftp_remote; default:
                                 # as2 when as2.url is set, else the SFTP the profile has
        changes: exception       # an order changed or cancelled in Odoo after it was sent:
                                 # send (as 860 / ORDCHG) | exception (tell the buyer)
      order_acknowledgement:     # a customer's sale order (made from their 850/ORDERS),
        transport: as2           # confirmed in Odoo, goes out as 855/ORDRSP; same keys
      ship_notice:               # its validated deliveries go out as 856/DESADV
        gs1_prefix: "0614141"    # for packages whose name is not an SSCC-18 already
      invoice:                   # its posted invoices and credit notes as 810/INVOIC
        tax_types: {"15%": ST}   # Odoo tax name -> TXI01 / TAX 5153 (default TX / VAT)
        discount_code: C310      # SAC02 / ALC 7161 of a line's discount (default C310 / DI)
      inventory_advice:          # our stock of their products as 846/INVRPT, on a schedule:
        every: 24h               # a duration since the last one (default 24h), or
        at: ["06:00", "14:00"]   # times of day (UTC): one advice per time passed
        warehouse: WH            # optional: only this stock.warehouse (name)
      price_catalog:             # their pricelist as 832/PRICAT: on demand
        on_change: true          # (`edi-gateway outbound catalog PARTNER`) and when the
                                 # pricelist or its rules change (default true)

``expect`` sets how long we wait for each answer before an order is overdue::

    expect:
      functional_ack: 2h         # 997/999/CONTRL after we sent it
      order_ack: 24h             # 855/ORDRSP after we sent it
      ship_notice: before requested date   # or a duration after the order was sent
      invoice: 30d               # 810/INVOIC after the ship notice (or after sending)
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError, model_validator

from gateway.partners.common import StrictModel

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
BEFORE_REQUESTED_DATE = "before_requested_date"
_ISO_DURATION = TypeAdapter(dt.timedelta)


def parse_duration(value: Any) -> dt.timedelta:
    """``90s``, ``15m``, ``2h``, ``3d``, ``1w`` (or seconds as a number)."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.timedelta(seconds=float(value))
    match = _DURATION.match(str(value))
    if not match:
        try:  # ISO 8601 (PT2H), as a profile dumped to JSON writes it back
            return _ISO_DURATION.validate_python(value)
        except ValidationError:
            pass
        raise ValueError(f"{value!r} is not a duration such as 30m, 2h, 3d or 1w")
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _ship_notice(value: Any) -> Any:
    text = str(value).strip().lower().replace(" ", "_")
    return BEFORE_REQUESTED_DATE if text == BEFORE_REQUESTED_DATE else parse_duration(value)


Duration = Annotated[dt.timedelta, BeforeValidator(parse_duration)]
ShipNoticeDeadline = Annotated[
    dt.timedelta | Literal["before_requested_date"], BeforeValidator(_ship_notice)
]


class OutboundDocumentSettings(StrictModel):
    """How one kind of document goes out to this partner."""

    syntax: Literal["x12", "edifact"] | None = None
    map: str | None = None
    transport: Literal["as2", "sftp", "sftp_remote"] | None = None
    changes: Literal["exception", "send"] = "exception"
    # ship notices: our GS1 company prefix, for the SSCC-18 of a package whose name is not
    # one already (6 to 12 digits)
    gs1_prefix: str | None = Field(default=None, pattern=r"^[0-9]{6,12}$")
    # invoices: the tax type code (TXI01 / TAX 5153) of each Odoo tax by its name, and the
    # code of a line discount (SAC02 / ALC 7161); defaults: TX and C310 in X12, VAT and DI
    # in EDIFACT
    tax_types: dict[str, str] = Field(default_factory=dict)
    discount_code: str | None = None


def _times(value: Any) -> Any:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    out = []
    for item in items:
        if isinstance(item, dt.time):
            out.append(item)
            continue
        try:
            out.append(dt.time.fromisoformat(str(item).strip()))
        except ValueError:
            raise ValueError(f"{item!r} is not a time of day such as 06:00") from None
    return sorted(set(out))


class InventoryAdviceSettings(OutboundDocumentSettings):
    """``outbound.inventory_advice``: when the 846/INVRPT goes out, and from where."""

    # a duration after the last advice (default 24h when ``at`` is not given) ...
    every: Duration | None = None
    # ... or times of day (UTC): an advice for each one passed since the last
    at: Annotated[list[dt.time], BeforeValidator(_times)] = Field(default_factory=list)
    warehouse: str | None = None  # only this stock.warehouse (its name); default: all

    @model_validator(mode="after")
    def _one_schedule(self) -> InventoryAdviceSettings:
        if self.every is not None and self.at:
            raise ValueError("give either every (a duration) or at (times of day), not both")
        return self

    def interval(self) -> dt.timedelta:
        """The duration between advices when the schedule is not by time of day."""
        return self.every or dt.timedelta(hours=24)


class PriceCatalogSettings(OutboundDocumentSettings):
    """``outbound.price_catalog``: the 832/PRICAT on demand, and on pricelist changes."""

    on_change: bool = True


class OutboundSettings(StrictModel):
    """Which documents we send this partner."""

    purchase_order: OutboundDocumentSettings | None = None
    # a customer's (role customer) sale orders made from their 850/ORDERS: confirming one
    # in Odoo sends them an 855/ORDRSP (``changes`` does not apply)
    order_acknowledgement: OutboundDocumentSettings | None = None
    # a customer's validated deliveries (stock.picking, outgoing, of such a sale order)
    # go out as 856/DESADV, one per delivery (a backorder's delivery is another)
    ship_notice: OutboundDocumentSettings | None = None
    # its posted invoices and credit notes (account.move out_invoice / out_refund of such a
    # sale order) as 810/INVOIC
    invoice: OutboundDocumentSettings | None = None
    # our stock of the customer's products as 846/INVRPT, on a schedule
    inventory_advice: InventoryAdviceSettings | None = None
    # the customer's pricelist as 832/PRICAT, on demand and when it changes
    price_catalog: PriceCatalogSettings | None = None


class Expectations(StrictModel):
    """How long we wait for each answer to something we sent."""

    functional_ack: Duration = Field(default=dt.timedelta(hours=2))
    order_ack: Duration = Field(default=dt.timedelta(hours=24))
    ship_notice: ShipNoticeDeadline = "before_requested_date"
    invoice: Duration = Field(default=dt.timedelta(days=30))

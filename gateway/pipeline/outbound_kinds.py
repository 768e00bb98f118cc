"""The kinds of document we send from Odoo records, and the map each is written with.

A kind (:class:`OutboundKind`: purchase orders, order acknowledgements, ship notices,
invoices) names the Odoo records the poll looks at, the profile section that turns it on,
the X12 set and EDIFACT message, and the reader that turns a record into a canonical
document. :func:`outbound_map_name` picks the partner's map for a kind (or for a change
of an order: 860 / ORDCHG). Used by :mod:`gateway.pipeline.outbound` (orders) and
:mod:`gateway.pipeline.outbound_changes` (their changes), which share it from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from gateway.canonical import PurchaseOrder
from gateway.outbound.from_odoo import OdooOrderReader
from gateway.outbound.from_odoo_sale import AskedOrder, DeliveryReader, SaleOrderReader
from gateway.outbound.invoice_reader import InvoiceReader, invoice_codes
from gateway.partners.outbound import OutboundDocumentSettings
from gateway.partners.profile import PartnerProfile, Role
from gateway.pipeline.customer_orders import asked_order as customer_order
from gateway.pipeline.errors import PermanentError
from gateway.pipeline.runtime import Runtime

ORDER_MODEL = "purchase.order"
CONFIRMED = ["purchase", "done"]
CANCELLED = "cancel"  # seen by the poll only for orders already sent (a cancellation)
# profile transport name -> the runtime's sender key
SENDER_KEYS = {"as2": "as2", "sftp": "sftp", "sftp_remote": "sftp-poll"}


class DocumentReader(Protocol):
    """Reads one Odoo record as a canonical document (and the raw values it used)."""

    def read(self, odoo_id: int) -> tuple[Any, dict[str, Any]]: ...


@dataclass(frozen=True)
class OutboundKind:
    """One kind of document the poll finds in Odoo and sends: which records, which
    profile section, which sets, read by which reader. The poll, the queue (bytes and
    control numbers stored before sending), the ``send_order`` stage and the cycle are
    the same for every kind."""

    document_type: str  # the profile's outbound section and OutboundOrder.document_type
    odoo_model: str
    states: tuple[str, ...]  # the record states the poll looks at
    sets: tuple[str, str]  # (X12 set, EDIFACT message)
    role: Role  # the partner's role for it (which of our identities sends it)
    label: str  # "purchase order", "sale order" (messages)
    odoo_partner: Callable[[PartnerProfile], tuple[int | None, str | None]]
    make_reader: Callable[[Runtime, PartnerProfile], DocumentReader]
    # how the records name the partner ("child_of": a delivery address under it) and
    # what else the poll asks of them
    partner_operator: str = "in"
    domain: tuple[tuple[str, str, Any], ...] = ()
    # the Odoo record has a chatter (cycle steps are posted on it, exceptions name it);
    # a published document (846, 832) is not an Odoo record: odoo_id is its revision
    chatter: bool = True

    def business_key(self, document: Any) -> str:
        """What the stored row is known by: the invoice number, PO number or shipment id."""
        for key in ("invoice_number", "po_number", "shipment_id"):
            if getattr(document, key, None):
                return str(getattr(document, key))
        return ""

    def settings(self, profile: PartnerProfile) -> OutboundDocumentSettings | None:
        """The profile's ``outbound.<document_type>`` section (None: not sent)."""
        value = getattr(profile.outbound, self.document_type, None)
        return value if isinstance(value, OutboundDocumentSettings) else None


def _vendor(profile: PartnerProfile) -> tuple[int | None, str | None]:
    if profile.odoo is None:
        raise PermanentError(f"partner {profile.id!r} has no odoo section")
    return profile.odoo.vendor_id, profile.odoo.vendor_ref


def asked_order(
    session: Session, partner_id: str, sale_order_id: int, po_number: str
) -> PurchaseOrder | None:
    """The customer's order (as translated, with the changes they sent since) that became
    sale order ``sale_order_id`` (:mod:`gateway.pipeline.customer_orders`)."""
    return customer_order(session, partner_id, po_number, sale_order_id)


def _asked_orders(runtime: Runtime, profile: PartnerProfile) -> AskedOrder:
    def find(sale_order_id: int, po_number: str) -> PurchaseOrder | None:
        with runtime.sessions() as session:
            return asked_order(session, profile.id, sale_order_id, po_number)

    return find


def _customer(profile: PartnerProfile) -> tuple[int | None, str | None]:
    if profile.odoo is None:
        raise PermanentError(f"partner {profile.id!r} has no odoo section")
    return profile.odoo.customer()


PURCHASE_ORDERS = OutboundKind(
    "purchase_order",
    ORDER_MODEL,
    (*CONFIRMED, CANCELLED),
    ("850", "ORDERS"),
    "supplier",
    "purchase order",
    _vendor,
    lambda runtime, profile: OdooOrderReader(runtime.odoo, profile),
)


ORDER_ACKNOWLEDGEMENTS = OutboundKind(
    "order_acknowledgement",
    "sale.order",
    ("sale", "done"),
    ("855", "ORDRSP"),
    "customer",
    "sale order",
    _customer,
    lambda runtime, profile: SaleOrderReader(
        runtime.odoo, profile, _asked_orders(runtime, profile)
    ),
)


SHIP_NOTICES = OutboundKind(
    "ship_notice",
    "stock.picking",
    ("done",),
    ("856", "DESADV"),
    "customer",
    "delivery",
    _customer,
    lambda runtime, profile: DeliveryReader(runtime.odoo, profile, _asked_orders(runtime, profile)),
    partner_operator="child_of",
    domain=(("picking_type_code", "=", "outgoing"), ("sale_id", "!=", False)),
)


def _invoice_reader(runtime: Runtime, profile: PartnerProfile) -> InvoiceReader:
    """Invoices are written with the codes of the partner's syntax (SAC C310 / ALC DI)."""
    syntax = outbound_map_name(profile, kind=INVOICES)[0]
    asked = _asked_orders(runtime, profile)
    return InvoiceReader(runtime.odoo, profile, asked, invoice_codes(syntax, profile))


INVOICES = OutboundKind(
    "invoice",
    "account.move",
    ("posted",),
    ("810", "INVOIC"),
    "customer",
    "invoice",
    _customer,
    _invoice_reader,
    partner_operator="child_of",
    domain=(("move_type", "in", ("out_invoice", "out_refund")),),
)


KINDS = (PURCHASE_ORDERS, ORDER_ACKNOWLEDGEMENTS, SHIP_NOTICES, INVOICES)


def _published(runtime: Runtime, profile: PartnerProfile) -> DocumentReader:
    raise PermanentError("published documents are read by gateway.pipeline.outbound_publish")


# Documents we publish to a customer rather than make from one Odoo record: not polled
# here (gateway/pipeline/outbound_publish.py queues them), sent by send_order like the
# rest; OutboundOrder.odoo_model names the kind, odoo_id is the revision.
INVENTORY_ADVICES = OutboundKind(
    "inventory_advice", "edi.inventory_advice", (), ("846", "INVRPT"), "customer",
    "inventory advice", _customer, _published, chatter=False,
)  # fmt: skip
PRICE_CATALOGS = OutboundKind(
    "price_catalog", "edi.price_catalog", (), ("832", "PRICAT"), "customer",
    "price catalog", _customer, _published, chatter=False,
)  # fmt: skip
PUBLISHED = (INVENTORY_ADVICES, PRICE_CATALOGS)
_BY_TYPE = {kind.document_type: kind for kind in (*KINDS, *PUBLISHED)}


def kind_of(document_type: str | None) -> OutboundKind:
    """The kind of a stored outbound row (purchase orders for rows older than kinds)."""
    return _BY_TYPE.get(document_type or "", PURCHASE_ORDERS)


def outbound_map_name(
    profile: PartnerProfile, *, change: bool = False, kind: OutboundKind | None = None
) -> tuple[str, str, str]:
    """``(syntax, set, outbound map name)`` for this partner's documents of ``kind``
    (purchase orders by default).

    ``change``: for their changes and cancellations (860 / ORDCHG; a profile's
    ``maps: {out:860: ...}`` names a partner's own map, as ``out:850`` does for orders).
    """
    kind = kind or PURCHASE_ORDERS
    settings = kind.settings(profile)
    if settings is None:
        raise PermanentError(f"partner {profile.id!r} has no outbound.{kind.document_type}")
    syntax = settings.syntax or ("x12" if profile.x12 is not None else "edifact")
    if syntax == "x12":
        if profile.x12 is None:
            raise PermanentError(f"partner {profile.id!r} sends X12 but has no x12 ids")
        set_id, version = ("860" if change else kind.sets[0]), str(profile.x12.version)
    else:
        if profile.edifact is None:
            raise PermanentError(f"partner {profile.id!r} sends EDIFACT but has no edifact ids")
        set_id, version = ("ORDCHG" if change else kind.sets[1]), str(profile.edifact.directory)
    default = profile.maps.get(f"out:{set_id}", f"{syntax}/{version}/{set_id}")
    return syntax, set_id, (default if change else settings.map or default)

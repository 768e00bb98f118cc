"""Delivery of canonical documents to Odoo, exactly once.

:func:`deliver` is what the pipeline calls. Each document type has its module
(``purchase_order``, ``acknowledgement``, ``receipt``, ``bill``); lookups shared by them are
in ``resolve``. Every delivery first searches Odoo for what an earlier, interrupted
attempt may have created (by the document's business key), so a retry never duplicates.

Business problems (unknown item, price mismatch ...) come back in
:attr:`DeliveryOutcome.exceptions`; technical ones are raised as
:class:`~gateway.odoo.errors.OdooTransientError` (retry),
:class:`~gateway.odoo.errors.OdooConfigurationError` (fix the setup) or
:class:`~gateway.odoo.errors.OdooBusinessError` (Odoo refused the operation).
"""

from __future__ import annotations

from decimal import Decimal

from gateway.canonical import Invoice, OrderAcknowledgement, PurchaseOrder, ShipNotice
from gateway.odoo.api import OdooApi
from gateway.odoo.delivery.acknowledgement import deliver_acknowledgement
from gateway.odoo.delivery.bill import deliver_invoice
from gateway.odoo.delivery.outcome import BusinessIssue, DeliveryOutcome, OdooRecordRef
from gateway.odoo.delivery.purchase_order import deliver_purchase_order
from gateway.odoo.delivery.receipt import deliver_ship_notice
from gateway.odoo.delivery.resolve import Resolver
from gateway.odoo.errors import OdooConfigurationError
from gateway.partners.profile import PartnerProfile

CanonicalDocument = PurchaseOrder | OrderAcknowledgement | ShipNotice | Invoice

__all__ = ["BusinessIssue", "DeliveryOutcome", "OdooRecordRef", "deliver", "delivery_key"]


def delivery_key(document: CanonicalDocument, profile: PartnerProfile) -> str:
    """Partner + document type + business key: what makes a delivery unique."""
    return f"{profile.id}:{document.document_type}:{document.business_key}"


def deliver(
    document: CanonicalDocument, *, profile: PartnerProfile, odoo: OdooApi
) -> DeliveryOutcome:
    """Turn one canonical document into Odoo records (see the module docstring)."""
    if profile.odoo is None:
        raise OdooConfigurationError(f"partner {profile.id} has no odoo section in its profile")
    invalid = invalid_numbers(document)
    if invalid:
        return DeliveryOutcome(exceptions=invalid, notes=["nothing sent to Odoo"])
    resolver = Resolver(odoo, profile.odoo)
    begin = getattr(odoo, "begin_document", None)
    if callable(begin):  # the dry run writes one file per delivered document
        begin(delivery_key(document, profile))
    if isinstance(document, PurchaseOrder):
        return deliver_purchase_order(document, profile=profile, odoo=odoo, resolver=resolver)
    if isinstance(document, OrderAcknowledgement):
        return deliver_acknowledgement(document, odoo=odoo, resolver=resolver)
    if isinstance(document, ShipNotice):
        return deliver_ship_notice(document, odoo=odoo, resolver=resolver)
    if isinstance(document, Invoice):
        return deliver_invoice(document, odoo=odoo, resolver=resolver)
    raise TypeError(f"cannot deliver {type(document).__name__} to Odoo")


def _lines(document: CanonicalDocument) -> list[tuple[str, object]]:
    if isinstance(document, ShipNotice):
        return [
            (line.po_line_number or f"{order.po_number}#{n}", line)
            for order in document.orders
            for n, line in enumerate(order.lines, start=1)
        ]
    return [(line.line_number, line) for line in document.lines]


def invalid_numbers(document: CanonicalDocument) -> list[BusinessIssue]:
    """Quantities and prices Odoo cannot take (NaN, infinite, negative), as issues."""
    issues: list[BusinessIssue] = []
    for number, line in _lines(document):
        for field in ("quantity", "unit_price"):
            value = getattr(line, field, None)
            if not isinstance(value, Decimal):
                continue
            if not value.is_finite() or value < 0:
                issues.append(
                    BusinessIssue(
                        kind="invalid_value",
                        message=f"line {number}: {field} {value} is not a usable number",
                        line_number=number,
                        received=str(value),
                    )
                )
    return issues

"""Delivery of canonical documents to Odoo, exactly once, decisions included.

:func:`deliver` is what the pipeline calls: :func:`plan_delivery` decides (reads Odoo,
writes nothing; each document type has its planner in ``purchase_order``,
``acknowledgement``, ``receipt``, ``bill``, lookups in ``resolve``), the caller records the
:class:`~gateway.odoo.delivery.plan.DeliveryPlan`, and :func:`apply_plan` carries it out.
A retry replays the recorded plan; every step first looks for what an interrupted
attempt already wrote, so nothing is duplicated and nothing is decided twice.

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
from gateway.odoo.delivery.acknowledgement import plan_acknowledgement
from gateway.odoo.delivery.bill import plan_invoice
from gateway.odoo.delivery.outcome import BusinessIssue, DeliveryOutcome, OdooRecordRef
from gateway.odoo.delivery.plan import Checkpoint, DeliveryPlan, apply_plan
from gateway.odoo.delivery.purchase_order import plan_purchase_order
from gateway.odoo.delivery.receipt import plan_ship_notice
from gateway.odoo.delivery.resolve import Resolver
from gateway.odoo.errors import OdooConfigurationError
from gateway.partners.profile import PartnerProfile

CanonicalDocument = PurchaseOrder | OrderAcknowledgement | ShipNotice | Invoice

__all__ = [
    "BusinessIssue",
    "DeliveryOutcome",
    "DeliveryPlan",
    "OdooRecordRef",
    "apply_plan",
    "deliver",
    "delivery_key",
    "plan_delivery",
]


def delivery_key(document: CanonicalDocument, profile: PartnerProfile) -> str:
    """Partner + document type + business key: what makes a delivery unique."""
    return f"{profile.id}:{document.document_type}:{document.business_key}"


def deliver(
    document: CanonicalDocument,
    *,
    profile: PartnerProfile,
    odoo: OdooApi,
    record: Checkpoint | None = None,
) -> DeliveryOutcome:
    """Turn one canonical document into Odoo records (see the module docstring).

    ``record`` is called with the plan before the first write, and again when the plan
    changes while it runs (a bill's totals check): the pipeline stores it there.
    """
    plan = plan_delivery(document, profile=profile, odoo=odoo)
    if record is not None and plan.writes:
        record(plan)
    return apply_plan(plan, odoo, checkpoint=record)


def plan_delivery(
    document: CanonicalDocument, *, profile: PartnerProfile, odoo: OdooApi
) -> DeliveryPlan:
    """Decide what delivering ``document`` writes, without writing (reads Odoo)."""
    if profile.odoo is None:
        raise OdooConfigurationError(f"partner {profile.id} has no odoo section in its profile")
    plan = DeliveryPlan(document_type=document.document_type, key=delivery_key(document, profile))
    invalid = invalid_numbers(document)
    if invalid:
        plan.exceptions.extend(invalid)
        plan.notes.append("nothing sent to Odoo")
        return plan
    resolver = Resolver(odoo, profile.odoo)
    begin = getattr(odoo, "begin_document", None)
    if callable(begin):  # the dry run writes one file per delivered document
        begin(plan.key)
    if isinstance(document, PurchaseOrder):
        return plan_purchase_order(document, plan=plan, odoo=odoo, resolver=resolver)
    if isinstance(document, OrderAcknowledgement):
        return plan_acknowledgement(document, plan=plan, odoo=odoo, resolver=resolver)
    if isinstance(document, ShipNotice):
        return plan_ship_notice(document, plan=plan, odoo=odoo, resolver=resolver)
    if isinstance(document, Invoice):
        return plan_invoice(document, plan=plan, odoo=odoo, resolver=resolver)
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

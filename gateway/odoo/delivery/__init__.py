"""Delivery of canonical documents to Odoo, exactly once, decisions included.

:func:`deliver` is what the pipeline calls: :func:`plan_delivery` decides (reads Odoo,
writes nothing; each document type's planner, in ``purchase_order``, ``order_acknowledgement``,
``receipt``, ``bill`` or ``sale_order``, is named by the registry in
:mod:`gateway.documents` for the role the partner sends the document in: a customer's
purchase order becomes a sale order; lookups in ``resolve``), the caller records the
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

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from gateway.canonical import AnyDocument, PurchaseOrder
from gateway.documents import for_document
from gateway.odoo.api import OdooApi
from gateway.odoo.delivery.outcome import BusinessIssue, DeliveryOutcome, OdooRecordRef
from gateway.odoo.delivery.plan import Checkpoint, DeliveryPlan, apply_plan
from gateway.odoo.delivery.resolve import Resolver
from gateway.odoo.errors import OdooConfigurationError
from gateway.partners.profile import PartnerProfile

if TYPE_CHECKING:
    from gateway.customer_items import CustomerItemRef

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


def delivery_key(document: AnyDocument, profile: PartnerProfile) -> str:
    """Partner + document type + business key: what makes a delivery unique."""
    return f"{profile.id}:{document.document_type}:{document.business_key}"


def deliver(
    document: AnyDocument,
    *,
    profile: PartnerProfile,
    odoo: OdooApi,
    record: Checkpoint | None = None,
    customer_items: Mapping[str, CustomerItemRef] | None = None,
    correlation_id: str | None = None,
    asked_order: PurchaseOrder | None = None,
) -> DeliveryOutcome:
    """Turn one canonical document into Odoo records (see the module docstring).

    ``record`` is called with the plan before the first write, and again when the plan
    changes while it runs (a bill's totals check): the pipeline stores it there.
    ``correlation_id`` is noted on the purchase orders, receipts and bills it writes.
    """
    plan = plan_delivery(
        document,
        profile=profile,
        odoo=odoo,
        customer_items=customer_items,
        asked_order=asked_order,
    )
    plan.correlation_id = correlation_id
    if record is not None and plan.writes:
        record(plan)
    return apply_plan(plan, odoo, checkpoint=record)


def plan_delivery(
    document: AnyDocument,
    *,
    profile: PartnerProfile,
    odoo: OdooApi,
    customer_items: Mapping[str, CustomerItemRef] | None = None,
    asked_order: PurchaseOrder | None = None,
) -> DeliveryPlan:
    """Decide what delivering ``document`` writes, without writing (reads Odoo).

    ``customer_items`` is the partner's cross-reference of its part numbers to our items
    (:func:`gateway.customer_items.lookup_table`), used for a customer's orders;
    ``asked_order`` is, for a customer's change order, their order as asked so far (the
    850 and the changes since), which numbers its lines as the sale order's.
    """
    if profile.odoo is None:
        raise OdooConfigurationError(f"partner {profile.id} has no odoo section in its profile")
    kind = for_document(document)
    role = kind.sender_role(profile.roles)
    if not kind.planners:
        raise OdooConfigurationError(
            f"a {kind.label.lower()} is a document we send, not one delivered to Odoo "
            f"(from partner {profile.id})"
        )
    if role is None:
        raise OdooConfigurationError(
            f"partner {profile.id} is a {' and '.join(profile.roles)}; a {kind.label.lower()} "
            f"comes from a {' or '.join(r for r, _ in kind.planners)} (add that to its role)"
        )
    plan = DeliveryPlan(document_type=document.document_type, key=delivery_key(document, profile))
    invalid = invalid_numbers(document)
    if invalid:
        plan.exceptions.extend(invalid)
        plan.notes.append("nothing sent to Odoo")
        return plan
    resolver = Resolver(odoo, profile.odoo, customer_items=customer_items, asked_order=asked_order)
    odoo.begin_document(plan.key)  # the dry run writes one file per delivered document
    planner = kind.delivery_planner(role)
    return planner(document, plan=plan, odoo=odoo, resolver=resolver)


def invalid_numbers(document: AnyDocument) -> list[BusinessIssue]:
    """Quantities and prices Odoo cannot take (NaN, infinite, negative), as issues.

    A credit note may state what it credits as negative numbers: those are credited as
    their absolute values (see :mod:`gateway.odoo.delivery.bill`)."""
    issues: list[BusinessIssue] = []
    signed = getattr(document, "credit_note", False) is True
    for number, line in document.numbered_lines():
        for field in ("quantity", "unit_price"):
            value = getattr(line, field, None)
            if not isinstance(value, Decimal):
                continue
            if not value.is_finite() or (value < 0 and not signed):
                issues.append(
                    BusinessIssue(
                        kind="invalid_value",
                        message=f"line {number}: {field} {value} is not a usable number",
                        line_number=number,
                        received=str(value),
                    )
                )
    return issues

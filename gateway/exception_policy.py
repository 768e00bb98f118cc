"""How urgent each kind of business exception is: severity, due time, and age buckets.

One table for the metrics (``edigw_business_exceptions_*``), the alert rules
(exceptions older than their SLO) and the routing of exceptions to people. Pure data.

Severity follows what the exception blocks: an item or unit nobody can identify and an
order the partner rejected stop goods from arriving (``high``: 4 hours); a price or
quantity that does not match holds a bill or a receipt (``medium``: one business day);
changes the partner only announced wait for a look (``low``: three days).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

Severity = Literal["high", "medium", "low"]

SEVERITY: dict[str, Severity] = {
    "unknown_item": "high",
    "invalid_item_id": "high",
    "ambiguous_item": "high",
    "unknown_uom": "high",
    "pack_size_mismatch": "high",
    "rejected_order": "high",
    "rejected_line": "high",
    "order_not_found": "high",
    "missing_lot": "high",
    "missing_expiry": "high",
    "lot_quantity_mismatch": "high",
    "over_shipment": "medium",
    "price_mismatch": "medium",
    "off_contract_price": "medium",
    "invalid_contract_reference": "medium",
    "supplier_credit_note": "medium",
    # found by the reconciliation (gateway/reconcile.py)
    "record_deleted": "medium",
    "record_changed": "medium",
    "receipt_without_bill": "medium",
    "bill_without_receipt": "medium",
    "billed_over_received": "medium",
    "received_not_billed": "medium",
    "quantity_mismatch": "medium",
    "unexpected_item": "medium",
    "nothing_to_receive": "medium",
    "odoo_refused": "medium",
    "invalid_value": "medium",
    "changed_line": "low",
    "changed_order": "low",
    "unknown_customer": "high",
    "unknown_ship_to": "high",
    "customer_price_mismatch": "medium",
    "customer_changed_order": "medium",
    # an AS2 message whose asynchronous MDN never came: the partner may not have it
    "mdn_overdue": "high",
}
DEFAULT_SEVERITY: Severity = "medium"

DUE_AFTER: dict[Severity, dt.timedelta] = {
    "high": dt.timedelta(hours=4),
    "medium": dt.timedelta(hours=24),
    "low": dt.timedelta(hours=72),
}

# upper bounds in seconds and their labels; the last bucket is open-ended
AGE_BUCKETS: tuple[tuple[float, str], ...] = (
    (3600, "under_1h"),
    (4 * 3600, "1h_to_4h"),
    (24 * 3600, "4h_to_1d"),
    (3 * 24 * 3600, "1d_to_3d"),
    (float("inf"), "over_3d"),
)

# kinds that hold a vendor bill (the bill stays in draft until someone decides)
BILL_HOLDING_KINDS = frozenset(
    {
        "price_mismatch",
        "off_contract_price",
        "invalid_contract_reference",
        "quantity_mismatch",
        "unexpected_item",
    }
)


def severity_of(kind: str) -> Severity:
    """The severity of an exception kind (unknown kinds are ``medium``)."""
    return SEVERITY.get(kind, DEFAULT_SEVERITY)


def due_after(kind: str) -> dt.timedelta:
    """How long an exception of this kind may stay open (its SLO)."""
    return DUE_AFTER[severity_of(kind)]


def age_bucket(age_seconds: float) -> str:
    """The label of the age bucket an open exception falls in."""
    for bound, label in AGE_BUCKETS:
        if age_seconds < bound:
            return label
    return AGE_BUCKETS[-1][1]


# who works each kind unless the partner's profile says otherwise (exceptions.routes)
DEFAULT_ROUTES: dict[str, str] = {
    "price_mismatch": "ap-team",
    "off_contract_price": "ap-team",
    "invalid_contract_reference": "ap-team",
    "supplier_credit_note": "ap-team",
    "receipt_without_bill": "ap-team",
    "bill_without_receipt": "ap-team",
    "billed_over_received": "ap-team",
    "received_not_billed": "ap-team",
    "record_deleted": "purchasing",
    "record_changed": "purchasing",
    "quantity_mismatch": "ap-team",
    "unexpected_item": "ap-team",
    "unknown_item": "purchasing",
    "invalid_item_id": "purchasing",
    "ambiguous_item": "purchasing",
    "unknown_uom": "purchasing",
    "pack_size_mismatch": "purchasing",
    "rejected_order": "purchasing",
    "rejected_line": "purchasing",
    "changed_line": "purchasing",
    "changed_order": "purchasing",
    "order_not_found": "purchasing",
    "over_shipment": "receiving",
    "missing_lot": "receiving",
    "missing_expiry": "receiving",
    "lot_quantity_mismatch": "receiving",
    "nothing_to_receive": "receiving",
    "unknown_customer": "sales",
    "unknown_ship_to": "sales",
    "customer_price_mismatch": "sales",
    "customer_changed_order": "sales",
    # a transport matter first: someone who can call the partner's EDI contact
    "mdn_overdue": "operations",
}
DEFAULT_GROUP = "operations"

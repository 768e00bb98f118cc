"""The life of a document we send: one state machine from Odoo to the partner's invoice.

An order we send moves ``queued -> sent -> delivered (MDN) -> accepted | rejected (997/
999/CONTRL) -> acknowledged (855/ORDRSP) -> shipped (856/DESADV) -> invoiced (810/
INVOIC)``. Partners skip steps (no MDN over SFTP; an 856 before the 855; a 997 after
the 855), so a later step may follow any earlier one; a document never moves backwards
(an 855 arriving after the 856 records its time but leaves the order ``shipped``).
``failed`` is ours (could not be written or sent after the retries), ``rejected`` is the
partner's functional acknowledgement, ``cancelled`` an operator's.
"""

from __future__ import annotations

import enum


class OrderCycle(enum.StrEnum):
    """Where an order we sent stands with the partner."""

    QUEUED = "queued"  # read from Odoo, written and validated, control numbers fixed
    SENT = "sent"  # handed to the transport (AS2 POST answered, file uploaded)
    DELIVERED = "delivered"  # the partner's MDN confirmed receipt
    ACCEPTED = "accepted"  # 997/999/CONTRL accepted it
    REJECTED = "rejected"  # 997/999/CONTRL rejected it
    ACKNOWLEDGED = "acknowledged"  # 855/ORDRSP answered it
    SHIPPED = "shipped"  # 856/DESADV for it arrived
    INVOICED = "invoiced"  # 810/INVOIC for it arrived
    FAILED = "failed"  # we could not send it (dead letter; an operator can resend)
    CANCELLED = "cancelled"  # an operator stopped it


# Progress order: an answer moves the order forward only (never back).
PROGRESS = (
    OrderCycle.QUEUED,
    OrderCycle.SENT,
    OrderCycle.DELIVERED,
    OrderCycle.ACCEPTED,
    OrderCycle.ACKNOWLEDGED,
    OrderCycle.SHIPPED,
    OrderCycle.INVOICED,
)
FINAL = frozenset({OrderCycle.INVOICED, OrderCycle.REJECTED, OrderCycle.CANCELLED})


def advance(current: OrderCycle, reached: OrderCycle) -> OrderCycle:
    """The state after ``reached`` happened to an order in ``current``.

    Moves forward along :data:`PROGRESS`; ``rejected``/``failed``/``cancelled`` replace
    any non-final state; nothing leaves a final state (a late answer to a cancelled order
    is recorded on the order's timeline, not as a state).
    """
    if current in FINAL:
        return current
    if reached in (OrderCycle.REJECTED, OrderCycle.FAILED, OrderCycle.CANCELLED):
        return reached
    if current is OrderCycle.FAILED:
        return reached if reached is OrderCycle.QUEUED else current
    if reached in PROGRESS and PROGRESS.index(reached) > PROGRESS.index(current):
        return reached
    return current


def is_open(state: OrderCycle) -> bool:
    """Whether the order still waits for answers (overdue checks apply)."""
    return state not in FINAL and state not in (OrderCycle.QUEUED, OrderCycle.FAILED)

"""The life of a document we send: one state machine from Odoo to the partner's invoice.

An order we send moves ``queued -> sent -> delivered (MDN) -> accepted | rejected (997/
999/CONTRL) -> acknowledged (855/ORDRSP) -> shipped (856/DESADV) -> invoiced (810/
INVOIC)``. Partners skip steps (no MDN over SFTP; an 856 before the 855; a 997 after
the 855), so a later step may follow any earlier one; a document never moves backwards
(an 855 arriving after the 856 records its time but leaves the order ``shipped``).
``failed`` is ours (could not be written or sent after the retries), ``rejected`` is the
partner's functional acknowledgement, ``cancelled`` an operator's. The states and the
table of allowed moves are owned by :mod:`gateway.states` (``OUTBOUND_ORDERS``);
:func:`advance` only ever chooses a move that table allows (a test walks both).
"""

from __future__ import annotations

from gateway.states import ORDER_PROGRESS, OUTBOUND_ORDERS, OrderCycle

__all__ = ["FINAL", "PROGRESS", "OrderCycle", "advance", "is_open"]

# Progress order: an answer moves the order forward only (never back).
PROGRESS = ORDER_PROGRESS
# nothing moves an order out of these (invoiced, rejected, cancelled): from the table
FINAL = OUTBOUND_ORDERS.final


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

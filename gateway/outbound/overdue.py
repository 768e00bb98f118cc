"""Which answers to an order we sent are overdue, by the partner's ``expect:`` timers.

Pure: the order's progress (when it was sent and when each answer arrived), the
profile's :class:`~gateway.partners.outbound.Expectations` and the current time in, the
overdue answers out. The scheduled check calls this for every open order and raises one
business exception per order and kind (the store remembers which it raised); tests pass
a fixed ``now``.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from gateway.partners.outbound import BEFORE_REQUESTED_DATE, Expectations


class Awaited(enum.StrEnum):
    """An answer we wait for after sending an order."""

    FUNCTIONAL_ACK = "functional_ack"  # 997 / 999 / CONTRL
    ORDER_ACK = "order_ack"  # 855 / ORDRSP
    SHIP_NOTICE = "ship_notice"  # 856 / DESADV
    INVOICE = "invoice"  # 810 / INVOIC


@dataclass(frozen=True)
class OrderProgress:
    """What happened to one order we sent (times are timezone-aware UTC)."""

    sent_at: dt.datetime
    functional_ack_at: dt.datetime | None = None
    order_ack_at: dt.datetime | None = None
    ship_notice_at: dt.datetime | None = None
    invoice_at: dt.datetime | None = None
    requested_date: dt.date | None = None
    closed: bool = False  # rejected, cancelled or otherwise finished: nothing is awaited


@dataclass(frozen=True)
class Overdue:
    """One awaited answer whose deadline has passed."""

    awaited: Awaited
    due_at: dt.datetime

    def describe(self, now: dt.datetime) -> str:
        """``order_ack overdue by 3h 20m (due 2026-12-04 14:00 UTC)``."""
        late = now - self.due_at
        hours, rest = divmod(int(late.total_seconds()), 3600)
        days, hours = divmod(hours, 24)
        span = f"{days}d {hours}h" if days else f"{hours}h {rest // 60}m"
        return f"{self.awaited.value} overdue by {span} (due {self.due_at:%Y-%m-%d %H:%M} UTC)"


def deadlines(progress: OrderProgress, expect: Expectations) -> dict[Awaited, dt.datetime]:
    """When each answer not yet received is due (absent when it has no deadline)."""
    if progress.closed:
        return {}
    due: dict[Awaited, dt.datetime] = {}
    if progress.functional_ack_at is None:
        due[Awaited.FUNCTIONAL_ACK] = progress.sent_at + expect.functional_ack
    if progress.order_ack_at is None:
        due[Awaited.ORDER_ACK] = progress.sent_at + expect.order_ack
    if progress.ship_notice_at is None:
        if expect.ship_notice == BEFORE_REQUESTED_DATE:
            if progress.requested_date is not None:
                day = progress.requested_date
                due[Awaited.SHIP_NOTICE] = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        elif isinstance(expect.ship_notice, dt.timedelta):  # the only other kind
            due[Awaited.SHIP_NOTICE] = progress.sent_at + expect.ship_notice
    if progress.invoice_at is None:
        start = progress.ship_notice_at or progress.sent_at
        due[Awaited.INVOICE] = start + expect.invoice
    return due


def overdue(progress: OrderProgress, expect: Expectations, now: dt.datetime) -> list[Overdue]:
    """The awaited answers whose deadline is before ``now``, earliest first."""
    found = [Overdue(kind, at) for kind, at in deadlines(progress, expect).items() if at < now]
    return sorted(found, key=lambda item: item.due_at)

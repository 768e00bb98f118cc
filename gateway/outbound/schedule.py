"""When a scheduled document (the inventory advice) is due: pure time arithmetic.

A schedule is either a duration (``every: 24h``: due when that long has passed since
the last one) or times of day in UTC (``at: ["06:00", "14:00"]``: due once for the
latest time passed since the last one; times missed while the gateway was down make one
advice, not one each). The *slot* returned is what the pipeline stores as the last run,
in the same transaction as the document it queues, so a slot is sent exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence


def due_slot(
    now: dt.datetime,
    last: dt.datetime | None,
    *,
    every: dt.timedelta | None = None,
    at: Sequence[dt.time] = (),
) -> dt.datetime | None:
    """The slot to send now, or None when nothing is due. ``now`` and ``last`` are
    aware datetimes (UTC); without ``at``, ``every`` (default 24 hours) applies."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if at:
        latest = _latest_time_passed(now, at)
        if last is None or latest > last:
            return latest
        return None
    interval = every or dt.timedelta(hours=24)
    if interval <= dt.timedelta(0):
        raise ValueError("every must be a positive duration")
    if last is None or now - last >= interval:
        return now
    return None


def _latest_time_passed(now: dt.datetime, at: Sequence[dt.time]) -> dt.datetime:
    today = now.astimezone(dt.UTC).date()
    for day in (today, today - dt.timedelta(days=1)):
        passed = [
            dt.datetime.combine(day, t.replace(tzinfo=None), tzinfo=dt.UTC)
            for t in sorted(at, reverse=True)
        ]
        for slot in passed:
            if slot <= now:
                return slot
    return dt.datetime.combine(today - dt.timedelta(days=1), min(at), tzinfo=dt.UTC)

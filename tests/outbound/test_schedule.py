"""When the inventory advice is due (gateway/outbound/schedule.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.outbound.schedule import due_slot

T = dt.datetime(2026, 12, 5, 10, 30, tzinfo=dt.UTC)


def test_every_duration() -> None:
    assert due_slot(T, None) == T  # never sent: now
    assert due_slot(T, T - dt.timedelta(hours=23)) is None  # default 24h not passed
    assert due_slot(T, T - dt.timedelta(hours=24)) == T
    assert due_slot(T, T - dt.timedelta(hours=2), every=dt.timedelta(hours=2)) == T


def test_times_of_day_send_once_per_time_passed() -> None:
    at = [dt.time(6, 0), dt.time(14, 0)]
    six = dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)
    assert due_slot(T, None, at=at) == six
    assert due_slot(T, six, at=at) is None  # the 06:00 one was sent
    # down from yesterday 13:00 to now: one advice for the latest time passed, not three
    assert due_slot(T, six - dt.timedelta(hours=17), at=at) == six
    early = dt.datetime(2026, 12, 5, 5, 0, tzinfo=dt.UTC)
    assert due_slot(early, None, at=at) == dt.datetime(2026, 12, 4, 14, 0, tzinfo=dt.UTC)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_slot(T.replace(tzinfo=None), None)

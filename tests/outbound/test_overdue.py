"""Overdue answers to orders we sent, by the partner's expect: timers (fixed clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.outbound.overdue import Awaited, OrderProgress, overdue
from gateway.partners.outbound import Expectations, parse_duration

SENT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def expect(**values: object) -> Expectations:
    return Expectations.model_validate(values)


def test_nothing_is_overdue_before_the_first_deadline() -> None:
    progress = OrderProgress(sent_at=SENT, requested_date=dt.date(2026, 12, 10))
    assert overdue(progress, expect(), SENT + dt.timedelta(hours=1, minutes=59)) == []


def test_missing_997_is_overdue_after_two_hours_by_default() -> None:
    progress = OrderProgress(sent_at=SENT)
    found = overdue(progress, expect(), SENT + dt.timedelta(hours=2, minutes=1))
    assert [item.awaited for item in found] == [Awaited.FUNCTIONAL_ACK]
    assert found[0].describe(SENT + dt.timedelta(hours=3)) == (
        "functional_ack overdue by 1h 0m (due 2026-12-01 11:00 UTC)"
    )


def test_answers_received_are_not_awaited() -> None:
    progress = OrderProgress(
        sent_at=SENT,
        functional_ack_at=SENT + dt.timedelta(minutes=5),
        order_ack_at=SENT + dt.timedelta(hours=3),
    )
    found = overdue(progress, expect(), SENT + dt.timedelta(days=2))
    assert [item.awaited for item in found] == []


def test_ship_notice_before_the_requested_date() -> None:
    progress = OrderProgress(
        sent_at=SENT,
        functional_ack_at=SENT,
        order_ack_at=SENT,
        requested_date=dt.date(2026, 12, 5),
    )
    assert overdue(progress, expect(), dt.datetime(2026, 12, 4, 23, 59, tzinfo=dt.UTC)) == []
    late = overdue(progress, expect(), dt.datetime(2026, 12, 5, 0, 1, tzinfo=dt.UTC))
    assert [item.awaited for item in late] == [Awaited.SHIP_NOTICE]


def test_ship_notice_as_a_duration_and_invoice_after_shipping() -> None:
    timers = expect(ship_notice="3d", invoice="10d")
    progress = OrderProgress(
        sent_at=SENT,
        functional_ack_at=SENT,
        order_ack_at=SENT,
        ship_notice_at=SENT + dt.timedelta(days=2),
    )
    assert overdue(progress, timers, SENT + dt.timedelta(days=11)) == []
    late = overdue(progress, timers, SENT + dt.timedelta(days=12, minutes=1))
    assert [item.awaited for item in late] == [Awaited.INVOICE]


def test_closed_orders_await_nothing() -> None:
    progress = OrderProgress(sent_at=SENT, closed=True)
    assert overdue(progress, expect(), SENT + dt.timedelta(days=365)) == []


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("3d", 259200), ("1w", 604800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_bad_duration_is_named() -> None:
    with pytest.raises(ValueError, match="'soon' is not a duration"):
        parse_duration("soon")


def test_profile_timers_survive_a_json_round_trip() -> None:
    timers = expect(functional_ack="90m", ship_notice="3d")
    again = Expectations.model_validate_json(timers.model_dump_json())
    assert again == timers


def test_partner_ack_codes_in_words() -> None:
    from gateway.outbound.ack_codes import describe

    assert describe("997", "5") == "5: one or more segments in error"
    assert describe("999", "I5") == "I5: implementation one or more segments in error"
    assert describe("CONTRL", "26") == "26: duplicate detected"
    assert describe("997", "ZZ9") == "ZZ9"

"""Value conversions: dates, numbers, implied decimals, unit codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.mapping.convert import (
    BadValue,
    to_date,
    to_decimal,
    to_edifact_date,
    to_implied,
    to_int,
    to_uom,
)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("20261118", dt.date(2026, 11, 18)),
        ("261118", dt.date(2026, 11, 18)),
        ("202611181230", dt.date(2026, 11, 18)),
    ],
)
def test_dates_by_length(raw: str, expected: dt.date) -> None:
    assert to_date(raw) == expected


@pytest.mark.parametrize("raw", ["200", "20261301", "2026-11-18", "", "ABCDEFGH"])
def test_bad_dates_carry_the_invalid_date_code(raw: str) -> None:
    with pytest.raises(BadValue) as info:
        to_date(raw)
    assert info.value.code == "8"


@pytest.mark.parametrize(
    "raw,fmt,expected",
    [
        ("20290331", "102", dt.date(2029, 3, 31)),
        ("202611200800", "203", dt.date(2026, 11, 20)),
        ("290331", "101", dt.date(2029, 3, 31)),
        ("20261101-20261130", "718", dt.date(2026, 11, 1)),
        ("20290331", "", dt.date(2029, 3, 31)),
    ],
)
def test_edifact_dates_follow_their_format_qualifier(raw: str, fmt: str, expected: dt.date) -> None:
    assert to_edifact_date(raw, fmt) == expected


def test_edifact_date_with_unknown_format_is_refused() -> None:
    with pytest.raises(BadValue, match="616"):
        to_edifact_date("2026W47", "616")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("12.5", Decimal("12.5")),
        ("0,85", Decimal("0.85")),
        ("-3", Decimal("-3")),
        (" 7 ", 7),
    ],
)
def test_decimals_accept_point_or_comma(raw: str, expected: Decimal) -> None:
    assert to_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["1.234,5", "NaN", "Infinity", "1E40", "x", "9" * 41])
def test_bad_decimals_are_refused(raw: str) -> None:
    with pytest.raises(BadValue):
        to_decimal(raw)


def test_implied_decimals() -> None:
    assert to_implied("255438", 2) == Decimal("2554.38")
    assert to_implied("-150", 2) == Decimal("-1.50")
    with pytest.raises(BadValue):
        to_implied("12.50", 2)


def test_int_and_units() -> None:
    assert to_int("42") == 42
    with pytest.raises(BadValue):
        to_int("4.2")
    assert to_uom("pce", {"PCE": "EA"}, {"EA": "EA"}) == "EA"
    assert to_uom("BX", {}, {"UN": "EA"}) == "BX"

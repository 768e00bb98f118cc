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
    # 716 (CCYYMM-CCYYMM, a period of months) is a 2379 code we do not read
    with pytest.raises(BadValue, match="'716' is not supported"):
        to_edifact_date("202611-202612", "716")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("202647", dt.date(2026, 11, 22)),  # week 47 of 2026: Monday 16 to Sunday 22 Nov
        ("202601", dt.date(2026, 1, 4)),  # ISO week 1 holds the year's first Thursday
        ("202501", dt.date(2025, 1, 5)),
        ("202052", dt.date(2020, 12, 27)),
        ("202053", dt.date(2021, 1, 3)),  # 2020 has 53 weeks; its last ends in 2021
        ("202653", dt.date(2027, 1, 3)),  # so has 2026 (it starts on a Thursday)
    ],
)
def test_edifact_616_week_is_its_sunday(raw: str, expected: dt.date) -> None:
    # given a year and ISO week (CCYYWW): like a month (610), its last day
    assert to_edifact_date(raw, "616") == expected


@pytest.mark.parametrize(
    "raw",
    ["202553", "202700", "202654", "2026W4", "20264", "2026477", "000000"],
)
def test_edifact_616_week_that_does_not_exist_is_refused(raw: str) -> None:
    # week 00, week 53 of a 52-week year (2025, 2027), and anything but six digits
    with pytest.raises(BadValue) as info:
        to_edifact_date(raw, "616")
    assert info.value.code == "8" and repr(raw) in info.value.reason


@pytest.mark.parametrize(
    "raw,fmt",
    [
        ("2029033", "102"),  # a digit short: strptime read it as 2029-03-03
        ("29033", "101"),
        ("20261101-20261031", "718"),  # a period that ends before it starts
        ("20261101-20261131", "718"),  # or ends on a day that does not exist
        ("2026112008", "203"),
        ("202611202500", "203"),
    ],
)
def test_edifact_dates_that_do_not_fit_their_format_are_refused(raw: str, fmt: str) -> None:
    with pytest.raises(BadValue) as info:
        to_edifact_date(raw, fmt)
    assert info.value.code == "8"


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

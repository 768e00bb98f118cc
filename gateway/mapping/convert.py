"""Value conversions named by map rules: dates, numbers, implied decimals, unit codes.

Each function takes the raw text of one element and returns the canonical value, or
raises :class:`BadValue` with a reason and the acknowledgement code it deserves
(X12 AK4: ``8`` invalid date, ``6`` invalid character/number). They never see a
segment: the engine adds the position.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from gateway.identifiers import NDC_QUALIFIER_LAYOUTS, IdentifierError, parse_ndc

MAX_NUMBER_CHARS = 40  # X12 R/N elements are at most 18 digits; EDIFACT n..35
MAX_EXPONENT = 18  # |value| below 10**19 and, if not zero, above 10**-19


class BadValue(ValueError):
    """A value that does not convert; ``code`` is the X12 AK4 element error code."""

    def __init__(self, reason: str, code: str = "6") -> None:
        self.reason = reason
        self.code = code
        super().__init__(reason)


_LAYOUTS = {
    "CCYYMMDD": "%Y%m%d",
    "YYMMDD": "%y%m%d",
    "CCYYMMDDHHMM": "%Y%m%d%H%M",
    "CCYYMMDDHHMMSS": "%Y%m%d%H%M%S",
    "YYMMDDHHMM": "%y%m%d%H%M",
}

# EDIFACT 2379 date/time/period format qualifiers we accept, as layouts.
EDIFACT_FORMATS = {
    "101": "YYMMDD",
    "102": "CCYYMMDD",
    "201": "YYMMDDHHMM",
    "203": "CCYYMMDDHHMM",
    "204": "CCYYMMDDHHMMSS",
    "610": "CCYYMM",  # a month: its last day (see to_date)
    "616": "CCYYWW",  # an ISO 8601 week: its last day, the Sunday (see to_date)
    "718": "CCYYMMDD-CCYYMMDD",  # a period: the start date is taken (see to_date)
}

# X12 1250 date/time period format qualifiers we accept (DTM05, with the value in DTM06)
X12_FORMATS = {
    "D8": "CCYYMMDD",
    "CM": "CCYYMM",  # a month: its last day (see to_date)
}


# the layout a date of this many digits has when the rule names none
_LAYOUT_BY_LENGTH = {8: "CCYYMMDD", 6: "YYMMDD", 12: "CCYYMMDDHHMM", 14: "CCYYMMDDHHMMSS"}


@lru_cache(maxsize=4096)
def to_date(raw: str, layout: str | None = None) -> dt.date:
    """A date from CCYYMMDD or YYMMDD (by length when no layout is given).

    ``CCYYMM`` (a month only, named explicitly: EDIFACT 610, X12 CM) is the LAST day of
    that month: a lot labelled with a year and month of expiry may be used until the
    end of that month (the GS1 / pharmaceutical convention), never beyond it.

    ``CCYYWW`` (a year and ISO 8601 week, EDIFACT 616) is likewise the LAST day of that
    week, its Sunday; week 00, and a week 53 in a year that has 52, do not exist.

    Remembered per text and layout (a date is immutable; a ship notice names the same
    few expiry and ship dates hundreds of times); a refusal is raised every time."""
    text = raw.strip()
    if layout is None:
        layout = _LAYOUT_BY_LENGTH.get(len(text), "")
    special = _SPECIAL_LAYOUTS.get(layout)
    if special is not None:
        return special(raw, text)
    if layout == "CCYYMMDD" and len(text) == 17 and text[8] == "-":
        text = text[:8]
    if len(text) == 8 and layout == "CCYYMMDD" and text.isascii() and text.isdigit():
        # the common case without strptime (same result: strptime reads 4+2+2 digits)
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError as exc:
            raise BadValue(f"{raw!r} is not a valid {layout} date", code="8") from exc
    fmt = _LAYOUTS.get(layout)
    if fmt is None or not (text.isascii() and text.isdigit()):
        raise BadValue(f"{raw!r} is not a date (expected CCYYMMDD or YYMMDD)", code="8")
    if len(text) != len(layout):
        # strptime would read "2026031" as 2026-03-01: a digit short is not a date
        raise BadValue(f"{raw!r} is not a valid {layout} date ({len(layout)} digits)", code="8")
    try:
        return dt.datetime.strptime(text, fmt).date()
    except ValueError as exc:
        raise BadValue(f"{raw!r} is not a valid {layout} date", code="8") from exc


def _month(raw: str, text: str) -> dt.date:
    """CCYYMM: the last day of the month."""
    if not (len(text) == 6 and text.isascii() and text.isdigit()):
        raise BadValue(f"{raw!r} is not a valid CCYYMM month", code="8")
    year, month = int(text[:4]), int(text[4:])
    if not (year >= 1 and 1 <= month <= 12):
        raise BadValue(f"{raw!r} is not a valid CCYYMM month", code="8")
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _week(raw: str, text: str) -> dt.date:
    """CCYYWW: the Sunday (last day) of the ISO 8601 week."""
    if not (len(text) == 6 and text.isascii() and text.isdigit() and int(text[:4]) >= 1):
        raise BadValue(f"{raw!r} is not a valid CCYYWW week", code="8")
    try:
        return dt.date.fromisocalendar(int(text[:4]), int(text[4:]), 7)
    except ValueError as exc:
        raise BadValue(
            f"{raw!r} is not a valid CCYYWW week (ISO weeks are 01-52, and 53 only in "
            "a year that has one)",
            code="8",
        ) from exc


def _period(raw: str, text: str) -> dt.date:
    """CCYYMMDD-CCYYMMDD: the start date, when both ends are dates in that order."""
    start, dash, end = text.partition("-")
    if not dash:
        return to_date(text, "CCYYMMDD")  # a single date where a period was named
    first, last = to_date(start, "CCYYMMDD"), to_date(end, "CCYYMMDD")
    if last < first:
        raise BadValue(f"{raw!r} is not a valid period (it ends before it starts)", code="8")
    return first


# layouts that are not one strptime format: (raw, stripped text) -> the date
_SPECIAL_LAYOUTS = {"CCYYMM": _month, "CCYYWW": _week, "CCYYMMDD-CCYYMMDD": _period}


def to_edifact_date(raw: str, format_code: str) -> dt.date:
    """A date from an EDIFACT C507 value and its 2379 format qualifier (102, 203 ...)."""
    code = format_code.strip() or ("102" if len(raw.strip()) == 8 else "")
    layout = EDIFACT_FORMATS.get(code)
    if layout is None:
        raise BadValue(f"date format qualifier {format_code!r} is not supported", code="8")
    return to_date(raw, layout)


def to_x12_date(raw: str, format_code: str) -> dt.date:
    """A date from an X12 DTM06 value and its DTM05 format qualifier (1250: D8, CM)."""
    layout = X12_FORMATS.get(format_code.strip().upper())
    if layout is None:
        raise BadValue(
            f"date format qualifier {format_code!r} is not supported "
            f"(expected one of {', '.join(X12_FORMATS)})",
            code="8",
        )
    return to_date(raw, layout)


def to_decimal(raw: str) -> Decimal:
    """A decimal number; a decimal comma (EDIFACT) is accepted as well as a point."""
    text = raw.strip()
    if len(text) <= MAX_EXPONENT and text.isascii() and text.isdigit():
        return Decimal(text)  # plain digits (most quantities): finite and in range
    if not text or len(text) > MAX_NUMBER_CHARS:
        raise BadValue(f"{raw[:MAX_NUMBER_CHARS]!r} is not a number")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise BadValue(f"{raw!r} is not a number") from exc
    if not value.is_finite():
        raise BadValue(f"{raw!r} is not a number")
    if value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        # exponent notation must not smuggle in numbers no quantity or price can be
        raise BadValue(f"{raw!r} is out of range")
    return value


def to_implied(raw: str, places: int) -> Decimal:
    """An X12 Nn number: digits with ``places`` implied decimal places (``N2 1234`` = 12.34)."""
    text = raw.strip()
    if not text or len(text) > MAX_NUMBER_CHARS:
        raise BadValue(f"{raw[:MAX_NUMBER_CHARS]!r} is not a number")
    sign = ""
    if text[0] in "+-":
        sign, text = ("-" if text[0] == "-" else ""), text[1:]
    if not text.isdigit():
        raise BadValue(f"{raw!r} is not an N{places} number (digits only, implied decimals)")
    return Decimal(f"{sign}{text}").scaleb(-places)


def to_int(raw: str) -> int:
    """A whole number."""
    text = raw.strip()
    if not text.lstrip("+-").isdigit() or len(text) > MAX_NUMBER_CHARS:
        raise BadValue(f"{raw!r} is not a whole number")
    return int(text)


def to_uom(raw: str, *tables: Mapping[str, str]) -> str:
    """A unit code passed through the partner's and the map's unit tables, in order."""
    code = raw.strip().upper()
    for table in tables:
        code = table.get(code, code)
    return code


def item_id(field: str, qualifier: str, value: str) -> str:
    """An item identifier as filed by an ``ids`` rule, with what its qualifier says.

    X12 qualifiers N1/N2/N3 (element 235) say an NDC's layout (4-4-2, 5-3-2, 5-4-1), which
    an undashed 10-digit NDC does not: such an NDC becomes its unambiguous 11-digit
    (5-4-2) form here, while the qualifier is still known. Anything that does not fit is
    left as sent, for the item lookup to report.
    """

    layout = NDC_QUALIFIER_LAYOUTS.get(qualifier)
    if layout is None or layout == "5-4-2" or not field.endswith("ndc"):
        return value
    try:
        return parse_ndc(value, layout).normalized or value
    except IdentifierError:
        return value

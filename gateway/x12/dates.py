"""X12 date (DT) and time (TM) values: which ones name a real day and a real time.

Shared by the element checker (:mod:`gateway.x12.validate`), the ISA and GS envelope
checks and the TA1 writer, so that "a date" means the same thing everywhere: CCYYMMDD or
YYMMDD naming a day of the Gregorian calendar, and HHMM[SS[d[d]]] with hours 00-23,
minutes and seconds 00-59.
"""

from __future__ import annotations

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def leap(year: int) -> bool:
    """Gregorian leap year. A YYMMDD date is read as 20YY, so its 29 February is valid
    when YY is a multiple of 4 (00 included: 2000 was a leap year), as in pyx12."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def calendar_date(raw: str, sizes: tuple[int, ...] = (6, 8)) -> bool:
    """CCYYMMDD or YYMMDD (``sizes`` says which lengths are allowed) naming a day of the
    calendar (29 February in leap years only)."""
    if len(raw) not in sizes or len(raw) not in (6, 8) or not (raw.isascii() and raw.isdigit()):
        return False
    month, day = int(raw[-4:-2]), int(raw[-2:])
    if not (1 <= month <= 12 and day >= 1):
        return False
    if month == 2 and day == 29:
        return leap(int(raw[:-4]) + (2000 if len(raw) == 6 else 0))
    return day <= _MONTH_DAYS[month - 1]


def clock_time(raw: str, sizes: tuple[int, ...] = (4, 6, 7, 8)) -> bool:
    """HHMM, HHMMSS, HHMMSSd or HHMMSSdd (``sizes`` says which lengths are allowed) with
    hours 00-23 and minutes and seconds 00-59."""
    if len(raw) not in sizes or len(raw) not in (4, 6, 7, 8):
        return False
    if not (raw.isascii() and raw.isdigit()):
        return False
    return int(raw[:2]) <= 23 and int(raw[2:4]) <= 59 and (len(raw) < 6 or int(raw[4:6]) <= 59)

"""The sizes of the service segments' data elements (UNB, UNG, UNE, UNH, UNT, UNZ), and
the UNB/UNG date and time.

ISO 9735 fixes each service element's format (0062 an..14, 0065 an..6, 0025 an2, ...).
The reader checks the envelope against these layouts whatever the message type: a
message type we have no spec for (the spec's UNH layout checks the others) still gets
its UNH/UNT checked, so a 40-character 0065 is refused as too long (39), not accepted.

Syntax versions 1 to 3 share one layout; version 4 widened some elements (0051 an..3,
the UNB routing addresses an..35) and added components. Only lengths are checked here
(39 too long, 40 too short): a missing mandatory element, the syntax identifier (S001)
and the date and time (S004, :func:`date_time_findings`) have their own checks with
their own codes. Extra elements or components are left to those checks as well.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from gateway.edifact import codes
from gateway.edifact.segment import EdifactSegment
from gateway.edifact.specs.model import ElementSpec, segment_layout

_V3: dict[str, str] = {
    "UNB": "S001 M[0001 M a4|0002 M n1]; S002 M[0004 M an..35|0007 C an..4|0008 C an..14];"
    " S003 M[0010 M an..35|0007 C an..4|0014 C an..14]; S004 M[0017 M n6|0019 M n4];"
    " 0020 M an..14; S005 C[0022 M an..14|0025 C an2]; 0026 C an..14; 0029 C a1;"
    " 0031 C n1; 0032 C an..35; 0035 C n1",
    "UNG": "0038 M an..6; S006 M[0040 M an..35|0007 C an..4];"
    " S007 M[0044 M an..35|0007 C an..4]; S004 M[0017 M n6|0019 M n4]; 0048 M an..14;"
    " 0051 M an..2; S008 M[0052 M an..3|0054 M an..3|0057 C an..6]; 0058 C an..14",
    "UNE": "0060 M n..6; 0048 M an..14",
    "UNH": "0062 M an..14; S009 M[0065 M an..6|0052 M an..3|0054 M an..3|0051 M an..2"
    "|0057 C an..6]; 0068 C an..35; S010 C[0070 M n..2|0073 C a1]",
    "UNT": "0074 M n..6; 0062 M an..14",
    "UNZ": "0036 M n..6; 0020 M an..14",
}
_V4: dict[str, str] = {
    **_V3,
    "UNB": "S001 M[0001 M a4|0002 M n1|0080 C an..6|0133 C an..3];"
    " S002 M[0004 M an..35|0007 C an..4|0008 C an..35|0042 C an..35];"
    " S003 M[0010 M an..35|0007 C an..4|0014 C an..35|0046 C an..35];"
    " S004 M[0017 M n8|0019 M n4]; 0020 M an..14; S005 C[0022 M an..14|0025 C an2];"
    " 0026 C an..14; 0029 C a1; 0031 C n1; 0032 C an..35; 0035 C n1",
    "UNG": "0038 C an..6; S006 C[0040 M an..35|0007 C an..4];"
    " S007 C[0044 M an..35|0007 C an..4]; S004 C[0017 M n6|0019 M n4]; 0048 M an..14;"
    " 0051 C an..3; S008 C[0052 M an..3|0054 M an..3|0057 C an..6]; 0058 C an..14",
    "UNH": "0062 M an..14; S009 M[0065 M an..6|0052 M an..3|0054 M an..3|0051 M an..3"
    "|0057 C an..6|0110 C an..6|0113 C an..6]; 0068 C an..35; S010 C[0070 M n..2|0073 C a1];"
    " S016 C[0115 M an..14|0116 C an..3|0118 C an..3|0051 C an..3];"
    " S017 C[0121 M an..14|0122 C an..3|0124 C an..3|0051 C an..3];"
    " S018 C[0127 M an..14|0128 C an..3|0130 C an..3|0051 C an..3]",
}
# checked elsewhere, with their own codes: the syntax identifier (2, 46) and the date
# and time (12)
_OWN_CHECKS = frozenset({"0001", "0002", "0017", "0019"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One service element at the wrong size: where, what and the 0085 code."""

    code: str
    message: str
    element: int  # 1-based, after the tag (as Issue.element_position)
    component: int | None  # 1-based inside a composite, None for a simple element
    ref: str
    value: str


@functools.cache
def _layouts(syntax_version: str) -> dict[str, tuple[ElementSpec, ...]]:
    text = _V4 if syntax_version == "4" else _V3
    return {tag: segment_layout(layout) for tag, layout in text.items()}


def size_findings(segment: EdifactSegment, syntax_version: str) -> list[Finding]:
    """Every data element of a service segment longer (39) or shorter (40) than ISO 9735
    allows; empty for other segments or when all fit."""
    layout = _layouts(syntax_version).get(segment.tag)
    if layout is None:
        return []
    found: list[Finding] = []
    for index, (spec, element) in enumerate(zip(layout, segment.elements, strict=False)):
        components = element[0] if element else ()
        for cindex, (cspec, value) in enumerate(zip(spec.components, components, strict=False)):
            if not value or cspec.ref in _OWN_CHECKS:
                continue
            where = f"{segment.tag} {cspec.ref}"
            if len(value) > cspec.max_length:
                code = codes.DATA_ELEMENT_TOO_LONG
                why = f"{where} is {len(value)} long, at most {cspec.max_length} allowed"
            elif len(value) < cspec.min_length:
                code = codes.DATA_ELEMENT_TOO_SHORT
                why = f"{where} is {len(value)} long, at least {cspec.min_length} required"
            else:
                continue
            found.append(
                Finding(
                    code,
                    why,
                    index + 1,
                    cindex + 1 if spec.composite else None,
                    cspec.ref,
                    value,
                )
            )
    return found


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_date(value: str) -> bool:
    """YYMMDD or CCYYMMDD naming a day of the calendar (29 February only in leap years;
    YY 00 is 2000, a leap year). Both lengths pass in every syntax version, as partners
    on syntax 3 sending CCYYMMDD were accepted before."""
    if len(value) not in (6, 8) or not (value.isascii() and value.isdigit()):
        return False
    year, month, day = int(value[:-4]), int(value[-4:-2]), int(value[-2:])
    if len(value) == 6:
        year += 2000
    if not (1 <= month <= 12 and day >= 1):
        return False
    if month == 2 and day == 29:
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= _MONTH_DAYS[month - 1]


def is_time(value: str) -> bool:
    """HHMM with hours 00-23 and minutes 00-59 (0019 is n4)."""
    return (
        len(value) == 4
        and value.isascii()
        and value.isdigit()
        and int(value[:2]) <= 23
        and int(value[2:]) <= 59
    )


def date_time_findings(segment: EdifactSegment, element: int) -> list[Finding]:
    """The S004 date (0017) and time (0019) of a UNB or UNG at ``element`` (1-based)
    when present and no real date or time: invalid value (12), each at its component."""
    found: list[Finding] = []
    date, time = segment.value(element, 1), segment.value(element, 2)
    if date and not is_date(date):
        found.append(
            Finding(
                codes.INVALID_VALUE,
                f"{segment.tag} date {date!r} (0017) is not a date YYMMDD or CCYYMMDD",
                element,
                1,
                "0017",
                date,
            )
        )
    if time and not is_time(time):
        found.append(
            Finding(
                codes.INVALID_VALUE,
                f"{segment.tag} time {time!r} (0019) is not a time HHMM",
                element,
                2,
                "0019",
                time,
            )
        )
    return found

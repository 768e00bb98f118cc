"""The ISA header: where the delimiters come from, and its fixed-format checks.

The ISA is the only X12 segment read by position instead of by delimiter: the element
separator is the byte after ``ISA``, the component separator (ISA16) follows the 16th
element separator, and the segment terminator follows ISA16. Real partners bend this
(unpadded fields, a bare line feed as terminator, an ISA broken over two lines, a
multi-byte terminator); :func:`read_isa` reads what it can and reports the rest as
issues carrying the TA1 note code.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from gateway.edi.model import Issue, Level
from gateway.x12.dates import calendar_date, clock_time

# Fixed widths of ISA01..ISA16 (X12.5).
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
# How far to look for the 16 element separators before giving up on a header.
ISA_WINDOW = 400
# Characters skipped between segments: line breaks and indentation partners add.
WHITESPACE = " \t\r\n"
_NEWLINES = "\r\n"
KNOWN_VERSIONS = frozenset(
    {
        "00200",
        "00201",
        "00204",
        "00300",
        "00301",
        "00302",
        "00303",
        "00304",
        "00305",
        "00306",
        "00307",
        "00400",
        "00401",
        "00402",
        "00403",
        "00404",
        "00405",
        "00406",
        "00500",
        "00501",
        "00502",
        "00503",
        "00504",
        "00505",
        "00600",
        "00601",
        "00602",
        "00700",
        "00701",
        "00702",
        "00703",
        "00704",
        "00800",
        "00801",
    }
)


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators of one interchange, as found in its ISA.

    ``segment`` may be more than one character (a CR LF pair, or a UTF-8 encoded
    terminator read as latin-1); ``suffix`` is the line break the partner puts after
    each terminator, kept so that the writer can answer in the same layout.
    """

    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None  # ISA11 from 00402 on, None before
    suffix: str = ""

    def __post_init__(self) -> None:
        if not self.element or not self.segment:
            raise ValueError("element separator and segment terminator are required")
        used = [self.element, self.component, self.segment]
        if self.repetition:
            used.append(self.repetition)
        if len(set(used)) != len(used) and self.component != self.segment:
            raise ValueError(f"delimiters must differ from each other: {used!r}")


@dataclass(frozen=True, slots=True)
class IsaHeader:
    """A read ISA: its 16 elements as sent, the delimiters and where it ended."""

    elements: tuple[str, ...]
    delimiters: Delimiters
    start: int  # offset of "ISA" in the text
    end: int  # offset just after the terminator and any line break after it
    issues: tuple[Issue, ...] = field(default=())

    @property
    def version(self) -> str:
        """ISA12, the interchange control version number."""
        return self.elements[11]

    @property
    def control_number(self) -> str:
        """ISA13."""
        return self.elements[12]

    @property
    def fatal(self) -> bool:
        """True when the header cannot be trusted (the interchange is rejected)."""
        return any(i.fatal for i in self.issues)


@dataclass(frozen=True, slots=True)
class IsaFailure:
    """No usable ISA at this offset: why, with the TA1 note code."""

    issue: Issue
    incomplete: bool  # True when more data could complete it (streaming)


def _issue(
    code: str,
    message: str,
    offset: int,
    *,
    fatal: bool = True,
    element: int | None = None,
    value: str | None = None,
) -> Issue:
    return Issue(
        level=Level.INTERCHANGE,
        code=code,
        message=message,
        fatal=fatal,
        segment_tag="ISA",
        element_position=element,
        byte_offset=offset,
        bad_value=value[:35] if value is not None else None,
    )


def _terminator_at(text: str, pos: int) -> str:
    """The segment terminator starting at ``pos``: one character, CR LF, or the
    latin-1 reading of one UTF-8 encoded character (partners do send U+2026)."""
    first = text[pos]
    if first == "\r" and text[pos + 1 : pos + 2] == "\n":
        return "\r\n"
    lead = ord(first)
    size = (
        2
        if 0xC2 <= lead <= 0xDF
        else 3
        if 0xE0 <= lead <= 0xEF
        else (4 if 0xF0 <= lead <= 0xF4 else 1)
    )
    if size > 1:
        tail = text[pos + 1 : pos + size]
        if len(tail) == size - 1 and all(0x80 <= ord(c) <= 0xBF for c in tail):
            return text[pos : pos + size]
    return first


def _separator_positions(text: str, pos: int, sep: str, limit: int) -> list[int]:
    """Where the ISA's first 16 element separators are, from ``pos`` up to ``limit``
    (fewer when the text ends first)."""
    seps: list[int] = []
    while len(seps) < 16:
        pos = text.find(sep, pos, limit)
        if pos < 0:
            break
        seps.append(pos)
        pos += 1
    return seps


def _short_isa(text: str, start: int, limit: int, where: int, *, final: bool) -> IsaFailure:
    """An ISA without its 16 elements: more text may complete it, the file ended
    inside it, or it is malformed."""
    if limit < start + ISA_WINDOW and not final:
        return IsaFailure(_issue("023", "file ends inside the ISA segment", where), incomplete=True)
    if limit == len(text) and len(text) - start < ISA_WINDOW:
        return IsaFailure(
            _issue("023", "file ends inside the ISA segment", where), incomplete=False
        )
    return IsaFailure(
        _issue("022", "ISA segment does not have 16 elements", where), incomplete=False
    )


def _repetition_separator(values: list[str], others: tuple[str, str, str]) -> str | None:
    """ISA11 as the repetition separator (versions 00402 and later), None when the
    version has none or the character is unusable (alphanumeric, or a delimiter already)."""
    version = values[11]
    if version < "00402" or version not in KNOWN_VERSIONS:
        return None
    repetition = values[10]
    if repetition.isalnum() or len(repetition) != 1 or repetition in others:
        return None
    return repetition


def read_isa(text: str, start: int, *, base: int = 0, final: bool = True) -> IsaHeader | IsaFailure:
    """Read the ISA that begins at ``text[start]`` (which must be ``"ISA"``).

    ``base`` is the payload offset of ``text[0]`` (for issue positions); ``final``
    says whether more text can follow (when False an incomplete header asks for more
    instead of failing).
    """
    where = base + start
    if len(text) - start < 4:
        return IsaFailure(
            _issue("023", "file ends inside the ISA segment", where), incomplete=not final
        )
    sep = text[start + 3]
    if sep.isalnum() or sep in WHITESPACE:
        return IsaFailure(
            _issue("026", f"invalid data element separator {sep!r}", where, value=sep),
            incomplete=False,
        )
    limit = min(len(text), start + ISA_WINDOW)
    seps = _separator_positions(text, start + 3, sep, limit)
    if len(seps) < 16 or seps[15] + 2 >= len(text):
        return _short_isa(text, start, limit, where, final=final)
    values = [text[a + 1 : b] for a, b in itertools.pairwise(seps)]
    component = text[seps[15] + 1]
    values.append(component)
    term_pos = seps[15] + 2
    terminator = _terminator_at(text, term_pos)
    if len(text) < term_pos + len(terminator) + 2 and not final:
        # the line break after the terminator may still be on its way
        return IsaFailure(_issue("023", "file ends inside the ISA segment", where), incomplete=True)
    issues: list[Issue] = []
    end = term_pos + len(terminator)
    if terminator in _NEWLINES and component != "\r":
        # A partner that ends segments with "~\n" but left ISA16 out: the "~" sits
        # where ISA16 belongs. Seen in the wild; read it as the terminator.
        line_end = text.find("\n", end, end + 200)
        nxt = text[end:line_end].rstrip("\r") if line_end > 0 else ""
        if nxt.startswith("GS") and nxt.endswith(component) and component in "~!'$|":
            issues.append(
                _issue(
                    "027",
                    "ISA16 component separator missing; "
                    f"{component!r} read as the segment terminator",
                    where,
                    fatal=False,
                    element=16,
                )
            )
            terminator = component
            values[15] = ""
            end = term_pos
    suffix_end = end
    while suffix_end < len(text) and text[suffix_end] in _NEWLINES:
        suffix_end += 1
    suffix = text[end:suffix_end] if terminator not in _NEWLINES else ""
    repetition = _repetition_separator(values, (sep, component, terminator))
    try:
        delimiters = Delimiters(
            element=sep,
            component=component,
            segment=terminator,
            repetition=repetition,
            suffix=suffix,
        )
    except ValueError as exc:
        return IsaFailure(_issue("027", f"unusable delimiters: {exc}", where), incomplete=False)
    if terminator.isalnum() or terminator == " ":
        issues.append(_issue("004", f"invalid segment terminator {terminator!r}", where))
    if component.isalnum() or component == " ":
        issues.append(
            _issue("027", f"invalid component separator {component!r}", where, element=16)
        )
    issues.extend(check_isa_values(values, where))
    return IsaHeader(
        elements=tuple(values),
        delimiters=delimiters,
        start=start,
        end=suffix_end,
        issues=tuple(issues),
    )


_FIELD_CODES = {
    1: "010",
    2: "011",
    3: "012",
    4: "013",
    5: "005",
    6: "006",
    7: "007",
    8: "008",
    9: "014",
    10: "015",
    12: "017",
    13: "018",
    14: "019",
    15: "020",
}


# TA105 notes that name an ISA field whose width is wrong (I18: 005-008 the sender and
# receiver qualifiers and ids; the rest are reported together as 024).
_WIDTH_CODES = {5: "005", 6: "006", 7: "007", 8: "008"}


def check_isa_values(values: list[str], where: int) -> list[Issue]:
    """Check ISA01..ISA15 contents; width problems alone are warnings.

    Unpadded ISAs are common from small partners and carry no ambiguity once the
    delimiters are known, so a wrong width is reported (TA1 note 024) without
    rejecting; a value that cannot be right (a line break inside an ID, a date that
    is not a date) rejects with the field's own note code.
    """
    issues: list[Issue] = []
    widths_bad = [
        n
        for n, (v, w) in enumerate(zip(values, ISA_WIDTHS, strict=False), 1)
        if len(v) != w and n != 16
    ]
    for n, value in enumerate(values[:15], 1):
        if "\n" in value or "\r" in value:
            issues.append(
                _issue(
                    _FIELD_CODES.get(n, "024"),
                    f"line break inside ISA{n:02d}",
                    where,
                    element=n,
                    value=value,
                )
            )
    # A field with its own TA105 note (ISA05-08 qualifiers and ids, 013/014 dates...)
    # is named by that note, so that the partner learns which field is malformed (a
    # sender ID of the wrong length is note 006, not the generic 024); the others share
    # one 024. Still warnings: the delimiters already told where each field ends.
    own = [n for n in widths_bad if n in _WIDTH_CODES]
    for n in own:
        issues.append(
            _issue(
                _WIDTH_CODES[n],
                f"ISA{n:02d} is {len(values[n - 1])} characters, not {ISA_WIDTHS[n - 1]}",
                where,
                fatal=False,
                element=n,
                value=values[n - 1],
            )
        )
    rest = [n for n in widths_bad if n not in _WIDTH_CODES]
    if rest:
        names = ", ".join(f"ISA{n:02d}" for n in rest)
        issues.append(
            _issue(
                "024",
                f"ISA fields not at their fixed width: {names}",
                where,
                fatal=False,
                element=rest[0],
            )
        )
    date, time, version = values[8].strip(), values[9].strip(), values[11]
    # YYMMDD naming a day of the calendar (240231 is not one) and HHMM with hours 00-23
    # and minutes 00-59: pyx12 and the common translators reject the interchange for
    # either (TA1 R 014 / 015), and so do we
    if not calendar_date(date, (6,)):
        issues.append(
            _issue(
                "014",
                f"ISA09 {values[8]!r} is not a date YYMMDD",
                where,
                element=9,
                value=values[8],
            )
        )
    if not clock_time(time, (4,)):
        issues.append(
            _issue(
                "015", f"ISA10 {values[9]!r} is not a time HHMM", where, element=10, value=values[9]
            )
        )
    if version not in KNOWN_VERSIONS:
        issues.append(
            _issue(
                "017",
                f"unknown interchange version ISA12 {version!r}",
                where,
                element=12,
                value=version,
            )
        )
    elif version < "00402" and values[10] != "U":
        issues.append(
            _issue(
                "016",
                "ISA11 must be 'U' before version 00402",
                where,
                fatal=False,
                element=11,
                value=values[10],
            )
        )
    control = values[12].strip()
    if not ((control.isascii() and control.isdigit()) and len(control) <= 9):
        issues.append(
            _issue(
                "018", "ISA13 control number is not numeric", where, element=13, value=values[12]
            )
        )
    if values[13] not in ("0", "1"):
        issues.append(_issue("019", "ISA14 must be 0 or 1", where, element=14, value=values[13]))
    if values[14] not in ("P", "T", "I"):
        issues.append(_issue("020", "ISA15 must be P or T", where, element=15, value=values[14]))
    if not values[5].strip():
        issues.append(_issue("006", "ISA06 sender ID is empty", where, element=6))
    if not values[7].strip():
        issues.append(_issue("008", "ISA08 receiver ID is empty", where, element=8))
    return issues

"""One compiled regular expression per segment layout: the "nothing wrong here" check.

Checking every element in Python costs more than reading the file. Most segments are
fine, so each layout is also compiled (once per set of delimiters) into a regex that
matches exactly the segments the element checker in :mod:`gateway.x12.validate` would
pass: same types, lengths, code lists, mandatory elements and element count. A segment
that matches skips the element checker; one that does not goes through it, which then
says precisely what is wrong. Keeping the two in agreement is tested
(``tests/x12/test_fastpath.py``).
"""

from __future__ import annotations

import re
from functools import cache

from gateway.x12.specs.codes import CODE_LISTS
from gateway.x12.specs.elements import ELEMENTS
from gateway.x12.specs.segments import SEGMENTS
from gateway.x12.specs.syntax_notes import NOTES

_DIGIT = "[0-9]"
_MMDD = (
    "(?:(?:0[13578]|1[02])(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)(?:0[1-9]|[12][0-9]|30)"
    "|02(?:0[1-9]|[12][0-9]))"
)
_TIME = "(?:[01][0-9]|2[0-3])[0-5][0-9](?:[0-5][0-9][0-9]{0,2})?"


def _value_pattern(eid: str, end: str, plain: str) -> str:
    """Regex for one non-empty valid value of element ``eid``."""
    if eid.startswith("C"):
        return f"{plain}+"  # composites: presence only (matches the checker)
    kind, low, high = ELEMENTS.get(eid, ("?", 0, 0))
    if kind in ("AN", "ID"):
        codes = CODE_LISTS.get(eid)
        if codes is not None:
            fitting = [c for c in codes if low <= len(c) <= high]
            return _trie(fitting) if fitting else "(?!)"
        return f"{plain}{{{low},{high}}}"
    if len(kind) == 2 and kind[0] == "N" and kind[1].isdigit():
        return f"-?{_DIGIT}{{{low},{high}}}"
    if kind == "R":
        # digits and at most one point; low..high digits (sign and point not counted)
        return (
            rf"-?(?=\.?(?:{_DIGIT}\.?){{{low},{high}}}(?:{end}|$))"
            rf"(?:{_DIGIT}+\.?{_DIGIT}*|\.{_DIGIT}+)"
        )
    if kind == "DT":
        return f"{_DIGIT}{{2}}(?:{_DIGIT}{{2}})?{_MMDD}"
    if kind == "TM":
        return _TIME
    return f"{plain}+"  # types the checker does not check


def _trie(words: list[str]) -> str:
    """An alternation of literal codes as a prefix tree: ``VP|VN|BP`` -> ``(?:V[PN]|BP)``,
    so matching a code costs a character or two, not a trial of every code."""
    if "" in words and len(words) == 1:
        return ""
    groups: dict[str, list[str]] = {}
    for word in words:
        if word:
            groups.setdefault(word[0], []).append(word[1:])
    branches = [re.escape(first) + _trie(rest) for first, rest in sorted(groups.items())]
    if len(branches) == 1 and "" not in words:
        return branches[0]
    body = "(?:" + "|".join(branches) + ")"
    return body + "?" if "" in words else body


@cache
def segment_patterns(
    element: str, component: str | None, repetition: str | None
) -> dict[str, re.Pattern[str]]:
    """tag -> compiled full-segment regex for these delimiters."""
    end = re.escape(element)
    banned = (
        re.escape(element)
        + (re.escape(component) if component else "")
        + (re.escape(repetition) if repetition else "")
    )
    plain = f"[^{banned}]"
    composite_plain = f"[^{re.escape(element)}]"
    out: dict[str, re.Pattern[str]] = {}
    for tag, layout in SEGMENTS.items():
        tail = ""
        all_optional = True
        for eid, mandatory in reversed(layout):
            value = _value_pattern(eid, end, composite_plain if eid.startswith("C") else plain)
            item = value if mandatory else f"(?:{value})?"
            if mandatory:
                all_optional = False
            tail = f"{end}{item}{tail}" if not all_optional else f"(?:{end}{item}{tail})?"
        out[tag] = re.compile(re.escape(tag) + tail)
    return out


# -- whole segments, syntax notes included: the bulk validator's patterns -------------


def _present(name: str, end: str) -> str:
    """At the start of an element: record in group ``name`` whether its value has a
    non-blank character (the checker's ``element(p).strip()``). The two branches
    exclude each other, so backtracking cannot flip the answer."""
    blank_free = f"[^{end}]*[^\\s{end}]"
    return f"(?:(?={blank_free})(?P<{name}>)|(?!{blank_free}))"


def _all(names: list[str]) -> str:
    return "".join(f"(?({n})|(?!))" for n in names)


def _none(names: list[str]) -> str:
    return "".join(f"(?({n})(?!)|)" for n in names)


def _any(names: list[str]) -> str:
    out = "(?!)"
    for n in reversed(names):
        out = f"(?({n})|{out})"
    return out


def _note_pattern(kind: str, positions: tuple[int, ...]) -> str:
    """A zero-width check of one syntax note (X12.6 P, R, C, L, E) on the presence
    groups, exactly as :meth:`gateway.x12.validate.SetValidator._notes` decides it."""
    names = [f"p{p}" for p in positions]
    first, rest = names[0], names[1:]
    if kind == "P":  # all or none
        return f"(?({first}){_all(rest)}|{_none(rest)})"
    if kind == "R":  # at least one
        return _any(names)
    if kind == "C":  # the first requires all the others
        return f"(?({first}){_all(rest)}|)"
    if kind == "L":  # the first requires at least one of the others
        return f"(?({first}){_any(rest)}|)"
    if kind == "E":  # at most one
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
        return "".join(f"(?({a})(?({b})(?!)|)|)" for a, b in pairs)
    return "(?!)"  # a note kind the checker does not know: let it decide


class _BulkTable(dict[str, "re.Pattern[str]"]):
    """tag -> pattern, each compiled the first time a segment with that tag is seen
    (compiling every layout up front costs a few tenths of a second per process)."""

    def __init__(self, delimiters: tuple[str, str | None, str | None]) -> None:
        super().__init__()
        self.delimiters = delimiters

    def __missing__(self, tag: str) -> re.Pattern[str]:
        pattern = _bulk_pattern(tag, *self.delimiters)
        self[tag] = pattern
        return pattern


_ANY = re.compile(r"(?s:.*)")


@cache
def bulk_patterns(
    element: str, component: str | None, repetition: str | None
) -> dict[str, re.Pattern[str]]:
    """tag -> compiled full-segment regex that matches exactly the segments the element
    checker **and** the syntax-note checker pass (the per-segment patterns above leave
    the notes to Python). A tag with no layout gets a pattern that accepts anything, as
    the checker checks nothing there. Compiled per tag on first use (index it, do not
    ``.get`` it). Used by :mod:`gateway.x12.bulk`."""
    return _BulkTable((element, component, repetition))


def _bulk_pattern(
    tag: str, element: str, component: str | None, repetition: str | None
) -> re.Pattern[str]:

    layout = SEGMENTS.get(tag)
    if layout is None:
        return _ANY
    end = re.escape(element)
    banned = (
        re.escape(element)
        + (re.escape(component) if component else "")
        + (re.escape(repetition) if repetition else "")
    )
    plain = f"[^{banned}]"
    composite_plain = f"[^{re.escape(element)}]"
    notes = NOTES.get(tag, ())
    marked = {p for _kind, positions, _written in notes for p in positions}
    tail = ""
    all_optional = True
    for pos in range(len(layout), 0, -1):
        eid, mandatory = layout[pos - 1]
        value = _value_pattern(eid, end, composite_plain if eid.startswith("C") else plain)
        item = value if mandatory else f"(?:{value})?"
        if pos in marked:
            item = _present(f"p{pos}", end) + item
        if mandatory:
            all_optional = False
        tail = f"{end}{item}{tail}" if not all_optional else f"(?:{end}{item}{tail})?"
    checks = "".join(_note_pattern(kind, positions) for kind, positions, _ in notes)
    return re.compile(re.escape(tag) + tail + checks)

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
from functools import cache, lru_cache

from gateway.x12.specs.codes import CODE_LISTS
from gateway.x12.specs.elements import ELEMENTS
from gateway.x12.specs.segments import SEGMENTS
from gateway.x12.specs.syntax_notes import NOTES, Note

_DIGIT = "[0-9]"
# month and day, 29 February apart: it needs a leap year (dates.leap)
_MMDD = (
    "(?:(?:0[13578]|1[02])(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)(?:0[1-9]|[12][0-9]|30)"
    "|02(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YY = "(?:[02468][048]|[13579][26])"  # a multiple of 4 (YYMMDD: 20YY)
# CCYY: a multiple of 4 that is not a century, or a century that is a multiple of 400
_LEAP_CCYY = f"(?:{_DIGIT}{{2}}(?:0[48]|[2468][048]|[13579][26])|{_LEAP_YY}00)"
_DATE = (
    f"(?:{_DIGIT}{{4}}{_MMDD}|{_LEAP_CCYY}0229"  # CCYYMMDD
    f"|{_DIGIT}{{2}}{_MMDD}|{_LEAP_YY}0229)"  # YYMMDD
)
_TIME = "(?:[01][0-9]|2[0-3])[0-5][0-9](?:[0-5][0-9][0-9]{0,2})?"


def _value_pattern(eid: str, end: str, plain: str, stop: str = "$") -> str:
    """Regex for one non-empty valid value of element ``eid`` (``stop``: what may follow
    the last element of a segment)."""
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
            rf"-?(?=\.?(?:{_DIGIT}\.?){{{low},{high}}}(?:{end}|{stop}))"
            rf"(?:{_DIGIT}+\.?{_DIGIT}*|\.{_DIGIT}+)"
        )
    if kind == "DT":
        return _DATE
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


# -- whole transaction sets: one regex for every segment of a set ----------------------


def _note_holds(kind: str, positions: tuple[int, ...], present: dict[int, bool]) -> bool:
    """Whether a syntax note is satisfied, decided as ``SetValidator._notes`` does, given
    which of its positions hold a non-blank value."""
    got = sum(1 for p in positions if present[p])
    if kind == "P":
        return got in (0, len(positions))
    if kind == "R":
        return got > 0
    if kind == "C":
        return not present[positions[0]] or got == len(positions)
    if kind == "L":
        return not present[positions[0]] or got > 1
    return got <= 1  # E (other kinds never get here: _notes_lookahead refuses them)


# A cluster of syntax notes over more positions than this is not compiled (its decision
# tree would have up to 2**n leaves); no shipped segment comes close.
_MAX_CLUSTER = 10


def _clusters(notes: tuple[Note, ...]) -> list[tuple[int, int, list[Note]]]:
    """Notes grouped so that groups cover disjoint ranges of positions: (first
    position, last position, notes), in order."""
    spans: list[tuple[int, int, list[Note]]] = []
    for note in sorted(notes, key=lambda n: min(n[1])):
        low, high = min(note[1]), max(note[1])
        if spans and low <= spans[-1][1]:
            first, last, members = spans[-1]
            spans[-1] = (first, max(last, high), [*members, note])
        else:
            spans.append((low, high, [note]))
    return spans


class _Segment:
    """One segment layout compiled for a set regex: the elements in one pass, the syntax
    notes as branches on presence instead of capture groups (see :func:`_set_branch`)."""

    def __init__(
        self, tag: str, element: str, component: str | None, repetition: str | None, term: str
    ) -> None:
        layout = SEGMENTS[tag]
        self.sep = sep = re.escape(element)
        stop = re.escape(term)
        banned = (
            sep
            + (re.escape(component) if component else "")
            + (re.escape(repetition) if repetition else "")
            + stop
        )
        # items[p]: element p's value, optional unless mandatory; values[p]: the value
        # (for a non-blank element); blanks[p]: the element when blank, None when a blank
        # value cannot pass (index 0 unused)
        self.items: list[str] = [""]
        self.values: list[str] = [""]
        self.blanks: list[str | None] = [""]
        for eid, mandatory in layout:
            plain = f"[^{sep}{stop}]" if eid.startswith("C") else f"[^{banned}]"
            value = _value_pattern(eid, sep, plain, stop)
            self.items.append(value if mandatory else f"(?:{value})?")
            self.values.append(value)
            self.blanks.append(_blank_value(eid, plain, mandatory, value))
        self.size = len(layout)
        self.last_mandatory = max((p for p, (_, m) in enumerate(layout, 1) if m), default=0)
        # non-blank (the checker's ``element(p).strip()``) and blank, from the separator on
        visible = f"[^\\S{sep}{stop}]*[^\\s{sep}{stop}]"
        self.present, self.blank = f"(?={visible})", f"(?!{visible})"
        self.ended = f"(?={stop})"

    def notes(self, members: list[Note], low: int, high: int) -> str | None:
        """Elements ``low`` to ``high``, a range that holds a cluster of notes: at each
        position a note names, a present and a blank branch (they exclude each other, so
        no second parse is ever tried), leaving out branches that break a note. None
        when no way satisfies the notes."""
        named = {q for _, positions, _ in members for q in positions}
        memo: dict[tuple[int, frozenset[tuple[int, bool]]], str | None] = {}

        def state(p: int, chosen: dict[int, bool]) -> frozenset[tuple[int, bool]]:
            # what the rest depends on: the presence chosen for notes not yet decided
            open_notes = [n for n in members if max(n[1]) >= p]
            return frozenset(
                (q, v) for q, v in chosen.items() if any(q in n[1] for n in open_notes)
            )

        def node(p: int, key: frozenset[tuple[int, bool]]) -> str | None:
            if (p, key) in memo:
                return memo[p, key]
            chosen = dict(key)
            out: str | None
            if p > high:
                out = ""
            else:
                alternatives = []
                open_notes = [n for n in members if max(n[1]) >= p]
                blank_rest = chosen | {q: False for q in named if q >= p}
                if p > self.last_mandatory and _all_hold(open_notes, blank_rest):
                    alternatives.append(self.ended)  # the segment ends: the rest is blank
                if p not in named:
                    after = node(p + 1, state(p + 1, chosen))
                    if after is not None:
                        alternatives.append(f"{self.sep}{self.items[p]}{after}")
                else:
                    # branches that lead to the same state share what follows
                    ways: dict[frozenset[tuple[int, bool]], list[str]] = {}
                    for value in (True, False):
                        trial = chosen | {p: value}
                        decided = [n for n in members if all(q in trial for q in n[1])]
                        body = f"{self.present}{self.values[p]}" if value else self.blanks[p]
                        if body is not None and _all_hold(decided, trial):
                            ways.setdefault(state(p + 1, trial), []).append(body)
                    for after_key, bodies in ways.items():
                        after = node(p + 1, after_key)
                        if after is not None:
                            either = (
                                bodies[0] if len(bodies) == 1 else "(?:" + "|".join(bodies) + ")"
                            )
                            alternatives.append(f"{self.sep}{either}{after}")
                out = None
                if alternatives:
                    out = (
                        alternatives[0]
                        if len(alternatives) == 1
                        else "(?:" + "|".join(alternatives) + ")"
                    )
            memo[p, key] = out
            return out

        return node(low, frozenset())


def _blank_value(eid: str, plain: str, mandatory: bool, value: str) -> str | None:
    """Regex for element ``eid`` when it is blank (empty or only whitespace) and valid,
    from just after its separator; None when no blank value is valid. Narrower than
    the value pattern, and excluding the non-blank case by construction."""
    space = "[^\\S" + plain[2:]  # whitespace that the value class allows
    kind = "C" if eid.startswith("C") else ELEMENTS.get(eid, ("?", 0, 0))[0]
    checked = kind in ("AN", "ID", "R", "DT", "TM") or (
        len(kind) == 2 and kind[0] == "N" and kind[1].isdigit()
    )
    if kind == "C" or not checked:
        return f"{space}*" if not mandatory else f"{space}+"  # plain+: presence only
    if kind in ("AN", "ID") and CODE_LISTS.get(eid) is None:
        _kind, low, high = ELEMENTS[eid]
        spaces = f"{space}{{{low},{high}}}"
        return spaces if mandatory else f"(?:{spaces})?"
    if kind in ("AN", "ID") and any(not code.strip() for code in CODE_LISTS[eid]):
        # a code of spaces (none is shipped): the value pattern, kept blank
        blank = f"(?!{space}*[^\\s{plain[2:]})"
        return f"{blank}{value}" if mandatory else f"{blank}(?:{value})?"
    # codes, numbers, dates, times: whitespace never passes; empty only when optional
    return None if mandatory else ""


def _all_hold(notes: list[Note], present: dict[int, bool]) -> bool:
    return all(_note_holds(kind, positions, present) for kind, positions, _ in notes)


_KINDS = frozenset("PRCLE")


def _set_branch(
    tag: str, element: str, component: str | None, repetition: str | None, term: str
) -> str | None:
    """One segment of a set regex, after its tag: elements, syntax notes and the
    terminator; exactly what :func:`_bulk_pattern` accepts, without capture groups (a
    repeated group keeps captures from earlier segments, so conditionals would read
    another segment's elements). Nested from the end: where the segment may end, "it
    ends here, or this element (or cluster of noted elements) and the rest", so the
    elements after the last one sent cost nothing. None when the notes cannot be
    compiled this way."""
    if tag not in SEGMENTS:
        return f"(?:{re.escape(element)}[^{re.escape(term)}]*)?{re.escape(term)}"
    seg = _Segment(tag, element, component, repetition, term)
    notes = NOTES.get(tag, ())
    if any(kind not in _KINDS or not 1 <= min(ps) <= max(ps) <= seg.size for kind, ps, _ in notes):
        return None
    # regions in order: a cluster of notes (low, high, notes) or one plain position
    regions: list[tuple[int, int, list[Note]]] = []
    p = 1
    for low, high, members in _clusters(notes):
        if len({q for _, ps, _ in members for q in ps}) > _MAX_CLUSTER:
            return None
        regions += [(q, q, []) for q in range(p, low)]
        regions.append((low, high, members))
        p = high + 1
    regions += [(q, q, []) for q in range(p, seg.size + 1)]
    tail = ""
    blank_ok = True  # the notes from here on hold with every element blank
    for low, high, members in reversed(regions):
        if members:
            tree = seg.notes(members, low, high)
            if tree is None:
                return None
            body = tree + tail
            blank = {q: False for _, ps, _ in members for q in ps}
            blank_ok = blank_ok and _all_hold(members, blank)
        else:
            body = f"{seg.sep}{seg.items[low]}{tail}"
        may_end = low > seg.last_mandatory and blank_ok
        tail = f"(?:{seg.ended}|{body})" if may_end else body
    return tail + re.escape(term)


def _tag_trie(branches: dict[str, str]) -> str:
    """Alternation of ``tag + rest`` factored on the tags' characters, so the engine
    picks a segment's branch by its first characters instead of trying each."""
    groups: dict[str, dict[str, str]] = {}
    own: list[str] = []
    for tag, rest in branches.items():
        if tag:
            groups.setdefault(tag[0], {})[tag[1:]] = rest
        else:
            own.append(rest)
    parts = [re.escape(first) + _tag_trie(sub) for first, sub in sorted(groups.items())]
    parts += own
    if not parts:
        return "(?!)"
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


@lru_cache(maxsize=64)
def set_pattern(
    tags: frozenset[str],
    element: str,
    component: str | None,
    repetition: str | None,
    term: str,
) -> re.Pattern[str] | None:
    """One regex over a whole set's text (its segments, each followed by ``term``) that
    matches exactly when every segment matches its :func:`bulk_patterns` pattern, for
    segments whose tags are in ``tags``. None when a segment cannot be compiled this
    way (the caller checks segment by segment) or the terminator is not one character.
    Used by :mod:`gateway.x12.bulk`."""
    if len(term) != 1 or term in (element, component, repetition):
        return None
    branches: dict[str, str] = {}
    for tag in tags:
        branch = _set_branch(tag, element, component, repetition, term)
        if branch is None:
            return None
        branches[tag] = branch
    return re.compile(f"(?:{_tag_trie(branches)})*+")

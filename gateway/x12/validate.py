"""Check one transaction set against its spec, segment by segment, as it streams in.

:class:`SetValidator` walks the set's declarative structure
(:mod:`gateway.x12.specs.sets`) the way X12 defines it: each segment is looked for
forward in the current loop, then as a new iteration of that loop, then in the
enclosing loops; segments skipped on the way that were mandatory are missing (AK304
code 3), repeats beyond max use are code 5, loop repeats beyond max code 4. A segment
that fits nowhere is unexpected (code 2; code 7 when the set has it elsewhere; code 1
when the tag is not a segment ID at all). Elements are checked against the segment
layouts and the element dictionary (AK403 codes 1, 3, 4, 5, 6, 7, 8, 9), and against the
segment's syntax notes (P, R, C, L: code 2; E: code 10).

Leniency, because real partners need it: unexpected and out-of-sequence segments and
values outside our code lists are warnings (``fatal=False``, the set is "accepted
with errors"); missing mandatory data, too many uses, bad lengths, bad numbers, dates
and times reject the set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from operator import lt
from typing import cast

from gateway.edi.model import Issue, Level
from gateway.edi.numbers import equals_count, is_digits
from gateway.x12.dates import calendar_date, clock_time
from gateway.x12.fastpath import segment_patterns
from gateway.x12.segment import X12Segment
from gateway.x12.specs.codes import CODE_LISTS
from gateway.x12.specs.elements import ELEMENTS
from gateway.x12.specs.segments import SEGMENTS
from gateway.x12.specs.sets import HIERARCHIES, SETS, VERSIONS, Entry
from gateway.x12.specs.syntax_notes import NOTES, Note

# Per-set cap on findings, so that a hostile file cannot make an unbounded ack.
MAX_ISSUES = 200
# Segment texts already seen to pass (DTM, REF, N1... repeat a lot); bounded.
_GOOD_CACHE = 50_000
_GOOD: dict[tuple[str, str | None, str | None], set[str]] = {}


def _good_texts(delimiters: tuple[str, str | None, str | None]) -> set[str]:
    return _GOOD.setdefault(delimiters, set())


class _Seg:
    """A segment entry of a set structure."""

    __slots__ = ("is_loop", "mandatory", "max_use", "tag", "trigger")

    def __init__(self, tag: str, mandatory: bool, max_use: int) -> None:
        self.tag = tag
        self.trigger = tag
        self.mandatory = mandatory
        self.max_use = max_use  # 0 = unbounded
        self.is_loop = False


class _Loop:
    """A loop entry: its body, and for each position the next entry a tag can match."""

    __slots__ = (
        "after",
        "entries",
        "is_loop",
        "loop_id",
        "mand",
        "mandatory",
        "max_use",
        "tag",
        "trigger",
    )

    def __init__(
        self, loop_id: str, mandatory: bool, max_use: int, entries: list[_Seg | _Loop]
    ) -> None:
        self.loop_id = loop_id
        self.mandatory = mandatory
        self.max_use = max_use
        self.entries = entries
        self.is_loop = True
        self.trigger: str = entries[0].trigger
        self.tag: str = self.trigger
        # after[i][tag] = first j >= i whose entry starts with tag (built once, so that
        # placing a segment is a dictionary lookup instead of a scan)
        # mand[k] = mandatory entries among entries[:k]: skipping from i to j passes a
        # mandatory one exactly when mand[j] != mand[i]
        self.mand: list[int] = [0]
        for entry in entries:
            self.mand.append(self.mand[-1] + (1 if entry.mandatory else 0))
        self.after: list[dict[str, int]] = [{} for _ in range(len(entries) + 1)]
        for i in range(len(entries) - 1, -1, -1):
            table = dict(self.after[i + 1])
            table[entries[i].trigger] = i
            self.after[i] = table


def _compile(entries: list[Entry]) -> list[_Seg | _Loop]:
    out: list[_Seg | _Loop] = []
    for entry in entries:
        if entry[0] == "loop":
            _, loop_id, req, max_use, body = entry
            out.append(_Loop(loop_id, req == "M", max_use, _compile(body)))
        else:
            tag, req, max_use = entry
            out.append(_Seg(tag, req == "M", max_use))
    return out


def _tags(entries: list[_Seg | _Loop]) -> set[str]:
    found: set[str] = set()
    for entry in entries:
        found |= {entry.tag} if isinstance(entry, _Seg) else _tags(entry.entries)
    return found


# Element check plan per segment tag: (position, element id, mandatory, type, min, max,
# codes) built once.
_Plan = tuple[tuple[int, str, bool, str, int, int, frozenset[str] | None], ...]


def _plan(tag: str) -> _Plan | None:
    layout = SEGMENTS.get(tag)
    if layout is None:
        return None
    plan = []
    for pos, (eid, mandatory) in enumerate(layout, 1):
        kind, low, high = ELEMENTS.get(eid, ("C", 0, 0)) if not eid.startswith("C") else ("C", 0, 0)
        plan.append((pos, eid, mandatory, kind, low, high, CODE_LISTS.get(eid)))
    return tuple(plan)


_PLANS: dict[str, _Plan | None] = {tag: _plan(tag) for tag in SEGMENTS}
_ROOTS: dict[str, _Loop] = {
    set_id: _Loop(set_id, True, 1, _compile(structure))
    for set_id, (_name, _fid, structure) in SETS.items()
}
_SET_TAGS: dict[str, set[str]] = {k: _tags(v.entries) for k, v in _ROOTS.items()}


def _entry_regex(
    entry: _Seg | _Loop, one: Callable[[str], str], head: Callable[[str], str]
) -> str | None:
    """Regex for one entry, as the walker places segments: each entry takes as many of
    its tag as it may (possessive, so no other parse is tried), and the same tag right
    after it is refused, because the walker would place it on this entry again (a repeat
    over its maximum, or a loop iteration that fails). ``one(tag)`` matches a segment
    with that tag, ``head(tag)`` the start of one."""
    low = 1 if entry.mandatory else 0
    high = str(entry.max_use) if entry.max_use else ""
    if isinstance(entry, _Seg):
        body = one(entry.tag)
    else:
        first = entry.entries[0]
        if first.is_loop:
            return None  # a loop opening with a loop: leave it to the walker
        parts = [_entry_regex(inner, one, head) for inner in entry.entries[1:]]
        if any(part is None for part in parts):
            return None
        body = one(first.tag) + "".join(p for p in parts if p)
    return f"(?:{body}){{{low},{high}}}+(?!{head(entry.trigger)})"


def _structure_regex(
    set_id: str, one: Callable[[str], str], head: Callable[[str], str]
) -> str | None:
    root = _ROOTS.get(set_id)
    if root is None:
        return None
    parts = [_entry_regex(entry, one, head) for entry in root.entries]
    if any(part is None for part in parts):
        return None
    return "".join(p for p in parts if p)


def _tag_line(tag: str) -> str:
    return re.escape(tag) + "\n"


@cache
def structure_pattern(set_id: str) -> re.Pattern[str] | None:
    """One regex over a set's segment tags (each followed by ``\\n``) that matches only
    tag sequences the structure walk (:meth:`SetValidator.walk` then ``finish``) passes
    without a finding: entries in order, mandatory ones present, repeats and loop
    iterations within their maximum. Stricter is allowed (a refused sequence goes to the
    walk), laxer is not: ``tests/x12/test_fast_validator_differential.py`` holds it to
    that. None when the structure has a shape the regex does not model."""
    regex = _structure_regex(set_id, _tag_line, _tag_line)
    return None if regex is None else re.compile(regex)


@lru_cache(maxsize=64)
def structure_text_pattern(set_id: str, element: str, term: str) -> re.Pattern[str] | None:
    """:func:`structure_pattern` over the set's text instead of its tags: every segment
    whole, each followed by ``term`` (a one-character terminator that is not the element
    separator). The same decisions, without splitting the tags out first."""
    if len(term) != 1 or term == element:
        return None
    sep, stop = re.escape(element), re.escape(term)
    regex = _structure_regex(
        set_id,
        lambda tag: f"{re.escape(tag)}(?:{sep}[^{stop}]*)?{stop}",
        lambda tag: f"{re.escape(tag)}[{sep}{stop}]",
    )
    return None if regex is None else re.compile(regex)


def validator_for(
    set_id: str,
    version: str,
    issues: list[Issue],
    delimiters: tuple[str, str | None, str | None] = ("*", ">", None),
) -> SetValidator | None:
    """A validator for this set and version, or None when the set is parsed generically.

    ``version`` is GS08 or ST03 (e.g. ``"004010VICS"``, ``"005010X231A1"``): its first
    six characters pick the tables. Findings are appended to ``issues``.
    """
    root = _ROOTS.get(set_id)
    if root is None or version[:6] not in VERSIONS:
        return None
    return SetValidator(set_id, root, issues, delimiters)


class _Frame:
    __slots__ = ("counts", "index", "loop")

    def __init__(self, loop: _Loop, index: int) -> None:
        self.loop = loop
        self.index = index
        self.counts: dict[int, int] = {}


class SetValidator:
    """Validate the segments of one transaction set, fed in order."""

    def __init__(
        self,
        set_id: str,
        root: _Loop,
        issues: list[Issue],
        delimiters: tuple[str, str | None, str | None] = ("*", ">", None),
    ) -> None:
        self.set_id = set_id
        # False: structure and HL hierarchy only (the bulk validator's structure pass)
        self.elements = True
        self._fast = segment_patterns(*delimiters)
        self._good = _good_texts(delimiters)
        self._elem, self._comp, self._rep = delimiters
        self._hl_rules = HIERARCHIES.get(set_id)
        self._hl = self._hl_rules is not None
        self._issues = issues
        self._known = _SET_TAGS[set_id]
        self._stack = [_Frame(root, -1)]
        self._last_position = 0
        self._last_offset: int | None = None
        self._hl_levels: dict[str, str] = {}
        self._hl_count = 0

    # -- reporting --------------------------------------------------------------------

    def _add(self, issue: Issue) -> None:
        if len(self._issues) < MAX_ISSUES:
            self._issues.append(issue)

    def _segment_issue(
        self,
        code: str,
        message: str,
        tag: str,
        position: int,
        offset: int | None,
        *,
        fatal: bool = True,
    ) -> None:
        self._add(
            Issue(
                level=Level.SEGMENT,
                code=code,
                message=message,
                fatal=fatal,
                segment_tag=tag,
                segment_position=position,
                byte_offset=offset,
            )
        )

    def _element_issue(
        self,
        code: str,
        message: str,
        seg: X12Segment,
        element: int,
        reference: str,
        offset: int | None,
        value: str | None,
        *,
        fatal: bool = True,
        component: int | None = None,
    ) -> None:
        self._add(
            Issue(
                level=Level.ELEMENT,
                code=code,
                message=message,
                fatal=fatal,
                segment_tag=seg.tag,
                segment_position=seg.position,
                element_position=element,
                component_position=component,
                element_reference=reference,
                byte_offset=offset,
                bad_value=value[:99] if value is not None else None,
            )
        )

    # -- structure --------------------------------------------------------------------

    def segment(self, seg: X12Segment, offset: int | None = None) -> None:
        """Check one segment (ST first, SE last)."""
        self.check(seg.tag, seg.text, seg.position, offset, seg)

    def check(
        self,
        tag: str,
        text: str,
        position: int,
        offset: int | None = None,
        seg: X12Segment | None = None,
    ) -> None:
        """Check one segment given as its tag and raw text (the streaming path: the text
        is split and a segment object built only when something needs reporting)."""
        self._last_position = position
        self._last_offset = offset
        # structure: the common case (the next entry, a repeat, or a new iteration of
        # the innermost loop) is a dictionary lookup; the general walk is _place
        stack = self._stack
        frame = stack[-1]
        loop = frame.loop
        idx = frame.index
        nested = len(stack) > 1
        j = loop.after[idx if idx > 0 else (1 if nested else 0)].get(tag)
        if j is not None and loop.mand[j] == loop.mand[idx + 1]:
            self._step(frame, j, tag, position, offset)
        elif j is None and nested and tag != loop.trigger and self._up(tag, position, offset):
            pass  # the segment closed the innermost loop and continues its parent
        else:
            seg = seg or self._segment(text, position)
            if nested and j is None and tag == loop.trigger:
                self._restart(len(stack) - 1, seg, offset)
            else:
                self._place(seg, offset)
        if not self.elements:
            return self._after(tag, seg, text, position, offset)
        pattern = self._fast.get(tag)
        raw = text
        good = self._good
        if pattern is not None and raw not in good:
            if pattern.fullmatch(raw) is not None:
                notes = NOTES.get(tag)
                if notes is not None:
                    seg = seg or self._segment(text, position)
                    if self._notes(seg, notes, offset):
                        return self._after(tag, seg, text, position, offset)
                if len(good) > _GOOD_CACHE:
                    good.clear()
                good.add(raw)
            else:
                plan = _PLANS[tag]
                if plan is not None:
                    seg = seg or self._segment(text, position)
                    self._elements(seg, plan, offset)
                    notes = NOTES.get(tag)
                    if notes is not None:
                        self._notes(seg, notes, offset)
        self._after(tag, seg, text, position, offset)

    def structure_only(self) -> None:
        """Check structure alone from now on: no elements, notes or HL hierarchy (the
        bulk validator checks those in bulk, :mod:`gateway.x12.bulk`)."""
        self.elements = False
        self._hl = False

    def walk(self, tags: list[str], texts: list[str]) -> None:
        """The structure pass of a whole set (after :meth:`structure_only`): :meth:`check` for each
        segment, with its common case (the next entry, a repeat, a new iteration of the
        innermost loop) inlined. Stops at the first finding."""
        stack = self._stack
        issues = self._issues
        check = self.check
        for position, tag in enumerate(tags, 1):
            frame = stack[-1]
            loop = frame.loop
            idx = frame.index
            nested = len(stack) > 1
            j = loop.after[idx if idx > 0 else (1 if nested else 0)].get(tag)
            if j is None:
                if nested and tag == loop.trigger and loop.mand[-1] == loop.mand[idx + 1]:
                    # a new iteration of the innermost loop, nothing mandatory missed
                    # (what _restart does when it has nothing to report)
                    self._last_position = position
                    parent = stack[-2]
                    uses = parent.counts.get(parent.index, 0) + 1
                    parent.counts[parent.index] = uses
                    if loop.max_use and uses > loop.max_use:
                        return self._over_max(loop, tag, position, None)
                    frame.index = 0
                    frame.counts = {0: 1}
                else:
                    check(tag, texts[position - 1], position)
            elif loop.mand[j] != loop.mand[idx + 1]:
                check(tag, texts[position - 1], position)
            else:
                self._last_position = position
                entry = loop.entries[j]
                counts = frame.counts
                uses = counts.get(j, 0) + 1
                counts[j] = uses
                frame.index = j
                if entry.is_loop:
                    child = _Frame(entry, 0)  # type: ignore[arg-type]
                    child.counts[0] = 1
                    stack.append(child)
                if entry.max_use and uses > entry.max_use:
                    self._over_max(entry, tag, position, None)
            if issues:
                return

    def _after(
        self, tag: str, seg: X12Segment | None, text: str, position: int, offset: int | None
    ) -> None:
        if self._hl and tag == "HL":
            self._hierarchy(seg or self._segment(text, position), offset)

    def _step(self, frame: _Frame, j: int, tag: str, position: int, offset: int | None) -> None:
        """Move ``frame`` to entry ``j`` (nothing mandatory skipped): count it, enter it
        when it is a loop."""
        entry = frame.loop.entries[j]
        uses = frame.counts.get(j, 0) + 1
        frame.counts[j] = uses
        frame.index = j
        if entry.is_loop:
            child = _Frame(entry, 0)  # type: ignore[arg-type]
            child.counts[0] = 1
            self._stack.append(child)
        if entry.max_use and uses > entry.max_use:
            self._over_max(entry, tag, position, offset)

    def _up(self, tag: str, position: int, offset: int | None) -> bool:
        """Fast case of leaving the innermost loop for the next entry of its parent;
        False (nothing changed) when the general walk is needed."""
        stack = self._stack
        inner = stack[-1]
        if inner.loop.mand[-1] != inner.loop.mand[inner.index + 1]:
            return False  # something mandatory missing in the inner loop: report it there
        parent = stack[-2]
        ploop = parent.loop
        pidx = parent.index
        j = ploop.after[pidx if pidx > 0 else (1 if len(stack) > 2 else 0)].get(tag)
        if j is None or ploop.mand[j] != ploop.mand[pidx + 1]:
            return False
        stack.pop()
        self._step(parent, j, tag, position, offset)
        return True

    def _segment(self, text: str, position: int) -> X12Segment:
        return X12Segment(text, position, self._comp, self._rep, self._elem)

    def finish(self, issues: list[Issue] | None = None) -> None:
        """The set ended: whatever mandatory segment never came is missing."""
        while len(self._stack) > 1:
            self._pop(self._last_position, self._last_offset)
        self._missing(
            self._stack[0], len(self._stack[0].loop.entries), self._last_position, self._last_offset
        )

    def _find(self, frame: _Frame, tag: str, nested: bool) -> int | None:
        start = max(frame.index, 1 if nested else 0)
        return frame.loop.after[start].get(tag)

    def _place(self, seg: X12Segment, offset: int | None) -> None:
        tag = seg.tag
        stack = self._stack
        for depth in range(len(stack) - 1, -1, -1):
            frame = stack[depth]
            j = self._find(frame, tag, depth > 0)
            if j is not None:
                while len(stack) - 1 > depth:
                    self._pop(seg.position, offset)
                self._advance(frame, j, seg, offset)
                return
            if depth > 0 and frame.loop.trigger == tag:
                self._restart(depth, seg, offset)
                return
        if not (2 <= len(tag) <= 3 and tag.isalnum() and tag.upper() == tag):
            self._segment_issue("1", f"unrecognized segment ID {tag!r}", tag, seg.position, offset)
        elif tag in self._known:
            self._segment_issue(
                "7",
                f"segment {tag} is not in its proper place",
                tag,
                seg.position,
                offset,
                fatal=False,
            )
        else:
            self._segment_issue(
                "2",
                f"unexpected segment {tag} in a {self.set_id}",
                tag,
                seg.position,
                offset,
                fatal=False,
            )

    def _restart(self, depth: int, seg: X12Segment, offset: int | None) -> None:
        """The loop at ``depth`` starts a new iteration (its trigger segment came)."""
        stack = self._stack
        while len(stack) - 1 > depth:
            self._pop(seg.position, offset)
        frame = stack[depth]
        loop = frame.loop
        if loop.mand[-1] != loop.mand[max(frame.index + 1, 0)]:
            self._missing(frame, len(loop.entries), seg.position, offset)
        parent = stack[depth - 1]
        uses = parent.counts.get(parent.index, 0) + 1
        parent.counts[parent.index] = uses
        if loop.max_use and uses > loop.max_use:
            self._over_max(loop, seg.parts[0], seg.position, offset)
        frame.index = 0
        frame.counts = {0: 1}

    def _over_max(self, entry: _Seg | _Loop, tag: str, position: int, offset: int | None) -> None:
        if entry.is_loop:
            self._segment_issue(
                "4",
                f"loop {entry.trigger} repeats more than {entry.max_use} times",
                tag,
                position,
                offset,
            )
        else:
            self._segment_issue(
                "5", f"segment {tag} used more than {entry.max_use} times", tag, position, offset
            )

    def _advance(self, frame: _Frame, j: int, seg: X12Segment, offset: int | None) -> None:
        self._missing(frame, j, seg.position, offset)
        entry = frame.loop.entries[j]
        uses = frame.counts.get(j, 0) + 1
        frame.counts[j] = uses
        frame.index = j
        if isinstance(entry, _Seg):
            if entry.max_use and uses > entry.max_use:
                self._segment_issue(
                    "5",
                    f"segment {entry.tag} used more than {entry.max_use} times",
                    seg.tag,
                    seg.position,
                    offset,
                )
            return
        if entry.max_use and uses > entry.max_use:
            self._segment_issue(
                "4",
                f"loop {entry.loop_id} repeats more than {entry.max_use} times",
                seg.tag,
                seg.position,
                offset,
            )
        child = _Frame(entry, 0)
        child.counts[0] = 1
        self._stack.append(child)
        # a loop whose trigger is itself a loop (not used by these sets) would recurse here

    def _pop(self, position: int, offset: int | None) -> None:
        frame = self._stack.pop()
        self._missing(frame, len(frame.loop.entries), position, offset)

    def _missing(self, frame: _Frame, upto: int, position: int, offset: int | None) -> None:
        entries = frame.loop.entries
        for k in range(max(frame.index + 1, 0), upto):
            entry = entries[k]
            if entry.mandatory and not frame.counts.get(k):
                tag = entry.tag if isinstance(entry, _Seg) else entry.trigger
                self._segment_issue("3", f"mandatory segment {tag} missing", tag, position, offset)

    # -- elements ---------------------------------------------------------------------

    def _elements(self, seg: X12Segment, plan: _Plan, offset: int | None) -> None:
        parts = seg.parts
        count = len(parts) - 1
        rep = seg.repetition_separator
        comp = seg.component_separator
        if count > len(plan):
            self._element_issue(
                "3",
                f"{seg.tag} has {count} elements, at most {len(plan)}",
                seg,
                len(plan) + 1,
                "",
                offset,
                parts[len(plan) + 1],
            )
        for pos, eid, mandatory, kind, low, high, codes in plan:
            raw = parts[pos] if pos <= count else ""
            if not raw:
                if mandatory:
                    self._element_issue(
                        "1", f"{seg.tag}{pos:02d} is mandatory", seg, pos, eid, offset, None
                    )
                continue
            if kind == "C":
                continue
            if rep and rep in raw:
                # A partner that declared a basic-character-set punctuation mark (often
                # "-") as its ISA11 repetition separator: when the whole value is valid
                # for the element it is read as data and the finding is a warning;
                # otherwise (or for a real separator such as "^") it rejects.
                whole_ok = (
                    rep in _BASIC_PUNCTUATION
                    and (not comp or comp not in raw)
                    and _check_value(raw, kind, low, high) is None
                )
                self._element_issue(
                    "12",
                    f"{seg.tag}{pos:02d} does not repeat"
                    + (f" (the repetition separator {rep!r} is read as data)" if whole_ok else ""),
                    seg,
                    pos,
                    eid,
                    offset,
                    raw,
                    fatal=not whole_ok,
                )
                continue
            if comp and comp in raw:
                self._element_issue(
                    "13", f"{seg.tag}{pos:02d} is not a composite", seg, pos, eid, offset, raw
                )
                continue
            code = _check_value(raw, kind, low, high)
            if code is not None:
                self._element_issue(
                    code,
                    f"{seg.tag}{pos:02d} ({kind} {low}-{high}): {_WHY[code]}",
                    seg,
                    pos,
                    eid,
                    offset,
                    raw,
                )
            elif codes is not None and raw not in codes:
                self._element_issue(
                    "7",
                    f"{seg.tag}{pos:02d} code {raw!r} is not in the list this gateway knows",
                    seg,
                    pos,
                    eid,
                    offset,
                    raw,
                    fatal=False,
                )

    def _notes(self, seg: X12Segment, notes: tuple[Note, ...], offset: int | None) -> bool:
        """Check the segment's syntax notes; True when one was violated (AK403 2 / 10)."""
        layout = SEGMENTS.get(seg.tag, ())
        found = False
        for kind, positions, written in notes:
            present = [p for p in positions if seg.element(p).strip()]
            missing: list[int] = []
            trigger: int | None = None
            if kind == "P" and present and len(present) < len(positions):
                missing, trigger = [p for p in positions if p not in present], present[0]
            elif kind == "R" and not present:
                missing = [positions[0]]
            elif kind == "C" and positions[0] in present:
                missing, trigger = [p for p in positions[1:] if p not in present], positions[0]
            elif kind == "L" and positions[0] in present and len(present) == 1:
                missing, trigger = [positions[1]], positions[0]
            elif kind == "E" and len(present) > 1:
                found = True
                self._note_issue(
                    "10",
                    f"{seg.tag}{present[1]:02d} may not be used with {seg.tag}{present[0]:02d} "
                    f"(syntax note {written}: exclusion)",
                    seg,
                    present[1],
                    layout,
                    offset,
                    present[0],
                )
                continue
            for p in missing:
                found = True
                why = (
                    f"is required when {seg.tag}{trigger:02d} is present"
                    if trigger is not None
                    else "or another element of the note is required"
                )
                self._note_issue(
                    "2",
                    f"{seg.tag}{p:02d} {why} (syntax note {written})",
                    seg,
                    p,
                    layout,
                    offset,
                    trigger,
                )
        return found

    def _note_issue(
        self,
        code: str,
        message: str,
        seg: X12Segment,
        position: int,
        layout: tuple[tuple[str, bool], ...],
        offset: int | None,
        trigger: int | None,
    ) -> None:
        reference = layout[position - 1][0] if position <= len(layout) else ""
        value = seg.element(position)
        self._add(
            Issue(
                level=Level.ELEMENT,
                code=code,
                message=message,
                segment_tag=seg.tag,
                segment_position=seg.position,
                element_position=position,
                element_reference=reference if not reference.startswith("C") else "",
                byte_offset=offset,
                bad_value=value[:99] if code == "10" and value else None,
                trigger_element=trigger,
            )
        )

    def _hierarchy(self, seg: X12Segment, offset: int | None) -> None:
        self._hl_count += 1
        number, parent, level = seg.element(1), seg.element(2), seg.element(3)
        if number in self._hl_levels:
            self._element_issue("7", f"HL01 {number} repeats", seg, 1, "628", offset, number)
        elif is_digits(number) and not equals_count(number, self._hl_count):
            self._element_issue(
                "7",
                f"HL01 {number} is out of sequence (expected {self._hl_count})",
                seg,
                1,
                "628",
                offset,
                number,
                fatal=False,
            )
        if parent and parent not in self._hl_levels:
            self._element_issue(
                "7", f"HL02 parent {parent} is not an earlier HL", seg, 2, "734", offset, parent
            )
        allowed = self._hl_rules.get(level) if self._hl_rules is not None else None
        parent_level = self._hl_levels.get(parent) if parent else None
        if (
            allowed is not None
            and parent_level not in allowed
            and not (parent and parent not in self._hl_levels)
        ):
            self._element_issue(
                "7",
                f"HL level {level} under "
                f"{parent_level or 'no parent'} is not a shipment/order/"
                "tare/pack/item hierarchy",
                seg,
                3,
                "735",
                offset,
                level,
                fatal=False,
            )
        self._hl_levels[number] = level


def hierarchy_clean(
    texts: list[str], rules: dict[str, frozenset[str | None]], element: str
) -> bool:
    """True when :meth:`SetValidator._hierarchy` would find nothing in these HL segment
    texts (the same rules, in the same order, without building findings)."""
    levels: dict[str, str] = {}
    for count, text in enumerate(texts, 1):
        parts = text.split(element)
        size = len(parts)
        number = parts[1] if size > 1 else ""
        parent = parts[2] if size > 2 else ""
        level = parts[3] if size > 3 else ""
        if number in levels:
            return False
        if number != str(count) and is_digits(number) and not equals_count(number, count):
            return False
        parent_level = None
        if parent:
            if parent not in levels:
                return False
            parent_level = levels[parent]
        allowed = rules.get(level)
        if allowed is not None and parent_level not in allowed:
            return False
        levels[number] = level
    return True


def hierarchy_fields_clean(
    fields: list[tuple[str, str, str]], rules: dict[str, frozenset[str | None]]
) -> bool | None:
    """:func:`hierarchy_clean` over the HL segments' (HL01, HL02, HL03), in C where it
    can be: when the HL01s are exactly 1, 2, 3, ... (unique and in sequence), each
    parent must be an earlier HL and each distinct (level, parent level) pair allowed.
    None when the HL01s are numbered otherwise (the caller runs the full rules)."""
    if not fields:
        return True
    numbers, parent_numbers, levels = zip(*fields, strict=True)
    if numbers != tuple(map(str, range(1, len(numbers) + 1))):
        return None
    index = dict(zip(numbers, range(len(numbers)), strict=True))
    index[""] = -1  # no parent
    found = list(map(index.get, parent_numbers))
    if None in found:
        return False  # a parent that is no HL
    parents = cast(list[int], found)
    if not all(map(lt, parents, range(len(parents)))):
        return False  # a parent that is not an earlier HL
    level_of = [*levels, None]  # index -1: no parent, no parent level
    for level, parent_level in set(zip(levels, map(level_of.__getitem__, parents), strict=True)):
        allowed = rules.get(level)
        if allowed is not None and parent_level not in allowed:
            return False
    return True


# X12.6 basic character set, special characters: data partners put in values
_BASIC_PUNCTUATION = frozenset("!\"&'()+,-./:;?= ")

_WHY = {
    "4": "too short",
    "5": "too long",
    "6": "invalid character",
    "8": "invalid date",
    "9": "invalid time",
}


def _check_value(raw: str, kind: str, low: int, high: int) -> str | None:
    """AK403 code for a bad value of this type and length, None when it is fine."""
    if kind in {"AN", "ID"}:
        size = len(raw)
    elif kind[0] == "N" and len(kind) == 2:
        digits = raw[1:] if raw[:1] == "-" else raw
        if not (digits.isascii() and digits.isdigit()):
            return "6"
        size = len(digits)
    elif kind == "R":
        digits = raw[1:] if raw[:1] == "-" else raw
        if digits[:1] == "." or digits.count(".") > 1:
            plain = digits.replace(".", "", 1)
        else:
            plain = digits.replace(".", "", 1)
        if not (plain.isascii() and plain.isdigit()):
            # exponent form (1E3) is allowed by X12.6 but not used in these sets
            return "6"
        size = len(plain)
    elif kind == "DT":
        return None if calendar_date(raw) else "8"
    elif kind == "TM":
        return None if clock_time(raw) else "9"
    else:
        return None
    if size < low:
        return "4"
    if size > high:
        return "5"
    return None

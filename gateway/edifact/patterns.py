"""Regular expressions that accept a segment's text only when it is certainly valid.

The element checker in :mod:`gateway.edifact.validate` is the reference; a pattern
built here must never accept text the checker would flag (it may refuse text the
checker accepts: such segments just take the slower full check). That one-way rule
is what the property test in ``tests/edifact/test_patterns.py`` asserts.

Deliberately refused by every pattern: repetitions, extra elements or components,
release characters inside numeric or coded values (and anywhere in the plain variant).
Trailing separators are refused by the caller before matching.
"""

from __future__ import annotations

import functools
import re

from gateway.edifact.service_chars import ServiceChars
from gateway.edifact.specs.model import ComponentSpec, ElementSpec


def _optional(pat: str) -> str:
    """``pat`` or nothing: ``(?:pat)?`` written as ``(?:pat|)``, which the ``re`` engine
    matches about twice as fast (a branch instead of a repeat); same language."""
    return f"(?:{pat}|)"


_Trie = dict[str, "_Trie"]


def _alternatives(codes: frozenset[str]) -> str:
    """Pattern for exactly the strings of ``codes``, as a trie of alternatives: the
    engine tries one branch per character instead of one per code."""
    trie: _Trie = {}
    for code in codes:
        node = trie
        for ch in code:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a code

    def emit(node: _Trie) -> str:
        branches = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if "" in node:
            branches.append("")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return emit(trie)


def _component(cs: ComponentSpec, value: str) -> str:
    """Pattern for one non-empty component value."""
    if cs.codes is not None:
        return _alternatives(cs.codes)
    if cs.kind == "n":
        digits = f"[0-9]{{{cs.min_length},{cs.max_length}}}"
        if cs.min_length > 1 or cs.max_length < 2:
            return f"-?{digits}"  # (n1 cannot hold a digit, a mark and a digit)
        # with a decimal mark the run of digits and mark is at most max_length + 1 long,
        # and a digit comes before the mark (.5 is the checker's code 38)
        return f"-?(?:{digits}|(?=[0-9.,]{{3,{cs.max_length + 1}}}(?![0-9.,]))[0-9]+[.,][0-9]+)"
    return f"{value}{{{cs.min_length},{cs.max_length}}}"


def _element(spec: ElementSpec, value: str, comp: str) -> str:
    """Pattern for one element: components joined, mandatory ones required."""
    comps = spec.components
    last_mandatory = max((i for i, c in enumerate(comps) if c.mandatory), default=-1)
    parts = []
    for i, cs in enumerate(comps):
        pat = _component(cs, value)
        if i <= last_mandatory and cs.mandatory:
            parts.append(pat)
        elif pat == f"{value}{{1,{cs.max_length}}}":
            parts.append(f"{value}{{0,{cs.max_length}}}")  # the same as (?:pat)?, faster
        else:
            parts.append(_optional(pat))
    sep = re.escape(comp)
    # required prefix up to the last mandatory component, optional nested tail
    head = sep.join(parts[: last_mandatory + 1]) if last_mandatory >= 0 else parts[0]
    tail_start = last_mandatory + 1 if last_mandatory >= 0 else 1
    tail = ""
    for pat in reversed(parts[tail_start:]):
        tail = _optional(f"{sep}{pat}{tail}")
    body = head + tail
    if last_mandatory < 0:
        # an element without mandatory components may be left empty entirely
        return _optional(body)
    if not spec.mandatory:
        return _optional(body)
    return body


@functools.lru_cache(maxsize=1024)
def _compiled(
    tag: str, layout: tuple[ElementSpec, ...], chars: ServiceChars, released: bool
) -> re.Pattern[str] | None:
    specials = chars.element + chars.component + (chars.release or "") + (chars.repetition or "")
    value = "[^" + "".join(re.escape(c) for c in specials) + "]"
    if released and chars.release:
        # a released character is one character of data, as the checker counts it
        value = f"(?:{value}|{re.escape(chars.release)}[\\s\\S])"
    elems = [_element(spec, value, chars.component) for spec in layout]
    # a mandatory element must be there even when none of its components is mandatory
    # (PIA C212): the checker reports it missing (13) when the segment ends before it
    last_mandatory = max((i for i, e in enumerate(layout) if e.mandatory), default=-1)
    sep = re.escape(chars.element)
    head = re.escape(tag) + "".join(sep + e for e in elems[: last_mandatory + 1])
    tail = ""
    for pat in reversed(elems[last_mandatory + 1 :]):
        tail = _optional(f"{sep}{pat}{tail}")
    try:
        return re.compile(head + tail)
    except re.error:  # pragma: no cover - a spec we cannot express: use the checker
        return None


def segment_pattern(
    tag: str, layout: tuple[ElementSpec, ...], chars: ServiceChars, *, released: bool = False
) -> re.Pattern[str] | None:
    """Return the fast-accept pattern for a segment layout, or None.

    ``released``: the pattern also accepts release sequences (``?+``, ``??``) inside
    values that are neither numeric nor coded; slower, so only for text that holds
    a release character.
    """
    return _compiled(tag, layout, chars, released)

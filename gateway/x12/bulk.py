"""Validate a whole transaction set at once; the detailed checker only for errors.

The detailed checker (:class:`gateway.x12.validate.SetValidator`) costs a Python step
per element and per syntax note. Most sets are clean, so the envelope reader buffers a
set's segments as the tokenizer made them ((offset, text) tuples, handed over without
a Python step per segment) and, at its end, checks the set's text - its segments
joined by the terminator - in bulk, each check one regex run in C:

* **elements and syntax notes**: one compiled pattern for the whole set
  (:func:`gateway.x12.fastpath.set_pattern`: for every segment its tag's types,
  lengths, code lists, mandatory elements, element count *and* the P/R/C/L/E notes),
  built over the set's tags seen so far; where that pattern cannot be built, every
  segment against its tag's pattern (:func:`gateway.x12.fastpath.bulk_patterns`);
* **HL hierarchy** (856): :func:`gateway.x12.validate.hierarchy_clean` over the HL
  texts, the same rules as the checker's without building findings;
* **structure** (loops, order, counts, mandatory segments): one regex over the set's
  text (:func:`gateway.x12.validate.structure_text_pattern`, the walk's placement
  rules as possessive groups); a set it refuses gets the same regex over its tags and
  then the pass over the tags alone (:meth:`SetValidator.walk`), skipped when the same
  tag sequence already passed: structure findings depend on the tags and nothing else.

The tags are split out of the texts only when one of these refuses the set. When all
say "clean" the set has no findings. Otherwise the buffered segments are fed to the
detailed checker as they would have been one by one, which then locates and reports
every error: findings are identical by construction (the differential tests in
``tests/x12/test_fast_validator_differential.py`` hold both paths to that).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from operator import itemgetter

from gateway.edi.model import Issue
from gateway.x12.fastpath import bulk_patterns, set_pattern
from gateway.x12.segment import X12Segment
from gateway.x12.specs.sets import HIERARCHIES
from gateway.x12.validate import (
    _SET_TAGS,
    SetValidator,
    hierarchy_clean,
    hierarchy_fields_clean,
    structure_pattern,
    structure_text_pattern,
    validator_for,
)

# A set longer than this is checked segment by segment as it streams (memory stays
# bounded by a chunk, not by the largest set).
MAX_BUFFERED = 20_000
# Tag sequences (with HL texts) known to be structurally clean, per set id; bounded.
_CLEAN_CACHE = 4_096
_CLEAN: dict[str, set[str]] = {}
_TEXT = itemgetter(1)
_FULLMATCH: Callable[[re.Pattern[str], str], re.Match[str] | None] = re.Pattern.fullmatch
# After this many rebuilds for new tags, a set pattern covers all the set's tags.
_REBUILDS = 3


class _Cover:
    """The set pattern in use for one set id and delimiters: it covers the set's tags
    seen so far and is rebuilt when a set brings a new one (compiling all of a set's
    tags costs a tenth of a second, and most files use a few of them). ``pattern`` is
    None before the first build and when it cannot be built (segment by segment then)."""

    __slots__ = ("pattern", "rebuilds", "tags")

    def __init__(self) -> None:
        self.tags: frozenset[str] = frozenset()
        self.pattern: re.Pattern[str] | None = None
        self.rebuilds = 0


_COVERS: dict[tuple[str, str, str | None, str | None, str], _Cover] = {}


@lru_cache(maxsize=64)
def _hl_pattern(element: str, term: str) -> re.Pattern[str]:
    """An HL segment's text, from the terminator before it."""
    sep, stop = re.escape(element), re.escape(term)
    return re.compile(f"{stop}(HL(?:{sep}[^{stop}]*)?)(?={stop})")


@lru_cache(maxsize=64)
def _hl_fields(element: str, term: str) -> re.Pattern[str]:
    """An HL segment's HL01, HL02 and HL03 ("" when absent), from the terminator before."""
    sep, stop = re.escape(element), re.escape(term)
    field = f"(?:{sep}([^{sep}{stop}]*))?"
    return re.compile(f"{stop}HL(?=[{sep}{stop}]){field}{field}{field}[^{stop}]*")


class BulkSet:
    """One open transaction set's segments, checked when it ends (see module doc)."""

    __slots__ = ("delimiters", "kept", "set_id", "terminator", "tokens", "version")

    def __init__(
        self,
        set_id: str,
        version: str,
        delimiters: tuple[str, str | None, str | None],
        terminator: str = "~",
        *,
        keep: bool = False,
    ) -> None:
        self.set_id = set_id
        self.version = version
        self.delimiters = delimiters
        self.terminator = terminator
        # (byte offset, text) of each segment, in order: the tokenizer's own tuples, so
        # the envelope reader can hand them over without building anything
        self.tokens: list[tuple[int | None, str]] = []
        # the segments, when the reader keeps them (parallel to tokens)
        self.kept: list[X12Segment | None] | None = [] if keep else None

    def add(self, text: str, offset: int | None, segment: X12Segment | None = None) -> None:
        self.tokens.append((offset, text))
        if self.kept is not None:
            self.kept.append(segment)

    def tags(self) -> list[str]:
        """The segments' tags (what precedes the first element separator)."""
        element = self.delimiters[0]
        return [text[: text.find(element)] if element in text else text for _, text in self.tokens]

    def clean(self) -> bool:
        """True when the detailed checker would find nothing in this set."""
        texts = list(map(_TEXT, self.tokens))
        term = self.terminator
        element = self.delimiters[0]
        # one text for the whole set: the checks below run over it in C; the tags are
        # split out only when one of them refuses the set
        joined = term + term.join(texts) + term
        if not self._elements_clean(texts, joined):
            return False
        rules = HIERARCHIES.get(self.set_id)
        if rules is not None and not self._hierarchy_clean(texts, joined, rules):
            return False
        pattern = structure_text_pattern(self.set_id, element, term)
        if pattern is not None and pattern.fullmatch(joined, 1) is not None:
            return True
        tags = self.tags()
        return self._structure_clean(tags, texts, "\n".join(tags))

    def _hierarchy_clean(
        self, texts: list[str], joined: str, rules: dict[str, frozenset[str | None]]
    ) -> bool:
        term, element = self.terminator, self.delimiters[0]
        if len(term) != 1 or term == element:
            hl = [t for tag, t in zip(self.tags(), texts, strict=True) if tag == "HL"]
            return hierarchy_clean(hl, rules, element)
        fast = hierarchy_fields_clean(_hl_fields(element, term).findall(joined), rules)
        if fast is not None:
            return fast
        return hierarchy_clean(_hl_pattern(element, term).findall(joined), rules, element)

    def _elements_clean(self, texts: list[str], joined: str) -> bool:
        """Elements and syntax notes of every segment: the set pattern, or segment by
        segment where there is none."""
        key = (self.set_id, *self.delimiters, self.terminator)
        cover = _COVERS.get(key)
        if cover is None:
            cover = _COVERS[key] = _Cover()
        if cover.pattern is not None and cover.pattern.fullmatch(joined, 1) is not None:
            return True
        # refused, or no pattern yet: a tag it does not cover yet, or a finding
        tags = self.tags()
        seen = set(tags)
        if not seen <= _SET_TAGS[self.set_id]:
            return False  # a tag the set does not have: the walk reports it
        if not seen <= cover.tags:
            cover.rebuilds += 1
            if cover.rebuilds > _REBUILDS:
                cover.tags = frozenset(_SET_TAGS[self.set_id])
            else:
                cover.tags = cover.tags | seen
            cover.pattern = set_pattern(cover.tags, *self.delimiters, self.terminator)
            if cover.pattern is not None:
                return cover.pattern.fullmatch(joined, 1) is not None
        if cover.pattern is not None:
            return False  # it covers every tag of the set and refused it
        table = bulk_patterns(*self.delimiters)
        return all(map(_FULLMATCH, map(table.__getitem__, tags), texts))

    def _structure_clean(self, tags: list[str], texts: list[str], key: str) -> bool:
        known = _CLEAN.setdefault(self.set_id + "/" + self.version[:6], set())
        if key in known:
            return True
        pattern = structure_pattern(self.set_id)
        if pattern is None or pattern.fullmatch(key + "\n") is None:
            scratch: list[Issue] = []
            walker = validator_for(self.set_id, self.version, scratch, self.delimiters)
            if walker is None:  # a BulkSet is only made for a set that has a validator
                return False
            walker.structure_only()
            walker.walk(tags, texts)
            if scratch:
                return False
            walker.finish()
            if scratch:
                return False
        # remembered either way: a set lookup is cheaper than the walk
        if len(known) >= _CLEAN_CACHE:
            known.clear()
        known.add(key)
        return True

    def replay(self, validator: SetValidator) -> None:
        """Feed the buffered segments to the detailed checker, in order, as the
        envelope reader would have one by one."""
        check = validator.check
        kept = self.kept
        for position, (tag, (offset, text)) in enumerate(
            zip(self.tags(), self.tokens, strict=True), 1
        ):
            check(tag, text, position, offset, kept[position - 1] if kept is not None else None)

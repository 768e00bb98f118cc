"""Validate a whole transaction set at once; the detailed checker only for errors.

The detailed checker (:class:`gateway.x12.validate.SetValidator`) costs a Python step
per element and per syntax note. Most sets are clean, so the envelope reader buffers a
set's segments (tag, text, offset) and, at its end, checks it in bulk:

* **elements and syntax notes**: every segment text against its tag's compiled pattern
  (:func:`gateway.x12.fastpath.bulk_patterns`: types, lengths, code lists, mandatory
  elements, element count *and* the P/R/C/L/E notes), the loop run by ``map`` in C;
* **structure** (loops, order, counts, mandatory segments, the HL hierarchy): a pass
  over the segment tags alone (:meth:`SetValidator.check` with element checks off),
  skipped when the same tag sequence (with the HL segments' texts, which the hierarchy
  check reads) already passed: structure findings depend on nothing else.

When both say "clean" the set has no findings. Otherwise the buffered segments are fed
to the detailed checker as they would have been one by one, which then locates and
reports every error: findings are identical by construction (the differential tests
in ``tests/x12/test_fast_validator_differential.py`` hold both paths to that).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gateway.edi.model import Issue
from gateway.x12.fastpath import bulk_patterns
from gateway.x12.segment import X12Segment
from gateway.x12.specs.sets import HIERARCHIES
from gateway.x12.validate import SetValidator, validator_for

# A set longer than this is checked segment by segment as it streams (memory stays
# bounded by a chunk, not by the largest set).
MAX_BUFFERED = 20_000
# Tag sequences (with HL texts) known to be structurally clean, per set id; bounded.
_CLEAN_CACHE = 4_096
_CLEAN: dict[str, set[str]] = {}
_ANY = re.compile(r"(?s:.*)")
_FULLMATCH: Callable[[re.Pattern[str], str], re.Match[str] | None] = re.Pattern.fullmatch


class BulkSet:
    """One open transaction set's segments, checked when it ends (see module doc)."""

    __slots__ = ("delimiters", "offsets", "segments", "set_id", "tags", "texts", "version")

    def __init__(
        self, set_id: str, version: str, delimiters: tuple[str, str | None, str | None]
    ) -> None:
        self.set_id = set_id
        self.version = version
        self.delimiters = delimiters
        self.tags: list[str] = []
        self.texts: list[str] = []
        self.offsets: list[int | None] = []
        self.segments: list[X12Segment | None] = []

    def add(self, tag: str, text: str, offset: int | None, segment: X12Segment | None) -> None:
        self.tags.append(tag)
        self.texts.append(text)
        self.offsets.append(offset)
        self.segments.append(segment)

    def clean(self) -> bool:
        """True when the detailed checker would find nothing in this set."""
        table = bulk_patterns(*self.delimiters)
        patterns = [table.get(tag, _ANY) for tag in self.tags]
        if not all(map(_FULLMATCH, patterns, self.texts)):
            return False
        return self._structure_clean()

    def _structure_clean(self) -> bool:
        tags = self.tags
        if self.set_id in HIERARCHIES:
            key = "\n".join(
                [text if tag == "HL" else tag for tag, text in zip(tags, self.texts, strict=True)]
            )
        else:
            key = "\n".join(tags)
        known = _CLEAN.setdefault(self.set_id + "/" + self.version[:6], set())
        if key in known:
            return True
        scratch: list[Issue] = []
        walker = validator_for(self.set_id, self.version, scratch, self.delimiters)
        assert walker is not None  # a BulkSet is only made for a set that has a validator
        walker.elements = False
        check = walker.check
        for position, (tag, text) in enumerate(zip(tags, self.texts, strict=True), 1):
            check(tag, text, position)
            if scratch:
                return False
        walker.finish()
        if scratch:
            return False
        if len(known) >= _CLEAN_CACHE:
            known.clear()
        known.add(key)
        return True

    def replay(self, validator: SetValidator) -> None:
        """Feed the buffered segments to the detailed checker, in order, as the
        envelope reader would have one by one."""
        check = validator.check
        for position, (tag, text, offset, segment) in enumerate(
            zip(self.tags, self.texts, self.offsets, self.segments, strict=True), 1
        ):
            check(tag, text, position, offset, segment)

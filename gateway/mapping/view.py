"""Segments split once per translation: the mapping engine's read-only view.

A map reads the same segments many times (every rule scans its scopes by tag, then
reads an element or a ``where`` condition), and the X12 engine keeps each segment as
one string split on every read (:class:`gateway.x12.segment.X12Segment`, small for
large payloads). :func:`split_view` wraps a transaction's segments for one
translation: the tag and position become plain attributes and the elements are split
once, so the rest of the translation reads lists. The views live only as long as the
translation; the payload keeps its compact segments.

Each X12 view answers ``value``, ``components`` and ``element_count`` exactly as the
segment it wraps does (``tests/mapping/test_translate_differential.py``). A view whose
text holds neither the component nor the repetition separator also offers its parts
as ``plain``: element n's first component of its first repetition is then simply
``plain[n]``, which the compiled map code reads without a call
(:mod:`gateway.mapping.compiled`).
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.edi.model import SegmentLike
from gateway.edifact.segment import EdifactSegment
from gateway.x12.segment import X12Segment


class X12View:
    """An X12 segment with its tag and elements split once (``parts[0]`` is the tag)."""

    __slots__ = ("_component", "_parts", "_repetition", "plain", "position", "tag")

    def __init__(self, segment: X12Segment) -> None:
        text = segment.text
        parts = text.split(segment.element_separator)
        self._parts = parts
        self.tag = parts[0]
        self.position = segment.position
        comp = self._component = segment.component_separator
        rep = self._repetition = segment.repetition_separator
        # the parts when no element of this segment has components or repetitions
        self.plain: list[str] | None = (
            None if (comp and comp in text) or (rep and rep in text) else parts
        )

    def _raw(self, element: int, repetition: int) -> str | None:
        """One repetition of an element as sent, None when absent."""
        parts = self._parts
        if not 0 < element < len(parts):
            return None
        raw = parts[element]
        rep = self._repetition
        if rep and rep in raw:
            reps = raw.split(rep)
            return reps[repetition - 1] if 0 < repetition <= len(reps) else None
        return raw if repetition == 1 else None

    def value(self, element: int, component: int = 1, repetition: int = 1) -> str:
        """One component of one repetition of one element, ``""`` if absent."""
        parts = self._parts
        if not 0 < element < len(parts):
            return ""
        raw = parts[element]
        rep = self._repetition
        if rep and rep in raw:
            reps = raw.split(rep)
            if not 0 < repetition <= len(reps):
                return ""
            raw = reps[repetition - 1]
        elif repetition != 1:
            return ""
        comp = self._component
        if comp and comp in raw:
            comps = raw.split(comp)
            return comps[component - 1] if 0 < component <= len(comps) else ""
        return raw if component == 1 else ""

    def components(self, element: int, repetition: int = 1) -> tuple[str, ...]:
        """The components of one repetition of an element, ``()`` if absent."""
        raw = self._raw(element, repetition)
        if raw is None:
            return ()
        comp = self._component
        return tuple(raw.split(comp)) if comp and comp in raw else (raw,)

    def element_count(self) -> int:
        """Number of elements after the tag, trailing empty ones included as sent."""
        return len(self._parts) - 1

    def __repr__(self) -> str:
        return f"X12View({self._parts!r}, position={self.position})"


def view_of(segment: SegmentLike) -> SegmentLike:
    """The split-once view of an X12 segment; other segments are returned as they are
    (an EDIFACT segment already keeps its tag and, once read, its elements: wrapping it
    measured slower, bench/README.md)."""
    if isinstance(segment, X12Segment):
        return X12View(segment)
    return segment


def split_view(segments: Sequence[SegmentLike]) -> list[SegmentLike]:
    """Every segment of a transaction as its split-once view, in order.

    The loop builds each X12 view as :class:`X12View` does, reading the segment's
    slots directly: a 500-item ship notice has some 3,000 segments, and the call to
    ``__init__`` and its four property reads were most of this step's cost.
    """
    if segments and type(segments[0]) is EdifactSegment:
        # an EDIFACT segment is its own view (a view object measured slower); the
        # engine splits them all in one pass first (segment.split_elements)
        return [view_of(s) if type(s) is not EdifactSegment else s for s in segments]
    out: list[SegmentLike] = []
    append = out.append
    new = X12View.__new__
    for segment in segments:
        if type(segment) is not X12Segment:
            append(view_of(segment))
            continue
        text = segment._text
        parts = text.split(segment._element)
        view = new(X12View)
        view._parts = parts
        view.tag = parts[0]
        view.position = segment.position
        comp = view._component = segment._component
        rep = view._repetition = segment._repetition
        view.plain = None if (comp and comp in text) or (rep and rep in text) else parts
        append(view)
    return out

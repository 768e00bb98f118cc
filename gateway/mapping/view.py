"""Segments split once per translation: the mapping engine's read-only view.

A map reads the same segments many times (every rule scans its scopes by tag, then
reads an element or a ``where`` condition), and the X12 engine keeps each segment as
one string split on every read (:class:`gateway.x12.segment.X12Segment`, small for
large payloads). :func:`split_view` wraps a transaction's segments for one
translation: the tag and position become plain attributes and the elements are split
once, so the rest of the translation reads lists. The views live only as long as the
translation; the payload keeps its compact segments. The view itself is the X12
codec's (:class:`gateway.x12.segment.X12View`): the translate stage reads a set's bytes
straight into views (:func:`gateway.x12.stored.read_segments` with ``split=True``), and
:func:`split_view` hands such a list on as it is.

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
from gateway.x12.segment import X12Segment, X12View


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
    if all(type(s) is X12View for s in segments):
        return list(segments)  # read from the stored bytes as views already
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

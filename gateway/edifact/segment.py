"""The EDIFACT segment type: tag plus elements, each element repetitions of components.

A plain ``__slots__`` class rather than a frozen dataclass: millions of these are built
on large files and a frozen dataclass's ``__init__`` costs about three times as much.
Satisfies :class:`gateway.edi.SegmentLike`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gateway.edi.segment import ElementAccess
from gateway.edifact.service_chars import ServiceChars
from gateway.edifact.tokenizer import Element, split_segment, splitter

__all__ = [
    "EdifactSegment",
    "Element",
    "ElementInput",
    "forget_elements",
    "make_segment",
    "split_elements",
]


class EdifactSegment(ElementAccess):
    """One segment with release characters resolved and text decoded.

    ``position`` is 1-based within the UNH..UNT message (UNH = 1), 0 for service
    segments outside a message. ``offset`` is the byte offset of the tag in the payload.

    The reader may create a segment from its text only (``raw`` and ``chars``): it is
    split into elements on first access. Most segments of a large file are never looked
    at element by element once validated, and the text is several times smaller than
    the nested tuples.
    """

    __slots__ = ("_chars", "_elements", "_raw", "offset", "position", "tag")

    def __init__(
        self,
        tag: str,
        elements: tuple[Element, ...] | None = None,
        position: int = 0,
        offset: int = 0,
        *,
        raw: str | None = None,
        chars: ServiceChars | None = None,
    ) -> None:
        if elements is None and (raw is None or chars is None):
            raise TypeError("EdifactSegment needs elements, or raw text and service chars")
        self.tag = tag
        self._elements = elements
        self._raw = raw
        self._chars = chars
        self.position = position
        self.offset = offset

    @property
    def elements(self) -> tuple[Element, ...]:
        """The data elements after the tag: repetitions of components."""
        elements = self._elements
        if elements is None:
            if self._raw is None or self._chars is None:  # __init__ refuses this
                raise TypeError("EdifactSegment has neither elements nor raw text to split")
            elements = self._elements = split_segment(self._raw, self._chars)[1]
            self._raw = None
        return elements

    def __eq__(self, other: object) -> bool:
        # Equality is about content; position and offset depend on where it was read.
        if not isinstance(other, EdifactSegment):
            return NotImplemented
        return self.tag == other.tag and self.elements == other.elements

    def __hash__(self) -> int:
        return hash((self.tag, self.elements))

    def __repr__(self) -> str:
        return f"EdifactSegment({self.tag!r}, {self.elements!r}, position={self.position})"


def split_elements(segments: Sequence[object]) -> list[EdifactSegment]:
    """Split every EDIFACT segment of ``segments`` that is not split yet, in one pass,
    keeping its text; returns those it split, for :func:`forget_elements`.

    For a reader of a whole message (the mapping engine reads nearly every segment):
    the same elements as on first access, through :func:`~gateway.edifact.tokenizer.splitter`,
    which splits each distinct element text once. Other segment types are left as they
    are, and a list that does not start with an EDIFACT segment (another engine's
    message) is not looked through.
    """
    chars: ServiceChars | None = None
    split = None
    done: list[EdifactSegment] = []
    if not segments or type(segments[0]) is not EdifactSegment:
        return done
    for seg in segments:
        if type(seg) is not EdifactSegment or seg._elements is not None:
            continue
        raw = seg._raw
        if raw is None or seg._chars is None:  # __init__ refuses this
            raise TypeError("EdifactSegment has neither elements nor raw text to split")
        if split is None or seg._chars is not chars:
            chars = seg._chars
            split = splitter(chars)
        seg._elements = split(raw)
        done.append(seg)
    return done


def forget_elements(segments: Iterable[EdifactSegment]) -> None:
    """Drop the elements :func:`split_elements` made (the text is still there: a later
    read splits again). A translation then leaves its message as it found it, and its
    tuples are freed with it instead of living on with the caller's payload (in a
    benchmark holding a parsed file that was a few full garbage collections)."""
    for seg in segments:
        seg._elements = None


ElementInput = str | tuple[str, ...] | list[tuple[str, ...]]


def make_segment(tag: str, *elements: ElementInput) -> EdifactSegment:
    """Build a segment for writing: ``make_segment("QTY", ("21", "48"))``.

    Each element is a string (one component), a tuple of components, or a list of
    tuples (repetitions, syntax version 4).
    """
    built: list[Element] = []
    for el in elements:
        if isinstance(el, str):
            built.append(((el,),))
        elif isinstance(el, tuple):
            built.append((tuple(el),))
        else:
            built.append(tuple(tuple(rep) for rep in el))
    return EdifactSegment(tag, tuple(built))

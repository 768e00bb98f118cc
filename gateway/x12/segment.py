"""The X12 segment as the engine keeps it: its raw text, split only when read.

Parsing a 20 MB file creates hundreds of thousands of segments, and a payload is kept
whole for the pipeline, so a segment holds one string (not a list of element
strings, which costs several times the memory) and splits it on demand with the
separators of the interchange it came from. It is a plain ``__slots__`` class rather
than a frozen dataclass, whose ``__init__`` costs several times more; nothing in the
engine mutates a segment after it is built. It satisfies :class:`gateway.edi.SegmentLike`.

:class:`X12View` is the other form, for a reader that reads most elements of a few
thousand segments (the mapping engine): the elements split once, held as a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class X12Segment:
    """One segment; ``parts[0]`` is the tag, ``parts[n]`` element n as sent."""

    __slots__ = ("_component", "_element", "_repetition", "_text", "position")

    def __init__(
        self,
        text: str,
        position: int = 0,
        component: str | None = ">",
        repetition: str | None = None,
        element: str = "*",
    ) -> None:
        self._text = text
        self.position = position
        self._component = component
        self._repetition = repetition
        self._element = element

    @classmethod
    def of(
        cls,
        parts: Sequence[str],
        position: int = 0,
        component: str | None = ">",
        repetition: str | None = None,
        element: str = "*",
    ) -> X12Segment:
        """A segment from its tag and element values (they must not hold ``element``)."""
        return cls(element.join(parts), position, component, repetition, element)

    @property
    def text(self) -> str:
        """The segment as sent, without terminator."""
        return self._text

    @property
    def parts(self) -> list[str]:
        """``[tag, element 1, element 2, ...]``, split now."""
        return self._text.split(self._element)

    @property
    def tag(self) -> str:
        """The segment ID, e.g. ``"PO1"``."""
        return self._text.partition(self._element)[0]

    @property
    def element_separator(self) -> str:
        """The interchange's element separator."""
        return self._element

    @property
    def component_separator(self) -> str | None:
        """The interchange's component separator (None inside ISA)."""
        return self._component

    @property
    def repetition_separator(self) -> str | None:
        """The interchange's repetition separator (None before 00402)."""
        return self._repetition

    @property
    def elements(self) -> tuple[str, ...]:
        """The elements after the tag, as sent (separators inside them kept)."""
        return tuple(self.parts[1:])

    def element(self, element: int) -> str:
        """Element ``element`` (1-based) as sent, ``""`` if absent."""
        parts = self.parts
        return parts[element] if 0 < element < len(parts) else ""

    def repetitions(self, element: int) -> list[str]:
        """The repetitions of an element (one item when the element does not repeat)."""
        raw = self.element(element)
        rep = self._repetition
        return raw.split(rep) if rep and rep in raw else [raw]

    def components(self, element: int, repetition: int = 1) -> tuple[str, ...]:
        """The components of one repetition of an element, ``()`` if absent."""
        if not 0 < element <= self.element_count():
            return ()
        reps = self.repetitions(element)
        if not 0 < repetition <= len(reps):
            return ()
        raw = reps[repetition - 1]
        comp = self._component
        return tuple(raw.split(comp)) if comp and comp in raw else (raw,)

    def value(self, element: int, component: int = 1, repetition: int = 1) -> str:
        """One component of one repetition of one element, ``""`` if absent."""
        comps = self.components(element, repetition)
        return comps[component - 1] if 0 < component <= len(comps) else ""

    def element_count(self) -> int:
        """Number of elements after the tag, trailing empty ones included as sent."""
        return self._text.count(self._element)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, X12Segment):
            return NotImplemented
        return self.parts == other.parts and self.position == other.position

    def __hash__(self) -> int:
        return hash((tuple(self.parts), self.position))

    def __repr__(self) -> str:
        return f"X12Segment({self._text!r}, position={self.position})"


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

    @classmethod
    def split_all(
        cls,
        texts: Iterable[str],
        element: str,
        component: str | None,
        repetition: str | None,
    ) -> list[X12View]:
        """Views of segment texts of one interchange, numbered from 1 in order (one loop
        for the lot: a 500-item ship notice has some 3,000 segments, and a call per
        segment was most of this step's cost)."""
        out: list[X12View] = []
        append = out.append
        new = cls.__new__
        for position, text in enumerate(texts, 1):
            parts = text.split(element)
            view = new(cls)
            view._parts = parts
            view.tag = parts[0]
            view.position = position
            view._component = component
            view._repetition = repetition
            view.plain = (
                None
                if (component and component in text) or (repetition and repetition in text)
                else parts
            )
            append(view)
        return out

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

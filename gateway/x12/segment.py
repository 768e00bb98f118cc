"""The X12 segment as the engine keeps it: the raw element strings, split lazily.

Parsing a 20 MB file creates hundreds of thousands of segments, so this type is a
plain ``__slots__`` class rather than a frozen dataclass (whose ``__init__`` costs
several times more); nothing in the engine mutates a segment after it is built.
Components and repetitions are split only when asked for, with the separators of the
interchange the segment came from. It satisfies :class:`gateway.edi.SegmentLike`.
"""

from __future__ import annotations


class X12Segment:
    """One segment: ``parts[0]`` is the tag, ``parts[n]`` element n as sent."""

    __slots__ = ("_component", "_repetition", "parts", "position")

    def __init__(
        self,
        parts: list[str],
        position: int = 0,
        component: str | None = ">",
        repetition: str | None = None,
    ) -> None:
        self.parts = parts
        self.position = position
        self._component = component
        self._repetition = repetition

    @property
    def tag(self) -> str:
        """The segment ID, e.g. ``"PO1"``."""
        return self.parts[0]

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
        if not 0 < element < len(self.parts):
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
        return len(self.parts) - 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, X12Segment):
            return NotImplemented
        return self.parts == other.parts and self.position == other.position

    def __hash__(self) -> int:
        return hash((tuple(self.parts), self.position))

    def __repr__(self) -> str:
        return f"X12Segment({'*'.join(self.parts)!r}, position={self.position})"

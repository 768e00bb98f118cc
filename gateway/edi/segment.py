"""A plain segment value that satisfies :class:`gateway.edi.model.SegmentLike`.

Engines may use it directly or their own faster type; tests and the mapping engine's
fixtures build segments with :func:`seg`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

# element -> repetitions -> components
Element = tuple[tuple[str, ...], ...]


class ElementAccess(abc.ABC):
    """``SegmentLike`` element access for any segment type with ``elements``.

    Shared by :class:`Segment` and the EDIFACT engine's segment type.
    """

    __slots__ = ()

    @property
    @abc.abstractmethod
    def elements(self) -> tuple[Element, ...]:
        """Each element as repetitions of components (a field or property of the subclass)."""

    def value(self, element: int, component: int = 1, repetition: int = 1) -> str:
        """Return one component of one repetition of one element, ``""`` if absent."""
        comps = self.components(element, repetition)
        if 1 <= component <= len(comps):
            return comps[component - 1]
        return ""

    def components(self, element: int, repetition: int = 1) -> tuple[str, ...]:
        """Return the components of an element repetition, ``()`` if absent."""
        if not 1 <= element <= len(self.elements):
            return ()
        reps = self.elements[element - 1]
        if not 1 <= repetition <= len(reps):
            return ()
        return reps[repetition - 1]

    def element_count(self) -> int:
        """Number of elements after the tag, trailing empty ones included as sent."""
        return len(self.elements)


@dataclass(frozen=True, slots=True)
class Segment(ElementAccess):
    """A segment as tag plus elements; each element is repetitions of components."""

    tag: str
    elements: tuple[Element, ...]  # a field here, shadowing the base property
    position: int = 0


def seg(
    text: str, *, element: str = "*", component: str = ">", repetition: str = "^", position: int = 0
) -> Segment:
    """Build a segment from text such as ``"PO1*1*10*EA*2.5**VP*ABC"`` (no terminator).

    No release characters are honoured; this is for tests and fixtures.
    """
    tag, *raw = text.split(element)
    return Segment(
        tag=tag,
        elements=tuple(
            tuple(tuple(rep.split(component)) for rep in value.split(repetition)) for value in raw
        ),
        position=position,
    )

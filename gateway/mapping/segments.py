"""Segment tags each supported transaction set may contain.

A map that names a segment outside its set's list is refused at load: it would never
match, so it is a typo or a map written for another document. The tags come from the
X12 and EDIFACT engines' own set specifications (what validation accepts) and nowhere
else, so a map cannot read a segment the engine would reject, and a spec that lacks a
registered set fails loudly instead of being papered over.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from gateway.documents import EDIFACT_MESSAGES, X12_SETS
from gateway.edifact.specs.messages import STRUCTURES
from gateway.edifact.specs.model import DIRECTORIES, segment_layouts
from gateway.x12.specs.segments import SEGMENTS
from gateway.x12.specs.sets import SETS


class SpecMissing(LookupError):
    """A registered document type's set has no structure in its engine's specs (our bug)."""


def _tags(entries: Iterable[Any]) -> set[str]:
    """Segment tags of an engine structure: ``(TAG, status, max)`` entries and groups
    ``("loop", name, status, max, [...])`` (X12) / ``(SGn, status, max, [...])`` (EDIFACT)."""
    out: set[str] = set()
    for entry in entries:
        children = entry[-1] if isinstance(entry[-1], list) else None
        if children is not None:
            out |= _tags(children)
        elif isinstance(entry[0], str):
            out.add(entry[0])
    return out


@lru_cache(maxsize=64)
def known_segments(syntax: str, set_id: str, version: str = "") -> frozenset[str] | None:
    """The tags of a set, or None when the set is not one we know (nothing is checked).

    A set of a registered document type whose structure the specs lack raises
    :class:`SpecMissing`: that is a broken spec, not a map to wave through.
    """
    if syntax == "x12":
        found = SETS.get(set_id)
        if found is None:
            if set_id in X12_SETS:
                raise SpecMissing(f"X12 {set_id} is a registered set but has no structure")
            return None
        return frozenset(_tags(found[2])) | {"ST", "SE"}
    # a directory without its own structure is read with D96A's (the oldest we describe)
    structure = STRUCTURES.get((set_id, version)) or STRUCTURES.get((set_id, "D96A"))
    if structure is None:
        if set_id in EDIFACT_MESSAGES:
            raise SpecMissing(f"EDIFACT {set_id} is a registered message but has no structure")
        return None
    return frozenset(_tags(structure)) | {"UNH", "UNT"}


def element_problem(
    syntax: str, version: str, tag: str, element: int, component: int = 1
) -> str | None:
    """Why ``tag`` element ``element`` (component ``component``) cannot exist in this
    syntax/version, or None when it can (or the segment's layout is not known)."""
    if syntax == "x12":
        layout = SEGMENTS.get(tag)
        if layout is None:
            return None
        if element > len(layout):
            return (
                f"{tag} has {len(layout)} elements in X12 {version}; "
                f"element {element} does not exist"
            )
        return None

    directory = version if version in DIRECTORIES else DIRECTORIES[0]
    elements = segment_layouts(directory).get(tag)
    if elements is None:
        return None
    if element > len(elements):
        return (
            f"{tag} has {len(elements)} data elements in EDIFACT {directory}; "
            f"element {element} does not exist"
        )
    spec = elements[element - 1]
    if component > len(spec.components):
        what = "composite" if spec.composite else "simple element"
        return (
            f"{tag} element {element} ({spec.ref}) is a {what} with {len(spec.components)} "
            f"component(s) in EDIFACT {directory}; component {component} does not exist"
        )
    return None

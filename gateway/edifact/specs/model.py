"""Compile the declarative spec data into frozen objects the validator walks.

Compiled specs are cached per directory and message; compiling is cheap but the
validator runs it once per message on large files, so it must not run per segment.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from gateway.edifact.specs.codelists import CODE_LISTS
from gateway.edifact.specs.messages import STRUCTURES, Node
from gateway.edifact.specs.segments import SEGMENT_TEXT

DIRECTORIES = ("D96A", "D01B")
_FORMAT = re.compile(r"^(an|a|n)(\.\.)?(\d+)$")


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """One simple data element (standalone or inside a composite)."""

    ref: str
    mandatory: bool
    kind: str  # "a", "n" or "an"
    min_length: int
    max_length: int
    codes: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class ElementSpec:
    """One data element position of a segment: simple (one component) or composite."""

    ref: str
    mandatory: bool
    composite: bool
    components: tuple[ComponentSpec, ...]


@dataclass(frozen=True, slots=True)
class SegmentNode:
    """A segment position in a message structure."""

    tag: str
    mandatory: bool
    max_repeat: int

    @property
    def trigger(self) -> str:
        """The tag that starts this node (the segment itself)."""
        return self.tag


@dataclass(frozen=True, slots=True)
class GroupNode:
    """A segment group; ``children[0]`` is its trigger segment."""

    name: str
    mandatory: bool
    max_repeat: int
    children: tuple[SegmentNode | GroupNode, ...]

    @property
    def trigger(self) -> str:
        """The tag of the group's first segment."""
        return self.children[0].trigger


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """A compiled message: its structure and the segment layouts it uses."""

    message_type: str
    directory: str
    root: GroupNode
    segments: dict[str, tuple[ElementSpec, ...]]


def _component(text: str) -> ComponentSpec:
    ref, status, fmt = text.split()
    match = _FORMAT.match(fmt)
    if not match:
        raise ValueError(f"bad format {fmt!r} in spec for {ref}")
    kind, variable, length = match.group(1), match.group(2), int(match.group(3))
    return ComponentSpec(
        ref=ref,
        mandatory=status == "M",
        kind=kind,
        min_length=1 if variable else length,
        max_length=length,
        codes=CODE_LISTS.get(ref),
    )


def segment_layout(text: str) -> tuple[ElementSpec, ...]:
    """Compile one segment's layout in the notation of :mod:`.segments` (also used for
    the service segments, :mod:`gateway.edifact.service_segments`)."""
    elements: list[ElementSpec] = []
    for part in text.split(";"):
        raw = part.strip()
        if "[" in raw:
            head, body = raw.split("[", 1)
            ref, status = head.split()
            comps = tuple(_component(c) for c in body.rstrip("]").split("|"))
            elements.append(ElementSpec(ref, status == "M", True, comps))
        else:
            comp = _component(raw)
            elements.append(ElementSpec(comp.ref, comp.mandatory, False, (comp,)))
    return tuple(elements)


@functools.cache
def segment_layouts(directory: str) -> dict[str, tuple[ElementSpec, ...]]:
    """Return the compiled segment dictionary of a directory (D96A or D01B)."""
    return {tag: segment_layout(text) for tag, text in SEGMENT_TEXT[directory].items()}


def _node(node: Node) -> SegmentNode | GroupNode:
    if len(node) == 3:
        return SegmentNode(node[0], node[1] == "M", node[2])
    name, status, max_repeat, children = node
    return GroupNode(name, status == "M", max_repeat, tuple(_node(c) for c in children))


@functools.cache
def _compiled(message_type: str, directory: str) -> MessageSpec:
    structure = STRUCTURES[(message_type, directory)]
    root = GroupNode("message", True, 1, tuple(_node(n) for n in structure))
    return MessageSpec(message_type, directory, root, segment_layouts(directory))


def _release_key(release: str) -> tuple[int, int] | None:
    """``96A`` -> (1996, 0); ``01B`` -> (2001, 1); None when not a directory release."""
    match = re.fullmatch(r"(\d\d)([A-Z])", release.upper())
    if not match:
        return None
    year = int(match.group(1))
    return (1900 + year if year >= 90 else 2000 + year), ord(match.group(2)) - ord("A")


def nearest_directory(release: str) -> str | None:
    """Return D96A or D01B, whichever is nearer to a release such as ``97B`` or ``03B``."""
    key = _release_key(release)
    if key is None:
        return None
    half_years = key[0] * 2 + key[1]
    return min(
        DIRECTORIES,
        key=lambda d: abs(
            half_years
            - (int(d[1:3]) + (1900 if int(d[1:3]) >= 90 else 2000)) * 2
            - (ord(d[3]) - ord("A"))
        ),
    )


def find_message_spec(message_type: str, release: str) -> tuple[MessageSpec | None, bool]:
    """Return ``(spec, exact)`` for a message type and directory release (``"96A"``).

    ``exact`` is False when the spec of the nearest directory stands in for one we do
    not have (say D97B -> D96A); ``(None, False)`` when the message type has no spec.
    """
    nearest = nearest_directory(release)
    if nearest is None or (message_type, nearest) not in STRUCTURES:
        return None, False
    return _compiled(message_type, nearest), nearest == "D" + release.upper()

"""Selecting segments: matchers, loop groups, header/body/summary regions, HL trees.

All functions work on sequences of :class:`~gateway.edi.SegmentLike` and return slices
or lists of them; nothing is copied beyond the lists themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gateway.edi.model import SegmentLike
from gateway.mapping.schema import Hierarchy, Loop, Map, Matcher

Segments = Sequence[SegmentLike]
TRAILERS = frozenset({"SE", "UNT"})
MAX_HL_DEPTH = 50  # deeper parent chains are cycles or garbage


def where_matches(segment: SegmentLike, where: Mapping[str, tuple[str, ...]]) -> bool:
    """True when every ``where`` condition holds (codes compared upper-case, stripped)."""
    for key, codes in where.items():
        element, component = where_key(key)
        if segment.value(element, component).strip().upper() not in codes:
            return False
    return True


@lru_cache(maxsize=512)
def where_key(key: str) -> tuple[int, int]:
    """A ``where`` key (``"1"`` or ``"1.2"``) as (element, component)."""
    element, _, component = key.partition(".")
    return int(element), int(component) if component else 1


def matches(segment: SegmentLike, matcher: Matcher) -> bool:
    """True when the segment has the matcher's tag and meets its conditions."""
    return segment.tag == matcher.segment and where_matches(segment, matcher.where)


def _by_tag(matchers: Sequence[Matcher]) -> dict[str, list[Mapping[str, tuple[str, ...]]]]:
    """Matchers by tag: each tag's ``where`` conditions (an empty one matches any)."""
    out: dict[str, list[Mapping[str, tuple[str, ...]]]] = {}
    for matcher in matchers:
        out.setdefault(matcher.segment, []).append(matcher.where)
    return out


def _matches_any(segment: SegmentLike, tag: str, by_tag: Mapping[str, Sequence[Any]]) -> bool:
    wheres = by_tag.get(tag)
    return wheres is not None and any(not w or where_matches(segment, w) for w in wheres)


def first_index(segments: Segments, matchers: Sequence[Matcher], start: int = 0) -> int | None:
    """Index of the first segment at or after ``start`` matching any matcher."""
    by_tag = _by_tag(matchers)
    for index in range(start, len(segments)):
        seg = segments[index]
        tag = seg.tag
        if tag in by_tag and _matches_any(seg, tag, by_tag):
            return index
    return None


def split_loop(segments: Segments, loop: Loop) -> list[Segments]:
    """Cut ``segments`` into the loop's groups, each starting with a ``start`` segment.

    A group runs while the following tags are in ``members`` (when given), else until
    the next start segment or a segment matching ``end``.
    """
    groups: list[Segments] = []
    index, count = 0, len(segments)
    if not count:
        return groups
    _, start_tag, start_where, members, ends = _loop_plan(loop)
    tags = [seg.tag for seg in segments]  # a view's tag is an attribute, a segment's is not
    while index < count:
        try:
            index = tags.index(start_tag, index)  # the next start tag, found in C
        except ValueError:
            break
        if start_where and not where_matches(segments[index], start_where):
            index += 1
            continue
        begin = index
        index += 1
        while index < count:
            tag = tags[index]
            if tag == start_tag and (
                not start_where or where_matches(segments[index], start_where)
            ):
                break
            if members is not None and tag not in members:
                break
            if tag in ends and _matches_any(segments[index], tag, ends):
                break
            index += 1
        groups.append(segments[begin:index])
    return groups


# A loop's start tag and condition, members and end matchers by tag, worked out once
# per loop (split_loop runs once per line, pack and lot): id(loop) -> (the loop, ...);
# the loop is held so its id is not reused while cached.
LoopPlan = tuple[
    Loop,
    str,
    Mapping[str, tuple[str, ...]],
    frozenset[str] | None,
    dict[str, list[Mapping[str, tuple[str, ...]]]],
]
_PLANS: dict[int, LoopPlan] = {}
MAX_PLANS = 4096


def _loop_plan(loop: Loop) -> LoopPlan:
    plan = _PLANS.get(id(loop))
    if plan is None or plan[0] is not loop:
        members = frozenset(loop.members) if loop.members is not None else None
        plan = (loop, loop.start.segment, loop.start.where, members, _by_tag(loop.end))
        if len(_PLANS) >= MAX_PLANS:
            _PLANS.clear()
        _PLANS[id(loop)] = plan
    return plan


def loop_groups(segments: Segments, loop: Loop) -> list[Segments]:
    """The loop's groups in ``segments``; with ``within``, only those inside its groups.

    ``within`` nests (a loop inside groups of a loop inside groups of ...); every group
    found is returned flat, in document order.
    """
    if loop.within is None:
        return split_loop(segments, loop)
    return [
        group for outer in loop_groups(segments, loop.within) for group in split_loop(outer, loop)
    ]


@dataclass(frozen=True, slots=True)
class Regions:
    """A transaction's header, body (the loops) and summary, trailer excluded."""

    header: Segments
    body: Segments
    summary: Segments
    all: Segments


def regions(segments: Segments, map_: Map) -> Regions:
    """Split a transaction by the map's ``header_until`` and ``summary_from`` matchers."""
    end = len(segments)
    while end > 0 and segments[end - 1].tag in TRAILERS:
        end -= 1
    content = segments[:end]
    until = list(map_.header_until)
    if not until:
        for loop in (map_.lines, map_.packs):
            if loop is not None:
                until.append(loop.start)
        if map_.hierarchy is not None:
            until.append(Matcher(segment=map_.hierarchy.segment))
    head_end = first_index(content, until) if until else None
    if head_end is None:
        head_end = len(content)
    summary_start = first_index(content, map_.summary_from, head_end) if map_.summary_from else None
    if summary_start is None:
        summary_start = len(content)
    return Regions(
        header=content[:head_end],
        body=content[head_end:summary_start],
        summary=content[summary_start:],
        all=content,
    )


@dataclass(slots=True)
class HlNode:
    """One HL level: its id, parent id, level name (shipment/order/pack/item) and segments.

    Linked upwards only: a node knows its parent, not its children, so a tree holds no
    reference cycle and is freed (with the segments it holds) as soon as a translation
    drops it. With child lists each ship notice left its whole tree, some 3,000
    segment views, to the garbage collector (bench/README.md, issue 21)."""

    hl_id: str
    parent_id: str
    level: str | None
    head: SegmentLike  # the HL segment itself
    segments: Segments  # the segments after it, up to the next HL
    parent: HlNode | None = None

    def ancestors(self, level: str) -> list[HlNode]:
        """Every ancestor at ``level``, nearest first (a carton, then its pallet)."""
        out: list[HlNode] = []
        node, depth = self.parent, 0
        while node is not None and depth < MAX_HL_DEPTH:
            if node.level == level:
                out.append(node)
            node, depth = node.parent, depth + 1
        return out

    def ancestor(self, level: str) -> HlNode | None:
        """The nearest ancestor at ``level`` (bounded walk: cycles cannot hang us)."""
        node, depth = self.parent, 0
        while node is not None and depth < MAX_HL_DEPTH:
            if node.level == level:
                return node
            node, depth = node.parent, depth + 1
        return None


# id(hierarchy) -> (it, the loop of its HL segments): one Loop per map, so split_loop's
# plan of it is worked out once too
_HL_LOOPS: dict[int, tuple[Hierarchy, Loop]] = {}


def _hl_loop(spec: Hierarchy) -> Loop:
    cached = _HL_LOOPS.get(id(spec))
    if cached is None or cached[0] is not spec:
        if len(_HL_LOOPS) >= MAX_PLANS:
            _HL_LOOPS.clear()
        cached = _HL_LOOPS[id(spec)] = (
            spec,
            Loop(start=Matcher(segment=spec.segment), end=spec.end),
        )
    return cached[1]


def hl_tree(body: Segments, spec: Hierarchy) -> list[HlNode]:
    """The HL levels of a body in order, linked to their parents by HL02.

    A missing or unknown HL02 links to the nearest earlier level that can hold this
    one (shipment > order > pack > item), which is how partners that leave HL02 empty
    mean it.
    """
    level_of = {code.upper(): name for name, codes in spec.levels.items() for code in codes}
    rank = {"shipment": 0, "order": 1, "pack": 2, "item": 3}
    hl = _hl_loop(spec)
    nodes: list[HlNode] = []
    by_id: dict[str, HlNode] = {}
    id_element, parent_element, level_element = (
        spec.id_element,
        spec.parent_element,
        spec.level_element,
    )
    for group in split_loop(body, hl):
        head = group[0]
        plain = getattr(head, "plain", None)  # an X12 view's parts: read without a call
        if plain is not None:
            count = len(plain)
            hl_id = plain[id_element] if 0 < id_element < count else ""
            parent_id = plain[parent_element] if 0 < parent_element < count else ""
            level_code = plain[level_element] if 0 < level_element < count else ""
        else:
            hl_id = head.value(id_element)
            parent_id = head.value(parent_element)
            level_code = head.value(level_element)
        node = HlNode(  # positional: the dataclass __init__ with keywords costs more
            hl_id.strip(),
            parent_id.strip(),
            level_of.get(level_code.strip().upper()),
            head,
            group[1:],
        )
        parent = by_id.get(node.parent_id) if node.parent_id else None
        if parent is None and node.level is not None:
            my_rank = rank[node.level]
            for earlier in reversed(nodes):
                if earlier.level is not None and rank[earlier.level] < my_rank:
                    parent = earlier
                    break
        node.parent = parent
        nodes.append(node)
        if node.hl_id and node.hl_id not in by_id:
            by_id[node.hl_id] = node
    return nodes

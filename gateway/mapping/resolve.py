"""Reading values out of segments by map rules, with conversions and a trace.

:class:`RuleReader` is the engine's working state for one transaction: the map, the
profile's unit table, the explain trace and the warnings. Builders (one per canonical
document type, in :mod:`gateway.mapping.engine`) call :meth:`RuleReader.fields`,
:meth:`RuleReader.ids` and :meth:`RuleReader.value` with the scopes a rule may look in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gateway.edi.model import SegmentLike
from gateway.engines import engine_for
from gateway.identifiers import NDC_QUALIFIER_LAYOUTS
from gateway.mapping import convert
from gateway.mapping.compiled import (
    NOTHING,
    FieldReader,
    Section,
    compile_section,
    describe,
    field_reader,
)
from gateway.mapping.errors import DocumentError, MappingError
from gateway.mapping.schema import IdsRule, Map, Rule
from gateway.mapping.scope import Segments, where_key, where_matches

Scopes = Mapping[str, Segments]


@dataclass(frozen=True, slots=True)
class FieldTrace:
    """Where one canonical field came from (``translate --explain``)."""

    field_path: str
    segment_tag: str | None
    segment_position: int | None
    element: int | None
    component: int | None
    raw_value: str


# A to_element rule as the rule of each element it reads (what its traces name), made
# once: (id(rule), element) -> (the rule, the copy); the rule is held so its id is not
# reused while cached.
_AT_ELEMENT: dict[tuple[int, int], tuple[Rule, Rule]] = {}


def _at_element(rule: Rule, element: int) -> Rule:
    cached = _AT_ELEMENT.get((id(rule), element))
    if cached is not None and cached[0] is rule:
        return cached[1]
    if len(_AT_ELEMENT) >= 4096:
        _AT_ELEMENT.clear()
    copy = rule.model_copy(update={"element": element})
    _AT_ELEMENT[(id(rule), element)] = (rule, copy)
    return copy


class RuleReader:
    """Applies a map's rules to segments for one transaction."""

    def __init__(
        self, map_: Map, *, unit_codes: Mapping[str, str] | None = None, explain: bool = False
    ) -> None:
        self.map = map_
        self.unit_tables: list[Mapping[str, str]] = [unit_codes or {}, map_.tables.get("uom", {})]
        self.explain = explain
        # EDIFACT segments keep nested element tuples the compiled code can index
        self.elements = engine_for(map_.syntax).nested_elements
        self.traces: list[FieldTrace] = []
        self.warnings: list[str] = []
        self._tables: dict[int, dict[str, Filed]] = {}  # IdsRule id -> upper-cased table
        # id(segment list) -> (the list, its segments by tag in order); the list is held
        # so its id cannot be reused by another list while this reader lives
        self.by_tag: dict[int, tuple[Segments, dict[str, list[SegmentLike]]]] = {}
        # (id(segment list), tag, where key) -> (code as compared, segment) in order
        self._coded: dict[
            tuple[int, str, str],
            tuple[list[tuple[str, SegmentLike]], dict[str, list[SegmentLike]]],
        ] = {}

    # ---- single values ------------------------------------------------------------
    def value(
        self,
        path: str,
        rules: Sequence[Rule],
        scopes: Scopes,
        default_scope: Sequence[str],
        *,
        index: int | None = None,
        anchor: SegmentLike | None = None,
    ) -> Any:
        """The first value the rules yield, converted; None when there is none.

        ``index`` is the 1-based group number (for ``sequence`` rules); ``anchor`` is
        the segment named in errors when a required value is absent (the group start).
        The rules run as compiled once per map (:mod:`gateway.mapping.compiled`).
        """
        reader = field_reader(rules, default_scope, elements=self.elements)
        return reader(self, scopes, path, index, anchor)

    def field_reader(self, rules: Sequence[Rule], default_scope: Sequence[str]) -> FieldReader:
        """The compiled reader :meth:`value` runs, for callers reading the same field once
        per group: call it as ``reader(self, scopes, path, index, anchor)``."""
        return field_reader(rules, default_scope, elements=self.elements)

    def section(
        self, fields: Mapping[str, Sequence[Rule]], default_scope: Sequence[str]
    ) -> Section:
        """The compiled section :meth:`fields` runs, for callers filling the same section
        once per group: call it as ``section(self, scopes, target, prefix, index, anchor)``."""
        return compile_section(fields, default_scope, elements=self.elements)

    def read_rule(self, path: str, rule: Rule, scopes: Scopes, default_scope: Sequence[str]) -> Any:
        """One segment rule in its scopes, every shape (``all``, ``to_component``, tables):
        the converted value, a list for ``all``, or NOTHING."""
        if rule.segment is None or rule.element is None:
            return NOTHING  # a rule without segment and element reads no segment
        if rule.to_element is not None or rule.refuse is not None:
            return self._read_elements(path, rule, scopes, default_scope)
        collected: list[Any] = []
        for scope_name in rule.scope or default_scope:
            segments = scopes.get(scope_name)
            if segments is None:
                continue  # e.g. "pack" outside a ship notice: nothing to look in
            seen = 0
            found = self.matching(segments, rule.segment, rule.where)
            for seg in found:
                seen += 1
                if not rule.all and seen < rule.occurrence:
                    continue
                raw = self._raw(rule, seg)
                if not raw.strip():
                    if rule.all:
                        continue
                    break  # the segment is there but the element is empty: try the next rule
                value = self._converted(path, rule, raw, seg)
                if value is NOTHING:
                    if rule.all:
                        continue
                    break
                self.trace(path, seg, rule, raw)
                if not rule.all:
                    if rule.unique:
                        self.one_value(path, rule, found, seg, raw, value)
                    return value
                collected.append(value)
            if collected:
                return collected
        return NOTHING

    def _read_elements(
        self, path: str, rule: Rule, scopes: Scopes, default_scope: Sequence[str]
    ) -> Any:
        """:meth:`read_rule` for ``to_element`` and ``refuse`` rules: the values of the
        elements (a list for ``all``, else the first segment's first), or NOTHING."""
        if rule.segment is None:
            return NOTHING
        for scope_name in rule.scope or default_scope:
            segments = scopes.get(scope_name)
            if segments is None:
                continue
            values = self.element_values(
                path, rule, self.matching(segments, rule.segment, rule.where)
            )
            if values:
                return values if rule.all else values[0]
        return NOTHING

    def element_values(self, path: str, rule: Rule, found: Sequence[SegmentLike]) -> list[Any]:
        """A ``to_element`` / ``refuse`` rule over the segments of one scope that match
        it: with ``all`` the values of every one, else those of its ``occurrence``-th
        (empty when that one has none: the next scope or rule is tried)."""
        if rule.all:
            collected: list[Any] = []
            for seg in found:
                collected += self._elements(path, rule, seg)
            return collected
        if len(found) < rule.occurrence:
            return []
        return self._elements(path, rule, found[rule.occurrence - 1])

    def _elements(self, path: str, rule: Rule, seg: SegmentLike) -> list[Any]:
        """The converted values of ``element`` .. ``to_element`` of one segment (each
        its ``component``), empty ones skipped; for a ``refuse`` rule the first value
        found refuses the transaction instead, naming segment, element and contents."""
        values: list[Any] = []
        if rule.element is None:
            return values  # a rule without an element reads no segment
        # elements past the segment's last read as empty: not read at all (a GIN+BX
        # names one batch far more often than five)
        last = min(rule.to_element or rule.element, seg.element_count())
        for element in range(rule.element, last + 1):
            raw = seg.value(element, rule.component, rule.repetition)
            if not raw.strip():
                continue
            if rule.refuse is not None:
                held = ":".join(seg.components(element, rule.repetition)).rstrip(":")
                raise DocumentError(
                    f"{rule.segment}{element:02d} is {held!r}: {rule.refuse}",
                    field=path,
                    segment_tag=seg.tag,
                    segment_position=seg.position,
                    element=element,
                    code="7",
                )
            at = rule if element == rule.element else _at_element(rule, element)
            value = self._converted(path, at, raw, seg)
            if value is NOTHING:
                continue
            self.trace(path, seg, at, raw)
            values.append(value)
        return values

    @staticmethod
    def _raw(rule: Rule, seg: SegmentLike) -> str:
        """The text a segment rule reads from ``seg`` (components joined for
        ``to_component``)."""
        if rule.element is None:
            return ""  # a rule without an element reads no segment
        if rule.to_component is None:
            return seg.value(rule.element, rule.component, rule.repetition)
        return " ".join(
            part
            for n in range(rule.component, rule.to_component + 1)
            if (part := seg.value(rule.element, n, rule.repetition).strip())
        )

    def _converted(self, path: str, rule: Rule, raw: str, seg: SegmentLike) -> Any:
        """:meth:`convert_text`, then times the factor element for ``times``."""
        value = self.convert_text(path, rule, raw, seg)
        if rule.times is None or value is NOTHING:
            return value
        return self.multiplied(path, rule, seg, raw, value)

    def multiplied(self, path: str, rule: Rule, seg: SegmentLike, raw: str, value: Any) -> Any:
        """``value`` (read from ``raw``) times the number in element ``rule.times`` of
        ``seg``; a factor that is no number is a bad value like the number itself."""
        if rule.times is None:
            return value
        factor = seg.value(rule.times).strip()
        try:
            return value * convert.to_decimal(factor)
        except convert.BadValue as exc:
            reason = f"{rule.segment}{rule.times:02d} {exc.reason} (it multiplies {raw.strip()!r})"
            return self.refuse(path, rule, seg, convert.BadValue(reason, exc.code))

    def one_value(
        self,
        path: str,
        rule: Rule,
        found: Sequence[SegmentLike],
        chosen: SegmentLike,
        raw: str,
        value: Any,
    ) -> None:
        """For a ``unique`` rule: refuse when another matching segment of the scope gives
        another value (an empty element there is no value)."""
        for seg in found:
            if seg is chosen:
                continue
            other_raw = self._raw(rule, seg)
            if not other_raw.strip():
                continue
            other = self._converted(path, rule, other_raw, seg)
            if other is NOTHING or other == value:
                continue
            raise DocumentError(
                f"{describe(rule)} is there twice with different values "
                f"({raw.strip()!r} in segment {chosen.position}, {other_raw.strip()!r} in "
                f"segment {seg.position}): one is expected here and which one is meant "
                "is not known",
                field=path,
                segment_tag=seg.tag,
                segment_position=seg.position,
                element=rule.element,
                code="7",
            )

    def convert_text(self, path: str, rule: Rule, raw: str, seg: SegmentLike | None) -> Any:
        """Table lookup then conversion; a bad value is an error or a warning."""
        text = raw.strip()
        try:
            if rule.table is not None:
                table = self.map.tables.get(rule.table)
                if table is None:
                    raise MappingError(f"{path}: table {rule.table!r} is not defined in the map")
                if text.upper() in table:
                    text = table[text.upper()]
                elif text in table:
                    text = table[text]
                elif rule.default is not None:
                    text = rule.default
                else:
                    raise convert.BadValue(
                        f"code {text!r} is not one of {sorted(table)} ({rule.table})", code="7"
                    )
            return self._apply(rule, text, seg)
        except convert.BadValue as exc:
            return self.refuse(path, rule, seg, exc)

    def refuse(self, path: str, rule: Rule, seg: SegmentLike | None, exc: convert.BadValue) -> Any:
        """A value that does not convert: a :class:`DocumentError` naming the segment
        and element when the rule requires it (or the map is strict), else a warning and
        NOTHING."""
        where = _where(seg, rule)
        if rule.required or self.map.strict or rule.on_bad == "error":
            raise DocumentError(
                exc.reason,
                field=path,
                segment_tag=seg.tag if seg is not None else rule.segment,
                segment_position=seg.position if seg is not None else None,
                element=rule.element,
                code=exc.code,
            ) from exc
        self.warnings.append(f"{path}: {where}: {exc.reason} (ignored)")
        return NOTHING

    def _apply(self, rule: Rule, text: str, seg: SegmentLike | None) -> Any:
        kind = rule.convert
        if kind is None or kind == "text":
            return text
        if kind == "upper":
            return text.upper()
        if kind == "date":
            return convert.to_date(text, rule.format)
        if kind == "edifact_date":
            fmt = rule.format
            if fmt is None and seg is not None and rule.element is not None:
                fmt = seg.value(rule.element, rule.component + 1, rule.repetition)
            return convert.to_edifact_date(text, fmt or "")
        if kind == "x12_date":
            # the 1250 format qualifier is the element before (DTM05 for DTM06)
            fmt = rule.format
            if fmt is None and seg is not None and rule.element is not None and rule.element > 1:
                fmt = seg.value(rule.element - 1, 1, 1)
            return convert.to_x12_date(text, fmt or "")
        if kind == "decimal":
            return convert.to_decimal(text)
        if kind.startswith("implied"):
            return convert.to_implied(text, int(kind[-1]))
        if kind == "int":
            return convert.to_int(text)
        if kind == "uom":
            return convert.to_uom(text, *self.unit_tables)
        raise MappingError(f"unknown conversion {kind!r}")  # pragma: no cover - schema limits

    def trace(self, path: str, seg: SegmentLike | None, rule: Rule, raw: str) -> None:
        if self.explain:
            self.traces.append(
                FieldTrace(
                    field_path=path,
                    segment_tag=seg.tag if seg is not None else None,
                    segment_position=seg.position if seg is not None else None,
                    element=rule.element if seg is not None else None,
                    component=rule.component if seg is not None else None,
                    raw_value=raw,
                )
            )

    # ---- groups of values ---------------------------------------------------------
    def fields(
        self,
        prefix: str,
        fields: Mapping[str, Sequence[Rule]],
        scopes: Scopes,
        default_scope: Sequence[str],
        target: dict[str, Any],
        *,
        index: int | None = None,
        anchor: SegmentLike | None = None,
    ) -> None:
        """Resolve every field into ``target`` (dotted paths become nested dicts), each
        by its reader compiled once per map section (:mod:`gateway.mapping.compiled`)."""
        section = compile_section(fields, default_scope, elements=self.elements)
        section(self, scopes, target, prefix, index, anchor)

    def ids(
        self,
        prefix: str,
        rules: Sequence[IdsRule],
        segments: Segments,
        target: dict[str, Any],
        *,
        every: dict[str, list[FieldTrace]] | None = None,
    ) -> None:
        """File every qualifier/identifier pair of matching segments under its field (the
        first of a kind wins); ``every``, when given, receives each identifier filed
        under one of its keys (``{"lot_number": []}``), the later ones of a kind too (two
        LIN ``LT`` lots), as the trace of where it was read (``raw_value`` is the
        identifier)."""
        if not rules:
            return
        cached = self.by_tag.get(id(segments))
        index = cached[1] if cached is not None and cached[0] is segments else self.tagged(segments)
        nested = self.elements
        for rule in rules:
            table = self._tables.get(id(rule)) or self._qualifier_table(rule)
            found: Sequence[SegmentLike] | None = index.get(rule.segment)
            if found and rule.where:
                found = self.matching(segments, rule.segment, rule.where)
            if not found:
                continue
            for seg, pairs in _found_pairs(found, rule, nested):
                for qualifier, ident, element in pairs:
                    key = qualifier.upper()
                    filed = table.get(key)
                    if filed is None:
                        if rule.other is None:
                            continue
                        filed = _filed(f"{rule.other}.{key}", key)
                    name, parents, last, ndc = filed
                    if every is not None and name in every:
                        every[name].append(
                            self._id_trace(prefix, name, seg, element, rule, key, ident, ndc)
                        )
                    node = target  # down to the field's dict, made on the way (it is set)
                    for part in parents:
                        child = node.get(part)
                        if not isinstance(child, dict):
                            child = node[part] = {}
                        node = child
                    if node.get(last) is not None:
                        continue  # the first identifier of a kind wins
                    node[last] = convert.item_id(name, key, ident) if ndc else ident
                    if self.explain:
                        self.traces.append(
                            self._id_trace(prefix, name, seg, element, rule, key, ident, ndc)
                        )

    @staticmethod
    def _id_trace(
        prefix: str,
        name: str,
        seg: SegmentLike,
        element: int,
        rule: IdsRule,
        key: str,
        ident: str,
        ndc: bool,
    ) -> FieldTrace:
        """Where an ids rule read one identifier, with the value it filed."""
        return FieldTrace(
            f"{prefix}{name}",
            seg.tag,
            seg.position,
            element,
            rule.id_component if rule.layout == "composites" else 1,
            convert.item_id(name, key, ident) if ndc else ident,
        )

    def tagged(self, segments: Segments) -> dict[str, list[SegmentLike]]:
        """The segments of a list by tag, each tag's in document order (built once per
        list: every rule of a scope then reads only the segments of its own tag)."""
        cached = self.by_tag.get(id(segments))
        if cached is not None and cached[0] is segments:
            return cached[1]
        index: dict[str, list[SegmentLike]] = {}
        for seg in segments:
            found = index.get(seg.tag)
            if found is None:
                index[seg.tag] = [seg]
            else:
                found.append(seg)
        self.by_tag[id(segments)] = (segments, index)
        return index

    def matching(
        self, segments: Segments, tag: str, where: Mapping[str, tuple[str, ...]]
    ) -> Sequence[SegmentLike]:
        """The segments of a list with this tag that meet ``where``, in order."""
        cached = self.by_tag.get(id(segments))
        index = cached[1] if cached is not None and cached[0] is segments else None
        tagged = (index if index is not None else self.tagged(segments)).get(tag)
        if not tagged:
            return ()
        if not where:
            return tagged
        key, codes = next(iter(where.items()))
        pairs, by_code = self.coded(segments, tag, key)
        if len(codes) == 1:
            found: Sequence[SegmentLike] = by_code.get(codes[0], ())
        else:
            found = [seg for code, seg in pairs if code in codes]
        if len(where) > 1:
            found = [seg for seg in found if where_matches(seg, where)]
        return found

    def coded(
        self, segments: Segments, tag: str, key: str
    ) -> tuple[list[tuple[str, SegmentLike]], dict[str, list[SegmentLike]]]:
        """The segments of a list with this tag, each with its ``where`` code at ``key``
        (stripped, upper-cased, as compared), in order and by code; built once."""
        cache_key = (id(segments), tag, key)
        cached = self._coded.get(cache_key)
        if cached is None:
            element, component = where_key(key)
            pairs = [
                (seg.value(element, component).strip().upper(), seg)
                for seg in self.tagged(segments).get(tag, ())
            ]
            by_code: dict[str, list[SegmentLike]] = {}
            for code, seg in pairs:
                by_code.setdefault(code, []).append(seg)
            cached = self._coded[cache_key] = (pairs, by_code)
        return cached

    def _qualifier_table(self, rule: IdsRule) -> dict[str, Filed]:
        cached = self._tables.get(id(rule))
        if cached is None:
            shared = _QUALIFIER_TABLES.get((id(rule), id(self.map)))
            if shared is not None and shared[0] is rule and shared[1] is self.map:
                cached = shared[2]
            else:
                cached = self._build_qualifier_table(rule)
                if len(_QUALIFIER_TABLES) >= MAX_TABLES:
                    _QUALIFIER_TABLES.clear()
                _QUALIFIER_TABLES[(id(rule), id(self.map))] = (rule, self.map, cached)
            self._tables[id(rule)] = cached
        return cached

    def _build_qualifier_table(self, rule: IdsRule) -> dict[str, Filed]:
        if isinstance(rule.qualifiers, dict):
            table = rule.qualifiers
        else:
            found = self.map.tables.get(rule.qualifiers)
            if found is None:
                raise MappingError(f"qualifier table {rule.qualifiers!r} is not defined in the map")
            table = found
        return {k.upper(): _filed(v, k.upper()) for k, v in table.items()}


# (id(rule), id(map)) -> (rule, map, its upper-cased table): built once per map, not
# per translation; the rule and map are held so their ids are not reused while cached
_QUALIFIER_TABLES: dict[tuple[int, int], tuple[IdsRule, Map, dict[str, Filed]]] = {}
MAX_TABLES = 4096

# Where an identifier of one qualifier is filed: the field's dotted name, its parent
# keys and last key, and whether convert.item_id can change the value (an NDC whose
# qualifier says its layout); worked out once per table entry, not per identifier.
Filed = tuple[str, tuple[str, ...], str, bool]


def _filed(name: str, qualifier: str) -> Filed:
    parents, last = _parts(name)
    layout = NDC_QUALIFIER_LAYOUTS.get(qualifier)
    ndc = layout is not None and layout != "5-4-2" and name.endswith("ndc")
    return name, parents, last, ndc


def _found_pairs(
    found: Sequence[SegmentLike], rule: IdsRule, nested: bool
) -> list[tuple[SegmentLike, list[tuple[str, str, int]]]]:
    """Each segment an ids rule reads with its (qualifier, identifier, element) pairs,
    in order (the first segment only for ``occurrences: first``). An X12 view's
    ``plain`` parts and EDIFACT nested elements are read directly, other segments by
    ``value`` (:func:`_pairs`): the same answer."""
    out: list[tuple[SegmentLike, list[tuple[str, str, int]]]] = []
    pairs_layout = rule.layout == "pairs"
    composites = nested and rule.layout == "composites"
    for seg in found:
        plain = getattr(seg, "plain", None) if pairs_layout else None
        if plain is not None:  # an X12 view's parts: element n is plain[n]
            pairs = []
            for qual_pos in range(rule.first, min(rule.last + 1, len(plain) - 1), 2):
                qualifier = plain[qual_pos].strip()
                if qualifier:
                    ident = plain[qual_pos + 1].strip()
                    if ident:
                        pairs.append((qualifier, ident, qual_pos + 1))
        else:
            elements = getattr(seg, "elements", None) if composites else None
            pairs = (
                _nested_composites(elements, rule) if elements is not None else _pairs(seg, rule)
            )
        out.append((seg, pairs))
        if rule.occurrences == "first":
            break
    return out


def _pairs(seg: SegmentLike, rule: IdsRule) -> list[tuple[str, str, int]]:
    """The (qualifier, identifier, element) pairs of a segment, read by ``value``."""
    out: list[tuple[str, str, int]] = []
    if rule.layout == "pairs":
        for qual_pos in range(rule.first, min(rule.last + 1, seg.element_count()), 2):
            qualifier = seg.value(qual_pos).strip()
            if qualifier:
                ident = seg.value(qual_pos + 1).strip()
                if ident:
                    out.append((qualifier, ident, qual_pos + 1))
    else:
        for pos in range(rule.first, min(rule.last, seg.element_count()) + 1):
            ident = seg.value(pos, rule.id_component).strip()
            qualifier = seg.value(pos, rule.qualifier_component).strip()
            if qualifier and ident:
                out.append((qualifier, ident, pos))
    return out


def _nested_composites(elements: Sequence[Any], rule: IdsRule) -> list[tuple[str, str, int]]:
    """``layout: composites`` over nested element tuples (first repetition of each)."""
    out: list[tuple[str, str, int]] = []
    id_comp, qual_comp = rule.id_component, rule.qualifier_component
    for pos in range(rule.first, min(rule.last, len(elements)) + 1):
        reps = elements[pos - 1]
        comps = reps[0] if reps else ()
        ident = comps[id_comp - 1].strip() if id_comp <= len(comps) else ""
        qualifier = comps[qual_comp - 1].strip() if qual_comp <= len(comps) else ""
        if qualifier and ident:
            out.append((qualifier, ident, pos))
    return out


def _where(seg: SegmentLike | None, rule: Rule) -> str:
    if seg is None:
        return "value"
    return f"segment {seg.position} ({seg.tag}) element {rule.element}"


@lru_cache(maxsize=4096)
def _parts(path: str) -> tuple[tuple[str, ...], str]:
    *parents, last = path.split(".")
    return tuple(parents), last


def get_path(target: Mapping[str, Any], path: str) -> Any:
    """Read ``a.b.c`` from nested dicts; None when any part is absent."""
    parents, last = _parts(path)
    node: Any = target
    for part in parents:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node.get(last) if isinstance(node, Mapping) else None

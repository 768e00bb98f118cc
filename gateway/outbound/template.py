"""Outbound maps: how a canonical document is written as X12 or EDIFACT segments.

An inbound map says where each canonical field comes *from*; an outbound map is the
other direction and reads best as the document it writes: a list of segments in order,
each with its element values as templates over the canonical document. Maps live under
``outbound/`` in the map directories (``outbound/x12/004010/850.yaml``, partner overrides
such as ``outbound/overrides/acme/850.yaml``) and use ``extends:`` like inbound maps:
a child's ``tables`` merge key by key, its ``segments`` list replaces the parent's.

Element values (see ``maps/outbound/README.md`` for the full language):

* ``"SA"`` - a literal;
* ``"{po_number}"``, ``"{line.item.gtin}"``, ``"{order_date|date}"`` - a canonical path
  with filters (``date``, ``time``, ``decimal``, ``int``, ``upper``, ``table:NAME``,
  ``max:N`` - cut free text, ``fits:N`` - refuse a longer value, ``count`` - the
  length of a list);
* ``["{party.gln}", "", "9"]`` - an EDIFACT composite (components);
* ``{when: PATH, value: ..., otherwise: ...}`` - the value only when PATH is not empty
  (else ``otherwise``, or nothing);
* ``{pairs: [[VP, "{line.item.vendor_part}"], ...]}`` - qualifier/value element pairs,
  only those whose value is present (X12 PO1 product ids);
* ``{composites: [[SA, "{line.item.vendor_part}"], ...]}`` - EDIFACT ``value:qualifier``
  composites, only those whose value is present (PIA);
* ``{first: [[UL, "{party.gln}"], ["1", "{party.duns}"]]}`` - qualifier and value of the
  first present pair, as two elements (X12 N103/N104);
* ``{count: lines}`` - the number of items in a list.

``when:`` on a segment or loop takes a path or a list of paths (any one present).

Segments: ``{tag: BEG, elements: [...], when: PATH}``; loops:
``{each: lines, as: line, segments: [...]}`` (binds ``index``, 1-based, too; ``match:
{line_number: "{line.line_number}"}`` keeps only the items whose attribute equals the
value) and
``{each: {buyer: BY, ship_to: ST}, as: party, segments: [...]}`` over the document's
parties (binds ``role`` to the code).

This module only defines and loads maps; :mod:`gateway.outbound.render` applies them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.partners.loader import (
    YamlDocument,
    YamlReadError,
    describe_validation,
    line_of,
    read_yaml,
)

OUTBOUND_DIR = "outbound"
MAX_EXTENDS_DEPTH = 8
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
FILTERS = ("date", "time", "decimal", "upper", "table", "max", "fits", "int", "count", "cents")


class OutboundMapError(Exception):
    """An outbound map file that does not load (file, line, field, reason)."""

    def __init__(self, file: Path | None, line: int | None, field: str, reason: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        where = f"{file}:{line}" if line else str(file)
        super().__init__(f"{where}: {field + ': ' if field else ''}{reason}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class When(_Strict):
    """An element written only when a canonical path has a value."""

    when: str
    value: ElementValue
    otherwise: ElementValue | None = None  # written when the path is empty


class Pairs(_Strict):
    """Qualifier/value element pairs; pairs whose value is empty are left out."""

    pairs: list[tuple[str, str]]


class Composites(_Strict):
    """EDIFACT ``value:qualifier`` composites; those whose value is empty are left out."""

    composites: list[tuple[str, str]]


class First(_Strict):
    """The first qualifier/value pair whose value is present, as two elements."""

    first: list[tuple[str, str]]


class Count(_Strict):
    """The number of items of a list in the document."""

    count: str


ElementValue = str | list[str] | When | Pairs | Composites | First | Count
Condition = str | list[str]  # a path, or several of which any one must be present
When.model_rebuild()


class SegmentRule(_Strict):
    """One segment to write."""

    tag: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,2}$")]
    elements: list[ElementValue] = Field(default_factory=list)
    when: Condition | None = None


class LoopRule(_Strict):
    """Segments written once per item of a list, or once per present party."""

    each: str | dict[str, str]
    as_: str = Field(alias="as", pattern=r"^[a-z_]+$")
    when: Condition | None = None
    # one iteration per distinct value of this attribute of the items (in the order
    # first seen): the loop variable is {key: the value, items: the items with it}
    group_by: str | None = None
    # only the items whose attribute, as text, equals the rendered template ("" matches
    # an empty one): ``{line_number: "{line.line_number}"}`` picks a line's taxes
    match: dict[str, str] | None = None
    segments: list[SegmentRule | LoopRule]


LoopRule.model_rebuild()


class OutboundMap(_Strict):
    """A whole outbound map after ``extends:`` was applied."""

    name: str = ""
    description: str = ""
    document: str
    syntax: Literal["x12", "edifact"]
    version: str
    set: str = Field(pattern=r"^[0-9A-Z]{3,6}$")
    extends: str | None = None
    functional_id: str | None = None  # X12 GS01; derived from the set when absent
    association: str = ""  # EDIFACT S009 0057 (e.g. EAN008)
    tables: dict[str, dict[str, str]] = Field(default_factory=dict)
    segments: list[SegmentRule | LoopRule]

    @field_validator("version")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper().replace(":", "")


def placeholders(value: ElementValue) -> list[str]:
    """Every ``{path|filters}`` expression in an element value."""
    if isinstance(value, str):
        return PLACEHOLDER.findall(value)
    if isinstance(value, list):
        return [p for item in value for p in PLACEHOLDER.findall(item)]
    if isinstance(value, When):
        other = placeholders(value.otherwise) if value.otherwise is not None else []
        return placeholders(value.value) + other
    if isinstance(value, Pairs | Composites | First):
        items = (
            value.pairs
            if isinstance(value, Pairs)
            else (value.composites if isinstance(value, Composites) else value.first)
        )
        return [p for _, v in items for p in PLACEHOLDER.findall(v)]
    return []


def _check_filters(map_: OutboundMap) -> list[tuple[tuple[str | int, ...], str]]:
    problems: list[tuple[tuple[str | int, ...], str]] = []

    def walk(rules: Sequence[SegmentRule | LoopRule], loc: tuple[str | int, ...]) -> None:
        for n, rule in enumerate(rules):
            here = (*loc, n)
            if isinstance(rule, LoopRule):
                walk(rule.segments, (*here, "segments"))
                continue
            for k, element in enumerate(rule.elements):
                for expr in placeholders(element):
                    for part in expr.split("|")[1:]:
                        name, _, arg = part.partition(":")
                        if name not in FILTERS:
                            problems.append(((*here, "elements", k), f"unknown filter {name!r}"))
                        elif name == "table" and arg not in map_.tables:
                            problems.append(((*here, "elements", k), f"no table {arg!r}"))
                        elif name in ("max", "fits") and not arg.isdigit():
                            problems.append(((*here, "elements", k), f"{name} needs a number"))

    walk(map_.segments, ("segments",))
    return problems


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in child.items():
        if key == "tables" and isinstance(value, dict) and isinstance(out.get(key), dict):
            tables = dict(out[key])
            for table, entries in value.items():
                old = tables.get(table)
                tables[table] = {**old, **entries} if isinstance(old, dict) else entries
            out[key] = tables
        else:
            out[key] = value
    return out


class OutboundLibrary:
    """Every outbound map of the map directories, by name (``x12/004010/850``)."""

    def __init__(self, maps: dict[str, OutboundMap], errors: list[OutboundMapError]) -> None:
        self.maps = maps
        self.errors = errors

    @classmethod
    def load(cls, dirs: Sequence[Path], *, collect: bool = False) -> OutboundLibrary:
        """Load ``<dir>/outbound/**/*.yaml`` of each directory (later ones win by name)."""
        docs: dict[str, YamlDocument] = {}
        errors: list[OutboundMapError] = []
        for directory in dirs:
            root = directory / OUTBOUND_DIR
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*.yaml")):
                name = path.relative_to(root).with_suffix("").as_posix()
                try:
                    doc = read_yaml(path, codes=True)
                except YamlReadError as exc:
                    errors.append(OutboundMapError(path, exc.line, "", exc.reason))
                    continue
                if not isinstance(doc.data, dict):
                    errors.append(OutboundMapError(path, 1, "", "a map must be a YAML mapping"))
                    continue
                docs[name] = doc
        maps: dict[str, OutboundMap] = {}
        for name in sorted(docs):
            try:
                maps[name] = _build(name, docs)
            except OutboundMapError as exc:
                errors.append(exc)
        if errors and not collect:
            raise errors[0]
        return cls(maps, errors)

    def get(self, name: str) -> OutboundMap:
        """A map by name; raises ``KeyError`` naming what exists."""
        key = name.removesuffix(".yaml")
        if key not in self.maps:
            raise KeyError(f"no outbound map {key!r} (have: {', '.join(sorted(self.maps))})")
        return self.maps[key]


def _build(name: str, docs: dict[str, YamlDocument]) -> OutboundMap:
    chain = [docs[name]]
    while (parent := chain[-1].data.get("extends")) is not None:
        doc = chain[-1]
        parent = str(parent).removesuffix(".yaml")
        if parent not in docs or len(chain) > MAX_EXTENDS_DEPTH:
            reason = "makes a cycle" if parent in docs else "names no outbound map"
            raise OutboundMapError(
                doc.path, line_of(doc.root, ["extends"]), "extends", f"{parent!r} {reason}"
            )
        if any(d is docs[parent] for d in chain):
            raise OutboundMapError(
                doc.path, line_of(doc.root, ["extends"]), "extends", f"{parent!r} makes a cycle"
            )
        chain.append(docs[parent])
    data: dict[str, Any] = {}
    for doc in reversed(chain):
        data = _merge(data, doc.data)
    data["extends"] = chain[0].data.get("extends")
    data["name"] = name
    roots = [(d.path, d.root) for d in chain]
    try:
        map_ = OutboundMap.model_validate(data)
    except ValidationError as exc:
        file, line, field, reason = describe_validation(exc, roots)[0]
        raise OutboundMapError(file, line, field, reason) from exc
    for loc, reason in _check_filters(map_):
        raise OutboundMapError(
            roots[0][0], line_of(roots[0][1], loc), ".".join(map(str, loc)), reason
        )
    return map_

"""Apply an outbound map to a canonical document: the segments to write, and why.

Pure: a canonical model and an :class:`~gateway.outbound.template.OutboundMap` in,
:class:`Rendered` out (segment values without envelope, plus one :class:`SegmentTrace`
per segment for ``translate --outbound --explain`` and for naming the canonical field
behind a segment our own validator refuses). A value that cannot be rendered (a path
that does not exist in the model) is :class:`RenderError`: a broken map is our bug. A
value of the document a filter refuses (a fraction for ``int``) is
:class:`OutboundInvalid`, naming the segment, element and canonical field: the document
cannot be sent as it is, which an operator must see.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from gateway.edi.model import Issue, Level
from gateway.outbound.template import (
    PLACEHOLDER,
    Composites,
    Condition,
    Count,
    ElementValue,
    First,
    LoopRule,
    OutboundMap,
    Pairs,
    SegmentRule,
    When,
)

Element = str | tuple[str, ...]  # a simple element or an EDIFACT composite


class RenderError(Exception):
    """The map asks for something the document model does not have (our bug)."""


class OutboundInvalid(Exception):
    """What we were about to send fails our own validator, or cannot be written at all."""

    def __init__(self, findings: list[str]) -> None:
        self.findings = findings
        super().__init__("; ".join(findings))


class _Refused(ValueError):
    """A filter cannot turn this value into what the map asks for (the document's fault)."""


class _Members(list[Any]):
    """A group's items (``group_by``), each with its index in the list they came from."""

    def __init__(self, indexed: Iterable[tuple[int, Any]]) -> None:
        pairs = list(indexed)
        super().__init__(item for _, item in pairs)
        self.indices = [index for index, _ in pairs]


@dataclass(frozen=True)
class SegmentTrace:
    """Where one written segment came from."""

    position: int  # 1-based, within the transaction body (after ST/UNH)
    tag: str
    rule: str  # location in the map, e.g. segments[7].segments[0]
    fields: tuple[str, ...]  # canonical paths read for it (loop variables resolved)


@dataclass
class Rendered:
    """The body segments of one transaction and their traces."""

    map_name: str
    segments: list[tuple[str, list[Element]]] = field(default_factory=list)
    traces: list[SegmentTrace] = field(default_factory=list)

    def trace_at(self, position: int) -> SegmentTrace | None:
        """The trace of the body segment at ``position`` (1-based), if any."""
        if 1 <= position <= len(self.traces):
            return self.traces[position - 1]
        return None


class _Scope:
    """Names visible to templates: the document's fields plus loop variables."""

    def __init__(self, document: BaseModel, variables: Mapping[str, Any], paths: Mapping[str, str]):
        self.document = document
        self.variables = dict(variables)
        self.paths = dict(paths)  # loop variable -> the canonical path it stands for

    def child(
        self,
        name: str,
        value: Any,
        path: str,
        attributes: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> _Scope:
        """A scope with ``name`` bound to ``value`` (found at ``path``); ``attributes``
        gives the paths of some of its attributes where they are not under ``path``."""
        variables = {**self.variables, name: value, **extra}
        paths = {k: v for k, v in self.paths.items() if not k.startswith(f"{name}.")}
        paths[name] = path
        paths.update({f"{name}.{attr}": where for attr, where in (attributes or {}).items()})
        return _Scope(self.document, variables, paths)

    def lookup(self, path: str) -> tuple[Any, str]:
        """The value at ``path`` and the canonical path it names (for traces)."""
        head, _, rest = path.partition(".")
        if head in self.variables:
            value: Any = self.variables[head]
            base = self.paths.get(head, head)
            first, _, after = rest.partition(".")
            if rest and f"{head}.{first}" in self.paths:
                value = _attribute(value, first, path)
                base, rest = self.paths[f"{head}.{first}"], after
        else:
            value, base, rest = self.document, "", path
        for part in rest.split(".") if rest else ():
            value = _attribute(value, part, path)
        canonical = f"{base}.{rest}".strip(".") if rest else base
        return value, canonical


def _attribute(value: Any, name: str, path: str) -> Any:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        if name not in type(value).model_fields:
            raise RenderError(f"{path}: {type(value).__name__} has no field {name!r}")
        return getattr(value, name)
    if isinstance(value, Mapping):
        return value.get(name)
    raise RenderError(f"{path}: cannot read {name!r} of a {type(value).__name__}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y%m%d")
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    return str(value)


_LINE_BREAKS = re.compile(r"[\r\n\t]+")


def _one_line(text: str) -> str:
    """Line breaks and tabs (a multi-line note typed in Odoo) as one space each run:
    no EDI syntax carries them inside a value, and every reader would drop or choke on
    them; other control characters are left for the writer to refuse."""
    return _LINE_BREAKS.sub(" ", text) if _LINE_BREAKS.search(text) else text


def _decimal(value: Decimal) -> str:
    """Plain notation without exponent or trailing zeros (X12 R / EDIFACT n)."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    text = format(value.normalize(), "f")
    return text


class Renderer:
    """Renders one document with one map (create one per document)."""

    def __init__(self, map_: OutboundMap, document: BaseModel) -> None:
        self.map = map_
        self.document = document
        self.out = Rendered(map_.name)
        self._fields: list[str] = []
        self._hl = 0
        self._at = Issue(Level.SEGMENT, "", "")  # the segment and element being rendered
        self._rule = ""

    def render(self) -> Rendered:
        """Walk the map's segments over the document."""
        self._rules(self.map.segments, _Scope(self.document, {}, {}), "segments")
        return self.out

    # -- rules ------------------------------------------------------------------------
    def _rules(self, rules: Sequence[SegmentRule | LoopRule], scope: _Scope, loc: str) -> None:
        for n, rule in enumerate(rules):
            here = f"{loc}[{n}]"
            if rule.when is not None and not _present(rule.when, scope):
                continue
            if isinstance(rule, LoopRule):
                self._loop(rule, scope, here)
            else:
                self._segment(rule, scope, here)

    def _loop(self, rule: LoopRule, scope: _Scope, loc: str) -> None:
        if isinstance(rule.each, dict):
            for attribute, code in rule.each.items():
                value, path = scope.lookup(attribute)
                if value is not None:
                    inner = scope.child(rule.as_, value, path, role=code)
                    self._rules(rule.segments, inner, f"{loc}.segments")
            return
        items, path = scope.lookup(rule.each)
        if items is None:
            return
        if not isinstance(items, list | tuple):
            raise RenderError(f"{loc}: each: {rule.each} is not a list")
        # each item keeps its index in the document's list, for the paths traces name
        indexed = list(zip(getattr(items, "indices", range(len(items))), items, strict=True))
        if rule.match is not None:
            wanted = {attr: self._template(t, scope) for attr, t in rule.match.items()}
            indexed = [
                (n, item)
                for n, item in indexed
                if all(
                    _text(_attribute(item, attr, f"{loc}: match")) == value
                    for attr, value in wanted.items()
                )
            ]
        if rule.group_by is not None:
            self._groups(rule, indexed, scope, path, loc)
            return
        for index, (original, item) in enumerate(indexed, 1):
            inner = scope.child(rule.as_, item, f"{path}[{original}]", index=index)
            self._rules(rule.segments, inner, f"{loc}.segments")

    def _groups(
        self,
        rule: LoopRule,
        indexed: Sequence[tuple[int, Any]],
        scope: _Scope,
        path: str,
        loc: str,
    ) -> None:
        """One iteration per group: ``{key, items}``, the key read from (and its path
        naming) the group's first item, the items named by their own indices."""
        attribute = rule.group_by or ""
        for index, members in enumerate(_grouped(indexed, attribute, f"{loc}: group_by"), 1):
            first = f"{path}[{members.indices[0]}]"
            group = {"key": _attribute(members[0], attribute, loc), "items": members}
            where = {"key": f"{first}.{attribute}", "items": path}
            inner = scope.child(rule.as_, group, first, where, index=index)
            self._rules(rule.segments, inner, f"{loc}.segments")

    def _segment(self, rule: SegmentRule, scope: _Scope, loc: str) -> None:
        self._fields = []
        if rule.tag in ("HL", "CPS"):
            # hierarchical levels (X12 HL, EDIFACT CPS): {hl} is this one's number (counted
            # over the whole transaction), {hl_parent} the enclosing one's; the segments
            # and loops after it in the same list are its children
            self._hl += 1
            scope.variables["hl_parent"] = scope.variables.get("hl", "")
            scope.variables["hl"] = self._hl
        elements: list[Element] = []
        self._rule = loc
        for value in rule.elements:
            self._at = Issue(
                Level.ELEMENT,
                "",
                "",
                segment_tag=rule.tag,
                segment_position=len(self.out.segments) + 2,  # after ST / UNH
                element_position=len(elements) + 1,
            )
            elements.extend(self._element(value, scope))
        while elements and elements[-1] in ("", ()):
            elements.pop()
        self.out.segments.append((rule.tag, elements))
        self.out.traces.append(
            SegmentTrace(
                position=len(self.out.segments),
                tag=rule.tag,
                rule=loc,
                fields=tuple(dict.fromkeys(self._fields)),
            )
        )

    # -- values -----------------------------------------------------------------------
    def _element(self, value: ElementValue, scope: _Scope) -> list[Element]:
        if isinstance(value, str):
            return [self._template(value, scope)]
        if isinstance(value, list):
            components = [self._template(item, scope) for item in value]
            while components and components[-1] == "":
                components.pop()
            return [tuple(components)]
        if isinstance(value, When):
            if _empty(scope.lookup(value.when)[0]):
                if value.otherwise is not None:
                    return self._element(value.otherwise, scope)
                return [""] if not isinstance(value.value, list) else [()]
            return self._element(value.value, scope)
        if isinstance(value, Pairs):
            pairs = self._filled(value.pairs, scope)
            return [element for qualifier, text in pairs for element in (qualifier, text)]
        if isinstance(value, Composites):
            return [(text, qualifier) for qualifier, text in self._filled(value.composites, scope)]
        if isinstance(value, First):
            first = next(iter(self._filled(value.first, scope)), None)
            return list(first) if first is not None else ["", ""]
        if isinstance(value, Count):
            items, path = scope.lookup(value.count)
            self._fields.append(path)
            return [str(len(items or ()))]
        raise RenderError(f"unknown element value {value!r}")  # pragma: no cover - schema

    def _filled(
        self, choices: Iterable[tuple[str, str]], scope: _Scope
    ) -> Iterator[tuple[str, str]]:
        """``(qualifier, text)`` for each choice whose template is not empty, lazily (a
        ``first:`` renders only up to the first one that is)."""
        for qualifier, template in choices:
            text = self._template(template, scope)
            if text:
                yield qualifier, text

    def _template(self, template: str, scope: _Scope) -> str:
        def substitute(match: Any) -> str:
            return self._expression(match.group(1), scope)

        return PLACEHOLDER.sub(substitute, template)

    def _expression(self, expression: str, scope: _Scope) -> str:
        path, *filters = (part.strip() for part in expression.split("|"))
        value, canonical = scope.lookup(path)
        if path not in ("index", "role", "hl", "hl_parent"):
            self._fields.append(canonical)
        for spec in filters:
            try:
                value = self._filter(spec, value)
            except _Refused as exc:
                raise OutboundInvalid([self._refusal(spec, str(exc), canonical)]) from exc
        return _one_line(_text(value))

    def _refusal(self, spec: str, reason: str, canonical: str) -> str:
        """A filter's refusal as the validator words its findings: where, why, from what."""
        issue = dataclasses.replace(self._at, code=spec, message=reason)
        return f"{issue.describe()} (from {canonical}; map {self.map.name} {self._rule})"

    def _filter(self, spec: str, value: Any) -> Any:
        name, _, arg = spec.partition(":")
        if name == "count":
            return str(len(value or ()))
        if value is None or value == "":
            return value
        if name == "date":
            return value.strftime("%Y%m%d") if isinstance(value, dt.date) else value
        if name == "time":
            return value.strftime("%H%M") if isinstance(value, dt.datetime) else value
        if name == "decimal":
            return _decimal(Decimal(str(value)))
        if name == "int":
            number = Decimal(str(value))
            if number != number.to_integral_value():
                raise _Refused(f"{_text(value)} is not a whole number")
            return str(int(number))
        if name == "cents":  # X12 N2: implied two decimals (TDS01, SAC05, ITD08)
            amount = (Decimal(str(value)) * 100).quantize(Decimal(1))
            return str(int(amount))
        if name == "upper":
            return _text(value).upper()
        if name == "max":  # free text only: a cut key or code is a different one
            return _text(value)[: int(arg)]
        if name == "fits":  # a limit of the release stricter than our validator's
            if len(_text(value)) > int(arg):
                raise _Refused(f"{_text(value)!r} is longer than {arg}")
            return value
        if name == "table":
            return self.map.tables[arg].get(_text(value), _text(value))
        raise RenderError(f"unknown filter {name!r}")  # pragma: no cover - checked at load


def _grouped(indexed: Sequence[tuple[int, Any]], attribute: str, loc: str) -> list[_Members]:
    """Indexed items grouped by one attribute, groups in the order their first item came."""
    groups: dict[Any, list[tuple[int, Any]]] = {}
    for index, item in indexed:
        groups.setdefault(_attribute(item, attribute, loc), []).append((index, item))
    return [_Members(members) for members in groups.values()]


def _present(condition: Condition, scope: _Scope) -> bool:
    paths = [condition] if isinstance(condition, str) else condition
    return any(not _empty(scope.lookup(path)[0]) for path in paths)


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple | dict) and not value)


def render(map_: OutboundMap, document: BaseModel) -> Rendered:
    """The body segments ``document`` becomes under ``map_``."""
    return Renderer(map_, document).render()

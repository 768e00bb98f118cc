"""Map rules compiled once per map into straight-line Python (issue 21, translate cost).

A map's rules are data (:class:`~gateway.mapping.schema.Rule`); interpreting them for
every value of every line cost more than the reading itself (a dozen calls per field:
plan, probes, rule loop, scope loop, matcher, conversion dispatch, nested-dict write).
Here a map section (``header:``, a loop's ``fields:`` ...) becomes one generated
function, built once per section and default scope and cached while the map lives:
every rule of every field unrolled over its scopes, with its tag, positions,
occurrence and conversion written in as literals, and each field's dotted path as
plain dict writes. Per value the engine then only looks segments up by tag, reads one
element and converts it. :func:`field_reader` does the same for one field's rules
(:meth:`RuleReader.value`, used by the builders for roles and order numbers).

The generated code answers exactly what the rule interpreter answered before (values,
``--explain`` traces, warnings and the text of every :class:`DocumentError`):
``tests/mapping/test_translate_differential.py`` checks it against digests taken with
the engine before. Rules joining components (``to_component``), reading several elements
(``to_element``) or refusing what they find (``refuse``) call the reader's general path,
:meth:`RuleReader.read_rule`; multiplying (``times``) and checking that one value is
meant (``unique``) call :meth:`RuleReader.multiplied` / :meth:`RuleReader.one_value`.
Only literals the code builds itself (ints, and repr() of names and codes) go into the
source; rules and tables are passed as objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_args

from gateway.edi.model import SegmentLike
from gateway.mapping import convert
from gateway.mapping.errors import DocumentError, MappingError
from gateway.mapping.schema import Convert, Rule
from gateway.mapping.scope import where_key

if TYPE_CHECKING:
    from gateway.mapping.resolve import RuleReader, Scopes


class _Nothing:
    """Marker for 'no value' (None is a legitimate converted value nowhere, but be clear)."""


NOTHING: Any = _Nothing()

# One step of a field reader, by kind (the first item of its tuple).
_SEGMENT = 0  # (kind, rule, scope names, tag, where, element, component, repetition,
#               occurrence - 1)
_CONST = 1  # (kind, rule)
_GENERAL = 2  # (kind, rule, default scope): RuleReader.read_rule

FieldReader = Callable[["RuleReader", "Scopes", str, "int | None", "SegmentLike | None"], Any]


def _general(rule: Rule) -> bool:
    """Whether a segment rule needs the reader's general path (``to_component``, or a
    conversion this module does not know). ``to_element`` and ``refuse`` rules are
    compiled up to the segments they read, then :meth:`RuleReader.element_values`."""
    return rule.to_component is not None or rule.convert not in _CONVERSIONS


#: the conversions the compiled code inlines: every one a rule may name (schema.Convert)
_CONVERSIONS: frozenset[str | None] = frozenset({None, *get_args(Convert)})


@dataclass
class _Variables:
    """The local variables generated code reads segments through (:func:`_scope_lines`):
    each scope's segments of one tag (``t<n>_<TAG>``) and, for a tag with one segment,
    the code a one-condition ``where`` tests (``k<n>_<TAG>_<e>_<c>``), with how many
    rules test it."""

    tags: dict[tuple[int, str], str] = field(default_factory=dict)
    codes: dict[tuple[str, int, int], str] = field(default_factory=dict)
    code_reads: dict[str, int] = field(default_factory=dict)

    def code(self, key: tuple[str, int, int]) -> str:
        """The variable of a tag variable's element/component code, counted once more."""
        tagged, element, component = key
        var = self.codes.setdefault(key, f"k{tagged[1:]}_{element}_{component}")
        self.code_reads[var] = self.code_reads.get(var, 0) + 1
        return var


def _steps(rules: Sequence[Rule], default_scope: tuple[str, ...]) -> tuple[tuple[Any, ...], ...]:
    steps: list[tuple[Any, ...]] = []
    for rule in rules:
        if rule.const is not None:
            steps.append((_CONST, rule))
        elif rule.segment is not None and rule.element is not None:
            if _general(rule):
                steps.append((_GENERAL, rule, default_scope))
                continue
            steps.append(
                (
                    _SEGMENT,
                    rule,
                    tuple(rule.scope or default_scope),
                    rule.segment,
                    rule.where,
                    rule.element,
                    rule.component,
                    rule.repetition,
                    rule.occurrence - 1,
                )
            )
    return tuple(steps)


Section = Callable[
    ["RuleReader", "Scopes", dict[str, Any], str, "int | None", "SegmentLike | None"], None
]
_SECTIONS: dict[tuple[int, tuple[str, ...], bool], tuple[object, Any]] = {}
_FIELDS: dict[tuple[int, tuple[str, ...], bool], tuple[object, Any]] = {}
MAX_COMPILED = 4096  # maps reloaded many times: start over rather than grow without end


def _cached(
    cache: dict[tuple[int, tuple[str, ...], bool], tuple[object, Any]],
    rules: object,
    default_scope: Sequence[str],
    elements: bool,
    source: Callable[[Any, tuple[str, ...], bool], tuple[str, dict[str, Any]]],
) -> Any:
    """The function built from ``source(rules, ...)``, once per rules object, default
    scope and element mode (the rules are held by the cache, so their id is not reused
    while cached)."""
    key = (id(rules), tuple(default_scope), elements)
    cached = cache.get(key)
    if cached is not None and cached[0] is rules:
        return cached[1]
    built = _build(*source(rules, tuple(default_scope), elements))
    if len(cache) >= MAX_COMPILED:
        cache.clear()
    cache[key] = (rules, built)
    return built


def compile_section(
    fields: Mapping[str, Sequence[Rule]], default_scope: Sequence[str], *, elements: bool = False
) -> Section:
    """A map section as one function ``(reader, scopes, target, prefix, index, anchor)``
    that resolves every field into ``target`` (dotted paths become nested dicts), as
    :meth:`RuleReader.value` would field by field; built once per section and default
    scope."""
    section: Section = _cached(_SECTIONS, fields, default_scope, elements, section_source)
    return section


def field_reader(
    rules: Sequence[Rule], default_scope: Sequence[str], *, elements: bool = False
) -> FieldReader:
    """One field's rules as a function ``(reader, scopes, path, index, anchor)`` giving
    its value (None when there is none); cached like :func:`compile_section`."""
    reader: FieldReader = _cached(_FIELDS, rules, default_scope, elements, value_source)
    return reader


def _build(source: str, names: dict[str, Any]) -> Any:
    """The function ``compiled`` defined by generated source."""
    namespace: dict[str, Any] = {
        "NOTHING": NOTHING,
        "BadValue": convert.BadValue,
        "missing": missing_value,
        "to_date": convert.to_date,
        "to_edifact_date": convert.to_edifact_date,
        "to_x12_date": convert.to_x12_date,
        "to_decimal": convert.to_decimal,
        "to_implied": convert.to_implied,
        "to_int": convert.to_int,
        "to_uom": convert.to_uom,
        **names,
    }
    # The source is generated here from a map's validated rules: tags match
    # [A-Z][A-Z0-9]{1,2}, positions are ints, names, codes and formats are repr()
    # literals, and rules and tables are objects passed in the namespace.
    exec(compile(source, "<compiled map rules>", "exec"), namespace)  # noqa: S102
    return namespace["compiled"]


def section_source(
    fields: Mapping[str, Sequence[Rule]], default_scope: tuple[str, ...], elements: bool = False
) -> tuple[str, dict[str, Any]]:
    """The Python source of a compiled section and the objects it names.

    Each field is a ``while True`` block: its rules in order, each in its scopes in
    order (unrolled), ``break`` on the first value; then sequence and default rules,
    then the error of a required field, else no value. A scope's segments by tag are
    looked up once per call (``x<n>``, cached per segment list by the reader), and each
    tag a rule reads in a scope once per call (``t<n>_<TAG>``); a field that only reads
    segments (no constant, sequence, default or required error) is skipped outright
    when none of its tags is there (a line without DTM skips every date field).
    """
    names: dict[str, Any] = {}
    body: list[str] = []
    scope_vars: dict[str, int] = {}
    variables = _Variables()
    for k, (name, rules) in enumerate(fields.items()):
        body += [f"    # {name!r}"]
        lines, guard = _field_lines(
            k,
            rules,
            default_scope,
            f"prefix + {name!r}",
            scope_vars,
            names,
            elements,
            variables,
        )
        # as ``v != []`` (no empty list is stored), without comparing a Decimal with a
        # list: that comparison walks the numbers ABCs (~1 us a quantity or price)
        lines += ["    if v is not None and (not isinstance(v, list) or v):", *_store_lines(name)]
        if guard:
            body += [f"    if {' or '.join(guard)}:", *_indented(lines)]
        else:
            body += lines
    head = [
        "def compiled(r, scopes, target, prefix, index, anchor):",
        *_scope_lines(scope_vars, variables, elements),
    ]
    return "\n".join([*head, *body, "    return None", ""]), names


def value_source(
    rules: Sequence[Rule], default_scope: tuple[str, ...], elements: bool = False
) -> tuple[str, dict[str, Any]]:
    """The Python source of one field's reader (:func:`field_reader`)."""
    names: dict[str, Any] = {}
    scope_vars: dict[str, int] = {}
    variables = _Variables()
    body, guard = _field_lines(
        0, rules, default_scope, "path", scope_vars, names, elements, variables
    )
    if guard:
        body = ["    v = None", f"    if {' or '.join(guard)}:", *_indented(body)]
    head = [
        "def compiled(r, scopes, path, index, anchor):",
        *_scope_lines(scope_vars, variables, elements),
    ]
    return "\n".join([*head, *body, "    return v", ""]), names


def _indented(lines: Sequence[str]) -> list[str]:
    return ["    " + line for line in lines]


def _scope_lines(
    scope_vars: Mapping[str, int],
    variables: _Variables,
    elements: bool,
) -> list[str]:
    """Each scope's segments (``s<n>``), their index by tag (``x<n>``), the segments
    of each tag read there (``t<n>_<TAG>``, None when the scope is absent) and, for a
    tag with one segment, the ``where`` codes rules test it by (``k<n>_<TAG>_<e>_<c>``,
    None until the first rule reads it, then stripped and upper-cased: read once, not
    once per rule; a line's fourteen dates all test the same DTM01)."""
    lines = ["    explain = r.explain", "    by_tag = r.by_tag"]
    for scope_name, n in scope_vars.items():
        lines += [
            f"    s{n} = scopes.get({scope_name!r})",
            f"    if s{n} is None:",
            f"        x{n} = None",
            "    else:",
            f"        c = by_tag.get(id(s{n}))",
            f"        x{n} = c[1] if c is not None and c[0] is s{n} else r.tagged(s{n})",
        ]
    for (n, tag), var in variables.tags.items():
        lines.append(f"    {var} = x{n}.get({tag!r}) if x{n} is not None else None")
    for (tagged, element, component), var in variables.codes.items():
        lines.append(f"    {var} = None")
        if variables.code_reads[var] > 1:  # read up front: at least two rules test it
            lines += [
                f"    if {tagged} is not None and len({tagged}) == 1:",
                *_read_lines("        ", "code", f"{tagged}[0]", element, component, 1, elements),
                f"        {var} = code.strip().upper()",
            ]
    return lines


def _field_lines(
    k: int,
    rules: Sequence[Rule],
    default_scope: tuple[str, ...],
    path: str,
    scope_vars: dict[str, int],
    names: dict[str, Any],
    elements: bool,
    variables: _Variables,
) -> tuple[list[str], list[str] | None]:
    """One field as a ``while True`` block leaving its value (or None) in ``v``, and the
    tag variables it reads when it reads nothing else (the block then yields None
    unless one of them holds segments), else None."""
    names[f"RULES{k}"] = rules
    names[f"DS{k}"] = default_scope
    body = ["    while True:"]
    guard: list[str] | None = []
    for j, step in enumerate(_steps(rules, default_scope)):
        rule_name = f"R{k}_{j}"
        names[rule_name] = step[1]
        if step[0] == _CONST:
            guard = None
            body += [
                f"        v = r.convert_text({path}, {rule_name}, {rule_name}.const, None)",
                f"        r.trace({path}, None, {rule_name}, {rule_name}.const)",
                "        break",
            ]
        elif step[0] == _GENERAL:
            guard = None
            body += [
                f"        v = r.read_rule({path}, {rule_name}, scopes, DS{k})",
                "        if v is not NOTHING:",
                "            break",
            ]
        else:
            for scope_name in step[2]:
                n = scope_vars.setdefault(scope_name, len(scope_vars))
                var = variables.tags.setdefault((n, step[3]), f"t{n}_{step[3]}")
                if guard is not None and var not in guard:
                    guard.append(var)
                body += _segment_lines(step, n, f"{k}_{j}", path, names, elements, var, variables)
    tail = _tail_lines(k, rules, path, names)
    if tail:
        guard = None
    body += tail
    return [*body, "        v = None", "        break"], guard


def _segment_lines(
    step: tuple[Any, ...],
    n: int,
    suffix: str,
    path: str,
    names: dict[str, Any],
    elements: bool,
    tagged: str,
    variables: _Variables,
) -> list[str]:
    """One segment rule in one scope (``s<n>``, its segments of the tag ``tagged``):
    the value in ``v`` and ``break``, or fall through to the next scope or rule. A
    one-condition ``where`` tests the code read once per call (:class:`_Variables`)."""
    code = None
    where = step[4]
    if len(where) == 1:
        w_element, w_component = where_key(next(iter(where)))
        code = variables.code((tagged, w_element, w_component))
    return [
        f"        f = {tagged}",
        "        if f:",
        *(line[4:] for line in _rule_lines(step, n, suffix, path, names, elements, code)),
    ]


def _rule_lines(
    step: tuple[Any, ...],
    n: int,
    suffix: str,
    path: str,
    names: dict[str, Any],
    elements: bool,
    code: str | None,
) -> list[str]:
    """The body of :func:`_segment_lines` (indented for two levels more than it sits);
    ``code`` names the variable holding a one-condition ``where``'s code of the tag's
    only segment (:func:`_scope_lines`), read here by the first rule that tests it; None
    for no or several conditions."""
    _, rule, _scopes, tag, where, element, component, repetition, nth = step
    lines: list[str] = []
    if code is not None:
        # one segment of the tag (the usual case in a loop group): test its code
        ((key, codes),) = where.items()
        w_element, w_component = where_key(key)
        names[f"CODES{suffix}"] = frozenset(codes)
        names[f"W{suffix}"] = where
        lines += [
            "                if len(f) == 1:",
            f"                    if {code} is None:",
            *_read_lines(
                "                        ", "code", "f[0]", w_element, w_component, 1, elements
            ),
            f"                        {code} = code.strip().upper()",
            f"                    if {code} not in CODES{suffix}:",
            "                        f = ()",
            "                else:",
            f"                    f = r.matching(s{n}, {tag!r}, W{suffix})",
        ]
    elif where:
        names[f"W{suffix}"] = where
        lines.append(f"                f = r.matching(s{n}, {tag!r}, W{suffix})")
    if rule.to_element is not None or rule.refuse is not None:
        # several elements of a segment (GIN+BX's five batch numbers), or a rule that
        # refuses what it finds: the reader reads them from the segments found here
        return [
            *lines,
            f"                vs = r.element_values({path}, R{suffix}, f)",
            "                if vs:",
            f"                    v = vs{'' if rule.all else '[0]'}",
            "                    break",
        ]
    if rule.all:
        # every matching segment of this scope; the first scope with values wins
        return [
            *lines,
            "                collected = []",
            "                for seg in f:",
            *_read_lines(
                "                    ", "raw", "seg", element, component, repetition, elements
            ),
            "                    text = raw.strip()",
            "                    if not text:",
            "                        continue",
            *_convert_lines(rule, suffix, path, "                    ", elements),
            "                    if v is NOTHING:",
            "                        continue",
            "                    if explain:",
            f"                        r.trace({path}, seg, R{suffix}, raw)",
            "                    collected.append(v)",
            "                if collected:",
            "                    v = collected",
            "                    break",
        ]
    return [
        *lines,
        f"                if len(f) > {nth:d}:",
        f"                    seg = f[{nth:d}]",
        *_read_lines(
            "                    ", "raw", "seg", element, component, repetition, elements
        ),
        "                    text = raw.strip()",
        "                    if text:",
        *_convert_lines(rule, suffix, path, "                        ", elements),
        *(
            [  # a number times another element of the segment (CLD01 x CLD02)
                "                        if v is not NOTHING:",
                f"                            v = r.multiplied({path}, R{suffix}, seg, raw, v)",
            ]
            if rule.times is not None
            else []
        ),
        "                        if v is not NOTHING:",
        "                            if explain:",
        f"                                r.trace({path}, seg, R{suffix}, raw)",
        *(
            [  # another matching segment must not give another value
                "                            if len(f) > 1:",
                f"                                r.one_value({path}, R{suffix}, f, seg, raw, v)",
            ]
            if rule.unique
            else []
        ),
        "                            break",
    ]


def _read_lines(
    indent: str,
    target: str,
    segment: str,
    element: int,
    component: int,
    repetition: int,
    elements: bool,
) -> list[str]:
    """``target = segment.value(element, component, repetition)``; with ``elements``
    (EDIFACT maps) read from the segment's nested element tuples directly, ``""`` where
    a position is absent, ``value`` only for a segment without tuples - the same answer
    (``gateway.edi.segment.ElementAccess.value``) without its three calls.
    Without ``elements`` (X12 maps), a first component of a first repetition is read
    from the view's ``plain`` parts (:class:`gateway.mapping.view.X12View`) when it
    has them: the same answer as ``value`` without the call."""
    if min(element, component, repetition) < 1:  # ('where: {0: ..}')
        return [f"{indent}{target} = {segment}.value({element:d}, {component:d}, {repetition:d})"]
    if not elements:
        if component != 1 or repetition != 1:
            return [
                f"{indent}{target} = {segment}.value({element:d}, {component:d}, {repetition:d})"
            ]
        return [
            f"{indent}try:",
            f"{indent}    p = {segment}.plain",
            f"{indent}except AttributeError:",
            f"{indent}    p = None",
            f"{indent}if p is None:",
            f"{indent}    {target} = {segment}.value({element:d}, 1, 1)",
            f"{indent}else:",
            f'{indent}    {target} = p[{element:d}] if len(p) > {element:d} else ""',
        ]
    # an absent element or repetition is rare; an absent trailing component is not
    # (QTY+12:5 has no unit): checked, so it raises no IndexError
    last = f'comps[{component - 1:d}] if len(comps) > {component - 1:d} else ""'
    return [
        f"{indent}try:",
        f"{indent}    comps = {segment}.elements[{element - 1:d}][{repetition - 1:d}]",
        f"{indent}except IndexError:",
        f'{indent}    {target} = ""',
        f"{indent}except AttributeError:",
        f"{indent}    comps = None",
        f"{indent}    {target} = {segment}.value({element:d}, {component:d}, {repetition:d})",
        f"{indent}else:",
        f"{indent}    {target} = {last}",
    ]


def _convert_lines(rule: Rule, suffix: str, path: str, indent: str, elements: bool) -> list[str]:
    """``v`` = the converted ``text`` (``raw`` stripped) of ``seg``, or NOTHING after a
    warning for a bad value (or the error a required value raises). With ``elements``,
    ``comps`` holds the components ``raw`` was read from (None if read by ``value``)."""
    kind = rule.convert
    if rule.table is not None:
        return [f"{indent}v = r.convert_text({path}, R{suffix}, raw, seg)"]
    if kind is None or kind == "text":
        return [f"{indent}v = text"]
    if kind == "upper":
        return [f"{indent}v = text.upper()"]
    if kind == "date":
        expression = f"to_date(text, {rule.format!r})"
    elif kind == "edifact_date":
        # the format qualifier (2379) is the next component unless the rule names one
        # (a segment rule always has its element: _steps)
        element = rule.element if rule.element is not None else 0
        component, repetition = rule.component, rule.repetition
        layout = f"seg.value({element:d}, {component + 1:d}, {repetition:d})"
        if rule.format is not None:
            layout = f"{rule.format!r}"
        elif elements and min(element, component, repetition) >= 1:
            # the next component of the components just read (see _read_lines)
            nxt = f'comps[{component:d}] if len(comps) > {component:d} else ""'
            layout = f"({layout} if comps is None else {nxt})"
        expression = f'to_edifact_date(text, {layout} or "")'
    elif kind == "x12_date":
        # the 1250 format qualifier is the element before (DTM05 for DTM06)
        element = rule.element if rule.element is not None else 0
        layout = f"seg.value({element - 1:d}, 1, 1)" if element > 1 else '""'
        if rule.format is not None:
            layout = f"{rule.format!r}"
        expression = f'to_x12_date(text, {layout} or "")'
    elif kind == "decimal":
        expression = "to_decimal(text)"
    elif kind.startswith("implied"):
        expression = f"to_implied(text, {int(kind[-1]):d})"
    elif kind == "int":
        expression = "to_int(text)"
    elif kind == "uom":
        expression = "to_uom(text, *r.unit_tables)"
    else:  # pragma: no cover - the schema's Convert lists every kind
        raise MappingError(f"unknown conversion {kind!r}")
    return [
        f"{indent}try:",
        f"{indent}    v = {expression}",
        f"{indent}except BadValue as exc:",
        f"{indent}    v = r.refuse({path}, R{suffix}, seg, exc)",
    ]


def _tail_lines(k: int, rules: Sequence[Rule], path: str, names: dict[str, Any]) -> list[str]:
    """Sequence and default rules in order, then a required field's error."""
    lines: list[str] = []
    for j, rule in enumerate(rules):
        rule_name = f"T{k}_{j}"
        names[rule_name] = rule
        if rule.sequence:
            lines += [
                "        if index is not None:",
                "            v = str(index)",
                f"            r.trace({path}, None, {rule_name}, v)",
                "            break",
            ]
        if rule.default is not None:
            lines += [
                f"        r.trace({path}, None, {rule_name}, {rule_name}.default)",
                f"        v = r.convert_text({path}, {rule_name}, {rule_name}.default, None)",
                "        break",
            ]
    if any(rule.required for rule in rules):
        lines.append(f"        raise missing({path}, RULES{k}, anchor)")
    return lines


def _store_lines(name: str) -> list[str]:
    """``target[a][b][c] = v`` for ``a.b.c``, creating the intermediate dicts."""
    *parents, last = name.split(".")
    if not parents:
        return [f"        target[{last!r}] = v"]
    lines = ["        node = target"]
    for part in parents:
        lines += [
            f"        child = node.get({part!r})",
            "        if not isinstance(child, dict):",
            f"            child = node[{part!r}] = {{}}",
            "        node = child",
        ]
    return [*lines, f"        node[{last!r}] = v"]


def missing_value(path: str, rules: Sequence[Rule], anchor: SegmentLike | None) -> DocumentError:
    """The error for a required field none of whose rules found a value."""
    first = rules[0]
    names_text = " or ".join(describe(rule) for rule in rules if rule.segment)
    return DocumentError(
        f"mandatory value missing: no {names_text or 'value'} found",
        field=path,
        segment_tag=anchor.tag if anchor is not None else first.segment,
        segment_position=anchor.position if anchor is not None else None,
        code="1",
    )


def describe(rule: Rule) -> str:
    """A rule as named in a 'mandatory value missing' error: ``SEG01 where 1=A/B``."""
    cond = ",".join(f"{k}={'/'.join(v)}" for k, v in rule.where.items())
    return f"{rule.segment}{rule.element:02d}" + (f" where {cond}" if cond else "")

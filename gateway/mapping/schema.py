"""The map file model: what a declarative map may say, validated with ``extra="forbid"``.

A map names, for one syntax/version/transaction set, where each canonical field comes
from. Building blocks:

* a **rule** picks one value: ``{segment: REF, where: {1: LT}, element: 2}``; written
  short as ``REF02`` or ``NAD02.1`` (element 2, component 1). A field may list several
  rules: the first that yields a value wins.
* a **matcher** picks segments: a tag (``PO1``) or ``{segment: HL, where: {3: [O, I]}}``.
* a **loop** cuts a scope into groups that begin with its ``start`` segment and run
  while the tags are ``members`` (or until the next start or an ``end`` matcher);
  with ``within`` it cuts only inside the groups of another loop (QTY-DTM pairs of SCC);
  with ``context`` each group may read the group of another loop that encloses it
  (the CLD load detail around a REF*LT lot).
* an **ids** rule reads every qualifier/identifier pair of a segment (PO1, LIN, PIA,
  N1, NAD) and files each identifier under the canonical field its qualifier names.

``where`` keys are element positions (``"1"``) or element.component (``"1.1"``); values
are a code or a list of codes. Positions are 1-based, as in the standards.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.documents import DocumentName

Convert = Literal[
    "text",
    "upper",
    "date",
    "edifact_date",
    "x12_date",
    "decimal",
    "implied2",
    "implied3",
    "implied4",
    "int",
    "uom",
]

# Where a rule may look: the transaction's regions, the loop group it is evaluated in,
# and for ship notices the item's pack, order and shipment levels.
# ``context``: the group of a loop's ``context:`` loop that holds the group (a CLD load
# detail around a REF*LT lot).
ScopeName = Literal[
    "header",
    "summary",
    "body",
    "all",
    "group",
    "line",
    "item",
    "pack",
    "order",
    "shipment",
    "context",
]
RegionName = Literal["header", "summary", "body", "all"]


def _body() -> list[RegionName]:
    return ["body"]


def _header() -> list[RegionName]:
    return ["header"]


_NUMERIC = frozenset({"decimal", "int", "implied2", "implied3", "implied4"})
_SHORT = re.compile(r"^([A-Z][A-Z0-9]{1,2})(\d{2})(?:\.(\d{1,2}))?$")
_WHERE_KEY = re.compile(r"^\d{1,2}(?:\.\d{1,2})?$")


class MapModel(BaseModel):
    """Base for map models: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _where(value: dict[Any, Any]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, codes in value.items():
        key_s = str(key)
        if not _WHERE_KEY.match(key_s):
            raise ValueError(f"where key {key_s!r} must be an element position like 1 or 2.1")
        items = codes if isinstance(codes, list) else [codes]
        out[key_s] = tuple("" if c is None else str(c).upper() for c in items)
    return out


class Matcher(MapModel):
    """Selects segments by tag and optional element conditions."""

    segment: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,2}$")
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"segment": data}
        return data

    @field_validator("where", mode="before")
    @classmethod
    def _where(cls, value: Any) -> Any:
        return _where(value) if isinstance(value, dict) else value


class Rule(MapModel):
    """Where one value comes from, and how it is converted."""

    segment: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9]{1,2}$")
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    element: int | None = Field(default=None, ge=1, le=99)
    component: int = Field(default=1, ge=1, le=99)
    # read components component..to_component and join the non-empty ones with a space
    # (EDIFACT C080 party name lines 3036 x5: "Müller GmbH" + "& Co. KG")
    to_component: int | None = Field(default=None, ge=1, le=99)
    repetition: int = Field(default=1, ge=1, le=99)
    occurrence: int = Field(default=1, ge=1, le=99)  # n-th matching segment in the scope
    const: str | None = None  # a fixed value (no segment)
    table: str | None = None  # name of a code table in ``tables``
    convert: Convert | None = None
    format: str | None = None  # date layout for ``date``: CCYYMMDD, YYMMDD, ...
    default: str | None = None  # used when nothing (or an unknown code) is found
    required: bool = False
    all: bool = False  # collect every match into a list (serial numbers)
    scope: list[ScopeName] | None = None  # where to look (default: the section's own)
    on_bad: Literal["error", "warn"] | None = None  # bad value: default error if required
    sequence: bool = False  # when absent, use the 1-based index of the loop group
    # multiply the number read by the number in this element of the same segment
    # (X12 CLD: CLD01 loads x CLD02 units per load); a factor that is not a number is
    # a bad value like the number itself
    times: int | None = Field(default=None, ge=1, le=99)
    # the scope must give this rule one value: another matching segment with another
    # value refuses the transaction (two expiry dates after one lot: which is meant?)
    unique: bool = False
    # read every element from ``element`` to this one (the rule's component of each):
    # with ``all`` each non-empty one is a value, without it the first (EDIFACT GIN
    # C208 identity numbers 2..6: several batch numbers in one segment)
    to_element: int | None = Field(default=None, ge=1, le=99)
    # a value found here refuses the transaction with this reason, naming the segment,
    # element and what it holds: the rule never gives the field a value (a C208 range
    # end: a batch number range cannot be received lot by lot)
    refuse: str | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        if isinstance(data, str):
            match = _SHORT.match(data.strip())
            if not match:
                raise ValueError(
                    f"{data!r} is not a rule; write SEGNN or SEGNN.C (e.g. BEG03, NAD02.1) "
                    "or a mapping with segment/element"
                )
            rule: dict[str, Any] = {"segment": match[1], "element": int(match[2])}
            if match[3]:
                rule["component"] = int(match[3])
            return rule
        return data

    @field_validator("where", mode="before")
    @classmethod
    def _where(cls, value: Any) -> Any:
        return _where(value) if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _source(self) -> Rule:
        if (
            self.const is None
            and not self.sequence
            and (self.segment is None or self.element is None)
        ) and self.default is None:
            raise ValueError("a rule needs segment and element, const, or sequence")
        if self.times is not None and self.convert not in _NUMERIC:
            raise ValueError("times: needs a number: convert decimal, int or implied2/3/4")
        if self.times is not None and self.all:
            # one quantity per lot or line; the compiled code multiplies single values only
            raise ValueError("times: reads one number; it cannot go with all")
        if self.unique and (self.all or self.occurrence != 1):
            raise ValueError("unique: reads one value; it cannot go with all or occurrence")
        if self.to_element is not None:
            if self.element is None or self.to_element < self.element:
                raise ValueError("to_element: must not be before element")
            if self.unique or self.times is not None or self.to_component is not None:
                raise ValueError("to_element: cannot go with unique, times or to_component")
        if self.refuse is not None and (
            self.required or self.default is not None or self.const is not None or self.sequence
        ):
            raise ValueError(
                "refuse: gives no value; it cannot go with required, default, const or sequence"
            )
        if self.refuse is not None and (self.segment is None or self.element is None):
            raise ValueError("refuse: needs segment and element")
        return self


def _rules(value: Any) -> Any:
    """A field is one rule or a list of alternatives; always a list internally."""
    if isinstance(value, list):
        return value
    return [value]


class FieldMap(MapModel):
    """Wrapper so a field accepts one rule or a list of alternatives."""

    rules: list[Rule]


Fields = dict[str, list[Rule]]


def _fields(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {key: _rules(rule) for key, rule in value.items()}


def _loop_lists(value: Any) -> Any:
    """``lists:`` names one sub-loop or a list of alternatives; always a list internally."""
    if not isinstance(value, dict):
        return value
    return {key: loop if isinstance(loop, list) else [loop] for key, loop in value.items()}


class IdsRule(MapModel):
    """Every qualifier/identifier pair of matching segments, filed by qualifier.

    ``layout: pairs`` reads X12 element pairs: qualifier at ``first``, ``first + 2`` ...
    up to ``last``, each identifier in the element after its qualifier (PO1 06/07 ...).
    ``layout: composites`` reads EDIFACT composites ``first`` .. ``last``, identifier in
    component ``id_component`` and qualifier in ``qualifier_component`` (PIA, LIN C212).
    ``qualifiers`` names a table (or gives one inline) from qualifier to canonical field;
    a qualifier not in it goes to ``other`` (``item.other``) under its own code.
    """

    segment: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,2}$")
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    layout: Literal["pairs", "composites"] = "pairs"
    first: int = Field(ge=1, le=99)
    last: int = Field(ge=1, le=99)
    id_component: int = Field(default=1, ge=1)
    qualifier_component: int = Field(default=2, ge=1)
    qualifiers: str | dict[str, str]
    other: str | None = None
    occurrences: Literal["first", "all"] = "all"

    @field_validator("where", mode="before")
    @classmethod
    def _where(cls, value: Any) -> Any:
        return _where(value) if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _range(self) -> IdsRule:
        if self.last < self.first:
            raise ValueError("last must not be before first")
        return self


class Loop(MapModel):
    """A repeated group of segments (PO1 loop, LIN group, N1 loop, SAC, ALC group ...)."""

    start: Matcher
    members: list[str] | None = None  # tags that belong to the group after its start
    end: list[Matcher] = Field(default_factory=list)  # matchers that close the group
    scope: list[RegionName] = Field(default_factory=_body)
    fields: Fields = Field(default_factory=dict)
    ids: list[IdsRule] = Field(default_factory=list)
    # a group lacking one of these fields is left out with a warning (e.g. an ALC that
    # gives only a percentage: the canonical allowance needs an amount)
    skip_without: list[str] = Field(default_factory=list)
    allowances_charges: Loop | None = None  # line-level allowances and charges
    taxes: Loop | None = None  # line-level taxes
    # lists inside each group of this loop, by canonical field name: every ACK of an 855
    # line (splits), every SCH of an 850 line (schedules), every PCI batch of a DESADV
    # LIN (lots); each sub-loop is cut from its parent group only. A list of sub-loops
    # gives alternatives: the first that yields an item wins (like a field's rules)
    lists: dict[str, list[Loop]] = Field(default_factory=dict)
    # cut this loop's groups only from inside the groups of ``within``: the QTY-DTM pairs
    # of EDIFACT SCC groups (SCC-FTX-RFF-SG(QTY-DTM)), not the line's own QTY and DTM
    within: Loop | None = None
    # another loop cut from the same segments whose group holding a group's start is
    # that group's rule scope ``context``, when it holds no other group of this loop:
    # a REF*LT lot's quantity is that of the CLD load detail it is in, unless the CLD
    # names several lots (which lot got how many is then not known)
    context: Loop | None = None

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, value: Any) -> Any:
        return _fields(value)

    @field_validator("lists", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _loop_lists(value)


class Parties(Loop):
    """Party groups (N1 loop, NAD group): ``roles`` maps the role code to a canonical party."""

    role: list[Rule]
    roles: dict[str, str]
    scope: list[RegionName] = Field(default_factory=_header)

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Any:
        return _rules(value)


class Hierarchy(MapModel):
    """An X12 HL hierarchy: which HL03 codes are shipment, order, pack and item levels."""

    segment: str = "HL"
    id_element: int = 1
    parent_element: int = 2
    level_element: int = 3
    levels: dict[Literal["shipment", "order", "pack", "item"], list[str]]
    end: list[Matcher] = Field(default_factory=lambda: [Matcher(segment="CTT")])


DocumentKind = DocumentName  # the registry's names (gateway.documents)


class Map(MapModel):
    """One map: a syntax/version/transaction set to one canonical document type."""

    name: str = ""  # set by the library: "x12/004010/850", "overrides/acme/856"
    description: str = ""
    extends: str | None = None
    document: DocumentKind
    syntax: Literal["x12", "edifact"]
    version: str = Field(min_length=4, max_length=12)
    set_id: str = Field(alias="set", min_length=3, max_length=6)
    strict: bool = False  # every bad value is an error, even in optional fields
    tables: dict[str, dict[str, str]] = Field(default_factory=dict)
    header_until: list[Matcher] = Field(default_factory=list)
    summary_from: list[Matcher] = Field(default_factory=list)
    header: Fields = Field(default_factory=dict)
    summary: Fields = Field(default_factory=dict)
    parties: Parties | None = None
    lines: Loop | None = None  # order/ack/invoice lines; ship notice items (EDIFACT)
    packs: Loop | None = None  # DESADV CPS groups
    hierarchy: Hierarchy | None = None  # X12 856 HL levels
    items: Loop | None = None  # X12 856 item-level fields (scopes item/pack/order/...)
    order: Fields = Field(default_factory=dict)  # ship notice: the order's po_number
    allowances_charges: Loop | None = None
    taxes: Loop | None = None
    # document-level lists by canonical field name (payment_terms: every ITD / PAT group)
    lists: dict[str, list[Loop]] = Field(default_factory=dict)

    @field_validator("header", "summary", "order", mode="before")
    @classmethod
    def _fields(cls, value: Any) -> Any:
        return _fields(value)

    @field_validator("lists", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _loop_lists(value)

    @field_validator("tables", mode="before")
    @classmethod
    def _tables(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {
            str(name): (
                {str(k): str(v) for k, v in table.items()} if isinstance(table, dict) else table
            )
            for name, table in value.items()
        }

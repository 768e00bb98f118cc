"""The map library: every map file of the map directories, loaded, layered and checked.

Maps are named by their path below a map directory without the extension
(``x12/004010/850``, ``edifact/D96A/DESADV``, ``overrides/acme/856``). A later
directory's file replaces an earlier one of the same name. ``extends:`` names a base
map whose keys the file's own keys override (mappings merge key by key; lists and
values replace), so a partner override or a 5010 map says only what differs.

Every map is checked at load: the pydantic schema (unknown keys refused), the
segments it names against its transaction set (:mod:`gateway.mapping.segments`), the
canonical fields it writes against the canonical models, and the tables it names.
Errors carry file, line, field and reason.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from gateway import canonical
from gateway.documents import SET_TO_DOCUMENT, document_type
from gateway.mapping.errors import MapLoadError, MappingError, UnsupportedDocument
from gateway.mapping.schema import Hierarchy, IdsRule, Loop, Map, Matcher, Parties, Rule
from gateway.mapping.segments import element_problem, known_segments
from gateway.partners.loader import YamlDocument, YamlReadError, describe_validation, line_of
from gateway.partners.loader import read_yaml as _read_yaml
from gateway.partners.profile import PartnerProfile

MAX_EXTENDS_DEPTH = 8


def normalize_version(syntax: str, version: str) -> str:
    """``004010VICS`` -> ``004010``; ``D:96A`` / ``d96a`` -> ``D96A``."""
    text = version.strip().upper()
    if syntax == "x12":
        return text[:6]
    return text.replace(":", "")


class MapLibrary:
    """All maps by name, with the errors of the files that did not load."""

    def __init__(self, maps: dict[str, Map], errors: list[MapLoadError], dirs: Sequence[Path]):
        self.maps = maps
        self.errors = errors
        self.dirs = list(dirs)
        # maps whose file does not load, by name -> reason (see gateway.partner_config)
        self.broken: dict[str, str] = {}

    @classmethod
    def load(cls, dirs: Sequence[Path], *, collect: bool = False) -> MapLibrary:
        """Load every ``*.yaml`` map below ``dirs`` (later directories override by name).

        Raises the first :class:`MapLoadError` unless ``collect`` is set, in which case
        the maps that loaded are kept and the errors are in ``.errors``.
        """
        docs: dict[str, YamlDocument] = {}
        errors: list[MapLoadError] = []
        for directory in dirs:
            if not directory.is_dir():
                continue
            for path in sorted([*directory.rglob("*.yaml"), *directory.rglob("*.yml")]):
                name = path.relative_to(directory).with_suffix("").as_posix()
                if name.startswith("outbound/"):
                    continue  # outbound maps: gateway.outbound.template loads them
                try:
                    doc = _read_yaml(path, codes=True)
                except YamlReadError as exc:
                    errors.append(MapLoadError(path, exc.line, "", exc.reason))
                    continue
                if not isinstance(doc.data, dict):
                    errors.append(MapLoadError(path, 1, "", "a map must be a YAML mapping"))
                    continue
                docs[name] = doc
        maps: dict[str, Map] = {}
        for name in sorted(docs):
            try:
                maps[name] = _build(name, docs)
            except MapLoadError as exc:
                for one in exc.every():
                    if one not in errors:  # a broken base map is reported once, not per child
                        errors.append(one)
        if errors and not collect:
            raise errors[0]
        return cls(maps, errors, dirs)

    def get(self, name: str) -> Map:
        """A map by name; raises ``KeyError``."""
        return self.maps[_strip(name)]

    def map_for(self, profile: PartnerProfile, syntax: str, version: str, set_id: str) -> Map:
        """The map this partner's transaction goes through.

        The profile's ``maps`` entry for the set wins; otherwise the default
        ``<syntax>/<version>/<set>``. Raises :class:`UnsupportedDocument` when the
        partner is not set up for this syntax/version or no map exists, and
        :class:`MappingError` when the profile names a map for another set.
        """
        syntax = syntax.lower()
        norm = normalize_version(syntax, version)
        if syntax == "x12":
            if profile.x12 is None:
                raise UnsupportedDocument(f"partner {profile.id!r} is not set up for X12")
            if not profile.x12.accepts(set_id, norm):
                listed = ", ".join(profile.x12.versions_for(set_id))
                raise UnsupportedDocument(
                    f"partner {profile.id!r} is set up for X12 {listed} for {set_id}; "
                    f"this {set_id} is version {version}",
                )
        elif syntax == "edifact":
            if profile.edifact is None:
                raise UnsupportedDocument(f"partner {profile.id!r} is not set up for EDIFACT")
            if not profile.edifact.accepts(norm):
                listed = ", ".join(profile.edifact.directories or [profile.edifact.directory])
                raise UnsupportedDocument(
                    f"partner {profile.id!r} is set up for EDIFACT {listed}; "
                    f"this {set_id} is directory {version}",
                )
        else:
            raise UnsupportedDocument(f"unknown syntax {syntax!r}")
        name = _strip(self._override(profile, syntax, norm, set_id) or f"{syntax}/{norm}/{set_id}")
        found = self.maps.get(name)
        if found is None and name in self.broken:
            raise MappingError(f"map {name!r} does not load: {self.broken[name]}")
        if found is None:
            raise UnsupportedDocument(
                f"no map {name!r} for {syntax.upper()} {norm} {set_id} (partner {profile.id!r})",
                code="1",
            )
        if found.syntax != syntax or found.set_id != set_id or found.version != norm:
            raise MappingError(
                f"partner {profile.id!r} names map {name!r} for {set_id}, but that map is for "
                f"{found.syntax} {found.version} {found.set_id}"
            )
        return found

    def _override(self, profile: PartnerProfile, syntax: str, norm: str, set_id: str) -> str | None:
        """The profile's map for this set: ``maps["<version>/<set>"]`` first, then
        ``maps["<set>"]``; for a partner on several X12 releases, a set-only entry
        naming a map of another release leaves this release on its default map."""
        versioned = profile.maps.get(f"{norm}/{set_id}")
        if versioned is not None:
            return versioned
        plain = profile.maps.get(set_id)
        if plain is None or syntax != "x12" or profile.x12 is None:
            return plain
        if len(profile.x12.versions_for(set_id)) > 1:
            named = self.maps.get(_strip(plain))
            if named is not None and named.version != norm:
                return None
        return plain


def _strip(name: str) -> str:
    for suffix in (".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _chain(name: str, docs: dict[str, YamlDocument]) -> list[YamlDocument]:
    """The map and the maps it extends, most specific first."""
    chain = [docs[name]]
    seen = {name}
    while True:
        parent = chain[-1].data.get("extends")
        if parent is None:
            return chain
        doc = chain[-1]
        if not isinstance(parent, str):
            raise MapLoadError(
                doc.path,
                line_of(doc.root, ["extends"]),
                "extends",
                "must be a map name such as x12/004010/856",
            )
        parent = _strip(parent)
        if parent in seen or len(chain) > MAX_EXTENDS_DEPTH:
            raise MapLoadError(
                doc.path,
                line_of(doc.root, ["extends"]),
                "extends",
                f"extends {parent!r} makes a cycle",
            )
        if parent not in docs:
            raise MapLoadError(
                doc.path,
                line_of(doc.root, ["extends"]),
                "extends",
                f"no map named {parent!r} in the map directories",
            )
        seen.add(parent)
        chain.append(docs[parent])


def _build(name: str, docs: dict[str, YamlDocument]) -> Map:
    chain = _chain(name, docs)
    data: dict[str, Any] = {}
    for doc in reversed(chain):
        data = _merge(data, doc.data)
    data.pop("extends", None)
    data["extends"] = chain[0].data.get("extends")
    data["name"] = name
    roots = [(d.path, d.root) for d in chain]
    try:
        map_ = Map.model_validate(data)
    except ValidationError as exc:
        found = [MapLoadError(*item) for item in describe_validation(exc, roots)]
        found[0].more = found[1:]
        raise found[0] from exc
    problems: list[MapLoadError] = []
    for loc, reason in _problems(map_):
        file, line = roots[0][0], None
        for path, root in roots:
            if loc and root is not None and _defines(root, loc):
                file, line = path, line_of(root, loc)
                break
        if line is None:
            line = line_of(roots[0][1], loc)
        problems.append(MapLoadError(file, line, _loc_text(loc), reason))
    if problems:
        problems[0].more = problems[1:]
        raise problems[0]
    return map_


def _defines(root: Any, loc: tuple[str | int, ...]) -> bool:
    import yaml

    if not isinstance(root, yaml.MappingNode):
        return False
    return any(isinstance(k, yaml.ScalarNode) and k.value == str(loc[0]) for k, _ in root.value)


def _loc_text(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---- semantic checks ---------------------------------------------------------------

Loc = tuple[str | int, ...]


def _problems(map_: Map) -> Iterator[tuple[Loc, str]]:
    yield from _identity_problems(map_)
    registered = document_type(map_.document)
    yield from _field_problems(map_, registered.model)
    yield from _loop_problems(map_, registered.model, registered.line_model)
    yield from _rule_problems(map_)


def _identity_problems(map_: Map) -> Iterator[tuple[Loc, str]]:
    """Segments the set does not have; a default map whose path and set disagree; a set
    that becomes another document."""
    tags = known_segments(map_.syntax, map_.set_id, map_.version)
    if tags is not None:
        for loc, tag in _segments(map_, ()):
            if tag not in tags:
                yield loc, (f"segment {tag} does not occur in {map_.syntax.upper()} {map_.set_id}")
    parts = map_.name.split("/")
    if len(parts) == 3 and parts[0] in ("x12", "edifact"):
        # a default map's place names what it is for: x12/004010/850
        expected = (map_.syntax, map_.version, map_.set_id)
        if tuple(parts) != expected:
            yield (
                ("set",),
                (
                    f"map file {map_.name} declares {'/'.join(expected)}; its path and its "
                    "syntax/version/set must agree"
                ),
            )
    if SET_TO_DOCUMENT.get(map_.set_id, map_.document) != map_.document:
        yield ("document",), f"set {map_.set_id} becomes a {SET_TO_DOCUMENT[map_.set_id]}"


def _field_problems(map_: Map, doc_model: type[BaseModel]) -> Iterator[tuple[Loc, str]]:
    """Header, summary, order and party fields the document does not have."""
    for key in map_.header:
        if not _path_ok(doc_model, key):
            yield ("header", key), f"{map_.document} has no field {key!r}"
    for key in map_.summary:
        if not _path_ok(doc_model, key):
            yield ("summary", key), f"{map_.document} has no field {key!r}"
    for key in map_.order:
        if key != "po_number":
            yield ("order", key), "order: only po_number can be mapped here"
    if map_.document == "ship_notice" and map_.hierarchy is None and map_.lines is None:
        yield ("document",), "a ship notice map needs hierarchy: + items: or lines:"
    if map_.document == "ship_notice" and "po_number" not in map_.order:
        yield ("order",), "a ship notice map must map order.po_number"
    if map_.parties is not None:
        for role, target in map_.parties.roles.items():
            if not _path_ok(doc_model, target) or _model_at(doc_model, target) is not (
                canonical.Party
            ):
                yield ("parties", "roles", role), f"{map_.document} has no party {target!r}"
        yield from _loop_targets(map_, map_.parties, canonical.Party, ("parties",))


def _loop_problems(
    map_: Map, doc_model: type[BaseModel], line_model: type[BaseModel]
) -> Iterator[tuple[Loc, str]]:
    """Targets of the item/line loop, the lists and the document's allowances and taxes."""
    item_loop = map_.items if map_.hierarchy is not None else map_.lines
    if item_loop is not None:
        key = "items" if map_.hierarchy is not None else "lines"
        yield from _loop_targets(map_, item_loop, line_model, (key,))
        if item_loop.allowances_charges is not None:
            yield from _loop_targets(
                map_,
                item_loop.allowances_charges,
                canonical.AllowanceCharge,
                (key, "allowances_charges"),
            )
        if item_loop.taxes is not None:
            yield from _loop_targets(map_, item_loop.taxes, canonical.Tax, (key, "taxes"))
        yield from _list_targets(map_, item_loop, line_model, (key,))
    yield from _list_targets(map_, map_, doc_model, ())
    if map_.allowances_charges is not None:
        yield from _loop_targets(
            map_, map_.allowances_charges, canonical.AllowanceCharge, ("allowances_charges",)
        )
    if map_.taxes is not None:
        yield from _loop_targets(map_, map_.taxes, canonical.Tax, ("taxes",))


def _rule_problems(map_: Map) -> Iterator[tuple[Loc, str]]:
    """Rules naming an undefined table or an element the segment does not have."""
    for loc, rule in _rules(map_, ()):
        if rule.table is not None and rule.table not in map_.tables:
            yield (*loc, "table"), f"table {rule.table!r} is not defined under tables:"
        if rule.segment is not None and rule.element is not None:
            problem = element_problem(
                map_.syntax, map_.version, rule.segment, rule.element, rule.component
            )
            if problem is not None:
                yield (*loc, "element"), problem


def _list_targets(
    map_: Map, owner: Loop | Map, model: type[BaseModel], loc: Loc
) -> Iterator[tuple[Loc, str]]:
    """``lists:`` entries name a list-of-model field of ``model``; check each sub-loop
    (each alternative, when the entry lists several)."""
    for name, alternatives in owner.lists.items():
        info = model.model_fields.get(name)
        inner = typing.get_args(info.annotation) if info is not None else ()
        if info is None or typing.get_origin(info.annotation) is not list or not inner:
            yield (*loc, "lists", name), f"{model.__name__} has no list field {name!r}"
            continue
        for index, sub in enumerate(alternatives):
            at: Loc = (
                (*loc, "lists", name) if len(alternatives) == 1 else (*loc, "lists", name, index)
            )
            yield from _loop_targets(map_, sub, inner[0], at)
            yield from _list_targets(map_, sub, inner[0], at)


def _loop_targets(
    map_: Map, loop: Loop, model: type[BaseModel], loc: Loc
) -> Iterator[tuple[Loc, str]]:
    for key in loop.fields:
        if not _path_ok(model, key):
            yield (*loc, "fields", key), f"{model.__name__} has no field {key!r}"
    for index, key in enumerate(loop.skip_without):
        if not _path_ok(model, key):
            yield (*loc, "skip_without", index), f"{model.__name__} has no field {key!r}"
    for index, ids in enumerate(loop.ids):
        if isinstance(ids.qualifiers, str):
            table = map_.tables.get(ids.qualifiers)
            if table is None:
                yield (
                    (*loc, "ids", index, "qualifiers"),
                    (f"table {ids.qualifiers!r} is not defined under tables:"),
                )
                continue
        else:
            table = ids.qualifiers
        for qualifier, target in table.items():
            if not _path_ok(model, target):
                yield (
                    (*loc, "ids", index, "qualifiers"),
                    (f"qualifier {qualifier}: {model.__name__} has no field {target!r}"),
                )
        if ids.other is not None and not _path_ok(model, f"{ids.other}.X"):
            yield (*loc, "ids", index, "other"), f"{model.__name__} has no map field {ids.other!r}"


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    return annotation


def _model_at(model: type[BaseModel], path: str) -> Any:
    current: Any = model
    for part in path.split("."):
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part)
            if info is None:
                return None
            current = _unwrap(info.annotation)
        elif typing.get_origin(current) is dict:
            return str
        else:
            return None
    return current


def _path_ok(model: type[BaseModel], path: str) -> bool:
    return _model_at(model, path) is not None


def _rules(node: Any, loc: Loc) -> Iterator[tuple[Loc, Rule]]:
    if isinstance(node, Rule):
        yield loc, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _rules(getattr(node, name), (*loc, _yaml_key(type(node), name)))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _rules(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _rules(value, (*loc, index))


def _yaml_key(model: type[BaseModel], name: str) -> str:
    alias = model.model_fields[name].alias
    return alias or name


def _segments(node: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(node, Rule | Matcher | IdsRule | Hierarchy) and node.segment is not None:
        yield loc, node.segment
    if isinstance(node, Loop | Parties) and node.members is not None:
        for index, tag in enumerate(node.members):
            yield (*loc, "members", index), tag
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _segments(getattr(node, name), (*loc, _yaml_key(type(node), name)))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _segments(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _segments(value, (*loc, index))

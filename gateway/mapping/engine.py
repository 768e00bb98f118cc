"""The mapping engine: one EDI transaction + its map + the partner profile -> a document.

:func:`translate` is pure: no files, settings or database. Each canonical document
type has a small builder that knows the document's shape (lines, orders, parties), named
by the type's entry in :mod:`gateway.documents`;
*where* every value comes from is only in the map. The result is validated by the
canonical pydantic model; a mandatory field the partner left out is a
:class:`DocumentError`, a map that produces something the model cannot hold is a
:class:`MappingError`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from gateway.canonical import AnyDocument, SourceRef
from gateway.documents import SET_TO_DOCUMENT, document_type
from gateway.edi.model import EdiGroup, EdiInterchange, EdiTransaction, SegmentLike
from gateway.edifact.segment import forget_elements, split_elements
from gateway.mapping.compiled import Section
from gateway.mapping.errors import DocumentError, MappingError
from gateway.mapping.lots import settle_lots
from gateway.mapping.prices import per_unit_prices
from gateway.mapping.resolve import FieldTrace, RuleReader, Scopes, get_path
from gateway.mapping.schema import Loop, Map
from gateway.mapping.scope import (
    HlNode,
    Regions,
    Segments,
    hl_tree,
    loop_groups,
    regions,
    split_loop,
)
from gateway.mapping.view import split_view
from gateway.partners.profile import PartnerProfile

_NONE: Segments = ()  # an empty scope (one object: its tag index is built once)
MAX_SEGMENTS = 2_000_000  # a transaction larger than this is refused, not translated


@dataclass
class Translation:
    """A canonical document and, on request, where each of its fields came from."""

    document: AnyDocument
    explain: list[FieldTrace] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def translate(
    transaction: EdiTransaction,
    *,
    interchange: EdiInterchange,
    group: EdiGroup,
    map: Map,
    profile: PartnerProfile,
    explain: bool = False,
) -> Translation:
    """Translate one transaction into its canonical document.

    Raises :class:`DocumentError` for partner data that cannot become the document and
    :class:`MappingError` for a broken map (never a partner reject).
    """
    if transaction.set_id != map.set_id:
        raise MappingError(
            f"map {map.name or map.set_id} is for {map.set_id}, transaction is {transaction.set_id}"
        )
    if SET_TO_DOCUMENT.get(map.set_id, map.document) != map.document:
        raise MappingError(f"map {map.name}: set {map.set_id} cannot become a {map.document}")
    segments = transaction.segments
    if len(segments) > MAX_SEGMENTS:
        raise DocumentError(f"transaction has {len(segments)} segments; limit {MAX_SEGMENTS}")
    # EDIFACT segments are split here in one pass (the rules read nearly all of them)
    # and given back unsplit afterwards: the message is left as it was found
    split = split_elements(segments)
    try:
        segments = split_view(segments)  # split once here, read many times by the rules
        reader = RuleReader(map, unit_codes=profile.uom_codes, explain=explain)
        parts = regions(segments, map)
        try:
            builder = document_type(map.document).map_builder()
            data = builder(reader, parts)
        except (DocumentError, MappingError):
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise MappingError(f"map {map.name}: {type(exc).__name__}: {exc}") from exc
        data["source"] = _source(transaction, interchange, group, profile)
        document = _validate(map, data, segments)
    finally:
        forget_elements(split)
    return Translation(document=document, explain=reader.traces, warnings=reader.warnings)


def _source(
    tx: EdiTransaction, interchange: EdiInterchange, group: EdiGroup, profile: PartnerProfile
) -> SourceRef:
    return SourceRef(
        syntax=interchange.syntax.value,
        sender_id=interchange.sender_id,
        receiver_id=interchange.receiver_id,
        interchange_control_number=interchange.control_number,
        group_control_number=group.control_number,
        transaction_control_number=tx.control_number,
        transaction_set=tx.set_id,
        version=tx.version,
        partner_id=profile.id,
    )


def _validate(map_: Map, data: dict[str, Any], segments: Segments) -> AnyDocument:
    model = document_type(map_.document).model
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = _loc(err["loc"])
        if err["type"] == "missing":
            anchor = segments[0] if segments else None
            raise DocumentError(
                "mandatory value missing",
                field=path,
                segment_tag=anchor.tag if anchor is not None else None,
                segment_position=anchor.position if anchor is not None else None,
                code="1",
            ) from exc
        # the refused value, or a key made of partner data (a qualifier used as a key)
        refused = err.get("input")
        inner = [*refused.keys(), *refused.values()] if isinstance(refused, dict) else []
        keys = reversed([p for p in err["loc"] if isinstance(p, str)])
        candidates = [refused, *keys, *inner]
        source = next(
            (found for c in candidates if (found := _partner_source(c, segments)) is not None),
            None,
        )
        if source is not None:
            # the value came from the partner's document: their error, named where it is
            segment, element = source
            raise DocumentError(
                f"{err['msg']} (from {segment.tag}{element:02d}: {segment.value(element)[:60]!r})",
                field=path,
                segment_tag=segment.tag,
                segment_position=segment.position,
                element=element,
                code="7",
            ) from exc
        raise MappingError(f"map {map_.name}: {path}: {err['msg']}") from exc


def _partner_source(value: object, segments: Segments) -> tuple[Any, int] | None:
    """The segment and element a refused value was read from, when it came from the
    partner's data (a value our map made up, or a constant, is not found)."""
    if not isinstance(value, str) or not value.strip():
        return None
    for segment in segments:
        for element in range(1, segment.element_count() + 1):
            if value in segment.components(element):
                return segment, element
    return None


def _loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---- shared pieces -----------------------------------------------------------------


def _base_scopes(parts: Regions) -> dict[str, Segments]:
    return {"header": parts.header, "body": parts.body, "summary": parts.summary, "all": parts.all}


def _header(r: RuleReader, parts: Regions, data: dict[str, Any]) -> None:
    scopes = _base_scopes(parts)
    r.fields("", r.map.header, scopes, ["header"], data)
    r.fields("", r.map.summary, scopes, ["summary"], data)
    _parties(r, scopes, data)
    _document_lists(r, scopes, data)


def _parties(r: RuleReader, scopes: Scopes, data: dict[str, Any]) -> None:
    spec = r.map.parties
    if spec is None:
        return
    for scope_name in spec.scope:
        for group in split_loop(scopes.get(scope_name, ()), spec):
            local = {**scopes, "group": group}
            role = r.value("party.role", spec.role, local, ["group"])
            target = spec.roles.get(str(role).upper()) if role else None
            if target is None or target in data:
                continue  # a role we do not map, or a second party of a role already filled
            party: dict[str, Any] = {}
            r.fields(f"{target}.", spec.fields, local, ["group"], party, anchor=group[0])
            r.ids(f"{target}.", spec.ids, group, party)
            if party:
                data[target] = party


def _loop_items(
    r: RuleReader,
    loop: Loop,
    prefix: str,
    scopes: Scopes,
    *,
    extra: dict[str, Any] | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """One dict per loop group, over every scope the loop names.

    ``offset`` is where these items will sit in the document's list (for the trace).
    """
    out: list[dict[str, Any]] = []
    fields: Section | None = None  # the compiled fields, looked up at the first group
    for scope_name in loop.scope:
        segments = scopes.get(scope_name, ())
        if _cannot_start(r, segments, loop):
            continue
        groups = loop_groups(segments, loop)
        contexts: dict[int, Segments] | None = None
        if loop.context is not None:
            # no group of the context loop can start here (most items have no CLD): every
            # group's context is empty, without cutting the segments a second time
            no_context = _cannot_start(r, segments, loop.context)
            contexts = {} if no_context else _contexts(segments, loop.context, groups)
        for group in groups:
            if fields is None:
                fields = r.section(loop.fields, ["group"])
            index = offset + len(out)
            mark = len(r.traces)
            item: dict[str, Any] = {} if extra is None else dict(extra)
            local = {**scopes, "group": group}
            if contexts is not None:
                local["context"] = contexts.get(id(group[0]), _NONE)
            path = f"{prefix}[{index}]."
            fields(r, local, item, path, index + 1, group[0])
            r.ids(path, loop.ids, group, item)
            _sub_lists(r, loop, path, scopes, group, item)
            missing = (
                [name for name in loop.skip_without if get_path(item, name) is None]
                if loop.skip_without
                else None
            )
            if missing:
                r.warnings.append(
                    f"{prefix}: {group[0].tag} at segment {group[0].position} has no "
                    f"{', '.join(missing)}; left out"
                )
                del r.traces[mark:]
                continue
            out.append(item)
    return out


def _contexts(segments: Segments, context: Loop, groups: list[Segments]) -> dict[int, Segments]:
    """Each group's ``context`` scope by the id of its start segment: the group of the
    ``context`` loop (cut from the same segments) that holds that start, when it holds
    no other group's start. A CLD naming two lots gives neither its quantity: which lot
    got how many is not known, and a lot without a quantity is a mismatch at receipt."""
    holder: dict[int, int] = {}  # id(segment) -> index of the context group holding it
    outer = loop_groups(segments, context)
    for n, around in enumerate(outer):
        for seg in around:
            holder[id(seg)] = n
    held = [holder.get(id(group[0])) for group in groups]
    counts = Counter(held)
    out: dict[int, Segments] = {}
    for group, at in zip(groups, held, strict=True):
        if at is not None and counts[at] == 1:
            out[id(group[0])] = outer[at]
    return out


def _cannot_start(r: RuleReader, segments: Segments, loop: Loop) -> bool:
    """Whether the tag index already built for ``segments`` shows that no group of the
    loop can start there (its outermost start tag is absent): a line's nested lists are
    then skipped without cutting the line again (most lines have no schedules)."""
    cached = r.by_tag.get(id(segments))
    if cached is None or cached[0] is not segments:
        return False
    outer = loop
    while outer.within is not None:
        outer = outer.within
    return outer.start.segment not in cached[1]


# The tags any nested list of a loop can start with (its sub-loops' outermost start
# tags), when every sub-loop reads only the parent's group; None when one reads a wider
# scope (or there are no lists: empty). id(loop) -> (the loop, the tags).
_SUB_STARTS: dict[int, tuple[Loop, frozenset[str] | None]] = {}
_GROUP_SCOPES = frozenset({"group", "line", "body"})  # _sub_lists gives each the group


def _sub_list_starts(loop: Loop) -> frozenset[str] | None:
    """The start tags of the loop's nested lists when a group without any of them
    yields no nested item (:func:`_may_start`), worked out once per loop."""
    cached = _SUB_STARTS.get(id(loop))
    if cached is not None and cached[0] is loop:
        return cached[1]
    tags: set[str] | None = set()
    for alternatives in loop.lists.values():
        for sub in alternatives:
            if tags is None or not set(sub.scope) <= _GROUP_SCOPES:
                tags = None
                break
            outer = sub
            while outer.within is not None:
                outer = outer.within
            tags.add(outer.start.segment)
    starts = frozenset(tags) if tags is not None else None
    if len(_SUB_STARTS) >= 4096:
        _SUB_STARTS.clear()
    _SUB_STARTS[id(loop)] = (loop, starts)
    return starts


def _may_start(r: RuleReader, group: Segments, starts: frozenset[str]) -> bool:
    """False when the group's tag index (built by its fields) holds none of ``starts``:
    its nested lists are then empty (the check :func:`_cannot_start` makes per list)."""
    if not starts:
        return False
    cached = r.by_tag.get(id(group))
    return cached is None or cached[0] is not group or not starts.isdisjoint(cached[1])


def _sub_lists(
    r: RuleReader,
    loop: Loop,
    path: str,
    scopes: Scopes,
    group: Segments,
    item: dict[str, Any],
) -> None:
    """The loop's nested lists (``lists:``), each cut from this group only; of a list's
    alternative sub-loops the first that yields an item wins."""
    if not loop.lists:
        return
    starts = _sub_list_starts(loop)
    if starts is not None and not _may_start(r, group, starts):
        return  # none of the lists can start in this group (most lines have no SCH)
    local = {**scopes, "group": group, "line": group, "body": group}
    for name, alternatives in loop.lists.items():
        for sub in alternatives:
            found = _loop_items(r, sub, f"{path}{name}", local)
            if found:
                item[name] = found
                break


def _document_lists(r: RuleReader, scopes: Scopes, data: dict[str, Any]) -> None:
    """Document-level lists (``lists:`` at the top of the map), in the scopes they name;
    of a list's alternative sub-loops the first that yields an item wins."""
    for name, alternatives in r.map.lists.items():
        for sub in alternatives:
            found = _loop_items(r, sub, name, scopes)
            if found:
                data[name] = found
                break


def _lines(r: RuleReader, parts: Regions, data: dict[str, Any]) -> None:
    """Lines, plus line-level allowances and taxes appended to the document's lists."""
    loop = r.map.lines
    if loop is None:
        return
    scopes = _base_scopes(parts)
    lines = _loop_items(r, loop, "lines", scopes)
    per_unit_prices(lines, loop.fields)  # a price per 100 becomes one per unit
    if loop.allowances_charges is not None or loop.taxes is not None:
        # line-level allowances/taxes: re-cut each line group and tag with its number
        groups = [g for s in loop.scope for g in loop_groups(scopes.get(s, ()), loop)]
        for line, group in zip(lines, groups, strict=True):
            # a loop inside a line looks only inside that line's group
            local = {**scopes, "group": group, "line": group, "body": group}
            number = line.get("line_number")
            if loop.allowances_charges is not None:
                acs = data.setdefault("allowances_charges", [])
                acs += _loop_items(
                    r,
                    loop.allowances_charges,
                    "allowances_charges",
                    local,
                    extra={"line_number": number},
                    offset=len(acs),
                )
            if loop.taxes is not None:
                taxes = data.setdefault("taxes", [])
                taxes += _loop_items(
                    r,
                    loop.taxes,
                    "taxes",
                    local,
                    extra={"line_number": number},
                    offset=len(taxes),
                )
    data["lines"] = lines


# ---- builders (each named by its type in gateway.documents.REGISTRY) ---------------


def build_purchase_order(r: RuleReader, parts: Regions) -> dict[str, Any]:
    data: dict[str, Any] = {"document_type": "purchase_order"}
    _header(r, parts, data)
    _lines(r, parts, data)
    return data


def build_order_acknowledgement(r: RuleReader, parts: Regions) -> dict[str, Any]:
    data: dict[str, Any] = {"document_type": "order_acknowledgement"}
    _header(r, parts, data)
    _lines(r, parts, data)
    return data


def build_invoice(r: RuleReader, parts: Regions) -> dict[str, Any]:
    data: dict[str, Any] = {"document_type": "invoice"}
    _header(r, parts, data)
    # document-level allowances and taxes come first in their lists, line-level ones after
    scopes = _base_scopes(parts)
    data["allowances_charges"] = (
        _loop_items(r, r.map.allowances_charges, "allowances_charges", scopes)
        if r.map.allowances_charges is not None
        else []
    )
    data["taxes"] = _loop_items(r, r.map.taxes, "taxes", scopes) if r.map.taxes is not None else []
    _lines(r, parts, data)
    return data


def build_inventory_advice(r: RuleReader, parts: Regions) -> dict[str, Any]:
    data: dict[str, Any] = {"document_type": "inventory_advice"}
    _header(r, parts, data)
    _lines(r, parts, data)
    return data


def build_price_catalog(r: RuleReader, parts: Regions) -> dict[str, Any]:
    data: dict[str, Any] = {"document_type": "price_catalog"}
    _header(r, parts, data)
    _lines(r, parts, data)
    return data


def build_ship_notice(r: RuleReader, parts: Regions) -> dict[str, Any]:
    data: dict[str, Any] = {"document_type": "ship_notice"}
    scopes = _base_scopes(parts)
    if r.map.hierarchy is not None:
        # shipment-level HL segments count as header (carrier, ship date, parties)
        nodes = hl_tree(parts.body, r.map.hierarchy)
        shipment = [s for n in nodes if n.level == "shipment" for s in n.segments]
        scopes["header"] = [*parts.header, *shipment]
        scopes["shipment"] = shipment
        r.fields("", r.map.header, scopes, ["header"], data)
        r.fields("", r.map.summary, scopes, ["summary"], data)
        _parties(r, scopes, data)
        _document_lists(r, scopes, data)
        items: list[tuple[dict[str, Segments], SegmentLike | None]] = []
        orders_seen: list[dict[str, Segments]] = []
        # id(parent) -> (parent, pack scope, order node): siblings share one pack list,
        # so its segments are indexed by tag once, not once per item
        above: dict[int, tuple[HlNode | None, Segments, HlNode | None]] = {}
        for node in nodes:
            parent = node.parent
            known = above.get(id(parent))
            if known is None:
                # the carton's segments first, then its pallet's: an SSCC on either is found
                packs = [seg for p in node.ancestors("pack") for seg in p.segments] or _NONE
                known = above[id(parent)] = (parent, packs, node.ancestor("order"))
            packs = known[1]
            order = node if node.level == "order" else known[2]
            local: dict[str, Segments] = {
                **scopes,
                "group": node.segments,
                "item": node.segments,
                "pack": packs,
                "order": order.segments if order is not None else (),
            }
            if node.level == "order":
                orders_seen.append(local)
            elif node.level == "item":
                items.append((local, node.head))
        _collect_orders(r, data, orders_seen, items)
    else:
        _header(r, parts, data)
        item_loop = r.map.lines
        if item_loop is None:
            raise MappingError(f"map {r.map.name}: a ship notice needs hierarchy or lines")
        pack_groups: list[tuple[Segments, Segments]] = []  # (pack scope, pack group)
        pack_loops = split_loop(parts.body, r.map.packs) if r.map.packs is not None else []
        if pack_loops:
            for group in pack_loops:
                first_item = next(
                    (i for i, s in enumerate(group) if s.tag == item_loop.start.segment),
                    len(group),
                )
                pack_groups.append((group[:first_item], group))
        else:
            pack_groups.append(((), parts.body))
        items = []
        for pack_scope, group in pack_groups:
            for item_group in split_loop(group, item_loop):
                local = {**scopes, "group": item_group, "item": item_group, "pack": pack_scope}
                items.append((local, item_group[0]))
        _collect_orders(r, data, [], items)
    return data


def _collect_orders(
    r: RuleReader,
    data: dict[str, Any],
    order_scopes: list[dict[str, Segments]],
    items: list[tuple[dict[str, Segments], SegmentLike | None]],
) -> None:
    """Group item records under their purchase order, in the order they were sent."""
    loop = r.map.items or r.map.lines
    if loop is None:
        raise MappingError(f"map {r.map.name}: no item fields (items: or lines:)")
    po_rules = r.map.order.get("po_number")
    if not po_rules:
        raise MappingError(f"map {r.map.name}: order.po_number is not mapped")
    orders: dict[str, dict[str, Any]] = {}
    numbers: dict[str, int] = {}  # po -> its index in orders
    for index, local in enumerate(order_scopes):
        po = r.value(f"orders[{index}].po_number", po_rules, local, ["order", "header"])
        if po is not None and po not in orders:
            orders[po] = {"po_number": po, "lines": []}
            numbers[po] = len(numbers)
    # looked up once here, run once per item (as r.value and r.fields would)
    item_po = r.field_reader(po_rules, ["order", "group", "header"])
    item_fields = r.section(loop.fields, ["group"])
    for local, anchor in items:
        mark = len(r.traces)
        po = item_po(r, local, "orders[?].po_number", None, anchor)
        if po is None:
            raise DocumentError(
                "no purchase order number for this item (order level or item reference)",
                field="orders.po_number",
                segment_tag=anchor.tag if anchor is not None else None,
                segment_position=anchor.position if anchor is not None else None,
                code="1",
            )
        if po in orders:
            del r.traces[mark:]  # already traced when the order was first seen
        else:
            for i in range(mark, len(r.traces)):
                r.traces[i] = replace(r.traces[i], field_path=f"orders[{len(orders)}].po_number")
        order = orders.get(po)
        if order is None:
            order = orders[po] = {"po_number": po, "lines": []}
            numbers[po] = len(numbers)
        o_index = numbers[po]
        path = f"orders[{o_index}].lines[{len(order['lines'])}]."
        line: dict[str, Any] = {}
        line_mark = len(r.traces)
        item_fields(r, local, line, path, len(order["lines"]) + 1, anchor)
        every: dict[str, list[FieldTrace]] = {"lot_number": []}
        r.ids(path, loop.ids, local["group"], line, every=every)
        _sub_lists(r, loop, path, local, local["group"], line)
        # every lot the line names (lots list, lot_number field, LIN LT pairs) in lots
        settle_lots(
            line,
            path,
            named=every["lot_number"],
            traces=r.traces if r.explain else None,
            mark=line_mark,
        )
        order["lines"].append(line)
    data["orders"] = list(orders.values())

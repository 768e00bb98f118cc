"""The imitated Odoo's search: narrowing on equality leaves answers what a full scan does.

``MemoryOrm._narrow`` drops, before the full match, the rows a plain ``=`` leaf rejects
(searches by reference used to read every row through ``value()``, a cost that grew with
every record the dry run made). Hypothesis draws domains over stored, computed, x2many,
dotted and missing fields, with ``|``/``!``/``&`` and every operator, against rows with
odd values (missing keys, False, 0, lists in plain fields), and compares the answer - or
the error - with the search that does not narrow.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.odoo.memory import MemoryOdoo, OdooFault


def _world() -> MemoryOdoo:
    odoo = MemoryOdoo(17)
    partner = odoo.create("res.partner", {"name": "Vendor", "ref": "V1"})
    other = odoo.create("res.partner", {"name": "Other", "ref": "V2", "active": False})
    product = odoo.create("product.product", {"name": "Gauze", "default_code": "G1"})
    for n, (ref, who) in enumerate([("PO-1", partner), ("PO-2", other), ("PO-1", other)]):
        odoo.create(
            "purchase.order",
            {
                "partner_id": who,
                "partner_ref": ref,
                "origin": "" if n else False,
                "order_line": [(0, 0, {"product_id": product, "product_qty": n, "price_unit": 2})],
            },
        )
    table = odoo.tables["purchase.order"]
    first = min(table)
    table[first].pop("origin", None)  # a missing key: the field's default
    table[first + 1]["notes"] = ["x", "PO-1"]  # a list in a plain field: compared as x2many
    table[first + 2]["active"] = False
    # stale stored values of computed fields: the computed value is what counts
    table[first]["amount_total"] = 5.0
    table[first + 1].update({"name": "PO-NAME", "display_name": "PO-STALE"})
    odoo._insert("purchase.order", {"partner_ref": 0, "state": "draft"})
    return odoo


FIELDS = [
    "id",
    "name",
    "partner_ref",
    "partner_id",
    "origin",
    "notes",
    "state",
    "active",
    "amount_total",  # computed
    "order_line",  # one2many
    "invoice_ids",  # many2many
    "display_name",
    "partner_id.ref",  # dotted
]
OPERATORS = [
    "=",
    "=",
    "=",
    "=",
    "!=",
    "in",
    "not in",
    "like",
    "ilike",
    "=like",
    ">",
    "<=",
    "child_of",
]
VALUES = st.sampled_from(
    [False, True, 0, 1, 2, 3, 4, 99, "PO-1", "PO-2", "V1", "draft", "purchase", "", None, "x"]
)


@st.composite
def domains(draw: st.DrawFn) -> list[Any]:
    out: list[Any] = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from(["|", "&", "!"])))
        field = draw(st.sampled_from(FIELDS))
        op = draw(st.sampled_from(OPERATORS))
        value: Any = draw(VALUES)
        if op in ("in", "not in"):
            value = draw(st.lists(VALUES, max_size=3))
        out.append([field, op, value])
    return out


WORLD = _world()


def _answer(search: Any, domain: list[Any]) -> Any:
    try:
        return sorted(search("purchase.order", domain))
    except OdooFault as fault:
        return (fault.name, fault.message)
    except Exception as exc:  # a malformed domain the imitation does not name: same either way
        return type(exc).__name__


@settings(max_examples=600, deadline=None)
@given(domains())
@example([["origin", "=", False]])  # False also matches None, "" and 0
@example([["origin", "=", ""], ["partner_ref", "=", "PO-1"]])
@example([["notes", "=", "PO-1"]])  # a list in a plain field
@example([["partner_ref", "=", 0]])
@example([["amount_total", "=", 0]])  # computed
@example([["id", "=", True]])
@example([["amount_total", "=", 5.0]])
@example([["display_name", "=", "PO-NAME"]])
@example([["order_line", "=", 1]])  # one2many: true when any line id matches
@example([["state", "=", "draft"], ["active", "=", False]])
@example([["partner_ref", "=", "PO-1"], "&", ["partner_ref", "=", "PO-1"]])
# a purchase order by reference or name, for one vendor (Resolver.find_order's search)
@example(["|", ["partner_ref", "=", "PO-1"], ["name", "=", "PO-1"], ["partner_id", "=", 1]])
@example(["|", ["partner_ref", "=", "PO-NAME"], ["name", "=", "PO-NAME"]])
@example(["|", ["partner_ref", "=", "PO-1"], ["amount_total", "=", 5.0]])  # one cannot narrow
@example(["|", "|", ["name", "=", "x"], ["partner_ref", "=", "PO-2"], ["id", "=", 2]])
@example(["|", ["partner_ref", "=", "PO-1"]])  # an operand missing
@example([["partner_ref", "=", "PO-1"], "|"])
def test_narrowing_answers_what_the_full_scan_answers(domain: list[Any]) -> None:
    narrowed = _answer(WORLD.search, domain)
    full = MemoryOdoo.__new__(MemoryOdoo)
    full.__dict__ = dict(WORLD.__dict__)  # the same records, searched without narrowing
    full._narrow = lambda model, rows, domain: rows  # type: ignore[method-assign]
    assert narrowed == _answer(full.search, domain)


def _many_orders() -> tuple[MemoryOdoo, int, list[int]]:
    """200 orders of one vendor: the imitation, the vendor, and the ids of the rows its
    searches put through the full match from now on."""
    odoo = MemoryOdoo(17)
    partner = odoo.create("res.partner", {"name": "Vendor"})
    for n in range(200):
        odoo.create("purchase.order", {"partner_id": partner, "partner_ref": f"PO-{n}"})
    matched: list[int] = []
    match = odoo._match

    def counting(model: str, record: dict[str, Any], domain: list[Any]) -> bool:
        matched.append(record["id"])
        return match(model, record, domain)

    odoo._match = counting  # type: ignore[method-assign]
    return odoo, partner, matched


def test_an_equality_leaf_narrows_before_the_full_match() -> None:
    # given many orders
    odoo, partner, matched = _many_orders()
    # when one is searched by reference and partner
    found = odoo.search(
        "purchase.order", [["partner_ref", "=", "PO-7"], ["partner_id", "=", partner]]
    )
    # then only that row went through the full match
    assert len(found) == 1 and matched == found


def test_an_or_of_equality_leaves_narrows_to_their_union() -> None:
    # given many orders of one vendor
    odoo, partner, matched = _many_orders()
    named = odoo.read("purchase.order", [odoo.search("purchase.order", [])[9]], ["name"])[0]
    matched.clear()
    # when an order is searched by reference or name, for the vendor
    found = odoo.search(
        "purchase.order",
        [
            "|",
            ["partner_ref", "=", "PO-7"],
            ["name", "=", named["name"]],
            ["partner_id", "=", partner],
        ],
    )
    # then the two orders are found, and only they went through the full match
    assert len(found) == 2 and sorted(matched) == found


# ---- the index stays right while records change in place -------------------------------
# Every way code and tests change the imitation's records, drawn between searches: the
# first equality search on a field builds its index, so later changes must keep it right.
MUTATED_FIELDS = ["partner_ref", "name", "partner_id", "origin", "notes", "state", "active"]
STORED = st.sampled_from([False, True, 0, 1, 2, 3, 99, "PO-1", "PO-2", "draft", "", None, "x"])
NEW_VALUES = st.one_of(STORED, st.lists(STORED, max_size=2), st.just({"odd": 1}))


@st.composite
def changes(draw: st.DrawFn) -> tuple[Any, ...]:
    kind = draw(
        st.sampled_from(
            [
                "set",
                "update",
                "pop",
                "setdefault",
                "del",
                "clear",
                "ior",
                "insert",
                "replace",
                "drop",
                "write",
                "create",
                "search",
            ]
        )
    )
    if kind == "search":
        return (kind, draw(domains()))
    field = draw(st.sampled_from(MUTATED_FIELDS))
    # (an unhashable value in a many2one would fail its dotted lookups, for the rows
    # narrowing drops too: a broken record, not the index, would tell the two apart)
    value = draw(STORED if field == "partner_id" else NEW_VALUES)
    return (kind, draw(st.integers(0, 6)), field, value)


def _change(odoo: MemoryOdoo, change: tuple[Any, ...]) -> None:
    kind, which, field, value = change
    table = odoo.tables["purchase.order"]
    ids = sorted(table)
    key = ids[which % len(ids)] if ids else None
    record = table[key] if key is not None else None
    if kind == "insert" or record is None:
        table[max(ids, default=0) + 1 + which] = {
            "id": max(ids, default=0) + 1 + which,
            field: value,
        }
    elif kind == "set":
        record[field] = value
    elif kind == "update":
        record.update({field: value, "state": "purchase"})
    elif kind == "pop":
        record.pop(field, None)
    elif kind == "setdefault":
        record.setdefault(field, value)
    elif kind == "del":
        record.setdefault(field, value)
        del record[field]
    elif kind == "clear":
        record.clear()
        record["id"] = key
    elif kind == "ior":
        record |= {field: value}
    elif kind == "replace":
        table[key] = {**record, field: value}
    elif kind == "drop":
        table.pop(key)
    elif kind == "write":
        odoo.tables["purchase.order"][key].update({"write_date": "x"})
        odoo.write(
            "purchase.order", [key], {"partner_ref": value if isinstance(value, str) else "PO-1"}
        )
    elif kind == "create":
        odoo.create("purchase.order", {"partner_id": 1, "partner_ref": "PO-2", "origin": "x"})


@settings(max_examples=300, deadline=None)
@given(st.lists(changes(), max_size=30))
def test_the_index_answers_what_the_full_scan_answers_while_records_change(
    steps: list[tuple[Any, ...]],
) -> None:
    # given the world above, searched through the index and without it
    odoo = _world()
    full = MemoryOdoo.__new__(MemoryOdoo)
    full.__dict__ = dict(odoo.__dict__)  # the same tables, searched without narrowing
    full._narrow = lambda model, rows, domain: rows  # type: ignore[method-assign]
    for step in [*steps, ("search", [["partner_ref", "=", "PO-1"]])]:
        if step[0] == "search":
            # then every search answers what the full scan answers
            assert _answer(odoo.search, step[1]) == _answer(full.search, step[1])
            continue
        # when records change in any way between searches
        before = odoo.tables["purchase.order"].version
        _change(odoo, step)
        # then the table counts the change (the dry run's kept answers rely on it) and
        # knows its highest id (new ids follow it)
        assert odoo.tables["purchase.order"].version > before
        assert odoo.tables["purchase.order"].top() == max(odoo.tables["purchase.order"], default=0)
        # then searches for what was just written (and for what it replaced) agree too
        _, _, field, value = step
        for leaf in (
            [field, "=", value],
            [field, "in", [value, "PO-1"]],
            [field, "=", "PO-1"],
            ["partner_ref", "=", "PO-1"],
            ["state", "=", "purchase"],
            ["state", "=", "draft"],
        ):
            assert _answer(odoo.search, [leaf]) == _answer(full.search, [leaf]), leaf
    # and a one2many reads the same lines as a scan of its table
    for order_id in odoo.tables["purchase.order"]:
        lines = odoo.tables["purchase.order.line"]
        scanned = sorted(i for i, r in lines.items() if r.get("order_id") == order_id)
        assert odoo._children("purchase.order.line", "order_id", order_id) == scanned


def test_copies_of_records_and_tables_are_plain_and_detached() -> None:
    # given a table with an index
    odoo = _world()
    odoo.search("purchase.order", [["partner_ref", "=", "PO-1"]])
    table = odoo.tables["purchase.order"]
    # when a snapshot is taken and changed
    snapshot = odoo.snapshot()
    first = min(table)
    snapshot["purchase.order"][first]["partner_ref"] = "PO-9"
    # then it is plain dicts and the imitation's index did not see the change
    assert type(snapshot["purchase.order"]) is dict
    assert type(snapshot["purchase.order"][first]) is dict
    assert odoo.search("purchase.order", [["partner_ref", "=", "PO-9"]]) == []
    # and a record moved into another table is a copy owned by that table
    moved = table[first]
    table[10_000] = moved
    moved["partner_ref"] = "PO-MOVED"
    assert odoo.search("purchase.order", [["partner_ref", "=", "PO-MOVED"]]) == [first]

"""Lookups the dry run answers again from the answer it kept (vendor, products, units).

Each document repeats the same lookups; while no table a lookup can read from has
changed (``Table.version``), the dry run answers it from the text it kept, still
writing the call and its answer to the call file. Any change to those tables - a write,
a made-up record, another process's journal line, a record changed in place - makes the
next lookup ask the imitation again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.odoo.dryrun import DryRunOdoo
from gateway.odoo.memory import MemoryOdoo

LOOKUP = (["barcode", "=", "0001"],)


def _count_imitation_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    original = MemoryOdoo.execute_kw

    def counting(self: MemoryOdoo, model: str, method: str, *args: Any) -> Any:
        made.append(f"{model}.{method}")
        return original(self, model, method, *args)

    monkeypatch.setattr(MemoryOdoo, "execute_kw", counting)
    return made


def _find(odoo: DryRunOdoo) -> list[dict[str, Any]]:
    return odoo.search_read("product.product", [list(LOOKUP[0])], ["id", "name", "uom_id"])


def test_a_repeated_lookup_is_answered_from_the_kept_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a product found once (made up by the lookup)
    odoo = DryRunOdoo(tmp_path)
    odoo.begin_document("doc-1")
    first = _find(odoo)
    made = _count_imitation_calls(monkeypatch)
    # when the next document looks it up again, and changes what it got
    odoo.begin_document("doc-2")
    again = _find(odoo)
    again[0]["name"] = "changed by the caller"
    # then the imitation was not asked, the answer is the same and a copy of its own
    assert made == []
    assert again == [{**first[0], "name": "changed by the caller"}]
    assert _find(odoo) == first
    # and the call file holds the call and its answer as before
    one = (tmp_path / "doc-1.jsonl").read_text().splitlines()
    two = (tmp_path / "doc-2.jsonl").read_text().splitlines()
    assert two[0] == one[0] and json.loads(two[0])["answer"] == first


@pytest.mark.parametrize(
    "change",
    [
        "write",  # a call that writes one of the lookup's tables
        "in place",  # a record changed in place (tests do this)
        "unit",  # a table the answer reads a display name from
        "another process",  # another process's journal line, replayed before the call
        "table replaced",  # a whole table put in anew (its change count starts afresh)
        "imitation replaced",  # another imitation altogether
    ],
)
def test_a_change_to_the_lookup_s_tables_asks_the_imitation_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    # given a product looked up and its answer kept
    odoo = DryRunOdoo(tmp_path)
    product_id = _find(odoo)[0]["id"]
    unit_id = odoo.memory.tables["product.product"][product_id]["uom_id"]
    # when something changes what the lookup would answer
    if change == "write":
        odoo.write("product.product", [product_id], {"name": "Renamed"})
    elif change == "in place":
        odoo.memory.tables["product.product"][product_id]["name"] = "Renamed"
    elif change == "unit":
        odoo.memory.tables["uom.uom"][unit_id]["name"] = "Renamed"
    elif change == "table replaced":
        renamed = {k: {**v, "name": "Renamed"} for k, v in odoo.memory.tables["uom.uom"].items()}
        odoo.memory.tables["uom.uom"] = renamed
    elif change == "imitation replaced":
        copy = MemoryOdoo.load(odoo.memory.dump())
        copy.tables["product.product"][product_id]["name"] = "Renamed"
        odoo.memory = copy
    else:
        other = DryRunOdoo(tmp_path)
        other.write("product.product", [product_id], {"name": "Renamed"})
        other.close()
    made = _count_imitation_calls(monkeypatch)
    found = _find(odoo)
    # then the imitation answers again (after replaying the other's line), with the change
    assert made[-1] == "product.product.search_read"
    assert "Renamed" in json.dumps(found)


def test_orders_are_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a lookup of a model with computed fields (an order's totals read its lines)
    odoo = DryRunOdoo(tmp_path)
    odoo.search_read("purchase.order", [["partner_ref", "=", "PO-1"]], ["id"])
    made = _count_imitation_calls(monkeypatch)
    # when it is repeated, then the imitation answers it every time
    odoo.search_read("purchase.order", [["partner_ref", "=", "PO-1"]], ["id"])
    assert made == ["purchase.order.search_read"]

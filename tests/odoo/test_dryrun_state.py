"""The dry run's state: a snapshot plus a journal of the calls that changed it.

A call appends one line instead of rewriting every record; opening the outbox replays
the journal; two processes on one outbox see each other's writes; a crash at any point
of folding the journal into the snapshot applies nothing twice.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.odoo import dryrun
from gateway.odoo.delivery import deliver
from gateway.odoo.dryrun import DryRunOdoo
from gateway.odoo.memory.orm import clock_at
from tests.odoo.conftest import make_profile
from tests.odoo.documents import purchase_order, ship_notice

PROFILE = make_profile()


def _orders(odoo: DryRunOdoo) -> list[dict[str, Any]]:
    return odoo.memory.search_read(
        "purchase.order", [], ["partner_ref", "state", "date_order", "date_approve"]
    )


def _journal_lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "state.journal").read_text().splitlines()]


def test_a_call_appends_to_the_journal_and_leaves_the_snapshot_alone(tmp_path: Path) -> None:
    # given a fresh outbox
    odoo = DryRunOdoo(tmp_path)
    # when an order is delivered
    deliver(purchase_order("PO-1"), profile=PROFILE, odoo=odoo)
    # then no snapshot was written; the journal holds the writes and the made-up records
    assert not (tmp_path / "state.json").exists()
    header, *entries = _journal_lines(tmp_path)
    assert set(header) == {"journal"}
    calls = [e["call"][:2] for e in entries if "call" in e]
    assert ["purchase.order", "create"] in calls
    assert ["purchase.order", "button_confirm"] in calls
    assert any(e["made_up"][0] == "product.supplierinfo" for e in entries if "made_up" in e)
    # reads that made nothing up are not journaled
    assert all(e["call"][1] not in ("search_read", "read") for e in entries if "call" in e)


def test_reopening_replays_the_journal_with_the_original_times(tmp_path: Path) -> None:
    # given an order delivered and confirmed in one run
    first = DryRunOdoo(tmp_path)
    deliver(purchase_order("PO-1"), profile=PROFILE, odoo=first)
    before = _orders(first)
    first.close()
    # when the next run opens the outbox, years later
    with clock_at("2099-01-01 00:00:00"):
        second = DryRunOdoo(tmp_path)
    # then it has the same records, stamped with the times they were made
    assert _orders(second) == before
    assert before[0]["state"] == "purchase" and before[0]["date_approve"]
    # and the journal was folded into a snapshot that names what it holds
    snapshot = json.loads((tmp_path / "state.json").read_text())
    assert snapshot["journal"]["offset"] > 0
    assert len(_journal_lines(tmp_path)) == 1  # only the new journal's header
    second.close()
    assert _orders(DryRunOdoo(tmp_path)) == before


def test_two_processes_on_one_outbox_see_each_others_writes(tmp_path: Path) -> None:
    # given two dry runs open on the same outbox (a worker and an inline ingest)
    worker = DryRunOdoo(tmp_path)
    inline = DryRunOdoo(tmp_path)
    # when one delivers an order and the other its ship notice
    deliver(purchase_order("PO-7"), profile=PROFILE, odoo=worker)
    asn = deliver(ship_notice("ASN-7", "PO-7"), profile=PROFILE, odoo=inline)
    # then the second found the first's order and received against it
    assert asn.exceptions == [] and asn.records[0].model == "stock.picking"
    # and the first sees the receipt the second made
    done = worker.search_read("stock.picking", [["state", "=", "done"]], ["id"])
    assert [p["id"] for p in done] == [asn.records[0].id]
    # and a third, opened after both, has one order, not two
    third = DryRunOdoo(tmp_path)
    assert [o["partner_ref"] for o in _orders(third)] == ["PO-7"]


def test_a_process_sees_the_snapshot_another_one_folded(tmp_path: Path) -> None:
    # given a long-running dry run and an order delivered by another process
    worker = DryRunOdoo(tmp_path)
    deliver(purchase_order("PO-1"), profile=PROFILE, odoo=DryRunOdoo(tmp_path))
    # when a third process opens the outbox (folding the journal into a new snapshot)
    DryRunOdoo(tmp_path)
    # then the first still finds the order, once, and goes on writing where it is seen
    deliver(purchase_order("PO-2"), profile=PROFILE, odoo=worker)
    refs = sorted(o["partner_ref"] for o in _orders(DryRunOdoo(tmp_path)))
    assert refs == ["PO-1", "PO-2"]


def test_a_crash_between_snapshot_and_new_journal_applies_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an order in the journal
    deliver(purchase_order("PO-1"), profile=PROFILE, odoo=DryRunOdoo(tmp_path))
    # when the next open dies after writing the snapshot, before the fresh journal
    monkeypatch.setattr(DryRunOdoo, "_new_journal", _crash)
    with pytest.raises(_Crash):
        DryRunOdoo(tmp_path)
    monkeypatch.undo()
    assert len(_journal_lines(tmp_path)) > 1  # the old journal is still there
    # then opening again finds one order, not two
    assert [o["partner_ref"] for o in _orders(DryRunOdoo(tmp_path))] == ["PO-1"]


def test_a_half_written_line_is_left_out_and_overwritten(tmp_path: Path) -> None:
    # given a journal whose last line a dying process did not finish
    odoo = DryRunOdoo(tmp_path)
    deliver(purchase_order("PO-1"), profile=PROFILE, odoo=odoo)
    with (tmp_path / "state.journal").open("ab") as journal:
        journal.write(b'{"at": "2026-01-01 00:00:00", "call": ["purchase.order", "cre')
    # when the running dry run writes again and another process opens the outbox
    deliver(purchase_order("PO-2"), profile=PROFILE, odoo=odoo)
    lines = (tmp_path / "state.journal").read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # the half line was replaced
    # then both orders are there
    assert sorted(o["partner_ref"] for o in _orders(DryRunOdoo(tmp_path))) == ["PO-1", "PO-2"]


def test_a_snapshot_of_an_earlier_version_still_loads(tmp_path: Path) -> None:
    # given an outbox written before the journal (state.json only, no journal named)
    odoo = DryRunOdoo(tmp_path)
    deliver(purchase_order("PO-1"), profile=PROFILE, odoo=odoo)
    odoo.close()
    data = odoo.memory.dump()
    (tmp_path / "state.json").write_text(json.dumps(data))
    (tmp_path / "state.journal").unlink()
    # then the order is found
    assert [o["partner_ref"] for o in _orders(DryRunOdoo(tmp_path))] == ["PO-1"]


def test_the_journal_is_folded_when_it_outgrows_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a small threshold
    monkeypatch.setattr(dryrun, "_COMPACT_BYTES", 2_000)
    odoo = DryRunOdoo(tmp_path)
    # when a few orders are delivered in one run
    for n in range(4):
        deliver(purchase_order(f"PO-{n}"), profile=PROFILE, odoo=odoo)
    # then a snapshot was written while running, and the journal restarted after it
    assert (tmp_path / "state.json").is_file()
    size = (tmp_path / "state.journal").stat().st_size
    assert size < max(2_000, (tmp_path / "state.json").stat().st_size) + 5_000
    refs = sorted(o["partner_ref"] for o in _orders(DryRunOdoo(tmp_path)))
    assert refs == ["PO-0", "PO-1", "PO-2", "PO-3"]


def test_a_call_costs_the_same_with_many_records_behind_it(tmp_path: Path) -> None:
    # given an outbox that already holds many orders
    odoo = DryRunOdoo(tmp_path)
    for n in range(40):
        deliver(purchase_order(f"PO-A{n}"), profile=PROFILE, odoo=odoo)

    def cost(label: str) -> float:
        # the cheapest of three batches of 20: one batch is ~10 ms of CPU, which a
        # collection, the journal being folded or a loaded machine can multiply
        spent = []
        for batch in range(3):
            start = time.process_time()
            for n in range(20):
                deliver(purchase_order(f"PO-{label}{batch}-{n}"), profile=PROFILE, odoo=odoo)
            spent.append(time.process_time() - start)
        return min(spent)

    early = cost("B")
    for n in range(200):
        deliver(purchase_order(f"PO-C{n}"), profile=PROFILE, odoo=odoo)
    # when more are delivered after ten times as many
    late = cost("D")
    # then they cost about the same (the state used to be rewritten on every write)
    assert late < early * 3


class _Crash(Exception):
    pass


def _crash(self: DryRunOdoo) -> None:
    raise _Crash

"""Delivery schedules, split acknowledgements and batches of EDIFACT documents reach the
canonical JSON (issue 19), seen the way onboarding staff see them:
``edi-gateway translate FILE --json --explain`` on fixture interchanges written for these
tests (``tests/fixtures/schedules/``, partner ``lindqvist-surgical`` sending D96A and D01B).

Segment groups cited are those of the UN messages (ORDERS/ORDRSP D96A: SG46 SCC-FTX-RFF
with SG47 QTY-DTM inside the SG25 LIN group; DESADV D96A: SG20 PCI-DTM-MEA-QTY with SG21
GIN inside the SG15 LIN group).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from gateway.cli.partner_commands import register
from gateway.settings import get_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "schedules"


@pytest.fixture
def translate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    monkeypatch.setenv("EDIGW_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EDIGW_SHIPPED_PROFILES", "false")
    monkeypatch.setenv("EDIGW_PROFILES_DIR", str(FIXTURES / "profiles"))
    monkeypatch.delenv("EDIGW_MAPS_DIR", raising=False)
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def run(name: str) -> dict[str, Any]:
        result = runner.invoke(app, ["translate", str(FIXTURES / name), "--json", "--explain"])
        assert result.exit_code == 0, result.output
        [one] = json.loads(result.output)
        assert one["partner"] == "lindqvist-surgical"
        assert "warnings" not in one, one["warnings"]
        return one

    yield run
    get_settings.cache_clear()


def _explained(result: dict[str, Any], field: str) -> tuple[str, int, int, int, str]:
    trace = next(t for t in result["explain"] if t["field"] == field)
    return trace["segment"], trace["position"], trace["element"], trace["component"], trace["value"]


@pytest.mark.parametrize("directory", ["D96A", "D01B"])
def test_orders_scc_groups_become_the_line_schedules(translate: Any, directory: str) -> None:
    # ORDERS SG46 SCC (4017 1 firm, 4 planning) with SG47 QTY-DTM pairs: 60 on 1 Dec
    # (DTM+2 delivery requested), 30 in the window 4-8 Jan (DTM+64 earliest / DTM+63
    # latest: one pair with two DTM), 10 on 1 Feb (DTM 2379 format 203 CCYYMMDDHHMM)
    result = translate(f"ORDERS_{directory}_scc_schedules.edi")
    first, second = result["document"]["lines"]
    assert [
        (s["quantity"], s["uom"], s["date_qualifier"], s["date"], s.get("end_date"))
        for s in first["schedules"]
    ] == [
        ("60", "EA", "2", "2026-12-01", None),
        ("30", "EA", "64", "2027-01-04", "2027-01-08"),
        ("10", "EA", "2", "2027-02-01", None),
    ]
    # the LIN's own QTY+21 (ordered) is the line quantity, not a schedule; the parts add up
    assert first["quantity"] == "100"
    assert sum(int(s["quantity"]) for s in first["schedules"]) == 100
    # a line without SCC groups has none, and never the previous line's
    assert second["schedules"] == []
    assert second["dates"] == {"requested_delivery": "2026-12-05"}
    # --explain names the segment each schedule value came from (UNH = 1)
    assert _explained(result, "lines[0].schedules[1].quantity") == ("QTY", 14, 1, 2, "30")
    assert _explained(result, "lines[0].schedules[1].end_date") == (
        "DTM",
        16,
        1,
        2,
        "20270108",
    )
    assert _explained(result, "lines[0].schedules[2].date") == (
        "DTM",
        18,
        1,
        2,
        "202702011200",
    )


@pytest.mark.parametrize("directory", ["D96A", "D01B"])
def test_ordrsp_split_parts_keep_every_quantity_and_date(translate: Any, directory: str) -> None:
    result = translate(f"ORDRSP_{directory}_split_parts.edi")
    doc = result["document"]
    in_scc, at_line_level, plain = doc["lines"]

    # line 1: LIN 1229 6 (accepted with amendment) and two SCC groups: QTY+113 (6063
    # quantity to be delivered) 20 with DTM+2, QTY+83 (backorder quantity) 10 with
    # DTM+67 (current schedule delivery); the same parts as an 855 with ACK*IA / ACK*IB
    assert [
        (s["status"], s["quantity"], s["date_qualifier"], s["date"]) for s in in_scc["splits"]
    ] == [
        ("accepted", "20", "2", "2026-11-20"),
        ("backordered", "10", "67", "2026-12-15"),
    ]
    # the line-level fields are the first part's (as for an 855), the status the LIN's
    assert (in_scc["status"], in_scc["quantity"], in_scc["scheduled_date"]) == (
        "changed",
        "20",
        "2026-11-20",
    )

    # line 2: the same parts at line level (QTY+21 30, QTY+113 20, QTY+83 10, then
    # DTM+2 and DTM+67). The LIN group puts every QTY before any DTM, so no part owns a
    # date: the parts keep their quantities, the line keeps both dates by meaning
    assert [(s["status"], s["quantity"], s.get("date")) for s in at_line_level["splits"]] == [
        ("accepted", "20", None),
        ("backordered", "10", None),
    ]
    assert at_line_level["quantity"] == "20"  # QTY+113 before QTY+21, like ACK02 before PO102
    assert at_line_level["dates"] == {
        "requested_delivery": "2026-11-20",
        "scheduled_delivery": "2026-12-15",
    }

    # line 3: one quantity, one date: no parts, nothing invented
    assert plain["splits"] == []
    assert (plain["status"], plain["quantity"], plain["scheduled_date"]) == (
        "accepted",
        "8",
        "2026-11-24",
    )
    assert _explained(result, "lines[0].splits[1].status") == ("QTY", 13, 1, 1, "83")
    assert _explained(result, "lines[0].splits[1].date") == ("DTM", 14, 1, 2, "20261215")
    assert _explained(result, "lines[1].splits[1].quantity") == ("QTY", 18, 1, 2, "10")


def test_ordrsp_split_parts_drive_the_purchase_order_line_like_an_855(translate: Any) -> None:
    # what Odoo delivery reads from the parts: 30 to be supplied in all, complete on the
    # backordered part's date, and the text that says so
    from gateway.canonical import OrderAcknowledgement
    from gateway.odoo.delivery.order_acknowledgement import split_view

    doc = OrderAcknowledgement.model_validate(translate("ORDRSP_D96A_split_parts.edi")["document"])
    quantity, planned, backorder = split_view(doc.lines[0])
    assert (str(quantity), str(planned), backorder) == (
        "30",
        "2026-12-15",
        "10 backordered to 2026-12-15",
    )


def test_desadv_batches_of_one_lin_are_lots(translate: Any) -> None:
    # DESADV SG15 LIN with three SG20 PCI groups, each DTM+36 (expiry), QTY+12 and SG21
    # GIN+BX (7405 BX batch number); DTM+94 (production) on the first
    result = translate("DESADV_D96A_batches_per_lin.edi")
    doc = result["document"]
    first, second = doc["orders"][0]["lines"]
    assert [
        (lot["lot_number"], lot["quantity"], lot["expiry_date"], lot.get("production_date"))
        for lot in first["lots"]
    ] == [
        ("LOT-A1", "60", "2029-03-31", "2026-03-01"),
        ("LOT-B2", "30", "2029-06-30", None),
        ("LOT-C3", "10", "2029-12-31", None),
    ]
    assert sum(int(lot["quantity"]) for lot in first["lots"]) == int(first["quantity"])
    # a batch given on the LIN itself (PIA 4347 1, C212 7143 NB; DTM+36 in the LIN group)
    assert (second["lot_number"], second["expiry_date"], second["quantity"]) == (
        "LOT-D4",
        "2028-01-31",
        "5",
    )
    # DTM+132 (arrival, estimated) and DTM+11 (despatch) at the header
    assert doc["dates"] == {"estimated_arrival": "2026-11-24", "shipped": "2026-11-21"}
    assert _explained(result, "orders[0].lines[0].lots[2].lot_number") == (
        "GIN",
        25,
        2,
        1,
        "LOT-C3",
    )

"""``edi-gateway translate --outbound ORDER.json --partner ID --explain``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gateway.cli.main import app

ORDER = {
    "po_number": "PO-77",
    "order_date": "2026-12-01",
    "lines": [
        {"line_number": "1", "quantity": "50", "uom": "BX", "unit_price": "8.95",
         "item": {"vendor_part": "SMS-NG100M", "gtin": "10884521000018"}}
    ],
}  # fmt: skip


def test_outbound_translation_shows_the_850_and_where_each_segment_came_from(
    tmp_path: Path,
) -> None:
    path = tmp_path / "po.json"
    path.write_text(json.dumps(ORDER))
    result = CliRunner().invoke(
        app,
        [
            "translate",
            "--outbound",
            str(path),
            "--partner",
            "summit-medical",
            "--explain",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["map"] == "x12/004010/850"
    assert "PO1*1*50*BX*8.95*PE*VP*SMS-NG100M*UK*10884521000018~" in out["document"]
    beg = next(t for t in out["explain"] if t["tag"] == "BEG")
    assert beg["fields"] == ["purpose", "po_number", "order_date"]


def test_edifact_partner_gets_orders(tmp_path: Path) -> None:
    path = tmp_path / "po.json"
    path.write_text(json.dumps(ORDER))
    result = CliRunner().invoke(
        app, ["translate", "--outbound", str(path), "--partner", "nordlicht-medtech", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "BGM+220+PO-77+9'" in json.loads(result.stdout)["document"]


def test_order_our_validator_refuses_is_named(tmp_path: Path) -> None:
    bad = {**ORDER, "lines": [{**ORDER["lines"][0], "quantity": "1" * 20}]}  # type: ignore[dict-item]
    path = tmp_path / "po.json"
    path.write_text(json.dumps(bad))
    result = CliRunner().invoke(
        app, ["translate", "--outbound", str(path), "--partner", "summit-medical"]
    )
    assert result.exit_code == 1
    assert "lines[0].quantity" in result.output


def test_change_document_is_written_as_860_and_ordchg(tmp_path: Path) -> None:
    change = {
        **ORDER,
        "purpose": "change",
        "lines": [{**ORDER["lines"][0], "quantity": "60", "change": "quantity_increase"}],  # type: ignore[dict-item]
    }
    path = tmp_path / "change.json"
    path.write_text(json.dumps(change))
    x12 = CliRunner().invoke(
        app, ["translate", "--outbound", str(path), "--partner", "summit-medical", "--json"]
    )
    assert x12.exit_code == 0, x12.output
    out = json.loads(x12.stdout)
    assert out["map"] == "x12/004010/860"
    assert "BCH*04*SA*PO-77***20261201~" in out["document"]
    assert "POC*1*QI*60**BX*8.95*PE*VP*SMS-NG100M*UK*10884521000018~" in out["document"]
    edifact = CliRunner().invoke(
        app, ["translate", "--outbound", str(path), "--partner", "nordlicht-medtech", "--json"]
    )
    assert edifact.exit_code == 0, edifact.output
    document = json.loads(edifact.stdout)["document"]
    assert "BGM+230+PO-77+4'" in document and "LIN+1+3+10884521000018:EN'" in document

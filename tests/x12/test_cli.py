"""``edi-gateway parse`` / ``validate`` through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from gateway import x12
from gateway.cli import edi_commands
from tests.x12.helpers import build

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    edi_commands.register(app)

    @app.callback()
    def main() -> None:  # a callback keeps the sub-command names on the command line
        """test app"""

    return app


def test_parse_json_lists_envelopes_and_segments(tmp_path: Path) -> None:
    path = tmp_path / "po.x12"
    path.write_bytes(build(sets=2))
    result = runner.invoke(_app(), ["parse", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (ix,) = data["interchanges"]
    assert ix["sender"] == ["ZZ", "HOSPITAL"] and ix["control_number"] == "000000001"
    txs = ix["groups"][0]["transactions"]
    assert [t["control_number"] for t in txs] == ["0001", "0002"]
    assert txs[0]["segments"][1] == {
        "position": 2,
        "tag": "BEG",
        "elements": [["00"], ["SA"], ["PO-1001"], [""], ["20240301"]],
    }


def test_validate_clean_file_exits_0_and_writes_the_997(tmp_path: Path) -> None:
    path, out = tmp_path / "po.x12", tmp_path / "ack.x12"
    path.write_bytes(build())
    result = runner.invoke(_app(), ["validate", str(path), "--ack-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "no findings" in result.output
    ack = x12.parse_payload(out.read_bytes()).interchanges[0]
    assert ack.transactions[0].set_id == "997" and ack.receiver_id == "HOSPITAL"


def test_validate_reports_position_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.x12"
    path.write_bytes(build(version="00501", gs_version="005010").replace(b"SE*12*", b"SE*9*"))
    result = runner.invoke(_app(), ["validate", str(path)])
    assert result.exit_code == 1
    assert "segment 12 (SE)" in result.output and "[4]" in result.output
    assert "IK5*R*4~" in result.output  # 999 for a 005010 group


def test_validate_envelope_error_shows_ta1(tmp_path: Path) -> None:
    path = tmp_path / "bad.x12"
    path.write_bytes(build().replace(b"IEA*1*", b"IEA*5*"))
    result = runner.invoke(_app(), ["validate", str(path), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [a["kind"] for a in data["acknowledgements"]] == ["TA1"]
    assert "*R*021~" in data["acknowledgements"][0]["text"]


def test_validate_not_edi(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(b"hello")
    result = runner.invoke(_app(), ["validate", str(path)])
    assert result.exit_code == 1 and "not-edi" in result.output

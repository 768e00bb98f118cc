"""Customers' part numbers: the CSV check and ``edi-gateway xref import|list``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gateway.cli.xref_commands import register
from gateway.customer_items import CustomerItemRef, parse_csv
from gateway.settings import get_settings

PROFILE = """\
id: mercy
name: Mercy Hospital
role: customer
x12: {isa_qualifier: ZZ, isa_id: MERCYHOSP}
odoo: {customer_ref: MERCY}
"""


def test_rows_with_header_kinds_and_explicit_kind() -> None:
    parsed = parse_csv(
        "customer_part,our_item\n"
        "M-778,GAU-1\n"
        "M-779, 00017953755437 \n"
        "M-780,12345678,default_code\n"
        "\n"
        "# a comment\n"
        "M-781,0017953755437,gtin\n"
    )
    assert parsed.errors == []
    assert parsed.items == [
        CustomerItemRef("M-778", "GAU-1", "default_code", 2),
        CustomerItemRef("M-779", "00017953755437", "gtin", 3),
        CustomerItemRef("M-780", "12345678", "default_code", 4),
        CustomerItemRef("M-781", "0017953755437", "gtin", 7),
    ]


def test_every_bad_row_is_named_by_its_line() -> None:
    parsed = parse_csv(
        "M-1,GAU-1\nM-2\n,GAU-2\nM-1,GAU-3\nM-4,00017953755438,gtin\nM-5,GAU-5,sku\nM-6,GAU-6\n"
    )
    assert parsed.errors == [
        "line 2: 1 columns; expected customer part number, our item (default_code or GTIN) "
        "and optionally its kind",
        "line 3: the customer part number is empty",
        "line 4: customer part 'M-1' is already on line 1",
        "line 5: GTIN '00017953755438' check digit is 8, the digits before it give 7",
        "line 6: kind 'sku' is not default_code or gtin",
    ]
    assert [item.customer_part for item in parsed.items] == ["M-1", "M-6"]


def test_an_empty_file_is_an_error() -> None:
    assert parse_csv("customer_part,our_item\n").errors == ["the file has no rows"]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[typer.Typer]:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "mercy.yaml").write_text(PROFILE)
    monkeypatch.setenv("EDIGW_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EDIGW_PROFILES_DIR", str(profiles))
    monkeypatch.delenv("EDIGW_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    yield app
    get_settings.cache_clear()


def test_import_list_and_reimport_replaces(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    first = tmp_path / "first.csv"
    first.write_text("customer_part,our_item\nM-778,GAU-1\nM-779,00017953755437\n")
    result = runner.invoke(cli, ["xref", "import", "mercy", str(first)])
    assert result.exit_code == 0, result.output
    assert "mercy: 2 customer item numbers" in result.output
    listed = runner.invoke(cli, ["xref", "list", "mercy", "--json"])
    assert [json.loads(line) for line in listed.output.splitlines()] == [
        {"customer_part": "M-778", "our_item": "GAU-1", "kind": "default_code"},
        {"customer_part": "M-779", "our_item": "00017953755437", "kind": "gtin"},
    ]
    # when a second file is imported, it replaces the whole table
    second = tmp_path / "second.csv"
    second.write_text("M-900,SYR-1\n")
    assert runner.invoke(cli, ["xref", "import", "mercy", str(second)]).exit_code == 0
    table = runner.invoke(cli, ["xref", "list", "mercy"]).output
    assert "M-900" in table and "SYR-1" in table and "M-778" not in table


def test_a_file_with_errors_imports_nothing(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    good = tmp_path / "good.csv"
    good.write_text("M-778,GAU-1\n")
    assert runner.invoke(cli, ["xref", "import", "mercy", str(good)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("M-1,GAU-1\nM-2,\n")
    result = runner.invoke(cli, ["xref", "import", "mercy", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: line 2: our item is empty" in result.output
    assert "nothing imported (1 errors)" in result.output
    listed = runner.invoke(cli, ["xref", "list", "mercy", "--json"]).output
    assert [json.loads(line)["customer_part"] for line in listed.splitlines()] == ["M-778"]


def test_unknown_partner_is_refused(cli: typer.Typer, tmp_path: Path) -> None:
    file = tmp_path / "x.csv"
    file.write_text("M-1,GAU-1\n")
    result = CliRunner().invoke(cli, ["xref", "import", "nobody", str(file)])
    assert result.exit_code == 1 and "no partner 'nobody'" in result.output

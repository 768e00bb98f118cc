"""Onboarding checks that catch what the full check catches (finding 8)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gateway.cli.edi_commands import register as register_edi
from gateway.cli.partner_commands import register
from gateway.settings import get_settings
from tests.ops.partner_files import purchase_order, write

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    monkeypatch.setenv("EDIGW_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "60")  # narrow: plain output must still not wrap or cut
    for name in ("EDIGW_PROFILES_DIR", "EDIGW_MAPS_DIR", "EDIGW_SHIPPED_PROFILES"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    app = typer.Typer()
    register(app)
    register_edi(app)
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_one_file_is_checked_against_the_configured_partners(
    cli: CliRunner, tmp_path: Path
) -> None:
    # a new profile reusing Keystone's ISA id: only the whole-directory form caught it
    copy = write(
        tmp_path / "copycat.yaml",
        "id: copycat\nname: Copycat\nx12:\n  isa_qualifier: ZZ\n  isa_id: KEYSTONERX\n",
    )
    code, out = invoke(cli, "partners", "validate", str(copy))
    assert code == 1, out
    assert (
        f"error {copy}:5: x12.isa_id: ZZ/KEYSTONERX is already used by partner "
        "'keystone-pharma'" in out
    )
    # editing a configured partner's own file is not a clash with itself
    own = REPO / "partner_profiles" / "keystone-pharma.yaml"
    code, out = invoke(cli, "partners", "validate", str(own))
    assert code == 0, out


def test_every_error_is_listed_in_plain_text(cli: CliRunner, tmp_path: Path) -> None:
    bad = write(
        tmp_path / "Bad Id.yaml",
        "id: 'Bad [b]Id[/b]'\nname: Bad\nx12:\n  isa_qualifier: ZZZ\n  isa_id: BADID\n"
        "acknowledgements:\n  x12: '998'\n",
    )
    code, out = invoke(cli, "partners", "validate", str(bad))
    assert code == 1
    lines = [line for line in out.splitlines() if line.startswith("error ")]
    # no "(and N more error(s))": each error has its own line with file, line and field
    assert [line.split(": ")[0].rsplit(":", 1)[-1] for line in lines] == ["1", "4", "7"]
    assert "more error" not in out
    # rich markup in the messages is shown as written (the pattern keeps its brackets)
    assert "^[a-z0-9][a-z0-9_-]*$" in out
    assert "3 error(s)" in out


def test_map_positions_are_checked_against_the_specs(cli: CliRunner, tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    bad = write(
        maps / "overrides" / "acme" / "856.yaml",
        "extends: x12/004010/856\n"
        "items:\n"
        "  fields:\n"
        "    lot_number: REF99\n"
        "    expiry_date: {segment: DTM, where: {1: '036'}, element: 12, convert: date}\n",
    )
    sibling = write(maps / "overrides" / "other" / "850.yaml", "extends: x12/004010/850\nx: 1\n")
    code, out = invoke(cli, "partners", "validate", str(bad))
    assert code == 1
    assert f"{bad}:4: items.fields.lot_number" in out
    assert "REF has 4 elements in X12 004010; element 99 does not exist" in out
    assert f"{bad}:5: items.fields.expiry_date" in out and "element 12" in out
    # validating one map reports only its own errors, not its sibling's
    assert str(sibling) not in out


def test_edifact_component_positions_are_checked(cli: CliRunner, tmp_path: Path) -> None:
    bad = write(
        tmp_path / "maps" / "overrides" / "acme" / "DESADV.yaml",
        "extends: edifact/D96A/DESADV\nlines:\n  fields:\n    lot_number: GIN02.9\n",
    )
    code, out = invoke(cli, "partners", "validate", str(bad))
    assert code == 1, out
    assert "component 9 does not exist" in out


def test_validate_previews_acknowledgements_from_our_identity(
    cli: CliRunner, tmp_path: Path
) -> None:
    edi = tmp_path / "po.edi"
    edi.write_bytes(purchase_order("KEYSTONERX", 4242))
    code, out = invoke(cli, "validate", str(edi), "--partner", "keystone-pharma")
    assert code == 0, out
    assert "999" in out
    assert "*ZZ*MERIDIANHEALTH " in out and "GATEWAY" not in out

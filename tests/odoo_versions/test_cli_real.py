"""``edi-gateway odoo check / prepare / import-catalog`` as a user runs them, on real Odoo
17 and 19, with partner profiles from a directory; and a user without the groups delivery
needs is told which rights are missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gateway.odoo.check import check_odoo
from gateway.odoo.cli import register
from gateway.odoo.client import OdooClient
from gateway.settings import get_settings

pytestmark = pytest.mark.parametrize("real_odoo", [17, 19], indirect=True)

PROFILE = """\
id: acme-cli
name: Acme CLI Supplies
x12: {isa_qualifier: ZZ, isa_id: ACMECLI}
odoo:
  vendor_ref: ACME-CLI
  uom: {EA: Units, BX: Box}
  uom_sizes: {Box: "24 Units"}
"""
CATALOG = """vendor_part,gtin,description,unit,pack_size,price,tracking,expiry
CLI-1,,CLI GLOVES BOX/24,BX,24,5.50,lot,yes
CLI-2,,CLI TAPE,EA,1,1.25,none,no
"""


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test root."""

    register(app)
    return app


@pytest.fixture
def env(real_odoo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "acme-cli.yaml").write_text(PROFILE)
    for name, value in real_odoo.gateway_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EDIGW_ODOO_API_KEY", raising=False)
    monkeypatch.setenv("EDIGW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EDIGW_PROFILES_DIR", str(profiles))
    monkeypatch.setenv("EDIGW_SHIPPED_PROFILES", "false")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_check_prepare_import_check_from_the_command_line(real_odoo, env: Path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    real_odoo.call("res.users", "write", [real_odoo.uid], {"email": "edi@example.org"})
    # check: fails, names the fix for the vendor and the unit, exit 1
    result = runner.invoke(_app(), ["odoo", "check"])
    assert result.exit_code == 1, result.output
    assert "2 check(s) failed" in result.output
    assert "acme-cli: vendor: edi-gateway odoo prepare --partner acme-cli" in result.output
    assert "acme-cli: unit Box: edi-gateway odoo prepare --partner acme-cli" in result.output
    # prepare --dry-run writes nothing
    result = runner.invoke(_app(), ["odoo", "prepare", "--partner", "acme-cli", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert real_odoo.search_read("res.partner", [["ref", "=", "ACME-CLI"]], ["id"]) == []
    # prepare creates; check passes
    result = runner.invoke(_app(), ["odoo", "prepare", "--partner", "acme-cli"])
    assert result.exit_code == 0, result.output
    assert "1 thing(s) to do by hand" in result.output  # products and prices
    catalog = env / "acme.csv"
    catalog.write_text(CATALOG)
    result = runner.invoke(_app(), ["odoo", "import-catalog", "acme-cli", str(catalog)])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 0 refused" in result.output
    result = runner.invoke(_app(), ["odoo", "check"])
    assert result.exit_code == 0, result.output
    assert "Odoo is ready for EDI delivery (acme-cli)" in result.output
    # an unknown partner id is named
    result = runner.invoke(_app(), ["odoo", "import-catalog", "nobody", str(catalog)])
    assert result.exit_code == 2 and "no enabled partner 'nobody'" in result.output


def test_a_user_without_the_groups_is_told_which_rights_are_missing(real_odoo) -> None:  # type: ignore[no-untyped-def]
    # given an internal user with no purchase/inventory/accounting groups
    group_user = real_odoo.ref("base.group_user")
    groups_field = (
        "group_ids"
        if "group_ids" in real_odoo.call("res.users", "fields_get", [], attributes=["type"])
        else "groups_id"
    )
    real_odoo.create(
        "res.users",
        {
            "name": "EDI without rights",
            "login": "edi-norights",
            "password": "edi-norights-pw",
            "email": "norights@example.org",
            groups_field: [(6, 0, [group_user])],
        },
    )
    # when checked as that user
    with OdooClient(
        real_odoo.url, real_odoo.name, "edi-norights", password="edi-norights-pw"
    ) as client:
        failed = {r.name: r for r in check_odoo(client) if not r.ok}
    # then each denied right is named with the groups to give
    assert "may create purchase.order" in failed and "may create account.move" in failed
    assert failed["may create purchase.order"].detail == "access denied"
    assert "Purchase: User" in failed["may create purchase.order"].fix

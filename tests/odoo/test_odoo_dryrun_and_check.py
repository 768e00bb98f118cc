"""The dry run (no Odoo configured) and ``edi-gateway odoo check``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gateway.odoo.check import check_odoo
from gateway.odoo.cli import register
from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from gateway.odoo.dryrun import DryRunOdoo
from gateway.odoo.factory import make_odoo
from gateway.settings import Settings, get_settings
from tests.odoo.conftest import make_profile
from tests.odoo.documents import acknowledgement, invoice, purchase_order, ship_notice
from tests.support.odoo_double import OdooDouble

PROFILE = make_profile()


def test_make_odoo_without_configuration_is_a_dry_run(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, odoo_url=None)
    odoo = make_odoo(settings)
    assert isinstance(odoo, DryRunOdoo) and odoo.out_dir == settings.dry_run_dir


def test_make_odoo_with_configuration_is_the_client(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        odoo_url="http://odoo:8069",
        odoo_db="prod",
        odoo_user="edi",
        odoo_api_key="k",
    )
    odoo = make_odoo(settings)
    assert isinstance(odoo, OdooClient) and odoo.url == "http://odoo:8069"
    odoo.close()


def test_dry_run_runs_the_whole_path_and_writes_one_file_per_document(tmp_path: Path) -> None:
    # given no Odoo: the gateway delivers into the dry run, one process per document
    outcomes = []
    for document in (purchase_order(), acknowledgement(), ship_notice(), invoice()):
        odoo = DryRunOdoo(tmp_path)
        outcomes.append(deliver(document, profile=PROFILE, odoo=odoo))
    # then every delivery found what the earlier ones made (state is kept between runs)
    po, ack, asn, bill = outcomes
    assert po.exceptions == [] and po.records[0].model == "purchase.order"
    assert [i.kind for i in ack.exceptions] == ["rejected_line"]
    assert asn.exceptions == [] and asn.records[0].model == "stock.picking"
    assert [r.model for r in bill.records] == ["account.move"]
    # and each document's calls are in its own JSON-lines file, in execute_kw form too
    files = sorted(p.name for p in tmp_path.glob("*.jsonl"))
    assert files == [
        "acme_invoice_INV-1.jsonl",
        "acme_order_acknowledgement_PO-1001_ACK-1.jsonl",
        "acme_purchase_order_PO-1001.jsonl",
        "acme_ship_notice_ASN-1.jsonl",
    ]
    calls = [json.loads(x) for x in (tmp_path / "acme_purchase_order_PO-1001.jsonl").open()]
    create = next(c for c in calls if (c["model"], c["method"]) == ("purchase.order", "create"))
    assert create["params"]["vals_list"]["partner_ref"] == "PO-1001"
    assert create["execute_kw"]["args"][0]["partner_ref"] == "PO-1001"
    assert isinstance(create["answer"], int)


def test_check_passes_on_a_complete_odoo(odoo_client: OdooClient) -> None:
    results = check_odoo(odoo_client)
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    names = {r.name for r in results}
    assert {"module product_expiry", "fields of stock.move", "may create account.move"} <= names


def test_check_names_a_missing_module_and_a_denied_right(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    for module in odoo_double.odoo.tables["ir.module.module"].values():
        if module["name"] == "product_expiry":
            module["state"] = "uninstalled"
    odoo_double.odoo.denied_models.add("account.move")
    failed = {r.name: r.detail for r in check_odoo(odoo_client) if not r.ok}
    assert failed == {
        "module product_expiry": "uninstalled",
        "may create account.move": "access denied",
        "may write account.move": "access denied",
    }


def test_check_reports_fields_missing_for_the_version(
    start_odoo_double: Callable[..., OdooDouble],
) -> None:
    # an Odoo 16 server checked with the 17 field names would fail; the dialect asks for 16's
    double = start_odoo_double(16)
    with OdooClient(double.url, double.db, double.user, password=double.password) as client:
        results = {r.name: r for r in check_odoo(client)}
    assert results["fields of stock.move"].ok
    assert results["fields of stock.move.line"].ok


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("EDIGW_DATA_DIR", str(tmp_path))
    for name in ("URL", "DB", "USER", "PASSWORD", "API_KEY"):
        monkeypatch.delenv(f"EDIGW_ODOO_{name}", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test root."""

    register(app)
    return app


def test_cli_check_against_the_double(cli_env: pytest.MonkeyPatch, odoo_double: OdooDouble) -> None:
    cli_env.setenv("EDIGW_ODOO_URL", odoo_double.url)
    cli_env.setenv("EDIGW_ODOO_DB", odoo_double.db)
    cli_env.setenv("EDIGW_ODOO_USER", odoo_double.user)
    cli_env.setenv("EDIGW_ODOO_PASSWORD", odoo_double.password)
    result = CliRunner().invoke(_app(), ["odoo", "check"])
    assert result.exit_code == 0, result.output
    assert "ready for EDI delivery" in result.output
    # a wrong password fails with the reason
    cli_env.setenv("EDIGW_ODOO_PASSWORD", "wrong")
    get_settings.cache_clear()
    result = CliRunner().invoke(_app(), ["odoo", "check"])
    assert result.exit_code == 1 and "refused the login" in result.output


def test_cli_check_without_configuration_says_dry_run(cli_env: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(_app(), ["odoo", "check"])
    assert result.exit_code == 2 and "dry run" in result.output


@pytest.mark.parametrize("major", [18, 19])
def test_check_uses_has_access_from_odoo_18(
    start_odoo_double: Callable[..., OdooDouble], major: int
) -> None:
    double = start_odoo_double(major)
    double.odoo.denied_models.add("stock.lot")
    with OdooClient(double.url, double.db, double.user, api_key=double.api_key) as client:
        failed = [r.name for r in check_odoo(client) if not r.ok]
    assert failed == ["may create stock.lot"]
    assert "stock.lot.has_access" in double.calls()
    assert not any(c.endswith("check_access_rights") for c in double.calls())

"""The dry run (no Odoo configured) and ``edi-gateway odoo check``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gateway.odoo.cli import register
from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from gateway.odoo.dryrun import DryRunOdoo
from gateway.odoo.factory import make_odoo
from gateway.settings import Settings, get_settings
from tests.odoo.conftest import make_profile
from tests.odoo.documents import acknowledgement, invoice, purchase_order, ship_notice

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


def test_cli_check_without_configuration_says_dry_run(cli_env: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(_app(), ["odoo", "check"])
    assert result.exit_code == 2 and "dry run" in result.output

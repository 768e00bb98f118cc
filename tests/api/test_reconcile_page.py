"""Reconciliation on the console and the command line (fast: the dry-run Odoo; the real
Odoo 17 runs the planted inconsistencies in tests/odoo_real/test_reconcile_real.py)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.api.app import create_app
from gateway.celery_app import celery_config
from gateway.cli.main import app as cli_app
from gateway.reconcile import CSV_COLUMNS, reconcile
from gateway.settings import Settings, get_settings
from gateway.store.models import BusinessException
from tests.api.world import World


def _change_the_order_by_hand(world: World) -> int:
    dry = world.runtime.odoo_for("dry-run")
    lines = dry.search_read("purchase.order.line", [], ["id", "product_qty", "order_id"])
    line = min(lines, key=lambda x: x["id"])
    dry.write("purchase.order.line", [line["id"]], {"product_qty": line["product_qty"] + 5})
    return int(line["product_qty"])


def test_report_page_downloads_and_exceptions_once(fresh: World) -> None:
    ordered = _change_the_order_by_hand(fresh)
    report = reconcile(fresh.runtime)
    [finding] = [f for f in report.findings if f.kind == "record_changed"]
    assert finding.po_number == "PO-API-5001" and finding.expected == str(ordered)
    assert finding.received == str(ordered + 5) and finding.exception_id
    assert reconcile(fresh.runtime).raised == 0  # once per finding
    with fresh.runtime.sessions() as s:
        rows = s.scalars(
            select(BusinessException).where(BusinessException.kind == "record_changed")
        ).all()
        assert len(rows) == 1 and rows[0].owner_group == "purchasing"

    with TestClient(create_app(fresh.runtime)) as c:
        page = c.get("/reconcile", headers=fresh.headers("viewer"))
        assert page.status_code == 200
        assert "record_changed" in page.text and "PO-API-5001" in page.text
        assert "the quantity was changed in Odoo" in page.text
        csv_ = c.get("/reconcile.csv", headers=fresh.headers("viewer"))
        assert csv_.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv_.headers["content-disposition"]
        header, *rows_ = csv_.text.strip().splitlines()
        assert header == ",".join(CSV_COLUMNS) and any("record_changed" in r for r in rows_)
        data = c.get("/reconcile.json", headers=fresh.headers("viewer")).json()
        assert [f["kind"] for f in data["findings"]] == [f.kind for f in report.findings]
        # running it from the console is an operator's action
        refused = c.post("/reconcile", headers=fresh.headers("viewer"), data={"csrf": ""})
        assert refused.status_code == 403


def test_cli_reconcile_csv_and_exit_code(fresh: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _change_the_order_by_hand(fresh)
    settings = fresh.runtime.settings
    monkeypatch.setenv("EDIGW_DATA_DIR", str(settings.data_dir))
    for name in ("URL", "DB", "USER", "PASSWORD", "API_KEY"):
        monkeypatch.delenv(f"EDIGW_ODOO_{name}", raising=False)
    monkeypatch.delenv("EDIGW_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["reconcile", "--csv", "--partner", "keystone-pharma"])
        assert result.exit_code == 1, result.output  # findings that need action
        assert result.output.splitlines()[0] == ",".join(CSV_COLUMNS)
        assert "record_changed" in result.output
        as_json = CliRunner().invoke(cli_app, ["reconcile", "--json", "--no-exceptions"])
        assert json.loads(as_json.output)["raised"] == 0
        bad = CliRunner().invoke(cli_app, ["reconcile", "--since", "yesterday"])
        assert bad.exit_code == 2 and "is not a date" in bad.output
    finally:
        get_settings.cache_clear()


def test_the_daily_job_is_scheduled_unless_turned_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    on = celery_config(Settings(data_dir=tmp_path, broker_url=None))
    assert on["beat_schedule"]["reconcile"] == {"task": "gateway.reconcile", "schedule": 86400.0}
    off = celery_config(Settings(data_dir=tmp_path, broker_url=None, reconcile_every_seconds=0))
    assert "reconcile" not in off["beat_schedule"]

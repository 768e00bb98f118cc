"""`edi-gateway demo` against a real Odoo (EDIGW_ODOO_* set) on a freshly prepared database.

The database is prepared with the same JSON-RPC calls the setup in docs/odoo.md describes
(tests/odoo_real/samples.py): vendors, units, currencies, taxes and the sample items, and
(``sale_stock`` installed) the sample customer, its dock and the items it orders, for the
demo's seller side: the hospital's 850 to cash.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.settings import Settings
from tests.conftest import REPO
from tests.odoo_real.samples import prepare_customer, prepare_samples
from tests.support.real_odoo import OdooDatabase

pytestmark = [
    pytest.mark.timeout(900),  # the demo itself may take minutes on a loaded machine
    pytest.mark.parametrize("real_odoo", [{"version": 17, "extra": ["sale_stock"]}], indirect=True),
]


@pytest.fixture(scope="module")
def prepared(real_odoo: OdooDatabase, tmp_path_factory: pytest.TempPathFactory) -> OdooDatabase:
    work = tmp_path_factory.mktemp("prepare")
    runtime = build_runtime(Settings(data_dir=work), dispatcher=InlineDispatcher())
    try:
        prepare_samples(real_odoo, runtime)
        prepare_customer(real_odoo, runtime)
    finally:
        runtime.engine.dispose()
    return real_odoo


def demo(env_extra: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env.update({"EDIGW_DATA_DIR": str(data_dir), "COLUMNS": "200", **env_extra})
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "demo"],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )


def test_demo_passes_against_a_prepared_real_odoo(prepared: OdooDatabase, tmp_path: Path) -> None:
    result = demo(prepared.gateway_env(), tmp_path / "var")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-5000:]
    assert "demo passed" in out and f"Odoo at {prepared.url}" in out
    # and the records are in that Odoo, not in a dry-run outbox
    pickings = prepared.search_read(
        "stock.picking",
        [["state", "=", "done"], ["picking_type_code", "=", "incoming"]],
        ["origin"],
    )
    assert len(pickings) == 2  # Summit's 856 and Nordlicht's DESADV
    bills = prepared.search_read(
        "account.move", [["move_type", "=", "in_invoice"]], ["ref", "state"]
    )
    assert {b["ref"]: b["state"] for b in bills} == {
        "NL-RE-26-30551": "posted",
        "KINV-771205": "draft",  # billed before receipt: left for procurement
    }
    # the seller side: the hospital's order confirmed, delivered in two, invoiced, in Odoo
    assert "sent to lakeside-hospital: 855, 856, 856, 810" in out
    assert "our documents: accepted, accepted, accepted, accepted" in out
    assert "line statuses (ACK01): IA, IA, IB" in out
    [order] = prepared.search_read(
        "sale.order", [["client_order_ref", "=", "LRH-PO-240871"]], ["state", "name"]
    )
    assert order["state"] == "sale"
    deliveries = prepared.search_read(
        "stock.picking", [["sale_id", "=", order["id"]]], ["state", "backorder_id"]
    )
    assert sorted(d["state"] for d in deliveries) == ["done", "done"]
    assert sum(1 for d in deliveries if d["backorder_id"]) == 1
    invoices = prepared.search_read(
        "account.move", [["move_type", "=", "out_invoice"]], ["state", "invoice_origin"]
    )
    assert [(i["state"], i["invoice_origin"]) for i in invoices] == [("posted", order["name"])]


def test_demo_does_not_pass_when_a_document_failed(prepared: OdooDatabase, tmp_path: Path) -> None:
    env = {**prepared.gateway_env(), "EDIGW_ODOO_PASSWORD": "not-the-password"}
    result = demo(env, tmp_path / "var")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out[-3000:]
    assert "demo passed" not in out and "demo found problems" in out

"""`edi-gateway demo` against a real Odoo (EDIGW_ODOO_* set) on a freshly prepared database.

The database is prepared with the same JSON-RPC calls the setup in docs/odoo.md describes
(tests/odoo_real/samples.py): vendors, units, currencies, taxes and the sample items.
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
from tests.odoo_real.samples import prepare_samples
from tests.support.real_odoo import OdooDatabase

pytestmark = pytest.mark.timeout(600)  # the demo itself may take minutes on a loaded machine


@pytest.fixture(scope="module")
def prepared(real_odoo: OdooDatabase, tmp_path_factory: pytest.TempPathFactory) -> OdooDatabase:
    work = tmp_path_factory.mktemp("prepare")
    runtime = build_runtime(Settings(data_dir=work), dispatcher=InlineDispatcher())
    try:
        prepare_samples(real_odoo, runtime)
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
    pickings = prepared.search_read("stock.picking", [["state", "=", "done"]], ["origin"])
    assert len(pickings) == 2  # Summit's 856 and Nordlicht's DESADV
    bills = prepared.search_read(
        "account.move", [["move_type", "=", "in_invoice"]], ["ref", "state"]
    )
    assert {b["ref"]: b["state"] for b in bills} == {
        "NL-RE-26-30551": "posted",
        "KINV-771205": "draft",  # billed before receipt: left for procurement
    }


def test_demo_does_not_pass_when_a_document_failed(prepared: OdooDatabase, tmp_path: Path) -> None:
    env = {**prepared.gateway_env(), "EDIGW_ODOO_PASSWORD": "not-the-password"}
    result = demo(env, tmp_path / "var")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out[-3000:]
    assert "demo passed" not in out and "demo found problems" in out

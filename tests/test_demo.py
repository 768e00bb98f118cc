"""`edi-gateway demo` (the README's first command) runs end to end and says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_demo_plays_every_sample_partner_and_exits_zero(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env.update({"EDIGW_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "160"})
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "demo"],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert "demo passed" in out
    assert "MDN processed, signed, MIC matches" in out  # Summit's AS2 856
    assert "999 accepted (sent)" in out and "CONTRL rejected (sent)" in out
    assert "stock.picking" in out and "account.move" in out and "purchase.order" in out
    assert "AK9*A*1*1*1" in out  # Summit's 997 came back over AS2
    # the seller side: the hospital's 850 to cash on the dry-run Odoo
    assert "line statuses (ACK01): IA, IA, IB" in out
    assert "validated with a backorder for the rest" in out
    assert "sent to lakeside-hospital: 855, 856, 856, 810" in out
    assert "our documents: accepted, accepted, accepted, accepted" in out  # their 997s
    assert "lot GLV-2409A exp 2027-09-30" in out and "invoice INV/" in out
    # the dry-run outbox recorded the calls per delivered document
    outbox = tmp_path / "var" / "demo" / "odoo-outbox"
    assert any(p.suffix == ".jsonl" and p.stat().st_size for p in outbox.iterdir())


def test_demo_fails_when_a_document_goes_wrong(tmp_path: Path) -> None:
    # a profile directory that disables a partner makes its documents go unanswered
    site = tmp_path / "site"
    site.mkdir()
    profile = (REPO / "partner_profiles" / "keystone-pharma.yaml").read_text()
    (site / "keystone-pharma.yaml").write_text(
        profile.replace("name: Keystone", "enabled: false\nname: Keystone")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env.update({"EDIGW_DATA_DIR": str(tmp_path / "var"), "EDIGW_PROFILES_DIR": str(site)})
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "demo"],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, (result.stdout + result.stderr)[-3000:]
    assert "demo found problems" in result.stdout

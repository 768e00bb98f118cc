"""Duplicates keep their partner and point at the first message; a replay that turns
out to be a duplicate says so (finding 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway.store.db import session_scope
from gateway.store.models import Message
from tests.api.world import make_world
from tests.ops.partner_files import purchase_order


def test_duplicate_keeps_partner_and_points_at_the_first(tmp_path: Path) -> None:
    world = make_world(tmp_path, documents=False)
    data = purchase_order("KEYSTONERX", 3101)
    first = world.feed("first", data, "po.edi")
    again = world.feed("again", data, "po-again.edi")
    with session_scope(world.runtime.sessions) as session:
        row = session.get(Message, again)
        assert row is not None
        assert row.state == "duplicate"
        assert row.partner_id == "keystone-pharma"
        assert row.duplicate_of == first


def test_replay_of_a_message_that_is_a_duplicate_says_so(tmp_path: Path) -> None:
    edi = tmp_path / "po.edi"
    edi.write_bytes(purchase_order("KEYSTONERX", 3102))
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env["EDIGW_DATA_DIR"] = str(tmp_path / "var")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gateway.cli.main", *args],
            check=False,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    fed = cli("ingest", str(edi))
    assert fed.returncode == 0, fed.stderr
    assert "total: 1 file(s): 1 split; 1 transaction(s): 1 delivered" in fed.stdout
    replayed = cli("replay", "1", "--message")
    assert replayed.returncode == 1
    assert replayed.stdout.startswith(
        "message 1 replayed as message 2: a duplicate of message 1"
    ), replayed.stdout
    listing = cli("messages", "show", "2", "--json")
    assert '"partner_id": "keystone-pharma"' in listing.stdout
    assert '"duplicate_of": 1' in listing.stdout
    with_totals = cli("ingest", "--quiet", str(edi))
    assert with_totals.stdout.strip() == (
        "total: 1 file(s): 1 duplicate; 0 transaction(s): none"
    ), with_totals.stdout

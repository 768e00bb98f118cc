"""Killing the worker at each step of sending an order sends it exactly once.

A real Odoo 17 holds one confirmed order for the EDI vendor Summit; the gateway's store
is a fresh PostgreSQL database per case. A worker process
(``tests/odoo_real/outbound_worker.py``: the scheduler's outbound round, the send stage
through the runner, forked from a fork server that imported it once:
``tests/support/forked.py``) is SIGKILLed at one step; a second worker then runs the
round again as the scheduler would after ``stalled_after_seconds``. Whatever the step, the partner
ends with one interchange: every copy its outbox accepted is the same bytes under the
same control numbers an undisturbed run uses, the order is ``sent`` once, and one
outbound message is on record.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from gateway.engines import parse_payload
from gateway.pipeline.build import build_runtime
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.store.models import Message, OutboundOrder
from tests.conftest import REPO
from tests.odoo_real.samples import summit_order
from tests.support.forked import Forker

pytestmark = [pytest.mark.real_odoo, pytest.mark.slow, pytest.mark.timeout(600)]

STEPS = ["written", "queued", "before-send", "after-send", "recording"]
WORKERS = Forker("tests.odoo_real.outbound_worker:main")


@pytest.fixture(scope="module")
def odoo_order(real_odoo):  # type: ignore[no-untyped-def]
    _, name = summit_order(real_odoo)
    return real_odoo, name


def undated(data: bytes) -> list[list[str]]:
    """The interchange's segments with the writing date and time blanked."""
    segments = [seg.split("*") for seg in data.decode().replace("\n", "").split("~") if seg]
    for seg in segments:
        if seg[0] == "ISA":
            seg[9] = seg[10] = ""
        elif seg[0] == "GS":
            seg[4] = seg[5] = ""
    return segments


class Site:
    """One gateway installation (profiles, data dir, store) and its worker processes."""

    def __init__(self, work: Path, database_url: str, db: Any) -> None:
        self.work, self.db = work, db
        profiles = work / "profiles"
        profiles.mkdir(parents=True)
        profile = yaml.safe_load((REPO / "partner_profiles" / "summit-medical.yaml").read_text())
        profile.pop("as2", None)
        profile.pop("maps", None)
        profile["sftp"] = {"hosted": {"username": "summit"}}
        profile["outbound"] = {"purchase_order": {"transport": "sftp"}}
        profile["odoo"]["uom"] = {"EA": "Units", "BX": "Box"}
        (profiles / "summit-medical.yaml").write_text(yaml.safe_dump(profile))
        self.env = {
            **os.environ,
            "EDIGW_DATA_DIR": str(work / "var"),
            "EDIGW_DATABASE_URL": database_url,
            "EDIGW_PROFILES_DIR": str(profiles),
            "EDIGW_ODOO_URL": db.url,
            "EDIGW_ODOO_DB": db.name,
            "EDIGW_ODOO_USER": db.login,
            "EDIGW_ODOO_PASSWORD": db.password,
            "EDIGW_TASK_BACKOFF_SECONDS": "0.01",
            "EDIGW_STALLED_AFTER_SECONDS": "0",
        }
        self.log = work / "partner-received.jsonl"
        settings = Settings(
            data_dir=work / "var", database_url=database_url, profiles_dir=str(profiles)
        )
        self.runtime = build_runtime(settings)  # creates the store's tables

    def worker(self, step: str) -> subprocess.CompletedProcess[str]:
        """One scheduler round in a worker process (forked: tests/support/forked.py)."""
        return WORKERS.run(["outbound_worker", step, str(self.log)], self.env, timeout=300)

    def received(self) -> list[dict[str, str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def outbox(self) -> list[Path]:
        return sorted((self.work / "var" / "sftp" / "summit-medical" / "outbox").glob("850_*"))

    def state(self) -> dict[str, Any]:
        with session_scope(self.runtime.sessions) as session:
            orders = session.scalars(select(OutboundOrder)).all()
            sent = session.scalar(
                select(func.count()).select_from(Message).where(Message.direction == "out")
            )
            return {
                "orders": [(o.business_key, o.state, o.interchange_control) for o in orders],
                "messages_out": sent,
            }

    def close(self) -> None:
        self.runtime.engine.dispose()


@pytest.fixture
def site(tmp_path: Path, postgres_url: str, odoo_order):  # type: ignore[no-untyped-def]
    db, _ = odoo_order
    made = Site(tmp_path, postgres_url, db)
    yield made
    made.close()


@pytest.fixture(scope="module")
def undisturbed(odoo_order, tmp_path_factory, postgres_server_url):  # type: ignore[no-untyped-def]
    """What one undisturbed round sends: the reference every killed case must equal."""
    import uuid

    import sqlalchemy
    from sqlalchemy.engine import make_url

    db, po = odoo_order
    name = f"edigw_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        base = Site(tmp_path_factory.mktemp("undisturbed"), url, db)
        done = base.worker("none")
        assert done.returncode == 0, done.stdout + done.stderr
        (copy,) = base.received()
        (file,) = base.outbox()
        state = base.state()
        base.close()
        return {"copy": copy, "bytes": file.read_bytes(), "state": state, "po": po}
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_undisturbed_round_sends_the_order_once(undisturbed) -> None:  # type: ignore[no-untyped-def]
    po = undisturbed["po"]
    (interchange,) = parse_payload(undisturbed["bytes"]).interchanges
    assert f"BEG*00*SA*{po}*" in undisturbed["bytes"].decode()
    assert undisturbed["state"]["orders"] == [(po, "sent", str(int(interchange.control_number)))]
    assert undisturbed["state"]["messages_out"] == 1


@pytest.mark.parametrize("step", STEPS)
def test_worker_killed_at_each_step_sends_the_order_once(step, site, undisturbed) -> None:  # type: ignore[no-untyped-def]
    # when the worker is killed at this step
    killed = site.worker(step)
    assert killed.returncode == -signal.SIGKILL, (
        f"the worker was not killed at {step!r}: {killed.stdout}{killed.stderr}"
    )
    # and the scheduler's next round runs in a new worker
    recovered = site.worker("none")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    # then the partner holds one interchange: every copy the same bytes, and those the
    # undisturbed run's but for the time of writing (ISA09/10, GS04/05)
    copies = site.received()
    assert copies and len({c["sha256"] for c in copies}) == 1
    assert {c["file"] for c in copies} == {undisturbed["copy"]["file"]}
    (file,) = site.outbox()
    assert undated(file.read_bytes()) == undated(undisturbed["bytes"])
    # a copy reached the partner twice only where the first send's answer was lost
    assert len(copies) == (2 if step in ("after-send", "recording") else 1)
    # and the gateway recorded one send, under the undisturbed control numbers
    assert site.state() == undisturbed["state"]
    # a further round sends nothing
    again = site.worker("none")
    assert again.returncode == 0 and len(site.received()) == len(copies)

"""A running ``edi-gateway run`` picks up new partners without a restart (finding 3):
through ``edi-gateway partners reload`` (the API), SIGHUP, and a file change — each
checked by the worker process accepting the new partner's traffic.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from gateway.store.models import Event, Message, Transaction
from tests.ops.gateway_process import Gateway, gateway_env, running_gateway
from tests.ops.partner_files import profile_text, purchase_order, write

pytestmark = pytest.mark.slow


def _final_states(gw: Gateway, message_id: int, timeout: float = 60) -> list[str]:
    """The message's transaction states once none is moving any more."""
    engine = create_engine(f"sqlite:///{gw.env['EDIGW_DATA_DIR']}/gateway.db")
    deadline = time.monotonic() + timeout
    states: list[str] = []
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                states = list(
                    conn.scalars(
                        select(Transaction.state).where(Transaction.message_id == message_id)
                    )
                )
                message_state = conn.scalar(select(Message.state).where(Message.id == message_id))
            if states and all(s in ("delivered", "rejected", "business_exception") for s in states):
                return states
            if message_state == "rejected":
                return ["message rejected"]
            time.sleep(0.3)
    finally:
        engine.dispose()
    raise AssertionError(f"message {message_id} still at {states}:\n{gw.output()[-3000:]}")


def _ingest(gw: Gateway, tmp_path: Path, isa_id: str, number: int) -> int:
    path = tmp_path / f"{isa_id}-{number}.edi"
    path.write_bytes(purchase_order(isa_id, number))
    done = gw.cli("ingest", str(path), "--queue", "--json")
    assert done.returncode == 0, done.stderr
    import json

    return int(json.loads(done.stdout)[0]["id"])


def _reload_events(gw: Gateway) -> list[tuple[str, str]]:
    engine = create_engine(f"sqlite:///{gw.env['EDIGW_DATA_DIR']}/gateway.db")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Event.actor, Event.detail).where(Event.kind == "partners_reloaded")
            ).all()
    finally:
        engine.dispose()
    return [(r.actor, r.detail) for r in rows]


def test_cli_reload_and_sighup_reach_the_running_worker(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    env = gateway_env(tmp_path, EDIGW_PROFILES_DIR=str(profiles), EDIGW_WATCH_CONFIG="false")
    with running_gateway(tmp_path, env=env) as gw:
        # the worker has loaded its partners (it is busy with a shipped partner's 850)
        assert _final_states(gw, _ingest(gw, tmp_path, "KEYSTONERX", 8000)) == ["delivered"]
        # a partner written while the gateway runs is unknown to the worker...
        write(profiles / "cliadd.yaml", profile_text("cliadd", "CLIADDRX"))
        assert _final_states(gw, _ingest(gw, tmp_path, "CLIADDRX", 8001)) == ["rejected"]
        # ...until `edi-gateway partners reload` asks the running gateway through its API
        answer = gw.cli("partners", "reload")
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.startswith("reloaded: ")
        time.sleep(1.5)  # the worker looks for a new generation every 0.5 s
        assert _final_states(gw, _ingest(gw, tmp_path, "CLIADDRX", 8002)) == ["delivered"]
        # SIGHUP to `run` does the same
        write(profiles / "hupadd.yaml", profile_text("hupadd", "HUPADDRX"))
        gw.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while not any(a == "signal:SIGHUP" for a, _ in _reload_events(gw)):
            assert time.monotonic() < deadline, gw.output()
            time.sleep(0.2)
        time.sleep(1.5)
        assert _final_states(gw, _ingest(gw, tmp_path, "HUPADDRX", 8003)) == ["delivered"]
        assert gw.process.poll() is None, "SIGHUP does not stop run"


def test_a_changed_file_is_picked_up_by_the_running_worker(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    env = gateway_env(tmp_path, EDIGW_PROFILES_DIR=str(profiles))
    with running_gateway(tmp_path, env=env) as gw:
        assert _final_states(gw, _ingest(gw, tmp_path, "KEYSTONERX", 9000)) == ["delivered"]
        write(profiles / "watched.yaml", profile_text("watched", "WATCHEDRX"))
        deadline = time.monotonic() + 20
        while not any(a == "file-watch" for a, _ in _reload_events(gw)):
            assert time.monotonic() < deadline, gw.output()
            time.sleep(0.2)
        time.sleep(1.5)
        assert _final_states(gw, _ingest(gw, tmp_path, "WATCHEDRX", 9001)) == ["delivered"]

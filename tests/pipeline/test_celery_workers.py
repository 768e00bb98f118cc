"""The pipeline on real Celery workers with Redis and PostgreSQL.

One test runs Celery's in-process test worker; the other runs ``celery worker`` as a
separate process, kills it with SIGKILL while it is in the middle of an Odoo delivery,
starts it again, and checks every transaction is delivered and acknowledged exactly once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.intake import ReceivedPayload
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import CeleryDispatcher
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.store.audit_trail import verify_chains
from gateway.store.models import Acknowledgement, Delivery, Transaction
from tests.conftest import REPO
from tests.pipeline.conftest import fixture_bytes
from tests.support.odoo_double import OdooDouble, start_odoo_double

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

NDC_PRODUCTS = {
    "00338004904": "Sodium chloride 0.9% 1000 ml",
    "00264780000": "Dextrose 5% 1000 ml",
    "00409127201": "Heparin lock flush 10 units/ml",
}


def purchase_orders(count: int) -> list[bytes]:
    """Distinct Keystone 850s: own PO numbers and control numbers."""
    template = fixture_bytes("keystone-pharma", "850_purchase_order.edi")
    files = []
    for n in range(count):
        files.append(
            template.replace(b"000088120", f"{700000 + n:09d}".encode())
            .replace(b"*88120*", f"*{7000 + n}*".encode())
            .replace(b"GE*1*88120", f"GE*1*{7000 + n}".encode())
            .replace(b"KPW-PO-88120", f"KPW-PO-{7000 + n}".encode())
        )
    return files


def seeded_double() -> OdooDouble:
    double = start_odoo_double(17)
    double.add_vendor("Keystone Pharmaceutical Wholesale", "KEYSTONE")
    for barcode, name in NDC_PRODUCTS.items():
        double.add_product(name, barcode=barcode)
    return double


def settings_for(
    tmp_path: Path, database_url: str, broker_url: str, double: OdooDouble, queue: str
) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        broker_url=broker_url,
        queue_name=queue,
        odoo_url=double.url,
        odoo_db=double.db,
        odoo_user=double.user,
        odoo_password=double.password,
        task_backoff_seconds=0.5,
        stalled_after_seconds=5,
        broker_visibility_timeout=5,
    )


def env_for(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env.update(
        {
            "EDIGW_DATA_DIR": str(settings.data_dir),
            "EDIGW_DATABASE_URL": settings.resolved_database_url,
            "EDIGW_BROKER_URL": settings.resolved_broker_url,
            "EDIGW_ODOO_URL": settings.odoo_url or "",
            "EDIGW_ODOO_DB": settings.odoo_db or "",
            "EDIGW_ODOO_USER": settings.odoo_user or "",
            "EDIGW_ODOO_PASSWORD": settings.odoo_password.get_secret_value()
            if settings.odoo_password
            else "",
            "EDIGW_TASK_BACKOFF_SECONDS": "0.5",
            "EDIGW_STALLED_AFTER_SECONDS": "5",
            "EDIGW_BROKER_VISIBILITY_TIMEOUT": "5",
            "EDIGW_QUEUE_NAME": settings.queue_name,
        }
    )
    return env


def wait_for(runtime: Runtime, done: Callable[[Any], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.sessions() as s:
            if done(s):
                return
        time.sleep(0.3)
    with runtime.sessions() as s:
        states = s.execute(select(Transaction.id, Transaction.state, Transaction.error)).all()
    raise AssertionError(f"pipeline did not finish in {timeout}s: {states}")


def all_delivered(count: int) -> Callable[[Any], bool]:
    def check(s: Any) -> bool:
        states = s.scalars(select(Transaction.state)).all()
        acks = s.scalar(select(func.count()).select_from(Acknowledgement)) or 0
        return len(states) == count and set(states) == {"delivered"} and acks == count

    return check


def test_in_process_celery_worker_on_redis(
    tmp_path: Path, postgres_url: str, redis_url: str, queue_name: str
) -> None:
    from celery.contrib.testing.worker import start_worker

    from gateway.celery_app import make_celery
    from gateway.tasks import set_worker_runtime

    double = seeded_double()
    try:
        settings = settings_for(tmp_path, postgres_url, redis_url, double, queue_name)
        app = make_celery(settings)
        runtime = build_runtime(settings, dispatcher=CeleryDispatcher(app))
        set_worker_runtime(runtime)
        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            queues=[queue_name],
            shutdown_timeout=30,
        ):
            for data in purchase_orders(3):
                StoreIntake(runtime).receive(ReceivedPayload(data=data, transport="cli"))
            wait_for(runtime, all_delivered(3), 60)
        assert len(double.records("purchase.order")) == 3
    finally:
        set_worker_runtime(None)
        double.stop()


def start_worker_process(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "gateway.celery_app",
        "worker",
        "-Q",
        settings.queue_name,
        "--pool",
        "threads",
        "--concurrency",
        "2",
        "--beat",
        "-s",
        str(settings.data_dir / "beat-schedule"),
        "--loglevel",
        "INFO",
    ]
    # its own process group: the embedded beat is a child process, and a crash (systemd's
    # control-group kill, a container dying) takes it too - a SIGKILL of the worker alone
    # left the beat running as an orphan that fought the next worker's beat over the
    # schedule file, which killed that beat and with it the stalled-work sweep
    return subprocess.Popen(
        cmd,
        env=env_for(settings),
        cwd=REPO,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_worker(worker: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send ``sig`` to the worker and its children (the embedded beat)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, sig)


def test_worker_killed_mid_delivery_finishes_every_transaction_exactly_once(
    tmp_path: Path, postgres_url: str, redis_url: str, queue_name: str
) -> None:
    count = 6
    double = seeded_double()
    arrived, release = threading.Event(), threading.Event()
    original = double.handle_jsonrpc

    def slow_create(payload: Any) -> Any:
        # hold the first purchase order create until the worker has been killed;
        # the create then completes in "Odoo" with nobody left to record it
        args = payload.get("params", {}).get("args", [])
        if args[3:5] == ["purchase.order", "create"] and not arrived.is_set():
            arrived.set()
            release.wait(30)
        return original(payload)

    double.handle_jsonrpc = slow_create  # type: ignore[method-assign]
    settings = settings_for(tmp_path, postgres_url, redis_url, double, queue_name)
    runtime = build_runtime(settings, dispatcher=CeleryDispatcher(_app(settings)))
    log = tmp_path / "worker.log"
    worker = start_worker_process(settings, log)
    try:
        for data in purchase_orders(count):
            StoreIntake(runtime).receive(ReceivedPayload(data=data, transport="cli"))
        assert arrived.wait(60), log.read_text()[-3000:]
        # given a worker in the middle of delivering: kill it without mercy
        kill_worker(worker, signal.SIGKILL)
        worker.wait(10)
        release.set()
        # when it is started again
        worker = start_worker_process(settings, log)
        # then everything completes, once
        wait_for(runtime, all_delivered(count), 120)
        with runtime.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Delivery)) == count
            acks = s.scalars(select(Acknowledgement.acknowledged_control_number)).all()
            assert len(acks) == len(set(acks)) == count
        refs = sorted(po["partner_ref"] for po in double.records("purchase.order"))
        assert refs == sorted(f"KPW-PO-{7000 + n}" for n in range(count))
        # and the audit trail the worker processes wrote at once is one intact chain each
        report = verify_chains(runtime.engine)
        assert report.intact and report.chains >= count, report.breaks
    finally:
        release.set()
        kill_worker(worker, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            kill_worker(worker, signal.SIGKILL)
        double.stop()
        runtime.engine.dispose()


def _app(settings: Settings) -> Any:
    from gateway.celery_app import make_celery

    return make_celery(settings)


@pytest.mark.parametrize("pool", ["threads", "prefork"])
def test_a_worker_process_builds_its_runtime_before_its_first_task(
    tmp_path: Path, postgres_url: str, redis_url: str, queue_name: str, pool: str
) -> None:
    from gateway.store.models import Event

    double = seeded_double()
    settings = settings_for(tmp_path, postgres_url, redis_url, double, queue_name)
    runtime = build_runtime(settings)
    log = tmp_path / "worker.log"
    # given a worker started with nothing queued and no scheduler to queue anything
    cmd = [sys.executable, "-m", "celery", "-A", "gateway.celery_app", "worker", "-Q"]
    cmd += [queue_name, "--pool", pool, "--concurrency", "1", "--loglevel", "INFO"]
    worker = subprocess.Popen(
        cmd, env=env_for(settings), cwd=REPO, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    try:
        # then the process that runs tasks builds its runtime anyway: the versions of the
        # partner profiles it loaded are in the audit trail without a task having run
        def profiles_recorded(s: Any) -> bool:
            kinds = s.scalars(select(Event.kind).where(Event.kind == "profile_loaded")).all()
            return len(kinds) > 0

        wait_for(runtime, profiles_recorded, 60)
        assert "Task gateway." not in log.read_text()
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        double.stop()
        runtime.engine.dispose()

"""Exactly once, decisions included, against a real Odoo: answers dropped, workers killed.

Each case runs a sample chain with the deliveries done by real worker processes
(``tests/odoo_real/worker.py``: the deliver stage as a Celery worker runs it). A proxy
between the worker and Odoo lets one write call through to Odoo — which commits it — and
swallows its answer; the test then kills the worker with SIGKILL, recovers the stalled
transaction as the scheduler does, and lets a new worker finish. The end state in Odoo
and in the store must equal the same chain run undisturbed, every time.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.pipeline.dispatch import InlineDispatcher, Next
from gateway.pipeline.operations import recover_stalled
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.store.models import BusinessException, Transaction
from tests.conftest import REPO
from tests.odoo_real.proxy import DroppingProxy
from tests.odoo_real.samples import fixture_bytes, prepare_samples, sample_site
from tests.support.real_odoo import OdooDatabase

pytestmark = [pytest.mark.real_odoo, pytest.mark.slow, pytest.mark.timeout(900)]
VERSION = 17

KEYSTONE = [
    ("keystone-pharma", "850_purchase_order.edi"),
    ("keystone-pharma", "856_ship_notice.edi"),
    ("keystone-pharma", "810_invoice.edi"),
]
# billed before anything was received: the bill stays a draft with a note, two exceptions
BILL_FIRST = [
    ("keystone-pharma", "850_purchase_order.edi"),
    ("keystone-pharma", "810_invoice.edi"),
]
SUMMIT_ACK = [("summit-medical", "855_po_ack.edi")]  # after our order was placed

CASES = [
    pytest.param(KEYSTONE, "purchase.order.create", id="order-create"),
    pytest.param(KEYSTONE, "stock.move.write", id="move-line-write"),
    pytest.param(KEYSTONE, "stock.backorder.confirmation.process", id="backorder-process"),
    pytest.param(KEYSTONE, "account.move.create", id="bill-create"),
    pytest.param(KEYSTONE, "account.move.action_post", id="bill-action_post"),
    pytest.param(SUMMIT_ACK, "purchase.order.message_post", id="ack-chatter-note"),
    pytest.param(BILL_FIRST, "account.move.message_post", id="bill-checks-failed-note"),
]


class HoldDeliveries(InlineDispatcher):
    """Runs every stage in the test process except deliver, which a worker process runs."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[int] = []

    def dispatch(self, items: Any) -> None:
        rest = []
        for item in items:
            if isinstance(item, Next) and item.stage == "deliver":
                self.held.append(int(item.args[0]))
            else:
                rest.append(item)
        super().dispatch(rest)


class Chain:
    """A sample chain against one fresh database, deliveries in worker processes."""

    def __init__(self, db: OdooDatabase, work: Path) -> None:
        self.db = db
        self.work = work
        self.dispatcher = HoldDeliveries()
        self.settings = Settings(
            data_dir=work / "var",
            database_url=f"sqlite:///{work / 'store.db'}",
            profiles_dir=str(sample_site(work)),
            odoo_url=db.url,
            odoo_db=db.name,
            odoo_user=db.login,
            odoo_password=db.password,
            task_backoff_seconds=0.01,
        )
        self.runtime: Runtime = build_runtime(self.settings, dispatcher=self.dispatcher)
        self.samples = prepare_samples(db, self.runtime)

    def worker(self, txn_id: int, odoo_url: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "EDIGW_DATA_DIR": str(self.settings.data_dir),
            "EDIGW_DATABASE_URL": str(self.settings.database_url),
            "EDIGW_PROFILES_DIR": str(self.settings.profiles_dir),
            "EDIGW_ODOO_URL": odoo_url,
            "EDIGW_ODOO_DB": self.db.name,
            "EDIGW_ODOO_USER": self.db.login,
            "EDIGW_ODOO_PASSWORD": self.db.password,
            "EDIGW_ODOO_TIMEOUT_SECONDS": "120",
        }
        return subprocess.Popen(
            [sys.executable, "-m", "tests.odoo_real.worker", str(txn_id)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def deliver_held(self, odoo_url: str) -> None:
        while self.dispatcher.held:
            txn_id = self.dispatcher.held.pop(0)
            proc = self.worker(txn_id, odoo_url)
            out, _ = proc.communicate(timeout=300)
            assert proc.returncode == 0, out.decode(errors="replace")[-3000:]

    def run(self, files: list[tuple[str, str]], trap: str | None = None) -> bool:
        """Send the files; with ``trap``, kill the worker whose call it is. True if killed."""
        from gateway.intake import ReceivedPayload
        from gateway.pipeline.intake import StoreIntake

        if files == SUMMIT_ACK:
            from gateway.demo import seed_our_orders

            seed_our_orders(self.runtime)  # our order, placed earlier (not under test)
        killed = False
        proxy = DroppingProxy(self.db.url) if trap else None
        try:
            for partner, name in files:
                StoreIntake(self.runtime).receive(
                    ReceivedPayload(
                        data=fixture_bytes(partner, name), transport="cli", filename=name
                    )
                )
                self.dispatcher.drain(max_wait=1)
                if proxy is None or killed:
                    self.deliver_held(self.db.url)
                    continue
                proxy.trap(trap or "")
                while self.dispatcher.held:
                    txn_id = self.dispatcher.held.pop(0)
                    proc = self.worker(txn_id, proxy.url)
                    killed = self._kill_when_tripped(proc, proxy)
                    if killed:
                        # the scheduler finds the claim of the dead worker and re-queues it
                        # (as if its stall time had passed)
                        stalled = recover_stalled(self.runtime, older_than=dt.timedelta(seconds=-5))
                        assert stalled >= 1
                        self.dispatcher.drain(max_wait=1)
                        self.deliver_held(self.db.url)
        finally:
            if proxy is not None:
                proxy.stop()
        return killed

    @staticmethod
    def _kill_when_tripped(proc: subprocess.Popen[bytes], proxy: DroppingProxy) -> bool:
        while proc.poll() is None:
            if proxy.tripped.wait(0.1):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(30)
                return True
        assert proc.returncode == 0, (proc.stdout.read() if proc.stdout else b"")[-3000:]
        return False

    def end_state(self) -> dict[str, Any]:
        """Everything a person would look at, without ids or timestamps."""
        db, vendors = self.db, self.samples.vendors
        uom = "product_uom" if db.version < 19 else "product_uom_id"
        state: dict[str, Any] = {"orders": [], "pickings": [], "bills": [], "notes": []}
        for order in db.search_read(
            "purchase.order",
            [["partner_id", "in", list(vendors.values())]],
            ["name", "state", "partner_ref", "amount_total"],
            order="id",
        ):
            lines = db.search_read(
                "purchase.order.line",
                [["order_id", "=", order["id"]]],
                [
                    "product_id",
                    "product_qty",
                    "price_unit",
                    uom,
                    "qty_received",
                    "qty_invoiced",
                    "date_planned",
                ],
                order="id",
            )
            state["orders"].append(
                (
                    order["name"],
                    order["state"],
                    order["partner_ref"],
                    order["amount_total"],
                    [tuple(str(x[k]) for k in sorted(x) if k != "id") for x in lines],
                )
            )
        for picking in db.search_read(
            "stock.picking",
            [["partner_id", "in", list(vendors.values())]],
            ["name", "state", "origin", "backorder_id"],
            order="id",
        ):
            moves = db.search_read(
                "stock.move.line",
                [["picking_id", "=", picking["id"]]],
                ["product_id", "lot_name", "lot_id", "quantity", "picked"],
                order="id",
            )
            state["pickings"].append(
                (
                    picking["name"],
                    picking["state"],
                    picking["origin"],
                    str(picking["backorder_id"]),
                    sorted(tuple(str(m[k]) for k in sorted(m) if k != "id") for m in moves),
                )
            )
        for bill in db.search_read(
            "account.move",
            [["move_type", "=", "in_invoice"]],
            ["name", "state", "ref", "amount_untaxed", "amount_total", "currency_id"],
            order="id",
        ):
            lines = db.search_read(
                "account.move.line",
                [["move_id", "=", bill["id"]], ["display_type", "=", "product"]],
                ["product_id", "quantity", "price_unit", "product_uom_id", "purchase_line_id"],
                order="id",
            )
            state["bills"].append(
                (
                    bill["name"],
                    bill["state"],
                    bill["ref"],
                    bill["amount_untaxed"],
                    bill["amount_total"],
                    str(bill["currency_id"]),
                    [tuple(str(x[k]) for k in sorted(x) if k != "id") for x in lines],
                )
            )
        for note in db.search_read(
            "mail.message", [["body", "ilike", "[EDI "]], ["model", "body"], order="id"
        ):
            state["notes"].append((note["model"], note["body"]))
        with self.runtime.sessions() as s:
            for txn in s.scalars(select(Transaction).order_by(Transaction.id)):
                kinds = sorted(
                    e.kind
                    for e in s.scalars(
                        select(BusinessException).where(BusinessException.transaction_id == txn.id)
                    )
                )
                state.setdefault("store", []).append((txn.set_id, txn.state, kinds, txn.error))
        return state

    def close(self) -> None:
        self.runtime.engine.dispose()


@pytest.fixture(scope="module")
def server(real_odoo_servers: Any) -> Any:
    return real_odoo_servers.get(VERSION)


@pytest.fixture
def fresh_db(server: Any) -> Iterator[OdooDatabase]:
    db = server.new_database("exactly_once")
    yield db
    server.drop(db)


_BASELINES: dict[str, dict[str, Any]] = {}


def baseline(server: Any, files: list[tuple[str, str]], work: Path) -> dict[str, Any]:
    """The end state of the chain run undisturbed (once per chain)."""
    key = repr(files)
    if key not in _BASELINES:
        db = server.new_database("exactly_once_baseline")
        chain = Chain(db, work)
        try:
            assert chain.run(files) is False
            _BASELINES[key] = chain.end_state()
        finally:
            chain.close()
            server.drop(db)
    return _BASELINES[key]


@pytest.mark.parametrize(("files", "trap"), CASES)
def test_answer_lost_and_worker_killed_ends_as_an_undisturbed_run(
    server: Any, fresh_db: OdooDatabase, tmp_path: Path, files: Any, trap: str
) -> None:
    expected = baseline(server, files, tmp_path / "baseline")
    # given a chain whose worker loses Odoo's answer to `trap` and is killed right then
    chain = Chain(fresh_db, tmp_path / "run")
    try:
        assert chain.run(files, trap=trap), f"{trap} was never called"
        # then Odoo and the store end exactly as without the crash
        assert chain.end_state() == expected
    finally:
        chain.close()


def test_the_baselines_are_the_decisions_we_expect(server: Any, tmp_path: Path) -> None:
    # the undisturbed runs themselves: what "the same end state" means above
    keystone = baseline(server, KEYSTONE, tmp_path / "k")
    assert [s for s in keystone["store"]] == [
        ("850", "delivered", [], None),
        ("856", "delivered", [], None),
        ("810", "delivered", [], None),
    ]
    assert [b[1] for b in keystone["bills"]] == ["posted"]
    first = baseline(server, BILL_FIRST, tmp_path / "b")
    assert first["store"][-1][:3] == (
        "810",
        "business_exception",
        ["quantity_mismatch", "quantity_mismatch"],
    )
    assert [b[1] for b in first["bills"]] == ["draft"]
    ack = baseline(server, SUMMIT_ACK, tmp_path / "a")
    assert ack["store"] == [("855", "business_exception", ["changed_line"], None)]

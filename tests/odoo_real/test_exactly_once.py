"""Exactly once, decisions included, against a real Odoo: answers dropped, workers killed.

Each case runs a sample chain with the deliveries done by real worker processes
(``tests/odoo_real/worker.py``: the deliver stage as a Celery worker runs it, forked from
a fork server that imported it once: ``tests/support/forked.py``). A proxy
between the worker and Odoo lets one write call through to Odoo — which commits it — and
swallows its answer; the test then kills the worker with SIGKILL, recovers the stalled
transaction as the scheduler does, and lets a new worker finish. Or the proxy hangs up
instead of answering: the worker sees a broken connection, gives the transaction back for
a retry, and the next worker finishes. The end state in Odoo and in the store must equal
the same chain run undisturbed, every time: one purchase order per PO number, one receipt
per order, one bill per invoice number, one note per marker, one ledger row per business
key, every decision applied.

Runs on Odoo 17 over JSON-RPC (password) and on Odoo 19 over JSON-2 (an API key, no
password: ``POST /json/2/<model>/<method>``, where a lost answer to a ``create`` still
means the record may exist).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher, Next
from gateway.pipeline.operations import recover_stalled
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.store.models import BusinessException, Delivery, DeliveryDecision, Transaction
from tests.odoo_real.proxy import DroppingProxy
from tests.odoo_real.samples import Samples, fixture_bytes, prepare_samples, sample_site
from tests.support.forked import ForkedProcess, Forker
from tests.support.odoo_apikey import make_api_key
from tests.support.real_odoo import OdooDatabase

pytestmark = [pytest.mark.real_odoo, pytest.mark.slow, pytest.mark.timeout(900)]
# 17: JSON-RPC with a password; 19: JSON-2 with an API key
VERSIONS = (17, 19)
PROTOCOL = {17: "JSON-RPC", 19: "JSON-2"}
WORKERS = Forker("tests.odoo_real.worker:main")

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

# (chain, the call whose answer is lost, what happens to the worker then, and a text the
# call's request has when the same method is called for several things: chatter notes)
CASES = [
    pytest.param(KEYSTONE, "purchase.order.create", "kill", "", id="order-create"),
    pytest.param(KEYSTONE, "stock.move.write", "kill", "", id="move-line-write"),
    pytest.param(
        KEYSTONE, "stock.backorder.confirmation.process", "kill", "", id="backorder-process"
    ),
    pytest.param(KEYSTONE, "account.move.create", "kill", "", id="bill-create"),
    pytest.param(KEYSTONE, "account.move.action_post", "kill", "", id="bill-action_post"),
    pytest.param(
        KEYSTONE, "purchase.order.message_post", "kill", "correlation id", id="correlation-note"
    ),
    pytest.param(SUMMIT_ACK, "purchase.order.message_post", "kill", "[EDI 855", id="ack-note"),
    pytest.param(
        BILL_FIRST,
        "account.move.message_post",
        "kill",
        "[EDI bill left in draft",
        id="bill-checks-failed-note",
    ),
    # the connection breaks instead: the same worker process gives the claim back and the
    # retry replays the decision
    pytest.param(KEYSTONE, "purchase.order.create", "hangup", "", id="order-create-hangup"),
    pytest.param(KEYSTONE, "account.move.create", "hangup", "", id="bill-create-hangup"),
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
                self.held.extend(int(a) for a in item.args)  # an interchange's batch
            else:
                rest.append(item)
        super().dispatch(rest)


@dataclass
class Prepared:
    """A database set up once per version for the sample partners (on 19 with an API key
    of the integration user, which the copies share), copied for every run.

    Copies are dropped in the background (:meth:`drop`): a ``DROP DATABASE`` waits for a
    checkpoint, seconds on a busy server, which the next run need not wait for.
    """

    db: OdooDatabase
    samples: Samples
    api_key: str | None
    _dropper: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1))

    def copy(self, label: str) -> OdooDatabase:
        return self.db.server.clone(self.db, label)

    def drop(self, db: OdooDatabase) -> None:
        self._dropper.submit(db.server.drop, db)

    def drop_all(self) -> None:
        self._dropper.shutdown(wait=True)
        self.db.server.drop(self.db)


class Chain:
    """A sample chain against one fresh database, deliveries in worker processes."""

    def __init__(self, db: OdooDatabase, work: Path, prepared: Prepared) -> None:
        self.db = db
        self.work = work
        self.dispatcher = HoldDeliveries()
        self.proxy: DroppingProxy | None = None
        self.samples = prepared.samples
        # 19: an API key and no password, so every call goes over JSON-2
        self.api_key = prepared.api_key
        self.settings = Settings(
            data_dir=work / "var",
            database_url=f"sqlite:///{work / 'store.db'}",
            profiles_dir=str(sample_site(work)),
            odoo_url=db.url,
            odoo_db=db.name,
            odoo_user=db.login,
            odoo_password=None if self.api_key else db.password,
            odoo_api_key=self.api_key,
            task_backoff_seconds=0.01,
        )
        self.runtime: Runtime = build_runtime(self.settings, dispatcher=self.dispatcher)

    def worker(self, txn_id: int, odoo_url: str) -> ForkedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
        env.update(
            {
                "EDIGW_DATA_DIR": str(self.settings.data_dir),
                "EDIGW_DATABASE_URL": str(self.settings.database_url),
                "EDIGW_PROFILES_DIR": str(self.settings.profiles_dir),
                "EDIGW_ODOO_URL": odoo_url,
                "EDIGW_ODOO_DB": self.db.name,
                "EDIGW_ODOO_USER": self.db.login,
                "EDIGW_ODOO_TIMEOUT_SECONDS": "120",
            }
        )
        if self.api_key:
            env["EDIGW_ODOO_API_KEY"] = self.api_key
        else:
            env["EDIGW_ODOO_PASSWORD"] = self.db.password
        return WORKERS.start(["worker", str(txn_id)], env)

    def deliver_held(self, odoo_url: str) -> None:
        while self.dispatcher.held:
            txn_id = self.dispatcher.held.pop(0)
            proc = self.worker(txn_id, odoo_url)
            out, _ = proc.communicate(timeout=300)
            assert proc.returncode == 0, out.decode(errors="replace")[-3000:]

    def run(
        self,
        files: list[tuple[str, str]],
        trap: str | None = None,
        mode: str = "kill",
        contains: str = "",
    ) -> bool:
        """Send the files; with ``trap``, lose Odoo's answer to that call and then kill the
        worker (``mode="kill"``) or hang up on it (``"hangup"``). True if it happened."""
        from gateway.intake import ReceivedPayload
        from gateway.pipeline.intake import StoreIntake

        if files == SUMMIT_ACK:
            from gateway.demo import seed_our_orders

            seed_our_orders(self.runtime)  # our order, placed earlier (not under test)
        killed = False
        proxy = DroppingProxy(self.db.url) if trap else None
        self.proxy = proxy
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
                proxy.trap(trap or "", hang=mode == "kill", contains=contains)
                while self.dispatcher.held:
                    txn_id = self.dispatcher.held.pop(0)
                    proc = self.worker(txn_id, proxy.url)
                    if mode == "hangup":
                        killed = self._retry_after_hangup(txn_id, proc, proxy)
                        continue
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

    def _retry_after_hangup(self, txn_id: int, proc: ForkedProcess, proxy: DroppingProxy) -> bool:
        out, _ = proc.communicate(timeout=300)
        if not proxy.tripped.is_set():
            assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
            return False
        # the worker saw the broken connection, gave the claim back and asked for a retry
        assert proc.returncode == 3, out.decode(errors="replace")[-3000:]
        with self.runtime.sessions() as s:
            txn = s.get(Transaction, txn_id)
            assert txn is not None and txn.state == "translated", txn and txn.state
            assert "Odoo" in (txn.error or ""), txn.error
        retry = self.worker(txn_id, self.db.url)  # what the queue's retry runs
        out, _ = retry.communicate(timeout=300)
        assert retry.returncode == 0, out.decode(errors="replace")[-3000:]
        self.dispatcher.drain(max_wait=1)
        self.deliver_held(self.db.url)
        return True

    @staticmethod
    def _kill_when_tripped(proc: ForkedProcess, proxy: DroppingProxy) -> bool:
        while proc.poll() is None:
            if proxy.tripped.wait(0.1):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(30)
                return True
        assert proc.returncode == 0, proc.output()[-3000:]
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
        # the correlation notes (one per record written; the id differs from run to run)
        correlated = Counter(
            (note["model"], note["res_id"])
            for note in db.search_read(
                "mail.message",
                [["body", "ilike", "correlation id"]],
                ["model", "res_id"],
                order="id",
            )
        )
        state["correlated"] = sorted(correlated.items())
        with self.runtime.sessions() as s:
            for txn in s.scalars(select(Transaction).order_by(Transaction.id)):
                kinds = sorted(
                    e.kind
                    for e in s.scalars(
                        select(BusinessException).where(BusinessException.transaction_id == txn.id)
                    )
                )
                state.setdefault("store", []).append((txn.set_id, txn.state, kinds, txn.error))
            state["ledger"] = [
                (
                    row.partner_id,
                    row.document_type,
                    row.business_key,
                    row.target,
                    [(r["model"], r["name"]) for r in row.records],
                )
                for row in s.scalars(select(Delivery).order_by(Delivery.id))
            ]
            state["decisions"] = [
                (row.delivery_key, row.state)
                for row in s.scalars(select(DeliveryDecision).order_by(DeliveryDecision.id))
            ]
        return state

    def close(self) -> None:
        self.runtime.engine.dispose()


@pytest.fixture(scope="module", params=VERSIONS, ids=lambda v: f"odoo{v}")
def server(request: pytest.FixtureRequest, real_odoo_servers: Any) -> Any:
    return real_odoo_servers.get(request.param)


@pytest.fixture(scope="module")
def prepared(server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared]:
    db = server.new_database("exactly_once_prepared")
    work = tmp_path_factory.mktemp("prepared")
    runtime = build_runtime(
        Settings(
            data_dir=work / "var",
            database_url=f"sqlite:///{work / 'store.db'}",
            profiles_dir=str(sample_site(work)),
        ),
        dispatcher=InlineDispatcher(),
    )
    prepared = Prepared(db, Samples(), None)
    try:
        prepared.samples = prepare_samples(db, runtime)
        if db.version >= 19:
            prepared.api_key = make_api_key(db.url, db.name, db.login, db.password)
        yield prepared
    finally:
        runtime.engine.dispose()
        prepared.drop_all()


@pytest.fixture
def fresh_db(prepared: Prepared) -> Iterator[OdooDatabase]:
    db = prepared.copy("exactly_once")
    yield db
    prepared.drop(db)


_BASELINES: dict[str, dict[str, Any]] = {}


def baseline(prepared: Prepared, files: list[tuple[str, str]], work: Path) -> dict[str, Any]:
    """The end state of the chain run undisturbed (once per chain and version)."""
    key = f"{prepared.db.version} {files!r}"
    if key not in _BASELINES:
        db = prepared.copy("exactly_once_baseline")
        chain = Chain(db, work, prepared)
        try:
            assert chain.run(files) is False
            _BASELINES[key] = chain.end_state()
        finally:
            chain.close()
            prepared.drop(db)
    return _BASELINES[key]


def assert_exactly_once(state: dict[str, Any]) -> None:
    """One Odoo record per reference the gateway marks its writes with, one ledger row per
    business key, every decision carried out."""
    # partner_ref = the PO number of an 850; our own orders (the 855's) by their name
    orders = Counter(order[2] or order[0] for order in state["orders"])
    assert orders and set(orders.values()) == {1}, orders
    receipts = Counter((p[2], p[3]) for p in state["pickings"])  # origin, backorder of
    assert set(receipts.values()) <= {1}, receipts
    bills = Counter(bill[2] for bill in state["bills"])  # ref = invoice number
    assert set(bills.values()) <= {1}, bills
    notes = Counter(state["notes"])
    assert set(notes.values()) <= {1}, notes
    assert {count for _, count in state["correlated"]} == {1}, state["correlated"]
    keys = Counter(row[:3] for row in state["ledger"])
    assert set(keys.values()) <= {1}, keys
    delivered = [s for s in state["store"] if s[1] == "delivered"]
    assert len(state["ledger"]) == len(delivered)
    assert {d[1] for d in state["decisions"]} <= {"applied"}, state["decisions"]
    assert len({d[0] for d in state["decisions"]}) == len(state["decisions"])


@pytest.mark.parametrize(("files", "trap", "mode", "contains"), CASES)
def test_answer_lost_and_worker_killed_ends_as_an_undisturbed_run(
    prepared: Prepared,
    fresh_db: OdooDatabase,
    tmp_path: Path,
    files: Any,
    trap: str,
    mode: str,
    contains: str,
) -> None:
    version = fresh_db.version
    started = time.monotonic()
    expected = baseline(prepared, files, tmp_path / "baseline")
    # given a chain whose worker loses Odoo's answer to `trap` and is killed right then
    # (or hung up on)
    chain = Chain(fresh_db, tmp_path / "run", prepared)
    try:
        assert chain.run(files, trap=trap, mode=mode, contains=contains), f"no {trap} {contains}"
        # over the protocol of this version (the JSON-2 probe aside)
        assert chain.proxy is not None
        protocols = {p for p, call in chain.proxy.calls if call != "res.users.context_get"}
        assert protocols == {PROTOCOL[version]}
        assert (PROTOCOL[version], trap) in chain.proxy.calls
        # then Odoo and the store end exactly as without the crash: nothing twice
        state = chain.end_state()
        assert_exactly_once(state)
        assert state == expected
    finally:
        chain.close()
    print(f"odoo{version} {trap} {mode}: {time.monotonic() - started:.1f}s")


def test_the_baselines_are_the_decisions_we_expect(prepared: Prepared, tmp_path: Path) -> None:
    # the undisturbed runs themselves: what "the same end state" means above
    keystone = baseline(prepared, KEYSTONE, tmp_path / "k")
    assert [s for s in keystone["store"]] == [
        ("850", "delivered", [], None),
        ("856", "delivered", [], None),
        ("810", "delivered", [], None),
    ]
    assert_exactly_once(keystone)
    assert [b[1] for b in keystone["bills"]] == ["posted"]
    assert [row[1] for row in keystone["ledger"]] == ["purchase_order", "ship_notice", "invoice"]
    # the ledger names the bill by the number posting gave it (19: a draft has none)
    assert keystone["ledger"][-1][4] == [("account.move", keystone["bills"][0][0])]
    first = baseline(prepared, BILL_FIRST, tmp_path / "b")
    assert first["store"][-1][:3] == (
        "810",
        "business_exception",
        ["quantity_mismatch", "quantity_mismatch"],
    )
    assert [b[1] for b in first["bills"]] == ["draft"]
    ack = baseline(prepared, SUMMIT_ACK, tmp_path / "a")
    assert ack["store"] == [("855", "business_exception", ["changed_line"], None)]

"""Odoo round trips and time per document, measured on a real Odoo server.

Starts Odoo from ``../shared/odoo17`` (as the test suite does: tests/support/real_odoo.py),
makes a fresh database, sets up the sample partners' master data (tests/odoo_real/
samples.py) and delivers the sample chains — X12 4010 Summit, X12 5010 Keystone, EDIFACT
Nordlicht — through the pipeline. A counting proxy between the gateway and Odoo counts
the JSON-RPC calls of each delivery; the time is the deliver stage's wall time (Odoo's
server time included). Run it twice (``--repeat``) for a fresh database each time.

    .venv/bin/python bench/bench_odoo_real.py --repeat 2 [--extra stock_delivery]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher, Next
from gateway.pipeline.runner import run_stage
from gateway.settings import Settings
from tests.odoo_real.proxy import DroppingProxy
from tests.odoo_real.samples import fixture_bytes, prepare_samples, sample_site
from tests.support.real_odoo import OdooServer

CHAINS = [
    ("summit-medical", "855_po_ack.edi"),
    ("summit-medical", "856_ship_notice.edi"),
    ("summit-medical", "810_invoice.edi"),
    ("keystone-pharma", "850_purchase_order.edi"),
    ("keystone-pharma", "856_ship_notice.edi"),
    ("keystone-pharma", "810_invoice.edi"),
    ("nordlicht-medtech", "ORDRSP_order_response.edi"),
    ("nordlicht-medtech", "DESADV_despatch_advice.edi"),
    ("nordlicht-medtech", "INVOIC_invoice.edi"),
]
WRITES = {
    "create",
    "write",
    "message_post",
    "button_confirm",
    "action_post",
    "process",
    "button_validate",
}


class Held(InlineDispatcher):
    def __init__(self) -> None:
        super().__init__()
        self.held: list[int] = []

    def dispatch(self, items):  # type: ignore[no-untyped-def]
        rest = [i for i in items if not (isinstance(i, Next) and i.stage == "deliver")]
        self.held.extend(int(i.args[0]) for i in items if i not in rest)
        super().dispatch(rest)


def run_once(server: OdooServer, extra: tuple[str, ...]) -> dict[str, tuple[int, int, float]]:
    from gateway.demo import seed_our_orders
    from gateway.intake import ReceivedPayload
    from gateway.pipeline.intake import StoreIntake

    db = server.new_database("bench", extra)
    proxy = DroppingProxy(db.url)
    work = Path(tempfile.mkdtemp(prefix="bench-odoo-"))
    dispatcher = Held()
    settings = Settings(
        data_dir=work,
        profiles_dir=str(sample_site(work)),
        odoo_url=proxy.url,
        odoo_db=db.name,
        odoo_user=db.login,
        odoo_password=db.password,
    )
    runtime = build_runtime(settings, dispatcher=dispatcher)
    out: dict[str, tuple[int, int, float]] = {}
    try:
        prepare_samples(db, runtime)
        before = len(proxy.calls)
        started = time.perf_counter()
        seed_our_orders(runtime)  # two purchase orders (Summit 4 lines, Nordlicht 3)
        out["850/ORDERS ours (x2, seed)"] = _measure(proxy, before, started)
        for partner, name in CHAINS:
            StoreIntake(runtime).receive(
                ReceivedPayload(data=fixture_bytes(partner, name), transport="cli", filename=name)
            )
            dispatcher.drain(max_wait=1)
            for txn in dispatcher.held:
                before, started = len(proxy.calls), time.perf_counter()
                run_stage(runtime, "deliver", (txn,))
                out[f"{partner} {name}"] = _measure(proxy, before, started)
            dispatcher.held.clear()
    finally:
        proxy.stop()
        runtime.engine.dispose()
        server.drop(db)
    return out


def _measure(proxy: DroppingProxy, before: int, started: float) -> tuple[int, int, float]:
    calls = proxy.calls[before:]
    writes = sum(1 for c in calls if c.rsplit(".", 1)[-1] in WRITES)
    return len(calls), writes, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--extra", action="append", default=[])
    args = parser.parse_args()
    server = OdooServer.start(17)
    try:
        runs = [run_once(server, tuple(args.extra)) for _ in range(args.repeat)]
    finally:
        server.stop()
    print(f"Odoo 17 ({', '.join(['5 modules', *args.extra])}), {args.repeat} fresh databases")
    print("| document | calls | of which writes | ms (median) |")
    print("| --- | --- | --- | --- |")
    for key in runs[0]:
        calls = Counter(r[key][0] for r in runs).most_common(1)[0][0]
        writes = runs[0][key][1]
        ms = statistics.median(r[key][2] for r in runs)
        print(f"| {key} | {calls} | {writes} | {ms:.0f} |")


if __name__ == "__main__":
    main()

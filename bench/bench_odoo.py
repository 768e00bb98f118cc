"""Odoo delivery cost: requests per document and wall time per 850→855→856→810 cycle.

Runs the real client over HTTP against the test double (JSON-RPC on an Odoo 17 double,
JSON-2 on an Odoo 19 double) and the dry run, for N cycles each, and prints medians.
The double answers from memory, so the times are the gateway's own cost plus local HTTP,
not Odoo's: a real Odoo adds its own 5-50 ms per call, which the request counts let you
estimate.

    .venv/bin/python bench/bench_odoo.py --cycles 30
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from gateway.odoo.dryrun import DryRunOdoo
from tests.odoo.conftest import make_profile, seed_world
from tests.odoo.documents import acknowledgement, invoice, purchase_order, ship_notice
from tests.support.odoo_double import OdooDouble

PROFILE = make_profile()


def _documents(n: int) -> list:
    po = f"PO-{n}"
    return [
        purchase_order(po),
        acknowledgement(po),
        ship_notice(f"ASN-{n}", po),
        invoice(f"INV-{n}", po),
    ]


def bench_double(major: int, cycles: int) -> tuple[list[float], list[int], dict[str, int]]:
    double = OdooDouble(major)
    seed_world(double)
    if major >= 19:
        client = OdooClient(double.url, double.db, double.user, api_key=double.api_key)
    else:
        client = OdooClient(double.url, double.db, double.user, password=double.password)
    times, counts = [], []
    per_type: dict[str, int] = {}
    try:
        client.dialect  # noqa: B018 - version read outside the timing
        for n in range(cycles):
            for document in _documents(n):
                before = len(double.requests)
                start = time.perf_counter()
                deliver(document, profile=PROFILE, odoo=client)
                times.append(time.perf_counter() - start)
                counts.append(len(double.requests) - before)
                per_type[document.document_type] = counts[-1]
    finally:
        client.close()
        double.stop()
    return times, counts, per_type


def bench_dry_run(cycles: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        odoo = DryRunOdoo(Path(tmp))
        for n in range(cycles):
            for document in _documents(n):
                start = time.perf_counter()
                deliver(document, profile=PROFILE, odoo=odoo)
                times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=30)
    args = parser.parse_args()
    rows = []
    for label, major in (("JSON-RPC (Odoo 17 double)", 17), ("JSON-2 (Odoo 19 double)", 19)):
        times, counts, per_type = bench_double(major, args.cycles)
        print(f"{label}: requests per document type (last cycle): {per_type}")
        rows.append((label, statistics.median(times), statistics.median(counts), max(counts)))
    dry = bench_dry_run(args.cycles)
    rows.append(("dry run (in memory + JSON lines)", statistics.median(dry), None, None))
    print(f"{'backend':34} {'median ms/document':>19} {'median requests':>16} {'max':>5}")
    for label, median, calls, most in rows:
        calls_text = f"{calls:>16}" if calls is not None else f"{'-':>16}"
        most_text = f"{most:>5}" if most is not None else f"{'-':>5}"
        print(f"{label:34} {median * 1000:>19.2f} {calls_text} {most_text}")


if __name__ == "__main__":
    main()

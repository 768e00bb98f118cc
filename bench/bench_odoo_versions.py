"""Odoo delivery on real servers: JSON-RPC (17, 18) vs JSON-2 (19), per document.

Starts a real Odoo 17, 18 and 19 (``tests/support/real_odoo.py``: template databases
from ``../shared/odooNN``, one fresh database per version), seeds the same vendor and
products the version-neutral way (the dialect's storable values), and delivers N cycles
of 850 -> 855 -> 856 -> 810 through ``gateway.odoo.delivery.deliver`` with the real
client. For each document it counts HTTP round trips (a counting httpx transport) and
wall time. Odoo 19 is run twice: with an API key (JSON-2) and with the password
(JSON-RPC, deprecated there), so the protocols are compared on the same server.

    .venv/bin/python bench/bench_odoo_versions.py --cycles 5 [--versions 17 18 19]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from gateway.odoo.dialect import OdooDialect
from tests.odoo.conftest import make_profile
from tests.odoo.documents import acknowledgement, invoice, purchase_order, ship_notice
from tests.support.odoo_apikey import make_api_key
from tests.support.real_odoo import OdooDatabase, OdooServer

PROFILE = make_profile()


class CountingTransport(httpx.HTTPTransport):
    """An httpx transport that counts the requests it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return super().handle_request(request)


def seed(db: OdooDatabase) -> None:
    """The vendor and products of ``tests/odoo/documents.py`` (as ``seed_world`` makes them
    in the double), written with the fixture's own JSON-RPC helper."""
    dialect = OdooDialect(db.version)
    storable = dialect.storable_product_values()
    db.call("res.users", "write", [db.uid], {"email": "edi@example.org"})
    vendor = db.create(
        "res.partner",
        {"name": "ACME Medical Supply", "ref": "ACME", "is_company": True, "supplier_rank": 1},
    )
    glove = db.create(
        "product.product",
        {"name": "Nitrile exam glove, M, box of 100", "default_code": "GLV-1",
         "barcode": "0017953755430", "standard_price": 7.5, **storable},
    )  # fmt: skip
    db.create(
        "product.product",
        {"name": "Syringe 5 ml Luer Lock (box of 100)", "default_code": "SYR-1",
         "barcode": "12345678290", "tracking": "lot", "use_expiration_date": True,
         "standard_price": 12.0, **storable},
    )  # fmt: skip
    db.create(
        "product.product",
        {"name": "Gauze 4x4", "default_code": "GAU-1", "standard_price": 3.0, **storable},
    )
    template = db.search_read("product.product", [["id", "=", glove]], ["product_tmpl_id"])
    db.create(
        "product.supplierinfo",
        {"partner_id": vendor, "product_tmpl_id": template[0]["product_tmpl_id"][0],
         "product_id": glove, "product_code": "VP-GLV", "price": 7.25},
    )  # fmt: skip


def _documents(n: int) -> list[Any]:
    po = f"PO-B{n}"
    return [
        purchase_order(po),
        acknowledgement(po),
        ship_notice(f"ASN-B{n}", po),
        invoice(f"INV-B{n}", po),
    ]


def run(
    db: OdooDatabase, cycles: int, first: int, secret: dict[str, str]
) -> tuple[str, dict[str, list[int]], dict[str, list[float]], list[str]]:
    transport = CountingTransport()
    counts: dict[str, list[int]] = defaultdict(list)
    times: dict[str, list[float]] = defaultdict(list)
    problems: list[str] = []
    with OdooClient(
        db.url,
        db.name,
        db.login,
        password=secret.get("password"),
        api_key=secret.get("api_key"),
        transport=transport,
    ) as client:
        protocol = client.protocol  # version and probe outside the timing
        if not client.uses_json2:
            client.uid  # noqa: B018 - login outside the timing
        for n in range(first, first + cycles):
            for document in _documents(n):
                before = transport.count
                start = time.perf_counter()
                try:
                    outcome = deliver(document, profile=PROFILE, odoo=client)
                except Exception as exc:  # reported with the figures
                    problems.append(f"{document.document_type}: {type(exc).__name__}: {exc}")
                else:
                    if outcome.exceptions:
                        problems.append(f"{document.document_type}: {outcome.exceptions[0]}")
                times[document.document_type].append(time.perf_counter() - start)
                counts[document.document_type].append(transport.count - before)
    return protocol, counts, times, problems


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--versions", type=int, nargs="*", default=[17, 18, 19])
    args = parser.parse_args()
    rows = []
    for version in args.versions:
        server = OdooServer.start(version)
        try:
            db = server.new_database("bench")
            seed(db)
            runs: list[tuple[str, dict[str, str]]] = [("password", {"password": db.password})]
            if version >= 19:
                key = make_api_key(db.url, db.name, db.login, db.password)
                runs.insert(0, ("API key", {"api_key": key}))
            for i, (secret_label, secret) in enumerate(runs):
                protocol, counts, times, problems = run(db, args.cycles, i * 1000, secret)
                for problem in problems[:3]:
                    print(f"  Odoo {version} {protocol}: exception {problem}")
                for kind in counts:
                    rows.append(
                        (
                            f"Odoo {version} {protocol} ({secret_label})",
                            kind,
                            statistics.median(counts[kind]),
                            statistics.median(times[kind]) * 1000,
                        )
                    )
                total = statistics.median(
                    [sum(c) for c in zip(*[times[k] for k in times], strict=True)]
                )
                rows.append(
                    (f"Odoo {version} {protocol} ({secret_label})", "cycle", 0, total * 1000)
                )
            server.drop(db)
        finally:
            server.stop()
    print(f"{'server':34} {'document':16} {'requests':>8} {'median ms':>10}")
    for label, kind, calls, ms in rows:
        print(f"{label:34} {kind:16} {calls:>8} {ms:>10.1f}")


if __name__ == "__main__":
    main()

"""Outbound orders on a real Odoo 17: orders polled and sent per second, and poll cost.

Starts Odoo 17 from ../shared/odoo17 (tests/support/real_odoo.py), makes a vendor with
an EDI profile and ``--orders`` confirmed purchase orders for it, then measures:

1. one scheduler round from an empty cursor: every order read from Odoo, written as an
   850, validated, stored and sent to the hosted SFTP outbox (orders per second, RPC
   round trips per order);
2. the steady-state poll (nothing new) with ``--background`` more confirmed orders of
   other vendors in the same database (10,000 by default): median of 5 rounds, and the
   round trips it makes - the cost a 60-second schedule pays when nothing happens.

    ./run bench outbound [--orders 200] [--background 10000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gateway.odoo.client import OdooClient  # noqa: E402
from gateway.pipeline.build import build_runtime  # noqa: E402
from gateway.pipeline.dispatch import InlineDispatcher  # noqa: E402
from gateway.pipeline.outbound import run_scheduled  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from gateway.transports import attach_senders  # noqa: E402
from tests.support.real_odoo import OdooDatabase, OdooServer, _psql  # noqa: E402


class CountingClient(OdooClient):
    """The gateway's client, counting round trips."""

    calls = 0

    def call(self, *args: Any, **kwargs: Any) -> Any:
        CountingClient.calls += 1
        return super().call(*args, **kwargs)


def background_orders(db: OdooDatabase, template: int, vendor: int, count: int) -> None:
    """``count`` confirmed orders of another vendor, copied in SQL from one made by Odoo.

    The poll filters on state, vendor and write_date only; copying rows in PostgreSQL
    makes 10,000 in a second where the ORM needs half an hour on this machine.
    """
    _psql(
        "INSERT INTO purchase_order SELECT (jsonb_populate_record(NULL::purchase_order, "
        "to_jsonb(p) || jsonb_build_object('id', nextval('purchase_order_id_seq'), "
        f"'name', 'BG' || g, 'partner_id', {vendor}))).* FROM purchase_order p, "
        f"generate_series(1, {count}) g WHERE p.id = {template}",
        database=db.name,
    )


def make_orders(db: OdooDatabase, vendor: int, product: int, count: int, confirm: bool) -> None:
    """``count`` purchase orders; confirmed through Odoo, or set confirmed by state only."""
    batch = 250
    for start in range(0, count, batch):
        n = min(batch, count - start)
        ids = db.call(
            "purchase.order",
            "create",
            [
                {
                    "partner_id": vendor,
                    "order_line": [
                        (0, 0, {"product_id": product, "product_qty": 5, "price_unit": 3.5})
                    ],
                }
                for _ in range(n)
            ],
        )
        if confirm:
            db.call("purchase.order", "button_confirm", ids)
        else:  # background volume: only the state the poll filters on matters
            db.call("purchase.order", "write", ids, {"state": "purchase"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--background", type=int, default=10_000)
    args = parser.parse_args()

    server = OdooServer.start(17)
    db = server.new_database("bench_outbound")
    try:
        vendor = db.create("res.partner", {"name": "Summit Medical Supply", "ref": "SUMMIT"})
        other = db.create("res.partner", {"name": "Non-EDI vendor"})
        product = db.create("product.product", {"name": "Gauze", "default_code": "GZ-1"})
        t0 = time.perf_counter()
        make_orders(db, other, product, 1, confirm=True)
        template = db.search_read("purchase.order", [["partner_id", "=", other]], ["id"])[0]["id"]
        background_orders(db, template, other, args.background)
        make_orders(db, vendor, product, args.orders, confirm=True)
        print(f"made {args.background} + {args.orders} orders in {time.perf_counter() - t0:.0f} s")

        root = Path(tempfile.mkdtemp(prefix="bench-outbound-"))
        profiles = root / "profiles"
        profiles.mkdir()
        profile = yaml.safe_load((REPO / "partner_profiles" / "summit-medical.yaml").read_text())
        profile.pop("as2", None)
        profile.pop("maps", None)
        profile["sftp"] = {"hosted": {"username": "summit"}}
        profile["outbound"] = {"purchase_order": {"transport": "sftp"}}
        (profiles / "summit-medical.yaml").write_text(yaml.safe_dump(profile))
        settings = Settings(data_dir=root / "var", profiles_dir=str(profiles))
        runtime = build_runtime(
            settings,
            dispatcher=InlineDispatcher(),
            odoo_factory=lambda: CountingClient(db.url, db.name, db.login, password=db.password),
        )
        attach_senders(runtime)
        dispatcher = runtime.dispatcher
        assert isinstance(dispatcher, InlineDispatcher)

        CountingClient.calls = 0
        t0 = time.perf_counter()
        counts = run_scheduled(runtime)
        dispatcher.drain()
        first = time.perf_counter() - t0
        sent = len(list((settings.sftp_root / "summit-medical" / "outbox").glob("850_*")))
        assert counts["queued"] == args.orders == sent, (counts, sent)
        print(
            f"first round: {args.orders} orders polled, written, validated and sent in "
            f"{first:.2f} s = {args.orders / first:.1f} orders/s; "
            f"{CountingClient.calls / args.orders:.1f} Odoo round trips per order"
        )

        times, trips = [], []
        for _ in range(5):
            CountingClient.calls = 0
            t0 = time.perf_counter()
            idle = run_scheduled(runtime)
            dispatcher.drain()
            times.append(time.perf_counter() - t0)
            trips.append(CountingClient.calls)
            assert idle["queued"] == 0
        print(
            f"steady poll with {args.background + args.orders} confirmed orders in Odoo: "
            f"median {statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}, "
            f"max {max(times) * 1000:.0f}), {statistics.median(trips):.0f} round trips"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()

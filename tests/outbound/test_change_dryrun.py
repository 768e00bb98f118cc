"""Change orders from the dry-run Odoo (the demo's imitation): the buyer's orders to
Summit and Nordlicht go out, then Summit's quantity changes and Nordlicht's order is
cancelled in that Odoo, and the next poll sends an 860 and an ORDCHG."""

from __future__ import annotations

from pathlib import Path

from gateway.demo import our_orders, seed_our_orders
from gateway.engines import parse_payload
from gateway.odoo.memory.orm import clock_at
from gateway.pipeline.outbound import list_orders, poll
from tests.outbound.dry_run import dry_run_runtime, shipped_profile


def test_dry_run_odoo_change_and_cancellation(tmp_path: Path) -> None:
    profiles = {}
    for name in ("summit-medical", "nordlicht-medtech"):
        profile = shipped_profile(name)
        profile.pop("as2", None)
        profile["sftp"] = {"hosted": {"username": name.split("-")[0]}}
        profile["outbound"] = {"purchase_order": {"transport": "sftp", "changes": "send"}}
        profiles[name] = profile
    runtime, partner = dry_run_runtime(tmp_path, profiles)

    def round_() -> None:
        result = poll(runtime)
        assert not result.errors, result.errors
        runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]

    # given the buyer's two orders were confirmed in Odoo and sent
    seed_our_orders(runtime)
    round_()
    assert sorted(name.split("_")[0] for name, _ in partner.files) == ["850", "ORDERS"]
    (summit_po, _), (nordlicht_po, _) = [(d.po_number, p) for p, d in our_orders(runtime)]
    odoo = runtime.odoo
    # when Summit's first line is raised by 5 and Nordlicht's order is cancelled, within
    # the second the poll saw them in (write_date has whole seconds: same stamps)
    (summit,) = odoo.search_read(
        "purchase.order", [["name", "=", summit_po]], ["order_line", "write_date"]
    )
    first = odoo.read("purchase.order.line", summit["order_line"][:1], ["product_qty"])[0]
    more = {"order_line": [(1, first["id"], {"product_qty": first["product_qty"] + 5})]}
    (nordlicht,) = odoo.search_read(
        "purchase.order", [["name", "=", nordlicht_po]], ["id", "write_date"]
    )
    with clock_at(summit["write_date"]):
        odoo.write("purchase.order", [summit["id"]], more)
    with clock_at(nordlicht["write_date"]):
        odoo.call("purchase.order", "button_cancel", ids=[nordlicht["id"]])
    for before in (summit, nordlicht):
        [after] = odoo.read("purchase.order", [before["id"]], ["write_date"])
        assert after["write_date"] == before["write_date"]
    round_()
    # then Summit gets an 860 raising line 1, Nordlicht an ORDCHG cancelling the order
    files = {name.split("_")[0]: data for name, data in partner.files}
    assert set(files) == {"850", "ORDERS", "860", "ORDCHG"}
    quantity = f"{first['product_qty'] + 5:g}"
    text = files["860"].decode()
    assert f"BCH*04*SA*{summit_po}*" in text and f"POC*1*QI*{quantity}*" in text
    assert not [i for i in parse_payload(files["860"]).interchanges[0].transactions[0].issues
                if i.fatal]  # fmt: skip
    assert f"BGM+230+{nordlicht_po}+1'" in files["ORDCHG"].decode()
    with runtime.sessions() as session:
        states = {r["po_number"]: r["state"] for r in list_orders(session)}
    assert states == {summit_po: "sent", nordlicht_po: "cancelled"}

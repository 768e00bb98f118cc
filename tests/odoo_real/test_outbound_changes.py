"""A confirmed order changed and then cancelled in a real Odoo 17 after it was sent.

Summit's profile says ``changes: send``. The 850 goes out on the first poll; the buyer
raises the line's quantity through Odoo's API (a write on the order, as the form does);
the next poll puts one 860 in Summit's outbox - valid, POC*1*QI with the new quantity and
Summit's part number - and Summit's 997 for its group marks the change accepted. The
buyer then cancels the order in Odoo: an 860 with BCH01 01 follows, the order is
``cancelled`` in our cycle, and the chatter on the PO says each step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.engines import parse_payload
from gateway.intake import ReceivedPayload
from gateway.odoo.client import OdooClient
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.outbound import list_orders, run_scheduled
from gateway.pipeline.runtime import Runtime
from gateway.process import build_process_runtime
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.x12.writer import DocumentBuilder
from tests.odoo_real.samples import summit_order

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def setup(real_odoo, tmp_path_factory):  # type: ignore[no-untyped-def]
    order, name = summit_order(real_odoo)
    root = tmp_path_factory.mktemp("changes")
    profiles = root / "profiles"
    profiles.mkdir()
    profile = yaml.safe_load((REPO / "partner_profiles" / "summit-medical.yaml").read_text())
    profile.pop("as2", None)
    profile.pop("maps", None)
    profile["sftp"] = {"hosted": {"username": "summit"}}
    profile["outbound"] = {"purchase_order": {"transport": "sftp", "changes": "send"}}
    profile["odoo"]["uom"] = {"EA": "Units", "BX": "Box"}
    (profiles / "summit-medical.yaml").write_text(yaml.safe_dump(profile))
    settings = Settings(data_dir=root / "var", profiles_dir=str(profiles),
                        task_backoff_seconds=0.01, shipped_profiles=False)  # fmt: skip
    db = real_odoo
    runtime = build_process_runtime(
        settings,
        dispatcher=InlineDispatcher(),
        odoo_factory=lambda: OdooClient(db.url, db.name, db.login, password=db.password),
    )
    return db, order, name, runtime


def _round(runtime: Runtime) -> dict[str, int]:
    counts = run_scheduled(runtime)
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    return counts


def _outbox(runtime: Runtime, set_id: str) -> list[Path]:
    return sorted((runtime.settings.sftp_root / "summit-medical" / "outbox").glob(f"{set_id}_*"))


def _row(runtime: Runtime, po: str) -> dict[str, Any]:
    with session_scope(runtime.sessions) as session:
        (row,) = list_orders(session, search=po)
    return row


def test_quantity_change_then_cancellation_go_out_as_860s(setup) -> None:  # type: ignore[no-untyped-def]
    db, order_id, po, runtime = setup
    _round(runtime)
    assert len(_outbox(runtime, "850")) == 1
    # when the buyer raises the quantity from 50 to 60 boxes in Odoo (Odoo recomputes a
    # line's price and planned date when its quantity changes: the buyer keeps both)
    (line_id,) = db.search_read("purchase.order", [["id", "=", order_id]], ["order_line"])[0][
        "order_line"
    ]
    keep = {"price_unit": 8.95, "date_planned": "2026-12-20 10:00:00"}
    raise_qty = {"order_line": [(1, line_id, {"product_qty": 60, **keep})]}
    db.call("purchase.order", "write", [order_id], raise_qty)
    counts = _round(runtime)
    # then one 860 is in Summit's outbox, valid, saying line 1 went up to 60 boxes
    assert counts["changed"] == 1
    (change,) = _outbox(runtime, "860")
    payload = parse_payload(change.read_bytes())
    (interchange,) = payload.interchanges
    assert not [i for i in interchange.transactions[0].issues if i.fatal]
    text = change.read_text()
    assert f"BCH*04*SA*{po}*" in text
    assert "POC*1*QI*60**BX*8.95*PE*VP*SMS-NG100M*BP*MH-NDL*UK*10884521000018~" in text, text
    # a poll with nothing new writes nothing more
    assert _round(runtime)["changed"] == 0
    assert len(_outbox(runtime, "860")) == 1
    # Summit's 997 accepts the 860's group
    (first,) = _row(runtime, po)["changes"]
    ack = DocumentBuilder(sender=("ZZ", "SUMMITMED"), receiver=("ZZ", "MERIDIANHEALTH"),
                          control_number=8601)  # fmt: skip
    ack.group("FA", "SUMMITMED", "MERIDIANHEALTH", 8601)
    ack.transaction(
        "997", "0001", [f"AK1*PC*{first['group_control']}", "AK2*860*0001", "AK5*A", "AK9*A*1*1*1"]
    )
    StoreIntake(runtime).receive(
        ReceivedPayload(data=ack.to_bytes(), transport="cli", filename="997.edi")
    )
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    assert _row(runtime, po)["changes"][0]["state"] == "accepted"
    # when the buyer cancels the order in Odoo
    db.call("purchase.order", "button_cancel", [order_id])
    _round(runtime)
    # then a second 860 cancels it, and the order is cancelled in our cycle
    cancel = [p for p in _outbox(runtime, "860") if p != change]
    assert len(cancel) == 1 and f"BCH*01*SA*{po}*" in cancel[0].read_text()
    assert "POC*" not in cancel[0].read_text()
    row = _row(runtime, po)
    assert row["state"] == "cancelled"
    assert [(c["purpose"], c["state"]) for c in row["changes"]] == [
        ("change", "accepted"),
        ("cancel", "sent"),
    ]
    # and the chatter on the PO tells each step
    _round(runtime)
    notes = "\n".join(
        str(r["body"])
        for r in db.search_read(
            "mail.message",
            [["model", "=", "purchase.order"], ["res_id", "=", order_id]],
            ["body"],
        )
    )
    for words in ("<p>EDI: change 1 sent as 860", "quantity 50 -&gt; 60",
                  "997 accepted the change 1", "cancellation sent as 860"):  # fmt: skip
        assert words in notes, (words, notes)

"""Reconciliation against a real Odoo 17 (issue 20, item 5): each planted inconsistency is
found, raised as a business exception once, and reported as CSV/JSON.

Documents are delivered with the gateway's own delivery code and client, and recorded in
the store the way the pipeline records a delivery (transaction, document, ledger row);
then someone "works in Odoo by hand": deletes an order, changes a quantity, bills goods
that never arrived, edits a bill.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from gateway.canonical import (
    AnyDocument,
    Invoice,
    InvoiceLine,
    ItemIds,
    PurchaseOrder,
    PurchaseOrderLine,
    ShipNotice,
    ShipNoticeLine,
    ShipNoticeOrder,
)
from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.runtime import Runtime
from gateway.reconcile import Report, load_report, reconcile
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.store.models import (
    BusinessException,
    Delivery,
    Document,
    FunctionalGroup,
    Interchange,
    Message,
    OutboundOrder,
    Payload,
    Transaction,
    utcnow,
)
from tests.support.real_odoo import OdooDatabase

pytestmark = pytest.mark.real_odoo(version=17)

GLOVE = ItemIds(vendor_part="VP-GLV")
PROFILE = {
    "id": "acme",
    "name": "ACME Medical Supply",
    "x12": {"isa_qualifier": "ZZ", "isa_id": "ACME"},
    "odoo": {
        "vendor_ref": "ACME",
        "item_lookup": ["vendor_part"],
        "purchase_order_state": "confirmed",
        "bill_state": "draft",
        "vendor_pricelist": False,
    },
}


@pytest.fixture(scope="module")
def world(real_odoo: OdooDatabase) -> dict[str, int]:
    db = real_odoo
    vendor = db.create("res.partner", {"name": "ACME Medical Supply", "ref": "ACME"})
    glove = db.create(
        "product.product",
        {"name": "Nitrile glove M", "detailed_type": "product", "supplier_taxes_id": [(6, 0, [])]},
    )
    tmpl = db.search_read("product.product", [["id", "=", glove]], ["product_tmpl_id"])
    db.create(
        "product.supplierinfo",
        {"partner_id": vendor, "product_tmpl_id": tmpl[0]["product_tmpl_id"][0],
         "product_code": "VP-GLV"},
    )  # fmt: skip
    return {"vendor": vendor, "glove": glove}


def make_runtime(db: OdooDatabase, tmp_path: Path) -> Runtime:
    profiles = tmp_path / "partners"
    profiles.mkdir()
    (profiles / "acme.yaml").write_text(yaml.safe_dump(PROFILE))
    settings = Settings(
        data_dir=tmp_path / "var",
        profiles_dir=str(profiles),
        reconcile_grace_days=0,
        task_backoff_seconds=0.01,
    )
    return build_runtime(
        settings,
        dispatcher=InlineDispatcher(),
        odoo_factory=lambda: OdooClient(db.url, db.name, db.login, password=db.password),
    )


def record(runtime: Runtime, document: AnyDocument) -> list[dict[str, Any]]:
    """Deliver ``document`` to Odoo and record it in the store as the pipeline does."""
    profile = runtime.registry.get("acme")
    assert profile is not None
    outcome = deliver(document, profile=profile, odoo=runtime.odoo)
    assert outcome.exceptions == [], outcome.exceptions
    records = [r.model_dump() for r in outcome.records]
    key = document.business_key
    with session_scope(runtime.sessions) as s:
        sha = f"{abs(hash(key)):064d}"[-64:]
        s.add(Payload(sha256=sha, size=0, storage="file"))
        s.flush()
        msg = Message(transport="cli", payload_sha256=sha, correlation_id=f"c-{key}")
        s.add(msg)
        s.flush()
        ic = Interchange(message_id=msg.id, syntax="x12", sender_id="ACME",
                         receiver_id="US", control_number=key[-9:])  # fmt: skip
        s.add(ic)
        s.flush()
        group = FunctionalGroup(interchange_id=ic.id)
        s.add(group)
        s.flush()
        txn = Transaction(group_id=group.id, interchange_id=ic.id, message_id=msg.id,
                          set_id="810", document_type=document.document_type,
                          control_number="1", business_key=key, partner_id="acme",
                          correlation_id=f"c-{key}", state="delivered")  # fmt: skip
        s.add(txn)
        s.flush()
        s.add(Document(transaction_id=txn.id, document_type=document.document_type,
                       business_key=key, data=document.model_dump(mode="json")))  # fmt: skip
        s.add(Delivery(transaction_id=txn.id, partner_id="acme",
                       document_type=document.document_type, business_key=key,
                       target="odoo", records=records))  # fmt: skip
    return records


def order(po: str, quantity: int = 100) -> PurchaseOrder:
    return PurchaseOrder(
        po_number=po,
        lines=[
            PurchaseOrderLine(line_number="1", quantity=Decimal(quantity), uom="EA",
                              unit_price=Decimal("7.25"), item=GLOVE)
        ],
    )  # fmt: skip


def shipped(po: str, quantity: int) -> ShipNotice:
    line = ShipNoticeLine(po_line_number="1", quantity=Decimal(quantity), uom="EA", item=GLOVE)
    return ShipNotice(shipment_id=f"ASN-{po}", orders=[ShipNoticeOrder(po_number=po, lines=[line])])


def billed(po: str, quantity: int) -> Invoice:
    return Invoice(
        invoice_number=f"INV-{po}",
        invoice_date=dt.date(2026, 11, 22),
        po_number=po,
        lines=[
            InvoiceLine(line_number="1", po_line_number="1", quantity=Decimal(quantity),
                        uom="EA", unit_price=Decimal("7.25"), item=GLOVE)
        ],
    )  # fmt: skip


def found(report: Report, kind: str, po: str) -> list[Any]:
    return [f for f in report.findings if f.kind == kind and f.po_number == po]


def test_reconcile_finds_each_planted_inconsistency(
    real_odoo: OdooDatabase, world: dict[str, int], tmp_path: Path
) -> None:
    db = real_odoo
    runtime = make_runtime(db, tmp_path)
    try:
        _plant_and_check(db, world, runtime)
    finally:
        runtime.engine.dispose()


def _order_id(db: OdooDatabase, po: str) -> int:
    [row] = db.search_read("purchase.order", [["partner_ref", "=", po]], ["id"])
    return int(row["id"])


def _plant_and_check(db: OdooDatabase, world: dict[str, int], runtime: Runtime) -> None:
    # a consistent chain: ordered 100, received 60, billed 60: nothing to say about it
    record(runtime, order("PO-OK"))
    record(runtime, shipped("PO-OK", 60))
    record(runtime, billed("PO-OK", 60))
    # an order the gateway created, since cancelled and deleted by hand
    record(runtime, order("PO-DEL"))
    deleted = _order_id(db, "PO-DEL")
    db.call("purchase.order", "button_cancel", [deleted])
    db.call("purchase.order", "unlink", [deleted])
    # an order whose quantity someone changed from 100 to 80
    record(runtime, order("PO-QTY"))
    [line] = db.search_read("purchase.order.line", [["order_id", "=", _order_id(db, "PO-QTY")]],
                            ["id"])  # fmt: skip
    db.call("purchase.order.line", "write", [line["id"]], {"product_qty": 80})
    # goods received, never billed
    record(runtime, order("PO-RCV"))
    record(runtime, shipped("PO-RCV", 40))
    # received 60, billed 60 through the gateway; then the draft bill edited to 70
    record(runtime, order("PO-BILL"))
    record(runtime, shipped("PO-BILL", 60))
    bill_records = record(runtime, billed("PO-BILL", 60))
    [bill] = [r for r in bill_records if r["model"] == "account.move"]
    [bill_line] = db.search_read(
        "account.move.line", [["move_id", "=", bill["id"]], ["display_type", "=", "product"]],
        ["id"],
    )  # fmt: skip
    db.call("account.move", "write", [bill["id"]],
            {"invoice_line_ids": [(1, bill_line["id"], {"quantity": 70})]})  # fmt: skip
    # an order we sent from Odoo: no 855/856/810 came back, but someone billed it by hand
    sent = db.create(
        "purchase.order",
        {"partner_id": world["vendor"], "order_line": [
            (0, 0, {"product_id": world["glove"], "product_qty": 10, "price_unit": 7.25})]},
    )  # fmt: skip
    db.call("purchase.order", "button_confirm", [sent])
    [sent_row] = db.search_read("purchase.order", [["id", "=", sent]], ["name", "order_line"])
    db.create(
        "account.move",
        {"move_type": "in_invoice", "partner_id": world["vendor"], "ref": "BY-HAND-1",
         "invoice_date": "2026-11-25", "invoice_line_ids": [
             (0, 0, {"product_id": world["glove"], "quantity": 5, "price_unit": 7.25,
                     "purchase_line_id": sent_row["order_line"][0]})]},
    )  # fmt: skip
    with session_scope(runtime.sessions) as s:
        s.add(OutboundOrder(partner_id="acme", odoo_id=sent, business_key=sent_row["name"],
                            state="accepted", syntax="x12", set_id="850",
                            map_name="x12/004010/850", transport="as2",
                            correlation_id="c-sent", sent_at=utcnow(),
                            timeline={"sent": utcnow().isoformat(),
                                      "accepted": utcnow().isoformat()}))  # fmt: skip

    # when the reconciliation runs
    report = reconcile(runtime, since=dt.date.today() - dt.timedelta(days=1))

    # then each planted inconsistency is found, and the consistent chain is not
    assert [f.kind for f in report.findings if f.po_number == "PO-OK"] == []
    [gone] = found(report, "record_deleted", "PO-DEL")
    assert gone.odoo_model == "purchase.order" and gone.odoo_id == deleted
    # (Odoo itself re-priced the line from the vendor's price line when the quantity
    # changed: 7.25 -> 0.00, which is a change by hand too)
    qty, price = found(report, "record_changed", "PO-QTY")
    assert (qty.expected, qty.received) == ("100", "80") and "quantity" in qty.message
    assert (price.expected, price.received) == ("7.25", "0") and "price" in price.message
    [unbilled] = found(report, "receipt_without_bill", "PO-RCV")
    assert (unbilled.expected, unbilled.received) == ("40", "0")
    [edited] = found(report, "record_changed", "PO-BILL")
    assert (edited.expected, edited.received) == ("435.00", "507.50")
    assert "untaxed amount is 507.50 in Odoo, the invoice says 435.00" in edited.message
    [over] = found(report, "billed_over_received", "PO-BILL")
    assert (over.expected, over.received) == ("60", "70")
    po_sent = sent_row["name"]
    [waiting] = found(report, "order_unanswered", po_sent)
    assert waiting.expected == "855, 856, 810" and not waiting.action
    [no_receipt] = found(report, "bill_without_receipt", po_sent)
    assert no_receipt.received == "5"
    actionable = [f for f in report.findings if f.action]
    assert report.raised == len(actionable) == 7
    with runtime.sessions() as s:
        rows = s.scalars(select(BusinessException).order_by(BusinessException.id)).all()
        assert sorted(r.kind for r in rows) == sorted(f.kind for f in actionable)
        assert {r.owner_group for r in rows if r.kind == "bill_without_receipt"} == {"ap-team"}
        assert all(r.detail.get("finding") for r in rows)

    # and a second run finds the same, raising nothing again (once per finding)
    again = reconcile(runtime, since=dt.date.today() - dt.timedelta(days=1))
    assert again.raised == 0
    assert sorted(f.key for f in again.findings) == sorted(f.key for f in report.findings)
    assert all(f.exception_id for f in again.findings if f.action)
    with runtime.sessions() as s:
        assert len(s.scalars(select(BusinessException)).all()) == 7
    # the console's report is the last run's, with its CSV
    kept = load_report(runtime)
    assert kept is not None and len(kept.findings) == len(again.findings)
    assert "record_deleted,PO-DEL" in kept.to_csv().replace("acme,", "")


def test_one_correlation_id_finds_the_odoo_record(
    real_odoo: OdooDatabase, world: dict[str, int], tmp_path: Path
) -> None:
    """Issue 20: the correlation id of each transaction is noted on the purchase order,
    receipt and bill its delivery writes; searching Odoo's chatter for it finds them."""
    db = real_odoo
    runtime = make_runtime(db, tmp_path)
    profile = runtime.registry.get("acme")
    assert profile is not None
    try:
        ids = {}
        for label, document in (
            ("order", order("PO-CID")),
            ("receipt", shipped("PO-CID", 100)),
            ("bill", billed("PO-CID", 100)),
        ):
            cid = f"0c0ffee0-{label:0>4}-4000-8000-00000000000{len(ids)}"
            outcome = deliver(document, profile=profile, odoo=runtime.odoo, correlation_id=cid)
            assert outcome.exceptions == []
            ids[label] = (cid, outcome.records)
            # delivering again (a retry) notes nothing twice
            deliver(document, profile=profile, odoo=runtime.odoo, correlation_id=cid)
        expected = {"order": "purchase.order", "receipt": "stock.picking", "bill": "account.move"}
        for label, (cid, records) in ids.items():
            notes = db.search_read(
                "mail.message", [["body", "ilike", cid]], ["model", "res_id", "body"]
            )
            assert [(n["model"], n["res_id"]) for n in notes] == [
                (r.model, r.id) for r in records if r.model == expected[label]
            ], (label, notes)
            assert f"correlation id {cid}" in notes[0]["body"]
    finally:
        runtime.engine.dispose()

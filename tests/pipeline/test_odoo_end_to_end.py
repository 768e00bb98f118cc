"""Document files → pipeline → Odoo, through the real client over HTTP to the Odoo double.

The sample partners' files go in as a partner would send them; what comes out is checked
in the double's records: purchase orders, acknowledgement notes, receipts with lots and
expiry dates (partial shipment → backorder), vendor bills linked to purchase lines, and
the business exceptions for what should not pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from gateway.canonical import ShipNotice
from gateway.engines import parse_payload
from gateway.intake import ReceivedPayload
from gateway.mapping import translate
from gateway.odoo.client import OdooClient
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.store.models import BusinessException, Delivery, Event, Transaction
from tests.conftest import REPO
from tests.pipeline.conftest import FIXTURES, fixture_bytes
from tests.support.odoo_double import OdooDouble, start_odoo_double

ITEM_FILES = {
    "summit-medical": ["850_purchase_order.edi", "856_ship_notice.edi"],
    "keystone-pharma": ["850_purchase_order.edi", "856_ship_notice.edi"],
    "nordlicht-medtech": ["ORDERS_purchase_order.edi", "DESADV_despatch_advice.edi"],
}


def _in_units(sizes: dict[str, Any], unit: str) -> float:
    """A unit's size in Units by the profile's ``uom_sizes`` (Case = 10 Box = 1000)."""
    size = sizes.get(unit)
    return 1.0 if size is None else float(size.ratio) * _in_units(sizes, size.of)


def seed_master_data(double: OdooDouble, runtime: Runtime) -> None:
    """Vendors, units, taxes and every product the sample partners' documents name.

    As the real-Odoo tests set it up: US medical supplies untaxed, Nordlicht's goods
    with 19 % VAT, a Freight product for Summit's freight charges.
    """
    vat19 = double.odoo.create(
        "account.tax", {"name": "19% VAT", "amount": 19.0, "type_tax_use": "purchase"}
    )
    double.add_product("Freight", default_code="Freight", taxes=[])
    for profile in runtime.registry.all():
        if "supplier" not in profile.roles:
            continue  # a customer's master data is not the vendors' (test_seller_cycle.py)
        assert profile.odoo is not None and profile.odoo.vendor_ref
        vendor = double.add_vendor(profile.name, profile.odoo.vendor_ref)
        sizes = profile.odoo.unit_sizes()
        for unit in sorted(set(profile.odoo.uom.values()) - {"Units", "Dozens"}):
            if unit not in {u["name"] for u in double.records("uom.uom")}:
                double.add_uom(unit, factor=1 / _in_units(sizes, unit))
        items: dict[str, dict[str, Any]] = {}
        for name in ITEM_FILES[profile.id]:
            payload = parse_payload(fixture_bytes(profile.id, name))
            ic = payload.interchanges[0]
            group = ic.groups[0]
            txn = group.transactions[0]
            mapping = runtime.maps.map_for(profile, ic.syntax.value, txn.version, txn.set_id)
            doc = translate(txn, interchange=ic, group=group, map=mapping, profile=profile).document
            lines = (
                [line for order in doc.orders for line in order.lines]
                if isinstance(doc, ShipNotice)
                else doc.lines  # type: ignore[attr-defined]
            )
            for line in lines:
                key = line.item.vendor_part or line.item.gtin or line.item.ndc or ""
                entry = items.setdefault(key, {"item": line.item, "lot": False})
                entry["lot"] |= bool(getattr(line, "lot_number", None))
        for entry in items.values():
            item = entry["item"]
            product = double.add_product(
                item.description or item.vendor_part or "item",
                default_code=item.vendor_part or None,
                barcode=item.gtin or item.ndc or item.upc or None,
                tracking="lot" if entry["lot"] else "none",
                use_expiration_date=entry["lot"],
                taxes=[vat19] if profile.id == "nordlicht-medtech" else [],
            )
            if item.vendor_part:
                double.add_supplierinfo(vendor, product, item.vendor_part)


@pytest.fixture
def odoo() -> Iterator[OdooDouble]:
    double = start_odoo_double(17)
    yield double
    double.stop()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Keystone's orders come in confirmed, so receipts and bills can follow them."""
    site = tmp_path / "site"
    site.mkdir()
    profile = yaml.safe_load((REPO / "partner_profiles" / "keystone-pharma.yaml").read_text())
    profile["odoo"]["purchase_order_state"] = "confirmed"
    (site / "keystone-pharma.yaml").write_text(yaml.safe_dump(profile))
    return site


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime], odoo: OdooDouble, site: Path) -> Runtime:
    rt = make_runtime(
        odoo_factory=lambda: OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password),
        profiles_dir=str(site),
        task_backoff_seconds=0.3,
        task_max_retries=6,
    )
    seed_master_data(odoo, rt)
    return rt


def ingest(runtime: Runtime, data: bytes, name: str) -> Transaction:
    receipt = StoreIntake(runtime).receive(
        ReceivedPayload(data=data, transport="cli", filename=name)
    )
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    with runtime.sessions() as s:
        return s.scalars(
            select(Transaction).where(Transaction.message_id == receipt.message_id)
        ).one()


def m2o(value: Any) -> Any:
    """The id of a many2one value as the double answers it ([id, name] or false)."""
    return value[0] if isinstance(value, list) and value else value


def exceptions(runtime: Runtime, txn: Transaction) -> list[BusinessException]:
    with runtime.sessions() as s:
        return list(
            s.scalars(select(BusinessException).where(BusinessException.transaction_id == txn.id))
        )


def test_x12_4010_supplier_chain_ack_receipt_with_lots_and_bill(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    from gateway.demo import seed_our_orders

    # given our purchase order MH-2026-0417 to Summit, confirmed in Odoo
    seed_our_orders(runtime)
    po = next(p for p in odoo.records("purchase.order") if p["name"] == "MH-2026-0417")
    # when Summit acknowledges it with one changed line
    ack = ingest(runtime, fixture_bytes("summit-medical", "855_po_ack.edi"), "855.edi")
    # then the buyer gets a note on the order and a changed-line exception to review
    assert ack.state == "business_exception"
    assert [e.kind for e in exceptions(runtime, ack)] == ["changed_line"]
    notes = [m for m in odoo.records("mail.message") if m2o(m.get("res_id")) == po["id"]]
    assert notes and "SMS-IVC20G" in str(notes[-1].get("body"))
    # when the ship notice comes: part of the order, several lots with expiry dates
    asn = ingest(runtime, fixture_bytes("summit-medical", "856_ship_notice.edi"), "856.edi")
    assert asn.state == "delivered", asn.error
    lots = {lot["name"]: lot for lot in odoo.records("stock.lot")}
    assert len(lots) >= 2 and all(lot["expiration_date"] for lot in lots.values())
    # the receipts keep the order's name as origin; the shipment id is in the chatter
    pickings = [p for p in odoo.records("stock.picking") if p.get("origin") == po["name"]]
    done = [p for p in pickings if p["state"] == "done"]
    assert any(
        "SH-778812" in m["body"]
        for m in odoo.records("mail.message")
        if m["model"] == "stock.picking" and m["res_id"] == done[0]["id"]
    )
    assert len(done) == 1
    # a partial shipment: the rest waits in a backorder of the received picking
    assert [p["backorder_id"][0] for p in pickings if p["state"] != "done"] == [done[0]["id"]]
    # when the invoice comes for what was shipped
    bill_txn = ingest(runtime, fixture_bytes("summit-medical", "810_invoice.edi"), "810.edi")
    bills = [m for m in odoo.records("account.move") if m.get("move_type") == "in_invoice"]
    assert len(bills) == 1 and bills[0]["ref"] == bill_txn.business_key
    lines = [
        line
        for line in odoo.records("account.move.line")
        if m2o(line.get("move_id")) == bills[0]["id"]
    ]
    goods = [line for line in lines if line.get("purchase_line_id")]
    assert len(goods) == 4  # and the freight charge on its own line
    assert [(line["name"], line["price_unit"]) for line in lines if line not in goods] == [
        ("FREIGHT", 25.0)
    ]
    assert bill_txn.state == "delivered", exceptions(runtime, bill_txn)
    assert bills[0]["state"] == "posted"


def test_x12_5010_order_to_bill_with_ndc_items(runtime: Runtime, odoo: OdooDouble) -> None:
    # the wholesaler's buying system sends a purchase order, then ships and bills it
    po = ingest(runtime, fixture_bytes("keystone-pharma", "850_purchase_order.edi"), "850.edi")
    assert po.state == "delivered", po.error
    orders = [p for p in odoo.records("purchase.order") if p["partner_ref"] == "KPW-PO-88120"]
    assert len(orders) == 1 and orders[0]["state"] == "purchase"
    asn = ingest(runtime, fixture_bytes("keystone-pharma", "856_ship_notice.edi"), "856.edi")
    assert asn.state == "delivered", (asn.error, exceptions(runtime, asn))
    bill = ingest(runtime, fixture_bytes("keystone-pharma", "810_invoice.edi"), "810.edi")
    assert bill.state == "delivered", exceptions(runtime, bill)
    assert len([m for m in odoo.records("account.move") if m.get("ref") == "KINV-771205"]) == 1


def test_edifact_d96a_chain_ordrsp_desadv_invoic(runtime: Runtime, odoo: OdooDouble) -> None:
    from gateway.demo import seed_our_orders

    seed_our_orders(runtime)
    rsp = ingest(
        runtime, fixture_bytes("nordlicht-medtech", "ORDRSP_order_response.edi"), "ordrsp.edi"
    )
    assert rsp.state == "business_exception", rsp.error
    assert [e.kind for e in exceptions(runtime, rsp)] == ["changed_line"]  # 10 → 8 on line 3
    desadv = ingest(
        runtime, fixture_bytes("nordlicht-medtech", "DESADV_despatch_advice.edi"), "desadv.edi"
    )
    assert desadv.state == "delivered", (desadv.error, exceptions(runtime, desadv))
    assert any(lot["expiration_date"] for lot in odoo.records("stock.lot"))
    invoic = ingest(runtime, fixture_bytes("nordlicht-medtech", "INVOIC_invoice.edi"), "invoic.edi")
    assert invoic.state == "delivered", (invoic.error, exceptions(runtime, invoic))
    bills = [m for m in odoo.records("account.move") if m.get("ref") == invoic.business_key]
    assert len(bills) == 1 and bills[0]["state"] == "posted"


def test_edifact_orders_become_a_purchase_order(runtime: Runtime, odoo: OdooDouble) -> None:
    # an ORDERS from Nordlicht's side of the envelope (a buying system sending orders)
    data = fixture_bytes("nordlicht-medtech", "ORDERS_purchase_order.edi").replace(
        b"+5412345000006:14+4045678000002:14+", b"+4045678000002:14+5412345000006:14+"
    )
    txn = ingest(runtime, data, "orders.edi")
    assert txn.state == "delivered", (txn.error, exceptions(runtime, txn))
    assert [p["partner_ref"] for p in odoo.records("purchase.order")] == [txn.business_key]


def test_a_price_per_hundred_is_ordered_and_billed_per_unit(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    # given an 850 and its 810 whose line 3 is priced 64.00 per hundred (639 HP), not 0.64
    order = fixture_bytes("keystone-pharma", "850_purchase_order.edi").replace(
        b"PO1*3*200*EA*0.64**N4", b"PO1*3*200*EA*64*HP*N4"
    )
    invoice = fixture_bytes("keystone-pharma", "810_invoice.edi").replace(
        b"IT1*3*200*EA*0.64**N4", b"IT1*3*200*EA*64*HP*N4"
    )
    assert order != fixture_bytes("keystone-pharma", "850_purchase_order.edi")
    assert invoice != fixture_bytes("keystone-pharma", "810_invoice.edi")
    # when both go through the pipeline to Odoo
    po = ingest(runtime, order, "850.edi")
    assert po.state == "delivered", (po.error, exceptions(runtime, po))
    # then the confirmed purchase order line costs 0.64 each, as the bill does
    prices = {
        line["product_qty"]: line["price_unit"] for line in odoo.records("purchase.order.line")
    }
    assert prices[200.0] == pytest.approx(0.64)
    ingest(runtime, fixture_bytes("keystone-pharma", "856_ship_notice.edi"), "856.edi")
    bill = ingest(runtime, invoice, "810.edi")
    assert bill.state == "delivered", (bill.error, exceptions(runtime, bill))


def test_orders_priced_per_hundred_pieces_become_a_price_per_piece(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    data = (
        fixture_bytes("nordlicht-medtech", "ORDERS_purchase_order.edi")
        .replace(b"+5412345000006:14+4045678000002:14+", b"+4045678000002:14+5412345000006:14+")
        .replace(b"PRI+AAA:0.85'", b"PRI+AAA:85:::100:PCE'")
    )
    assert b"PRI+AAA:85:::100:PCE'" in data
    txn = ingest(runtime, data, "orders.edi")
    assert txn.state == "delivered", (txn.error, exceptions(runtime, txn))
    prices = {
        line["product_qty"]: line["price_unit"] for line in odoo.records("purchase.order.line")
    }
    assert prices[200.0] == pytest.approx(0.85)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # retail price (639 RE): not what the hospital pays
        (b"PO1*3*200*EA*0.64**N4", b"PO1*3*200*EA*64*RE*N4"),
        # a price per hundred kilograms on a line ordered in each
        (b"PO1*3*200*EA*0.64**N4", b"PO1*3*200*EA*64*PK*N4"),
    ],
)
def test_an_unsupported_price_basis_creates_no_order(
    runtime: Runtime, odoo: OdooDouble, old: bytes, new: bytes
) -> None:
    data = fixture_bytes("keystone-pharma", "850_purchase_order.edi").replace(old, new)
    assert new in data
    txn = ingest(runtime, data, "850.edi")
    assert txn.state == "rejected"
    assert "price_basis" in (txn.error or "") and new.split(b"*")[5].decode() in (txn.error or "")
    assert odoo.records("purchase.order") == []


def test_ordrsp_priced_per_hundred_pieces_is_no_price_change(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    from gateway.demo import seed_our_orders

    seed_our_orders(runtime)
    data = fixture_bytes("nordlicht-medtech", "ORDRSP_order_response.edi").replace(
        b"PRI+AAA:0,85'", b"PRI+AAA:85:::100:PCE'"
    )
    assert b"PRI+AAA:85:::100:PCE'" in data
    rsp = ingest(runtime, data, "ordrsp.edi")
    # only the quantity change of line 3 the fixture carries, no price change on line 1
    assert [e.kind for e in exceptions(runtime, rsp)] == ["changed_line"]
    assert all("price" not in e.message for e in exceptions(runtime, rsp))


@pytest.mark.parametrize("code", ["IB", "BP"])
def test_a_backordered_855_line_is_raised_to_the_buyer(
    runtime: Runtime, odoo: OdooDouble, code: str
) -> None:
    # BP (accepted, partial shipment, balance backordered) is a backorder as IB is, not
    # "accepted"
    from gateway.demo import seed_our_orders

    seed_our_orders(runtime)
    data = fixture_bytes("summit-medical", "855_po_ack.edi").replace(
        b"ACK*IA*50*BX*068*20261118", b"ACK*" + code.encode() + b"*50*BX"
    )
    assert b"ACK*" + code.encode() + b"*50*BX" in data
    ack = ingest(runtime, data, "855.edi")
    messages = [e.message for e in exceptions(runtime, ack) if e.kind == "changed_line"]
    assert "line 1: the vendor marked the line backordered" in messages


def test_price_mismatch_leaves_the_bill_in_draft(runtime: Runtime, odoo: OdooDouble) -> None:
    from gateway.demo import seed_our_orders

    seed_our_orders(runtime)
    ingest(runtime, fixture_bytes("nordlicht-medtech", "DESADV_despatch_advice.edi"), "desadv.edi")
    original = fixture_bytes("nordlicht-medtech", "INVOIC_invoice.edi")
    prices = [seg for seg in original.split(b"'") if seg.strip().startswith(b"PRI+AAA:")]
    assert prices
    first = prices[0].strip()
    amount = Decimal(first.split(b":")[1].decode())
    data = original.replace(
        first, first.replace(str(amount).encode(), str(amount * 2).encode(), 1), 1
    )
    bill = ingest(runtime, data, "invoic-wrong-price.edi")
    assert bill.state == "business_exception"
    assert "price_mismatch" in {e.kind for e in exceptions(runtime, bill)}
    bills = [m for m in odoo.records("account.move") if m.get("ref") == bill.business_key]
    assert [b["state"] for b in bills] == ["draft"]


def test_unknown_item_creates_no_order(runtime: Runtime, odoo: OdooDouble) -> None:
    data = (
        fixture_bytes("keystone-pharma", "850_purchase_order.edi")
        .replace(b"00264780000", b"99999999999")
        .replace(b"KPW-264780", b"KPW-999999")
    )
    txn = ingest(runtime, data, "850-unknown.edi")
    assert txn.state == "business_exception"
    found = exceptions(runtime, txn)
    assert [e.kind for e in found] == ["unknown_item"] and "99999999999" in found[0].message
    assert odoo.records("purchase.order") == []


def test_odoo_unreachable_for_a_while_then_delivered_once(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    odoo.go_offline()
    # Odoo comes back once the pipeline has recorded a retry (a timer raced the pipeline
    # on a loaded machine: it could reach delivery after the outage ended, with no retry)
    retried = threading.Event()

    def come_back_after_a_retry() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with runtime.sessions() as s:
                if s.scalar(select(Event.id).where(Event.kind == "retry").limit(1)):
                    retried.set()
                    break
            time.sleep(0.02)
        odoo.come_back()

    watcher = threading.Thread(target=come_back_after_a_retry, daemon=True)
    watcher.start()
    txn = ingest(runtime, fixture_bytes("keystone-pharma", "850_purchase_order.edi"), "850.edi")
    watcher.join(timeout=5)
    assert retried.is_set(), "the pipeline never retried while Odoo was away"
    assert txn.state == "delivered", txn.error
    assert txn.retries >= 1
    assert len(odoo.records("purchase.order")) == 1
    with runtime.sessions() as s:
        kinds = s.scalars(select(Event.kind).where(Event.transaction_id == txn.id)).all()
    assert "retry" in kinds


def test_replay_of_a_delivered_transaction_creates_nothing_new(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    from gateway.pipeline.operations import replay_transaction

    txn = ingest(runtime, fixture_bytes("keystone-pharma", "850_purchase_order.edi"), "850.edi")
    assert txn.state == "delivered"
    calls_before = len(odoo.requests)
    replay_transaction(runtime, txn.id, actor="test")
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    assert len(odoo.records("purchase.order")) == 1
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 1
    assert len(odoo.requests) == calls_before  # the ledger answered; Odoo was not asked


def test_every_sample_partner_file_is_used() -> None:
    # keeps ITEM_FILES honest when sample files are renamed
    for partner, names in ITEM_FILES.items():
        for name in names:
            assert (FIXTURES / partner / name).is_file()

"""The poll sends a customer one 855 per confirmed sale order made from their 850 (the
Odoo double; the codec in tests/outbound/test_order_acknowledgement.py, the real Odoo 17
in tests/odoo_real/test_seller_outbound.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.canonical import LineStatus
from gateway.customer_items import CustomerItemRef, replace_items
from gateway.odoo.client import OdooClient
from gateway.pipeline.outbound import flush_notes, list_orders, poll
from gateway.pipeline.runtime import Runtime
from gateway.store.db import session_scope
from gateway.store.models import OutboundOrder
from tests.fixtures.partners.build_fixtures import x12
from tests.odoo.test_sale_order import Shop, seed_shop
from tests.outbound.test_order_acknowledgement import read_back
from tests.pipeline.test_customer_orders import PROFILE, ingest, order_850
from tests.support.odoo_double import OdooDouble, start_odoo_double


class Recorder:
    """The customer's side of the transport: every file it was handed."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        self.files.append((filename, data))
        return f"outbox/{filename}"


@pytest.fixture
def runtime(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, shop: Shop, tmp_path: Path
) -> Runtime:
    site = tmp_path / "site"
    site.mkdir()
    profile = PROFILE + (
        "sftp: {hosted: {username: mercy}}\noutbound: {order_acknowledgement: {transport: sftp}}\n"
    )
    (site / "mercy.yaml").write_text(profile)
    rt = make_runtime(
        odoo_factory=lambda: OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password),
        profiles_dir=str(site),
    )
    with session_scope(rt.sessions) as session:
        replace_items(session, "mercy", [CustomerItemRef("M-778", "GAU-1", "default_code", 1)])
    return rt


@pytest.fixture
def odoo() -> Iterator[OdooDouble]:
    double = start_odoo_double(17)
    yield double
    double.stop()


@pytest.fixture
def shop(odoo: OdooDouble) -> Shop:
    shop = seed_shop(odoo)
    for product in (shop.glove_id, shop.syringe_id, shop.gauze_id):
        odoo.put_in_stock(product, 100)  # all in stock: every line accepted
    return shop


def test_confirmed_sale_order_from_a_customer_850_sends_one_855(
    runtime: Runtime, odoo: OdooDouble, shop: Shop
) -> None:
    recorder = Recorder()
    runtime.senders["sftp"] = recorder
    client = OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password)
    # a hand-made sale order for the same customer is no EDI order: nothing is owed
    hand = client.create("sale.order", {"partner_id": shop.customer_id})
    client.call("sale.order", "action_confirm", ids=[hand])
    # when the customer's 850 becomes a confirmed sale order and the poll runs
    txn = ingest(runtime, order_850(601), "850.edi")
    assert txn.state == "delivered", txn.error
    result = poll(runtime, partner_id="mercy")
    assert not result.errors, result.errors
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    # then one 855 went out, accepted as asked, numbered with the sale order
    assert result.queued == ["MH-5001"]
    [(filename, data)] = recorder.files
    assert filename.startswith("855_MH-5001_")
    [order] = [o for o in odoo.records("sale.order") if o["client_order_ref"] == "MH-5001"]
    text = data.decode()
    assert "BAK*00*AD*MH-5001*" in text and f"****{order['name']}*" in text
    assert text.count("ACK*IA*") == 3 and "ACK*IA*5*EA*067*20261217~" in text
    ack = read_back("x12/004010/855", data)
    assert [(x.line_number, x.quantity, x.status) for x in ack.lines] == [
        ("1", 20, LineStatus.ACCEPTED), ("2", 5, LineStatus.ACCEPTED),
        ("3", 40, LineStatus.ACCEPTED),
    ]  # fmt: skip
    with runtime.sessions() as s:
        [row] = s.scalars(select(OutboundOrder)).all()
    assert (row.document_type, row.odoo_model, row.odoo_id) == (
        "order_acknowledgement", "sale.order", order["id"],
    )  # fmt: skip
    assert row.state == "sent"
    with runtime.sessions() as s:
        [listed] = list_orders(s)
    assert listed["document_type"] == "order_acknowledgement" and listed["set"] == "855"
    # a second poll (and a touch of the order) sends nothing more
    client.write("sale.order", [order["id"]], {"note": "<p>packed</p>"})
    again = poll(runtime, partner_id="mercy")
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    assert again.queued == [] and len(recorder.files) == 1
    # when the customer's 997 accepts our 855
    group, transaction = row.group_control, row.transaction_control
    body = ["AK1*PR*" + group, f"AK2*855*{transaction}", "AK5*A", "AK9*A*1*1*1"]
    ack = x12("MERCYHOSP", "MERIDIANHEALTH", "004010", "FA", 611, [("997", body)])
    ingest(runtime, ack.encode(), "997.edi")
    # then the 855 is accepted, and the chatter of the sale order says what happened
    with runtime.sessions() as s:
        assert s.get(OutboundOrder, row.id).state == "accepted"  # type: ignore[union-attr]
    assert flush_notes(runtime) >= 2
    notes = [
        m["body"]
        for m in odoo.records("mail.message")
        if m.get("model") == "sale.order" and m.get("res_id") == order["id"]
    ]
    assert any("sent as 855" in n for n in notes) and any("997 accepted" in n for n in notes)

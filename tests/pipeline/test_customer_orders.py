"""A customer's X12 850 → pipeline → a sale order in the Odoo double, exactly once.

The customer's part numbers come from the store's cross-reference table (as
``edi-gateway xref import`` leaves them); the sale order's id is on the delivery ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.customer_items import CustomerItemRef, replace_items
from gateway.intake import ReceivedPayload
from gateway.odoo.client import OdooClient
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Delivery, Transaction
from tests.fixtures.partners.build_fixtures import x12
from tests.odoo.test_sale_order import SHIP_GLN, Shop, seed_shop
from tests.support.odoo_double import OdooDouble, start_odoo_double

PROFILE = """\
id: mercy
name: Mercy Hospital
role: customer
x12: {isa_qualifier: ZZ, isa_id: MERCYHOSP}
odoo:
  customer_ref: MERCY
  uom: {EA: Units}
  sale_order: {confirm: auto}
"""


def order_850(control: int, glove_price: str = "8.50", purpose: str = "00") -> bytes:
    body = [
        f"BEG*{purpose}*SA*MH-5001**20261201",
        "DTM*002*20261210",
        "N1*BY*MERCY HOSPITAL*92*MERCY",
        f"N1*ST*MERCY RECEIVING DOCK*UL*{SHIP_GLN}",
        f"PO1*1*20*EA*{glove_price}**UK*00017953755437",
        "PO1*2*5*EA*13.50**VP*SYR-1",
        "DTM*002*20261217",
        "PO1*3*40*EA*4.00**BP*M-778",
        "CTT*3",
    ]
    text = x12("MERCYHOSP", "MERIDIANHEALTH", "004010", "PO", control, [("850", body)])
    return text.encode()


@pytest.fixture
def odoo() -> Iterator[OdooDouble]:
    double = start_odoo_double(17)
    yield double
    double.stop()


@pytest.fixture
def shop(odoo: OdooDouble) -> Shop:
    return seed_shop(odoo)


@pytest.fixture
def runtime(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, shop: Shop, tmp_path: Path
) -> Runtime:
    site = tmp_path / "site"
    site.mkdir()
    (site / "mercy.yaml").write_text(PROFILE)
    rt = make_runtime(
        odoo_factory=lambda: OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password),
        profiles_dir=str(site),
    )
    with session_scope(rt.sessions) as session:
        replace_items(session, "mercy", [CustomerItemRef("M-778", "GAU-1", "default_code", 1)])
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


def test_customer_850_becomes_one_confirmed_sale_order_and_a_resend_none(
    runtime: Runtime, odoo: OdooDouble, shop: Shop
) -> None:
    # when the customer's 850 comes in
    first = ingest(runtime, order_850(501), "850.edi")
    # then it is delivered as a confirmed sale order, found by GTIN, our part and theirs
    assert first.state == "delivered", first.error
    [order] = odoo.records("sale.order")
    assert order["client_order_ref"] == "MH-5001" and order["state"] == "sale"
    assert order["partner_id"][0] == shop.customer_id
    assert order["partner_shipping_id"][0] == shop.dock_id
    lines = sorted(odoo.records("sale.order.line"), key=lambda x: x["sequence"])
    assert [x["product_id"][0] for x in lines] == [shop.glove_id, shop.syringe_id, shop.gauze_id]
    # and the ledger holds the sale order (what outbound 855/856/810 will start from)
    with runtime.sessions() as s:
        [delivery] = s.scalars(select(Delivery)).all()
    assert delivery.document_type == "purchase_order" and delivery.business_key == "MH-5001"
    assert delivery.records[0]["model"] == "sale.order"
    assert delivery.records[0]["id"] == order["id"]
    # when the customer sends the same order again (a new interchange)
    again = ingest(runtime, order_850(502), "850-again.edi")
    # then no second sale order is made
    assert again.state == "delivered"
    assert len(odoo.records("sale.order")) == 1


def test_price_difference_through_the_pipeline_leaves_a_quotation(
    runtime: Runtime, odoo: OdooDouble, shop: Shop
) -> None:
    txn = ingest(runtime, order_850(511, glove_price="8.00"), "850.edi")
    assert txn.state == "business_exception"
    with runtime.sessions() as s:
        [exc] = s.scalars(select(BusinessException)).all()
    assert exc.kind == "customer_price_mismatch" and exc.line_number == "1"
    assert (exc.expected, exc.received) == ("8.5", "8.00")
    assert exc.owner_group == "sales"
    [order] = odoo.records("sale.order")
    assert order["state"] == "draft"
    # a resend of the same order finds the quotation: still one order
    ingest(runtime, order_850(512, glove_price="8.00"), "850-again.edi")
    assert len(odoo.records("sale.order")) == 1

"""What we send a customer, from a real Odoo 17 with ``sale_stock``: a customer's 850
becomes a sale order (the fixtures of test_sale_order.py); confirming it, after the
sales desk changed a quantity, sends an 855 whose every line status is what Odoo says,
checked segment by segment and read back by our own inbound 855 map to the same
canonical acknowledgement.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.canonical import OrderAcknowledgement
from gateway.customer_items import CustomerItemRef, replace_items
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.outbound import poll
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.store.models import OutboundOrder
from tests.odoo_real.samples import exceptions, ingest
from tests.odoo_real.test_sale_order import Shop, lines_of, order_850, sale_orders, seed
from tests.outbound.test_order_acknowledgement import comparable, read_back
from tests.support.real_odoo import OdooDatabase

pytestmark = [
    pytest.mark.parametrize("real_odoo", [{"version": 17, "extra": ["sale_stock"]}], indirect=True),
    pytest.mark.timeout(900),
]

MERCY = """\
id: mercy
name: Mercy Hospital
role: customer
x12: {isa_qualifier: ZZ, isa_id: MERCYHOSP}
acknowledgements: {x12: none}
sftp: {hosted: {username: mercy}}
odoo:
  customer_ref: MERCY
  uom: {EA: Units}
  sale_order: {confirm: review}
outbound:
  order_acknowledgement: {transport: sftp}
"""


class Recorder:
    """The customer's side of the transport: every file it was handed."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        self.files.append((filename, data))
        return f"outbox/{filename}"


def stock(db: OdooDatabase, product: int, quantity: float, lot: int | None = None) -> None:
    """Put ``quantity`` of ``product`` (of ``lot``) in WH/Stock, as an inventory count."""
    values: dict[str, Any] = {
        "product_id": product,
        "location_id": db.ref("stock.stock_location_stock"),
        "inventory_quantity": quantity,
    }
    if lot is not None:
        values["lot_id"] = lot
    quant = db.call("stock.quant", "create", [values], context={"inventory_mode": True})
    quant_id = quant[0] if isinstance(quant, list) else quant
    db.call("stock.quant", "action_apply_inventory", [quant_id])


@pytest.fixture(scope="module")
def shop(real_odoo: OdooDatabase) -> Shop:
    shop = seed(real_odoo)
    stock(real_odoo, shop.syringe, 100)  # gloves and gauze wait for goods
    return shop


@pytest.fixture
def runtime(real_odoo: OdooDatabase, shop: Shop, tmp_path: Path) -> Iterator[Runtime]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "mercy.yaml").write_text(MERCY)
    env = real_odoo.gateway_env()
    settings = Settings(
        data_dir=tmp_path,
        profiles_dir=str(site),
        shipped_profiles=False,
        odoo_url=env["EDIGW_ODOO_URL"],
        odoo_db=env["EDIGW_ODOO_DB"],
        odoo_user=env["EDIGW_ODOO_USER"],
        odoo_password=env["EDIGW_ODOO_PASSWORD"],
        task_backoff_seconds=0.01,
    )
    rt = build_runtime(settings, dispatcher=InlineDispatcher())
    with session_scope(rt.sessions) as session:
        replace_items(session, "mercy", [CustomerItemRef("M-778", "GAU-1", "default_code", 2)])
    yield rt
    rt.engine.dispose()


def segments(data: bytes) -> list[list[str]]:
    return [s.strip().split("*") for s in data.decode().split("~") if s.strip()]


def test_confirming_the_sale_order_sends_an_855_line_by_line(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop
) -> None:
    db = real_odoo
    recorder = Recorder()
    runtime.senders["sftp"] = recorder
    # given Mercy's 850 as a quotation in Odoo
    txn = ingest(runtime, order_850(701, "MH-7001"), "850.edi")
    assert txn.state == "delivered", (txn.error, exceptions(runtime, txn))
    [order] = sale_orders(db, shop.mercy, "MH-7001")
    # nothing is owed for a quotation
    assert poll(runtime, partner_id="mercy").queued == [] and recorder.files == []
    # when the sales desk cuts the gloves to 15 and confirms
    gloves = lines_of(db, order["id"])[0]
    db.call("sale.order.line", "write", [gloves["id"]], {"product_uom_qty": 15})
    db.call("sale.order", "action_confirm", [order["id"]])
    result = poll(runtime, partner_id="mercy")
    assert not result.errors, result.errors
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    # then one 855 went to Mercy
    assert result.queued == ["MH-7001"]
    [(filename, data)] = recorder.files
    assert filename.startswith("855_MH-7001_")
    seg = segments(data)
    tags = [s[0] for s in seg]
    assert tags == ["ISA", "GS", "ST", "BAK", "N1", "N1", "PO1", "ACK", "PO1", "ACK", "PO1",
                    "ACK", "CTT", "SE", "GE", "IEA"]  # fmt: skip
    gs, bak = seg[1], seg[3]
    assert gs[1] == "PR" and gs[8] == "004010"
    # BAK: original, accepted with changes, their PO, our sale order's number
    assert bak[1:4] == ["00", "AC", "MH-7001"] and bak[8] == order["name"]
    assert seg[4][:3] == ["N1", "BY", "MERCY HOSPITAL"]
    assert seg[5][:2] == ["N1", "SE"]
    # gloves: quantity changed to 15 at Odoo's price; syringes in stock: accepted for the
    # date the line asked; gauze: no stock, backordered
    assert seg[6] == ["PO1", "1", "15", "EA", "8.5", "PE", "UK", "00017953755437"]
    assert seg[7] == ["ACK", "IQ", "15", "EA", "067", "20261210"]
    assert seg[8] == ["PO1", "2", "5", "EA", "13.5", "PE", "VP", "SYR-1"]
    assert seg[9] == ["ACK", "IA", "5", "EA", "067", "20261217"]
    assert seg[10] == ["PO1", "3", "40", "EA", "4", "PE", "BP", "M-778"]
    assert seg[11] == ["ACK", "IB", "40", "EA", "067", "20261210"]
    assert seg[12] == ["CTT", "3"]
    # and our own reader gives back the canonical acknowledgement that was stored
    with runtime.sessions() as s:
        [row] = s.scalars(select(OutboundOrder)).all()
    assert (row.document_type, row.odoo_id, row.state) == (
        "order_acknowledgement", order["id"], "sent",
    )  # fmt: skip
    stored = OrderAcknowledgement.model_validate(row.document)
    assert comparable(read_back("x12/004010/855", data)) == comparable(stored)
    # a later poll sends nothing more
    assert poll(runtime, partner_id="mercy").queued == []
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    assert len(recorder.files) == 1

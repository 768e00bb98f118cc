"""The console's sent documents of every kind, labelled from the document registry, and the
partner page of a partner that is both our supplier and our customer (both directions)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.store.db import session_scope
from gateway.store.models import OutboundOrder
from tests.api.world import World, make_world
from tests.fixtures.partners.build_fixtures import x12

PROFILE = """\
id: mercy
name: Mercy Hospital
role: [supplier, customer]
x12: {isa_qualifier: ZZ, isa_id: MERCYHOSP}
sftp: {hosted: {username: mercy}}
odoo: {vendor_ref: MERCY, uom: {EA: Units}}
outbound:
  purchase_order: {transport: sftp}
  order_acknowledgement: {transport: sftp}
  ship_notice: {transport: sftp, gs1_prefix: "0614141"}
"""
# (document type, Odoo model, business key, set, state)
SENT = [
    ("purchase_order", "purchase.order", "P00042", "850", "acknowledged"),
    ("order_acknowledgement", "sale.order", "MH-5001", "855", "accepted"),
    ("ship_notice", "stock.picking", "WH/OUT/00007", "856", "sent"),
    ("invoice", "account.move", "INV/2026/00003", "810", "sent"),
]


def world(tmp_path: Path) -> World:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "mercy.yaml").write_text(PROFILE)
    w = make_world(tmp_path / "data", documents=False, profiles_dir=str(profiles))
    with session_scope(w.runtime.sessions) as session:
        for n, (kind, model, key, set_id, state) in enumerate(SENT, 1):
            session.add(
                OutboundOrder(
                    partner_id="mercy", document_type=kind, odoo_model=model, odoo_id=n,
                    business_key=key, state=state, syntax="x12", set_id=set_id,
                    map_name=f"x12/004010/{set_id}", transport="sftp",
                    interchange_control=str(100 + n), correlation_id=str(uuid.uuid4()),
                )
            )  # fmt: skip
    # Mercy orders from us (as a customer) and acknowledges our order (as a supplier)
    order = ["BEG*00*SA*MH-5001**20261201", "N1*BY*MERCY HOSPITAL*92*MERCY",
             "PO1*1*20*EA*8.50**VP*GLV-1", "CTT*1"]  # fmt: skip
    ack = ["BAK*00*AC*P00042*20261202", "PO1*1*10*EA*4.00**VP*GAU-1",
           "ACK*IA*10*EA", "CTT*1"]  # fmt: skip
    for n, (code, set_id, body) in enumerate((("PO", "850", order), ("PR", "855", ack)), 1):
        data = x12("MERCYHOSP", "MERIDIANHEALTH", "004010", code, 9000 + n, [(set_id, body)])
        w.feed(set_id, data.encode(), f"{set_id}.edi")
    return w


def rows_of(page: str) -> list[list[str]]:
    """The sent-documents table as text cells per row."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        ]
        for tr in re.findall(r"<tr id=\"order-\d+\">(.*?)</tr>", body, re.S)
    ]


def test_sent_documents_of_every_kind_carry_the_registry_label(tmp_path: Path) -> None:
    w = world(tmp_path)
    with TestClient(create_app(w.runtime)) as c:
        c.post("/login", data={"key": w.keys["viewer"], "next": "/"})
        page = c.get("/orders").text
        notices = c.get("/orders", params={"document_type": "ship_notice"}).text
        bogus = c.get("/orders", params={"document_type": "nonsense"}).text
    # every kind, newest first, labelled as the registry names it, with its number
    rows = rows_of(page)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("Invoice", "INV/2026/00003", "mercy"),
        ("Ship notice", "WH/OUT/00007", "mercy"),
        ("Order acknowledgement", "MH-5001", "mercy"),
        ("Purchase order", "P00042", "mercy"),
    ]
    assert rows[0][4].startswith("810 104") and rows[2][4].startswith("855 102")
    # the kind filter offers the registry's labels and narrows the list
    assert '<option value="ship_notice" >Ship notice</option>' in page
    assert [r[0] for r in rows_of(notices)] == ["Ship notice"]
    assert '<option value="ship_notice" selected>Ship notice</option>' in notices
    # an unknown kind is no filter at all (nothing hidden, nothing broken)
    assert len(rows_of(bogus)) == 4


def test_the_page_of_a_supplier_and_customer_shows_both_directions(tmp_path: Path) -> None:
    w = world(tmp_path)
    with TestClient(create_app(w.runtime)) as c:
        c.post("/login", data={"key": w.keys["viewer"], "next": "/"})
        page = c.get("/partners/mercy").text
        supplier_only = c.get("/partners/keystone-pharma").text
    section = page.split('id="directions"', 1)[1].split("</section>", 1)[0]
    supplier = section.split('id="role-supplier"', 1)[1].split('id="role-customer"', 1)[0]
    customer = section.split('id="role-customer"', 1)[1]
    cells = r"<td>(received from them|sent to them)</td><td>(.*?)</td>"
    flows = lambda html: [  # noqa: E731
        (way, re.sub(r"<[^>]+>", "", what).strip()) for way, what in re.findall(cells, html, re.S)
    ]
    # as our supplier: their answers come in, our purchase orders go out
    assert "As our supplier" in supplier
    assert flows(supplier) == [
        ("received from them", "Order acknowledgement"),
        ("received from them", "Ship notice"),
        ("received from them", "Invoice"),
        ("sent to them", "Purchase order"),
    ]
    # as our customer: their orders come in, what we owe them goes out (no invoices set up)
    assert "As our customer" in customer
    assert flows(customer) == [
        ("received from them", "Purchase order"),
        ("sent to them", "Order acknowledgement"),
        ("sent to them", "Ship notice"),
        ("sent to them", "Invoice (not in the profile's outbound section)"),
    ]
    # with the traffic so far, linked to the filtered lists
    assert "/orders?partner=mercy&amp;document_type=ship_notice" in customer
    assert "/messages?partner=mercy&amp;document_type=purchase_order" in customer
    received_850 = customer.split("Purchase order", 1)[1].split("</tr>", 1)[0]
    assert re.search(r"</span> 1 ", received_850), received_850  # the 850, in its state
    sent_855 = customer.split("Order acknowledgement", 1)[1].split("</tr>", 1)[0]
    assert "accepted" in sent_855 and "</span> 1 " in sent_855
    answer = supplier.split("Order acknowledgement", 1)[1].split("</tr>", 1)[0]
    assert "</span> 1 " in answer  # their 855 to our order
    # a supplier-only partner has one role: one side
    assert "As our supplier" in supplier_only and "As our customer" not in supplier_only

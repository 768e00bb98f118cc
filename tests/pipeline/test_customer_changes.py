"""A customer's 860 through the pipeline (997, translate, deliver) to the sale order its
850 became, exactly once per change: a resent 860 is recorded as already delivered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.customer_items import CustomerItemRef, replace_items
from gateway.odoo.client import OdooClient
from gateway.pipeline.customer_orders import asked_order
from gateway.pipeline.runtime import Runtime
from gateway.store.db import session_scope
from gateway.store.models import Acknowledgement, BusinessException, Delivery
from tests.fixtures.partners.build_fixtures import US_GLN, x12
from tests.fixtures.partners.build_fixtures import edifact as edifact_interchange
from tests.odoo.test_sale_order import SHIP_GLN, Shop, seed_shop
from tests.pipeline.test_customer_orders import PROFILE, ingest, order_850
from tests.support.odoo_double import OdooDouble, start_odoo_double


def change_860(control: int, sequence: str = "1", version: str = "004010") -> bytes:
    body = [
        f"BCH*04*SA*MH-5001**{sequence}*20261201",
        "DTM*002*20261218",
        "POC*1*QI*30*20*EA*8.50*PE*UK*00017953755437",
        "POC*3*DI*0**EA***BP*M-778",
        "POC*4*AI*12**EA***VP*SYR-1",
        "DTM*002*20261222",
        "CTT*3",
    ]
    return x12("MERCYHOSP", "MERIDIANHEALTH", version, "PC", control, [("860", body)]).encode()


@pytest.fixture
def odoo() -> Iterator[OdooDouble]:
    double = start_odoo_double(17)
    yield double
    double.stop()


@pytest.fixture
def shop(odoo: OdooDouble) -> Shop:
    return seed_shop(odoo)


def _runtime(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, tmp_path: Path, profile: str
) -> Runtime:
    site = tmp_path / "site"
    site.mkdir()
    (site / "mercy.yaml").write_text(profile)
    rt = make_runtime(
        odoo_factory=lambda: OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password),
        profiles_dir=str(site),
    )
    with session_scope(rt.sessions) as session:
        replace_items(session, "mercy", [CustomerItemRef("M-778", "GAU-1", "default_code", 1)])
    return rt


def test_an_860_changes_the_quotation_once_and_is_acknowledged(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, shop: Shop, tmp_path: Path
) -> None:
    runtime = _runtime(
        make_runtime, odoo, tmp_path, PROFILE.replace("confirm: auto", "confirm: review")
    )
    assert ingest(runtime, order_850(701), "850.edi").state == "delivered"
    # when the customer's 860 arrives
    txn = ingest(runtime, change_860(702), "860.edi")
    # then it is acknowledged (997 AK2*860, accepted) and applied to the quotation
    assert txn.state == "delivered", txn.error
    with runtime.sessions() as s:
        acks = s.scalars(select(Acknowledgement).where(Acknowledgement.direction == "out")).all()
        texts = [runtime.payloads.get(s, a.payload_sha256) for a in acks if a.payload_sha256]
    assert any(b"AK2*860*0001" in t and b"AK5*A" in t for t in texts), texts
    lines = sorted(odoo.records("sale.order.line"), key=lambda x: x["sequence"])
    assert [(x["sequence"], x["product_id"][0], x["product_uom_qty"]) for x in lines] == [
        (1, shop.glove_id, 30.0), (2, shop.syringe_id, 5.0), (4, shop.syringe_id, 12.0),
    ]  # fmt: skip
    [order] = odoo.records("sale.order")
    assert order["commitment_date"] == "2026-12-18 00:00:00"
    with runtime.sessions() as s:
        keys = sorted(d.business_key for d in s.scalars(select(Delivery)))
        asked = asked_order(s, "mercy", "MH-5001", order["id"])
    assert keys == ["MH-5001", "MH-5001/change/1"]
    # the order as the customer asks for it now: 30 gloves, syringes, no gauze, 12 more
    assert asked is not None
    assert [(x.line_number, x.quantity) for x in asked.lines] == [
        ("1", 30), ("2", 5), ("3", 0), ("4", 12),
    ]  # fmt: skip
    # when the same change comes again in a new interchange (same BCH05)
    again = ingest(runtime, change_860(703), "860-again.edi")
    # then it is recorded as already delivered and nothing changes
    assert again.state == "delivered"
    with runtime.sessions() as s:
        assert len(s.scalars(select(Delivery)).all()) == 2
    assert sorted(odoo.records("sale.order.line"), key=lambda x: x["sequence"]) == lines


def test_an_860_for_a_confirmed_order_under_review_is_a_business_exception(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, shop: Shop, tmp_path: Path
) -> None:
    runtime = _runtime(make_runtime, odoo, tmp_path, PROFILE)  # confirm: auto
    assert ingest(runtime, order_850(711), "850.edi").state == "delivered"
    txn = ingest(runtime, change_860(712), "860.edi")
    assert txn.state == "business_exception"
    with runtime.sessions() as s:
        rows = s.scalars(select(BusinessException)).all()
    [order] = odoo.records("sale.order")
    # the delivery date (the order's) and three lines, each named
    assert sorted(r.line_number or "" for r in rows) == ["", "1", "3", "4"]
    assert all(r.kind == "customer_changed_order" for r in rows)
    assert all(f"sale order {order['name']} was not changed" in r.message for r in rows)
    assert all(r.owner_group == "sales" for r in rows)
    lines = sorted(odoo.records("sale.order.line"), key=lambda x: x["sequence"])
    assert [x["product_uom_qty"] for x in lines] == [20.0, 5.0, 40.0]


def test_an_860_for_an_order_we_do_not_have_is_order_not_found(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, shop: Shop, tmp_path: Path
) -> None:
    runtime = _runtime(make_runtime, odoo, tmp_path, PROFILE)
    txn = ingest(runtime, change_860(721), "860.edi")
    assert txn.state == "business_exception"
    with runtime.sessions() as s:
        [row] = s.scalars(select(BusinessException)).all()
    assert row.kind == "order_not_found" and "MH-5001" in row.message


LAKESIDE = """\
id: lakeside
name: Lakeside Clinic
role: customer
edifact: {unb_id: "4098765000003", unb_qualifier: "14", directory: D01B}
acknowledgements: {contrl: true}
uom_codes: {PCE: EA}
odoo:
  customer_ref: MERCY
  uom: {EA: Units}
  sale_order: {confirm: review}
"""


def lakeside(message: str, control: str, body: list[str]) -> bytes:
    return edifact_interchange(
        "4098765000003", US_GLN, message, "EAN010", control, body, directory="01B"
    ).encode()


def test_an_edifact_ordchg_is_acknowledged_with_contrl_and_changes_the_quotation(
    make_runtime: Callable[..., Runtime], odoo: OdooDouble, shop: Shop, tmp_path: Path
) -> None:
    runtime = _runtime(make_runtime, odoo, tmp_path, LAKESIDE)
    orders = [
        "BGM+220+LK-1+9",
        "DTM+137:20261201:102",
        "DTM+2:20261210:102",
        "NAD+BY+4098765000003::9",
        f"NAD+DP+{SHIP_GLN}::9",
        "LIN+1++00017953755437:SRV",
        "QTY+21:20:PCE",
        "LIN+2",
        "PIA+1+SYR-1:SA",
        "QTY+21:5:PCE",
        "UNS+S",
    ]
    assert ingest(runtime, lakeside("ORDERS", "LK0001", orders), "orders.edi").state == (
        "delivered"
    )
    # the clinic's ORDCHG: 25 gloves, the syringes deleted
    ordchg = [
        "BGM+230+LK-1-C1+4",
        "DTM+137:20261202:102",
        "RFF+ON:LK-1",
        "LIN+1+3+00017953755437:SRV",
        "QTY+21:25:PCE",
        "LIN+2+2",
        "PIA+1+SYR-1:SA",
        "UNS+S",
    ]
    txn = ingest(runtime, lakeside("ORDCHG", "LK0002", ordchg), "ordchg.edi")
    assert txn.state == "delivered", txn.error
    # a CONTRL accepted it, and the quotation changed
    with runtime.sessions() as s:
        acks = s.scalars(
            select(Acknowledgement).where(
                Acknowledgement.direction == "out", Acknowledgement.kind == "CONTRL"
            )
        ).all()
        texts = [runtime.payloads.get(s, a.payload_sha256) for a in acks if a.payload_sha256]
        keys = sorted(d.business_key for d in s.scalars(select(Delivery)))
    assert any(b"UCI+LK0002+" in t and b"UCM+1+ORDCHG:D:01B:UN:EAN010+7'" in t for t in texts)
    assert keys == ["LK-1", "LK-1/change/LK-1-C1"]
    [order] = [o for o in odoo.records("sale.order") if o["client_order_ref"] == "LK-1"]
    lines = [x for x in odoo.records("sale.order.line") if x["order_id"][0] == order["id"]]
    assert [(x["sequence"], x["product_id"][0], x["product_uom_qty"]) for x in lines] == [
        (1, shop.glove_id, 25.0)
    ]

"""Publishing to a customer, fast (gateway/pipeline/outbound_publish.py): an EDIFACT
customer gets an INVRPT at the time of day its profile names, once per time; a product
the profile's unit table lacks fails the advice with an exception and waits for the next
time; the PRICAT follows the pricelist's stamp and is not resent when no price changed.
Odoo is a small table-backed stand-in for the models the readers use (the same behaviour
against a real Odoo 17: tests/odoo_real/test_stock_publish.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.canonical import InventoryAdvice, PriceCatalog
from gateway.engines import parse_payload
from gateway.mapping import MapLibrary, translate
from gateway.odoo.api import OdooApi
from gateway.odoo.dialect import OdooDialect
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.errors import PermanentError
from gateway.pipeline.outbound import record_functional_ack
from gateway.pipeline.outbound_publish import publish_due, send_catalog
from gateway.pipeline.runtime import Runtime
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, OutboundOrder

REPO = Path(__file__).resolve().parents[2]
INBOUND = MapLibrary.load([REPO / "maps"])
PROFILE = """\
id: stjude
name: St. Jude Klinikum
role: customer
edifact: {unb_id: "4000000000017", unb_qualifier: "14", directory: D96A}
acknowledgements: {contrl: false}
sftp: {hosted: {username: stjude}}
odoo:
  customer_id: 50
  uom: {EA: Units}
outbound:
  inventory_advice: {transport: sftp, at: ["06:00"]}
  price_catalog: {transport: sftp}
"""
MORNING = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)


class TableOdoo(OdooApi):
    """``search_read`` / ``read`` over in-memory tables (the leaves the readers use)."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.tables = tables

    @property
    def dialect(self) -> OdooDialect:  # the catalog asks it for the packaging field
        return OdooDialect(major=17, server_version="17.0")

    def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        params: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
    ) -> Any:
        params = params or {}
        rows = self.tables.get(model, [])
        warehouse = (context or {}).get("warehouse")
        if warehouse is not None:  # Odoo computes the quantities for that warehouse only
            rows = self.tables[f"{model}@{warehouse}"]
        if method == "read":
            wanted = set(ids or [])
            rows = [r for r in rows if r["id"] in wanted]
        elif method == "search_read":
            rows = [r for r in rows if all(_leaf(r, leaf) for leaf in params.get("domain", []))]
            if params.get("order") == "write_date desc":
                rows = sorted(rows, key=lambda r: str(r.get("write_date")), reverse=True)
            if params.get("limit"):
                rows = rows[: params["limit"]]
        else:
            raise NotImplementedError(f"{model}.{method}")
        return [dict(r) for r in rows]


def _leaf(row: dict[str, Any], leaf: list[Any]) -> bool:
    name, op, value = leaf
    have = row.get(name, False)
    if isinstance(have, list):  # a many2one [id, name]
        have = have[0]
    if op == "=":
        return bool(have == value)
    if op == "!=":
        return bool(have != value)
    if op == "in":
        return have in value
    raise NotImplementedError(op)


def tables() -> dict[str, list[dict[str, Any]]]:
    units = [1, "Units"]
    product = {
        "sale_ok": True, "uom_id": units, "categ_id": [3, "All"], "currency_id": [2, "EUR"],
        "cost_currency_id": [2, "EUR"], "standard_price": 1.0,
    }  # fmt: skip
    return {
        "res.company": [{"id": 1, "name": "Meridian Health Supply"}],
        "res.partner": [{"id": 50, "name": "St. Jude", "property_product_pricelist": [7, "SJ"]}],
        "product.product": [
            {
                **product,
                "id": 11,
                "product_tmpl_id": [21, "G"],
                "default_code": "GLV-1",
                "barcode": "00017953755437",
                "name": "Nitrile glove M",
                "lst_price": 9.0,
                "qty_available": 100.0,
                "virtual_available": 75.0,
            },
            {
                **product,
                "id": 12,
                "product_tmpl_id": [22, "S"],
                "default_code": "SYR-1",
                "barcode": "00614141000128",
                "name": "Syringe 5 ml",
                "lst_price": 15.0,
                "qty_available": 0.0,
                "virtual_available": -4.0,
            },
            # not sold: not published
            {
                **product,
                "id": 13,
                "product_tmpl_id": [23, "X"],
                "default_code": "OLD-1",
                "barcode": "00614141000135",
                "name": "Old",
                "lst_price": 1.0,
                "sale_ok": False,
                "qty_available": 5.0,
                "virtual_available": 5.0,
            },
        ],
        "product.category": [{"id": 3, "parent_path": "1/3/"}],
        "product.packaging": [{"id": 1, "product_id": [11, "G"], "qty": 100.0, "sequence": 1}],
        "decimal.precision": [{"id": 1, "name": "Product Price", "digits": 2}],
        "product.pricelist": [
            {"id": 7, "name": "SJ", "currency_id": [2, "EUR"], "write_date": "2026-12-01 10:00:00"}
        ],
        "product.pricelist.item": [
            {
                "id": 70,
                "pricelist_id": [7, "SJ"],
                "applied_on": "0_product_variant",
                "product_id": [11, "G"],
                "compute_price": "fixed",
                "fixed_price": 8.75,
                "min_quantity": 0,
                "write_date": "2026-12-01 10:00:00",
                "name": "GLV-1",
            },
            {
                "id": 71,
                "pricelist_id": [7, "SJ"],
                "applied_on": "3_global",
                "compute_price": "percentage",
                "percent_price": 10,
                "min_quantity": 20,
                "write_date": "2026-12-01 10:00:00",
                "name": "All from 20",
            },
        ],
    }


class Recorder:
    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        self.files.append((filename, data))
        return filename


@pytest.fixture
def odoo() -> TableOdoo:
    return TableOdoo(tables())


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime], odoo: TableOdoo, tmp_path: Path) -> Runtime:
    site = tmp_path / "site"
    site.mkdir()
    (site / "stjude.yaml").write_text(PROFILE)
    rt = make_runtime(odoo_factory=lambda: odoo, profiles_dir=str(site))
    rt.senders["sftp"] = Recorder()
    return rt


def sent(runtime: Runtime, prefix: str) -> list[bytes]:
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    recorder = runtime.senders["sftp"]
    assert isinstance(recorder, Recorder)
    return [data for name, data in recorder.files if name.startswith(prefix)]


def read_back(data: bytes) -> Any:
    (interchange,) = parse_payload(data).interchanges
    (group,) = interchange.groups
    (transaction,) = group.transactions
    profile = PartnerProfile.model_validate(
        {"id": "stjude", "name": "S", "edifact": {"unb_id": "X", "directory": "D96A"}}
    )
    inbound = INBOUND.map_for(profile, "edifact", "D96A", transaction.set_id)
    return translate(
        transaction, interchange=interchange, group=group, map=inbound, profile=profile
    ).document


def test_the_invrpt_goes_out_once_per_time_of_day(runtime: Runtime) -> None:
    # when the round runs after 06:00
    result = publish_due(runtime, MORNING)
    assert not result.errors and not result.failed, (result.errors, result.failed)
    # then one INVRPT went out with the stock of the products we sell (and the catalog)
    [data] = sent(runtime, "INVRPT")
    assert b"QTY+145:100:EA'INV++++1'QTY+99:75:EA'" in data and b"QTY+99:-4:EA'" in data
    advice = read_back(data)
    assert isinstance(advice, InventoryAdvice) and advice.report_number == "IA1"
    assert [(x.item.vendor_part, x.on_hand, x.forecast) for x in advice.lines] == [
        ("GLV-1", 100, 75),
        ("SYR-1", 0, -4),
    ]
    with runtime.sessions() as s:
        row = s.scalars(select(OutboundOrder).where(OutboundOrder.set_id == "INVRPT")).one()
        assert (row.state, row.odoo_model, row.odoo_id) == ("sent", "edi.inventory_advice", 1)
        assert InventoryAdvice.model_validate(row.document) == advice.model_copy(
            update={"source": None}
        )
    # later the same day nothing more; the next morning the next one
    assert publish_due(runtime, MORNING + dt.timedelta(hours=5)).queued == []
    assert publish_due(runtime, MORNING + dt.timedelta(days=1, minutes=-45)).queued == ["IA2"]
    assert len(sent(runtime, "INVRPT")) == 2


def test_one_warehouse_when_the_profile_names_it(
    make_runtime: Callable[..., Runtime], odoo: TableOdoo, tmp_path: Path
) -> None:
    site = tmp_path / "site2"
    site.mkdir()
    (site / "stjude.yaml").write_text(
        PROFILE.replace('at: ["06:00"]}', 'at: ["06:00"], warehouse: Portland}')
    )
    runtime = make_runtime(odoo_factory=lambda: odoo, profiles_dir=str(site))
    runtime.senders["sftp"] = Recorder()
    odoo.tables["stock.warehouse"] = [{"id": 2, "name": "Portland"}]
    odoo.tables["product.product@2"] = [
        {"id": 11, "qty_available": 30.0, "virtual_available": 30.0},
        {"id": 12, "qty_available": 2.0, "virtual_available": 1.0},
    ]
    assert publish_due(runtime, MORNING).queued[:1] == ["IA1"]
    [data] = sent(runtime, "INVRPT")
    advice = read_back(data)
    assert [(x.on_hand, x.forecast) for x in advice.lines] == [(30, 30), (2, 1)]
    # a warehouse Odoo does not have: the advice fails, naming it
    odoo.tables["stock.warehouse"] = []
    failed = publish_due(runtime, MORNING + dt.timedelta(days=1))
    assert failed.failed[:1] == ["IA2"]
    with runtime.sessions() as s:
        row = s.scalars(select(OutboundOrder).where(OutboundOrder.business_key == "IA2")).one()
    assert "no stock.warehouse named 'Portland'" in (row.error or "")


def test_a_unit_the_profile_lacks_fails_the_advice_until_the_next_time(
    runtime: Runtime, odoo: TableOdoo
) -> None:
    odoo.tables["product.product"][1]["uom_id"] = [2, "Dozens"]
    result = publish_due(runtime, MORNING)
    # (the catalog names the same product: it fails too)
    assert result.failed == ["IA1", "PC7-1"] and sent(runtime, "INVRPT") == []
    with runtime.sessions() as s:
        row = s.scalars(select(OutboundOrder).where(OutboundOrder.set_id == "INVRPT")).one()
        [exc] = s.scalars(
            select(BusinessException).where(BusinessException.outbound_order_id == row.id)
        ).all()
    assert row.state == "failed" and "product SYR-1: unit 'Dozens'" in (row.error or "")
    assert exc.kind == "publication_not_writable" and exc.detail["records"] == []
    # the failed time is not retried every round
    assert publish_due(runtime, MORNING + dt.timedelta(minutes=5)).failed == []


def test_the_pricat_follows_the_pricelist_and_is_not_resent_unchanged(
    runtime: Runtime, odoo: TableOdoo
) -> None:
    row = send_catalog(runtime, "stjude", MORNING)
    assert (row.business_key, row.state) == ("PC7-1", "queued")
    [data] = sent(runtime, "PRICAT")
    catalog = read_back(data)
    assert isinstance(catalog, PriceCatalog) and catalog.currency == "EUR"
    glove, syringe = catalog.lines
    assert [(p.unit_price, p.min_quantity) for p in glove.prices] == [(Decimal("8.75"), None)]
    assert glove.pack_size == Decimal(100)
    assert [(p.unit_price, p.min_quantity) for p in syringe.prices] == [
        (Decimal("15.00"), None),
        (Decimal("13.50"), Decimal(20)),
    ]
    # the scheduled round sees the same stamp: no catalog
    assert publish_due(runtime, MORNING).queued == ["IA1"]
    # a rule touched without changing a price: seen, not resent
    rules = odoo.tables["product.pricelist.item"]
    rules[0]["write_date"] = "2026-12-07 07:30:00"
    touched = publish_due(runtime, MORNING)
    assert touched.queued == [] and touched.unchanged == ["stjude"]
    # a price changed: the next catalog
    rules[1].update(percent_price=12, write_date="2026-12-07 08:00:00")
    assert publish_due(runtime, MORNING).queued == ["PC7-2"]
    assert b"PRI+AAA:13.2::::EA'RNG+4+EA:20'" in sent(runtime, "PRICAT")[1]
    # a rule removed changes the stamp too (the rule count), and the prices
    del rules[1]
    assert publish_due(runtime, MORNING).queued == ["PC7-3"]
    # a price changed within the second of the stamp last seen (write_date has whole
    # seconds: the stamp stays the same): a young stamp is checked by content, so it goes
    rules[0].update(fixed_price=8.5)  # write_date stays 07:30:00
    at = dt.datetime(2026, 12, 7, 7, 30, 40, tzinfo=dt.UTC)
    assert publish_due(runtime, at).queued == ["PC7-4"]
    assert b"PRI+AAA:8.5::::EA'" in sent(runtime, "PRICAT")[-1]
    again = publish_due(runtime, at + dt.timedelta(seconds=30))  # read again, not resent
    assert again.queued == [] and again.unchanged == ["stjude"]
    # once the stamp is settled an equal one means unchanged, without reading the prices
    settled = publish_due(runtime, at + dt.timedelta(hours=1))
    assert settled.queued == [] and settled.unchanged == []


def test_a_catalog_for_a_partner_without_the_section_is_refused(runtime: Runtime) -> None:
    with pytest.raises(PermanentError, match="no partner 'nobody'"):
        send_catalog(runtime, "nobody")


def test_a_contrl_rejecting_the_invrpt_names_the_inventory_advice(runtime: Runtime) -> None:
    # given the morning's INVRPT went out
    publish_due(runtime, MORNING)
    assert len(sent(runtime, "INVRPT")) == 1
    # when the customer's CONTRL rejects its interchange
    with session_scope(runtime.sessions) as s:
        row = s.scalars(select(OutboundOrder).where(OutboundOrder.set_id == "INVRPT")).one()
        control = row.interchange_control
        answered = record_functional_ack(s, "stjude", "CONTRL", control, None, "rejected", [])
        assert answered == [row.id]
    # then the exception says what was rejected: the inventory advice, not a purchase order
    with runtime.sessions() as s:
        exc = s.scalars(select(BusinessException)).one()
        assert exc.kind == "order_rejected"
        assert exc.message.startswith("CONTRL from the customer rejected inventory advice IA1")
        assert "(INVRPT)" in exc.message and "purchase order" not in exc.message

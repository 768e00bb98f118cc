"""Test traffic never reaches the production Odoo.

An interchange marked test (ISA15=T, UNB test indicator 1) or from a partner in
``mode.usage: test`` is delivered to the test Odoo (``EDIGW_ODOO_TEST_*``), or to the
dry-run outbox when there is none; the ledger and the events say which target it went to.
Both Odoos here are HTTP doubles reached through the real client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from gateway.odoo.client import OdooClient
from gateway.pipeline.runtime import Runtime
from gateway.store.models import Delivery, Event
from tests.conftest import REPO
from tests.pipeline.conftest import fixture_bytes
from tests.pipeline.test_odoo_end_to_end import ingest, seed_master_data
from tests.support.odoo_double import OdooDouble, start_odoo_double

ORDER = fixture_bytes("keystone-pharma", "850_purchase_order.edi")
TEST_ORDER = ORDER.replace(b"*0*P*>", b"*0*T*>")  # ISA15 = T


@pytest.fixture
def odoos() -> Iterator[tuple[OdooDouble, OdooDouble]]:
    production, test = start_odoo_double(17), start_odoo_double(17)
    yield production, test
    production.stop()
    test.stop()


def site(tmp_path: Path, **mode: str) -> Path:
    folder = tmp_path / "site"
    folder.mkdir(exist_ok=True)
    profile = yaml.safe_load((REPO / "partner_profiles" / "keystone-pharma.yaml").read_text())
    profile["mode"] = {"usage": "production", **mode}
    (folder / "keystone-pharma.yaml").write_text(yaml.safe_dump(profile))
    return folder


def client(double: OdooDouble) -> OdooClient:
    return OdooClient(double.url, double.db, double.user, password=double.password)


def runtime_for(
    make_runtime: Callable[..., Runtime],
    odoos: tuple[OdooDouble, OdooDouble],
    profiles: Path,
    *,
    with_test_odoo: bool,
) -> Runtime:
    production, test = odoos
    rt = make_runtime(
        odoo_factory=lambda: client(production),
        profiles_dir=str(profiles),
    )
    if with_test_odoo:
        rt.test_odoo_factory = lambda: client(test)
    for double in odoos:
        seed_master_data(double, rt)
    return rt


def delivery(rt: Runtime) -> Delivery:
    with rt.sessions() as s:
        return s.scalars(select(Delivery)).one()


def test_isa15_t_goes_to_the_test_odoo_never_to_production(
    make_runtime: Callable[..., Runtime], odoos: tuple[OdooDouble, OdooDouble], tmp_path: Path
) -> None:
    production, test = odoos
    rt = runtime_for(make_runtime, odoos, site(tmp_path, on_mismatch="accept"), with_test_odoo=True)
    # when a production partner sends an interchange marked test
    txn = ingest(rt, TEST_ORDER, "850-test.edi")
    # then it lands in the test Odoo and production Odoo never hears of it
    assert txn.state == "delivered", txn.error
    assert [p["partner_ref"] for p in test.records("purchase.order")] == ["KPW-PO-88120"]
    assert production.records("purchase.order") == []
    writes = [r for r in production.requests if '"create"' in str(r.body)]
    assert writes == []
    assert delivery(rt).target == "test-odoo"
    with rt.sessions() as s:
        [detail] = s.scalars(
            select(Event.detail).where(Event.transaction_id == txn.id, Event.kind == "delivered")
        ).all()
    assert detail.startswith("test-odoo:")  # the console's event list shows the target


def test_partner_in_test_mode_goes_to_the_test_odoo(
    make_runtime: Callable[..., Runtime], odoos: tuple[OdooDouble, OdooDouble], tmp_path: Path
) -> None:
    production, test = odoos
    rt = runtime_for(make_runtime, odoos, site(tmp_path, usage="test"), with_test_odoo=True)
    txn = ingest(rt, TEST_ORDER, "850-test.edi")
    assert txn.state == "delivered", txn.error
    assert len(test.records("purchase.order")) == 1 and production.records("purchase.order") == []


def test_without_a_test_odoo_test_traffic_goes_to_the_dry_run_outbox(
    make_runtime: Callable[..., Runtime], odoos: tuple[OdooDouble, OdooDouble], tmp_path: Path
) -> None:
    production, test = odoos
    rt = runtime_for(
        make_runtime, odoos, site(tmp_path, on_mismatch="accept"), with_test_odoo=False
    )
    txn = ingest(rt, TEST_ORDER, "850-test.edi")
    assert txn.state == "delivered", txn.error
    assert production.records("purchase.order") == [] and test.records("purchase.order") == []
    assert delivery(rt).target == "dry-run"
    outbox = rt.settings.dry_run_dir
    [calls] = list(outbox.glob("keystone-pharma_purchase_order_KPW-PO-88120*.jsonl"))
    text = calls.read_text()
    assert '"plan"' in text and '"create"' in text  # the decision, then the calls


def test_production_traffic_still_goes_to_production(
    make_runtime: Callable[..., Runtime], odoos: tuple[OdooDouble, OdooDouble], tmp_path: Path
) -> None:
    production, test = odoos
    rt = runtime_for(make_runtime, odoos, site(tmp_path), with_test_odoo=True)
    txn = ingest(rt, ORDER, "850.edi")
    assert txn.state == "delivered", txn.error
    assert len(production.records("purchase.order")) == 1 and test.records("purchase.order") == []
    assert delivery(rt).target == "odoo"

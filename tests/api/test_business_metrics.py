"""Business metrics: exceptions by age and SLO, bills held, our own certificates, Odoo up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.as2.certs import create_key_pair
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Document, Transaction
from tests.api.test_ops import _samples
from tests.api.world import World, make_world
from tests.support.odoo_double import start_odoo_double


def scrape(world: World) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with TestClient(create_app(world.runtime)) as c:
        response = c.get("/metrics", headers=world.headers("viewer"))
    assert response.status_code == 200
    return _samples(response.text)


def test_open_exceptions_by_age_and_past_their_slo(fresh: World) -> None:
    now = dt.datetime.now(dt.UTC)
    with session_scope(fresh.runtime.sessions) as session:
        # the world's 810 left open exceptions; age them and add some of known kinds
        invoice = session.scalars(
            select(Transaction).where(Transaction.document_type == "invoice")
        ).one()
        for existing in session.scalars(select(BusinessException)):
            existing.state = "dismissed"
        for kind, hours in [
            ("unknown_item", 0.5),  # high, due after 4 h: in time
            ("unknown_item", 5),  # high: late
            ("price_mismatch", 5),  # medium, due after 24 h: in time
            ("price_mismatch", 30),  # medium: late
            ("changed_line", 80),  # low, due after 72 h: late
        ]:
            session.add(
                BusinessException(
                    transaction_id=invoice.id,
                    partner_id="keystone-pharma",
                    kind=kind,
                    message="x",
                    created_at=now - dt.timedelta(hours=hours),
                )
            )
    samples = scrape(fresh)

    def open_(kind: str, severity: str, age: str) -> float:
        labels = (
            ("age", age),
            ("kind", kind),
            ("partner", "keystone-pharma"),
            ("severity", severity),
        )
        return samples.get(("edigw_business_exceptions_open", labels), 0)

    assert open_("unknown_item", "high", "under_1h") == 1
    assert open_("unknown_item", "high", "4h_to_1d") == 1
    assert open_("price_mismatch", "medium", "4h_to_1d") == 1
    assert open_("price_mismatch", "medium", "1d_to_3d") == 1
    assert open_("changed_line", "low", "over_3d") == 1
    overdue = {
        dict(k[1])["kind"]: v
        for k, v in samples.items()
        if k[0] == "edigw_business_exceptions_overdue"
    }
    assert overdue == {"unknown_item": 1, "price_mismatch": 1, "changed_line": 1}
    oldest = samples[("edigw_business_exception_oldest_age_seconds", (("kind", "price_mismatch"),))]
    assert 30 * 3600 - 60 < oldest < 30 * 3600 + 60


def test_bills_held_for_a_mismatch_and_their_value(fresh: World) -> None:
    with session_scope(fresh.runtime.sessions) as session:
        invoice = session.scalars(
            select(Transaction).where(Transaction.document_type == "invoice")
        ).one()
        document = session.scalars(
            select(Document).where(Document.transaction_id == invoice.id)
        ).one()
        for existing in session.scalars(select(BusinessException)):
            existing.state = "dismissed"
        session.add(
            BusinessException(
                transaction_id=invoice.id,
                partner_id="keystone-pharma",
                kind="price_mismatch",
                message="line 1: billed 2.41, ordered 2.30",
            )
        )
        expected_total = float(document.data["total_amount"])
        currency = str(document.data.get("currency") or "")
    samples = scrape(fresh)
    labels = (("currency", currency), ("partner", "keystone-pharma"))
    assert samples[("edigw_bills_held", labels)] == 1
    assert samples[("edigw_bills_held_amount", labels)] == expected_total == 231.36
    # and once the exception is resolved, nothing is held
    with session_scope(fresh.runtime.sessions) as session:
        for row in session.scalars(select(BusinessException)):
            row.state = "resolved"
    assert not [k for k in scrape(fresh) if k[0] == "edigw_bills_held"]


def test_our_own_certificates_and_odoo_reachability(tmp_path: Path) -> None:
    # given our AS2 certificate runs out in 12 days
    keys = tmp_path / "keys"
    keys.mkdir()
    create_key_pair("OUR AS2", 12, keys / "ours.key", keys / "ours.crt", key_size=1024)
    identities = tmp_path / "identities.yaml"
    identities.write_text(
        "default: hospital\nidentities:\n  - name: hospital\n    x12_id: MERIDIANHEALTH\n"
        "    edifact_id: '5412345000006'\n    as2_id: MERIDIAN-AS2\n"
        "    as2_keys:\n      - certificate: keys/ours.crt\n"
        "        private_key: {file: keys/ours.key}\n"
    )
    world = make_world(tmp_path / "data", documents=False, identities_file=identities)
    samples = scrape(world)
    days = samples[
        ("edigw_our_certificate_days_left", (("file", "keys/ours.crt"), ("identity", "hospital")))
    ]
    assert 10 <= days <= 12
    # in dry-run mode there is no Odoo to be up or down
    assert not [k for k in samples if k[0] == "edigw_odoo_up"]
    # with a real client to an Odoo that answers: up; once it stops: down
    double = start_odoo_double(17)
    try:
        from gateway.odoo.client import OdooClient

        fresh = make_world(tmp_path / "data2", documents=False)
        fresh.runtime.odoo_factory = lambda: OdooClient(
            double.url, double.db, double.user, password=double.password, timeout=2
        )
        assert scrape(fresh)[("edigw_odoo_up", ())] == 1
    finally:
        double.stop()
    gone = make_world(tmp_path / "data3", documents=False)
    gone.runtime.odoo_factory = lambda: OdooClient(
        double.url, double.db, double.user, password=double.password, timeout=2
    )
    assert scrape(gone)[("edigw_odoo_up", ())] == 0


def test_off_contract_lines_and_what_they_cost_above_the_contract(fresh: World) -> None:
    with session_scope(fresh.runtime.sessions) as session:
        invoice = session.scalars(
            select(Transaction).where(Transaction.document_type == "invoice")
        ).one()
        for expected, received, quantity, state in [
            ("7.00", "7.25", "60", "open"),  # 15.00 above the contract
            ("2.30", "2.41", "100", "resolved"),  # 11.00: counted whatever became of it
        ]:
            session.add(
                BusinessException(
                    transaction_id=invoice.id,
                    partner_id="keystone-pharma",
                    kind="off_contract_price",
                    message="above the contract",
                    expected=expected,
                    received=received,
                    state=state,
                    detail={"quantity": quantity, "currency": "USD"},
                )
            )
    samples = scrape(fresh)
    partner = (("partner", "keystone-pharma"),)
    assert samples[("edigw_off_contract_lines_total", partner)] == 2
    value = samples[("edigw_off_contract_value_total", (("currency", "USD"), *partner))]
    assert round(value, 2) == 26.0

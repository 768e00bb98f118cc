"""Asynchronous MDNs that never come (gateway.pipeline.as2_mdn_overdue), on PostgreSQL:
the stall-recovery sweep turns a message waiting past its partner's wait into an
exception once; a late MDN still settles it and closes that exception."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.api.auth import create_key
from gateway.as2.client import PendingMdn as ClientPending
from gateway.as2.receiver import ReceivedMdn
from gateway.pipeline import as2_mdns
from gateway.pipeline.operations import recover_stalled
from gateway.pipeline.runtime import Runtime
from gateway.states import AckState, ExceptionState, OrderCycle
from gateway.store.models import (
    Acknowledgement,
    BusinessException,
    Event,
    OutboundOrder,
    PendingMdn,
    utcnow,
)
from tests.conftest import REPO
from tests.pipeline.test_async_mdn_settlement import MIC, MID, sender, the_mdn

PARTNER = "summit-medical"


def sent_order(runtime: Runtime, sent_ago: dt.timedelta) -> int:
    """A purchase order sent over AS2 ``sent_ago``, its async MDN pending."""
    as2_mdns.store_pending_mdn(
        runtime, ClientPending(PARTNER, f"<{MID}>", MIC, "sha256", True, utcnow() - sent_ago)
    )
    with runtime.sessions.begin() as session:
        order = OutboundOrder(
            partner_id=PARTNER, odoo_id=7, business_key="PO-77", state=OrderCycle.SENT,
            syntax="x12", set_id="850", map_name="m", transport="as2", correlation_id="c-77",
            transport_ref=f"<{MID}>",
        )  # fmt: skip
        session.add(order)
        session.flush()
        return order.id


def overdue_metric(runtime: Runtime) -> str:
    """The edigw_async_mdns_overdue lines of a real /metrics scrape."""
    with runtime.sessions.begin() as session:
        _, key = create_key(session, f"viewer-{utcnow().timestamp()}", "viewer")
    with TestClient(create_app(runtime)) as client:
        body = client.get("/metrics", headers={"Authorization": f"Bearer {key}"}).text
    return "\n".join(
        line for line in body.splitlines() if line.startswith("edigw_async_mdns_overdue{")
    )


def test_an_async_mdn_that_never_comes_is_an_exception_once_and_a_late_one_settles(
    make_runtime: Callable[..., Runtime], postgres_url: str
) -> None:
    # given: a purchase order sent two hours ago whose async MDN never came (the
    # partner's wait is the default hour)
    runtime = make_runtime(postgres_url)
    order_id = sent_order(runtime, dt.timedelta(hours=2))
    # when: the beat's stall-recovery sweep runs, twice
    recover_stalled(runtime)
    recover_stalled(runtime)
    # then: one high-severity exception on the order, routed to operations, naming the
    # Message-ID and the wait; an as2.mdn_overdue event on the order's record
    with runtime.sessions() as session:
        (exc,) = session.scalars(select(BusinessException)).all()
        assert (exc.kind, exc.outbound_order_id, exc.partner_id) == (
            "mdn_overdue", order_id, PARTNER,
        )  # fmt: skip
        assert (exc.severity, exc.owner_group, exc.state) == (
            "high", "operations", ExceptionState.OPEN,
        )  # fmt: skip
        assert "PO-77" in exc.message and MID in exc.message and "1 h 00 min" in exc.message
        assert exc.detail["as2_message_id"] == MID
        events = session.scalars(select(Event).where(Event.kind == "as2.mdn_overdue")).all()
        assert [e.correlation_id for e in events] == ["c-77"]
        # and the message is still pending (not settled), the order still sent
        pending = session.get(PendingMdn, MID)
        assert pending is not None and pending.settled_at is None
        assert pending.outcome == "overdue"
        order = session.get(OutboundOrder, order_id)
        assert order is not None and order.state is OrderCycle.SENT
    # and /metrics counts it
    assert overdue_metric(runtime) == f'edigw_async_mdns_overdue{{partner="{PARTNER}"}} 1.0'
    # when: the partner's verified positive MDN arrives after all
    as2_mdns.settle_async_mdn(runtime, ReceivedMdn(PARTNER, the_mdn(), True), sender(runtime))
    # then: it settles as any MDN does, and the overdue exception is closed by itself
    with runtime.sessions() as session:
        pending = session.get(PendingMdn, MID)
        assert pending is not None and pending.outcome == "delivered"
        order = session.get(OutboundOrder, order_id)
        assert order is not None and order.state is OrderCycle.DELIVERED
        (exc,) = session.scalars(select(BusinessException)).all()
        assert exc.state is ExceptionState.RESOLVED and "arrived late" in (exc.resolution or "")
    assert overdue_metric(runtime) == ""


def test_the_wait_is_the_partners_own(
    make_runtime: Callable[..., Runtime], postgres_url: str, tmp_path: Path
) -> None:
    # given: a message sent 30 minutes ago
    default = make_runtime(postgres_url)
    sent_order(default, dt.timedelta(minutes=30))
    # when the sweep runs with the default wait of an hour: nothing yet
    recover_stalled(default)
    with default.sessions() as session:
        assert session.scalars(select(BusinessException)).all() == []
    # when the partner's profile says 10 minutes (as2.mdn_wait_seconds: 600)
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    shipped = (REPO / "partner_profiles" / "summit-medical.yaml").read_text()
    keys = REPO / "partner_profiles" / ".." / "var"
    shipped = shipped.replace("../var/", f"{keys}/")
    (profiles / "summit-medical.yaml").write_text(
        shipped.replace("  as2_id: SUMMITMED\n", "  as2_id: SUMMITMED\n  mdn_wait_seconds: 600\n")
    )
    strict = make_runtime(postgres_url, profiles_dir=str(profiles))
    assert strict.registry.get(PARTNER).as2.mdn_wait_seconds == 600  # type: ignore[union-attr]
    recover_stalled(strict)
    # then it is overdue now
    with strict.sessions() as session:
        (exc,) = session.scalars(select(BusinessException)).all()
        assert exc.kind == "mdn_overdue" and "10 min" in exc.message


def test_an_acknowledgement_without_its_mdn_is_an_exception_of_the_message(
    make_runtime: Callable[..., Runtime], postgres_url: str
) -> None:
    # given: only a 997 went under the Message-ID, three hours ago
    runtime = make_runtime(postgres_url)
    as2_mdns.store_pending_mdn(
        runtime,
        ClientPending(PARTNER, f"<{MID}>", MIC, "sha256", True, utcnow() - dt.timedelta(hours=3)),
    )
    with runtime.sessions.begin() as session:
        session.add(
            Acknowledgement(
                direction="out", kind="997", partner_id=PARTNER, status="accepted",
                state=AckState.SENT, transport="as2", transport_ref=f"<{MID}>",
                control_number="000000042",
            )
        )  # fmt: skip
    # when the sweep runs
    recover_stalled(runtime)
    # then one exception names the message and the acknowledgement, and the
    # acknowledgement's record has the event
    with runtime.sessions() as session:
        (exc,) = session.scalars(select(BusinessException)).all()
        assert exc.kind == "mdn_overdue" and exc.outbound_order_id is None
        assert "997 000000042" in exc.message and exc.owner_group == "operations"
        (event,) = session.scalars(select(Event).where(Event.kind == "as2.mdn_overdue")).all()
        assert "997 000000042" in event.detail and event.data["as2_message_id"] == MID

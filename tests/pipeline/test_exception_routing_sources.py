"""Exceptions not raised by a document - an order we sent that is overdue, a
reconciliation finding - are routed like a document's: owner group, assignee, due time,
and exactly one notification per channel through the notify stage (a real HTTP webhook
receiver and a real SMTP server, aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from sqlalchemy import select

from gateway.outbound.cycle import OrderCycle
from gateway.pipeline.outbound import check_overdue
from gateway.reconcile import reconcile
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Notification, OutboundOrder, utcnow
from tests.api.world import World, make_world, purchase_order
from tests.conftest import REPO
from tests.pipeline.test_exception_routing import SECRET
from tests.support.notify_receivers import Mailbox, Receiver


def _world(tmp_path: Path, smtp_port: int, webhook_url: str) -> World:
    """Keystone routes overdue 997s and reconciliation's hand-changed records to
    'buyers', whom the routing file names (e-mail, assignee)."""
    from pydantic import SecretStr

    profiles = tmp_path / "profiles"
    profiles.mkdir(parents=True)
    text = (REPO / "partner_profiles" / "keystone-pharma.yaml").read_text()
    (profiles / "keystone-pharma.yaml").write_text(
        text.replace("../var/keys/", str(REPO / "var" / "keys") + "/")
        + "exceptions:\n  routes: {overdue_functional_ack: buyers, record_changed: buyers}\n"
    )
    routing = tmp_path / "routing.yaml"
    routing.write_text(
        "groups:\n  buyers:\n    email: [buyer@hospital.example]\n    assignee: bob\n"
    )
    return make_world(
        tmp_path / "data",
        documents=False,
        profiles_dir=str(profiles),
        routing_file=routing,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_from="edi@hospital.example",
        webhook_url=webhook_url,
        webhook_secret=SecretStr(SECRET),
        task_backoff_seconds=0.01,
    )


def test_an_overdue_order_exception_is_routed_and_notified_once(
    tmp_path: Path, smtp: tuple[int, Mailbox], webhook: tuple[str, Receiver]
) -> None:
    port, mailbox = smtp
    url, receiver = webhook
    world = _world(tmp_path, port, url)
    sent_at = utcnow() - dt.timedelta(hours=3)
    with session_scope(world.runtime.sessions) as s:
        order = OutboundOrder(
            partner_id="keystone-pharma",
            odoo_id=42,
            business_key="P00042",
            state=OrderCycle.SENT,
            syntax="x12",
            set_id="850",
            map_name="x12/004010/850",
            transport="as2",
            correlation_id=str(uuid.uuid4()),
            sent_at=sent_at,
            timeline={"sent": sent_at.isoformat()},
        )
        s.add(order)
    # when the overdue check runs (no 997 within the default 2 hours), twice
    raised = check_overdue(world.runtime)
    assert check_overdue(world.runtime) == []
    world.runtime.dispatcher.drain(max_wait=0.05)  # the notify stages it queued
    assert [awaited for _, awaited in raised] == ["functional_ack"]
    # then the exception is owned, assigned and due, and each channel was notified once
    with world.runtime.sessions() as s:
        exc = s.scalars(select(BusinessException)).one()
        assert (exc.kind, exc.owner_group, exc.assignee, exc.severity) == (
            "overdue_functional_ack",
            "buyers",
            "bob",
            "medium",
        )
        assert exc.due_at is not None
        assert exc.detail["records"] == [{"model": "purchase.order", "id": 42}]
        notes = s.scalars(select(Notification)).all()
        assert sorted((n.channel, n.state) for n in notes) == [
            ("email", "sent"),
            ("webhook", "sent"),
        ]
    [(recipients, mail)] = mailbox.messages
    assert recipients == ["buyer@hospital.example"]
    assert "overdue_functional_ack" in mail["Subject"] and "P00042" in mail["Subject"]
    assert "Assigned to:  bob" in mail.get_content()
    [(_, body)] = receiver.requests
    payload = json.loads(body)["exception"]
    assert payload["id"] == exc.id and payload["business_key"] == "P00042"


def test_a_reconciliation_exception_is_routed_and_notified_once(
    tmp_path: Path, smtp: tuple[int, Mailbox], webhook: tuple[str, Receiver]
) -> None:
    port, mailbox = smtp
    url, receiver = webhook
    world = _world(tmp_path, port, url)
    world.feed("po", purchase_order("PO-REC-1", 720001), "po.edi")
    # given the delivered order was changed by hand in Odoo
    dry = world.runtime.odoo_for("dry-run")
    line = min(
        dry.search_read("purchase.order.line", [], ["id", "product_qty"]), key=lambda x: x["id"]
    )
    dry.write("purchase.order.line", [line["id"]], {"product_qty": line["product_qty"] + 5})
    # when reconciliation runs, twice
    report = reconcile(world.runtime)
    assert report.raised == 1 and reconcile(world.runtime).raised == 0
    world.runtime.dispatcher.drain(max_wait=0.05)
    with world.runtime.sessions() as s:
        exc = s.scalars(select(BusinessException)).one()
        assert (exc.kind, exc.owner_group, exc.assignee) == ("record_changed", "buyers", "bob")
        assert exc.due_at is not None and exc.severity
        notes = s.scalars(select(Notification)).all()
        assert sorted((n.channel, n.state) for n in notes) == [
            ("email", "sent"),
            ("webhook", "sent"),
        ]
    [(recipients, mail)] = mailbox.messages
    assert recipients == ["buyer@hospital.example"] and "record_changed" in mail["Subject"]
    [(_, body)] = receiver.requests
    assert json.loads(body)["exception"]["id"] == exc.id

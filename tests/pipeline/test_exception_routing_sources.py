"""Exceptions not raised by a document - an order we sent that is overdue, a
reconciliation finding - are routed like a document's: owner group, assignee, due time,
and exactly one notification per channel through the notify stage (a real HTTP webhook
receiver and a real SMTP server, aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.notifications import create_odoo_activity
from gateway.outbound.cycle import OrderCycle
from gateway.pipeline import notify as notify_stage
from gateway.pipeline.operations import recover_stalled
from gateway.pipeline.outbound import check_overdue, record_functional_ack
from gateway.reconcile import reconcile
from gateway.states import NotificationState
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Event, Notification, OutboundOrder, utcnow
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
    _sent_order(world)
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


class _Crash(Exception):
    """The worker dies between sending a notification and recording it."""


def test_a_notification_sent_before_a_crash_is_resent_under_the_same_key(
    tmp_path: Path,
    smtp: tuple[int, Mailbox],
    webhook: tuple[str, Receiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, mailbox = smtp
    url, receiver = webhook
    world = _world(tmp_path, port, url)
    _sent_order(world)
    check_overdue(world.runtime)  # queues one notify per channel
    with world.runtime.sessions() as s:
        ids = list(s.scalars(select(Notification.id)))
    assert len(ids) == 2
    # given each notification is sent, and the worker dies before recording it
    real_record = notify_stage._record

    def crash_after_sending(*args: Any, **kwargs: Any) -> None:
        if kwargs.get("state") is NotificationState.SENT:
            raise _Crash
        real_record(*args, **kwargs)

    monkeypatch.setattr(notify_stage, "_record", crash_after_sending)
    for nid in ids:
        with pytest.raises(_Crash):
            notify_stage.notify(world.runtime, nid)
    monkeypatch.setattr(notify_stage, "_record", real_record)
    # when the queued tasks run again and stall recovery sweeps too
    world.runtime.dispatcher.drain(max_wait=0.05)
    assert recover_stalled(world.runtime, older_than=dt.timedelta(0)) == 0
    # then every copy carries the same key: a receiver keeps one
    assert len(mailbox.messages) == 2
    first, again = (mail for _, mail in mailbox.messages)
    assert first["Message-ID"] == again["Message-ID"]
    assert first["X-EDIGW-Delivery"] == again["X-EDIGW-Delivery"]
    assert first["X-EDIGW-Delivery"].startswith("notification-")
    assert len(receiver.requests) == 2
    (h1, _), (h2, _) = receiver.requests
    assert h1["X-EDIGW-Delivery"] == h2["X-EDIGW-Delivery"]
    # and each notification is recorded sent once
    with world.runtime.sessions() as s:
        assert {n.state for n in s.scalars(select(Notification))} == {NotificationState.SENT}
        notified = s.scalars(select(Event).where(Event.kind == "exception_notified")).all()
        assert len(notified) == 2


class _ActivityOdoo:
    """Just enough of Odoo for :func:`create_odoo_activity`: users, models, activities."""

    def __init__(self) -> None:
        self.activities: list[dict[str, Any]] = []

    def search_read(
        self, model: str, domain: list[Any], fields: list[str], limit: int = 0
    ) -> list[dict[str, Any]]:
        if model in ("res.users", "ir.model", "mail.activity.type"):
            return [{"id": 7, "name": "To-Do"}]
        assert model == "mail.activity"
        (_, _, model_id), (_, _, res_id), (_, op, marker) = domain
        assert op == "ilike"
        return [
            {"id": a["id"]}
            for a in self.activities
            if a["res_model_id"] == model_id and a["res_id"] == res_id and marker in a["note"]
        ][: limit or None]

    def create(self, model: str, values: dict[str, Any]) -> int:
        assert model == "mail.activity"
        self.activities.append({"id": len(self.activities) + 1, **values})
        return len(self.activities)


def test_an_odoo_activity_is_not_created_twice_for_one_notification() -> None:
    odoo = _ActivityOdoo()

    def send(key: str) -> int:
        return create_odoo_activity(
            odoo,
            login="alice",
            model="purchase.order",
            record_id=42,
            summary="[EDI medium] overdue_functional_ack",
            note="no 997",
            deadline=dt.date(2026, 12, 5),
            key=key,
        )

    first = send("notification-5")
    # a resend after a crash finds the activity the first send created
    assert send("notification-5") == first
    assert len(odoo.activities) == 1 and "[edigw notification-5]" in odoo.activities[0]["note"]
    # another notification on the same record is its own activity
    assert send("notification-6") != first and len(odoo.activities) == 2


def _sent_order(world: World) -> None:
    sent_at = utcnow() - dt.timedelta(hours=3)
    with session_scope(world.runtime.sessions) as s:
        s.add(
            OutboundOrder(
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
        )


def test_an_exception_raised_out_of_routing_reach_is_routed_by_the_recovery_sweep(
    tmp_path: Path, smtp: tuple[int, Mailbox], webhook: tuple[str, Receiver]
) -> None:
    port, mailbox = smtp
    url, receiver = webhook
    world = _world(tmp_path, port, url)
    _sent_order(world)
    # given the partner's 997 rejects the order (recorded with the acknowledgement, where
    # no runtime is at hand to route it)
    with session_scope(world.runtime.sessions) as s:
        order = s.scalars(select(OutboundOrder)).one()
        order.group_control = "17"
        record_functional_ack(s, "keystone-pharma", "997", None, "17", "rejected", ["5"])
    with world.runtime.sessions() as s:
        assert s.scalars(select(BusinessException.owner_group)).one() is None
    # when stall recovery sweeps, twice
    recover_stalled(world.runtime)
    world.runtime.dispatcher.drain(max_wait=0.05)
    recover_stalled(world.runtime)
    world.runtime.dispatcher.drain(max_wait=0.05)
    # then it is routed like any other and each channel got it once
    with world.runtime.sessions() as s:
        exc = s.scalars(select(BusinessException)).one()
        assert exc.kind == "order_rejected" and exc.owner_group == "operations"  # default
        assert exc.severity and exc.due_at is not None
        notes = s.scalars(select(Notification)).all()
        assert sorted((n.channel, n.state) for n in notes) == [("webhook", "sent")]
    assert mailbox.messages == []  # "operations" has no addresses in this routing file
    [(_, body)] = receiver.requests
    assert json.loads(body)["exception"]["id"] == exc.id

"""Business exceptions routed to people: owner group, assignee, due time, and
notifications through a real SMTP server (aiosmtpd) and a real HTTP webhook receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select

from gateway.store.audit_trail import verify_chains
from gateway.store.models import BusinessException, Event, Notification
from tests.api.world import World, invoice, make_world, purchase_order
from tests.conftest import REPO
from tests.support.notify_receivers import Mailbox, Receiver, free_port

SECRET = "webhook-secret-for-tests"


def routed_world(tmp_path: Path, smtp_port: int, webhook_url: str) -> World:
    """Keystone's profile routes quantity mismatches to 'receiving-ap'; the routing file
    says who that is."""
    profiles = tmp_path / "profiles"
    profiles.mkdir(parents=True)
    text = (REPO / "partner_profiles" / "keystone-pharma.yaml").read_text()
    (profiles / "keystone-pharma.yaml").write_text(
        text.replace("../var/keys/", str(REPO / "var" / "keys") + "/")
        + "exceptions:\n  routes: {quantity_mismatch: receiving-ap}\n"
    )
    routing = tmp_path / "routing.yaml"
    routing.write_text(
        "groups:\n  receiving-ap:\n    email: [ap@hospital.example, dock@hospital.example]\n"
        "    assignee: alice\n"
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


def test_an_exception_reaches_its_group_by_email_and_webhook(
    tmp_path: Path, smtp: tuple[int, Mailbox], webhook: tuple[str, Receiver]
) -> None:
    port, mailbox = smtp
    url, receiver = webhook
    receiver.statuses = [503]  # the receiver is briefly down: the runner retries
    world = routed_world(tmp_path, port, url)
    # when an 810 bills goods that were never received
    world.feed("po", purchase_order("PO-R-1", 710001), "po.edi")
    world.feed("inv", invoice("INV-R-1", "PO-R-1", 710002), "inv.edi")
    # then the exception is owned by the profile's group, assigned and due in 24 hours
    with world.runtime.sessions() as s:
        exc = s.scalars(select(BusinessException)).one()
        assert (exc.kind, exc.owner_group, exc.assignee, exc.severity) == (
            "quantity_mismatch",
            "receiving-ap",
            "alice",
            "medium",
        )
        assert exc.due_at is not None
        assert round((exc.due_at - exc.created_at).total_seconds()) == 24 * 3600
        notes = {n.channel: n for n in s.scalars(select(Notification))}
        assert {c: (n.state, n.attempts) for c, n in notes.items()} == {
            "email": ("sent", 1),
            "webhook": ("sent", 2),
        }
        kinds = s.scalars(select(Event.kind).where(Event.transaction_id == exc.transaction_id))
        assert list(kinds).count("exception_notified") == 2
    # and the local SMTP server got one e-mail to both addresses, naming kind, document, line
    [(recipients, mail)] = mailbox.messages
    assert recipients == ["ap@hospital.example", "dock@hospital.example"]
    assert mail["From"] == "edi@hospital.example"
    assert mail["Subject"].strip() == (
        "[EDI medium] quantity_mismatch: invoice INV-R-1 line 1 (keystone-pharma)"
    )
    text = mail.get_content()
    assert "96 billed but 0 received" in text and "Assigned to:  alice" in text
    # and the webhook got the same delivery twice (503, then 200), signed with the secret
    assert len(receiver.requests) == 2
    (h1, _), (headers, body) = receiver.requests
    assert h1["X-EDIGW-Delivery"] == headers["X-EDIGW-Delivery"]
    expected = hmac.new(
        SECRET.encode(), headers["X-EDIGW-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-EDIGW-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "business_exception"
    assert payload["exception"]["id"] == exc.id
    assert payload["exception"]["owner_group"] == "receiving-ap"
    assert payload["exception"]["business_key"] == "INV-R-1"
    assert verify_chains(world.runtime.engine).intact


def test_a_refused_webhook_is_not_retried_and_an_unreachable_one_dead_letters(
    tmp_path: Path, smtp: tuple[int, Mailbox], webhook: tuple[str, Receiver]
) -> None:
    port, _ = smtp
    url, receiver = webhook
    receiver.statuses = [400]
    world = routed_world(tmp_path, port, url)
    world.feed("po", purchase_order("PO-R-2", 710003), "po.edi")
    world.feed("inv", invoice("INV-R-2", "PO-R-2", 710004), "inv.edi")
    with world.runtime.sessions() as s:
        hook = s.scalars(select(Notification).where(Notification.channel == "webhook")).one()
        assert (hook.state, hook.attempts) == ("failed", 1)
        assert hook.error is not None and "HTTP 400" in hook.error
    # an SMTP server that is gone: retried up to the limit, then failed with the reason
    world2 = routed_world(tmp_path / "second", free_port(), url)
    world2.feed("po", purchase_order("PO-R-3", 710005), "po.edi")
    world2.feed("inv", invoice("INV-R-3", "PO-R-3", 710006), "inv.edi")
    with world2.runtime.sessions() as s:
        mail = s.scalars(select(Notification).where(Notification.channel == "email")).one()
        assert mail.state == "failed"
        assert mail.attempts == world2.runtime.settings.task_max_retries + 1
        failed = s.scalars(select(Event).where(Event.kind == "notification_failed")).one()
        assert "SMTP 127.0.0.1" in failed.detail

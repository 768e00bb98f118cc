"""The ``notify`` stage: one notification about a business exception, sent once.

Carries the notification id; a notification already ``sent`` (a redelivered task) does
nothing. What may work later raises :class:`TransientError`, so the runner retries it with
backoff; what is refused for good, or still failing after the last retry, leaves the
notification ``failed`` with its error (and an event on the document).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from gateway.notifications import (
    NotificationRefused,
    NotificationRetry,
    create_odoo_activity,
    post_webhook,
    send_email,
)
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import PermanentError, TransientError
from gateway.pipeline.runtime import Runtime
from gateway.queries import exception_json
from gateway.states import NOTIFICATIONS, NotificationState
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import (
    BusinessException,
    Notification,
    OutboundOrder,
    Transaction,
    utcnow,
)


def notify(runtime: Runtime, notification_id: int) -> list[Next]:
    """Send the notification (the network call runs outside any database transaction)."""
    with session_scope(runtime.sessions) as session:
        row = session.get(Notification, notification_id)
        if row is None or row.state is not NotificationState.QUEUED:
            return []
        exc = session.get(BusinessException, row.exception_id)
        if exc is None:
            raise PermanentError(f"notification {notification_id}: its exception is gone")
        row.attempts += 1
        channel, target = row.channel, row.target
        content = _content(runtime, exc, _about(session, exc))
        # with the row's creation time, a Message-ID no other gateway (a test install
        # sending from the same domain) produces for its own notification of this number
        content["stamp"] = row.created_at.strftime("%Y%m%d%H%M%S%f")
    try:
        outcome = _send(runtime, channel, target, content, notification_id)
    except NotificationRetry as err:
        _record(runtime, notification_id, error=str(err))
        raise TransientError(f"{channel} to {target}: {err}") from err
    except NotificationRefused as err:
        _record(runtime, notification_id, error=str(err), state=NotificationState.FAILED)
        return []
    _record(runtime, notification_id, state=NotificationState.SENT, outcome=outcome)
    return []


def fail_notification(runtime: Runtime, notification_id: int, error: str) -> None:
    """Dead-letter a notification that kept failing (after the last retry)."""
    _record(runtime, notification_id, error=error, state=NotificationState.FAILED)


@dataclass(frozen=True)
class _About:
    """What an exception is about: a document we received (its transaction), an order we
    sent (overdue answers, changes not sent), or neither (some reconciliation findings)."""

    document_type: str | None
    business_key: str | None
    correlation_id: str | None
    transaction_id: int | None = None
    message_id: int | None = None

    @property
    def label(self) -> str:
        if self.transaction_id is not None:
            return f"transaction {self.transaction_id}, correlation id {self.correlation_id}"
        return f"correlation id {self.correlation_id or '-'}"


def _about(session: Session, exc: BusinessException) -> _About:
    txn = session.get(Transaction, exc.transaction_id) if exc.transaction_id else None
    if txn is not None:
        return _About(
            txn.document_type or txn.set_id,
            txn.business_key,
            txn.correlation_id,
            txn.id,
            txn.message_id,
        )
    order = session.get(OutboundOrder, exc.outbound_order_id) if exc.outbound_order_id else None
    if order is not None:
        return _About("purchase order sent", order.business_key, order.correlation_id)
    return _About(None, None, None)


def _content(runtime: Runtime, exc: BusinessException, about: _About) -> dict[str, Any]:
    data = exception_json(exc)
    data.update(
        document_type=about.document_type,
        business_key=about.business_key,
        correlation_id=about.correlation_id,
        link=f"{runtime.settings.public_url.rstrip('/')}/exceptions?kind={exc.kind}",
    )
    where = f"{about.document_type or exc.kind} {about.business_key or ''}".strip()
    line = f" line {exc.line_number}" if exc.line_number else ""
    subject = (
        f"[EDI {exc.severity or 'exception'}] {exc.kind}: {where}{line} "
        f"({exc.partner_id or 'unknown partner'})"
    )
    body = "\n".join(
        [
            exc.message,
            "",
            f"Partner:      {exc.partner_id or '-'}",
            f"Document:     {where} ({about.label})",
            f"Expected:     {exc.expected or '-'}",
            f"Received:     {exc.received or '-'}",
            f"Owner group:  {exc.owner_group or '-'}",
            f"Assigned to:  {exc.assignee or 'nobody yet'}",
            f"Due:          {data.get('due_at') or '-'} ({exc.severity or '-'} severity)",
            "",
            f"Work it in the console: {data['link']}",
        ]
    )
    return {"subject": subject, "body": body, "exception": data}


def _send(
    runtime: Runtime, channel: str, target: str, content: dict[str, Any], notification_id: int
) -> str:
    settings = runtime.settings
    # the same on every send of this notification: a send repeated because the first one's
    # outcome was never recorded (a crash in between, then stall recovery) is recognisable
    key = f"notification-{notification_id}"
    if channel == "email":
        to = [a.strip() for a in target.split(",") if a.strip()]
        mail_key = f"{key}.{content['stamp']}"
        return send_email(settings, to, content["subject"], content["body"], key=mail_key)
    if channel == "webhook":
        payload = {"event": "business_exception", "exception": content["exception"]}
        status = post_webhook(settings, payload, delivery_id=key)
        return f"HTTP {status}"
    if channel == "odoo_activity":
        exception = content["exception"]
        records = [r for r in exception["detail"].get("records") or [] if r.get("id")]
        if not records:
            raise NotificationRefused("the exception names no Odoo record")
        record = records[0]
        due = exception.get("due_at")
        deadline = dt.datetime.fromisoformat(due).date() if due else dt.date.today()
        activity = create_odoo_activity(
            runtime.odoo,
            login=target,
            model=str(record["model"]),
            record_id=int(record["id"]),
            summary=content["subject"],
            note=content["body"].replace("\n", "<br/>"),
            deadline=deadline,
            key=key,
        )
        return f"mail.activity {activity} on {record['model']} {record['id']}"
    raise NotificationRefused(f"unknown channel {channel!r}")


def _record(
    runtime: Runtime,
    notification_id: int,
    *,
    error: str | None = None,
    state: NotificationState | None = None,
    outcome: str | None = None,
) -> None:
    with session_scope(runtime.sessions) as session:
        row = session.get(Notification, notification_id)
        if row is None or row.state is not NotificationState.QUEUED:
            return
        row.error = error
        if state is not None:
            NOTIFICATIONS.move(row, state)
            if state is NotificationState.SENT:
                row.sent_at = utcnow()
            _event(session, row, outcome or error or "")


def _event(session: Session, row: Notification, detail: str) -> None:
    exc = session.get(BusinessException, row.exception_id)
    about = _about(session, exc) if exc else _About(None, None, None)
    add_event(
        session,
        "exception_notified" if row.state is NotificationState.SENT else "notification_failed",
        f"{row.channel} to {row.target}: {detail}"[:2000],
        partner_id=exc.partner_id if exc else None,
        transaction_id=about.transaction_id,
        message_id=about.message_id,
        correlation_id=about.correlation_id,
        data={"notification_id": row.id, "exception_id": row.exception_id},
    )

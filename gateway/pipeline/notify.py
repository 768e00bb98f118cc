"""The ``notify`` stage: one notification about a business exception, sent once.

Carries the notification id; a notification already ``sent`` (a redelivered task) does
nothing. What may work later raises :class:`TransientError`, so the runner retries it with
backoff; what is refused for good, or still failing after the last retry, leaves the
notification ``failed`` with its error (and an event on the document).
"""

from __future__ import annotations

import datetime as dt
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
from gateway.store.models import BusinessException, Notification, Transaction, utcnow


def notify(runtime: Runtime, notification_id: int) -> list[Next]:
    """Send the notification (the network call runs outside any database transaction)."""
    with session_scope(runtime.sessions) as session:
        row = session.get(Notification, notification_id)
        if row is None or row.state is not NotificationState.QUEUED:
            return []
        exc = session.get(BusinessException, row.exception_id)
        txn = session.get(Transaction, exc.transaction_id) if exc else None
        if exc is None or txn is None:
            raise PermanentError(f"notification {notification_id}: its exception is gone")
        row.attempts += 1
        channel, target = row.channel, row.target
        content = _content(runtime, exc, txn)
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


def _content(runtime: Runtime, exc: BusinessException, txn: Transaction) -> dict[str, Any]:
    data = exception_json(exc)
    data.update(
        document_type=txn.document_type or txn.set_id,
        business_key=txn.business_key,
        correlation_id=txn.correlation_id,
        link=f"{runtime.settings.public_url.rstrip('/')}/exceptions?kind={exc.kind}",
    )
    where = f"{data['document_type']} {txn.business_key or ''}".strip()
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
            f"Document:     {where} (transaction {txn.id}, correlation id {txn.correlation_id})",
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
    if channel == "email":
        to = [a.strip() for a in target.split(",") if a.strip()]
        return send_email(settings, to, content["subject"], content["body"])
    if channel == "webhook":
        payload = {"event": "business_exception", "exception": content["exception"]}
        status = post_webhook(settings, payload, delivery_id=f"notification-{notification_id}")
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
    txn = session.get(Transaction, exc.transaction_id) if exc else None
    add_event(
        session,
        "exception_notified" if row.state is NotificationState.SENT else "notification_failed",
        f"{row.channel} to {row.target}: {detail}"[:2000],
        partner_id=exc.partner_id if exc else None,
        transaction_id=txn.id if txn else None,
        message_id=txn.message_id if txn else None,
        correlation_id=txn.correlation_id if txn else None,
        data={"notification_id": row.id, "exception_id": row.exception_id},
    )

"""Sending notifications about business exceptions: e-mail (SMTP), a signed webhook and an
Odoo activity. The I/O edge of :mod:`gateway.pipeline.notify`.

Each sender raises :class:`NotificationRetry` for what may work later (connection refused,
SMTP 4xx, HTTP 5xx/408/429, Odoo unreachable) and :class:`NotificationRefused` for what
will not (SMTP 5xx, HTTP 4xx, no such Odoo user), so the runner retries only the first.

The webhook body is JSON; ``X-EDIGW-Signature: sha256=<hex>`` is the HMAC-SHA256 of
``<X-EDIGW-Timestamp>.<body>`` with ``EDIGW_WEBHOOK_SECRET``, so a receiver can check both
who sent it and that it is fresh; ``X-EDIGW-Delivery`` is the same on every retry of one
notification (receivers drop repeats by it).

Each sender takes the notification's stable ``key`` so a send repeated after a crash between
sending and recording it (the notify stage's stall recovery, or a retry) is recognisable:
the webhook's ``X-EDIGW-Delivery``, the e-mail's ``Message-ID`` and ``X-EDIGW-Delivery``
(mail systems drop a second copy with the same Message-ID), and, in Odoo, a marker in the
activity's note - an activity already there is found and not created twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import httpx

from gateway.odoo.errors import OdooError, OdooTransientError
from gateway.settings import Settings

if TYPE_CHECKING:
    from gateway.odoo.api import OdooApi


class NotificationRetry(Exception):
    """Not delivered now; may work on a later attempt."""


class NotificationRefused(Exception):
    """Refused for good (bad address, 4xx from the webhook, unknown Odoo user)."""


# ---- e-mail ---------------------------------------------------------------------------------
def send_email(
    settings: Settings, to: list[str], subject: str, body: str, *, key: str | None = None
) -> str:
    """Send one plain-text e-mail; returns the Message-ID (derived from ``key`` when
    given, so every send of one notification carries the same one)."""
    if not settings.smtp_host:
        raise NotificationRefused("no SMTP server configured (EDIGW_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    domain = settings.smtp_from.split("@")[-1]
    message["Message-ID"] = f"<edigw-{key or time.time_ns()}@{domain}>"
    if key:
        message["X-EDIGW-Delivery"] = key
    message.set_content(body)
    timeout = settings.notify_timeout_seconds
    try:
        if settings.smtp_security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                client.login(settings.smtp_user, password)
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(400 <= code < 500 for code in codes):
            raise NotificationRetry(f"SMTP: recipients deferred: {exc.recipients}") from exc
        raise NotificationRefused(f"SMTP: recipients refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        if 400 <= exc.smtp_code < 500:
            raise NotificationRetry(text) from exc
        raise NotificationRefused(text) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise NotificationRetry(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc
    return str(message["Message-ID"])


# ---- webhook --------------------------------------------------------------------------------
def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of ``timestamp.body`` with the shared secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def post_webhook(
    settings: Settings,
    payload: dict[str, Any],
    *,
    delivery_id: str,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """POST the payload, signed; returns the HTTP status (2xx)."""
    if not settings.webhook_url:
        raise NotificationRefused("no webhook configured (EDIGW_WEBHOOK_URL)")
    body = json.dumps(payload, sort_keys=True, default=str).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-EDIGW-Event": str(payload.get("event", "business_exception")),
        "X-EDIGW-Delivery": delivery_id,
        "X-EDIGW-Timestamp": timestamp,
    }
    if settings.webhook_secret is not None:
        headers["X-EDIGW-Signature"] = sign(
            settings.webhook_secret.get_secret_value(), timestamp, body
        )
    try:
        with httpx.Client(timeout=settings.notify_timeout_seconds, transport=transport) as client:
            response = client.post(settings.webhook_url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise NotificationRetry(f"webhook {settings.webhook_url}: {exc}") from exc
    status = response.status_code
    if status >= 500 or status in (408, 429):
        raise NotificationRetry(f"webhook answered HTTP {status}")
    if status >= 300:
        raise NotificationRefused(f"webhook answered HTTP {status}: {response.text[:200]}")
    return status


# ---- Odoo activity --------------------------------------------------------------------------
def create_odoo_activity(
    odoo: OdooApi,
    *,
    login: str,
    model: str,
    record_id: int,
    summary: str,
    note: str,
    deadline: dt.date,
    key: str | None = None,
) -> int:
    """A To-Do ``mail.activity`` on the record for the Odoo user ``login``; its id.

    With ``key``, the note carries it and an activity on the record whose note has it
    already (an earlier send whose outcome was never recorded) is returned, not doubled.
    """

    try:
        users = odoo.search_read("res.users", [["login", "=", login]], ["id"], limit=1)
        if not users:
            raise NotificationRefused(f"Odoo has no user with login {login!r}")
        models = odoo.search_read("ir.model", [["model", "=", model]], ["id"], limit=1)
        if not models:
            raise NotificationRefused(f"Odoo has no model {model!r}")
        marker = f"[edigw {key}]" if key else None
        if marker:
            earlier = odoo.search_read(
                "mail.activity",
                [
                    ["res_model_id", "=", int(models[0]["id"])],
                    ["res_id", "=", record_id],
                    ["note", "ilike", marker],
                ],
                ["id"],
                limit=1,
            )
            if earlier:
                return int(earlier[0]["id"])
            note = f"{note}<br/>{marker}"
        values: dict[str, Any] = {
            "res_model_id": int(models[0]["id"]),
            "res_id": record_id,
            "user_id": int(users[0]["id"]),
            "summary": summary[:250],
            "note": note,
            "date_deadline": deadline.isoformat(),
        }
        todo = odoo.search_read(
            "mail.activity.type", [["category", "=", "default"]], ["id", "name"], limit=1
        )
        if todo:
            values["activity_type_id"] = int(todo[0]["id"])
        return int(odoo.create("mail.activity", values))
    except OdooTransientError as exc:
        raise NotificationRetry(f"Odoo: {exc}") from exc
    except OdooError as exc:
        raise NotificationRefused(f"Odoo refused the activity: {exc}") from exc

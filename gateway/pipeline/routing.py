"""New business exceptions get an owner group, an assignee, a severity and a due time,
and one notification row per channel that the ``notify`` stage sends.

The group comes from the partner profile's ``exceptions.routes`` (defaults in
:mod:`gateway.exception_policy`), its people from the site's routing file
(:mod:`gateway.owner_groups`). Channels: e-mail when ``EDIGW_SMTP_HOST`` is set and the
group has addresses; the webhook when ``EDIGW_WEBHOOK_URL`` is set; an Odoo activity when
the group names an Odoo user and the document's records are in a real Odoo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.exception_policy import due_after, severity_of
from gateway.owner_groups import load_owner_groups
from gateway.partners.exceptions import ExceptionSettings
from gateway.pipeline.dispatch import Next
from gateway.pipeline.runtime import Runtime
from gateway.states import ExceptionState
from gateway.store.audit import add_event
from gateway.store.models import (
    BusinessException,
    Notification,
    OutboundOrder,
    Transaction,
    utcnow,
)


def route_exceptions(
    runtime: Runtime,
    session: Session,
    txn: Transaction,
    rows: Sequence[BusinessException],
    *,
    target: str,
) -> list[Next]:
    """Route ``rows`` (new, in ``session``) of a document; the notify stages to run after
    commit."""
    return route_new_exceptions(
        runtime,
        session,
        rows,
        partner_id=txn.partner_id,
        target=target,
        transaction_id=txn.id,
        message_id=txn.message_id,
        correlation_id=txn.correlation_id,
    )


def route_new_exceptions(
    runtime: Runtime,
    session: Session,
    rows: Sequence[BusinessException],
    *,
    partner_id: str | None,
    target: str,
    transaction_id: int | None = None,
    message_id: int | None = None,
    correlation_id: str | None = None,
) -> list[Next]:
    """Route ``rows`` (new, in ``session``) of one partner, whatever raised them - a
    document, an order we sent (overdue answers) or reconciliation: owner group, assignee,
    severity, due time and one notification row per channel. Returns the notify stages to
    dispatch once ``session`` has committed."""
    if not rows:
        return []
    profile = runtime.registry.get(partner_id) if partner_id else None
    groups = load_owner_groups(runtime.settings.routing_file)
    settings = runtime.settings
    now = utcnow()
    notifications: list[Notification] = []
    routed: dict[str, list[int]] = {}
    session.flush()  # ids for the notifications
    for row in rows:
        group_name = (
            profile.exceptions.group_for(row.kind)
            if profile is not None
            else _default_group(row.kind)
        )
        group = groups.get(group_name)
        row.owner_group = group_name
        row.severity = severity_of(row.kind)
        row.due_at = (row.created_at or now) + due_after(row.kind)
        row.assignee = group.assignee
        routed.setdefault(group_name, []).append(row.id)
        channels: list[tuple[str, str]] = []
        if settings.smtp_host and group.email:
            channels.append(("email", ", ".join(group.email)))
        if settings.webhook_url:
            channels.append(("webhook", settings.webhook_url))
        if group.odoo_user and target == "odoo" and _records(row):
            channels.append(("odoo_activity", group.odoo_user))
        for channel, where in channels:
            notification = Notification(exception_id=row.id, channel=channel, target=where[:512])
            session.add(notification)
            notifications.append(notification)
    session.flush()
    add_event(
        session,
        "exceptions_routed",
        "; ".join(f"{name}: {len(ids)}" for name, ids in sorted(routed.items())),
        partner_id=partner_id,
        message_id=message_id,
        transaction_id=transaction_id,
        correlation_id=correlation_id,
        data={
            "groups": routed,
            "notifications": [[n.id, n.channel, n.target] for n in notifications],
        },
    )
    return [Next("notify", (n.id,)) for n in notifications]


UNROUTED_WINDOW = dt.timedelta(days=1)


def route_unrouted(runtime: Runtime, session: Session, now: dt.datetime) -> list[Next]:
    """Route open exceptions raised where routing was out of reach (a partner's rejecting
    997 recorded with the acknowledgement, a disabled partner's hold, a translation
    refusal): the stall-recovery sweep's safety net, so every exception reaches its group.

    Only the last :data:`UNROUTED_WINDOW`: an upgraded store's old exceptions are not
    announced all at once.
    """
    rows = session.scalars(
        select(BusinessException)
        .where(
            BusinessException.owner_group.is_(None),
            BusinessException.state == ExceptionState.OPEN,
            BusinessException.created_at >= now - UNROUTED_WINDOW,
        )
        .order_by(BusinessException.id)
    ).all()
    follow: list[Next] = []
    for row in rows:
        txn = session.get(Transaction, row.transaction_id) if row.transaction_id else None
        order = session.get(OutboundOrder, row.outbound_order_id) if row.outbound_order_id else None
        follow += route_new_exceptions(
            runtime,
            session,
            [row],
            partner_id=row.partner_id,
            target=runtime.odoo_target(bool(order.test) if order is not None else False),
            transaction_id=txn.id if txn is not None else None,
            message_id=txn.message_id if txn is not None else None,
            correlation_id=(
                txn.correlation_id
                if txn is not None
                else order.correlation_id
                if order is not None
                else None
            ),
        )
    return follow


def _default_group(kind: str) -> str:

    return ExceptionSettings().group_for(kind)


def _records(row: BusinessException) -> list[Any]:
    records = (row.detail or {}).get("records") or []
    return [r for r in records if isinstance(r, dict) and r.get("model") and r.get("id")]

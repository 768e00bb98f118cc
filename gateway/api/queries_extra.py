"""Read-side queries only the console needs: filtered file lists, the exception queue and
the dashboard's aggregates. Shaped as plain dicts like :mod:`gateway.queries`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.queries import MessageFilter, exception_json, list_messages

__all__ = ["ERROR_STATES", "MessageFilter", "dashboard", "list_exceptions", "list_messages"]
from gateway.states import ExceptionState, MessageState, TransactionState
from gateway.store.models import BusinessException, Message, OutboundOrder, Transaction, utcnow

ERROR_STATES = ("rejected", "failed")


def list_exceptions(
    session: Session,
    *,
    state: str | None = ExceptionState.OPEN,
    partner_id: str | None = None,
    kind: str | None = None,
    assignee: str | None = None,
    owner_group: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """The business exception queue (oldest open first), with each document's key and type,
    and each exception's age in seconds and whether it is past its due time."""
    q = (
        select(BusinessException, Transaction, OutboundOrder)
        .outerjoin(Transaction, Transaction.id == BusinessException.transaction_id)
        .outerjoin(OutboundOrder, OutboundOrder.id == BusinessException.outbound_order_id)
    )
    if state:
        q = q.where(BusinessException.state == state)
    if partner_id:
        q = q.where(BusinessException.partner_id == partner_id)
    if kind:
        q = q.where(BusinessException.kind == kind)
    if assignee:
        q = q.where(BusinessException.assignee == assignee)
    if owner_group:
        q = q.where(BusinessException.owner_group == owner_group)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    order = (
        BusinessException.id.asc() if state == ExceptionState.OPEN else BusinessException.id.desc()
    )
    out = []
    now = utcnow()
    for exc, txn, sent in session.execute(q.order_by(order).limit(limit).offset(offset)):
        data = exception_json(exc)
        if txn is not None:
            data["document_type"] = txn.document_type or txn.set_id
            data["business_key"] = txn.business_key
        else:  # about an order we sent
            data["document_type"] = f"{sent.document_type} (sent)" if sent else "order"
            data["business_key"] = sent.business_key if sent else None
        data["message_id"] = txn.message_id if txn is not None else (sent and sent.message_id)
        data["transaction_state"] = txn.state if txn is not None else (sent and sent.state)
        data.update(ageing(exc, now))
        out.append(data)
    return out, int(total)


def ageing(exc: BusinessException, now: dt.datetime) -> dict[str, Any]:
    """How old an exception is, and whether it is open past its due time."""
    created = exc.created_at if exc.created_at.tzinfo else exc.created_at.replace(tzinfo=dt.UTC)
    due = exc.due_at
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=dt.UTC)
    end = exc.resolved_at or now
    if end.tzinfo is None:
        end = end.replace(tzinfo=dt.UTC)
    return {
        "age_seconds": max(0, int((end - created).total_seconds())),
        "overdue": exc.state == ExceptionState.OPEN and due is not None and now > due,
    }


def exception_counts(session: Session) -> dict[str, int]:
    """Business exceptions per state."""
    rows = session.execute(
        select(BusinessException.state, func.count()).group_by(BusinessException.state)
    )
    return {s: int(n) for s, n in rows}


def daily_volume(
    session: Session, *, days: int = 14, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Documents per day per partner over the last ``days`` days, with error and exception
    counts per day: ``{"days": [...], "partners": {p: [n per day]}, "errors": [...],
    "exceptions": [...], "totals": [...]}``."""
    now = now or utcnow()
    first = (now - dt.timedelta(days=days - 1)).date()
    day_list = [first + dt.timedelta(days=i) for i in range(days)]
    index = {d.isoformat(): i for i, d in enumerate(day_list)}
    since = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    partners: dict[str, list[int]] = {}
    errors = [0] * days
    exceptions = [0] * days
    totals = [0] * days
    created_col: Any = Transaction.created_at
    if session.get_bind().dialect.name == "postgresql":
        created_col = func.timezone("UTC", created_col)  # UTC days whatever the session zone
    day = func.date(created_col)
    rows = session.execute(
        select(day, Transaction.partner_id, Transaction.state, func.count())
        .where(Transaction.created_at >= since)
        .group_by(day, Transaction.partner_id, Transaction.state)
    )
    # grouped by the database (bounded however busy the gateway is); date() gives text on
    # SQLite and a date on PostgreSQL, both of which print as YYYY-MM-DD. Timestamps are
    # stored in UTC, so the days are UTC days.
    for created, partner, state, n in rows:
        i = index.get(str(created)[:10])
        if i is None:
            continue
        series = partners.setdefault(partner or "(unknown)", [0] * days)
        series[i] += n
        totals[i] += n
        if state in ERROR_STATES:
            errors[i] += n
        elif state == TransactionState.BUSINESS_EXCEPTION:
            exceptions[i] += n
    return {
        "days": [d.isoformat() for d in day_list],
        "partners": partners,
        "errors": errors,
        "exceptions": exceptions,
        "totals": totals,
    }


def dashboard(
    session: Session, *, days: int = 14, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Everything the dashboard shows: volumes, rates and the queue sizes."""
    volume = daily_volume(session, days=days, now=now)
    total = sum(volume["totals"])
    errors = sum(volume["errors"])
    exceptions = sum(volume["exceptions"])
    states = {
        s: int(n)
        for s, n in session.execute(
            select(Transaction.state, func.count()).group_by(Transaction.state)
        )
    }
    return {
        "volume": volume,
        "documents": total,
        "error_rate": errors / total if total else 0.0,
        "exception_rate": exceptions / total if total else 0.0,
        "states": states,
        "exceptions": exception_counts(session),
        "messages": int(session.scalar(select(func.count()).select_from(Message)) or 0),
        "rejected_files": int(
            session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.state == MessageState.REJECTED)
            )
            or 0
        ),
    }

"""Read-side queries over the store, shaped as plain dicts for the CLI, API and pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from gateway.store.models import (
    Acknowledgement,
    BusinessException,
    Delivery,
    Document,
    Event,
    FunctionalGroup,
    Interchange,
    Message,
    Transaction,
)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def event_json(e: Event) -> dict[str, Any]:
    """An event row as a dict."""
    return {
        "id": e.id,
        "at": _iso(e.at),
        "actor": e.actor,
        "kind": e.kind,
        "detail": e.detail,
        "partner_id": e.partner_id,
        "message_id": e.message_id,
        "interchange_id": e.interchange_id,
        "transaction_id": e.transaction_id,
        "state_from": e.state_from,
        "state_to": e.state_to,
        "data": e.data,
        "correlation_id": e.correlation_id,
    }


def transaction_json(t: Transaction) -> dict[str, Any]:
    """A transaction row as a dict."""
    return {
        "id": t.id,
        "message_id": t.message_id,
        "interchange_id": t.interchange_id,
        "group_id": t.group_id,
        "partner_id": t.partner_id,
        "direction": t.direction,
        "set_id": t.set_id,
        "document_type": t.document_type,
        "control_number": t.control_number,
        "version": t.version,
        "business_key": t.business_key,
        "state": t.state,
        "ack_status": t.ack_status,
        "error": t.error,
        "issues": t.issues,
        "retries": t.retries,
        "created_at": _iso(t.created_at),
        "updated_at": _iso(t.updated_at),
    }


def message_json(m: Message) -> dict[str, Any]:
    """A message row as a dict."""
    return {
        "id": m.id,
        "direction": m.direction,
        "transport": m.transport,
        "partner_id": m.partner_id,
        "filename": m.filename,
        "size": m.size,
        "sha256": m.payload_sha256,
        "syntax": m.syntax,
        "state": m.state,
        "error": m.error,
        "duplicate_of": m.duplicate_of,
        "metadata": m.meta,
        "correlation_id": m.correlation_id,
        "created_at": _iso(m.created_at),
    }


def ack_json(a: Acknowledgement) -> dict[str, Any]:
    """An acknowledgement row as a dict."""
    return {
        "id": a.id,
        "direction": a.direction,
        "kind": a.kind,
        "partner_id": a.partner_id,
        "interchange_id": a.interchange_id,
        "control_number": a.control_number,
        "acknowledges": a.acknowledged_control_number,
        "status": a.status,
        "state": a.state,
        "transport": a.transport,
        "transport_ref": a.transport_ref,
        "attempts": a.attempts,
        "error": a.error,
        "sha256": a.payload_sha256,
        "created_at": _iso(a.created_at),
    }


def exception_json(b: BusinessException) -> dict[str, Any]:
    """A business exception row as a dict."""
    return {
        "id": b.id,
        "transaction_id": b.transaction_id,
        "partner_id": b.partner_id,
        "kind": b.kind,
        "message": b.message,
        "line_number": b.line_number,
        "expected": b.expected,
        "received": b.received,
        "detail": b.detail,
        "state": b.state,
        "resolution": b.resolution,
        "resolved_by": b.resolved_by,
        "created_at": _iso(b.created_at),
        "resolved_at": _iso(b.resolved_at),
        "owner_group": b.owner_group,
        "assignee": b.assignee,
        "severity": b.severity,
        "due_at": _iso(b.due_at),
    }


@dataclass(frozen=True)
class TransactionFilter:
    """Filters of the message tracker (all optional)."""

    partner_id: str | None = None
    direction: str | None = None
    document_type: str | None = None  # canonical type or set id
    state: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    control_number: str | None = None  # interchange, group or transaction control number
    business_key: str | None = None  # PO / shipment / invoice number
    message_id: int | None = None


def filter_transactions(f: TransactionFilter) -> Select[Any]:
    """The tracker query for a filter (newest first)."""
    q = select(Transaction)
    if f.partner_id:
        q = q.where(Transaction.partner_id == f.partner_id)
    if f.direction:
        q = q.where(Transaction.direction == f.direction)
    if f.document_type:
        q = q.where(
            or_(Transaction.document_type == f.document_type, Transaction.set_id == f.document_type)
        )
    if f.state:
        q = q.where(Transaction.state == f.state)
    if f.since:
        q = q.where(Transaction.created_at >= f.since)
    if f.until:
        q = q.where(Transaction.created_at < f.until)
    if f.message_id:
        q = q.where(Transaction.message_id == f.message_id)
    if f.control_number:
        ic_ids = select(Interchange.id).where(Interchange.control_number == f.control_number)
        grp_ids = select(FunctionalGroup.id).where(
            FunctionalGroup.control_number == f.control_number
        )
        q = q.where(
            or_(
                Transaction.control_number == f.control_number,
                Transaction.interchange_id.in_(ic_ids),
                Transaction.group_id.in_(grp_ids),
            )
        )
    if f.business_key:
        # partial and case-insensitive: a fragment of a PO number finds it
        q = q.where(Transaction.business_key.ilike(contains(f.business_key), escape="\\"))
    return q.order_by(Transaction.id.desc())


def list_transactions(
    session: Session, f: TransactionFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """A page of transactions and the total count for the filter."""
    q = filter_transactions(f)
    total = session.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
    rows = session.scalars(q.limit(limit).offset(offset))
    return [transaction_json(t) for t in rows], int(total)


@dataclass(frozen=True)
class MessageFilter:
    """Filters of the file (message) list; transaction-level ones match any of its documents."""

    partner_id: str | None = None
    direction: str | None = None
    state: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    document_type: str | None = None
    control_number: str | None = None
    business_key: str | None = None
    # the file's or one of its documents' correlation id (the one noted in Odoo's chatter)
    correlation_id: str | None = None

    def transaction_filter(self) -> TransactionFilter | None:
        """The filter on documents, when one of the document-level fields is set."""
        if not (self.document_type or self.control_number or self.business_key):
            return None
        return TransactionFilter(
            document_type=self.document_type,
            control_number=self.control_number,
            business_key=self.business_key,
        )


def list_messages(
    session: Session, f: MessageFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """A page of messages (newest first) with their documents' state counts, and the total."""
    q = select(Message)
    if f.partner_id:
        partner_ics = select(Interchange.message_id).where(Interchange.partner_id == f.partner_id)
        q = q.where((Message.partner_id == f.partner_id) | Message.id.in_(partner_ics))
    if f.direction:
        q = q.where(Message.direction == f.direction)
    if f.state:
        q = q.where(Message.state == f.state)
    if f.since:
        q = q.where(Message.created_at >= f.since)
    if f.until:
        q = q.where(Message.created_at < f.until)
    tf = f.transaction_filter()
    if tf is not None:
        matching = filter_transactions(tf).order_by(None).with_only_columns(Transaction.message_id)
        q = q.where(Message.id.in_(matching))
    if f.correlation_id:
        cid = f.correlation_id.strip()
        by_txn = select(Transaction.message_id).where(Transaction.correlation_id == cid)
        q = q.where((Message.correlation_id == cid) | Message.id.in_(by_txn))
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = list(session.scalars(q.order_by(Message.id.desc()).limit(limit).offset(offset)))
    ids = [m.id for m in rows]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    types: dict[int, set[str]] = {i: set() for i in ids}
    keys: dict[int, list[str]] = {i: [] for i in ids}
    partners: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for mid, state, dtype, n in session.execute(
            select(
                Transaction.message_id,
                Transaction.state,
                func.coalesce(Transaction.document_type, Transaction.set_id),
                func.count(),
            )
            .where(Transaction.message_id.in_(ids))
            .group_by(
                Transaction.message_id,
                Transaction.state,
                func.coalesce(Transaction.document_type, Transaction.set_id),
            )
        ):
            counts[mid][state] = counts[mid].get(state, 0) + n
            types[mid].add(dtype)
        for mid, key in session.execute(
            select(Transaction.message_id, Transaction.business_key).where(
                Transaction.message_id.in_(ids), Transaction.business_key.is_not(None)
            )
        ):
            if key and len(keys[mid]) < 5:
                keys[mid].append(key)
        for mid, partner in session.execute(
            select(Interchange.message_id, Interchange.partner_id)
            .where(Interchange.message_id.in_(ids), Interchange.partner_id.is_not(None))
            .distinct()
        ):
            partners[mid].append(str(partner))
    out = []
    for m in rows:
        data = message_json(m)
        data["partners"] = sorted(partners[m.id])
        data["transactions"] = counts[m.id]
        data["document_types"] = sorted(types[m.id])
        data["business_keys"] = keys[m.id]
        out.append(data)
    return out, int(total)


def message_outcomes(session: Session, message_ids: list[int]) -> list[dict[str, Any]]:
    """What became of these messages, in their order (ids not found left out): each one's
    ``id``, ``filename``, ``state`` and ``error``, and its ``transaction_list`` with each
    transaction's ``state`` - the part of :func:`message_detail` that ``ingest``
    summarizes, in two queries per 500 messages (not a detail per file)."""
    wanted = sorted(set(message_ids))
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):  # (SQLite caps the parameters of a statement)
        chunk = wanted[start : start + 500]
        for row in session.execute(
            select(Message.id, Message.filename, Message.state, Message.error).where(
                Message.id.in_(chunk)
            )
        ):
            found[row.id] = {
                "id": row.id,
                "filename": row.filename,
                "state": row.state,
                "error": row.error,
                "transaction_list": [],
            }
        for message_id, state in session.execute(
            select(Transaction.message_id, Transaction.state)
            .where(Transaction.message_id.in_(chunk))
            .order_by(Transaction.id)
        ):
            found[message_id]["transaction_list"].append({"state": state})
    return [found[i] for i in message_ids if i in found]


def message_detail(session: Session, message_id: int) -> dict[str, Any] | None:
    """Everything about one message: envelopes, transactions, acks, deliveries, events."""
    m = session.get(Message, message_id)
    if m is None:
        return None
    data = message_json(m)
    interchanges = []
    for ic in session.scalars(select(Interchange).where(Interchange.message_id == m.id)):
        interchanges.append(
            {
                "id": ic.id,
                "syntax": ic.syntax,
                "partner_id": ic.partner_id,
                "sender": f"{ic.sender_qualifier}/{ic.sender_id}".lstrip("/"),
                "receiver": f"{ic.receiver_qualifier}/{ic.receiver_id}".lstrip("/"),
                "control_number": ic.control_number,
                "version": ic.version,
                "test": ic.test,
                "state": ic.state,
                "ack_status": ic.ack_status,
                "issues": ic.issues,
            }
        )
    data["interchanges"] = interchanges
    txns = session.scalars(
        select(Transaction).where(Transaction.message_id == m.id).order_by(Transaction.id)
    )
    data["transaction_list"] = [transaction_json(t) for t in txns]
    ic_ids = [i["id"] for i in interchanges]
    data["acknowledgements"] = [
        ack_json(a)
        for a in session.scalars(
            select(Acknowledgement).where(
                or_(Acknowledgement.interchange_id.in_(ic_ids), Acknowledgement.message_id == m.id)
            )
        )
    ]
    data["events"] = [
        event_json(e)
        for e in session.scalars(select(Event).where(Event.message_id == m.id).order_by(Event.id))
    ]
    return data


def transaction_detail(session: Session, transaction_id: int) -> dict[str, Any] | None:
    """Everything about one transaction: canonical JSON, deliveries, exceptions, acks, events."""
    t = session.get(Transaction, transaction_id)
    if t is None:
        return None
    data = transaction_json(t)
    doc = session.scalar(select(Document).where(Document.transaction_id == t.id))
    data["document"] = doc.data if doc else None
    data["map_name"] = doc.map_name if doc else None
    data["deliveries"] = [
        {
            "id": d.id,
            "target": d.target,
            "records": d.records,
            "notes": d.notes,
            "business_key": d.business_key,
            "transaction_id": d.transaction_id,
            "created_at": _iso(d.created_at),
        }
        for d in session.scalars(
            select(Delivery).where(
                Delivery.partner_id == (t.partner_id or ""),
                Delivery.business_key == (t.business_key or ""),
                Delivery.document_type == (t.document_type or ""),
            )
        )
    ]
    data["exceptions"] = [
        exception_json(b)
        for b in session.scalars(
            select(BusinessException).where(BusinessException.transaction_id == t.id)
        )
    ]
    data["acknowledgements"] = [
        ack_json(a)
        for a in session.scalars(
            select(Acknowledgement).where(Acknowledgement.interchange_id == t.interchange_id)
        )
    ]
    data["events"] = [
        event_json(e)
        for e in session.scalars(
            select(Event)
            .where(
                or_(
                    Event.transaction_id == t.id,
                    (Event.message_id == t.message_id) & Event.transaction_id.is_(None),
                )
            )
            .order_by(Event.id)
        )
    ]
    return data


def contains(fragment: str) -> str:
    """A LIKE pattern matching ``fragment`` anywhere, its ``%``, ``_`` and ``\\`` literal
    (use with ``escape="\\"``): searching ``PO_1`` must not find ``PO-1``."""
    text = fragment.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{text}%"

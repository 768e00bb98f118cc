"""What the console's routes call: detail views, downloads, uploads and operator actions.

Routes stay thin (parse, call one function here, shape the response); this module knows
the store and the pipeline. Partner data never raises out of here: a payload that does
not parse comes back as the issues the engine found.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.edi.model import EdiInterchange, EdiPayload, Issue, SegmentLike
from gateway.engines import parse_payload
from gateway.intake import EMPTY_FILE, Receipt, ReceivedPayload
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.intake import PayloadTooLarge, StoreIntake
from gateway.pipeline.operations import OperationError
from gateway.pipeline.runtime import Runtime
from gateway.queries import event_json, message_detail, transaction_detail
from gateway.settings import Settings
from gateway.store.models import Acknowledgement, Event, Interchange, Message, Transaction
from gateway.store.payloads import PayloadMissing

MAX_SEGMENTS_SHOWN = 2000  # a parsed view is for reading; huge files are downloaded instead


class ConsoleError(Exception):
    """A request the console cannot serve; ``status`` is the HTTP status it maps to."""

    def __init__(self, status: int, message: str, *, size: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.size = size  # bytes seen, for refusals of uploads


_settle_lock = threading.Lock()


def settle(runtime: Runtime) -> None:
    """Run queued stages now when the runtime has no workers (demo, tests).

    With Celery the workers pick the work up; an inline runtime would otherwise leave a
    replay queued forever.
    """
    if isinstance(runtime.dispatcher, InlineDispatcher):
        with _settle_lock:
            runtime.dispatcher.drain(max_wait=1.0)


def run_operation(runtime: Runtime, action: Callable[[], Any]) -> Any:
    """Run an operator action and let an inline pipeline finish what it queued."""
    try:
        result = action()
    except OperationError as exc:
        # "no transaction 7" is an unknown id; anything else is the wrong state for it
        raise ConsoleError(404 if str(exc).startswith("no ") else 409, str(exc)) from exc
    settle(runtime)
    return result


# ---- uploads ----------------------------------------------------------------------------
def ingest_upload(
    runtime: Runtime, data: bytes, *, filename: str | None, partner_id: str | None, actor: str
) -> Receipt:
    """Feed an uploaded file in like ``edi-gateway ingest``; the stored message's receipt.

    ``receipt.queued`` is False when the broker was down: the bytes are stored and stall
    recovery queues them later. A refused upload is recorded as a ``refused`` message.
    """
    if not data:
        refuse_upload(runtime, filename=filename, partner_id=partner_id, actor=actor,
                      reason=EMPTY_FILE, size=0)  # fmt: skip
        raise ConsoleError(422, EMPTY_FILE)
    try:
        receipt = StoreIntake(runtime).receive(
            ReceivedPayload(
                data=data,
                transport="api",
                partner_id=partner_id or None,
                filename=(filename or "upload")[:255],
                metadata={"uploaded_by": actor},
                actor=actor,
            )
        )
    except PayloadTooLarge as exc:
        refuse_upload(runtime, filename=filename, partner_id=partner_id, actor=actor,
                      reason=str(exc), size=len(data))  # fmt: skip
        raise ConsoleError(413, str(exc)) from exc
    settle(runtime)
    return receipt


def refuse_upload(
    runtime: Runtime,
    *,
    filename: str | None,
    partner_id: str | None,
    actor: str,
    reason: str,
    size: int,
) -> None:
    """Record an upload refused before it was stored (size, empty): a ``refused`` message."""
    StoreIntake(runtime).refuse(
        transport="api", filename=filename, partner_id=partner_id, actor=actor,
        reason=reason, size=size, metadata={"uploaded_by": actor},
    )  # fmt: skip


# ---- raw bytes --------------------------------------------------------------------------
def _payload(runtime: Runtime, session: Session, sha: str) -> bytes:
    try:
        return runtime.payloads.get(session, sha)
    except PayloadMissing as exc:
        raise ConsoleError(410, f"stored bytes are missing: {exc}") from exc


def message_bytes(runtime: Runtime, session: Session, message_id: int) -> tuple[bytes, str]:
    """The raw bytes of a message as received, and a download file name."""
    m = session.get(Message, message_id)
    if m is None:
        raise ConsoleError(404, f"no message {message_id}")
    return _payload(runtime, session, m.payload_sha256), m.filename or f"message-{m.id}.edi"


def transaction_bytes(runtime: Runtime, session: Session, txn_id: int) -> tuple[bytes, str]:
    """The raw bytes of one document's whole interchange (what a partner would resend)."""
    t = session.get(Transaction, txn_id)
    if t is None:
        raise ConsoleError(404, f"no transaction {txn_id}")
    ic = session.get(Interchange, t.interchange_id)
    m = session.get(Message, t.message_id)
    if ic is None or m is None:
        raise ConsoleError(404, f"transaction {txn_id} has lost its interchange")
    data = _payload(runtime, session, m.payload_sha256)
    return data[ic.start : ic.end], f"interchange-{ic.control_number}-txn-{t.id}.edi"


def ack_bytes(runtime: Runtime, session: Session, ack_id: int) -> tuple[bytes, str]:
    """The bytes of an acknowledgement we sent or received."""
    a = session.get(Acknowledgement, ack_id)
    if a is None:
        raise ConsoleError(404, f"no acknowledgement {ack_id}")
    if a.payload_sha256:
        data = _payload(runtime, session, a.payload_sha256)
    elif a.message_id is not None:
        data, _ = message_bytes(runtime, session, a.message_id)
    else:
        raise ConsoleError(404, f"acknowledgement {ack_id} has no stored bytes")
    return data, f"{a.kind}-{a.control_number or a.id}.edi"


# ---- parsed structure -------------------------------------------------------------------
def _segment_json(seg: SegmentLike) -> dict[str, Any]:
    elements = []
    for e in range(1, seg.element_count() + 1):
        elements.append(":".join(seg.components(e)))
    return {"position": seg.position, "tag": seg.tag, "elements": elements}


def issue_json(issue: Issue) -> dict[str, Any]:
    """An engine issue as a dict (with its position in plain words)."""
    return {
        "level": issue.level.value,
        "code": issue.code,
        "message": issue.message,
        "fatal": issue.fatal,
        "where": issue.where(),
        "segment_tag": issue.segment_tag,
        "segment_position": issue.segment_position,
        "element_position": issue.element_position,
        "bad_value": issue.bad_value,
    }


def interchange_structure(edi: EdiInterchange, *, only_start: int | None = None) -> dict[str, Any]:
    """Envelope, groups and transactions with their segments (bounded for display)."""
    shown = 0
    groups = []
    for g in edi.groups:
        txns = []
        for t in g.transactions:
            if only_start is not None and t.start != only_start:
                continue
            segs = []
            for seg in t.segments:
                if shown >= MAX_SEGMENTS_SHOWN:
                    break
                segs.append(_segment_json(seg))
                shown += 1
            txns.append(
                {
                    "set_id": t.set_id,
                    "control_number": t.control_number,
                    "version": t.version,
                    "status": t.status.value,
                    "segment_count": len(t.segments),
                    "segments": segs,
                    "truncated": len(segs) < len(t.segments),
                    "issues": [issue_json(i) for i in t.issues],
                }
            )
        if only_start is not None and not txns:
            continue
        groups.append(
            {
                "functional_id": g.functional_id,
                "sender_id": g.sender_id,
                "receiver_id": g.receiver_id,
                "control_number": g.control_number,
                "version": g.version,
                "transactions": txns,
                "issues": [issue_json(i) for i in g.issues],
            }
        )
    return {
        "syntax": edi.syntax.value,
        "sender": f"{edi.sender_qualifier}/{edi.sender_id}",
        "receiver": f"{edi.receiver_qualifier}/{edi.receiver_id}",
        "control_number": edi.control_number,
        "version": edi.version,
        "test": edi.test,
        "date": edi.date,
        "time": edi.time,
        "groups": groups,
        "issues": [issue_json(i) for i in edi.issues],
    }


def parse_bytes(data: bytes) -> EdiPayload | str:
    """Parse bytes with the engines; a text reason when the engines are not usable.

    Only our own failures end up as text (an engine that is missing or crashes); partner
    data problems are issues inside the payload.
    """
    try:
        return parse_payload(data)
    except Exception as exc:  # an engine bug must not take the console page down
        return f"the EDI engine could not parse this ({type(exc).__name__}: {exc})"


def parsed_view(data: bytes, *, only_start: int | None = None) -> dict[str, Any]:
    """``{"interchanges": [...], "issues": [...]}`` or ``{"error": text}``."""
    parsed = parse_bytes(data)
    if isinstance(parsed, str):
        return {"error": parsed}
    return {
        "syntax": parsed.syntax.value if parsed.syntax else None,
        "interchanges": [
            interchange_structure(ic, only_start=only_start) for ic in parsed.interchanges
        ],
        "issues": [issue_json(i) for i in parsed.issues],
    }


# ---- Odoo links -------------------------------------------------------------------------
def odoo_links(
    settings: Settings, records: Sequence[dict[str, Any]], target: str = "odoo"
) -> list[dict[str, Any]]:
    """Each delivered record with a link into the Odoo it went to (none for a dry run).

    ``target`` is the delivery's: ``odoo`` (production), ``test-odoo`` or ``dry-run``.
    """
    urls = {"odoo": settings.odoo_url, "test-odoo": settings.odoo_test_url}
    base = (urls.get(target) or "").rstrip("/")
    out = []
    for rec in records:
        model, rid = rec.get("model"), rec.get("id")
        item = {
            "model": model,
            "id": rid,
            "name": rec.get("name"),
            "url": None,
            "legacy_url": None,
            "target": target,
        }
        if base and model and isinstance(rid, int):
            item["url"] = f"{base}/odoo/{quote(str(model))}/{rid}"
            item["legacy_url"] = f"{base}/web#model={quote(str(model))}&id={rid}&view_type=form"
        out.append(item)
    return out


# ---- detail views -----------------------------------------------------------------------
def document_view(
    runtime: Runtime, session: Session, txn_id: int, *, with_parsed: bool = True
) -> dict[str, Any]:
    """One document (transaction) with everything an operator looks at."""
    data = transaction_detail(session, txn_id)
    if data is None:
        raise ConsoleError(404, f"no transaction {txn_id}")
    for delivery in data["deliveries"]:
        delivery["links"] = odoo_links(
            runtime.settings, delivery["records"], delivery.get("target") or "odoo"
        )
    data["odoo_records"] = [link for d in data["deliveries"] for link in d["links"]]
    t = session.get(Transaction, txn_id)
    ic = session.get(Interchange, t.interchange_id) if t else None
    data["interchange"] = (
        {
            "id": ic.id,
            "control_number": ic.control_number,
            "sender": f"{ic.sender_qualifier}/{ic.sender_id}",
            "receiver": f"{ic.receiver_qualifier}/{ic.receiver_id}",
            "syntax": ic.syntax,
            "state": ic.state,
            "test": ic.test,
        }
        if ic
        else None
    )
    if with_parsed and t is not None and ic is not None:
        try:
            raw, _ = transaction_bytes(runtime, session, txn_id)
        except ConsoleError as exc:
            data["parsed"] = {"error": exc.message}
            data["raw_text"] = None
        else:
            data["parsed"] = parsed_view(raw, only_start=t.start - ic.start)
            data["raw_text"] = raw[:200_000].decode("latin-1")
            data["raw_truncated"] = len(raw) > 200_000
    return data


def message_view(
    runtime: Runtime, session: Session, message_id: int, *, with_parsed: bool = True
) -> dict[str, Any]:
    """One received file with its envelopes, documents, acks, Odoo records and timeline."""
    data = message_detail(session, message_id)
    if data is None:
        raise ConsoleError(404, f"no message {message_id}")
    documents = []
    for t in data["transaction_list"]:
        doc = transaction_detail(session, t["id"]) or {}
        links = [
            link
            for d in doc.get("deliveries", [])
            for link in odoo_links(runtime.settings, d["records"], d.get("target") or "odoo")
        ]
        documents.append(
            {
                **t,
                "document": doc.get("document"),
                "map_name": doc.get("map_name"),
                "exceptions": doc.get("exceptions", []),
                "odoo_records": links,
            }
        )
    data["documents"] = documents
    data["odoo_records"] = [r for d in documents for r in d["odoo_records"]]
    ic_ids = [i["id"] for i in data["interchanges"]]
    if ic_ids:  # events recorded against an interchange only (acks sent) belong here too
        seen = {e["id"] for e in data["events"]}
        extra = session.scalars(
            select(Event).where(Event.interchange_id.in_(ic_ids), Event.message_id.is_(None))
        )
        data["events"] = sorted(
            [*data["events"], *(event_json(e) for e in extra if e.id not in seen)],
            key=lambda e: e["id"],
        )
    if with_parsed:
        try:
            raw, _ = message_bytes(runtime, session, message_id)
        except ConsoleError as exc:
            data["parsed"] = {"error": exc.message}
            data["raw_text"] = None
        else:
            data["parsed"] = parsed_view(raw)
            data["raw_text"] = raw[:200_000].decode("latin-1")
            data["raw_truncated"] = len(raw) > 200_000
    return data

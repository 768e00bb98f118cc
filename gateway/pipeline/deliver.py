"""The deliver stage: a canonical document becomes Odoo records, exactly once.

Exactly once rests on three things: a worker claims the transaction by moving it from
``translated`` to ``delivering`` atomically; the ``deliveries`` ledger is unique by
partner + document type + business key, so a replay or a second copy of the document
finds the first delivery instead of creating another; and the Odoo delivery itself
searches Odoo by the business key before creating, so a crash between the Odoo write and
the ledger row does not create a duplicate on retry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.canonical import load_document
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import TransientError
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.stages import claim, set_state
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import (
    BusinessException,
    Delivery,
    Document,
    Transaction,
    TransactionState,
)


def deliver(runtime: Runtime, transaction_id: int) -> list[Next]:
    """Deliver one translated transaction's document to Odoo (or the dry-run outbox)."""
    from gateway.odoo.delivery import deliver as deliver_document
    from gateway.odoo.errors import (
        OdooBusinessError,
        OdooConfigurationError,
        OdooTransientError,
    )

    with session_scope(runtime.sessions) as session:
        if not claim(
            session, transaction_id, TransactionState.TRANSLATED, TransactionState.DELIVERING
        ):
            return []  # delivered, or being delivered, by someone else
    with session_scope(runtime.sessions) as session:
        txn = session.get(Transaction, transaction_id)
        assert txn is not None
        doc_row = session.scalar(select(Document).where(Document.transaction_id == txn.id))
        if doc_row is None or txn.partner_id is None:
            set_state(
                session,
                txn,
                TransactionState.FAILED,
                "no canonical document to deliver",
                error="no canonical document",
            )
            return []
        earlier = session.scalar(
            select(Delivery).where(
                Delivery.partner_id == txn.partner_id,
                Delivery.document_type == doc_row.document_type,
                Delivery.business_key == doc_row.business_key,
            )
        )
        if earlier is not None:
            set_state(
                session,
                txn,
                TransactionState.DELIVERED,
                f"already delivered by transaction {earlier.transaction_id} "
                f"({_describe(earlier.records)}): not delivered again",
                data={"delivery_id": earlier.id},
            )
            return []
        profile = runtime.registry.get(txn.partner_id)
        if profile is None:
            set_state(
                session,
                txn,
                TransactionState.FAILED,
                f"partner {txn.partner_id} has no profile any more",
                error="partner profile missing",
            )
            return []
        document = load_document(doc_row.data)
    # The Odoo call happens outside any open database transaction.
    try:
        outcome = deliver_document(document, profile=profile, odoo=runtime.odoo)
    except OdooTransientError as exc:
        _release(runtime, transaction_id, str(exc))
        raise TransientError(f"Odoo unavailable: {exc}") from exc
    except OdooConfigurationError as exc:
        _finish_failed(runtime, transaction_id, f"Odoo configuration: {exc}")
        return []
    except OdooBusinessError as exc:
        _record_outcome(
            runtime,
            transaction_id,
            doc_row,
            records=[],
            notes=[],
            exceptions=[{"kind": "odoo_refused", "message": str(exc)}],
            target=_target(runtime),
        )
        return []
    _record_outcome(
        runtime,
        transaction_id,
        doc_row,
        records=[_ref_json(r) for r in outcome.records],
        notes=list(outcome.notes)
        + (["found existing records in Odoo"] if outcome.already_existed else []),
        exceptions=[_issue_json(e) for e in outcome.exceptions],
        target=_target(runtime),
    )
    return []


def _target(runtime: Runtime) -> str:
    return "odoo" if runtime.settings.odoo_configured or runtime.odoo_factory else "dry-run"


def _ref_json(ref: Any) -> dict[str, Any]:
    return {"model": ref.model, "id": ref.id, "name": getattr(ref, "name", None)}


def _issue_json(issue: Any) -> dict[str, Any]:
    fields = ("kind", "message", "line_number", "expected", "received")
    data = {f: getattr(issue, f, None) for f in fields}
    ids = getattr(issue, "identifiers", None)
    if ids:
        data["identifiers"] = dict(ids)
    return data


def _describe(records: list[Any]) -> str:
    return (
        ", ".join(f"{r.get('model')} {r.get('name') or r.get('id')}" for r in records)
        or "no records"
    )


def _release(runtime: Runtime, transaction_id: int, error: str) -> None:
    """Give the claim back so the retry can take it again."""
    with session_scope(runtime.sessions) as session:
        txn = session.get(Transaction, transaction_id)
        if txn is not None and txn.state == TransactionState.DELIVERING:
            txn.state = TransactionState.TRANSLATED
            txn.retries += 1
            txn.error = error
            add_event(
                session,
                "retry",
                f"delivery will be retried: {error}",
                partner_id=txn.partner_id,
                transaction_id=txn.id,
                message_id=txn.message_id,
                correlation_id=txn.correlation_id,
            )


def _finish_failed(runtime: Runtime, transaction_id: int, error: str) -> None:
    with session_scope(runtime.sessions) as session:
        txn = session.get(Transaction, transaction_id)
        if txn is not None:
            set_state(session, txn, TransactionState.FAILED, error, error=error)


def fail_delivery(runtime: Runtime, transaction_id: int, error: str) -> None:
    """Dead-letter a transaction whose delivery kept failing (after the last retry)."""
    with session_scope(runtime.sessions) as session:
        txn = session.get(Transaction, transaction_id)
        if txn is not None and txn.state in (
            TransactionState.TRANSLATED,
            TransactionState.DELIVERING,
        ):
            set_state(
                session,
                txn,
                TransactionState.FAILED,
                f"gave up after {txn.retries} retries: {error}",
                error=error,
            )


def _record_outcome(
    runtime: Runtime,
    transaction_id: int,
    doc_row: Document,
    *,
    records: list[dict[str, Any]],
    notes: list[str],
    exceptions: list[dict[str, Any]],
    target: str,
) -> None:
    with session_scope(runtime.sessions) as session:
        txn = session.get(Transaction, transaction_id)
        assert txn is not None
        if exceptions:
            for exc in exceptions:
                session.add(
                    BusinessException(
                        transaction_id=txn.id,
                        partner_id=txn.partner_id,
                        kind=str(exc.get("kind") or "business"),
                        message=str(exc.get("message") or ""),
                        line_number=_opt(exc.get("line_number")),
                        expected=_opt(exc.get("expected")),
                        received=_opt(exc.get("received")),
                        detail={"identifiers": exc.get("identifiers", {}), "records": records},
                    )
                )
            set_state(
                session,
                txn,
                TransactionState.BUSINESS_EXCEPTION,
                "; ".join(str(e.get("message")) for e in exceptions[:3]),
                data={"records": records, "exceptions": exceptions, "target": target},
            )
            return
        try:
            with session.begin_nested():
                session.add(
                    Delivery(
                        transaction_id=txn.id,
                        partner_id=txn.partner_id or "",
                        document_type=doc_row.document_type,
                        business_key=doc_row.business_key,
                        target=target,
                        records=records,
                        notes=notes,
                    )
                )
        except IntegrityError:
            notes = [*notes, "ledger already had this business key (concurrent delivery)"]
        set_state(
            session,
            txn,
            TransactionState.DELIVERED,
            f"{target}: {_describe(records)}",
            data={"records": records, "notes": notes},
        )
        txn.error = None


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)

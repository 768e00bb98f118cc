"""The deliver stage: a canonical document becomes Odoo records, exactly once.

Exactly once rests on three things: a worker claims the transaction by moving it from
``translated`` to ``delivering`` atomically; the ``deliveries`` ledger is unique by
partner + document type + business key, so a replay or a second copy of the document
finds the first delivery instead of creating another; and the delivery's decision (the
plan: what to write, the business exceptions, whether to post a bill) is stored in
``delivery_decisions`` before the first Odoo write, so a retry after a crash replays that
decision, and each step looks for what the interrupted attempt already wrote.

Where a delivery goes: test traffic (ISA15=T, UNB test indicator 1, a partner in
``mode.usage: test``) to the test Odoo (``EDIGW_ODOO_TEST_*``) or the dry-run outbox,
never to the production Odoo; the target is stored with the decision and the ledger row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.canonical import PurchaseOrder, Purpose
from gateway.customer_items import lookup_table
from gateway.documents import load_document
from gateway.odoo.delivery import DeliveryPlan, apply_plan, plan_delivery
from gateway.odoo.errors import OdooBusinessError, OdooConfigurationError, OdooTransientError
from gateway.pipeline.customer_orders import asked_order as customer_order
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import PermanentError, TransientError
from gateway.pipeline.routing import route_exceptions
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.stages import claim
from gateway.pipeline.transitions import set_state
from gateway.states import DECISIONS, TRANSACTIONS, DecisionState
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import (
    BusinessException,
    Delivery,
    DeliveryDecision,
    Document,
    Interchange,
    Transaction,
    TransactionState,
)


def deliver(runtime: Runtime, transaction_id: int) -> list[Next]:
    """Deliver one translated transaction's document to Odoo (or the dry-run outbox)."""

    # the claim and everything the delivery reads: one transaction, committed before Odoo
    with session_scope(runtime.sessions) as session:
        if not claim(
            session, transaction_id, TransactionState.TRANSLATED, TransactionState.DELIVERING
        ):
            return []  # delivered, or being delivered, by someone else
        found = session.execute(
            select(Transaction, Document, Interchange.test)
            .outerjoin(Document, Document.transaction_id == Transaction.id)
            .outerjoin(Interchange, Interchange.id == Transaction.interchange_id)
            .where(Transaction.id == transaction_id)
        ).first()
        if found is None:  # claimed above; rows are never deleted
            raise PermanentError(f"transaction {transaction_id} does not exist")
        txn, doc_row = found[0], found[1]
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
            txn.error = None
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
        # a customer's part numbers -> our items, for its orders (read here, handed down;
        # only the numbers this document names)
        customer_items = (
            lookup_table(session, profile.id, _buyer_parts(document))
            if profile.is_customer
            else None
        )
        # a customer's change: their order as asked so far numbers its lines
        asked = (
            customer_order(session, profile.id, document.po_number, excluding=doc_row.business_key)
            if profile.is_customer
            and isinstance(document, PurchaseOrder)
            and document.purpose is not Purpose.ORIGINAL
            else None
        )
        correlation_id = txn.correlation_id
        test = bool(found[2]) or profile.mode.usage == "test"
        recorded = session.scalar(
            select(DeliveryDecision)
            .where(
                DeliveryDecision.transaction_id == txn.id,
                DeliveryDecision.state == DecisionState.RECORDED,
            )
            .order_by(DeliveryDecision.id.desc())
        )
        replay = dict(recorded.plan) if recorded is not None else None
        target = recorded.target if recorded is not None else runtime.odoo_target(test)
        decision_id = recorded.id if recorded is not None else None
    odoo = runtime.odoo_for(target)
    decision = _Decision(runtime, transaction_id, target, decision_id)
    # The Odoo calls happen outside any open database transaction.
    try:
        if replay is not None:
            # an earlier attempt decided and may have written part of it: carry out that
            # decision, never a new one made from an Odoo it already changed
            plan = DeliveryPlan.model_validate(replay)
            odoo.begin_document(plan.key)
        else:
            plan = plan_delivery(
                document,
                profile=profile,
                odoo=odoo,
                customer_items=customer_items,
                asked_order=asked,
            )
            plan.correlation_id = correlation_id  # noted on the records it writes
            if plan.writes:
                decision.record(plan)  # before the first write
        outcome = apply_plan(plan, odoo, checkpoint=decision.record)
    except OdooTransientError as exc:
        _release(runtime, transaction_id, str(exc))
        raise TransientError(f"Odoo unavailable: {exc}") from exc
    except OdooConfigurationError as exc:
        decision.finish(DecisionState.ABANDONED)
        _finish_failed(runtime, transaction_id, f"Odoo configuration: {exc}")
        return []
    except OdooBusinessError as exc:
        return _record_outcome(
            runtime,
            txn,
            doc_row,
            records=[],
            notes=[],
            exceptions=[{"kind": "odoo_refused", "message": str(exc)}],
            target=target,
            decision=decision,
        )
    return _record_outcome(
        runtime,
        txn,
        doc_row,
        records=[_ref_json(r) for r in outcome.records],
        notes=list(outcome.notes)
        + (["found existing records in Odoo"] if outcome.already_existed else [])
        + (["replayed the decision recorded by an interrupted attempt"] if replay else []),
        exceptions=[_issue_json(e) for e in outcome.exceptions],
        target=target,
        decision=decision,
    )


class _Decision:
    """The stored plan of one delivery attempt (``delivery_decisions``)."""

    def __init__(
        self, runtime: Runtime, transaction_id: int, target: str, decision_id: int | None
    ) -> None:
        self.runtime = runtime
        self.transaction_id = transaction_id
        self.target = target
        self.id = decision_id

    def record(self, plan: Any) -> None:
        """Store (or update) the plan; committed before this returns."""
        data = plan.model_dump(mode="json")
        with session_scope(self.runtime.sessions) as session:
            row = session.get(DeliveryDecision, self.id) if self.id is not None else None
            if row is None:
                row = DeliveryDecision(
                    transaction_id=self.transaction_id,
                    delivery_key=plan.key,
                    target=self.target,
                    plan=data,
                    state=DecisionState.RECORDED,
                )
                session.add(row)
                session.flush()
                self.id = row.id
            else:
                row.plan = data
        # the dry run shows the decision next to the calls (a no-op for a real Odoo)
        self.runtime.odoo_for(self.target).record_plan(data)

    def finish(self, state: DecisionState, session: Any = None) -> None:
        """Mark the decision carried out (``applied``) or given up (``abandoned``)."""
        if self.id is None:
            return
        if session is not None:
            row = session.get(DeliveryDecision, self.id)
            if row is not None:
                DECISIONS.move(row, state)
            return
        with session_scope(self.runtime.sessions) as own:
            self.finish(state, own)


def _buyer_parts(document: Any) -> list[str]:
    """The buyer's part numbers a document's lines name."""
    parts = []
    for _, line in document.numbered_lines():
        item = getattr(line, "item", None)
        if item is not None and item.buyer_part:
            parts.append(str(item.buyer_part))
    return parts


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
            TRANSACTIONS.move(txn, TransactionState.TRANSLATED)
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
    txn: Transaction,
    doc_row: Document,
    *,
    records: list[dict[str, Any]],
    notes: list[str],
    exceptions: list[dict[str, Any]],
    target: str,
    decision: _Decision,
) -> list[Next]:
    """Record the delivery or its business exceptions; the notify stages to run next.

    ``txn`` is the row this delivery claimed (read in the claim's transaction, and
    nobody else moves a claimed transaction): it is attached again, not read again.
    """
    with session_scope(runtime.sessions) as session:
        session.add(txn)
        decision.finish(DecisionState.APPLIED, session)
        txn.error = None  # a retry's "cannot reach Odoo" is history once it ends
        if exceptions:
            rows = [
                BusinessException(
                    transaction_id=txn.id,
                    partner_id=txn.partner_id,
                    kind=str(exc.get("kind") or "business"),
                    message=str(exc.get("message") or ""),
                    line_number=_opt(exc.get("line_number")),
                    expected=_opt(exc.get("expected")),
                    received=_opt(exc.get("received")),
                    detail={
                        "identifiers": exc.get("identifiers", {}),
                        "records": records,
                        # what a price difference is worth, and the contract line checked
                        **{k: exc[k] for k in ("quantity", "currency", "contract") if exc.get(k)},
                    },
                )
                for exc in exceptions
            ]
            session.add_all(rows)
            follow = route_exceptions(runtime, session, txn, rows, target=target)
            set_state(
                session,
                txn,
                TransactionState.BUSINESS_EXCEPTION,
                "; ".join(str(e.get("message")) for e in exceptions[:3]),
                data={"records": records, "exceptions": exceptions, "target": target},
            )
            return follow
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
    return []


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)

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

import json
import logging
from dataclasses import dataclass
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Row, Select, Table, Text, bindparam, insert, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from gateway.canonical import PurchaseOrder, Purpose
from gateway.customer_items import lookup_table
from gateway.documents import BY_NAME, load_document
from gateway.odoo.delivery import DeliveryPlan, apply_plan, plan_delivery
from gateway.odoo.errors import OdooBusinessError, OdooConfigurationError, OdooTransientError
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.customer_orders import asked_order as customer_order
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import PermanentError, TransientError
from gateway.pipeline.routing import route_exceptions
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.stages import claim_all
from gateway.pipeline.transitions import Move, set_state, set_states
from gateway.states import DECISIONS, TRANSACTIONS, DecisionState
from gateway.store.audit import add_event
from gateway.store.bulk import insert_rows
from gateway.store.db import session_scope
from gateway.store.models import (
    BusinessException,
    Delivery,
    DeliveryDecision,
    Document,
    Interchange,
    Transaction,
    TransactionState,
    utcnow,
)

log = logging.getLogger(__name__)


@dataclass
class _Txn:
    """What the delivery needs of a transaction row (read once, with its claim)."""

    id: int
    partner_id: str | None
    message_id: int
    interchange_id: int
    correlation_id: str
    state: TransactionState


@dataclass
class _Doc:
    """What the delivery needs of a transaction's canonical document row: its columns
    and its JSON as stored (text), made its model once, when first needed."""

    document_type: str
    business_key: str
    text: str
    loaded: Any = None

    def document(self, runtime: Runtime, transaction_id: int) -> Any:
        """The canonical document: the one translate kept in this process when it was
        stored as this very text, else validated from the text."""
        if self.loaded is None:
            self.loaded = runtime.handoff.take(transaction_id, self.text) or _validate(self)
        return self.loaded


def _validate(doc_row: _Doc) -> Any:
    """The stored text validated into its model by pydantic's own JSON parser (no
    ``json.loads`` into dicts first)."""
    kind = BY_NAME.get(doc_row.document_type)
    if kind is not None:
        try:
            return kind.model.model_validate_json(doc_row.text)
        except ValidationError:
            pass  # the text names another type than its column: as it says, below
    return load_document(json.loads(doc_row.text))


# of the tables (Core), not the mapped classes: no ORM compile step per execution
_TT, _DT = cast(Table, Transaction.__table__), cast(Table, Document.__table__)
_IT = cast(Table, Interchange.__table__)
_DECISIONS = cast(Table, DeliveryDecision.__table__)
_LEDGER = cast(Table, Delivery.__table__)
_T, _D = _TT.c, _DT.c
#: a transaction, its document and its interchange's test flag: columns, no ORM objects
_CLAIMABLE = (
    select(
        _T.id,
        _T.partner_id,
        _T.message_id,
        _T.interchange_id,
        _T.correlation_id,
        _T.state,
        _D.document_type,
        _D.business_key,
        sql_cast(_D.data, Text).label("data"),  # the text as stored: validated once, below
        _D.id.label("document_id"),
        _IT.c.test,
    )
    .outerjoin(_DT, _D.transaction_id == _T.id)
    .outerjoin(_IT, _IT.c.id == _T.interchange_id)
    .order_by(_T.id)
)
# built once (issue 21): every statement of a batch's bookkeeping, ids bound as a list
_CLAIMABLE_BATCH = _CLAIMABLE.where(
    _T.id.in_(bindparam("ids", expanding=True)), _T.state == TransactionState.TRANSLATED
)
_LEDGER_ROWS: Select[Any] = select(  # columns: what "already delivered" names
    _LEDGER.c.id,
    _LEDGER.c.transaction_id,
    _LEDGER.c.partner_id,
    _LEDGER.c.document_type,
    _LEDGER.c.business_key,
    _LEDGER.c.records,
).where(
    _LEDGER.c.business_key.in_(bindparam("keys", expanding=True)),
    _LEDGER.c.partner_id.in_(bindparam("partners", expanding=True)),
)
_RECORDED: Select[Any] = (
    select(  # columns: what replaying a decision needs
        _DECISIONS.c.id,
        _DECISIONS.c.transaction_id,
        _DECISIONS.c.target,
        _DECISIONS.c.plan,
    )
    .where(
        _DECISIONS.c.transaction_id.in_(bindparam("ids", expanding=True)),
        _DECISIONS.c.state == DecisionState.RECORDED,
    )
    .order_by(_DECISIONS.c.id)
)


@dataclass
class _Job:
    """One claimed transaction of a batch, with what its delivery needs."""

    txn: _Txn
    doc_row: _Doc
    profile: PartnerProfile
    document: Any
    customer_items: Any
    asked: PurchaseOrder | None  # a customer's change: their order as asked so far
    target: str
    replay: dict[str, Any] | None
    decision_id: int | None


@dataclass
class _Outcome:
    """What one delivery ended with, recorded with the others of its batch."""

    job: _Job
    decision: _Decision
    records: list[dict[str, Any]]
    notes: list[str]
    exceptions: list[dict[str, Any]]


def deliver(runtime: Runtime, transaction_id: int, *more: int) -> list[Next]:
    """Deliver translated transactions' documents to Odoo (or the dry-run outbox).

    One transaction (recovery, a replay) or all of an interchange's (translate queues
    one batch): the claims and every read in one database transaction, the Odoo calls
    one document after the other outside any, the outcomes in one transaction at the end.
    A crash in between leaves the claimed transactions ``delivering``, which stall
    recovery hands back; a retry replays each recorded decision (exactly once).
    """
    jobs, follow = _prepare(runtime, [transaction_id, *more])
    done: list[_Outcome] = []
    for index, job in enumerate(jobs):
        try:
            outcome = _carry_out(runtime, job)
        except OdooTransientError as exc:
            follow += _record_outcomes(runtime, done)
            _release(runtime, [j.txn.id for j in jobs[index:]], str(exc))
            runtime.dispatcher.dispatch(follow)  # what finished must not wait for the retry
            raise TransientError(f"Odoo unavailable: {exc}") from exc
        except (DBAPIError, TransientError):
            follow += _record_outcomes(runtime, done)
            _release(runtime, [j.txn.id for j in jobs[index:]], "database unavailable")
            runtime.dispatcher.dispatch(follow)
            raise
        except Exception as exc:
            if len(jobs) == 1:
                raise  # the runner's dead letter, as for any stage
            # our bug in one document: that one fails now, the rest of the batch goes on
            log.error("delivery of transaction %s failed", job.txn.id, exc_info=True)
            _finish_failed(runtime, job.txn.id, f"{type(exc).__name__}: {exc}")
            continue
        if outcome is not None:
            done.append(outcome)
    return follow + _record_outcomes(runtime, done)


def _prepare(runtime: Runtime, ids: list[int]) -> tuple[list[_Job], list[Next]]:
    """Claim the transactions and read what their deliveries need: one transaction.

    Transactions finished here (no document, already in the ledger, no profile) move to
    their state at once. A second transaction of the batch with the business key of an
    earlier one is left ``translated`` and queued after the batch, so it finds the first
    one's ledger row ("already delivered"), as it would have one task later; so is a
    customer's change to an order (read against the order as delivered so far).
    """
    jobs: list[_Job] = []
    follow: list[Next] = []
    with session_scope(runtime.sessions) as session:
        found: list[tuple[_Txn, _Doc | None, bool]] = [
            (
                _Txn(r.id, r.partner_id, r.message_id, r.interchange_id, r.correlation_id, r.state),
                _Doc(r.document_type, r.business_key, r.data)
                if r.document_id is not None
                else None,
                bool(r.test),
            )
            for r in session.execute(_CLAIMABLE_BATCH, {"ids": ids})
        ]
        keys: set[tuple[str, str, str]] = set()
        chosen = []
        for txn, doc_row, test in found:
            if doc_row is not None and txn.partner_id is not None:
                key = (txn.partner_id, doc_row.document_type, doc_row.business_key)
                if key in keys or (len(found) > 1 and _customer_change(runtime, txn, doc_row)):
                    follow.append(Next("deliver", (txn.id,)))
                    continue
                keys.add(key)
            chosen.append((txn, doc_row, test))
        claimed = set(
            claim_all(
                session,
                [txn.id for txn, _, _ in chosen],
                TransactionState.TRANSLATED,
                TransactionState.DELIVERING,
            )
        )
        chosen = [c for c in chosen if c[0].id in claimed]  # the rest: someone else's
        for txn, _, _ in chosen:
            txn.state = TransactionState.DELIVERING
        ledger = _ledger(session, keys)
        decisions = _recorded_decisions(session, [txn.id for txn, _, _ in chosen])
        finished: list[Move] = []  # those with nothing to deliver: moved here, together
        for txn, doc_row, test in chosen:
            job = _job(runtime, session, txn, doc_row, test, ledger, decisions, finished)
            if job is not None:
                jobs.append(job)
        set_states(session, finished)
    return jobs, follow


def _customer_change(runtime: Runtime, txn: _Txn, doc_row: _Doc) -> bool:
    """A customer's change to an order: it is read against the order as delivered so far,
    so in a batch it waits for the rest (delivered on its own right after)."""
    profile = runtime.registry.get(txn.partner_id or "")
    if profile is None or not profile.is_customer or doc_row.document_type != "purchase_order":
        return False
    return doc_row.document(runtime, txn.id).purpose is not Purpose.ORIGINAL


def _ledger(
    session: Session, keys: set[tuple[str, str, str]]
) -> dict[tuple[str, str, str], Row[Any]]:
    """The ledger rows of these partner + document type + business keys (one query)."""
    if not keys:
        return {}
    rows = session.execute(
        _LEDGER_ROWS,
        {"keys": sorted({k[2] for k in keys}), "partners": sorted({k[0] for k in keys})},
    )
    return {(r.partner_id, r.document_type, r.business_key): r for r in rows}


def _recorded_decisions(session: Session, ids: list[int]) -> dict[int, Row[Any]]:
    """The newest decision still to be carried out of each transaction (one query)."""
    if not ids:
        return {}
    rows = session.execute(_RECORDED, {"ids": ids})
    return {row.transaction_id: row for row in rows}  # the last one per transaction wins


def _job(
    runtime: Runtime,
    session: Session,
    txn: _Txn,
    doc_row: _Doc | None,
    test: bool,
    ledger: dict[tuple[str, str, str], Row[Any]],
    decisions: dict[int, Row[Any]],
    finished: list[Move],
) -> _Job | None:
    """The delivery of one claimed transaction, or None when it is finished here (its
    move added to ``finished``)."""
    if doc_row is None or txn.partner_id is None:
        finished.append(
            Move(
                txn,
                TransactionState.FAILED,
                "no canonical document to deliver",
                error="no canonical document",
            )
        )
        return None
    earlier = ledger.get((txn.partner_id, doc_row.document_type, doc_row.business_key))
    if earlier is not None:
        finished.append(
            Move(
                txn,
                TransactionState.DELIVERED,
                f"already delivered by transaction {earlier.transaction_id} "
                f"({_describe(earlier.records)}): not delivered again",
                error=None,
                data={"delivery_id": earlier.id},
            )
        )
        return None
    profile = runtime.registry.get(txn.partner_id)
    if profile is None:
        finished.append(
            Move(
                txn,
                TransactionState.FAILED,
                f"partner {txn.partner_id} has no profile any more",
                error="partner profile missing",
            )
        )
        return None
    document = doc_row.document(runtime, txn.id)
    # a customer's part numbers -> our items, for its orders (read here, handed down;
    # only the numbers this document names)
    customer_items = (
        lookup_table(session, profile.id, _buyer_parts(document)) if profile.is_customer else None
    )
    # a customer's change: their order as asked so far numbers its lines
    asked = (
        customer_order(session, profile.id, document.po_number, excluding=doc_row.business_key)
        if profile.is_customer
        and isinstance(document, PurchaseOrder)
        and document.purpose is not Purpose.ORIGINAL
        else None
    )
    test = test or profile.mode.usage == "test"
    recorded = decisions.get(txn.id)
    return _Job(
        txn=txn,
        doc_row=doc_row,
        profile=profile,
        document=document,
        customer_items=customer_items,
        asked=asked,
        target=recorded.target if recorded is not None else runtime.odoo_target(test),
        replay=dict(recorded.plan) if recorded is not None else None,
        decision_id=recorded.id if recorded is not None else None,
    )


def _carry_out(runtime: Runtime, job: _Job) -> _Outcome | None:
    """Plan (or replay) and apply one delivery; the Odoo calls, outside any database
    transaction. None when it failed for good here (Odoo's configuration)."""
    odoo = runtime.odoo_for(job.target)
    decision = _Decision(runtime, job.txn.id, job.target, job.decision_id)
    try:
        if job.replay is not None:
            # an earlier attempt decided and may have written part of it: carry out that
            # decision, never a new one made from an Odoo it already changed
            plan = DeliveryPlan.model_validate(job.replay)
            odoo.begin_document(plan.key)
        else:
            plan = plan_delivery(
                job.document,
                profile=job.profile,
                odoo=odoo,
                customer_items=job.customer_items,
                asked_order=job.asked,
            )
            plan.correlation_id = job.txn.correlation_id  # noted on the records it writes
            if plan.writes:
                decision.record(plan)  # before the first write
        outcome = apply_plan(plan, odoo, checkpoint=decision.record)
    except OdooConfigurationError as exc:
        decision.finish(DecisionState.ABANDONED)
        _finish_failed(runtime, job.txn.id, f"Odoo configuration: {exc}")
        return None
    except OdooBusinessError as exc:
        return _Outcome(job, decision, [], [], [{"kind": "odoo_refused", "message": str(exc)}])
    return _Outcome(
        job,
        decision,
        records=[_ref_json(r) for r in outcome.records],
        notes=list(outcome.notes)
        + (["found existing records in Odoo"] if outcome.already_existed else [])
        + (["replayed the decision recorded by an interrupted attempt"] if job.replay else []),
        exceptions=[_issue_json(e) for e in outcome.exceptions],
    )


_NEW_DECISION = insert(_DECISIONS).returning(_DECISIONS.c.id)  # built once: one per document
_NEW_PLAN = (
    update(_DECISIONS)
    .where(_DECISIONS.c.id == bindparam("decision_id"))
    .values(plan=bindparam("new_plan"))
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
        """Store (or update) the plan; committed before this returns.

        One statement in a database transaction of its own, on a connection (no ORM
        session: one per delivered document, it cost more than the statement). The
        stage's attempt row is not rewritten here: the claim's commit wrote it and the
        outcome's brings it up to date (gateway.store.attempts)."""
        data = plan.model_dump(mode="json")
        with self.runtime.engine.begin() as connection:
            if self.id is None:
                self.id = connection.execute(
                    _NEW_DECISION,
                    {
                        "transaction_id": self.transaction_id,
                        "delivery_key": plan.key,
                        "target": self.target,
                        "plan": data,
                        "state": DecisionState.RECORDED,
                    },
                ).scalar_one()
            else:
                connection.execute(_NEW_PLAN, {"decision_id": self.id, "new_plan": data})
        # the dry run shows the decision next to the calls (a no-op for a real Odoo)
        self.runtime.odoo_for(self.target).record_plan(data)

    def finish(self, state: DecisionState, session: Session | None = None) -> None:
        """Mark the decision carried out (``applied``) or given up (``abandoned``)."""
        if session is None:
            with session_scope(self.runtime.sessions) as own:
                self.finish(state, own)
            return
        _finish_decisions(session, [self], state)


def _finish_decisions(session: Session, decisions: list[_Decision], state: DecisionState) -> None:
    """Move recorded decisions to ``state`` (one statement for them all)."""
    ids = [d.id for d in decisions if d.id is not None]
    if not ids:
        return
    DECISIONS.check(DecisionState.RECORDED, state)
    moved = session.execute(
        update(DeliveryDecision)
        .where(DeliveryDecision.id.in_(ids), DeliveryDecision.state == DecisionState.RECORDED)
        .values(state=state)
        .returning(DeliveryDecision.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    left = set(ids) - set(moved)
    if left:  # finished already (by whom?): refuse, as the state table does
        current = session.scalar(
            select(DeliveryDecision.state).where(DeliveryDecision.id == min(left))
        )
        if current is not None:  # (a decision removed meanwhile: nothing to finish)
            DECISIONS.check(current, state)


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


def _release(runtime: Runtime, transaction_ids: list[int], error: str) -> None:
    """Give the claims back so the retry can take them again."""
    with session_scope(runtime.sessions) as session:
        for txn in session.scalars(
            select(Transaction)
            .where(
                Transaction.id.in_(transaction_ids),
                Transaction.state == TransactionState.DELIVERING,
            )
            .order_by(Transaction.id)
        ):
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


def _record_outcomes(runtime: Runtime, done: list[_Outcome]) -> list[Next]:
    """Record a batch's deliveries and business exceptions in one transaction; the
    notify stages to run next.

    Each transaction row is the one its claim read (nobody else moves a claimed
    transaction): moved by id with one statement, not read again. The ledger rows go in with one
    statement; should one meet a concurrent delivery's row, each is added on its own.
    """
    if not done:
        return []
    follow: list[Next] = []
    with session_scope(runtime.sessions) as session:
        ledger: list[tuple[_Outcome, dict[str, Any]]] = []
        _finish_decisions(session, [outcome.decision for outcome in done], DecisionState.APPLIED)
        for outcome in done:
            txn = outcome.job.txn
            if outcome.exceptions:
                follow += _record_exceptions(runtime, session, outcome)
                continue
            doc_row = outcome.job.doc_row
            ledger.append(
                (
                    outcome,
                    {  # the ledger row's values (no ORM object: nothing reads it back)
                        "transaction_id": txn.id,
                        "partner_id": txn.partner_id or "",
                        "document_type": doc_row.document_type,
                        "business_key": doc_row.business_key,
                        "target": outcome.job.target,
                        "records": outcome.records,
                        "notes": outcome.notes,
                    },
                )
            )
        _add_ledger_rows(session, ledger)
        set_states(  # one UPDATE (the error cleared too) and one INSERT of the events
            session,
            [
                Move(
                    outcome.job.txn,
                    TransactionState.DELIVERED,
                    f"{outcome.job.target}: {_describe(outcome.records)}",
                    error=None,
                    data={"records": outcome.records, "notes": outcome.notes},
                )
                for outcome, _ in ledger
            ],
        )
    return follow


def _add_ledger_rows(session: Session, ledger: list[tuple[_Outcome, dict[str, Any]]]) -> None:
    """Insert the ledger rows: all in one statement (no ids read back: nothing uses
    them), or one by one when a key is already there."""
    if not ledger:
        return
    values = [{**row, "created_at": utcnow()} for _, row in ledger]
    try:
        with session.begin_nested():
            insert_rows(session, _LEDGER, values)
    except IntegrityError:
        for (outcome, _), one in zip(ledger, values, strict=True):
            try:
                with session.begin_nested():
                    insert_rows(session, _LEDGER, [one])
            except IntegrityError:
                outcome.notes = [
                    *outcome.notes,
                    "ledger already had this business key (concurrent delivery)",
                ]


def _record_exceptions(runtime: Runtime, session: Session, outcome: _Outcome) -> list[Next]:
    """One delivery's business exceptions: rows, routing, the transaction's state."""
    records, exceptions = outcome.records, outcome.exceptions
    txn = session.get(Transaction, outcome.job.txn.id)
    if txn is None:
        raise PermanentError(f"transaction {outcome.job.txn.id} does not exist")
    txn.error = None  # a retry's "cannot reach Odoo" is history once it ends
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
    follow = route_exceptions(runtime, session, txn, rows, target=outcome.job.target)
    set_state(
        session,
        txn,
        TransactionState.BUSINESS_EXCEPTION,
        "; ".join(str(e.get("message")) for e in exceptions[:3]),
        data={"records": records, "exceptions": exceptions, "target": outcome.job.target},
    )
    return follow


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)

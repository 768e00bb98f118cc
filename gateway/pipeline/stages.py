"""The pipeline stages as plain functions: split → validate → acknowledge → translate → deliver.

Each stage takes the runtime and database ids, does its work in one database
transaction, records events, and returns the follow-up stages to queue (queued by the
runner only after commit). Each stage first checks the state of its subject, so running
it twice (a redelivered task, a worker killed after commit) does nothing the second time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.documents import SET_TO_DOCUMENT
from gateway.edi.keys import envelope_key
from gateway.edi.model import EdiInterchange, EdiPayload, Issue, Level
from gateway.engines import engine_for, parse_payload
from gateway.pipeline import disabled, envelope_rules, inbound_acks
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import PermanentError
from gateway.pipeline.issues import GATEWAY, issues_to_json, summarize
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.stored import envelope_record
from gateway.pipeline.transitions import Move, set_states

if TYPE_CHECKING:
    from gateway.partners.profile import PartnerProfile
from gateway.states import INTERCHANGES, MESSAGES, TRANSACTIONS, InterchangeState
from gateway.store.audit import add_event
from gateway.store.bulk import insert_rows
from gateway.store.db import session_scope
from gateway.store.models import (
    FunctionalGroup,
    Interchange,
    Message,
    MessageState,
    Transaction,
    TransactionState,
)
from gateway.store.payloads import PayloadData

_TRANSACTIONS = cast(Table, Transaction.__table__)


# ---------------------------------------------------------------------------------------
# split: find interchanges, groups and transactions in a received message
# ---------------------------------------------------------------------------------------
def split(runtime: Runtime, message_id: int) -> list[Next]:
    """Parse a received message and record its interchanges, groups and transactions."""
    follow: list[Next] = []
    with session_scope(runtime.sessions) as session:
        message = session.get(Message, message_id, with_for_update=True)
        if message is None:
            raise PermanentError(f"message {message_id} does not exist")
        if message.state != MessageState.RECEIVED:
            return []  # already split (a redelivered task)
        # a read-only map of the payload's file: parsed a chunk at a time, never copied
        with runtime.payloads.open(session, message.payload_sha256) as data:
            payload = parse_payload(data, keep_segments=False)  # envelopes and findings only
            message.syntax = payload.syntax.value if payload.syntax else None
            if not payload.interchanges:
                _reject_message(session, message, payload)
                return []
            new_interchanges = 0
            for edi in payload.interchanges:
                row = _record_interchange(runtime, session, message, edi, data)
                if row is not None:
                    new_interchanges += row.state is not InterchangeState.DUPLICATE
                    follow.append(Next("validate", (row.id,)))
        if new_interchanges == 0:
            MESSAGES.move(message, MessageState.DUPLICATE)
        else:
            MESSAGES.move(message, MessageState.SPLIT)
        add_event(
            session,
            "split",
            f"{len(payload.interchanges)} interchange(s), "
            f"{sum(len(i.transactions) for i in payload.interchanges)} transaction(s)",
            partner_id=message.partner_id,
            message_id=message.id,
            state_from=MessageState.RECEIVED,
            state_to=message.state,
            correlation_id=message.correlation_id,
            data={"file_issues": issues_to_json(payload.issues)} if payload.issues else None,
        )
    return follow


def _reject_message(session: Session, message: Message, payload: EdiPayload) -> None:
    issues = payload.issues or [
        Issue(level=Level.FILE, code="no-interchange", message="no interchange found")
    ]
    MESSAGES.move(message, MessageState.REJECTED)
    message.error = summarize(issues_to_json(issues))
    add_event(
        session,
        "rejected",
        message.error,
        partner_id=message.partner_id,
        message_id=message.id,
        state_from=MessageState.RECEIVED,
        state_to=message.state,
        correlation_id=message.correlation_id,
        data={"issues": issues_to_json(issues)},
    )


def _dedupe_key(edi: EdiInterchange) -> str:
    return "|".join(
        (
            edi.syntax.value,
            edi.sender_qualifier.strip(),
            edi.sender_id.strip().upper(),
            edi.receiver_id.strip().upper(),
            edi.control_number.strip(),
        )
    )


def _record_interchange(
    runtime: Runtime, session: Session, message: Message, edi: EdiInterchange, data: PayloadData
) -> Interchange | None:
    """Record one interchange with its groups and transactions; None if a dropped duplicate."""
    profile = envelope_rules.identify(runtime, edi, message.partner_id)
    partner_id = profile.id if profile else None
    key = _dedupe_key(edi)
    extra: list[Issue] = []
    existing = session.execute(
        select(Interchange.id, Interchange.message_id).where(Interchange.dedupe_key == key)
    ).first()
    if existing is not None:
        policy = profile.duplicates.policy if profile else "ignore"
        # the duplicate keeps its partner and points at the message that came first
        message.partner_id = message.partner_id or partner_id
        message.duplicate_of = message.duplicate_of or existing.message_id
        add_event(
            session,
            "duplicate",
            f"interchange {edi.control_number} from {edi.sender_id.strip()} was already "
            f"received in message {existing.message_id} (policy: {policy})",
            partner_id=partner_id,
            message_id=message.id,
            correlation_id=message.correlation_id,
            data={"first_interchange_id": existing.id, "policy": policy},
        )
        if policy == "ignore":
            return None
        extra.append(envelope_rules.duplicate_issue(edi))
        key_to_store: str | None = None
    else:
        key_to_store = key
    row = Interchange(
        message_id=message.id,
        direction="in",
        partner_id=partner_id,
        syntax=edi.syntax.value,
        sender_qualifier=edi.sender_qualifier,
        sender_id=edi.sender_id.strip(),
        receiver_qualifier=edi.receiver_qualifier,
        receiver_id=edi.receiver_id.strip(),
        control_number=edi.control_number,
        version=edi.version,
        test=edi.test,
        start=edi.start,
        end=edi.end,
        state=InterchangeState.RECEIVED if not extra else InterchangeState.DUPLICATE,
        issues=issues_to_json(edi.issues) + issues_to_json(extra, source=GATEWAY),
        dedupe_key=key_to_store,
        envelope=envelope_record(
            edi, data, [t.version or g.version for g in edi.groups for t in g.transactions]
        ),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # the same interchange committed concurrently by another worker
        add_event(
            session,
            "duplicate",
            f"interchange {edi.control_number} recorded concurrently",
            partner_id=partner_id,
            message_id=message.id,
            correlation_id=message.correlation_id,
        )
        return None
    if extra:
        return row  # a rejected duplicate: recorded to answer it, its content is not
    txn_rows: list[dict[str, Any]] = []
    for edi_group in edi.groups:
        group = FunctionalGroup(
            interchange_id=row.id,
            functional_id=edi_group.functional_id,
            sender_id=edi_group.sender_id,
            receiver_id=edi_group.receiver_id,
            control_number=edi_group.control_number,
            version=edi_group.version,
            issues=issues_to_json(edi_group.issues),
        )
        session.add(group)
        session.flush()
        txn_rows.extend(
            {
                "business_key": envelope_key(
                    data, edi.start, edi_txn.start, edi_txn.end, edi_txn.set_id, edi.syntax
                ),
                "group_id": group.id,
                "interchange_id": row.id,
                "message_id": message.id,
                "direction": "in",
                "partner_id": partner_id,
                "set_id": edi_txn.set_id,
                "document_type": SET_TO_DOCUMENT.get(edi_txn.set_id),
                "control_number": edi_txn.control_number,
                "version": edi_txn.version or edi_group.version,
                "state": TransactionState.RECEIVED,
                "start": edi_txn.start,
                "end": edi_txn.end,
                "issues": issues_to_json(edi_txn.issues),
                "correlation_id": message.correlation_id,
            }
            for edi_txn in edi_group.transactions
        )
    if txn_rows:
        # one INSERT for the interchange's transactions (no ORM object per row: a
        # 100 MB interchange has tens of thousands of them)
        insert_rows(session, _TRANSACTIONS, txn_rows)
    session.flush()
    add_event(
        session,
        "interchange",
        f"{edi.syntax.value} interchange {edi.control_number} from "
        f"{edi.sender_qualifier}/{edi.sender_id.strip()} "
        f"({partner_id or 'unknown partner'}): {len(edi.transactions)} transaction(s)",
        partner_id=partner_id,
        message_id=message.id,
        interchange_id=row.id,
        correlation_id=message.correlation_id,
    )
    if not edi.groups:  # an envelope-only interchange may carry a TA1
        inbound_acks.record_envelope_ack(session, row, edi)
    return row


# ---------------------------------------------------------------------------------------
# validate: apply the partner's rules and decide each transaction's fate
# ---------------------------------------------------------------------------------------
def validate(runtime: Runtime, interchange_id: int) -> list[Next]:
    """Accept or reject the interchange's transactions; queue acknowledgement and translation."""
    with session_scope(runtime.sessions) as session:
        ic = session.get(Interchange, interchange_id, with_for_update=True)
        if ic is None:
            raise PermanentError(f"interchange {interchange_id} does not exist")
        if INTERCHANGES.is_final(ic.state):
            return []
        profile = runtime.registry.get(ic.partner_id) if ic.partner_id else None
        held = disabled.disabled_reason(runtime.config, ic)
        if held is not None:  # our configuration is broken: hold, never reject
            txns = list(
                session.scalars(select(Transaction).where(Transaction.interchange_id == ic.id))
            )
            disabled.hold(session, ic, txns, *held)
            INTERCHANGES.move(ic, InterchangeState.VALIDATED)
            return []
        added = envelope_rules.interchange_rules(runtime, ic, profile)
        if added:
            ic.issues = [*ic.issues, *issues_to_json(added, source=GATEWAY)]
        fatal = ic.state is InterchangeState.DUPLICATE or any(
            d.get("fatal", True) and d.get("level") == Level.INTERCHANGE.value for d in ic.issues
        )
        txns = list(
            session.scalars(
                select(Transaction)
                .where(Transaction.interchange_id == ic.id)
                .order_by(Transaction.id)
            )
        )
        accepted = 0
        if not fatal and engine_for(ic.syntax).checks_group_version:
            _group_versions(session, ic, profile, txns)
        moves: list[Move] = []
        for txn in txns:
            if fatal:
                why = summarize(ic.issues)
                moves.append(
                    Move(txn, TransactionState.REJECTED, "interchange rejected: " + why, why)
                )
                continue
            txn_added = envelope_rules.transaction_rules(txn, ic.syntax, runtime, profile)
            if txn_added:
                txn.issues = [*txn.issues, *issues_to_json(txn_added, source=GATEWAY)]
            if any(d.get("fatal", True) for d in txn.issues):
                why = summarize(txn.issues)
                moves.append(
                    Move(txn, TransactionState.REJECTED, why, why, data={"issues": txn.issues})
                )
            else:
                accepted += 1
                warn = f" with {len(txn.issues)} warning(s)" if txn.issues else ""
                moves.append(
                    Move(
                        txn,
                        TransactionState.PARSED,
                        f"{txn.set_id} {txn.control_number} accepted{warn}",
                    )
                )
        set_states(session, moves)  # one UPDATE and one INSERT of events for them all
        if fatal:
            INTERCHANGES.move(
                ic,
                InterchangeState.DUPLICATE_REJECTED
                if ic.state is InterchangeState.DUPLICATE
                else InterchangeState.REJECTED,
            )
            ic.dedupe_key = None  # a rejected interchange may be sent again with its number
        else:
            INTERCHANGES.move(ic, InterchangeState.VALIDATED)
        add_event(
            session,
            "validated",
            f"{accepted} of {len(txns)} transaction(s) accepted"
            + (f"; interchange rejected: {summarize(ic.issues)}" if fatal else ""),
            partner_id=ic.partner_id,
            message_id=ic.message_id,
            interchange_id=ic.id,
            state_to=ic.state,
        )
        follow = []
        if profile is not None:
            follow.append(Next("acknowledge", (ic.id,)))
        if accepted:
            follow.append(Next("translate", (ic.id, None)))
    return follow


def _group_versions(
    session: Session, ic: Interchange, profile: PartnerProfile | None, txns: list[Transaction]
) -> None:
    """Mark each group whose release the profile lists for none of its sets (AK905 2)."""
    groups = session.scalars(
        select(FunctionalGroup).where(FunctionalGroup.interchange_id == ic.id)
    ).all()
    for group in groups:
        sets = [t.set_id for t in txns if t.group_id == group.id]
        issue = envelope_rules.group_version_issue(profile, sets, group.version)
        if issue is not None:
            group.issues = [*group.issues, *issues_to_json([issue], source=GATEWAY)]


# ---------------------------------------------------------------------------------------
# the later stages live in their own modules (acknowledge, translate, deliver)
# ---------------------------------------------------------------------------------------
def claim(
    session: Session, txn_id: int, from_state: TransactionState, to_state: TransactionState
) -> bool:
    """Atomically move a transaction between states; False if someone else did first.

    The move must be one the transaction table allows (else :class:`IllegalTransition`).
    """
    TRANSACTIONS.check(from_state, to_state)
    result = session.execute(
        update(Transaction)
        .where(Transaction.id == txn_id, Transaction.state == from_state)
        .values(state=to_state)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def claim_all(
    session: Session, txn_ids: list[int], from_state: TransactionState, to_state: TransactionState
) -> list[int]:
    """Atomically move transactions between states (one statement); the ids it moved.

    Those it did not move were moved by someone else first (or were in another state).
    """
    if not txn_ids:
        return []
    TRANSACTIONS.check(from_state, to_state)
    result = session.execute(
        update(Transaction)
        .where(Transaction.id.in_(txn_ids), Transaction.state == from_state)
        .values(state=to_state)
        .returning(Transaction.id)
        .execution_options(synchronize_session=False)
    )
    return [int(i) for i in result.scalars()]

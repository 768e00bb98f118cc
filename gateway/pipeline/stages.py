"""The pipeline stages as plain functions: split → validate → acknowledge → translate → deliver.

Each stage takes the runtime and database ids, does its work in one database
transaction, records events, and returns the follow-up stages to queue (queued by the
runner only after commit). Each stage first checks the state of its subject, so running
it twice (a redelivered task, a worker killed after commit) does nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
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
from gateway.pipeline.stored import envelope_record, interchange_row
from gateway.pipeline.transitions import Move, set_states

if TYPE_CHECKING:
    from gateway.partners.profile import PartnerProfile
from gateway.states import INTERCHANGES, MESSAGES, TRANSACTIONS, InterchangeState
from gateway.store.audit import add_events
from gateway.store.bulk import insert_rows, insert_unless_present
from gateway.store.db import session_scope
from gateway.store.models import (
    FunctionalGroup,
    Interchange,
    Message,
    MessageState,
    Payload,
    Transaction,
    TransactionState,
    utcnow,
)
from gateway.store.payloads import PayloadData

_TRANSACTIONS = cast(Table, Transaction.__table__)


# ---------------------------------------------------------------------------------------
# split: find interchanges, groups and transactions in a received message
# ---------------------------------------------------------------------------------------
@dataclass
class _Received:
    """The message being split, as read (locked) at the start; what recording its
    interchanges changes (a duplicate's partner and first message) is written once, with
    its new state, at the end."""

    id: int
    state: MessageState
    partner_id: str | None
    duplicate_of: int | None
    correlation_id: str


def split(runtime: Runtime, message_id: int) -> list[Next]:
    """Parse a received message and record its interchanges, groups and transactions."""
    follow: list[Next] = []
    with session_scope(runtime.sessions) as session:
        found = session.execute(_MESSAGE, {"message_id": message_id}).first()
        if found is None:
            raise PermanentError(f"message {message_id} does not exist")
        if found.state != MessageState.RECEIVED:
            return []  # already split (a redelivered task)
        message = _Received(
            found.id, found.state, found.partner_id, found.duplicate_of, found.correlation_id
        )
        # a read-only map of the payload's file: parsed a chunk at a time, never copied
        with runtime.payloads.open_row(found.payload_sha256, found.payload_data) as data:
            payload = parse_payload(data, keep_segments=False)  # envelopes and findings only
            syntax = payload.syntax.value if payload.syntax else None
            if not payload.interchanges:
                _reject_message(session, message, payload, syntax)
                return []
            new_interchanges = 0
            events: list[dict[str, Any]] = []  # written at once, with the split's own
            for edi in payload.interchanges:
                recorded = _record_interchange(runtime, session, message, edi, data, events)
                if recorded is not None:
                    row_id, row_state = recorded
                    new_interchanges += row_state is not InterchangeState.DUPLICATE
                    follow.append(Next("validate", (row_id,)))
        state = MESSAGES.check(
            message.state,
            MessageState.DUPLICATE if new_interchanges == 0 else MessageState.SPLIT,
        )
        session.execute(
            _MESSAGE_SPLIT,
            {
                "message_id": message.id,
                "state": state,
                "syntax": syntax,
                "partner_id": message.partner_id,
                "duplicate_of": message.duplicate_of,
            },
        )
        events.append(
            {
                "kind": "split",
                "detail": f"{len(payload.interchanges)} interchange(s), "
                f"{sum(len(i.transactions) for i in payload.interchanges)} transaction(s)",
                "partner_id": message.partner_id,
                "message_id": message.id,
                "state_from": MessageState.RECEIVED,
                "state_to": state,
                "correlation_id": message.correlation_id,
                "data": {"file_issues": issues_to_json(payload.issues)} if payload.issues else None,
            }
        )
        add_events(session, events)
    return follow


_MESSAGES = cast(Table, Message.__table__)
# statements of tables (Core), not of mapped classes: no ORM compile step per execution
_PAYLOADS = cast(Table, Payload.__table__)
# the message, locked, with its payload's row (bytes only when kept in it)
_MESSAGE = (
    select(_MESSAGES, _PAYLOADS.c.data.label("payload_data"))
    .outerjoin(_PAYLOADS, _PAYLOADS.c.sha256 == _MESSAGES.c.payload_sha256)
    .where(_MESSAGES.c.id == bindparam("message_id"))
    .with_for_update(of=_MESSAGES)
)
_MESSAGE_SPLIT = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"))
    .values(
        state=bindparam("state"),
        syntax=bindparam("syntax"),
        partner_id=bindparam("partner_id"),
        duplicate_of=bindparam("duplicate_of"),
    )
)
_MESSAGE_REJECTED = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"))
    .values(state=bindparam("state"), syntax=bindparam("syntax"), error=bindparam("error"))
)


def _reject_message(
    session: Session, message: _Received, payload: EdiPayload, syntax: str | None
) -> None:
    issues = payload.issues or [
        Issue(level=Level.FILE, code="no-interchange", message="no interchange found")
    ]
    state = MESSAGES.check(message.state, MessageState.REJECTED)
    error = summarize(issues_to_json(issues))
    session.execute(
        _MESSAGE_REJECTED,
        {"message_id": message.id, "state": state, "syntax": syntax, "error": error},
    )
    add_events(
        session,
        [
            {
                "kind": "rejected",
                "detail": error,
                "partner_id": message.partner_id,
                "message_id": message.id,
                "state_from": MessageState.RECEIVED,
                "state_to": state,
                "correlation_id": message.correlation_id,
                "data": {"issues": issues_to_json(issues)},
            }
        ],
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


# built once (issue 21): Core statements, no ORM objects for groups and transactions
_ICS = cast(Table, Interchange.__table__)
_DEDUPE = select(_ICS.c.id, _ICS.c.message_id).where(_ICS.c.dedupe_key == bindparam("key"))
_GROUPS = cast(Table, FunctionalGroup.__table__)
_NEW_GROUP = insert(_GROUPS).returning(_GROUPS.c.id)


def _insert_interchange(session: Session, values: dict[str, Any]) -> int | None:
    """Insert an interchange row: its id, None when its dedupe key is there already
    (committed concurrently by another worker)."""
    found = insert_unless_present(session, _ICS, "dedupe_key", values, returning="id")
    return None if found is None else int(found)


def _record_interchange(
    runtime: Runtime,
    session: Session,
    message: _Received,
    edi: EdiInterchange,
    data: PayloadData,
    events: list[dict[str, Any]],
) -> tuple[int, InterchangeState] | None:
    """Record one interchange with its groups and transactions: its id and state; None if
    a dropped duplicate. Its events are appended to ``events`` (the caller writes them)."""
    profile = envelope_rules.identify(runtime, edi, message.partner_id)
    partner_id = profile.id if profile else None
    key = _dedupe_key(edi)
    extra: list[Issue] = []
    existing = session.execute(_DEDUPE, {"key": key}).first()
    if existing is not None:
        policy = profile.duplicates.policy if profile else "ignore"
        # the duplicate keeps its partner and points at the message that came first
        message.partner_id = message.partner_id or partner_id
        message.duplicate_of = message.duplicate_of or existing.message_id
        events.append(
            {
                "kind": "duplicate",
                "detail": f"interchange {edi.control_number} from "
                f"{edi.sender_id.strip()} was already received in message "
                f"{existing.message_id} (policy: {policy})",
                "partner_id": partner_id,
                "message_id": message.id,
                "correlation_id": message.correlation_id,
                "data": {"first_interchange_id": existing.id, "policy": policy},
            }
        )
        if policy == "ignore":
            return None
        extra.append(envelope_rules.duplicate_issue(edi))
        key_to_store: str | None = None
    else:
        key_to_store = key
    state = InterchangeState.RECEIVED if not extra else InterchangeState.DUPLICATE
    values = {
        "message_id": message.id,
        "direction": "in",
        "partner_id": partner_id,
        "syntax": edi.syntax.value,
        "sender_qualifier": edi.sender_qualifier,
        "sender_id": edi.sender_id.strip(),
        "receiver_qualifier": edi.receiver_qualifier,
        "receiver_id": edi.receiver_id.strip(),
        "control_number": edi.control_number,
        "version": edi.version,
        "test": edi.test,
        "start": edi.start,
        "end": edi.end,
        "state": state,
        "issues": issues_to_json(edi.issues) + issues_to_json(extra, source=GATEWAY),
        "dedupe_key": key_to_store,
        "envelope": envelope_record(
            edi, data, [t.version or g.version for g in edi.groups for t in g.transactions]
        ),
    }
    new_id = _insert_interchange(session, values)
    if new_id is None:
        # the same interchange committed concurrently by another worker
        events.append(
            {
                "kind": "duplicate",
                "detail": f"interchange {edi.control_number} recorded concurrently",
                "partner_id": partner_id,
                "message_id": message.id,
                "correlation_id": message.correlation_id,
            }
        )
        return None
    row_id = new_id
    if extra:
        return row_id, state  # a rejected duplicate: recorded to answer it, its content is not
    txn_rows: list[dict[str, Any]] = []
    for edi_group in edi.groups:
        group_id = session.execute(
            _NEW_GROUP,
            {
                "interchange_id": row_id,
                "functional_id": edi_group.functional_id,
                "sender_id": edi_group.sender_id,
                "receiver_id": edi_group.receiver_id,
                "control_number": edi_group.control_number,
                "version": edi_group.version,
                "issues": issues_to_json(edi_group.issues),
            },
        ).scalar_one()
        txn_rows.extend(
            {
                "business_key": envelope_key(
                    data, edi.start, edi_txn.start, edi_txn.end, edi_txn.set_id, edi.syntax
                ),
                "group_id": group_id,
                "interchange_id": row_id,
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
    events.append(
        {
            "kind": "interchange",
            "detail": f"{edi.syntax.value} interchange {edi.control_number} from "
            f"{edi.sender_qualifier}/{edi.sender_id.strip()} "
            f"({partner_id or 'unknown partner'}): {len(edi.transactions)} transaction(s)",
            "partner_id": partner_id,
            "message_id": message.id,
            "interchange_id": row_id,
            "correlation_id": message.correlation_id,
        }
    )
    if not edi.groups:  # an envelope-only interchange may carry a TA1
        ic = interchange_row(session, row_id)
        if ic is not None:
            add_events(session, events)  # the events so far, before the TA1's own
            events.clear()
            inbound_acks.record_envelope_ack(session, ic, edi)
            session.flush()  # its ORM rows and event now: the events keep their order
    return row_id, state


# ---------------------------------------------------------------------------------------
# validate: apply the partner's rules and decide each transaction's fate
# ---------------------------------------------------------------------------------------
def validate(runtime: Runtime, interchange_id: int) -> list[Next]:
    """Accept or reject the interchange's transactions; queue acknowledgement and translation."""
    with session_scope(runtime.sessions) as session:
        # its columns, locked; what changes is written with one UPDATE (no ORM flush)
        ic = interchange_row(session, interchange_id, lock=True)
        if ic is None:
            raise PermanentError(f"interchange {interchange_id} does not exist")
        if INTERCHANGES.is_final(ic.state):
            return []
        profile = runtime.registry.get(ic.partner_id) if ic.partner_id else None
        held = disabled.disabled_reason(runtime.config, ic)
        if held is not None:  # our configuration is broken: hold, never reject
            held_ic = session.get(Interchange, ic.id)
            held_txns = list(
                session.scalars(select(Transaction).where(Transaction.interchange_id == ic.id))
            )
            if held_ic is not None:
                disabled.hold(session, held_ic, held_txns, *held)
                INTERCHANGES.move(held_ic, InterchangeState.VALIDATED)
            return []
        ic_issues = ic.issues
        added = envelope_rules.interchange_rules(runtime, ic, profile)
        if added:
            ic_issues = [*ic_issues, *issues_to_json(added, source=GATEWAY)]
        fatal = ic.state is InterchangeState.DUPLICATE or any(
            d.get("fatal", True) and d.get("level") == Level.INTERCHANGE.value for d in ic_issues
        )
        # columns, no ORM objects: the moves and the findings are written with Core
        txns: Sequence[Any] = session.execute(_VALIDATE_TXNS, {"ic_id": ic.id}).all()
        accepted = 0
        rejected_groups = (
            {}
            if fatal
            else _rejected_groups(
                session, ic, profile, txns, engine_for(ic.syntax).checks_group_version
            )
        )
        moves: list[Move] = []
        findings: list[dict[str, Any]] = []
        for txn in txns:
            if fatal:
                why = summarize(ic_issues)
                moves.append(
                    Move(txn, TransactionState.REJECTED, "interchange rejected: " + why, why)
                )
                continue
            issues = txn.issues
            txn_added = envelope_rules.transaction_rules(txn, ic.syntax, runtime, profile)
            if txn_added:
                issues = [*issues, *issues_to_json(txn_added, source=GATEWAY)]
                findings.append({"k_id": txn.id, "k_issues": issues})
            group_why = rejected_groups.get(txn.group_id)
            if any(d.get("fatal", True) for d in issues):
                why = summarize(issues)
                moves.append(
                    Move(txn, TransactionState.REJECTED, why, why, data={"issues": issues})
                )
            elif group_why is not None:
                # the acknowledgement rejects the whole group (AK9 R, UCF 4): the partner
                # sends it again, so none of its sets may be delivered now
                why = "group rejected: " + group_why
                moves.append(Move(txn, TransactionState.REJECTED, why, why))
            else:
                accepted += 1
                warn = f" with {len(issues)} warning(s)" if issues else ""
                moves.append(
                    Move(
                        txn,
                        TransactionState.PARSED,
                        f"{txn.set_id} {txn.control_number} accepted{warn}",
                    )
                )
        if findings:
            session.execute(_SET_ISSUES, findings)
        if fatal:
            state = INTERCHANGES.check(
                ic.state,
                InterchangeState.DUPLICATE_REJECTED
                if ic.state is InterchangeState.DUPLICATE
                else InterchangeState.REJECTED,
            )
            # a rejected interchange may be sent again with its number: no dedupe key
            session.execute(
                _IC_NOTHING_TAKEN, {"ic_id": ic.id, "state": state, "issues": ic_issues}
            )
        else:
            state = INTERCHANGES.check(ic.state, InterchangeState.VALIDATED)
            # so may one whose every set was rejected (its groups or its sets): nothing in
            # it was taken, and the corrected resend must not be dropped as a duplicate
            statement = _IC_VALIDATED if accepted or not txns else _IC_NOTHING_TAKEN
            session.execute(statement, {"ic_id": ic.id, "state": state, "issues": ic_issues})
        validated = {
            "kind": "validated",
            "detail": f"{accepted} of {len(txns)} transaction(s) accepted"
            + (f"; interchange rejected: {summarize(ic_issues)}" if fatal else ""),
            "partner_id": ic.partner_id,
            "message_id": ic.message_id,
            "interchange_id": ic.id,
            "state_to": state,
            # its message's (as its transactions'), else looked up as the chain needs it
            "correlation_id": txns[0].correlation_id if txns else None,
        }
        # one UPDATE and one INSERT of the events for them all, the stage's own last
        set_states(session, moves, also=[validated])
        follow = []
        if profile is not None:
            follow.append(Next("acknowledge", (ic.id,)))
        if accepted:
            follow.append(Next("translate", (ic.id, None)))
    return follow


_IC_VALIDATED = (
    update(_ICS)
    .where(_ICS.c.id == bindparam("ic_id"))
    .values(state=bindparam("state"), issues=bindparam("issues"))
)
_IC_NOTHING_TAKEN = _IC_VALIDATED.values(dedupe_key=None)
_VALIDATE_TXNS = (
    select(
        _TRANSACTIONS.c.id,
        _TRANSACTIONS.c.group_id,
        _TRANSACTIONS.c.set_id,
        _TRANSACTIONS.c.control_number,
        _TRANSACTIONS.c.version,
        _TRANSACTIONS.c.issues,
        _TRANSACTIONS.c.state,
        _TRANSACTIONS.c.partner_id,
        _TRANSACTIONS.c.message_id,
        _TRANSACTIONS.c.interchange_id,
        _TRANSACTIONS.c.correlation_id,
    )
    .where(_TRANSACTIONS.c.interchange_id == bindparam("ic_id"))
    .order_by(_TRANSACTIONS.c.id)
)
_SET_ISSUES = (
    update(_TRANSACTIONS)
    .where(_TRANSACTIONS.c.id == bindparam("k_id"))
    .values(issues=bindparam("k_issues"))
)
_VALIDATE_GROUPS = select(_GROUPS.c.id, _GROUPS.c.version, _GROUPS.c.issues).where(
    _GROUPS.c.interchange_id == bindparam("ic_id")
)
_SET_GROUP_ISSUES = (
    update(_GROUPS).where(_GROUPS.c.id == bindparam("k_id")).values(issues=bindparam("k_issues"))
)


def _rejected_groups(
    session: Session,
    ic: Any,
    profile: PartnerProfile | None,
    txns: Sequence[Any],
    check_version: bool,
) -> dict[int, str]:
    """The groups the acknowledgement will reject, each with its findings in words.

    A group is rejected by a fatal finding of its own (a GE/UNE count or number that does
    not match, a GS06 that is no number, an over-long UNG element ...). With
    ``check_version`` (X12) each group whose release the profile lists for none of its
    sets is first marked with AK905 2."""
    marked = []
    rejected: dict[int, str] = {}
    for group in session.execute(_VALIDATE_GROUPS, {"ic_id": ic.id}):
        issues = list(group.issues or [])
        if check_version:
            sets = [t.set_id for t in txns if t.group_id == group.id]
            issue = envelope_rules.group_version_issue(profile, sets, group.version)
            if issue is not None:
                issues = [*issues, *issues_to_json([issue], source=GATEWAY)]
                marked.append({"k_id": group.id, "k_issues": issues})
        fatal = [d for d in issues if d.get("fatal", True)]
        if fatal:
            rejected[group.id] = summarize(fatal)
    if marked:
        session.execute(_SET_GROUP_ISSUES, marked)
    return rejected


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


# built once: deliver claims a batch per interchange (a Core statement: the ORM's bulk
# UPDATE path costs more than the statement itself, and nothing is synchronised anyway)
_CLAIM_ALL = (
    update(_TRANSACTIONS)
    .where(
        _TRANSACTIONS.c.id.in_(bindparam("ids", expanding=True)),
        _TRANSACTIONS.c.state == bindparam("from_state"),
    )
    .values(state=bindparam("to_state"), updated_at=bindparam("now"))
    .returning(_TRANSACTIONS.c.id)
)


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
        _CLAIM_ALL,
        {"ids": txn_ids, "from_state": from_state, "to_state": to_state, "now": utcnow()},
    )
    return [int(i) for i in result.scalars()]

"""The translate stage: accepted transactions become canonical documents through maps.

One task per interchange translates every accepted transaction in it (or only the ones
named, for a replay), one at a time from its own bytes: the interchange is rebuilt from
what split recorded (:mod:`gateway.pipeline.stored`), each transaction's byte range is
read from the payload (a read-only map of its file), cut into segments with the
interchange's delimiters, mapped, and dropped; nothing is validated again. Partner-data faults (a
mandatory field absent) reject the transaction with a business exception naming the
segment and element, and, where the profile asks for it, an 824 / APERAK back to the
partner (:mod:`gateway.pipeline.advice`); our faults (a broken map) dead-letter it for an
operator, who replays it after fixing the map.

The stage's writes go in bulk (issue 21): the transactions' state moves with their
business keys (one UPDATE) and their events through
:func:`~gateway.pipeline.transitions.set_states`, the new documents with one INSERT,
every :data:`FLUSH_EVERY` transactions and before anything that writes events of its
own (so the events keep the order they had as ORM rows, and their hash chains the same
links).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Row, Table, bindparam, exists, select
from sqlalchemy.orm import Session

from gateway.canonical import SourceRef
from gateway.edi.model import EdiGroup, EdiTransaction
from gateway.engines import engine_for
from gateway.mapping import DocumentError, MappingError
from gateway.mapping import translate as run_map
from gateway.mapping.errors import DocumentError as DocumentErrorType
from gateway.pipeline import inbound_acks
from gateway.pipeline.acks import reparse_interchange
from gateway.pipeline.advice import Rejected, advise
from gateway.pipeline.dispatch import Next
from gateway.pipeline.envelope_rules import ACK_SETS
from gateway.pipeline.errors import PermanentError
from gateway.pipeline.outbound import DOCUMENT_STEPS, record_business_document
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.stored import (
    group_rows,
    read_transaction,
    stored_interchange,
)
from gateway.pipeline.transitions import Move, set_states
from gateway.store.bulk import insert_rows
from gateway.store.db import session_scope
from gateway.store.models import (
    BusinessException,
    Document,
    Interchange,
    Message,
    Payload,
    Transaction,
    TransactionState,
)
from gateway.store.payloads import PayloadData

if TYPE_CHECKING:
    from gateway.partners.profile import PartnerProfile


FLUSH_EVERY = 500  # transactions translated between two writes of their rows
MAX_WARNINGS = 50  # ignored values kept with a translated event


_DOCUMENTS = cast(Table, Document.__table__)
_TRANSACTIONS = cast(Table, Transaction.__table__)


@dataclass
class _Pending:
    """What the loop has decided and not yet written, in the order it decided it."""

    moves: list[Move] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)

    def write(self, session: Session) -> None:
        """Write it all now: the session's own pending rows first (events added as ORM
        rows before these moves keep their place in the chains), then one INSERT of the
        documents and :func:`set_states` for the moves (a translated row's keys go in
        the UPDATE of its state)."""
        session.flush()
        insert_rows(session, _DOCUMENTS, self.documents, raw=("data",))
        set_states(session, self.moves)
        self.moves, self.documents = [], []


def translate(
    runtime: Runtime, interchange_id: int, transaction_ids: list[int] | None
) -> list[Next]:
    """Translate the interchange's parsed transactions; queue their delivery."""

    with session_scope(runtime.sessions) as session:
        # columns (translate changes none), with its message's payload
        ic = session.execute(_INTERCHANGE, {"ic_id": interchange_id}).first()
        if ic is None:
            return []
        if transaction_ids:
            query, params = _PARSED_NAMED, {"ic_id": ic.id, "ids": transaction_ids}
        else:
            query, params = _PARSED, {"ic_id": ic.id}
        rows = list(session.execute(query, params))  # columns, locked: no ORM objects
        if not rows:
            return []
        profile = runtime.registry.get(ic.partner_id) if ic.partner_id else None
        if ic.payload_sha256 is None:
            raise PermanentError(f"interchange {ic.id} has no message")
        with runtime.payloads.open_row(ic.payload_sha256, ic.payload_data) as payload:
            follow = _translate_rows(runtime, session, ic, rows, profile, payload)
    return follow


# built once (issue 21): the stage runs once per interchange; statements of tables
# (Core), not of mapped classes: no ORM compile step per execution
_INTERCHANGES = cast(Table, Interchange.__table__)
_MESSAGES = cast(Table, Message.__table__)
_PAYLOADS = cast(Table, Payload.__table__)
_INTERCHANGE = (  # with its message's payload and the payload's row
    select(_INTERCHANGES, _MESSAGES.c.payload_sha256, _PAYLOADS.c.data.label("payload_data"))
    .outerjoin(_MESSAGES, _MESSAGES.c.id == _INTERCHANGES.c.message_id)
    .outerjoin(_PAYLOADS, _PAYLOADS.c.sha256 == _MESSAGES.c.payload_sha256)
    .where(_INTERCHANGES.c.id == bindparam("ic_id"))
)
_PARSED = (
    select(
        _TRANSACTIONS,
        # a replay translates again: its document is then read (and rewritten) below
        exists().where(_DOCUMENTS.c.transaction_id == _TRANSACTIONS.c.id).label("has_document"),
    )
    .where(
        _TRANSACTIONS.c.interchange_id == bindparam("ic_id"),
        _TRANSACTIONS.c.state == TransactionState.PARSED,
    )
    .with_for_update(of=_TRANSACTIONS)
)
_PARSED_NAMED = _PARSED.where(_TRANSACTIONS.c.id.in_(bindparam("ids", expanding=True)))
_EXISTING_DOCUMENTS = select(Document).where(
    Document.transaction_id.in_(bindparam("ids", expanding=True))
)


def _translate_rows(
    runtime: Runtime,
    session: Session,
    ic: Row[Any],
    rows: list[Row[Any]],
    profile: PartnerProfile | None,
    payload: PayloadData,
) -> list[Next]:
    """Translate each row from its own bytes in ``payload``, one at a time."""
    follow: list[Next] = []
    delivering: list[int] = []
    groups = {g.id: g for g in group_rows(session, ic.id)}
    stored = stored_interchange(session, ic, groups=list(groups.values()), transactions=rows)
    if stored is not None:
        edi, base = stored, 0  # offsets as stored: payload offsets
    else:  # split kept no envelope record (an older row): parse the interchange again
        edi, base = reparse_interchange(runtime, session, ic), ic.start
    by_start: dict[int, tuple[EdiTransaction, EdiGroup]] = {}
    for group in edi.groups:
        for txn in group.transactions:
            by_start[txn.start] = (txn, group)
    rejected: list[Rejected] = []
    # what the loop needs from the store, read up front: a query inside it would
    # flush the previous row's inserts one by one instead of all at commit
    replayed = [r.id for r in rows if r.has_document]
    existing_docs = (
        {d.transaction_id: d for d in session.scalars(_EXISTING_DOCUMENTS, {"ids": replayed})}
        if replayed
        else {}
    )
    pending = _Pending()
    for done, row in enumerate(rows):
        if done and done % FLUSH_EVERY == 0:
            # written in batches: what is written is no longer held (a 100 MB
            # interchange's documents would not fit in memory until the commit)
            pending.write(session)
        found = by_start.get(row.start - base)
        if found is None or profile is None:
            pending.moves.append(
                Move(
                    row,
                    TransactionState.FAILED,
                    "cannot find the transaction in its stored interchange",
                    error="stored bytes do not match the recorded transaction",
                )
            )
            continue
        edi_txn, edi_group = found
        if stored is not None:
            # this set's bytes only, split as the map reads them
            read_transaction(payload, edi, edi_txn, split=row.set_id not in ACK_SETS)
        if row.set_id in ACK_SETS:
            pending.write(session)  # linking the acknowledgement writes events of its own
            pending.moves.append(_record_ack_transaction(session, ic, row, edi_txn))
            edi_txn.segments = ()
            continue
        try:
            mapping = runtime.maps.map_for(profile, ic.syntax, row.version, row.set_id)
            result = run_map(
                edi_txn, interchange=edi, group=edi_group, map=mapping, profile=profile
            )
        except DocumentError as exc:
            # the partner's data: rejected, and an exception procurement can act on
            # (naming the segment and element), never a dead letter for IT
            pending.moves.append(
                Move(row, TransactionState.REJECTED, f"document error: {exc}", error=str(exc))
            )
            exception = _document_exception(row, exc)
            session.add(exception)
            rejected.append(Rejected(row, edi_txn, edi_group, exc, exception))
            continue
        except MappingError as exc:
            edi_txn.segments = ()
            pending.moves.append(
                Move(
                    row,
                    TransactionState.FAILED,
                    f"map error (operator action needed): {exc}",
                    error=str(exc),
                )
            )
            continue
        edi_txn.segments = ()  # translated: its segments are not needed again
        document = result.document
        group_row = groups.get(row.group_id)
        document.source = SourceRef(
            syntax=ic.syntax,
            sender_id=ic.sender_id,
            receiver_id=ic.receiver_id,
            interchange_control_number=ic.control_number,
            group_control_number=group_row.control_number if group_row else "",
            transaction_control_number=row.control_number,
            transaction_set=row.set_id,
            version=row.version,
            partner_id=profile.id,
            transaction_id=row.id,
        )
        key = document.business_key
        existing = existing_docs.get(row.id)
        if existing is None:
            text = document.model_dump_json()  # one pass, straight to text
            pending.documents.append(
                {
                    "transaction_id": row.id,
                    "document_type": document.document_type,
                    "business_key": key,
                    "map_name": getattr(mapping, "name", ""),
                    "data": text,
                }
            )
            # deliver in this process takes it as stored, not parsed back from the text
            runtime.handoff.keep(row.id, text, document)
        else:  # a replay: the transaction's document is translated again
            existing.data = document.model_dump(mode="json")
            existing.business_key = key
        pending.moves.append(
            Move(
                row,
                TransactionState.TRANSLATED,
                f"{document.document_type} {key}"
                + (f" ({len(result.warnings)} values ignored)" if result.warnings else ""),
                # values an optional field could not take (on_bad: warn), kept with the
                # event so "why is this field empty?" has an answer
                data={"warnings": result.warnings[:MAX_WARNINGS]} if result.warnings else None,
                values={"business_key": key, "document_type": document.document_type},
            )
        )
        if document.document_type in DOCUMENT_STEPS:
            # it moves the orders it answers, with events of their own: after this one's
            pending.write(session)
            record_business_document(session, profile.id, document)
        delivering.append(row.id)
    pending.write(session)
    if delivering:  # one delivery task for the interchange's documents
        follow.append(Next("deliver", tuple(delivering)))
    if profile is not None:
        # the partner's errors go back as an 824 / APERAK where the profile asks
        follow.extend(advise(runtime, session, ic, profile, rejected))
    return follow


def _document_exception(row: Row[Any], exc: DocumentErrorType) -> BusinessException:
    where = (
        f"{exc.segment_tag} (segment {exc.segment_position})" if exc.segment_tag else "the document"
    )
    if exc.segment_tag and exc.element:
        where = f"{exc.segment_tag}{exc.element:02d} (segment {exc.segment_position})"
    return BusinessException(
        transaction_id=row.id,
        partner_id=row.partner_id,
        kind="invalid_value",
        message=f"{row.set_id} {row.control_number} cannot be translated: {exc.reason} "
        f"in {where}" + (f", field {exc.field}" if exc.field else ""),
        detail={
            "segment": exc.segment_tag,
            "segment_position": exc.segment_position,
            "element": exc.element,
            "field": exc.field,
            "code": exc.code,
        },
    )


def _record_ack_transaction(
    session: Session, ic: Row[Any], row: Row[Any], edi_txn: EdiTransaction
) -> Move:
    """A 997/999/CONTRL from the partner: link it to what we sent; the row's move."""
    ack = engine_for(ic.syntax).read_ack(edi_txn)
    if ack is None:
        return Move(
            row,
            TransactionState.REJECTED,
            "unreadable acknowledgement",
            error="unreadable acknowledgement",
        )
    inbound_acks.link_inbound_ack(
        session,
        ic,
        ack.kind,
        ack.interchange_control_number or ack.group_control_number or "",
        ack.status,
        {
            "group": ack.group_control_number,
            "transactions": ack.transactions,
            "codes": list(ack.codes),
        },
        transaction=row,
    )
    return Move(row, TransactionState.DELIVERED, f"{ack.kind} recorded: {ack.status}")

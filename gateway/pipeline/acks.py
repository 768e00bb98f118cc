"""The acknowledge and send_ack stages: build the partner's 997/999/TA1/CONTRL and send it
(``send_ack`` also sends the 824/APERAK application advice of :mod:`.advice`).

Control numbers come from per-partner counters in the store. The acknowledgement is
stored (bytes and row) before it is queued for sending, so a failed send can be retried
or downloaded from the console.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from gateway.edi.model import AckControlNumbers, BuiltAck, EdiInterchange, Syntax
from gateway.engines import engine_for, parse_payload
from gateway.intake import PermanentSendError, TransientSendError
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.advice import ADVICE_KINDS
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import PermanentError, TransientError
from gateway.pipeline.issues import gateway_issues
from gateway.pipeline.replies import ack_transport, our_identity
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.stored import stored_interchange
from gateway.states import ACKNOWLEDGEMENTS, AckState
from gateway.store.audit import add_event, add_events, next_counters
from gateway.store.db import session_scope
from gateway.store.models import (
    Acknowledgement,
    FunctionalGroup,
    Interchange,
    Message,
    Transaction,
    utcnow,
)


def reparse_interchange(
    runtime: Runtime, session: Session, ic: Interchange | Row[Any]
) -> EdiInterchange:
    """Parse one stored interchange again from its raw bytes (the source of truth)."""
    message = session.get(Message, ic.message_id)
    if message is None:
        raise PermanentError(f"interchange {ic.id} has no message")
    data = runtime.payloads.get(session, message.payload_sha256)
    payload = parse_payload(data[ic.start : ic.end])
    if not payload.interchanges:
        raise PermanentError(f"interchange {ic.id} no longer parses from its stored bytes")
    edi = payload.interchanges[0]
    # merge what the gateway found (unknown partner, duplicate, test mode, unsupported sets)
    edi.issues.extend(gateway_issues(ic.issues))
    groups = session.scalars(
        select(FunctionalGroup)
        .where(FunctionalGroup.interchange_id == ic.id)
        .order_by(FunctionalGroup.id)
    ).all()
    for edi_group, group_row in zip(edi.groups, groups, strict=False):
        edi_group.issues.extend(gateway_issues(group_row.issues))
    rows = {
        t.start - ic.start: t
        for t in session.scalars(select(Transaction).where(Transaction.interchange_id == ic.id))
    }
    for txn in edi.transactions:
        row = rows.get(txn.start)
        if row is not None:
            txn.issues.extend(gateway_issues(row.issues))
    return edi


def _numbers(session: Session, partner_id: str | None, syntax: Syntax) -> AckControlNumbers:
    prefix = syntax.value
    if partner_id is None:
        raise PermanentError("acknowledgement numbers need a partner")
    numbers = next_counters(
        session,
        partner_id,
        [
            (f"{prefix}-interchange", 999_999_999),
            (f"{prefix}-group", 999_999_999),
            (f"{prefix}-transaction", 9999),
        ],
    )
    return AckControlNumbers(*numbers)


def build_acks(
    runtime: Runtime,
    session: Session,
    ic: Interchange | Row[Any],
    edi: EdiInterchange,
    profile: PartnerProfile,
) -> list[BuiltAck]:
    """The acknowledgements the partner's profile asks for, for one interchange."""
    engine = engine_for(edi.syntax)
    ident = our_identity(runtime, profile.our_identity, ic.receiver_id)
    return engine.build_acks(
        edi,
        policy=profile.acknowledgements,
        ours=engine.own_identity(ident),
        numbers=lambda: _numbers(session, ic.partner_id, edi.syntax),
    )


# built once (issue 21): the stage runs once per received interchange; statements of
# tables (Core), not of mapped classes: no ORM compile step per execution
_ACKS = cast(Table, Acknowledgement.__table__)
_ICS = cast(Table, Interchange.__table__)
_MESSAGES = cast(Table, Message.__table__)
_BUILT_BEFORE = select(_ACKS.c.id).where(
    _ACKS.c.interchange_id == bindparam("ic_id"),
    _ACKS.c.direction == "out",
    # an 824/APERAK from translation may be there first; it is no 997/CONTRL
    _ACKS.c.kind.not_in(ADVICE_KINDS),
)
_NEW_ACK = insert(_ACKS).returning(_ACKS.c.id)
# the interchange's columns, locked, with what its message says of it (which never
# changes: read in the same statement)
_SUBJECT = (
    select(
        _ICS,
        _MESSAGES.c.transport.label("inbound_transport"),
        _MESSAGES.c.correlation_id.label("message_correlation_id"),
    )
    .outerjoin(_MESSAGES, _MESSAGES.c.id == _ICS.c.message_id)
    .where(_ICS.c.id == bindparam("ic_id"))
    .with_for_update(of=_ICS)
)
_IC_ACK_STATUS = (
    update(_ICS).where(_ICS.c.id == bindparam("ic_id")).values(ack_status=bindparam("status"))
)
_TXNS = cast(Table, Transaction.__table__)
_TXN_ACK_STATUS = (
    update(_TXNS)
    .where(_TXNS.c.interchange_id == bindparam("ic_id"))
    .values(ack_status=bindparam("status"), updated_at=bindparam("now"))
)


def acknowledge(runtime: Runtime, interchange_id: int) -> list[Next]:
    """Build and store the acknowledgements for an interchange; queue them for sending."""
    follow: list[Next] = []
    with session_scope(runtime.sessions) as session:
        # its columns, locked; its acknowledgement status is written with one UPDATE
        ic = session.execute(_SUBJECT, {"ic_id": interchange_id}).first()
        if ic is None or ic.partner_id is None:
            return []
        if session.execute(_BUILT_BEFORE, {"ic_id": ic.id}).first() is not None:
            return []  # built before (a redelivered task)
        profile = runtime.registry.get(ic.partner_id)
        if profile is None:
            return []
        # as split recorded it; rows from before split kept envelope records: parse again
        edi = stored_interchange(session, ic) or reparse_interchange(runtime, session, ic)
        inbound = "none" if ic.inbound_transport is None else ic.inbound_transport
        transport = ack_transport(profile, inbound)
        # nowhere to send it: kept for download in this unit of work (no send_ack run)
        kept = _kept_for_download(runtime, transport)
        built_acks = build_acks(runtime, session, ic, edi, profile)
        ack_status = ic.ack_status
        if not built_acks:
            ack_status = "none"  # the profile asks for none: nothing to recover later
        for built in built_acks:
            sha = runtime.payloads.put(session, built.data)
            ack_id = session.execute(
                _NEW_ACK,
                {
                    "direction": "out",
                    "kind": built.kind,
                    "partner_id": ic.partner_id,
                    "interchange_id": ic.id,
                    "acknowledged_control_number": built.acknowledges,
                    "control_number": built.control_number,
                    "status": built.status,
                    "payload_sha256": sha,
                    "state": AckState.QUEUED if kept is None else _BORN_STORED,
                    "transport": transport,
                },
            ).scalar_one()
            if built.kind != "TA1" or ack_status is None:
                ack_status = built.status
                # every transaction of the interchange: one statement, no rows read
                session.execute(
                    _TXN_ACK_STATUS, {"ic_id": ic.id, "status": built.status, "now": utcnow()}
                )
            events = [
                {
                    "kind": "ack_built",
                    "detail": f"{built.kind} {built.control_number} ({built.status}) "
                    f"for interchange {ic.control_number}",
                    "partner_id": ic.partner_id,
                    "message_id": ic.message_id,
                    "interchange_id": ic.id,
                    # the message's, as the event's chain would look it up
                    "correlation_id": ic.message_correlation_id,
                    "data": {"acknowledgement_id": ack_id},
                }
            ]
            if kept is None:
                follow.append(Next("send_ack", (ack_id,)))
            else:
                events.append(
                    {
                        "kind": "ack_stored",
                        "detail": f"{built.kind} {built.control_number} kept for download: " + kept,
                        "partner_id": ic.partner_id,
                        "interchange_id": ic.id,
                        "correlation_id": ic.message_correlation_id,
                    }
                )
            add_events(session, events)
        if ack_status != ic.ack_status:
            session.execute(_IC_ACK_STATUS, {"ic_id": ic.id, "status": ack_status})
    return follow


# an acknowledgement with no transport to go out on is stored as send_ack would leave
# it: queued, then kept (the move checked once, here)
_BORN_STORED = ACKNOWLEDGEMENTS.check(AckState.QUEUED, AckState.STORED)


def _kept_for_download(runtime: Runtime, transport: str | None) -> str | None:
    """Why an acknowledgement for this transport stays here for download, or None when
    it is to be sent (by send_ack, which decides again when it runs)."""
    if transport in (None, "", "none") and runtime.senders.get(transport or "none") is None:
        return "the partner's profile has no outbound transport for acknowledgements"
    return None


# with its interchange's message's correlation id (the chain of the events it leaves)
_ACK = (
    select(_ACKS, _MESSAGES.c.correlation_id.label("message_correlation_id"))
    .outerjoin(_ICS, _ICS.c.id == _ACKS.c.interchange_id)
    .outerjoin(_MESSAGES, _MESSAGES.c.id == _ICS.c.message_id)
    .where(_ACKS.c.id == bindparam("ack_id"))
)
_ACK_STATE = update(_ACKS).where(_ACKS.c.id == bindparam("ack_id")).values(state=bindparam("state"))
_ACK_ATTEMPTED = (
    update(_ACKS).where(_ACKS.c.id == bindparam("ack_id")).values(attempts=_ACKS.c.attempts + 1)
)


def ack_filename(ack: Acknowledgement | Row[Any], syntax_ext: str = "edi") -> str:
    """File name of an acknowledgement in an outbox."""
    return f"{ack.kind}_{ack.control_number}_{ack.acknowledged_control_number}.{syntax_ext}"


def send_ack(runtime: Runtime, ack_id: int) -> list[Next]:
    """Send a stored acknowledgement over the partner's transport.

    The network call happens outside any database transaction; every attempt and its
    outcome is committed before a transient failure is handed to the runner to retry.
    """
    with session_scope(runtime.sessions) as session:
        # its columns; what changes is written with one UPDATE (no ORM flush)
        ack = session.execute(_ACK, {"ack_id": ack_id}).first()
        if ack is None or ack.state is not AckState.QUEUED:
            return []
        sender = runtime.senders.get(ack.transport or "none")
        if sender is None:
            session.execute(
                _ACK_STATE,
                {"ack_id": ack.id, "state": ACKNOWLEDGEMENTS.check(ack.state, AckState.STORED)},
            )
            why = _kept_for_download(runtime, ack.transport) or (
                f"no {ack.transport} sender is set up in this process"
            )
            add_events(
                session,
                [
                    {
                        "kind": "ack_stored",
                        "detail": f"{ack.kind} {ack.control_number} kept for download: {why}",
                        "partner_id": ack.partner_id,
                        "interchange_id": ack.interchange_id,
                        "correlation_id": ack.message_correlation_id,
                    }
                ],
            )
            return []
        data = runtime.payloads.get(session, ack.payload_sha256 or "")
        session.execute(_ACK_ATTEMPTED, {"ack_id": ack.id})
        partner_id, kind, number, transport = (
            ack.partner_id or "",
            ack.kind,
            ack.control_number,
            ack.transport,
        )
        filename = ack_filename(ack)
    transient: TransientSendError | None = None
    try:
        ref = sender.send(partner_id, filename, data, kind=kind)
    except TransientSendError as exc:
        transient, ref = exc, ""
    except PermanentSendError as exc:
        _finish_ack(
            runtime, ack_id, AckState.FAILED, "ack_failed", f"{kind} {number}: {exc}", str(exc)
        )
        return []
    if transient is not None:
        _finish_ack(
            runtime, ack_id, None, "ack_retry", f"{kind} {number}: {transient}", str(transient)
        )
        profile = runtime.registry.get(partner_id)
        limit = profile.as2.retries if transport == "as2" and profile and profile.as2 else None
        raise TransientError(f"sending {kind} {number}: {transient}", max_retries=limit)
    _finish_ack(
        runtime,
        ack_id,
        AckState.SENT,
        "ack_sent",
        f"{kind} {number} sent over {transport}: {ref}",
        None,
        ref=ref,
    )
    return []


def _finish_ack(
    runtime: Runtime,
    ack_id: int,
    state: AckState | None,
    event: str,
    detail: str,
    error: str | None,
    *,
    ref: str | None = None,
) -> None:
    with session_scope(runtime.sessions) as session:
        ack = session.get(Acknowledgement, ack_id)
        if ack is None:
            return
        if state is not None:
            ACKNOWLEDGEMENTS.move(ack, state)
        if ref is not None:
            ack.transport_ref = ref
        ack.error = error
        add_event(
            session, event, detail, partner_id=ack.partner_id, interchange_id=ack.interchange_id
        )


def fail_ack(runtime: Runtime, ack_id: int, error: str) -> None:
    """Dead-letter an acknowledgement whose sending kept failing."""
    with session_scope(runtime.sessions) as session:
        ack = session.get(Acknowledgement, ack_id)
        if ack is None:
            return
        if ACKNOWLEDGEMENTS.allows(ack.state, AckState.FAILED):
            ACKNOWLEDGEMENTS.move(ack, AckState.FAILED)
        ack.error = error
        add_event(
            session,
            "ack_failed",
            f"{ack.kind} {ack.control_number}: gave up: {error}",
            partner_id=ack.partner_id,
            interchange_id=ack.interchange_id,
        )

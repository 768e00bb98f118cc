"""Acknowledgements partners send us (TA1, 997/999, CONTRL): stored and linked to the
acknowledgement of ours they answer, and to the outbound document they acknowledge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from gateway.edi.model import EdiInterchange
from gateway.engines import engine_for
from gateway.pipeline.outbound import record_functional_ack
from gateway.states import AckState
from gateway.store.audit import add_event
from gateway.store.models import Acknowledgement, Interchange, Transaction


def record_envelope_ack(session: Session, row: Interchange | Row[Any], edi: EdiInterchange) -> None:
    """Record an acknowledgement the partner sent in an envelope (an X12 TA1), linked to
    the interchange it acknowledges."""
    ack = engine_for(edi.syntax).read_envelope_ack(edi)
    if ack is None:
        return
    link_inbound_ack(
        session,
        row,
        ack.kind,
        ack.interchange_control_number or "",
        ack.status,
        {"codes": list(ack.codes)},
    )


def link_inbound_ack(
    session: Session,
    row: Interchange | Row[Any],
    kind: str,
    acknowledged: str,
    status: str,
    detail: dict[str, object],
    transaction: Transaction | Row[Any] | None = None,
) -> Acknowledgement:
    """Store a received acknowledgement and find what of ours it acknowledges."""
    ours = (
        session.query(Acknowledgement)
        .filter(
            Acknowledgement.direction == "out",
            Acknowledgement.partner_id == row.partner_id,
            Acknowledgement.control_number == acknowledged,
        )
        .first()
    )
    ack = Acknowledgement(
        direction="in",
        kind=kind,
        partner_id=row.partner_id,
        interchange_id=row.id,
        acknowledged_control_number=acknowledged,
        control_number=row.control_number,
        status=status,
        message_id=row.message_id,
        state=AckState.RECEIVED,
        detail={**detail, "links_to_ack": ours.id if ours else None},
    )
    session.add(ack)
    interchange = acknowledged if kind in ("TA1", "CONTRL") else None
    group = str(detail.get("group") or "") or (None if interchange else acknowledged)
    codes = detail.get("codes") or []
    record_functional_ack(
        session,
        row.partner_id,
        kind,
        interchange,
        group,
        status,
        [str(code) for code in codes] if isinstance(codes, list | tuple) else [],
    )
    add_event(
        session,
        "ack_received",
        f"{kind} from partner: interchange {acknowledged} {status}",
        partner_id=row.partner_id,
        message_id=row.message_id,
        interchange_id=row.id,
        transaction_id=transaction.id if transaction else None,
    )
    return ack

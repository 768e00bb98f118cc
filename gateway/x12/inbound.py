"""Read the 997, 999 and TA1 partners send us, so the pipeline can link them.

Only the control numbers and statuses are taken; the acknowledgement's own validity
is checked by the normal set validation (997/999 have specs).
"""

from __future__ import annotations

from gateway.edi.model import EdiInterchange, EdiTransaction, InboundAck
from gateway.x12.envelope import envelope_of

_WORDS = {
    "A": "accepted",
    "E": "accepted_with_errors",
    "P": "partially_accepted",
    "R": "rejected",
    "M": "rejected",
    "W": "rejected",
    "X": "rejected",
}


def read_acknowledgement(transaction: EdiTransaction) -> InboundAck | None:
    """What a parsed 997/999 says; None for any other transaction set."""
    if transaction.set_id not in ("997", "999") or not transaction.segments:
        return None
    group_number: str | None = None
    status = "rejected"
    current: str | None = None
    per_set: dict[str, str] = {}
    codes: list[str] = []
    for seg in transaction.segments:
        tag = seg.tag
        if tag == "AK1":
            group_number = seg.value(2).strip() or None
        elif tag == "AK2":
            current = seg.value(2).strip()
        elif tag in ("AK5", "IK5"):
            if current is not None:
                per_set[current] = _WORDS.get(seg.value(1).strip(), "rejected")
            codes.extend(seg.value(n) for n in range(2, 7) if seg.value(n))
            current = None
        elif tag in ("AK3", "IK3"):
            if seg.value(4):
                codes.append(seg.value(4))
        elif tag in ("AK4", "IK4"):
            if seg.value(3):
                codes.append(seg.value(3))
        elif tag == "AK9":
            status = _WORDS.get(seg.value(1).strip(), "rejected")
            codes.extend(seg.value(n) for n in range(5, 10) if seg.value(n))
    return InboundAck(
        kind=transaction.set_id,
        interchange_control_number=None,
        group_control_number=group_number,
        status=status,
        transactions=per_set,
        codes=tuple(codes),
    )


def read_ta1(interchange: EdiInterchange) -> InboundAck | None:
    """What the TA1 of an interchange says; None when it holds none."""
    try:
        env = envelope_of(interchange)
    except TypeError:
        return None
    for seg in env.service:
        if seg.tag == "TA1":
            note = seg.value(5).strip()
            return InboundAck(
                kind="TA1",
                interchange_control_number=seg.value(1).strip(),
                group_control_number=None,
                status=_WORDS.get(seg.value(4).strip(), "rejected"),
                codes=(note,) if note else (),
            )
    return None

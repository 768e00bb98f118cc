"""Syntax-neutral EDI types shared by the X12 and EDIFACT engines and their users."""

from gateway.edi.model import (
    AckControlNumbers,
    BuiltAck,
    EdiGroup,
    EdiInterchange,
    EdiPayload,
    EdiTransaction,
    InboundAck,
    Issue,
    Level,
    OwnIdentity,
    SegmentLike,
    Syntax,
    TransactionStatus,
)
from gateway.edi.segment import Segment, seg

__all__ = [
    "AckControlNumbers",
    "BuiltAck",
    "EdiGroup",
    "EdiInterchange",
    "EdiPayload",
    "EdiTransaction",
    "InboundAck",
    "Issue",
    "Level",
    "OwnIdentity",
    "Segment",
    "SegmentLike",
    "Syntax",
    "TransactionStatus",
    "seg",
]

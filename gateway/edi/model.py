"""The syntax-neutral view of a parsed EDI payload.

Both engines (:mod:`gateway.x12` and :mod:`gateway.edifact`) return these types from
their ``parse_payload`` facade, so the pipeline, the mapping engine and the console
never need to know which syntax a document came in. The engines keep richer types of
their own internally (delimiters, raw envelopes); what crosses the boundary is this.

Terms used for both syntaxes:

* interchange: ISA..IEA or UNB..UNZ
* group: GS..GE or UNG..UNE; an EDIFACT interchange without UNG has one implicit
  group whose ``functional_id`` is ``None``
* transaction: ST..SE or UNH..UNT (an EDIFACT "message")

Positions are 1-based as partners and acknowledgements count them; byte offsets are
0-based offsets into the payload that was parsed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class Syntax(enum.StrEnum):
    """The two EDI syntaxes the gateway speaks."""

    X12 = "x12"
    EDIFACT = "edifact"


class Level(enum.StrEnum):
    """Where an issue sits, which decides the acknowledgement segment that reports it."""

    FILE = "file"  # not EDI at all, or nothing recognisable (no envelope to answer to)
    INTERCHANGE = "interchange"  # TA1 / UCI
    GROUP = "group"  # AK9 / UCF
    TRANSACTION = "transaction"  # AK5 or IK5 / UCM
    SEGMENT = "segment"  # AK3 or IK3 / UCS
    ELEMENT = "element"  # AK4 or IK4 / UCD


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding about partner data, carrying the code the partner will see.

    ``code`` is the syntax's own code for the finding: the TA1 note code (I18) for
    interchange issues, the AK9/AK5/AK3/AK4 (or IK5/IK3/IK4) code for X12 group,
    transaction, segment and element issues, and the CONTRL syntax error code (data
    element 0085) for EDIFACT. Acknowledgement builders read only these attributes.
    ``fatal`` issues reject the unit they sit in; others are reported as warnings
    ("accepted with errors").
    """

    level: Level
    code: str
    message: str
    fatal: bool = True
    segment_tag: str | None = None
    segment_position: int | None = None  # 1-based, within the transaction (ST = 1)
    element_position: int | None = None  # 1-based
    component_position: int | None = None  # 1-based
    repetition_position: int | None = None  # 1-based
    element_reference: str | None = None  # data element reference number, e.g. "355"
    byte_offset: int | None = None  # 0-based offset into the payload
    bad_value: str | None = None  # copy of the bad data (AK4-04 / IK4-04), truncated
    # the element whose presence made this one required or forbidden (X12 syntax notes;
    # the 999 names it in CTX*SITUATIONAL TRIGGER)
    trigger_element: int | None = None

    def where(self) -> str:
        """Return the position in plain words, e.g. ``segment 7 (PO1), element 3``."""
        parts: list[str] = []
        if self.segment_position is not None:
            tag = f" ({self.segment_tag})" if self.segment_tag else ""
            parts.append(f"segment {self.segment_position}{tag}")
        elif self.segment_tag:
            parts.append(f"segment {self.segment_tag}")
        if self.element_position is not None:
            parts.append(f"element {self.element_position}")
        if self.component_position is not None:
            parts.append(f"component {self.component_position}")
        if self.byte_offset is not None:
            parts.append(f"byte {self.byte_offset}")
        return ", ".join(parts) if parts else self.level.value

    def describe(self) -> str:
        """Return ``"<where>: <message> [code]"`` for logs, events and the CLI."""
        return f"{self.where()}: {self.message} [{self.code}]"


@runtime_checkable
class SegmentLike(Protocol):
    """What the mapping engine needs from a segment of either syntax.

    Positions are 1-based. ``value(2, 1)`` is the first component of the second
    element after the tag. Absent elements, components and repetitions read as ``""``.
    """

    @property
    def tag(self) -> str: ...

    @property
    def position(self) -> int:
        """1-based position of the segment within its transaction (ST/UNH = 1)."""
        ...

    def value(self, element: int, component: int = 1, repetition: int = 1) -> str: ...

    def element_count(self) -> int:
        """Number of elements after the tag, trailing empty ones included as sent."""
        ...

    def components(self, element: int, repetition: int = 1) -> tuple[str, ...]: ...


class TransactionStatus(enum.StrEnum):
    """Acknowledgement status of a transaction (997 AK501 / 999 IK501 / CONTRL UCM)."""

    ACCEPTED = "accepted"  # A
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"  # E
    REJECTED = "rejected"  # R


@dataclass(slots=True)
class EdiTransaction:
    """One ST..SE / UNH..UNT unit, with its segments and findings."""

    set_id: str  # "850", "856", "ORDERS", "DESADV", ...
    control_number: str  # ST02 / UNH 0062
    version: str  # GS08 or ST03 ("004010", "005010X..."), EDIFACT "D96A" (S009 0052+0054)
    segments: Sequence[SegmentLike]  # header and trailer included
    start: int  # byte offset of the ST/UNH segment in the payload
    end: int  # byte offset just after the SE/UNT segment terminator
    issues: list[Issue] = field(default_factory=list)
    association_code: str | None = None  # EDIFACT S009 0057, e.g. "EAN008"
    implementation_reference: str | None = None  # X12 ST03 (5010)

    @property
    def status(self) -> TransactionStatus:
        """Derived from the issues: any fatal issue rejects the transaction."""
        if any(i.fatal for i in self.issues):
            return TransactionStatus.REJECTED
        if self.issues:
            return TransactionStatus.ACCEPTED_WITH_ERRORS
        return TransactionStatus.ACCEPTED


@dataclass(slots=True)
class EdiGroup:
    """One GS..GE / UNG..UNE (or the implicit EDIFACT group)."""

    functional_id: str | None  # GS01 ("PO", "SH", "IN", "PR") / UNG 0038; None if implicit
    sender_id: str  # GS02 / UNG S006
    receiver_id: str  # GS03 / UNG S007
    control_number: str  # GS06 / UNG 0048; "" for the implicit group
    version: str  # GS08 / UNG S008
    transactions: list[EdiTransaction] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    date: str = ""  # GS04 CCYYMMDD / UNG date
    time: str = ""


@dataclass(slots=True)
class EdiInterchange:
    """One ISA..IEA / UNB..UNZ, with enough of its envelope to answer it."""

    syntax: Syntax
    sender_qualifier: str  # ISA05 / UNB S002 0007 ("" when absent)
    sender_id: str  # ISA06 (stripped) / UNB S002 0004
    receiver_qualifier: str  # ISA07 / UNB S003 0007
    receiver_id: str  # ISA08 (stripped) / UNB S003 0010
    control_number: str  # ISA13 / UNB 0020
    version: str  # ISA12 ("00401", "00501") / UNB syntax "UNOC:3"
    test: bool  # ISA15 == "T" / UNB 0035 == "1"
    start: int  # byte offset of ISA/UNA/UNB
    end: int  # byte offset after IEA/UNZ (or the last byte read when truncated)
    date: str = ""  # ISA09 YYMMDD / UNB date as sent
    time: str = ""
    ack_requested: bool = False  # ISA14 == "1" / UNB 0031 == "1"
    groups: list[EdiGroup] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    # Engine-specific envelope details the acknowledgement writer needs (delimiters,
    # character set, application reference...). Opaque outside the engine.
    envelope: object = None

    @property
    def transactions(self) -> list[EdiTransaction]:
        """All transactions of all groups, in order."""
        return [t for g in self.groups for t in g.transactions]

    @property
    def rejected(self) -> bool:
        """True when an interchange-level issue is fatal (nothing inside is processed)."""
        return any(i.fatal for i in self.issues)


@dataclass(slots=True)
class EdiPayload:
    """Everything found in one received payload (a file, an AS2 body, an upload)."""

    syntax: Syntax | None  # None when the payload is not recognisable EDI
    interchanges: list[EdiInterchange] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)  # Level.FILE findings
    encoding: str = "latin-1"  # how the bytes were decoded into the segments' text


@dataclass(frozen=True, slots=True)
class AckControlNumbers:
    """Control numbers for one outbound acknowledgement interchange, from the caller.

    The pipeline takes them from a per-partner counter in the store; tests pass fixed
    numbers. ``interchange`` is ISA13/UNB 0020, ``group`` GS06/UNG 0048 and
    ``transaction`` the first ST02/UNH 0062 (further sets count up from it).
    """

    interchange: int
    group: int
    transaction: int


@dataclass(frozen=True, slots=True)
class OwnIdentity:
    """Our side of an envelope: who the acknowledgement comes from."""

    qualifier: str  # ISA05/07 qualifier or UNB partner id code qualifier
    id: str  # ISA06/08 or UNB id
    group_id: str = ""  # GS02/03 application code (X12) / UNG id (EDIFACT)


@dataclass(frozen=True, slots=True)
class BuiltAck:
    """An acknowledgement interchange written by an engine."""

    kind: str  # "997", "999", "TA1", "CONTRL"
    data: bytes
    control_number: str  # the ISA13 / UNB 0020 of the ack interchange
    acknowledges: str  # the control number of what it acknowledges
    status: str  # "accepted", "accepted_with_errors", "rejected", "partially_accepted"


@dataclass(frozen=True, slots=True)
class InboundAck:
    """What a partner's 997/999/TA1/CONTRL says about something we sent.

    The pipeline links it to the outbound interchange, group and transactions it
    acknowledges by these control numbers.
    """

    kind: str  # "997", "999", "TA1", "CONTRL"
    interchange_control_number: str | None  # TA1/UCI: the interchange acknowledged
    group_control_number: str | None  # AK1/UCF: the group acknowledged
    status: str  # "accepted", "accepted_with_errors", "rejected", "partially_accepted"
    transactions: dict[str, str] = field(default_factory=dict)  # set control no. -> status
    codes: tuple[str, ...] = ()  # error codes reported, for the record

"""The syntax engines behind one protocol: X12 and EDIFACT, looked up by syntax.

This is the only module that names both engines. Everything above it (pipeline, CLI,
console, outbound writer) asks :func:`engine_for` (or :func:`parse_payload`, which
detects the syntax from the content) and calls the :class:`SyntaxEngine` it gets: parse
and validate, build the functional acknowledgements (997/999/TA1, CONTRL), read the
acknowledgements partners send us, write an interchange. What differs between the two
syntaxes as plain data (the envelope's segment tags, the codes a partner sees when we
refuse an envelope, the file suffix, how control numbers are stored) is an attribute of
the engine, so callers never branch on the syntax.

It sits above :mod:`gateway.edi` (the syntax-neutral model), :mod:`gateway.x12` and
:mod:`gateway.edifact`, and below everything that uses them; it is pure like they are:
no settings, store or profiles. Partner policy arrives as small structural protocols
(:class:`AckPolicy`, :class:`IdentityIds`) that the profile and identity models satisfy.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from gateway import edifact, x12
from gateway.edi.model import (
    AckControlNumbers,
    BuiltAck,
    EdiInterchange,
    EdiPayload,
    EdiTransaction,
    InboundAck,
    Issue,
    Level,
    OwnIdentity,
    SegmentLike,
    Syntax,
)
from gateway.edifact import stored as edifact_stored
from gateway.edifact.tokenizer import Data
from gateway.x12 import stored as x12_stored

Element = str | tuple[str, ...]  # a simple element, or a composite's components

#: What :meth:`SyntaxEngine.write` raises for a value its syntax or character set cannot
#: carry (a delimiter inside an X12 element, a '€' under UNOC): our side's fault.
WRITE_ERRORS: tuple[type[Exception], ...] = (x12.X12BuildError, edifact.EdifactWriteError)
Ta1Policy = Literal["never", "on_error", "when_requested", "always"]


class AckPolicy(Protocol):
    """Which functional acknowledgements a partner wants (a profile's
    ``acknowledgements`` section satisfies this)."""

    @property
    def x12(self) -> Literal["997", "999", "none"]: ...

    @property
    def ta1(self) -> Ta1Policy: ...

    @property
    def contrl(self) -> bool: ...


@dataclass(frozen=True)
class FixedAckPolicy:
    """An :class:`AckPolicy` given directly (the CLI's preview without a profile)."""

    x12: Literal["997", "999", "none"] = "997"
    ta1: Ta1Policy = "on_error"
    contrl: bool = True


class IdentityIds(Protocol):
    """Our ids in both syntaxes (:class:`gateway.identity.OurIdentity` satisfies this)."""

    @property
    def x12_qualifier(self) -> str: ...

    @property
    def x12_id(self) -> str: ...

    @property
    def group_id(self) -> str: ...

    @property
    def edifact_qualifier(self) -> str: ...

    @property
    def edifact_id(self) -> str: ...


@dataclass(frozen=True)
class RefusalCodes:
    """The codes a partner sees when the gateway refuses an envelope or a set:
    X12 TA105 note codes and AK5/IK5 codes; EDIFACT 0085 syntax error codes."""

    unknown_sender: str
    unknown_receiver: str
    test_indicator: str
    duplicate: str
    set_not_supported: str


@dataclass(frozen=True)
class OutboundEnvelope:
    """Who sends to whom, and the control numbers to use (from the store's counters)."""

    sender_id: str
    receiver_id: str
    interchange_control: int
    group_control: int = 1
    transaction_control: int = 1
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    gs_sender: str | None = None
    gs_receiver: str | None = None
    test: bool = False
    ack_requested: bool = False
    when: dt.datetime | None = None
    edifact_syntax: str = "UNOC"
    edifact_syntax_version: str = "3"


@dataclass(frozen=True)
class OutgoingDocument:
    """One transaction set / message to write: its id, release or directory and body."""

    set_id: str
    version: str  # X12 GS08 release (``004010``) or EDIFACT directory (``D96A``)
    segments: Sequence[tuple[str, Sequence[Element]]]  # between ST/UNH and SE/UNT
    functional_id: str | None = None  # X12 GS01; None: the set's usual one
    association: str = ""  # EDIFACT 0057 (EANCOM ``EAN008``)


@dataclass(frozen=True)
class StoredControls:
    """Control numbers of a written interchange as the store keeps them."""

    interchange: str
    group: str  # "" where the syntax writes no group
    transaction: str


class SyntaxEngine(Protocol):
    """What the gateway needs from a syntax engine."""

    syntax: Syntax
    envelope_tag: str  # the interchange header: ISA / UNB
    message_tag: str  # a transaction's header: ST / UNH
    file_suffix: str  # of the files we write
    refusals: RefusalCodes
    checks_group_version: bool  # a group's version is checked against the profile (GS08)
    #: a parsed segment's elements are tuples of components (EDIFACT), not plain text
    nested_elements: bool
    advice_kind: str  # the application advice: 824 / APERAK
    advice_per_interchange: bool  # one advice answers every rejected transaction

    def parse_payload(self, data: Data, *, keep_segments: bool = True) -> EdiPayload:
        """Every interchange of this syntax in ``data``; never raises on bad data."""
        ...

    def envelope_record(
        self, interchange: EdiInterchange, data: Data, versions: list[str]
    ) -> dict[str, Any]:
        """What answering and translating ``interchange`` later need beyond its rows
        (interchange, groups, transactions with ``versions``), as JSON: the pipeline keeps
        it at split so the interchange is never parsed again. ``data`` is the payload."""
        ...

    def restore(self, interchange: EdiInterchange, record: dict[str, Any]) -> None:
        """Put :meth:`envelope_record`'s record back on an interchange rebuilt from rows."""
        ...

    def read_segments(
        self,
        data: Data,
        interchange: EdiInterchange,
        transaction: EdiTransaction,
        *,
        split: bool = False,
    ) -> Sequence[SegmentLike]:
        """One transaction's segments read from ``data[start:end]`` alone (no second
        validation), numbered and split as a full parse does; ``interchange`` restored.
        ``split``: in the form a reader of most elements wants (X12: elements split once;
        EDIFACT segments split themselves when first read)."""
        ...

    def own_identity(self, ids: IdentityIds) -> OwnIdentity:
        """Our side of this syntax's envelope."""
        ...

    def build_acks(
        self,
        interchange: EdiInterchange,
        *,
        policy: AckPolicy,
        ours: OwnIdentity,
        numbers: Callable[[], AckControlNumbers],
    ) -> list[BuiltAck]:
        """The functional acknowledgements ``policy`` asks for, in sending order.
        ``numbers`` is called once per acknowledgement written (just before it)."""
        ...

    def read_ack(self, transaction: EdiTransaction) -> InboundAck | None:
        """What a partner's acknowledgement transaction (997/999, CONTRL) says."""
        ...

    def read_envelope_ack(self, interchange: EdiInterchange) -> InboundAck | None:
        """An acknowledgement carried in the envelope itself (X12 TA1), if any."""
        ...

    def write(self, document: OutgoingDocument, envelope: OutboundEnvelope) -> bytes:
        """One interchange holding ``document``; raises one of :data:`WRITE_ERRORS` when a
        value cannot be written in this syntax."""
        ...

    def stored_controls(self, envelope: OutboundEnvelope) -> StoredControls:
        """The control numbers of an interchange written with ``envelope``."""
        ...


# X12 GS01 functional identifier codes (X12 479) of the sets we write.
FUNCTIONAL_IDS = {
    "850": "PO",
    "855": "PR",
    "856": "SH",
    "810": "IN",
    "860": "PC",
    "865": "CA",
    "846": "IB",
    "832": "SC",
    "824": "AG",
}


class X12Engine:
    """ANSI X12: ISA/GS/ST envelopes, 997/999/TA1."""

    syntax = Syntax.X12
    envelope_tag = "ISA"
    message_tag = "ST"
    file_suffix = "x12"
    refusals = RefusalCodes(
        unknown_sender="006",
        unknown_receiver="009",
        test_indicator="020",
        duplicate="025",
        set_not_supported="1",  # AK5/IK5: transaction set not supported
    )
    checks_group_version = True
    nested_elements = False
    advice_kind = "824"
    advice_per_interchange = True

    def parse_payload(self, data: Data, *, keep_segments: bool = True) -> EdiPayload:
        return x12.parse_payload(data, keep_segments=keep_segments)

    def envelope_record(
        self, interchange: EdiInterchange, data: Data, versions: list[str]
    ) -> dict[str, Any]:
        return x12_stored.envelope_record(
            interchange, bytes(data[interchange.start : interchange.start + 64])
        )

    def restore(self, interchange: EdiInterchange, record: dict[str, Any]) -> None:
        x12_stored.restore(interchange, record)

    def read_segments(
        self,
        data: Data,
        interchange: EdiInterchange,
        transaction: EdiTransaction,
        *,
        split: bool = False,
    ) -> Sequence[SegmentLike]:
        return x12_stored.read_segments(data, interchange, transaction, split=split)

    def own_identity(self, ids: IdentityIds) -> OwnIdentity:
        return OwnIdentity(qualifier=ids.x12_qualifier, id=ids.x12_id, group_id=ids.group_id)

    def build_acks(
        self,
        interchange: EdiInterchange,
        *,
        policy: AckPolicy,
        ours: OwnIdentity,
        numbers: Callable[[], AckControlNumbers],
    ) -> list[BuiltAck]:
        built: list[BuiltAck] = []
        if x12.needs_ta1(interchange, policy.ta1):
            built.append(x12.build_ta1(interchange, ours=ours, numbers=numbers()))
        kind = policy.x12
        answerable = not all(x12.is_acknowledgement_group(g) for g in interchange.groups)
        if kind != "none" and not interchange.rejected and answerable:
            ack = x12.build_acknowledgement(interchange, kind=kind, ours=ours, numbers=numbers())
            if ack is not None:
                built.append(ack)
        return built

    def read_ack(self, transaction: EdiTransaction) -> InboundAck | None:
        return x12.read_acknowledgement(transaction)

    def read_envelope_ack(self, interchange: EdiInterchange) -> InboundAck | None:
        return x12.read_ta1(interchange)

    def write(self, document: OutgoingDocument, envelope: OutboundEnvelope) -> bytes:
        builder = x12.DocumentBuilder(
            sender=(envelope.sender_qualifier, envelope.sender_id),
            receiver=(envelope.receiver_qualifier, envelope.receiver_id),
            control_number=envelope.interchange_control,
            version=document.version[:5],  # ISA12 for a GS08: 004010 -> 00401
            test=envelope.test,
            ack_requested=envelope.ack_requested,
            now=envelope.when,
        )
        component = builder.delimiters.component
        builder.group(
            document.functional_id or FUNCTIONAL_IDS.get(document.set_id, "ZZ"),
            envelope.gs_sender or envelope.sender_id,
            envelope.gs_receiver or envelope.receiver_id,
            envelope.group_control,
            document.version,
        )
        segments = [
            [tag, *(e if isinstance(e, str) else component.join(e) for e in elements)]
            for tag, elements in document.segments
        ]
        builder.transaction(document.set_id, f"{envelope.transaction_control:04d}", segments)
        return builder.to_bytes()

    def stored_controls(self, envelope: OutboundEnvelope) -> StoredControls:
        return StoredControls(
            interchange=str(envelope.interchange_control),
            group=str(envelope.group_control),
            transaction=f"{envelope.transaction_control:04d}",
        )


class EdifactEngine:
    """UN/EDIFACT: UNB/UNH envelopes (no groups written), CONTRL."""

    syntax = Syntax.EDIFACT
    envelope_tag = "UNB"
    message_tag = "UNH"
    file_suffix = "edi"
    refusals = RefusalCodes(
        unknown_sender="23",
        unknown_receiver="7",
        test_indicator="25",
        duplicate="26",
        set_not_supported="17",  # no agreement
    )
    checks_group_version = False
    nested_elements = True
    advice_kind = "APERAK"
    advice_per_interchange = False

    def parse_payload(self, data: Data, *, keep_segments: bool = True) -> EdiPayload:
        return edifact.parse_payload(data, keep_segments=keep_segments)

    def envelope_record(
        self, interchange: EdiInterchange, data: Data, versions: list[str]
    ) -> dict[str, Any]:
        return edifact_stored.envelope_record(interchange, data, versions)

    def restore(self, interchange: EdiInterchange, record: dict[str, Any]) -> None:
        edifact_stored.restore(interchange, record)

    def read_segments(
        self,
        data: Data,
        interchange: EdiInterchange,
        transaction: EdiTransaction,
        *,
        split: bool = False,
    ) -> Sequence[SegmentLike]:
        return edifact_stored.read_segments(data, interchange, transaction)

    def own_identity(self, ids: IdentityIds) -> OwnIdentity:
        return OwnIdentity(
            qualifier=ids.edifact_qualifier, id=ids.edifact_id, group_id=ids.edifact_id
        )

    def build_acks(
        self,
        interchange: EdiInterchange,
        *,
        policy: AckPolicy,
        ours: OwnIdentity,
        numbers: Callable[[], AckControlNumbers],
    ) -> list[BuiltAck]:
        if not policy.contrl:
            return []
        messages = interchange.transactions
        if messages and all(m.set_id == "CONTRL" for m in messages) and not interchange.rejected:
            return []  # a CONTRL is never answered by a CONTRL (ISO 9735-1 / CONTRL message)
        return [edifact.build_contrl(interchange, ours=ours, numbers=numbers())]

    def read_ack(self, transaction: EdiTransaction) -> InboundAck | None:
        return edifact.read_contrl(transaction)

    def read_envelope_ack(self, interchange: EdiInterchange) -> InboundAck | None:
        return None  # EDIFACT acknowledges interchanges in a CONTRL message

    def write(self, document: OutgoingDocument, envelope: OutboundEnvelope) -> bytes:
        message = edifact.MessageBuilder(
            document.set_id,
            str(envelope.transaction_control),
            version=document.version[0],
            release=document.version[1:],
            association=document.association,
        )
        for tag, elements in document.segments:
            message.add(tag, *elements)
        return edifact.write_interchange(
            [message],
            sender=(envelope.sender_id, envelope.sender_qualifier),
            recipient=(envelope.receiver_id, envelope.receiver_qualifier),
            control_reference=str(envelope.interchange_control),
            syntax_id=envelope.edifact_syntax,
            syntax_version=envelope.edifact_syntax_version,
            when=envelope.when,
            ack_requested=envelope.ack_requested,
            test=envelope.test,
        )

    def stored_controls(self, envelope: OutboundEnvelope) -> StoredControls:
        return StoredControls(
            interchange=str(envelope.interchange_control),
            group="",
            transaction=str(envelope.transaction_control),
        )


ENGINES: dict[Syntax, SyntaxEngine] = {Syntax.X12: X12Engine(), Syntax.EDIFACT: EdifactEngine()}


def engine_for(syntax: Syntax | str) -> SyntaxEngine:
    """The engine for a syntax (``Syntax.X12`` or ``"x12"``, ``"edifact"``).

    Raises ValueError for anything else.
    """
    return ENGINES[Syntax(syntax)]


# ---------------------------------------------------------------------------------------
# content detection: which engine a payload calls for
# ---------------------------------------------------------------------------------------
_BOM = b"\xef\xbb\xbf"
_EBCDIC_ISA = "ISA".encode("cp037")  # the X12 engine decodes EBCDIC interchanges itself
_WHITESPACE = b" \t\r\n\x00"
_CONTENT = re.compile(rb"[^ \t\r\n\x00]")  # anything but _WHITESPACE (searches a map too)
# how each syntax's payloads start (after a BOM and whitespace)
_HEADERS: tuple[tuple[Syntax, tuple[bytes, ...]], ...] = (
    (Syntax.X12, (b"ISA", _EBCDIC_ISA)),
    (Syntax.EDIFACT, (b"UNA", b"UNB")),
)
# Segment tags that show a payload is EDI even when its header is damaged
# (a corrupted "ISA" or "UNB" tag): the engine then reports the damage precisely.
_DAMAGED_MARKS: tuple[tuple[Syntax, tuple[bytes, ...]], ...] = (
    (Syntax.EDIFACT, (b"UNH+", b"'UNH", b"UNB+", b"+UNOA", b"+UNOB", b"+UNOC", b"UNT+")),
    (Syntax.X12, (b"\nGS", b"~GS", b"GS*", b"\nST*", b"~ST*")),
)


_DETECT_BYTES = 4096


def detect_syntax(data: bytes) -> Syntax | None:
    """Return the syntax of a payload from its first meaningful bytes, or None.

    Tolerates a UTF-8 BOM and leading whitespace, as real partners send them.
    """
    head = data[:_DETECT_BYTES]
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    head = head.lstrip(_WHITESPACE)
    for syntax, starts in _HEADERS:
        if head[:3] in starts:
            return syntax
    return None


def _shift_issue(issue: Issue, by: int) -> Issue:
    if issue.byte_offset is None or by == 0:
        return issue
    return dataclasses.replace(issue, byte_offset=issue.byte_offset + by)


def _shift(interchange: EdiInterchange, by: int) -> EdiInterchange:
    """Move an interchange's byte offsets by ``by`` (it was parsed from a slice)."""
    if by == 0:
        return interchange
    interchange.start += by
    interchange.end += by
    interchange.issues = [_shift_issue(i, by) for i in interchange.issues]
    for group in interchange.groups:
        group.issues = [_shift_issue(i, by) for i in group.issues]
        for txn in group.transactions:
            txn.start += by
            txn.end += by
            txn.issues = [_shift_issue(i, by) for i in txn.issues]
    return interchange


def parse_payload(data: Data, *, keep_segments: bool = True) -> EdiPayload:
    """Parse and validate a payload with the engine its content calls for.

    A file may hold interchanges of both syntaxes one after the other (a partner's
    "mailbag"): when one engine stops at data that starts an interchange of the other
    syntax, the rest is handed to the other engine. Never raises on bad partner data:
    what is wrong is in the returned issues. ``keep_segments=False`` validates as
    fully but does not keep the segments (the split stage needs only the envelopes).
    ``data`` may be a read-only map of the payload's file (the split stage's): the
    engines read it a chunk at a time and it is never copied whole.
    """
    syntax = detect_syntax(data[:_DETECT_BYTES])
    if syntax is None:
        return _damaged_header(data, keep_segments) or _not_edi(data)
    result = EdiPayload(syntax=syntax)
    pos = 0
    while syntax is not None:
        part = engine_for(syntax).parse_payload(
            data if pos == 0 else data[pos:], keep_segments=keep_segments
        )
        result.encoding = part.encoding
        result.interchanges.extend(_shift(ic, pos) for ic in part.interchanges)
        consumed = max((ic.end for ic in part.interchanges), default=0)
        # what follows, by its first bytes (all detect_syntax reads)
        rest = data[pos + consumed : pos + consumed + _DETECT_BYTES]
        other = detect_syntax(rest) if consumed else None
        if other is not None and other is not syntax:
            # the engine's complaints about the other syntax's bytes are not findings
            result.issues.extend(
                _shift_issue(i, pos)
                for i in part.issues
                if i.byte_offset is not None and i.byte_offset < consumed
            )
            pos += consumed
            syntax = other
            continue
        result.issues.extend(_shift_issue(i, pos) for i in part.issues)
        break
    return result


def _damaged_header(data: Data, keep_segments: bool = True) -> EdiPayload | None:
    """Let an engine explain a payload whose first tag is damaged but is clearly EDI."""
    head = data[:8192]
    for syntax, marks in _DAMAGED_MARKS:
        if any(m in head for m in marks):
            part = engine_for(syntax).parse_payload(data, keep_segments=keep_segments)
            if part.interchanges:
                return part
    return None


def _not_edi(data: Data) -> EdiPayload:
    reason = (
        "empty payload"
        if _CONTENT.search(data) is None
        else ("not EDI: no ISA, UNA or UNB header at the start of the payload")
    )
    return EdiPayload(
        syntax=None,
        issues=[Issue(level=Level.FILE, code="not-edi", message=reason, byte_offset=0)],
    )

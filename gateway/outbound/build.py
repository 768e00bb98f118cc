"""Wrap rendered segments in an envelope and check them with our own validator.

Pure: :class:`OutboundEnvelope` (ids and control numbers, chosen by the caller from the
partner profile and the store's counters) and a :class:`~gateway.outbound.render.Rendered`
body in, bytes out. Every interchange is parsed back and validated by the same engine
that checks inbound documents before it is returned; a finding raises
:class:`OutboundInvalid`, which names the segment, the element and the canonical fields
the segment was made from - a document that fails our own validation is never sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.edi.engines import parse_payload
from gateway.edi.model import EdiPayload, Issue, Syntax
from gateway.edifact.writer import MessageBuilder
from gateway.edifact.writer import write_interchange as write_edifact
from gateway.outbound.render import Element, Rendered
from gateway.outbound.template import OutboundMap
from gateway.x12.writer import DocumentBuilder

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


class OutboundInvalid(Exception):
    """What we were about to send fails our own validator."""

    def __init__(self, findings: list[str]) -> None:
        self.findings = findings
        super().__init__("; ".join(findings))


@dataclass(frozen=True)
class Written:
    """One outbound interchange: its bytes and the parsed, validated copy."""

    data: bytes
    payload: EdiPayload
    rendered: Rendered
    control_number: str


def _x12_version(version: str) -> str:
    """ISA12 for a GS08 version: ``004010`` -> ``00401``."""
    return version[:5]


def _x12_segment(tag: str, elements: list[Element], component: str) -> list[str]:
    return [tag, *(e if isinstance(e, str) else component.join(e) for e in elements)]


def build_x12(map_: OutboundMap, rendered: Rendered, env: OutboundEnvelope) -> bytes:
    """An ISA..IEA interchange holding one transaction set."""
    builder = DocumentBuilder(
        sender=(env.sender_qualifier, env.sender_id),
        receiver=(env.receiver_qualifier, env.receiver_id),
        control_number=env.interchange_control,
        version=_x12_version(map_.version),
        test=env.test,
        ack_requested=env.ack_requested,
        now=env.when,
    )
    component = builder.delimiters.component
    builder.group(
        map_.functional_id or FUNCTIONAL_IDS.get(map_.set, "ZZ"),
        env.gs_sender or env.sender_id,
        env.gs_receiver or env.receiver_id,
        env.group_control,
        map_.version,
    )
    segments = [_x12_segment(tag, elements, component) for tag, elements in rendered.segments]
    builder.transaction(map_.set, f"{env.transaction_control:04d}", segments)
    return builder.to_bytes()


def build_edifact(map_: OutboundMap, rendered: Rendered, env: OutboundEnvelope) -> bytes:
    """A UNB..UNZ interchange holding one message."""
    version, release = map_.version[0], map_.version[1:]
    message = MessageBuilder(
        map_.set,
        str(env.transaction_control),
        version=version,
        release=release,
        association=map_.association,
    )
    for tag, elements in rendered.segments:
        message.add(tag, *elements)
    return write_edifact(
        [message],
        sender=(env.sender_id, env.sender_qualifier),
        recipient=(env.receiver_id, env.receiver_qualifier),
        control_reference=str(env.interchange_control),
        syntax_id=env.edifact_syntax,
        syntax_version=env.edifact_syntax_version,
        when=env.when,
        ack_requested=env.ack_requested,
        test=env.test,
    )


def _errors(payload: EdiPayload) -> list[Issue]:
    """Every fatal finding anywhere in the payload (warnings do not stop a send)."""
    found = [i for i in payload.issues if i.fatal]
    for ic in payload.interchanges:
        found.extend(i for i in ic.issues if i.fatal)
        for group in ic.groups:
            found.extend(i for i in group.issues if i.fatal)
            for tx in group.transactions:
                found.extend(i for i in tx.issues if i.fatal)
    return found


def _describe(issue: Issue, rendered: Rendered, header: int) -> str:
    text = issue.describe()
    if issue.segment_position is not None:
        trace = rendered.trace_at(issue.segment_position - header)
        if trace is not None and trace.fields:
            text += f" (from {', '.join(trace.fields)}; map {rendered.map_name} {trace.rule})"
    return text


def write(map_: OutboundMap, rendered: Rendered, env: OutboundEnvelope) -> Written:
    """Envelope, serialize and validate; raises :class:`OutboundInvalid` on any finding."""
    if map_.syntax == "x12":
        data = build_x12(map_, rendered, env)
    else:
        data = build_edifact(map_, rendered, env)
    payload = parse_payload(data)
    expected = Syntax.X12 if map_.syntax == "x12" else Syntax.EDIFACT
    problems = [_describe(i, rendered, 1) for i in _errors(payload)]
    if payload.syntax is not expected or len(payload.interchanges) != 1:
        problems.append(f"the written {map_.syntax} interchange does not parse back as one")
    if problems:
        raise OutboundInvalid(problems)
    return Written(data, payload, rendered, str(env.interchange_control))

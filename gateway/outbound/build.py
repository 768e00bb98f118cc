"""Wrap rendered segments in an envelope and check them with our own validator.

Pure: :class:`OutboundEnvelope` (ids and control numbers, chosen by the caller from the
partner profile and the store's counters) and a :class:`~gateway.outbound.render.Rendered`
body in, bytes out. Every interchange is parsed back and validated by the same engine
that checks inbound documents before it is returned; a finding raises
:class:`OutboundInvalid`, which names the segment, the element and the canonical fields
the segment was made from - a document that fails our own validation is never sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.edi.model import EdiPayload, Issue, Syntax
from gateway.engines import (
    FUNCTIONAL_IDS,
    OutboundEnvelope,
    OutgoingDocument,
    engine_for,
    parse_payload,
)
from gateway.outbound.render import Rendered
from gateway.outbound.template import OutboundMap

__all__ = ["FUNCTIONAL_IDS", "OutboundEnvelope", "OutboundInvalid", "Written", "write"]


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


def outgoing(map_: OutboundMap, rendered: Rendered) -> OutgoingDocument:
    """What the engine writes for a rendered outbound map."""
    return OutgoingDocument(
        set_id=map_.set,
        version=map_.version,
        segments=rendered.segments,
        functional_id=map_.functional_id,
        association=map_.association,
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
    expected = Syntax(map_.syntax)
    data = engine_for(expected).write(outgoing(map_, rendered), env)
    payload = parse_payload(data)
    problems = [_describe(i, rendered, 1) for i in _errors(payload)]
    if payload.syntax is not expected or len(payload.interchanges) != 1:
        problems.append(f"the written {map_.syntax} interchange does not parse back as one")
    if problems:
        raise OutboundInvalid(problems)
    return Written(data, payload, rendered, str(env.interchange_control))

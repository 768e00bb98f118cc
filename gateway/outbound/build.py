"""Wrap rendered segments in an envelope and check them with our own validator.

Pure: :class:`OutboundEnvelope` (ids and control numbers, chosen by the caller from the
partner profile and the store's counters) and a :class:`~gateway.outbound.render.Rendered`
body in, bytes out. Every interchange is parsed back and validated by the same engine
that checks inbound documents before it is returned; a finding raises
:class:`OutboundInvalid`, which names the segment, the element and the canonical fields
the segment was made from - a document that fails our own validation is never sent.
A value the engine cannot write at all (a delimiter inside an X12 element, a character
the partner's character set cannot carry) is refused the same way, located by writing
the body one segment, then one element, at a time. For a partner whose EDIFACT syntax
identifier is UNOA (upper case only) every value is written in capitals first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from gateway.edi.model import EdiPayload, Issue, Level, Syntax
from gateway.engines import (
    FUNCTIONAL_IDS,
    WRITE_ERRORS,
    Element,
    OutboundEnvelope,
    OutgoingDocument,
    SyntaxEngine,
    engine_for,
    parse_payload,
)
from gateway.outbound.render import OutboundInvalid, Rendered
from gateway.outbound.template import OutboundMap

__all__ = ["FUNCTIONAL_IDS", "OutboundEnvelope", "OutboundInvalid", "Written", "write"]

# the code on a finding the engine could not write (not a code any partner is sent)
_UNWRITABLE = "unwritable"


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


def _writes(engine: SyntaxEngine, document: OutgoingDocument, env: OutboundEnvelope) -> bool:
    try:
        engine.write(document, env)
    except WRITE_ERRORS:
        return False
    return True


def _unwritable(
    engine: SyntaxEngine, document: OutgoingDocument, env: OutboundEnvelope, error: Exception
) -> Issue:
    """Where in the body the engine refused ``error``: the first segment it cannot write
    alone, and in it the first element it cannot write alone (the others left empty).
    Found with the engine's own rules, so neither syntax's are repeated here; an error
    no body segment reproduces (an envelope value) is reported without a position."""
    if not _writes(engine, replace(document, segments=[]), env):
        return Issue(Level.INTERCHANGE, _UNWRITABLE, str(error))
    for position, (tag, elements) in enumerate(document.segments, 1):
        alone = replace(document, segments=[(tag, elements)])
        if _writes(engine, alone, env):
            continue
        element = next(
            (
                n
                for n in range(1, len(elements) + 1)
                if not _writes(engine, replace(alone, segments=[(tag, _only(elements, n))]), env)
            ),
            None,
        )
        return Issue(
            Level.ELEMENT if element else Level.SEGMENT,
            _UNWRITABLE,
            str(error),
            segment_tag=tag,
            segment_position=position + 1,  # after ST / UNH, as the validator counts
            element_position=element,
        )
    return Issue(Level.INTERCHANGE, _UNWRITABLE, str(error))


def _only(elements: Sequence[Element], n: int) -> list[Element]:
    """``elements`` with every one but the ``n``-th (1-based) left empty."""
    return [element if k == n else "" for k, element in enumerate(elements, 1)]


def _upper_case(
    segments: Sequence[tuple[str, Sequence[Element]]],
) -> list[tuple[str, Sequence[Element]]]:
    """Every value in capitals: level A (UNOA) has no lower case, and a partner that
    declares it expects Odoo's mixed-case names and notes written so, not refused."""
    return [
        (tag, [e.upper() if isinstance(e, str) else tuple(c.upper() for c in e) for e in elements])
        for tag, elements in segments
    ]


def write(map_: OutboundMap, rendered: Rendered, env: OutboundEnvelope) -> Written:
    """Envelope, serialize and validate; raises :class:`OutboundInvalid` on any finding,
    and when a value cannot be written in the map's syntax at all."""
    expected = Syntax(map_.syntax)
    engine = engine_for(expected)
    document = outgoing(map_, rendered)
    if env.edifact_syntax == "UNOA":  # an EDIFACT partner's level A (X12's never is)
        document = replace(document, segments=_upper_case(document.segments))
    try:
        data = engine.write(document, env)
    except WRITE_ERRORS as exc:
        issue = _unwritable(engine, document, env, exc)
        raise OutboundInvalid([_describe(issue, rendered, 1)]) from exc
    payload = parse_payload(data)
    problems = [_describe(i, rendered, 1) for i in _errors(payload)]
    if payload.syntax is not expected or len(payload.interchanges) != 1:
        problems.append(f"the written {map_.syntax} interchange does not parse back as one")
    if problems:
        raise OutboundInvalid(problems)
    return Written(data, payload, rendered, str(env.interchange_control))

"""Pick the engine for a payload: X12 or EDIFACT, detected from the content.

The pipeline, the CLI and the console call these functions and never import an engine
directly, so both syntaxes share one path.
"""

from __future__ import annotations

import dataclasses

from gateway.edi.model import EdiInterchange, EdiPayload, Issue, Level, Syntax

_BOM = b"\xef\xbb\xbf"
_EBCDIC_ISA = "ISA".encode("cp037")  # the X12 engine decodes EBCDIC interchanges itself
_WHITESPACE = b" \t\r\n\x00"


def detect_syntax(data: bytes) -> Syntax | None:
    """Return the syntax of a payload from its first meaningful bytes, or None.

    Tolerates a UTF-8 BOM and leading whitespace, as real partners send them.
    """
    head = data[:4096]
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    head = head.lstrip(_WHITESPACE)
    if head[:3] in (b"ISA", _EBCDIC_ISA):
        return Syntax.X12
    if head[:3] in (b"UNA", b"UNB"):
        return Syntax.EDIFACT
    return None


def _engine_parse(syntax: Syntax, data: bytes, keep_segments: bool = True) -> EdiPayload:
    if syntax is Syntax.X12:
        from gateway import x12

        return x12.parse_payload(data, keep_segments=keep_segments)
    from gateway import edifact

    return edifact.parse_payload(data, keep_segments=keep_segments)


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


def parse_payload(data: bytes, *, keep_segments: bool = True) -> EdiPayload:
    """Parse and validate a payload with the engine its content calls for.

    A file may hold interchanges of both syntaxes one after the other (a partner's
    "mailbag"): when one engine stops at data that starts an interchange of the other
    syntax, the rest is handed to the other engine. Never raises on bad partner data:
    what is wrong is in the returned issues. ``keep_segments=False`` validates as
    fully but does not keep the segments (the split stage needs only the envelopes).
    """
    syntax = detect_syntax(data)
    if syntax is None:
        return _damaged_header(data, keep_segments) or _not_edi(data)
    result = EdiPayload(syntax=syntax)
    pos = 0
    while syntax is not None:
        part = _engine_parse(syntax, data[pos:], keep_segments)
        result.encoding = part.encoding
        result.interchanges.extend(_shift(ic, pos) for ic in part.interchanges)
        consumed = max((ic.end for ic in part.interchanges), default=0)
        rest = data[pos + consumed :]
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


# Segment tags that show a payload is EDI even when its header is damaged
# (a corrupted "ISA" or "UNB" tag): the engine then reports the damage precisely.
_X12_MARKS = (b"\nGS", b"~GS", b"GS*", b"\nST*", b"~ST*")
_EDIFACT_MARKS = (b"UNH+", b"'UNH", b"UNB+", b"+UNOA", b"+UNOB", b"+UNOC", b"UNT+")


def _damaged_header(data: bytes, keep_segments: bool = True) -> EdiPayload | None:
    """Let an engine explain a payload whose first tag is damaged but is clearly EDI."""
    head = data[:8192]
    for syntax, marks in ((Syntax.EDIFACT, _EDIFACT_MARKS), (Syntax.X12, _X12_MARKS)):
        if any(m in head for m in marks):
            part = _engine_parse(syntax, data, keep_segments)
            if part.interchanges:
                return part
    return None


def _not_edi(data: bytes) -> EdiPayload:
    reason = (
        "empty payload"
        if not data.strip(_WHITESPACE)
        else ("not EDI: no ISA, UNA or UNB header at the start of the payload")
    )
    return EdiPayload(
        syntax=None,
        issues=[Issue(level=Level.FILE, code="not-edi", message=reason, byte_offset=0)],
    )

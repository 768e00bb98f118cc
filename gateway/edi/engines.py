"""Pick the engine for a payload: X12 or EDIFACT, detected from the content.

The pipeline, the CLI and the console call these functions and never import an engine
directly, so both syntaxes share one path.
"""

from __future__ import annotations

from gateway.edi.model import EdiPayload, Issue, Level, Syntax

_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n\x00"


def detect_syntax(data: bytes) -> Syntax | None:
    """Return the syntax of a payload from its first meaningful bytes, or None.

    Tolerates a UTF-8 BOM and leading whitespace, as real partners send them.
    """
    head = data[:4096]
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    head = head.lstrip(_WHITESPACE)
    if head[:3] == b"ISA":
        return Syntax.X12
    if head[:3] in (b"UNA", b"UNB"):
        return Syntax.EDIFACT
    return None


def parse_payload(data: bytes) -> EdiPayload:
    """Parse and validate a payload with the engine its content calls for.

    Never raises on bad partner data: what is wrong is in the returned issues.
    """
    syntax = detect_syntax(data)
    if syntax is Syntax.X12:
        from gateway import x12

        return x12.parse_payload(data)
    if syntax is Syntax.EDIFACT:
        from gateway import edifact

        return edifact.parse_payload(data)
    reason = "empty payload" if not data.strip(_WHITESPACE) else (
        "not EDI: no ISA, UNA or UNB header at the start of the payload"
    )
    return EdiPayload(
        syntax=None,
        issues=[Issue(level=Level.FILE, code="not-edi", message=reason, byte_offset=0)],
    )

"""EDIFACT engine: read, validate, acknowledge (CONTRL) and write UN/EDIFACT.

Pure code (sans-IO): bytes in, :mod:`gateway.edi` objects out, and back.

Public API (what the pipeline, CLI and console call):

* :func:`parse_payload` - every interchange in a payload, fully validated; never
  raises on bad data, findings are :class:`gateway.edi.Issue` with the CONTRL syntax
  error code (0085) in ``code``.
* :func:`iter_transactions` / :func:`read_payload` - the streaming reader (bounded
  memory on large files; an open file is read in chunks, not loaded whole).
* :func:`build_contrl` / :func:`read_contrl` - CONTRL out and in.
* :func:`write_interchange`, :class:`MessageBuilder`, :func:`make_segment`,
  :func:`write_segment` - the writer.

Exceptions (see :mod:`gateway.edifact.errors`)::

    EdifactError
    ├── EdifactDataError   their fault: carries the CONTRL code (never escapes parse_payload)
    └── EdifactWriteError  our fault: we asked the writer for something invalid

How the engine uses pydifact: not at run time. Measured on generated 20 MB EANCOM
files (bench/README.md, EDIFACT section), pydifact needs about 11x the CPU time of this reader
with full validation and about 10x its memory, and it has no message-structure
validation; what it would contribute (UNA, release characters, serializing) is a few
dozen lines here. The tests use pydifact as an independent parser of the CONTRL
messages this engine writes.

Unknown directories: a message whose directory has no spec here (D93A..D99B, D00A..)
is validated against the nearest of D96A/D01B, with directory-dependent findings
downgraded to warnings (see :mod:`gateway.edifact.validate`); message types without a
spec (IFTMIN, CONTRL, RECADV...) get the envelope checks only.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.edi.model import EdiInterchange, EdiPayload, EdiTransaction, Issue, Syntax
from gateway.edifact.contrl import build_contrl, read_contrl
from gateway.edifact.envelope import EdifactEnvelope
from gateway.edifact.errors import EdifactDataError, EdifactError, EdifactWriteError
from gateway.edifact.reader import read_payload
from gateway.edifact.segment import EdifactSegment, make_segment
from gateway.edifact.service_chars import DEFAULT_CHARS, ServiceChars, parse_una
from gateway.edifact.tokenizer import Data
from gateway.edifact.writer import MessageBuilder, write_interchange, write_segment

__all__ = [
    "DEFAULT_CHARS",
    "EdifactDataError",
    "EdifactEnvelope",
    "EdifactError",
    "EdifactSegment",
    "EdifactWriteError",
    "MessageBuilder",
    "ServiceChars",
    "build_contrl",
    "iter_transactions",
    "make_segment",
    "parse_payload",
    "parse_una",
    "read_contrl",
    "read_payload",
    "write_interchange",
    "write_segment",
]


def parse_payload(data: Data, *, keep_segments: bool = True) -> EdiPayload:
    """Parse and validate every interchange in ``data``. Never raises on bad data.

    ``keep_segments=False`` validates just as fully but leaves each message's
    ``segments`` empty, so a large payload is checked without holding it parsed.
    """
    payload = EdiPayload(syntax=Syntax.EDIFACT)
    for item in read_payload(data, keep_segments=keep_segments):
        if isinstance(item, EdiInterchange):
            payload.interchanges.append(item)
        elif isinstance(item, Issue):
            payload.issues.append(item)
    if payload.interchanges:
        env = payload.interchanges[0].envelope
        if isinstance(env, EdifactEnvelope):
            payload.encoding = env.codec
    elif not payload.issues:
        payload.syntax = None
    return payload


def iter_transactions(data: bytes, *, keep_segments: bool = False) -> Iterator[EdiTransaction]:
    """Yield each message as soon as it is read and validated (streaming, bounded memory).

    Envelope findings end up on the interchanges, which this generator does not
    return; use :func:`read_payload` to see those as well.
    """
    for item in read_payload(data, keep_segments=keep_segments):
        if isinstance(item, EdiTransaction):
            yield item

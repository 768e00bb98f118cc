"""Parse whole payloads and streams: tokenizer + envelope reader + set validators.

:func:`parse_payload` is the engine's entry point for the pipeline (everything kept,
every finding recorded); :func:`validate_stream` runs the same checks over a binary
stream of any size keeping no segments, and :func:`iter_segments` yields segments as
they are read. None of them raise on bad partner data.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from gateway.edi.model import EdiPayload, EdiTransaction, Issue, Level, Syntax
from gateway.x12.envelope import EnvelopeReader
from gateway.x12.segment import X12Segment
from gateway.x12.tokenizer import CHUNK_SIZE, InterchangeStart, Tokenizer


def parse_payload(data: bytes | mmap.mmap, *, keep_segments: bool = True) -> EdiPayload:
    """Parse and validate every interchange in ``data``; findings become issues.

    Text is decoded as latin-1 (one character per byte, so offsets are byte offsets);
    EBCDIC payloads are recognised from their first bytes and decoded as cp037.
    ``keep_segments=False`` validates just as fully but leaves each transaction's
    ``segments`` empty, so a large payload is checked without holding it parsed.
    ``data`` may be a read-only map of a file: it is read a chunk at a time.
    """
    # fed in slices so that only one slice's tokens exist at a time (the segments kept
    # in the result share the decoded text; the token tuples do not pile up)
    tokenizer = Tokenizer()
    reader = EnvelopeReader(keep_segments=keep_segments)
    for start in range(0, len(data), CHUNK_SIZE):
        reader.feed(tokenizer.feed(data[start : start + CHUNK_SIZE]))
    reader.feed(tokenizer.close())
    reader.finish()
    encoding = tokenizer.encoding
    payload = EdiPayload(
        syntax=Syntax.X12,
        interchanges=reader.interchanges,
        issues=reader.file_issues,
        encoding=encoding,
    )
    _check_last_terminator(payload, len(data))
    if not reader.interchanges:
        payload.syntax = None
        if not payload.issues:
            payload.issues.append(
                Issue(
                    level=Level.FILE,
                    code="not-x12",
                    message="no ISA interchange header found",
                    byte_offset=0,
                )
            )
    return payload


def _check_last_terminator(payload: EdiPayload, size: int) -> None:
    """The last segment of a file may lack its terminator (a layout some partners send,
    accepted as is): the interchange then ends at the end of the file, not one byte past
    it, and a file-level note records it (kept with the split event, no effect on acks)."""
    for ix in payload.interchanges:
        if ix.end > size:
            ix.end = size
            payload.issues.append(
                Issue(
                    level=Level.FILE,
                    code="no-final-terminator",
                    message="the last segment has no segment terminator",
                    fatal=False,
                    segment_tag="IEA",
                    byte_offset=size,
                )
            )


@dataclass(slots=True)
class StreamSummary:
    """What :func:`validate_stream` found, without keeping the segments."""

    interchanges: int = 0
    groups: int = 0
    transactions: int = 0
    segments: int = 0
    bytes_read: int = 0
    rejected_transactions: int = 0
    issues: list[Issue] = field(default_factory=list)  # capped at ``max_issues``
    issue_count: int = 0


def validate_stream(
    stream: BinaryIO, *, chunk_size: int = CHUNK_SIZE, validate: bool = True, max_issues: int = 1000
) -> StreamSummary:
    """Read, envelope-check and (with ``validate``) spec-check a stream in chunks.

    Memory stays bounded by one chunk plus the envelope skeleton (interchanges and
    groups with their transactions' headers, no segments).
    """
    summary = StreamSummary()

    def on_transaction(tx: EdiTransaction) -> None:
        summary.transactions += 1
        if tx.status.value == "rejected":
            summary.rejected_transactions += 1
        _collect(summary, tx.issues, max_issues)
        tx.issues = tx.issues[:5]

    reader = EnvelopeReader(keep_segments=False, validate=validate, on_transaction=on_transaction)
    tokenizer = Tokenizer()
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        summary.bytes_read += len(chunk)
        tokens = tokenizer.feed(chunk)
        summary.segments += len(tokens)
        reader.feed(tokens)
        _drain(reader, summary, max_issues)
    tokens = tokenizer.close()
    summary.segments += len(tokens)
    reader.feed(tokens)
    reader.finish()
    _drain(reader, summary, max_issues)
    _collect(summary, reader.file_issues, max_issues)
    return summary


def _drain(reader: EnvelopeReader, summary: StreamSummary, max_issues: int) -> None:
    # Finished interchanges are counted and dropped so memory does not grow with them.
    for ix in reader.interchanges:
        summary.interchanges += 1
        summary.groups += len(ix.groups)
        _collect(summary, ix.issues, max_issues)
        for group in ix.groups:
            _collect(summary, group.issues, max_issues)
    reader.interchanges.clear()


def _collect(summary: StreamSummary, issues: list[Issue], max_issues: int) -> None:
    summary.issue_count += len(issues)
    room = max_issues - len(summary.issues)
    if room > 0:
        summary.issues.extend(issues[:room])


def iter_segments(
    stream: BinaryIO, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[tuple[int, X12Segment]]:
    """Yield ``(byte offset, segment)`` for every segment of a stream, ISA included.

    Segments are split with their own interchange's delimiters; positions are not
    numbered here (0), as they belong to transaction sets (see :func:`parse_payload`).
    """
    tokenizer = Tokenizer()
    elem, comp, rep = "*", ">", None
    while True:
        chunk = stream.read(chunk_size)
        final = not chunk
        for token in tokenizer.close() if final else tokenizer.feed(chunk):
            if type(token) is tuple:
                offset, text = token
                yield offset, X12Segment(text, 0, comp, rep, elem)
            elif isinstance(token, InterchangeStart):
                d = token.header.delimiters
                elem, comp, rep = d.element, d.component, d.repetition
                yield (
                    token.header.start,
                    X12Segment.of(["ISA", *token.header.elements], 0, None, None, elem),
                )
        if final:
            break

"""An X12 interchange kept as a compact record plus its stored bytes (parse once).

The pipeline parses a payload once, at split, and keeps what it found in database rows
(interchange, groups and transactions with their byte offsets and findings). What the
acknowledgement writer and the translation need beyond those rows is small, and
:func:`envelope_record` keeps it as JSON: the ISA as sent with its delimiters, the
payload's text encoding, each group's GS04/GS05 date and time and GE trailer, and each
set's ST03. :func:`restore` puts that back on an interchange rebuilt from the rows, and
:func:`read_segments` reads one transaction set from its bytes alone with the
interchange's delimiters: no second validation (split validated it), no other set read.

Pure, like the rest of the engine: bytes (or a read-only map of the file) in, segments
out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.edi.model import EdiInterchange, EdiTransaction
from gateway.edi.stored import Record, dates_record, restore_dates
from gateway.x12.envelope import X12Envelope, envelope_of
from gateway.x12.isa import WHITESPACE, Delimiters
from gateway.x12.segment import X12Segment, X12View
from gateway.x12.tokenizer import _uniform, detect_encoding


@dataclass(slots=True)
class StoredEnvelope(X12Envelope):
    """An envelope restored from its record, with the text encoding of its bytes."""

    encoding: str = "latin-1"


def envelope_record(interchange: EdiInterchange, head: bytes) -> Record:
    """What an interchange's rows do not hold; ``head`` is the payload's first bytes
    from the ISA on (the text encoding is told from them, as the tokenizer does)."""
    env = envelope_of(interchange)
    d = env.delimiters
    record: Record = {
        "isa": list(env.isa),
        "delimiters": [d.element, d.component, d.segment, d.repetition, d.suffix],
        "encoding": detect_encoding(head[:64]),
        **dates_record(interchange),
    }
    for group, ge in zip(record["groups"], env.ge, strict=False):
        group["ge"] = list(ge) if ge is not None else None
    references = {
        str(tx.start - interchange.start): tx.implementation_reference
        for tx in interchange.transactions
        if tx.implementation_reference is not None
    }
    if references:
        record["references"] = references
    return record


def restore(interchange: EdiInterchange, record: Record) -> None:
    """Put a record back on an interchange rebuilt from its rows (groups and
    transactions in order, offsets as stored)."""
    element, component, segment, repetition, suffix = record["delimiters"]
    env = StoredEnvelope(
        delimiters=Delimiters(element, component, segment, repetition, suffix),
        isa=tuple(record["isa"]),
        encoding=record["encoding"],
    )
    interchange.envelope = env
    restore_dates(interchange, record)
    for stored in record["groups"][: len(interchange.groups)]:
        ge = stored["ge"]
        env.ge.append(tuple(ge) if ge is not None else None)
    references: dict[str, str] = record.get("references", {})
    if references:
        for tx in interchange.transactions:
            tx.implementation_reference = references.get(str(tx.start - interchange.start))


def read_segments(
    data: bytes | Any,
    interchange: EdiInterchange,
    transaction: EdiTransaction,
    *,
    split: bool = False,
) -> list[X12Segment] | list[X12View]:
    """The segments of one set (ST..SE), read from ``data[start:end]`` alone.

    Split as the tokenizer splits (terminator, line breaks and indentation around it,
    a CR before an LF terminator) and numbered as the envelope reader numbers them.
    ``split``: as :class:`X12View` objects, elements split once, for a reader of most
    elements (the translation), without building the compact segments first.
    """
    env = envelope_of(interchange)
    if not isinstance(env, StoredEnvelope):
        raise TypeError("read_segments needs an interchange restored from its record")
    d = env.delimiters
    text = bytes(data[transaction.start : transaction.end]).decode(env.encoding)
    elem = d.element
    comp = d.component if d.component != d.segment else None
    rep = d.repetition
    texts = _uniform_texts(text, d.segment, d.suffix)
    if texts is None:  # the careful split, segment by segment
        strip_cr = d.segment == "\n"
        texts = []
        for piece in text.split(d.segment):
            segment = piece.lstrip(WHITESPACE) if piece[:1] in WHITESPACE else piece
            if not segment:
                continue
            if strip_cr and segment[-1:] == "\r":
                segment = segment[:-1]
            texts.append(segment)
    if split:
        return X12View.split_all(texts, elem, comp, rep)
    return [X12Segment(t, n, comp, rep, elem) for n, t in enumerate(texts, 1)]


def _uniform_texts(text: str, term: str, suffix: str) -> list[str] | None:
    """The segment texts of ``text`` in one split when every terminator carries the
    partner's usual line break and nothing is indented or empty (the tokenizer's own
    test for its fast path); None when the careful split is needed. Same texts as the
    careful split gives for such a set."""
    if not suffix or term in WHITESPACE:
        return None
    body = text.rstrip(WHITESPACE)
    if not body.endswith(term):
        return None
    sep = term + suffix
    chunk = body + suffix
    if not _uniform(chunk, term, sep):
        return None
    texts = chunk.split(sep)
    texts.pop()  # empty: the chunk ends with a terminator
    return texts

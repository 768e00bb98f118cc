"""An EDIFACT interchange kept as a compact record plus its stored bytes (parse once).

The counterpart of :mod:`gateway.x12.stored`: the pipeline parses a payload once, at
split, and keeps interchanges, groups and messages as rows. :func:`envelope_record`
keeps what the CONTRL writer and the translation need beyond those rows (the service
characters, syntax identifier and UNB parties as sent, group dates, and a message's
UNH S009 where it is not the plain ``type:version:release:UN`` the rows tell);
:func:`restore` puts it back on an interchange rebuilt from the rows, and
:func:`read_segments` reads one message from its bytes alone, cut and decoded as the
reader does, without validating it again.
"""

from __future__ import annotations

from gateway.edi.model import EdiInterchange, EdiTransaction
from gateway.edi.stored import Record, dates_record, restore_dates
from gateway.edifact.charset import Decoder
from gateway.edifact.envelope import EdifactEnvelope
from gateway.edifact.segment import EdifactSegment
from gateway.edifact.service_chars import ServiceChars, codec_for
from gateway.edifact.tokenizer import Data, scan_segments, split_segment

_HEADER_WINDOW = 1024  # a UNH is short: read this much of a message to find its end


def _envelope(interchange: EdiInterchange) -> EdifactEnvelope:
    env = interchange.envelope
    if not isinstance(env, EdifactEnvelope):
        raise TypeError("not an interchange read by gateway.edifact")
    return env


def _plain_id(set_id: str, version: str) -> list[str]:
    """The S009 a message's row tells: what the CONTRL writer falls back to."""
    return [set_id, version[:1], version[1:], "UN"]


def _unh_id(data: Data, tx: EdiTransaction, chars: ServiceChars, codec: str) -> list[str]:
    """UNH S009 (message identifier) components as sent, read from the message's first
    bytes (its whole bytes in the rare case the UNH is longer than the first window)."""
    for window in (min(tx.end, tx.start + _HEADER_WINDOW), tx.end):
        piece = bytes(data[tx.start : window])
        for _off, _end, raw, terminated in scan_segments(piece, 0, chars):
            if not terminated and window < tx.end:
                break  # cut off by the window: read the whole message
            text = Decoder(codec, [])(raw, tx.start)
            _tag, elements = split_segment(text, chars)
            return list(elements[1][0]) if len(elements) > 1 and elements[1] else []
    return []


def envelope_record(interchange: EdiInterchange, data: Data, versions: list[str]) -> Record:
    """What an interchange's rows do not hold. ``data`` is the payload (to read each
    message's UNH, which split does not keep) and ``versions`` the version its message
    rows record, in order."""
    env = _envelope(interchange)
    c = env.chars
    codec = codec_for(env.syntax_id) or "iso-8859-1"
    record: Record = {
        "chars": [c.component, c.element, c.decimal, c.release, c.repetition, c.terminator],
        "una": env.una,
        "syntax_id": env.syntax_id,
        "syntax_version": env.syntax_version,
        "codec": env.codec,
        "sender": list(env.sender),
        "recipient": list(env.recipient),
        "application_reference": env.application_reference,
        "recipient_reference": env.recipient_reference,
        "agreement_id": env.agreement_id,
        "sender_id": interchange.sender_id,
        "receiver_id": interchange.receiver_id,
        **dates_record(interchange),
    }
    identifiers: dict[str, list[str]] = {}
    for tx, version in zip(interchange.transactions, versions, strict=True):
        sent = _unh_id(data, tx, c, codec)
        if sent != _plain_id(tx.set_id, version):
            identifiers[str(tx.start - interchange.start)] = sent
    if identifiers:
        record["identifiers"] = identifiers
    return record


def restore(interchange: EdiInterchange, record: Record) -> None:
    """Put a record back on an interchange rebuilt from its rows.

    A message whose UNH S009 differs from what its row tells gets that UNH as its only
    segment, which is what the CONTRL writer echoes in UCM.
    """
    component, element, decimal, release, repetition, terminator = record["chars"]
    chars = ServiceChars(component, element, decimal, release, repetition, terminator)
    interchange.envelope = EdifactEnvelope(
        chars=chars,
        una=record["una"],
        syntax_id=record["syntax_id"],
        syntax_version=record["syntax_version"],
        codec=record["codec"],
        sender=tuple(record["sender"]),
        recipient=tuple(record["recipient"]),
        application_reference=record["application_reference"],
        recipient_reference=record["recipient_reference"],
        agreement_id=record["agreement_id"],
    )
    interchange.sender_id = record["sender_id"]
    interchange.receiver_id = record["receiver_id"]
    restore_dates(interchange, record)
    identifiers: dict[str, list[str]] = record.get("identifiers", {})
    if identifiers:
        for tx in interchange.transactions:
            sent = identifiers.get(str(tx.start - interchange.start))
            if sent is not None:
                elements = (((tx.control_number,),), (tuple(sent),))
                tx.segments = (EdifactSegment("UNH", elements, 1, tx.start),)


def read_segments(
    data: Data, interchange: EdiInterchange, transaction: EdiTransaction
) -> list[EdifactSegment]:
    """The segments of one message (UNH..UNT), read from ``data[start:end]`` alone.

    Cut, decoded and numbered as :mod:`gateway.edifact.reader` does (UNH = 1); offsets
    are payload offsets. Data segments are split when first read, as the reader keeps
    the valid ones.
    """
    env = _envelope(interchange)
    chars = env.chars
    decode = Decoder(codec_for(env.syntax_id) or "iso-8859-1", [])
    identity = decode.identity
    elem = chars.element
    base = transaction.start
    piece = bytes(data[base : transaction.end])
    out: list[EdifactSegment] = []
    for off, _end, raw, _terminated in scan_segments(piece, 0, chars):
        text = raw if identity else decode(raw, off + base)
        tag = text[:3]
        if len(text) > 3 and text[3] != elem:
            tag = split_segment(text, chars)[0]
        position = len(out) + 1
        if tag[:2] != "UN" or tag == "UNS":
            out.append(EdifactSegment(tag, None, position, off + base, raw=text, chars=chars))
        else:
            tag, elements = split_segment(text, chars)
            out.append(EdifactSegment(tag, elements, position, off + base))
    return out

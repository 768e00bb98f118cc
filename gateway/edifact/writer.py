"""Write EDIFACT: segments, messages and whole interchanges with given service characters.

The writer is the inverse of the reader: ``parse_payload(write_interchange(...))``
gives back the same segments. Values are released (escaped) as needed, and the text
is encoded in the character set the syntax identifier names; a value that charset
cannot represent is our fault (:class:`EdifactWriteError`), never sent half-written.
So is a character outside the syntax level's repertoire (lower case or ``@`` under
UNOA, ``{`` under UNOB) and a control character under any syntax identifier: a line
break or tab in data is not EDIFACT, and the reader drops line breaks as formatting.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gateway.edifact.errors import EdifactWriteError
from gateway.edifact.segment import EdifactSegment, Element, make_segment
from gateway.edifact.service_chars import (
    DEFAULT_CHARS,
    ServiceChars,
    codec_for,
    invalid_data_chars,
)
from gateway.edifact.tokenizer import escape


def _trim(element: Element) -> Element:
    reps = []
    for rep in element:
        comps = list(rep)
        while len(comps) > 1 and comps[-1] == "":
            comps.pop()
        reps.append(tuple(comps))
    return tuple(reps)


def write_segment(
    seg: EdifactSegment, chars: ServiceChars = DEFAULT_CHARS, *, trim: bool = True
) -> str:
    """Return one segment as text including its terminator.

    ``trim`` drops trailing empty components and elements (which ISO 9735 forbids).
    """
    if len(seg.tag) != 3 or not seg.tag.isalnum():
        raise EdifactWriteError(f"segment tag must be 3 letters or digits, got {seg.tag!r}")
    elements = [(_trim(el) if trim else el) for el in seg.elements]
    if trim:
        while elements and all(c == "" for rep in elements[-1] for c in rep):
            elements.pop()
    if chars.repetition is None and any(len(el) > 1 for el in elements):
        raise EdifactWriteError(
            f"{seg.tag}: repeated data elements need a repetition separator (syntax 4)"
        )
    rep_sep = chars.repetition or ""
    parts = [seg.tag]
    for el in elements:
        parts.append(
            rep_sep.join(chars.component.join(escape(c, chars) for c in rep) for rep in el)
        )
    term = "\n" if chars.newline_terminated else chars.terminator
    return chars.element.join(parts) + term


def _refuse_invalid(seg: EdifactSegment, invalid: re.Pattern[str], syntax_id: str) -> None:
    """Raise :class:`EdifactWriteError` naming the first value with a character that
    ``invalid`` finds (elements count from 1 after the tag, as in issues)."""
    if (
        invalid.search("".join(v for element in seg.elements for rep in element for v in rep))
        is None
    ):
        return  # the usual case: one scan per segment
    for ei, element in enumerate(seg.elements, 1):
        for rep in element:
            for ci, value in enumerate(rep, 1):
                found = invalid.search(value)
                if found is not None:
                    where = f"{seg.tag} element {ei}" + (f" component {ci}" if len(rep) > 1 else "")
                    raise EdifactWriteError(
                        f"{where}: {found.group()!r} is not in the {syntax_id} character repertoire"
                    )


@dataclass
class MessageBuilder:
    """Collect the segments of one message; :meth:`segments` adds UNH and UNT.

    >>> m = MessageBuilder("ORDERS", "1", release="96A", association="EAN008")
    >>> m.add("BGM", "220", "PO123", "9")
    """

    message_type: str
    reference: str
    version: str = "D"
    release: str = "96A"
    agency: str = "UN"
    association: str = ""
    body: list[EdifactSegment] = field(default_factory=list)

    def add(self, tag: str, *elements: str | tuple[str, ...] | list[tuple[str, ...]]) -> None:
        """Append a segment: strings are simple elements, tuples composites."""
        self.body.append(make_segment(tag, *elements))

    def extend(self, segments: Iterable[EdifactSegment]) -> None:
        """Append ready-made segments."""
        self.body.extend(segments)

    def segments(self) -> list[EdifactSegment]:
        """Return UNH, the body and a UNT with the right count."""
        s009: tuple[str, ...] = (self.message_type, self.version, self.release, self.agency)
        if self.association:
            s009 = (*s009, self.association)
        unh = make_segment("UNH", self.reference, s009)
        unt = make_segment("UNT", str(len(self.body) + 2), self.reference)
        return [unh, *self.body, unt]


def write_interchange(
    messages: Sequence[Sequence[EdifactSegment] | MessageBuilder],
    *,
    sender: str | tuple[str, ...],
    recipient: str | tuple[str, ...],
    control_reference: str,
    chars: ServiceChars = DEFAULT_CHARS,
    syntax_id: str = "UNOC",
    syntax_version: str = "3",
    una: bool = True,
    when: _dt.datetime | None = None,
    application_reference: str = "",
    ack_requested: bool = False,
    test: bool = False,
    line_breaks: bool = False,
) -> bytes:
    """Write one UNB..UNZ interchange holding ``messages`` (each UNH..UNT).

    ``sender``/``recipient`` are an id or (id, qualifier[, routing]) tuples.
    ``line_breaks`` adds CRLF after each terminator for people reading the file;
    the reader treats them as formatting.
    """
    codec = codec_for(syntax_id)
    if codec is None:
        raise EdifactWriteError(f"unknown syntax identifier {syntax_id!r}")
    if syntax_version < "4" and chars.repetition is not None:
        chars = chars.with_repetition(None)
    write_una = una or chars != DEFAULT_CHARS
    if syntax_version >= "4" and not write_una:
        # without UNA a syntax 4 reader applies the default repetition separator '*'
        # (see effective_chars): release it in data, or it splits the value
        chars = chars.with_repetition("*")
    when = when or _dt.datetime.now(_dt.UTC)
    date = when.strftime("%Y%m%d" if syntax_version >= "4" else "%y%m%d")
    unb = make_segment(
        "UNB",
        (syntax_id, syntax_version),
        (sender,) if isinstance(sender, str) else sender,
        (recipient,) if isinstance(recipient, str) else recipient,
        (date, when.strftime("%H%M")),
        control_reference,
        "",
        application_reference,
        "",
        "1" if ack_requested else "",
        "",
        "1" if test else "",
    )
    nl = "\r\n" if line_breaks and not chars.newline_terminated else ""
    invalid = invalid_data_chars(syntax_id, syntax_version)

    def line(seg: EdifactSegment) -> str:
        _refuse_invalid(seg, invalid, syntax_id)
        return write_segment(seg, chars) + nl

    out: list[str] = []
    if write_una:
        out.append(chars.una() + nl)
    out.append(line(unb))
    for message in messages:
        segs = message.segments() if isinstance(message, MessageBuilder) else message
        out.extend(line(seg) for seg in segs)
    out.append(line(make_segment("UNZ", str(len(messages)), control_reference)))
    text = "".join(out)
    try:
        return text.encode(codec)
    except UnicodeEncodeError as exc:
        raise EdifactWriteError(
            f"text cannot be written in {syntax_id} ({codec}): {exc.object[exc.start : exc.end]!r}"
        ) from exc

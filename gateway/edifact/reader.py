"""Read EDIFACT payloads: interchanges, groups and messages, with envelope checks.

The reader is a generator over one payload. It yields each message
(:class:`gateway.edi.EdiTransaction`) as soon as its UNT is read and each interchange
(:class:`gateway.edi.EdiInterchange`) when its UNZ is read (or the data ends), so a
caller that does not keep segments (``keep_segments=False``) reads files of any size
in bounded memory. :func:`gateway.edifact.parse_payload` keeps everything.

Envelope checks (CONTRL 0085 codes): UNA service characters (20), UNB syntax
identifier and version (2, 46), mandatory UNB data (13), UNT segment count (29) and
reference (28), UNE and UNZ counts (29) and references (28), missing UNT/UNE/UNZ
(13), duplicate message references (26), groups and bare messages mixed (30), empty
interchange (32), data outside a message (33), declared character set violated (21),
service element sizes of UNB/UNG/UNE/UNH/UNT/UNZ (39/40) and UNB/UNG dates and times
that name no day or time (12, a warning) (:mod:`gateway.edifact.service_segments`).
"""

from __future__ import annotations

import io
import mmap
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

from gateway.edi.model import (
    EdiGroup,
    EdiInterchange,
    EdiTransaction,
    Issue,
    Level,
    Syntax,
)
from gateway.edi.numbers import equals_count
from gateway.edifact import codes
from gateway.edifact.charset import Decoder
from gateway.edifact.envelope import EdifactEnvelope
from gateway.edifact.errors import EdifactDataError
from gateway.edifact.segment import EdifactSegment
from gateway.edifact.service_chars import (
    DEFAULT_CHARS,
    UNOB_DEFAULT_CHARS,
    ServiceChars,
    codec_for,
    effective_chars,
    parse_una,
)
from gateway.edifact.service_segments import date_time_findings, size_findings
from gateway.edifact.specs.model import find_message_spec
from gateway.edifact.tokenizer import CHUNK, Data, scan_segments, split_segment
from gateway.edifact.validate import MessageValidator

BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\n\x00"
_MAX_ENVELOPE_ISSUES = 100
MAX_MESSAGE_SEGMENTS = 999_999  # the largest segment count UNT (n..6) can state
# A damaged UNB tag ("NB+UNOB:1+..."): still clearly an interchange header.
_DAMAGED_UNB = re.compile(rb"[A-Z0-9]{0,3}([+\x1d])UNO[A-Z]")
_NEWLINE_NEXT = re.compile(rb"(?:\r?\n)+[A-Z]{3}\+")

ReadItem = EdiTransaction | EdiInterchange | Issue


def read_payload(
    data: bytes | mmap.mmap | BinaryIO, *, keep_segments: bool = True, validate: bool = True
) -> Iterator[ReadItem]:
    """Yield transactions, interchanges and file-level issues in payload order.

    Never raises on bad data. ``validate=False`` skips message-spec validation
    (envelope checks still run). ``data`` may be an open binary file: it is then read
    in chunks as the segments are scanned (memory-mapped, each chunk released once
    decoded), so with ``keep_segments=False`` a file of any size is read in bounded
    memory, as :func:`gateway.x12.validate_stream` reads X12.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        yield from _read(
            bytes(data) if not isinstance(data, bytes) else data, keep_segments, validate
        )
        return
    if isinstance(data, mmap.mmap):  # a map the caller holds (the pipeline's payload store)
        yield from _read(data, keep_segments, validate)
        return
    mapped, spool = _map(data)
    try:
        yield from _read(mapped, keep_segments, validate)
    finally:
        if isinstance(mapped, mmap.mmap):
            mapped.close()
        if spool is not None:
            spool.close()


def _map(stream: BinaryIO) -> tuple[Data, BinaryIO | None]:
    """A read-only map of the stream's file; a stream that is not a regular file (a
    pipe, a socket, an upload) is first spooled to a temporary file in chunks, so
    memory never holds the whole payload either way. Also returns the spool to close."""
    spool: BinaryIO | None = None
    try:
        fileno = stream.fileno()
        mappable = stream.seekable() and stream.tell() == 0 and os.fstat(fileno).st_size > 0
    except (OSError, ValueError, io.UnsupportedOperation):
        mappable = False
    if not mappable:
        spool = tempfile.TemporaryFile()  # noqa: SIM115  (closed by read_payload)
        shutil.copyfileobj(stream, spool, CHUNK)
        spool.flush()
        if spool.tell() == 0:
            spool.close()
            return b"", None
        fileno = spool.fileno()
    return mmap.mmap(fileno, 0, access=mmap.ACCESS_READ), spool


def _read(data: Data, keep_segments: bool, validate: bool) -> Iterator[ReadItem]:
    n = len(data)
    pos = len(BOM) if data[: len(BOM)] == BOM else 0
    while True:
        while pos < n and data[pos] in _WS:
            pos += 1
        if pos >= n:
            return
        head = data[pos : pos + 3]
        damaged = None
        if head not in (b"UNA", b"UNB"):
            damaged = _DAMAGED_UNB.match(data, pos, min(n, pos + 12))
            if damaged is None:
                found = data[pos : pos + 12].decode("latin-1")
                yield Issue(
                    level=Level.FILE,
                    code=codes.INVALID_OCCURRENCE_OUTSIDE_MESSAGE,
                    message=f"expected UNA or UNB at byte {pos}, found {found!r}",
                    byte_offset=pos,
                )
                return
        reader = _InterchangeReader(data, pos, keep_segments, validate, damaged is not None)
        yield from reader.run()
        if reader.next_offset <= pos:  # defensive: never loop on the same bytes
            return
        pos = reader.next_offset


def _no_segment(tag: str, text: str, position: int, offset: int) -> bool:
    """Placeholder until a message with a spec is open."""
    return True


class _InterchangeReader:
    """Reads one interchange starting at ``start`` (its UNA or UNB)."""

    def __init__(
        self, data: Data, start: int, keep: bool, validate: bool, damaged_tag: bool
    ) -> None:
        self.data = data
        self.start = start
        self.keep = keep
        self.validate = validate
        self.damaged_tag = damaged_tag
        self.next_offset = len(data)
        self.issues: list[Issue] = []
        self.syntax_version = "3"  # UNB S001 0002, once read: the service layouts' version

    # -- helpers ---------------------------------------------------------------------

    def _une_missing(self, group: EdiGroup, offset: int) -> None:
        """A group still open when the next UNG or the UNZ comes."""
        self._issue(
            codes.MISSING,
            f"group {group.control_number}: UNE missing",
            level=Level.GROUP,
            offset=offset,
            tag="UNE",
            target=group.issues,
        )

    def _service(
        self,
        seg: EdifactSegment,
        *,
        level: Level,
        target: list[Issue],
        dates: bool = False,
    ) -> None:
        """Check a service segment's element sizes (39/40, fatal) and, for UNB/UNG
        (``dates``), its S004 date and time (12, a warning as the date has always been).

        Issues of a UNH/UNT (``level`` ELEMENT) carry the segment's position in the
        message, as the spec validator's do, so that CONTRL names them in UCS/UCD.
        """
        found = size_findings(seg, self.syntax_version)
        if dates:
            found += date_time_findings(seg, 4)
        for f in found:
            if len(target) >= _MAX_ENVELOPE_ISSUES:
                return
            target.append(
                Issue(
                    level=level,
                    code=f.code,
                    message=f.message,
                    fatal=f.code != codes.INVALID_VALUE,
                    segment_tag=seg.tag,
                    segment_position=seg.position if level is Level.ELEMENT else None,
                    element_position=f.element,
                    component_position=f.component,
                    element_reference=f.ref,
                    byte_offset=seg.offset,
                    bad_value=f.value[:35],
                )
            )

    def _issue(
        self,
        code: str,
        message: str,
        *,
        level: Level = Level.INTERCHANGE,
        offset: int | None = None,
        tag: str | None = None,
        element: int | None = None,
        fatal: bool = True,
        target: list[Issue] | None = None,
    ) -> None:
        issues = self.issues if target is None else target
        if len(issues) >= _MAX_ENVELOPE_ISSUES:
            return
        issues.append(
            Issue(
                level=level,
                code=code,
                message=message,
                fatal=fatal,
                segment_tag=tag,
                element_position=element,
                byte_offset=offset,
            )
        )

    def _chars(self) -> tuple[ServiceChars, bool, int]:
        """Work out the service characters; return them, whether UNA, and UNB offset."""
        data, pos = self.data, self.start
        if data[pos : pos + 3] == b"UNA":
            una = data[pos : pos + 9].decode("latin-1")
            try:
                chars = parse_una(una)
            except EdifactDataError as exc:
                raise EdifactDataError(str(exc), code=exc.code, byte_offset=pos) from exc
            unb = pos + 9
            while unb < len(data) and data[unb] in _WS and chr(data[unb]) != chars.terminator:
                unb += 1
            return chars, True, unb
        if self.damaged_tag:
            match = _DAMAGED_UNB.match(data, pos)
            sep = match.group(1) if match else b"+"
        else:
            sep = data[pos + 3 : pos + 4]
        if sep == b"\x1d":
            return UNOB_DEFAULT_CHARS, False, pos
        line_end = data.find(b"\n", pos, pos + 4096)
        if (
            line_end > 0
            and b"'" not in data[pos:line_end]
            and _NEWLINE_NEXT.match(data, line_end - (data[line_end - 1] == 13))
        ):
            # No apostrophe on the UNB line and the next line is a segment: the
            # partner terminates segments with line breaks.
            return ServiceChars(terminator="\n"), False, pos
        return DEFAULT_CHARS, False, pos

    # -- the interchange -------------------------------------------------------------

    def run(self) -> Iterator[ReadItem]:
        try:
            chars, una, unb_at = self._chars()
        except EdifactDataError as exc:
            yield Issue(
                level=Level.FILE,
                code=exc.code,
                message=f"unusable UNA service string advice: {exc}",
                byte_offset=exc.byte_offset,
            )
            self.next_offset = len(self.data)
            return
        scanner = scan_segments(self.data, unb_at, chars, chunk=1 << 16)
        first = next(scanner, None)
        if first is None:
            yield Issue(
                level=Level.FILE,
                code=codes.MISSING,
                message=f"UNA at byte {self.start} is not followed by a UNB",
                byte_offset=self.start,
            )
            return
        off, end, raw, _ = first
        tag, elements = split_segment(raw, chars)
        unb = EdifactSegment(tag, elements, 0, off)
        if tag != "UNB":
            self._issue(
                codes.MISSING,
                f"interchange header damaged: segment tag {tag[:20]!r} where UNB is required",
                offset=off,
                tag="UNB",
            )
        syntax_id = unb.value(1, 1).upper()
        version = unb.value(1, 2)
        codec = codec_for(syntax_id)
        if codec is None:
            self._issue(
                codes.CHARACTER_SET_NOT_SUPPORTED,
                f"unknown syntax identifier {syntax_id!r}; text read as ISO-8859-1",
                offset=off,
                tag="UNB",
                element=1,
                fatal=False,
            )
            codec = "iso-8859-1"
        if not version:
            version = "4" if chars.repetition else "3"
            self._issue(
                codes.MISSING,
                f"syntax version number (S001 0002) missing; read as version {version}",
                offset=off,
                tag="UNB",
                element=1,
                fatal=False,
            )
        elif version not in ("1", "2", "3", "4"):
            self._issue(
                codes.SYNTAX_VERSION_NOT_SUPPORTED,
                f"syntax version {version!r} is not supported",
                offset=off,
                tag="UNB",
                element=1,
            )
        chars = effective_chars(chars, version, from_una=una)
        decode = Decoder(codec, self.issues)
        if not raw.isascii():
            unb_text = decode(raw, off)
            tag, elements = split_segment(unb_text, chars)
            unb = EdifactSegment("UNB", elements, 0, off)
        sender = unb.components(2)
        recipient = unb.components(3)
        for element, name in (
            (2, "sender (S002)"),
            (3, "recipient (S003)"),
            (4, "date and time (S004)"),
            (5, "control reference (0020)"),
        ):
            if not unb.value(element):
                self._issue(
                    codes.MISSING, f"UNB {name} is missing", offset=off, tag="UNB", element=element
                )
        reference = unb.value(5)
        self.syntax_version = version
        self._service(unb, level=Level.INTERCHANGE, target=self.issues, dates=True)
        date, time = unb.value(4, 1), unb.value(4, 2)
        envelope = EdifactEnvelope(
            chars=chars,
            una=una,
            syntax_id=syntax_id,
            syntax_version=version,
            codec=codec,
            sender=sender,
            recipient=recipient,
            application_reference=unb.value(7),
            recipient_reference=unb.value(6, 1),
            agreement_id=unb.value(10),
        )
        ix = EdiInterchange(
            syntax=Syntax.EDIFACT,
            sender_qualifier=unb.value(2, 2),
            sender_id=unb.value(2, 1),
            receiver_qualifier=unb.value(3, 2),
            receiver_id=unb.value(3, 1),
            control_number=reference,
            version=f"{unb.value(1, 1)}:{unb.value(1, 2)}" if unb.value(1, 2) else syntax_id,
            test=unb.value(11) == "1",
            start=self.start,
            end=end,
            date=date,
            time=time,
            ack_requested=unb.value(9) == "1",
            issues=self.issues,
            envelope=envelope,
        )
        yield from self._body(ix, scanner, chars, decode)
        if ix.envelope is envelope and decode.used != codec:
            ix.envelope = EdifactEnvelope(
                chars,
                una,
                syntax_id,
                version,
                decode.used,
                sender,
                recipient,
                envelope.application_reference,
                envelope.recipient_reference,
                envelope.agreement_id,
            )
        yield ix

    def _body(
        self,
        ix: EdiInterchange,
        scanner: Iterator[tuple[int, int, str, bool]],
        chars: ServiceChars,
        decode: Decoder,
    ) -> Iterator[ReadItem]:
        keep, validate = self.keep, self.validate
        implicit: EdiGroup | None = None
        group: EdiGroup | None = None  # the open explicit group
        explicit_groups = 0
        tx: EdiTransaction | None = None
        segs: list[EdifactSegment] = []
        validator: MessageValidator | None = None
        position = 0
        last_end = ix.end
        refs: set[str] = set()
        message_count = 0
        group_count = 0
        outside_reported = False
        identity = decode.identity

        elem = chars.element
        last_tag, last_off = "", 0
        # bound methods of the current message's validator (hot loop)
        v_segment: Callable[[str, str, int, int], bool] = _no_segment

        for off, end, raw, terminated in scanner:
            text = raw if identity else decode(raw, off)
            tag = text[:3]
            if len(text) > 3 and text[3] != elem:
                tag = split_segment(text, chars)[0]  # a malformed tag: take what is there
            if tag[:2] != "UN" or tag == "UNS":
                last_end = end
                if tx is None:
                    if not outside_reported:
                        outside_reported = True
                        self._issue(
                            codes.INVALID_OCCURRENCE_OUTSIDE_MESSAGE,
                            f"segment {tag} outside any message",
                            offset=off,
                            tag=tag,
                        )
                    continue
                position += 1
                last_tag, last_off = tag, off
                ok = v_segment(tag, text, position, off) if validator is not None else True
                if position > MAX_MESSAGE_SEGMENTS and keep:
                    # UNT 0074 is n..6: no valid message is this long. Stop keeping its
                    # segments so a hostile file cannot make us hold millions of them.
                    if position == MAX_MESSAGE_SEGMENTS + 1:
                        self._issue(
                            codes.UNSPECIFIED_ERROR,
                            f"message {tx.control_number} has more than "
                            f"{MAX_MESSAGE_SEGMENTS} segments; the rest is not kept",
                            level=Level.TRANSACTION,
                            offset=off,
                            tag=tag,
                            target=tx.issues,
                        )
                    continue
                if not ok:
                    tag, elements = split_segment(text, chars)
                    seg = EdifactSegment(tag, elements, position, off)
                    if keep:
                        segs.append(seg)
                    if validator is not None:
                        validator.check_elements(seg)
                elif keep:  # valid: split later, if anyone asks
                    segs.append(EdifactSegment(tag, None, position, off, raw=text, chars=chars))
                continue
            tag, elements = split_segment(text, chars)
            if tag.startswith("UNA") or tag == "UNB":
                # A new interchange begins before this one was closed.
                self.next_offset = off
                break
            seg = EdifactSegment(tag, elements, 0, off)
            if tag == "UNH":
                if tx is not None:
                    yield self._unt_missing(
                        tx, off, last_end, validator, segs, (last_tag, position, last_off)
                    )
                    tx = None
                position = 1
                seg.position = 1
                tx, validator = self._open_message(seg, off, refs, chars)
                segs = [seg] if keep else []
                last_tag, last_off = "UNH", off
                if validator is not None:
                    v_segment = validator.segment
                if validator is not None and validate:
                    validator.feed(seg)
                else:
                    validator = None
                if group is not None:
                    group.transactions.append(tx)
                else:
                    if implicit is None:
                        implicit = EdiGroup(None, ix.sender_id, ix.receiver_id, "", tx.version)
                        ix.groups.append(implicit)
                        if explicit_groups:
                            self._issue(
                                codes.GROUPS_AND_MESSAGES_MIXED,
                                "messages outside UNG..UNE next to groups",
                                offset=off,
                                tag="UNH",
                            )
                    implicit.transactions.append(tx)
                message_count += 1
            elif tag == "UNT":
                if tx is None:
                    self._issue(
                        codes.INVALID_OCCURRENCE_OUTSIDE_MESSAGE,
                        "UNT without UNH",
                        offset=off,
                        tag="UNT",
                    )
                    continue
                position += 1
                seg.position = position
                if keep:
                    segs.append(seg)
                if validator is not None:
                    validator.feed(seg)
                else:  # the spec's UNT layout checks it when there is one
                    self._service(seg, level=Level.ELEMENT, target=tx.issues)
                self._check_unt(tx, seg, position)
                tx.end = end
                yield self._close_tx(tx, validator, segs, (seg.tag, seg.position, seg.offset))
                tx = None
                validator = None
                segs = []
            elif tag == "UNG":
                if tx is not None:
                    yield self._unt_missing(
                        tx, off, last_end, validator, segs, (last_tag, position, last_off)
                    )
                    tx = None
                if group is not None:
                    self._une_missing(group, off)
                group = self._open_group(seg)
                ix.groups.append(group)
                explicit_groups += 1
                group_count += 1
                if implicit is not None:
                    self._issue(
                        codes.GROUPS_AND_MESSAGES_MIXED,
                        "UNG after messages outside any group",
                        offset=off,
                        tag="UNG",
                    )
            elif tag == "UNE":
                if tx is not None:
                    yield self._unt_missing(
                        tx, off, last_end, validator, segs, (last_tag, position, last_off)
                    )
                    tx = None
                if group is None:
                    self._issue(
                        codes.INVALID_OCCURRENCE_OUTSIDE_MESSAGE,
                        "UNE without UNG",
                        offset=off,
                        tag="UNE",
                    )
                else:
                    self._service(seg, level=Level.GROUP, target=group.issues)
                    self._check_trailer(
                        seg,
                        "UNE",
                        len(group.transactions),
                        group.control_number,
                        group.issues,
                        Level.GROUP,
                    )
                    group = None
            elif tag == "UNZ":
                if tx is not None:
                    yield self._unt_missing(
                        tx, off, last_end, validator, segs, (last_tag, position, last_off)
                    )
                    tx = None
                if group is not None:
                    self._une_missing(group, off)
                    group = None
                expected = group_count if explicit_groups else message_count
                self._service(seg, level=Level.INTERCHANGE, target=self.issues)
                self._check_trailer(
                    seg, "UNZ", expected, ix.control_number, self.issues, Level.INTERCHANGE
                )
                ix.end = end
                self.next_offset = end
                if not terminated:
                    self._issue(
                        codes.MISSING, "UNZ is not terminated", offset=off, tag="UNZ", fatal=False
                    )
                break
            elif tx is not None:
                # UNx tags that are not envelope segments (UNO, UNP, UNQ... of
                # syntax 4 packages) are treated as data inside a message.
                position += 1
                seg.position = position
                if keep:
                    segs.append(seg)
                if validator is not None:
                    validator.feed(seg)
                last_tag, last_off = tag, off
            else:
                self._issue(
                    codes.INVALID_OCCURRENCE_OUTSIDE_MESSAGE,
                    f"segment {tag} outside any message",
                    offset=off,
                    tag=tag,
                )
            last_end = end
        else:
            # The data ended before UNZ.
            self.next_offset = len(self.data)
            if tx is not None:
                yield self._unt_missing(
                    tx, last_end, last_end, validator, segs, (last_tag, position, last_off)
                )
            if group is not None:
                self._issue(
                    codes.MISSING,
                    f"group {group.control_number}: UNE missing",
                    level=Level.GROUP,
                    offset=last_end,
                    tag="UNE",
                    target=group.issues,
                )
            self._issue(
                codes.MISSING,
                f"interchange trailer UNZ is missing (data ends at byte {last_end})",
                offset=last_end,
                tag="UNZ",
            )
            ix.end = last_end
        if self.next_offset < len(self.data) and ix.end < self.next_offset and tx is not None:
            # A UNB/UNA arrived while a message was open.
            yield self._unt_missing(
                tx, self.next_offset, last_end, validator, segs, (last_tag, position, last_off)
            )
        if (
            self.next_offset != ix.end
            and self.next_offset < len(self.data)
            and not any(i.segment_tag == "UNZ" for i in self.issues)
        ):
            self._issue(
                codes.MISSING,
                "interchange trailer UNZ is missing before the next interchange",
                offset=self.next_offset,
                tag="UNZ",
            )
            ix.end = last_end
        if message_count == 0:
            self._issue(codes.LOWER_LEVEL_EMPTY, "interchange holds no message", offset=ix.start)

    def _unt_missing(
        self,
        tx: EdiTransaction,
        at: int,
        last_end: int,
        validator: MessageValidator | None,
        segs: list[EdifactSegment],
        where: tuple[str, int, int],
    ) -> EdiTransaction:
        """Close a message that ends without UNT where its last segment did (UNH, UNG,
        UNE, UNZ, UNB or EOF follows); ``where`` is its last segment's tag, position
        and offset."""
        self._issue(
            codes.MISSING,
            f"message {tx.control_number}: UNT missing",
            level=Level.TRANSACTION,
            offset=at,
            tag="UNT",
            target=tx.issues,
        )
        tx.end = last_end
        return self._close_tx(tx, validator, segs, where)

    def _close_tx(
        self,
        tx: EdiTransaction,
        validator: MessageValidator | None,
        segs: list[EdifactSegment],
        where: tuple[str, int, int],
    ) -> EdiTransaction:
        if validator is not None:
            validator.finish(where)
        tx.segments = tuple(segs) if self.keep else ()
        return tx

    # -- envelope pieces -------------------------------------------------------------

    def _open_message(
        self, unh: EdifactSegment, off: int, refs: set[str], chars: ServiceChars
    ) -> tuple[EdiTransaction, MessageValidator | None]:
        ref = unh.value(1)
        mtype, mversion, mrelease = unh.value(2, 1), unh.value(2, 2), unh.value(2, 3)
        agency, assoc = unh.value(2, 4), unh.value(2, 5)
        tx = EdiTransaction(
            set_id=mtype,
            control_number=ref,
            version=f"{mversion}{mrelease}",
            segments=(),
            start=off,
            end=off,
            association_code=assoc or None,
        )
        if not ref:
            self._issue(
                codes.MISSING,
                "UNH message reference (0062) is missing",
                level=Level.TRANSACTION,
                offset=off,
                tag="UNH",
                element=1,
                target=tx.issues,
            )
        elif ref in refs:
            self._issue(
                codes.DUPLICATE_DETECTED,
                f"message reference {ref!r} used twice in this interchange",
                level=Level.TRANSACTION,
                offset=off,
                tag="UNH",
                element=1,
                target=tx.issues,
            )
        refs.add(ref)
        if not mtype or not mversion or not mrelease or not agency:
            self._issue(
                codes.MISSING,
                "UNH message identifier (S009) is incomplete",
                level=Level.TRANSACTION,
                offset=off,
                tag="UNH",
                element=2,
                target=tx.issues,
            )
        spec, exact = find_message_spec(mtype, mrelease)
        if spec is None or not self.validate:
            # no spec to check the UNH against (an unknown or damaged message type):
            # its element sizes are still the envelope's
            self._service(unh, level=Level.ELEMENT, target=tx.issues)
        if spec is None:
            return tx, None
        if mversion != "D":
            exact = False
            self._issue(
                codes.INVALID_VALUE,
                f"message version {mversion!r} should be 'D' for directory "
                f"{mrelease}; validated against {spec.directory}",
                level=Level.TRANSACTION,
                offset=off,
                tag="UNH",
                element=2,
                fatal=False,
                target=tx.issues,
            )
        return tx, MessageValidator(spec, exact=exact, issues=tx.issues, chars=chars)

    def _check_unt(self, tx: EdiTransaction, unt: EdifactSegment, position: int) -> None:
        count, ref = unt.value(1), unt.value(2)
        if count != str(position) and not equals_count(count, position):
            self._issue(
                codes.CONTROL_COUNT_MISMATCH,
                f"UNT says {count!r} segments, the message has {position}",
                level=Level.TRANSACTION,
                offset=unt.offset,
                tag="UNT",
                element=1,
                target=tx.issues,
            )
        if ref != tx.control_number:
            self._issue(
                codes.REFERENCES_DO_NOT_MATCH,
                f"UNT reference {ref!r} does not match UNH {tx.control_number!r}",
                level=Level.TRANSACTION,
                offset=unt.offset,
                tag="UNT",
                element=2,
                target=tx.issues,
            )

    def _open_group(self, ung: EdifactSegment) -> EdiGroup:
        group = EdiGroup(
            functional_id=ung.value(1),
            sender_id=ung.value(2, 1),
            receiver_id=ung.value(3, 1),
            control_number=ung.value(5),
            version=f"{ung.value(7, 1)}{ung.value(7, 2)}",
            date=ung.value(4, 1),
            time=ung.value(4, 2),
        )
        self._service(ung, level=Level.GROUP, target=group.issues, dates=True)
        if not group.control_number:
            self._issue(
                codes.MISSING,
                "UNG group reference (0048) is missing",
                level=Level.GROUP,
                offset=ung.offset,
                tag="UNG",
                element=5,
                target=group.issues,
            )
        return group

    def _check_trailer(
        self,
        seg: EdifactSegment,
        tag: str,
        expected: int,
        reference: str,
        issues: list[Issue],
        level: Level,
    ) -> None:
        count, ref = seg.value(1), seg.value(2)
        if not equals_count(count, expected):
            self._issue(
                codes.CONTROL_COUNT_MISMATCH,
                f"{tag} count {count!r} does not match the {expected} received",
                level=level,
                offset=seg.offset,
                tag=tag,
                element=1,
                target=issues,
            )
        if ref != reference:
            self._issue(
                codes.REFERENCES_DO_NOT_MATCH,
                f"{tag} reference {ref!r} does not match {reference!r}",
                level=level,
                offset=seg.offset,
                tag=tag,
                element=2,
                target=issues,
            )

"""Envelope reading: ISA/GS/ST nesting, control numbers and counts.

:class:`EnvelopeReader` consumes tokenizer tokens and builds the neutral
:class:`gateway.edi.EdiInterchange` tree, checking what X12.6 asks of the envelopes:
IEA01 group count and IEA02 = ISA13 (TA1 notes 021 and 001), GE01 set count and
GE02 = GS06 (AK905 codes 5 and 4), SE01 segment count and SE02 = ST02 (AK502 codes 4
and 3), missing trailers, and control numbers unique within their envelope. Each
finished transaction set goes through its set validator (:mod:`gateway.x12.validate`)
as its segments arrive, so the reader can also run without keeping any segment
(``keep_segments=False``), which is how big files are checked in bounded memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from gateway.edi.model import (
    EdiGroup,
    EdiInterchange,
    EdiTransaction,
    Issue,
    Level,
    Syntax,
)
from gateway.edi.numbers import bounded_int, is_digits, same_number
from gateway.x12.bulk import MAX_BUFFERED, BulkSet
from gateway.x12.dates import calendar_date, clock_time
from gateway.x12.isa import Delimiters, IsaHeader
from gateway.x12.segment import X12Segment
from gateway.x12.tokenizer import Garbage, InterchangeStart, Token
from gateway.x12.validate import SetValidator, validator_for

_SERVICE = frozenset({"ISB", "ISE", "TA1", "TA3"})
_ENVELOPE = frozenset({"SE", "ST", "GE", "GS", "IEA", "ISA"})
# first two characters of the envelope tags: a segment starting otherwise is no envelope
# segment, whatever its tag (the reader's fast path tests only this)
_HEADS = frozenset(tag[:2] for tag in _ENVELOPE)


@dataclass(slots=True)
class X12Envelope:
    """What the engine keeps of an interchange's envelope (``EdiInterchange.envelope``).

    ``gs``/``ge`` run parallel to ``EdiInterchange.groups``; ``ge`` is None for a
    group whose trailer never came. ``service`` holds ISB/ISE/TA1 segments that sat
    between the ISA and the first GS.
    """

    delimiters: Delimiters
    isa: tuple[str, ...]  # ISA01..ISA16 as sent
    iea: tuple[str, ...] | None = None
    gs: list[tuple[str, ...]] = field(default_factory=list)
    ge: list[tuple[str, ...] | None] = field(default_factory=list)
    service: list[X12Segment] = field(default_factory=list)


def envelope_of(interchange: EdiInterchange) -> X12Envelope:
    """The X12 envelope of an interchange parsed by this engine."""
    env = interchange.envelope
    if not isinstance(env, X12Envelope):
        raise TypeError("not an interchange parsed by gateway.x12")
    return env


def _ix(
    code: str,
    message: str,
    offset: int | None,
    *,
    tag: str | None = None,
    fatal: bool = True,
    element: int | None = None,
    value: str | None = None,
) -> Issue:
    return Issue(
        level=Level.INTERCHANGE,
        code=code,
        message=message,
        fatal=fatal,
        segment_tag=tag,
        element_position=element,
        byte_offset=offset,
        bad_value=value,
    )


def _gx(
    code: str,
    message: str,
    offset: int | None,
    *,
    tag: str,
    fatal: bool = True,
    element: int | None = None,
    value: str | None = None,
) -> Issue:
    return Issue(
        level=Level.GROUP,
        code=code,
        message=message,
        fatal=fatal,
        segment_tag=tag,
        element_position=element,
        byte_offset=offset,
        bad_value=value,
    )


def _tx(
    code: str,
    message: str,
    offset: int | None,
    *,
    tag: str,
    position: int | None,
    value: str | None = None,
) -> Issue:
    return Issue(
        level=Level.TRANSACTION,
        code=code,
        message=message,
        segment_tag=tag,
        segment_position=position,
        byte_offset=offset,
        bad_value=value,
    )


def _gs_date_time(parts: list[str], offset: int) -> list[Issue]:
    """GS04 / GS05 that name no day or time (20240231, 2561): warnings, AK901 E.

    X12 gave these their own AK905 codes (30, 31) only after 005010; the 997/999 we
    answer in cannot carry them (:func:`gateway.x12.codes.ak905_codes`). The group's
    sets are still read and answered: the group date is a control stamp nothing here
    depends on, and its sets are as readable as with a good one. CCYYMMDD (004010 on)
    and YYMMDD (earlier releases) are both dates.
    """
    issues: list[Issue] = []
    if len(parts) > 4 and not calendar_date(parts[4].strip()):
        issues.append(
            _gx(
                "30",
                f"GS04 {parts[4]!r} is not a date CCYYMMDD",
                offset,
                tag="GS",
                fatal=False,
                element=4,
                value=parts[4][:35],
            )
        )
    if len(parts) > 5 and not clock_time(parts[5].strip()):
        issues.append(
            _gx(
                "31",
                f"GS05 {parts[5]!r} is not a time HHMM[SS[d[d]]]",
                offset,
                tag="GS",
                fatal=False,
                element=5,
                value=parts[5][:35],
            )
        )
    return issues


def _count(raw: str) -> int | None:
    return bounded_int(raw, 10)


def _same_number(a: str, b: str) -> bool:
    """Control numbers compare as numbers when both are numeric (000123 == 123).

    Compared as text: a partner's number may have any count of digits.
    """
    a, b = a.strip(), b.strip()
    if is_digits(a) and is_digits(b):
        return same_number(a, b)
    return a == b


class _OpenSet:
    __slots__ = ("bulk", "count", "segments", "start", "transaction", "validator")

    def __init__(
        self, transaction: EdiTransaction, validator: SetValidator | None, start: int
    ) -> None:
        self.transaction = transaction
        self.validator = validator
        self.bulk: BulkSet | None = None  # the set's segments, checked when it ends
        self.segments: list[X12Segment] = []
        self.count = 1
        self.start = start


class EnvelopeReader:
    """Build interchanges from tokens; see the module docstring."""

    def __init__(
        self,
        *,
        keep_segments: bool = True,
        validate: bool = True,
        on_transaction: Callable[[EdiTransaction], None] | None = None,
        bulk: bool = True,
    ) -> None:
        self.interchanges: list[EdiInterchange] = []
        self.file_issues: list[Issue] = []
        self.segment_count = 0
        self.transaction_count = 0
        self._keep = keep_segments
        self._validate = validate
        # check whole sets at once, the detailed checker only for errors (gateway.x12.bulk)
        self._bulk = bulk
        self._on_transaction = on_transaction
        self._ix: EdiInterchange | None = None
        self._env: X12Envelope | None = None
        self._group: EdiGroup | None = None
        self._set: _OpenSet | None = None
        self._stray = False
        self._seen_isa13: set[str] = set()
        self._seen_gs06: set[str] = set()
        self._seen_st02: set[str] = set()
        self._elem = "*"
        self._comp: str | None = ">"
        self._rep: str | None = None
        self._tlen = 1
        self._term = "~"

    # -- feeding ----------------------------------------------------------------------

    def feed(self, tokens: Iterable[Token]) -> None:
        """Consume tokens in order."""
        # The loop body is the hottest code of the engine: locals instead of attribute
        # lookups, refreshed whenever an envelope segment may have changed them.
        elem, comp, rep, keep = self._elem, self._comp, self._rep, self._keep
        open_set = self._set
        envelope = _ENVELOPE
        heads = _HEADS
        # the open set's buffer when segments go there untouched (bulk, not kept)
        buffer = self._buffer()
        for token in tokens:
            if type(token) is tuple:
                if buffer is not None and token[1][:2] not in heads:
                    buffer.append(token)  # counted when the set ends (see _sync)
                    continue
                offset, text = token
                cut = text.find(elem)
                tag = text[:cut] if cut >= 0 else text
                if open_set is not None and tag not in envelope:
                    # a segment inside a transaction set: not even split unless needed
                    bulk = open_set.bulk
                    if bulk is not None:
                        open_set.count = len(bulk.tokens) + 1
                    else:
                        open_set.count += 1
                    if keep:
                        segment = X12Segment(text, open_set.count, comp, rep, elem)
                        open_set.segments.append(segment)
                        if bulk is not None:
                            bulk.add(text, offset, segment)
                            if open_set.count > MAX_BUFFERED:
                                self._spill(open_set)
                        elif open_set.validator is not None:
                            open_set.validator.check(tag, text, open_set.count, offset, segment)
                    elif bulk is not None:
                        bulk.tokens.append(token)
                    elif open_set.validator is not None:
                        open_set.validator.check(tag, text, open_set.count, offset)
                    continue
                self._envelope_segment(text.split(elem), offset, len(text))
            elif isinstance(token, InterchangeStart):
                self._start_interchange(token.header)
                elem, comp, rep = self._elem, self._comp, self._rep
            elif isinstance(token, Garbage):
                self._garbage(token)
            open_set = self._set
            buffer = self._buffer()
        if buffer is not None and open_set is not None and len(buffer) > MAX_BUFFERED:
            self._spill(open_set)  # per call: the buffer holds at most a chunk more

    def _buffer(self) -> list[tuple[int | None, str]] | None:
        open_set = self._set
        if open_set is None or open_set.bulk is None or self._keep:
            return None
        return open_set.bulk.tokens

    def finish(self) -> None:
        """End of input: close whatever is still open, reporting missing trailers."""
        if self._ix is not None:
            self._ix.issues.append(
                _ix("023", "file ends before the IEA trailer", self._ix.end, tag="IEA")
            )
            self._close_interchange(None)

    # -- envelopes --------------------------------------------------------------------

    def _garbage(self, token: Garbage) -> None:
        issue = token.issue
        if issue.level is not Level.FILE:
            issue = Issue(
                level=Level.FILE,
                code=issue.code,
                message=issue.message,
                segment_tag=issue.segment_tag,
                byte_offset=issue.byte_offset,
                bad_value=issue.bad_value,
            )
        self.file_issues.append(issue)

    def _start_interchange(self, header: IsaHeader) -> None:
        if self._ix is not None:
            self._ix.issues.append(
                _ix(
                    "023",
                    "interchange has no IEA trailer before the next ISA",
                    header.start,
                    tag="IEA",
                )
            )
            self._close_interchange(None)
        values = header.elements
        delims = header.delimiters
        self._elem = delims.element
        self._comp = delims.component if delims.component != delims.segment else None
        self._rep = delims.repetition
        self._tlen = len(delims.segment)
        self._term = delims.segment
        self._env = X12Envelope(delimiters=delims, isa=values)
        ix = EdiInterchange(
            syntax=Syntax.X12,
            sender_qualifier=values[4],
            sender_id=values[5].strip(),
            receiver_qualifier=values[6],
            receiver_id=values[7].strip(),
            control_number=values[12].strip(),
            version=values[11],
            test=values[14] == "T",
            start=header.start,
            end=header.end,
            date=values[8],
            time=values[9],
            ack_requested=values[13] == "1",
            issues=list(header.issues),
            envelope=self._env,
        )
        if ix.control_number in self._seen_isa13:
            ix.issues.append(
                _ix(
                    "025",
                    f"interchange control number {ix.control_number} repeats in this payload",
                    header.start,
                    tag="ISA",
                    fatal=False,
                    element=13,
                )
            )
        self._seen_isa13.add(ix.control_number)
        self._seen_gs06 = set()
        self._stray = False
        self._ix = ix

    def _envelope_segment(self, parts: list[str], offset: int, length: int) -> None:
        tag = parts[0]
        ix = self._ix
        if ix is None:  # the tokenizer only emits segments inside an interchange
            return
        ix.end = offset + length + self._tlen
        self.segment_count += 1
        if self._set is not None:
            if tag == "SE":
                self._close_set(self._set, parts, offset, length)
                return
            open_set = self._set
            self._set = None
            self._spill(open_set)
            tx = open_set.transaction
            tx.issues.append(
                _tx(
                    "2",
                    f"transaction set {tx.control_number} has no SE trailer (found {tag})",
                    offset,
                    tag="SE",
                    position=None,
                )
            )
            self._finish_set(open_set, offset)
        if tag == "ST":
            self._open_set(parts, offset)
        elif tag == "GS":
            self._open_group(parts, offset)
        elif tag == "GE":
            self._close_group(parts, offset)
        elif tag == "IEA":
            self._close_interchange(parts, offset)
        elif tag == "ISA":  # an ISA the tokenizer could not read as a header
            ix.issues.append(_ix("022", "ISA inside an interchange", offset, tag="ISA"))
        elif tag in _SERVICE and self._group is None and self._env is not None:
            self._env.service.append(X12Segment.of(parts, 0, self._comp, self._rep, self._elem))
        elif not self._stray:
            # Segments outside ST..SE cannot be acknowledged by a 997; say so once.
            self._stray = True
            where = "a functional group" if self._group is None else "a transaction set"
            ix.issues.append(
                _ix(
                    "024",
                    f"segment {tag!r} outside {where}",
                    offset,
                    tag=tag,
                    fatal=self._group is None,
                    value="*".join(parts)[:35],
                )
            )

    def _current(self) -> tuple[EdiInterchange, X12Envelope]:
        """The interchange being read and its envelope: envelope segments only arrive
        between an ISA and its IEA (``_envelope_segment`` checks)."""
        ix, env = self._ix, self._env
        if ix is None or env is None:
            raise RuntimeError("X12 reader: envelope segment outside an interchange")
        return ix, env

    def _open_group(self, parts: list[str], offset: int) -> None:
        ix, env = self._current()
        if self._group is not None:
            self._group.issues.append(
                _gx("3", "functional group has no GE trailer", offset, tag="GE")
            )
            env.ge.append(None)
        values = parts + [""] * (9 - len(parts))
        group = EdiGroup(
            functional_id=values[1],
            sender_id=values[2].strip(),
            receiver_id=values[3].strip(),
            control_number=values[6].strip(),
            version=values[8].strip(),
            date=values[4],
            time=values[5],
        )
        if len(parts) < 9:
            group.issues.append(
                _gx("6", f"GS has {len(parts) - 1} elements, 8 required", offset, tag="GS")
            )
        group.issues.extend(_gs_date_time(parts, offset))
        if not (
            (group.control_number.isascii() and group.control_number.isdigit())
            and len(group.control_number) <= 9
        ):
            group.issues.append(
                _gx(
                    "6",
                    "GS06 group control number is not numeric",
                    offset,
                    tag="GS",
                    value=group.control_number,
                )
            )
        elif group.control_number in self._seen_gs06:
            group.issues.append(
                _gx(
                    "19",
                    f"group control number {group.control_number} repeats in this interchange",
                    offset,
                    tag="GS",
                )
            )
        self._seen_gs06.add(group.control_number)
        self._seen_st02 = set()
        self._stray = False
        env.gs.append(tuple(parts[1:]))
        ix.groups.append(group)
        self._group = group

    def _close_group(self, parts: list[str], offset: int) -> None:
        group = self._group
        ix, env = self._current()
        if group is None:
            ix.issues.append(_ix("022", "GE without a GS", offset, tag="GE"))
            return
        count = _count(parts[1]) if len(parts) > 1 else None
        if count != len(group.transactions):
            group.issues.append(
                _gx(
                    "5",
                    f"GE01 says {parts[1] if len(parts) > 1 else ''!r}"
                    f" transaction sets, the group has "
                    f"{len(group.transactions)}",
                    offset,
                    tag="GE",
                    value=parts[1] if len(parts) > 1 else None,
                )
            )
        number = parts[2] if len(parts) > 2 else ""
        if not _same_number(number, group.control_number):
            group.issues.append(
                _gx(
                    "4",
                    f"GE02 {number!r} does not match GS06 {group.control_number!r}",
                    offset,
                    tag="GE",
                    value=number,
                )
            )
        env.ge.append(tuple(parts[1:]))
        self._group = None
        self._stray = False

    def _close_interchange(self, parts: list[str] | None, offset: int | None = None) -> None:
        ix, env = self._current()
        if self._set is not None:
            open_set, self._set = self._set, None
            self._spill(open_set)
            open_set.transaction.issues.append(
                _tx("2", "transaction set has no SE trailer", offset, tag="SE", position=None)
            )
            self._finish_set(open_set, offset if offset is not None else ix.end)
        if self._group is not None:
            self._group.issues.append(
                _gx("3", "functional group has no GE trailer", offset, tag="GE")
            )
            env.ge.append(None)
            self._group = None
        if parts is not None:
            env.iea = tuple(parts[1:])
            count = _count(parts[1]) if len(parts) > 1 else None
            if count != len(ix.groups):
                ix.issues.append(
                    _ix(
                        "021",
                        f"IEA01 says {parts[1] if len(parts) > 1 else ''!r}"
                        f" groups, the interchange has {len(ix.groups)}",
                        offset,
                        tag="IEA",
                        element=1,
                    )
                )
            number = parts[2] if len(parts) > 2 else ""
            if not _same_number(number, ix.control_number):
                ix.issues.append(
                    _ix(
                        "001",
                        f"IEA02 {number!r} does not match ISA13 {ix.control_number!r}",
                        offset,
                        tag="IEA",
                        element=2,
                        value=number,
                    )
                )
        self.interchanges.append(ix)
        self._ix = None
        self._env = None
        self._group = None

    def _open_set(self, parts: list[str], offset: int) -> None:
        group = self._group
        ix, _ = self._current()
        if group is None:
            if not self._stray:
                self._stray = True
                ix.issues.append(_ix("024", "ST outside a functional group", offset, tag="ST"))
            return
        set_id = parts[1].strip() if len(parts) > 1 else ""
        number = parts[2].strip() if len(parts) > 2 else ""
        reference = parts[3].strip() if len(parts) > 3 and parts[3].strip() else None
        version = reference or group.version
        tx = EdiTransaction(
            set_id=set_id,
            control_number=number,
            version=group.version,
            segments=[],
            start=offset,
            end=offset,
            implementation_reference=reference,
        )
        if not (len(set_id) == 3 and set_id.isalnum()):
            tx.issues.append(
                _tx(
                    "6",
                    f"invalid transaction set identifier {set_id!r}",
                    offset,
                    tag="ST",
                    position=1,
                    value=set_id,
                )
            )
        if not 4 <= len(number) <= 9:
            tx.issues.append(
                _tx(
                    "7",
                    f"invalid transaction set control number {number!r}",
                    offset,
                    tag="ST",
                    position=1,
                    value=number,
                )
            )
        elif number in self._seen_st02:
            tx.issues.append(
                _tx(
                    "23",
                    f"transaction set control number {number} repeats in this group",
                    offset,
                    tag="ST",
                    position=1,
                )
            )
        self._seen_st02.add(number)
        validator = (
            validator_for(set_id, version, tx.issues, (self._elem, self._comp, self._rep))
            if self._validate
            else None
        )
        segment = X12Segment.of(parts, 1, self._comp, self._rep, self._elem)
        open_set = _OpenSet(tx, validator, offset)
        if validator is not None and self._bulk:
            open_set.bulk = BulkSet(
                set_id, version, (self._elem, self._comp, self._rep), self._term, keep=self._keep
            )
            open_set.bulk.add(segment.text, offset, segment)
        elif validator is not None:
            validator.segment(segment, offset)
        if self._keep:
            open_set.segments.append(segment)
        self._set = open_set
        group.transactions.append(tx)

    def _close_set(self, open_set: _OpenSet, parts: list[str], offset: int, length: int) -> None:
        self._set = None
        bulk = open_set.bulk
        if bulk is not None:
            open_set.count = len(bulk.tokens)  # the reader's fast path does not count
        open_set.count += 1
        tx = open_set.transaction
        segment = X12Segment.of(parts, open_set.count, self._comp, self._rep, self._elem)
        if bulk is not None:
            bulk.add(segment.text, offset, segment)
            open_set.bulk = None
            validator = open_set.validator  # never None with a bulk set
            if bulk.clean() or validator is None:
                open_set.validator = None  # nothing to find, nothing left to finish
            else:
                bulk.replay(validator)
        elif open_set.validator is not None:
            open_set.validator.segment(segment, offset)
        if self._keep:
            open_set.segments.append(segment)
        count = _count(parts[1]) if len(parts) > 1 else None
        if count != open_set.count:
            tx.issues.append(
                _tx(
                    "4",
                    f"SE01 says {parts[1] if len(parts) > 1 else ''!r} "
                    f"segments, the set has {open_set.count}",
                    offset,
                    tag="SE",
                    position=open_set.count,
                    value=parts[1] if len(parts) > 1 else None,
                )
            )
        number = parts[2] if len(parts) > 2 else ""
        if number.strip() != tx.control_number:
            tx.issues.append(
                _tx(
                    "3",
                    f"SE02 {number!r} does not match ST02 {tx.control_number!r}",
                    offset,
                    tag="SE",
                    position=open_set.count,
                    value=number,
                )
            )
        self._finish_set(open_set, offset + length + self._tlen)

    def _spill(self, open_set: _OpenSet) -> None:
        """Hand the buffered segments to the detailed checker and go on one by one
        (a very long set, or one that ends without its SE)."""
        bulk, open_set.bulk = open_set.bulk, None
        if bulk is not None:
            open_set.count = len(bulk.tokens)  # the reader's fast path does not count
            if open_set.validator is not None:
                bulk.replay(open_set.validator)

    def _finish_set(self, open_set: _OpenSet, end: int) -> None:
        tx = open_set.transaction
        tx.end = end
        if open_set.validator is not None:
            open_set.validator.finish(tx.issues)
        if self._keep:
            tx.segments = open_set.segments
        self.transaction_count += 1
        if self._on_transaction is not None:
            self._on_transaction(tx)

"""Serialize interchanges to bytes, and build outbound documents from segments.

:func:`write_interchange` writes any interchange this engine parsed (or built) back
with its own delimiters and line layout, so that ``parse(write(x))`` gives ``x``
back (byte offsets aside when the original was indented). :class:`DocumentBuilder`
assembles new interchanges (the demo and tests build 850/856/810 with it; the
acknowledgement writer uses it too). A value that cannot be written (it contains a
delimiter) raises :class:`~gateway.x12.errors.X12BuildError`: that is our bug, never
the partner's. The builder also refuses control characters in the values it is given
(CR, LF, anything else below 0x20, DEL: none is in the X12 basic or extended character
set, and a line break in a value breaks an interchange written with a line suffix).
Separators that are control characters themselves (0x1C, 0x1D, 0x1F, a bare line feed
as terminator) stay usable. :func:`write_interchange` does not apply that check: a
received interchange is written back as it was read, damage included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.edi.model import EdiGroup, EdiInterchange, EdiPayload, EdiTransaction, Syntax
from gateway.x12.envelope import X12Envelope, envelope_of
from gateway.x12.errors import X12BuildError
from gateway.x12.isa import ISA_WIDTHS, Delimiters
from gateway.x12.segment import X12Segment

SegmentInput = str | Sequence[str]


def _forbidden(delims: Delimiters, *, inner: bool) -> tuple[str, ...]:
    # inside an element the component/repetition separators are legitimate structure
    chars = [delims.element, delims.segment]
    if not inner:
        chars.append(delims.component)
        if delims.repetition:
            chars.append(delims.repetition)
    return tuple(c for c in chars if c)


def segment_text(parts: Sequence[str], delims: Delimiters) -> str:
    """One segment as text, without terminator; refuses values holding a delimiter."""
    bad = _forbidden(delims, inner=True)
    for n, value in enumerate(parts):
        for ch in bad:
            if ch in value:
                raise X12BuildError(
                    f"{parts[0]}{n:02d} contains the delimiter {ch!r}", segment=parts[0], element=n
                )
    return delims.element.join(parts)


# C0 controls and DEL, which the X12 basic and extended character sets leave out
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def refuse_control_characters(parts: Sequence[str], delims: Delimiters) -> None:
    """Refuse a value holding a control character other than the component/repetition
    separator (legitimate structure inside an element, even when it is a control)."""
    if _CONTROL.search("".join(parts)) is None:  # the usual case: one scan per segment
        return
    structure = (delims.component, delims.repetition)
    for n, value in enumerate(parts):
        for match in _CONTROL.finditer(value):
            if match.group() not in structure:
                raise X12BuildError(
                    f"{parts[0]}{n:02d} contains the control character {match.group()!r}",
                    segment=parts[0],
                    element=n,
                )


def write_interchange(interchange: EdiInterchange, *, encoding: str = "latin-1") -> bytes:
    """Serialize one interchange with its own delimiters (see the module docstring)."""
    env = envelope_of(interchange)
    d = env.delimiters
    end = d.segment + d.suffix
    lines: list[str] = [d.element.join(("ISA", *env.isa))]
    for seg in env.service:
        lines.append(segment_text(seg.parts, d))
    for index, group in enumerate(interchange.groups):
        gs = env.gs[index] if index < len(env.gs) else _gs_values(group)
        lines.append(segment_text(("GS", *gs), d))
        for tx in group.transactions:
            for item in tx.segments:
                parts = item.parts if isinstance(item, X12Segment) else _parts_of(item)
                lines.append(segment_text(parts, d))
        ge = (
            env.ge[index]
            if index < len(env.ge)
            else (str(len(group.transactions)), group.control_number)
        )
        if ge is not None:
            lines.append(segment_text(("GE", *ge), d))
    if env.iea is not None:
        lines.append(segment_text(("IEA", *env.iea), d))
    text = end.join(lines) + end
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise X12BuildError(f"text cannot be encoded as {encoding}: {bad!r}") from exc


def write_payload(payload: EdiPayload) -> bytes:
    """Serialize every interchange of a payload, in order."""
    return b"".join(write_interchange(ix, encoding=payload.encoding) for ix in payload.interchanges)


def _parts_of(seg: object) -> list[str]:
    # any SegmentLike: rebuild the raw elements from the neutral accessors
    tag = str(getattr(seg, "tag", ""))
    count = int(getattr(seg, "element_count")())  # noqa: B009
    return [tag, *(str(getattr(seg, "value")(n)) for n in range(1, count + 1))]  # noqa: B009


def _gs_values(group: EdiGroup) -> tuple[str, ...]:
    return (
        group.functional_id or "",
        group.sender_id,
        group.receiver_id,
        group.date,
        group.time,
        group.control_number,
        "X",
        group.version,
    )


@dataclass(slots=True)
class _GroupDraft:
    gs: tuple[str, ...]
    transactions: list[tuple[str, str, list[list[str]]]] = field(default_factory=list)


class DocumentBuilder:
    """Assemble an interchange: groups, then transaction sets from segment lists.

    Segments are given without ST/SE (they are added, with the right count) as text
    split on the builder's element separator, e.g. ``"BEG*00*SA*PO123**20240101"``,
    or as lists of element values. ``now`` fixes the envelope dates (tests, replays).
    """

    def __init__(
        self,
        *,
        sender: tuple[str, str],
        receiver: tuple[str, str],
        control_number: int,
        version: str = "00401",
        delimiters: Delimiters | None = None,
        test: bool = False,
        ack_requested: bool = False,
        now: datetime | None = None,
    ) -> None:
        self.delimiters = delimiters or Delimiters(
            element="*",
            component=">",
            segment="~",
            repetition="^" if version >= "00402" else None,
            suffix="\n",
        )
        self._now = now or datetime.now(UTC)
        rep = self.delimiters.repetition
        if version >= "00402" and not rep:
            raise X12BuildError("versions 00402 and later need a repetition separator")
        if not 0 <= control_number <= 999_999_999:
            raise X12BuildError(f"interchange control number {control_number} out of range")
        values = [
            "00",
            "",
            "00",
            "",
            sender[0],
            sender[1],
            receiver[0],
            receiver[1],
            self._now.strftime("%y%m%d"),
            self._now.strftime("%H%M"),
            rep if version >= "00402" and rep else "U",
            version,
            f"{control_number:09d}",
            "1" if ack_requested else "0",
            "T" if test else "P",
            self.delimiters.component,
        ]
        self._isa = tuple(
            v.ljust(w)[:w] if n < 15 else v
            for n, (v, w) in enumerate(zip(values, ISA_WIDTHS, strict=True))
        )
        for n, value in enumerate(values[:15], 1):
            if len(value) > ISA_WIDTHS[n - 1]:
                raise X12BuildError(
                    f"ISA{n:02d} {value!r} is longer than {ISA_WIDTHS[n - 1]}",
                    segment="ISA",
                    element=n,
                )
        # ISA11 is the repetition separator from 00402 on; ISA16 the component separator
        refuse_control_characters(("ISA", *values[:10], "", *values[11:15]), self.delimiters)
        self._groups: list[_GroupDraft] = []

    @property
    def now(self) -> datetime:
        """The moment the envelope dates are taken from."""
        return self._now

    def group(
        self,
        functional_id: str,
        sender: str,
        receiver: str,
        control_number: int,
        version: str = "004010",
    ) -> DocumentBuilder:
        """Open a functional group (GS); following transactions go into it."""
        gs = (
            functional_id,
            sender,
            receiver,
            self._now.strftime("%Y%m%d"),
            self._now.strftime("%H%M"),
            str(control_number),
            "X",
            version,
        )
        refuse_control_characters(("GS", *gs), self.delimiters)
        self._groups.append(_GroupDraft(gs=gs))
        return self

    def transaction(
        self,
        set_id: str,
        control_number: str,
        segments: Sequence[SegmentInput],
        *,
        implementation_reference: str | None = None,
    ) -> DocumentBuilder:
        """Add a transaction set to the current group; ST and SE are added here."""
        if not self._groups:
            raise X12BuildError("transaction() before group()")
        rows: list[list[str]] = []
        for item in segments:
            parts = item.split(self.delimiters.element) if isinstance(item, str) else list(item)
            if not parts or not parts[0]:
                raise X12BuildError("empty segment")
            segment_text(parts, self.delimiters)  # refuse a delimiter inside a value now
            refuse_control_characters(parts, self.delimiters)
            rows.append(parts)
        st = ["ST", set_id, control_number]
        if implementation_reference:
            st.append(implementation_reference)
        segment_text(st, self.delimiters)
        refuse_control_characters(st, self.delimiters)
        body = [st, *rows, ["SE", str(len(rows) + 2), control_number]]
        self._groups[-1].transactions.append((set_id, control_number, body))
        return self

    def build(self) -> EdiInterchange:
        """The interchange as the parser would return it (issues empty)."""
        d = self.delimiters
        comp = d.component if d.component != d.segment else None
        env = X12Envelope(delimiters=d, isa=self._isa)
        ix = EdiInterchange(
            syntax=Syntax.X12,
            sender_qualifier=self._isa[4],
            sender_id=self._isa[5].strip(),
            receiver_qualifier=self._isa[6],
            receiver_id=self._isa[7].strip(),
            control_number=self._isa[12],
            version=self._isa[11],
            test=self._isa[14] == "T",
            start=0,
            end=0,
            date=self._isa[8],
            time=self._isa[9],
            ack_requested=self._isa[13] == "1",
            envelope=env,
        )
        for draft in self._groups:
            gs = draft.gs
            group = EdiGroup(
                functional_id=gs[0],
                sender_id=gs[1],
                receiver_id=gs[2],
                control_number=gs[5],
                version=gs[7],
                date=gs[3],
                time=gs[4],
            )
            for set_id, number, body in draft.transactions:
                segments = [
                    X12Segment.of(parts, n, comp, d.repetition, d.element)
                    for n, parts in enumerate(body, 1)
                ]
                group.transactions.append(
                    EdiTransaction(
                        set_id=set_id,
                        control_number=number,
                        version=gs[7],
                        segments=segments,
                        start=0,
                        end=0,
                        implementation_reference=body[0][3] if len(body[0]) > 3 else None,
                    )
                )
            env.gs.append(gs)
            env.ge.append((str(len(draft.transactions)), gs[5]))
            ix.groups.append(group)
        env.iea = (str(len(self._groups)), self._isa[12])
        return ix

    def to_bytes(self) -> bytes:
        """Build and serialize."""
        return write_interchange(self.build())

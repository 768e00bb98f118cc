"""Split X12 bytes into segments, interchange by interchange, in bounded memory.

:class:`Tokenizer` is sans-IO (h11 style): :meth:`Tokenizer.feed` takes bytes and
returns the tokens that are complete, :meth:`Tokenizer.close` flushes the rest. It
keeps at most one unfinished segment plus one ISA window between calls, so a 100 MB
file read in 1 MB chunks never holds more than a chunk.

Each interchange brings its own delimiters (read from its ISA), so the tokenizer is a
two-state machine: *seeking* an ``ISA`` (skipping BOMs, blank lines and reporting
anything else as garbage), then *splitting* on that interchange's terminator until
its ``IEA``. Splitting uses ``str.split`` on a latin-1 (or EBCDIC) decoding of the
chunk, which keeps character offsets equal to byte offsets and avoids any
per-character Python loop.

Tokens are plain ``(offset, text)`` tuples for segments (the hot path), and small
objects for the rare events: :class:`InterchangeStart` and :class:`Garbage`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, chain, repeat
from operator import add
from typing import BinaryIO

from gateway.edi.model import Issue, Level
from gateway.x12.isa import ISA_WINDOW, WHITESPACE, Delimiters, IsaFailure, IsaHeader, read_isa

SegmentToken = tuple[int, str]  # (byte offset, segment text without terminator)
_SKIP = " \t\r\n\x00\x1a\x85"  # between interchanges: whitespace, NUL, ^Z, EBCDIC NL
_BOM = "\xef\xbb\xbf"  # UTF-8 byte order mark read as latin-1
_EBCDIC_ISA = b"\xc9\xe2\xc1"  # "ISA" in EBCDIC (cp037 and cp500 agree)
CHUNK_SIZE = 1 << 20
_GARBAGE_HOLD = 1 << 16  # garbage is held up to this size to report it as one run
MAX_SEGMENT = 4 << 20  # longest segment accepted (X12 segments are tiny; BIN aside)


@dataclass(frozen=True, slots=True)
class InterchangeStart:
    """An ISA was read; ``header`` offsets are payload offsets."""

    header: IsaHeader


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes between interchanges that are not X12 (or an ISA that cannot be read)."""

    offset: int
    text: str
    issue: Issue


Token = SegmentToken | InterchangeStart | Garbage


def detect_encoding(head: bytes) -> str:
    """``"cp037"`` when the payload is EBCDIC X12, else ``"latin-1"``.

    latin-1 maps every byte to one character, so offsets stay byte offsets and no
    input can fail to decode; EBCDIC is recognised by ``ISA`` in its code points.
    """
    stripped = head.lstrip(b"\x40\x15\x25\x0d\x00")  # EBCDIC space, NL, LF, CR
    if stripped.startswith(_EBCDIC_ISA):
        return "cp037"
    return "latin-1"


def _garbage(offset: int, text: str, why: str) -> Garbage:
    sample = text.strip()[:35]
    return Garbage(
        offset,
        text,
        Issue(
            level=Level.FILE,
            code="not-x12",
            message=f"{why}: {sample!r}",
            byte_offset=offset,
            bad_value=sample,
        ),
    )


class Tokenizer:
    """Turn X12 bytes into tokens; see the module docstring."""

    def __init__(self, encoding: str | None = None) -> None:
        self._encoding = encoding
        self._buf = ""
        self._base = 0  # payload offset of self._buf[0]
        self._delims: Delimiters | None = None

    @property
    def encoding(self) -> str:
        """The text decoding in use (decided from the first bytes when not given)."""
        return self._encoding or "latin-1"

    def feed(self, data: bytes) -> list[Token]:
        """Add bytes; return the tokens completed by them."""
        if self._encoding is None:
            self._encoding = detect_encoding(data[:64])
        self._buf += data.decode(self._encoding)
        out: list[Token] = []
        self._run(out, final=False)
        return out

    def close(self) -> list[Token]:
        """Signal end of input; return the remaining tokens."""
        out: list[Token] = []
        self._run(out, final=True)
        return out

    # -- the two states ---------------------------------------------------------------

    def _run(self, out: list[Token], *, final: bool) -> None:
        pos = 0
        while True:
            delims = self._delims
            if delims is None:
                pos, progressed = self._seek(out, pos, final=final)
            else:
                pos, progressed = self._split(out, pos, delims, final=final)
            if not progressed:
                break
        self._base += pos
        self._buf = self._buf[pos:]

    def _seek(self, out: list[Token], pos: int, *, final: bool) -> tuple[int, bool]:
        buf = self._buf
        n = len(buf)
        while pos < n:
            if buf[pos] in _SKIP:
                pos += 1
            elif buf.startswith(_BOM, pos):
                pos += len(_BOM)
            else:
                break
        if pos >= n:
            return pos, False
        if not buf.startswith("ISA", pos):
            if n - pos < 3 and not final:
                return pos, False
            nxt = buf.find("ISA", pos + 1)
            if nxt < 0:
                if not final:
                    if n - pos < _GARBAGE_HOLD:
                        return pos, False  # wait, to report the run once
                    keep = n - 2  # "IS" may be completed by the next chunk
                    out.append(_garbage(self._base + pos, buf[pos:keep], "data that is not X12"))
                    return keep, False
                nxt = n
            out.append(_garbage(self._base + pos, buf[pos:nxt], "data that is not X12"))
            return nxt, True
        if not final and n - pos < ISA_WINDOW:
            result = read_isa(buf, pos, base=self._base, final=False)
            if isinstance(result, IsaFailure) and result.incomplete:
                return pos, False
        else:
            result = read_isa(buf, pos, base=self._base, final=True)
        if isinstance(result, IsaFailure):
            nxt = buf.find("ISA", pos + 3)
            nxt = n if nxt < 0 else nxt
            out.append(Garbage(self._base + pos, buf[pos:nxt], result.issue))
            return nxt, True
        out.append(InterchangeStart(_rebase(result, self._base)))
        self._delims = result.delimiters
        return result.end, True

    def _split(
        self, out: list[Token], pos: int, delims: Delimiters, *, final: bool
    ) -> tuple[int, bool]:
        buf = self._buf
        term = delims.segment
        tlen = len(term)
        elem = delims.element
        if not final:
            fast = self._split_fast(out, pos, delims)
            if fast is not None:
                return fast, fast != pos
        pieces = buf[pos:].split(term)
        tail = pieces.pop()
        if final and tail.strip(WHITESPACE):
            pieces.append(tail)  # last segment without a terminator: tolerate it
            tail = ""
        offset = self._base + pos
        append = out.append
        strip_cr = term == "\n"
        iea = "IEA" + elem
        isa = "ISA" + elem
        ended = False
        for piece in pieces:
            start = offset
            offset += len(piece) + tlen
            if piece[:1] in WHITESPACE:
                if not piece:
                    continue
                text = piece.lstrip(WHITESPACE)
                if not text:
                    continue
                start += len(piece) - len(text)
            else:
                text = piece
            if strip_cr and text[-1:] == "\r":
                text = text[:-1]
            if ended:
                # Fast path for mailbags: the next ISA uses the same delimiters, so
                # the pieces already split stay valid and nothing is split twice.
                header = read_isa(text + term, 0, base=start) if text[:4] == isa else None
                if not isinstance(header, IsaHeader) or not _same(header.delimiters, delims):
                    self._delims = None
                    return start - self._base, True
                out.append(
                    InterchangeStart(
                        IsaHeader(
                            elements=header.elements,
                            delimiters=delims,
                            start=start,
                            end=offset,
                            issues=header.issues,
                        )
                    )
                )
                ended = False
                continue
            if text[:4] == isa:
                # an ISA while the interchange is open: its IEA never came. Hand the
                # new header to the seeking state; the envelope reader reports 023.
                self._delims = None
                return start - self._base, True
            append((start, text))
            if text[:4] == iea or text == "IEA":
                ended = True  # what follows may use other delimiters
        if ended:
            self._delims = None
            if not final:
                return offset - self._base, True
        if final:
            self._delims = None
            consumed = len(buf) if not tail else offset - self._base
            return consumed, consumed != pos
        if len(tail) > MAX_SEGMENT:
            # No terminator for megabytes: not a segment. Drop it (bounded memory) and
            # look for the next ISA; the open interchange ends without its IEA (023).
            out.append(
                _garbage(offset, tail[:64], f"no segment terminator {term!r} in {len(tail)} bytes")
            )
            self._delims = None
            return len(buf), True
        return offset - self._base, False

    def _split_fast(self, out: list[Token], pos: int, delims: Delimiters) -> int | None:
        """Split a clean chunk without a per-segment Python step (see :func:`_uniform`);
        None when the chunk needs the careful path."""
        buf = self._buf
        suffix = delims.suffix
        if suffix and buf.startswith(suffix, pos):
            # the line break of a terminator that ended the previous chunk: what the
            # careful path strips from the next segment (more whitespace goes there)
            if buf[pos + len(suffix) : pos + len(suffix) + 1] in WHITESPACE:
                return None
            pos += len(suffix)
        chunk = buf[pos:] if pos else buf
        sep = delims.segment + suffix
        iea = chunk.find("IEA" + delims.element)
        isa = chunk.find("ISA" + delims.element)
        if isa >= 0 and (iea < 0 or isa < iea):
            iea = isa  # a new ISA before any IEA: the careful path ends the interchange
        # up to the last whole terminator (before the trailer when there is one: it can
        # still go the fast way); a chunk that ends between a terminator and its line
        # break keeps that terminator for the next call, which would otherwise start
        # with the line break and take the careful path for good
        cut = chunk.rfind(sep, 0, iea if iea >= 0 else len(chunk))
        if cut <= 0:
            return None
        chunk = chunk[: cut + len(sep)]
        if not _uniform(chunk, delims.segment, sep):
            return None
        pieces = chunk.split(sep)
        pieces.pop()  # empty: the chunk ends with a terminator
        out.extend(zip(_offsets(self._base + pos, pieces, len(sep)), pieces, strict=False))
        return pos + len(chunk)


def _uniform(chunk: str, term: str, sep: str) -> bool:
    """True when splitting ``chunk`` on ``sep`` gives clean segments only: every
    terminator carries the partner's usual line break, nothing is indented and there
    are no empty segments. (The caller keeps IEA, where delimiters may change, out, and
    cuts the chunk after its last ``sep``.)"""
    if chunk[:1] in WHITESPACE:
        return False
    if term == "\n" and "\r" in chunk:
        return False
    # one scan: a terminator, before the last one, not followed by the line break and
    # then the start of a segment
    return _odd_terminator(term, sep).search(chunk, 0, len(chunk) - len(sep)) is None


@cache
def _odd_terminator(term: str, sep: str) -> re.Pattern[str]:
    follow = re.escape(sep[len(term) :])
    return re.compile(f"{re.escape(term)}(?!{follow}[^{re.escape(WHITESPACE + term)}])")


def _same(a: Delimiters, b: Delimiters) -> bool:
    return (a.element, a.component, a.segment, a.repetition) == (
        b.element,
        b.component,
        b.segment,
        b.repetition,
    )


def _offsets(base: int, pieces: list[str], step: int) -> Iterator[int]:
    # start offsets of consecutive pieces, computed in C (accumulate over map)
    return accumulate(chain((base,), map(add, map(len, pieces), repeat(step))))


def _rebase(header: IsaHeader, base: int) -> IsaHeader:
    if base == 0:
        return header
    return IsaHeader(
        elements=header.elements,
        delimiters=header.delimiters,
        start=header.start + base,
        end=header.end + base,
        issues=header.issues,
    )


def iter_tokens(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[Token]:
    """Tokens of a binary stream, read in chunks (bounded memory)."""
    tokenizer = Tokenizer()
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        yield from tokenizer.feed(chunk)
    yield from tokenizer.close()


def tokenize(data: bytes) -> tuple[list[Token], str]:
    """All tokens of an in-memory payload, and the encoding used."""
    tokenizer = Tokenizer()
    tokens = tokenizer.feed(data)
    tokens.extend(tokenizer.close())
    return tokens, tokenizer.encoding

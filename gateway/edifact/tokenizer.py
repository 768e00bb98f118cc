"""Split EDIFACT text into segments, elements, repetitions and components.

The rules, in the order they apply:

1. Segments are cut at the segment terminator unless it is released (preceded by an
   odd number of release characters). The cut happens on Latin-1 text, which maps
   every byte to one character, so byte offsets are exact for every character set:
   all service characters are ASCII and never occur inside a UTF-8 multi-byte
   sequence.
2. Line breaks. When the terminator is a printable character (``'`` or any UNA
   choice), CR and LF are formatting, never data: they are removed wherever they
   occur, so hard-wrapped files (a break in the middle of a tag or an element) read
   as if unwrapped. When a file uses the line break itself as terminator (no UNA,
   UNB line without ``'``, or a UNA naming LF/CR), LF ends a segment and a CR before
   it is dropped; empty lines are skipped.
3. Elements and components are then split on the decoded text of one segment, with
   release characters resolved (``??`` is a literal ``?``).

The fast path (no release character in the segment) is a handful of ``str.split``
calls; only segments that contain a release character take the character loop.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from gateway.edifact.service_chars import ServiceChars

# element -> repetitions -> components
Element = tuple[tuple[str, ...], ...]

# what the readers scan: the payload's bytes, or a read-only map of its file
Data = bytes | mmap.mmap

CHUNK = 1 << 20  # bytes decoded at a time: bounds memory on large payloads
_CRLF = "\r\n"
_LEAD = " \r\n"  # a piece starting with one of these has formatting to skip


def scan_segments(
    data: Data, start: int, chars: ServiceChars, *, chunk: int = CHUNK
) -> Iterator[tuple[int, int, str, bool]]:
    """Yield ``(offset, end, text, terminated)`` for each segment from ``start``.

    ``offset`` is the byte offset of the segment's first character (after any line
    breaks), ``end`` the offset just after its terminator, ``text`` the Latin-1 text
    without terminator and without formatting line breaks (releases not resolved),
    ``terminated`` False only for a last segment cut off by the end of the data.

    ``data`` read from a memory-mapped file: the pages of each chunk are given back once
    the chunk is decoded, so resident memory stays about one chunk, not the file (a
    later read of those bytes, such as the next interchange's header, maps them again).
    """
    mapped = isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED")
    released = 0
    newline = chars.newline_terminated
    term = "\n" if newline else chars.terminator
    rel = chars.release
    # a piece ending in one of these may end in a released terminator (line breaks
    # before the terminator are formatting, unless they are the terminator)
    suspect = "" if rel is None else rel if newline else rel + _CRLF
    n = len(data)
    pos = start
    carry = ""
    base = start  # byte offset of carry[0]
    acc = ""  # a segment whose terminator was released so far
    acc_start = -1
    while True:
        if pos < n:
            text = data[pos : pos + chunk].decode("latin-1")
            pos += chunk
            if mapped:
                upto = min(pos, n) // mmap.PAGESIZE * mmap.PAGESIZE
                if upto > released:
                    data.madvise(mmap.MADV_DONTNEED, released, upto - released)  # type: ignore[union-attr]
                    released = upto
            pieces = (carry + text).split(term)
            carry = pieces.pop()
            final = False
        else:
            pieces = [carry] if carry else []
            carry = ""
            final = True
        off = base
        for piece in pieces:
            piece_start = off
            off += len(piece) + 1
            if piece:
                last = piece[-1]
                if last in suspect:
                    stripped = piece.rstrip(_CRLF) if last != rel else piece
                    if rel is not None and stripped.endswith(rel):
                        count = len(stripped) - len(stripped.rstrip(rel))
                        if count % 2 == 1 and not (final and off > n):
                            if not acc:
                                acc_start = piece_start
                            acc += piece + term
                            continue
            if acc:
                piece = acc + piece
                piece_start = acc_start
                acc = ""
            if newline:
                if piece.endswith("\r"):
                    piece = piece[:-1]
                if not piece.strip():
                    continue
                lead = len(piece) - len(piece.lstrip())
                if lead:
                    piece = piece[lead:]
                yield piece_start + lead, off if off <= n else n, piece, off <= n
                continue
            if not piece:
                continue
            if piece[0] in _LEAD:
                lead_text = piece.lstrip(" \r\n\t")
                piece_start += len(piece) - len(lead_text)
                piece = lead_text
                if not piece:
                    continue
            if "\n" in piece or "\r" in piece:
                piece = piece.replace("\r", "").replace("\n", "")
                if not piece:
                    continue
            if off <= n:
                yield piece_start, off, piece, True
            else:
                yield piece_start, n, piece, False
        base = off
        if final:
            return


def split_segment(text: str, chars: ServiceChars) -> tuple[str, tuple[Element, ...]]:
    """Split one segment's decoded text into its tag and elements.

    Releases are resolved. A dangling release character at the very end is kept as
    data (there is nothing left for it to release).
    """
    rel = chars.release
    rep = chars.repetition
    if rel is None or rel not in text:
        parts = text.split(chars.element)
        comp = chars.component
        if rep is not None and rep in text:
            return parts[0], tuple(
                tuple(tuple(r.split(comp)) for r in p.split(rep)) for p in parts[1:]
            )
        return parts[0], tuple([(tuple(p.split(comp)),) for p in parts[1:]])
    return _split_released(text, chars, rel)


#: distinct element texts an :class:`ElementTexts` keeps before it starts over
MAX_ELEMENT_TEXTS = 1 << 12


class ElementTexts(dict[str, Element]):
    """Element text -> its repetitions of components, each distinct text split once.

    For text whose releases are already resolved and that holds no released separator
    (what :func:`splitter` hands it). Element texts repeat far more than segment texts
    (qualifiers, codes, empty elements, units), and a hit costs one dict lookup in C
    instead of a split and two tuples. Bounded: full, it starts over.
    """

    __slots__ = ("_component", "_repetition")

    def __init__(self, component: str, repetition: str | None) -> None:
        super().__init__()
        self._component = component
        self._repetition = repetition

    def __missing__(self, text: str) -> Element:
        if len(self) >= MAX_ELEMENT_TEXTS:
            self.clear()
        rep = self._repetition
        comp = self._component
        if rep is not None and rep in text:
            element = tuple(tuple(r.split(comp)) for r in text.split(rep))
        else:
            element = (tuple(text.split(comp)),)
        self[text] = element
        return element


@lru_cache(maxsize=64)
def _element_texts(component: str, repetition: str | None) -> ElementTexts:
    return ElementTexts(component, repetition)


@lru_cache(maxsize=64)
def splitter(chars: ServiceChars) -> Callable[[str], tuple[Element, ...]]:
    """``split_segment(text, chars)[1]`` for many segments of one set of characters.

    The same elements, built for reading a whole message (the mapping engine reads
    nearly every segment): a release before an ordinary character or the terminator is
    simply dropped, the usual case for released text (``it?'s``), so only text that
    releases a separator or a release character, or ends in one, takes
    :func:`_split_released`; each distinct element text is split once
    (:class:`ElementTexts`, shared by every caller with these separators).
    """
    elem = chars.element
    get = _element_texts(chars.component, chars.repetition).__getitem__

    def split(text: str) -> tuple[Element, ...]:
        parts = text.split(elem)
        del parts[0]  # the tag
        return tuple(map(get, parts))

    rel = chars.release
    if rel is None:
        return split
    separators = "".join(c for c in (rel, elem, chars.component, chars.repetition) if c)
    hard = re.compile(f"{re.escape(rel)}[{re.escape(separators)}]").search

    def split_released(text: str) -> tuple[Element, ...]:
        if rel in text:
            if text.endswith(rel) or hard(text):
                return _split_released(text, chars, rel)[1]
            text = text.replace(rel, "")
        parts = text.split(elem)
        del parts[0]  # the tag
        return tuple(map(get, parts))

    return split_released


# Private-use characters stand in for released service characters while splitting.
_PH_REL, _PH_ELEM, _PH_COMP, _PH_REP, _PH_TERM = "\ue000", "\ue001", "\ue002", "\ue003", "\ue004"
_PLACEHOLDERS = (_PH_REL, _PH_ELEM, _PH_COMP, _PH_REP, _PH_TERM)


def _split_released(text: str, chars: ServiceChars, rel: str) -> tuple[str, tuple[Element, ...]]:
    """Split a segment that contains release characters.

    Released characters are swapped for private-use placeholders, the text is split
    with ``str.split`` and the placeholders are swapped back; text that already holds
    such characters (or ends in a dangling release) takes the character loop.
    """
    if text.endswith(rel) or (not text.isascii() and any(ph in text for ph in _PLACEHOLDERS)):
        return _split_loop(text, chars)
    swaps, back = _swaps(chars, rel)
    swapped = text.replace(rel + rel, _PH_REL)
    for released, placeholder in swaps:
        swapped = swapped.replace(released, placeholder)
    # A release before an ordinary character releases nothing: it is dropped.
    swapped = swapped.replace(rel, "")
    # as split_segment(swapped) without a release character, then the placeholders
    # swapped back (they are not ASCII: ASCII components need no translation)
    parts = swapped.split(chars.element)
    comp = chars.component
    rep = chars.repetition
    split_reps = rep is not None and rep in swapped
    elements: list[Element] = []
    for part in parts[1:]:
        if part.isascii():
            if split_reps:
                elements.append(tuple(tuple(r.split(comp)) for r in part.split(rep)))
            else:
                elements.append((tuple(part.split(comp)),))
        else:
            reps = part.split(rep) if split_reps else [part]
            elements.append(
                tuple(
                    tuple(c if c.isascii() else c.translate(back) for c in r.split(comp))
                    for r in reps
                )
            )
    return parts[0].translate(back), tuple(elements)


@lru_cache(maxsize=64)
def _swaps(chars: ServiceChars, rel: str) -> tuple[tuple[tuple[str, str], ...], dict[int, str]]:
    """The (released character, placeholder) replacements of a set of service characters
    and the table that swaps the placeholders back (one per interchange's characters)."""
    back = {ord(_PH_REL): rel}
    swaps = []
    for ch, ph in (
        (chars.element, _PH_ELEM),
        (chars.component, _PH_COMP),
        (chars.repetition, _PH_REP),
        (chars.terminator, _PH_TERM),
    ):
        if ch is not None:
            swaps.append((rel + ch, ph))
            back[ord(ph)] = ch
    return tuple(swaps), back


def _split_loop(text: str, chars: ServiceChars) -> tuple[str, tuple[Element, ...]]:
    elem, comp, rel, rep = chars.element, chars.component, chars.release, chars.repetition
    elements: list[Element] = []
    reps: list[tuple[str, ...]] = []
    comps: list[str] = []
    cur: list[str] = []
    tag: str | None = None
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == rel:
            i += 1
            cur.append(text[i] if i < n else c)
        elif c == elem:
            comps.append("".join(cur))
            cur = []
            reps.append(tuple(comps))
            comps = []
            if tag is None:
                tag = reps[0][0]
            else:
                elements.append(tuple(reps))
            reps = []
        elif c == comp:
            comps.append("".join(cur))
            cur = []
        elif c == rep:
            comps.append("".join(cur))
            cur = []
            reps.append(tuple(comps))
            comps = []
        else:
            cur.append(c)
        i += 1
    comps.append("".join(cur))
    reps.append(tuple(comps))
    if tag is None:
        return reps[0][0], ()
    elements.append(tuple(reps))
    return tag, tuple(elements)


def escape(value: str, chars: ServiceChars) -> str:
    """Release every service character in ``value`` for writing."""
    rel = chars.release
    specials = [chars.element, chars.component, chars.terminator]
    if chars.repetition:
        specials.append(chars.repetition)
    if rel is None:
        return value
    if rel in value:
        value = value.replace(rel, rel + rel)
    for ch in specials:
        if ch in value:
            value = value.replace(ch, rel + ch)
    return value

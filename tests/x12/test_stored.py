"""One set read back from its stored bytes, as the translate stage reads it (parse once).

:func:`gateway.x12.stored.read_segments` must give the segments a full parse gives, in
both forms (compact segments, split views), whatever the partner does around its
terminators: line breaks after every one or none, CR LF, indentation, empty segments,
a line break as the terminator itself. Files whose every terminator carries the same line
break are split in one step; the rest segment by segment: the two must agree.
"""

from __future__ import annotations

import copy
import itertools

import pytest

from gateway import x12
from gateway.edi import EdiInterchange, EdiTransaction
from gateway.x12 import stored
from gateway.x12.segment import X12Segment, X12View
from tests.x12.helpers import build

LINES = [
    "BSN*00*SH-1*20240301*1415",
    "HL*1**S",
    "REF*BM*  BOL 7  ",
    "HL*2*1*I",
    "LIN*1*VP*GLV-100*UK*00012345678905",
    "SN1**10*EA",
]


def _variant(data: bytes, term: str, suffix: str, odd: str) -> bytes:
    """The builder's file with this terminator and line break; ``odd`` puts one
    irregularity inside the set (indented, empty segment, missing or other line break)."""
    text = data.decode("latin-1")
    body = [piece.strip("\r\n") for piece in text.split("~") if piece.strip("\r\n")]
    # the ISA's own terminator byte (its 106th character) names the terminator
    body[0] = body[0][:105]
    out = []
    for n, text_ in enumerate(body):
        piece, sep = text_, term + suffix
        if n == 5:  # inside the first set (ISA, GS, ST, BSN, HL ...)
            if odd == "indented":
                piece = "   " + piece
            elif odd == "empty":
                sep = term + suffix + term + suffix
            elif odd == "bare":
                sep = term
            elif odd == "crlf":
                sep = term + "\r\n"
        out.append(piece + sep)
    return "".join(out).encode("latin-1")


def _read_back(data: bytes) -> list[tuple[EdiTransaction, EdiInterchange]]:
    """Each set of the file with the interchange rebuilt from its record, as stored."""
    payload = x12.parse_payload(data, keep_segments=True)
    [edi] = payload.interchanges
    record = stored.envelope_record(edi, data[edi.start : edi.start + 64])
    restored = copy.copy(edi)  # its rows' fields; the envelope comes from the record
    stored.restore(restored, record)
    return [(tx, restored) for tx in edi.transactions]


@pytest.mark.parametrize(
    ("term", "suffix", "odd"),
    [
        *itertools.product(["~"], ["", "\n", "\r\n"], ["", "indented", "empty", "bare", "crlf"]),
        ("\n", "", ""),
        ("\n", "", "indented"),
    ],
)
def test_a_set_read_back_is_the_set_parsed(
    term: str, suffix: str, odd: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a file of two ship notices with this terminator, line break and oddity (in
    # the first), and which way each read splits
    data = _variant(build("856", LINES, functional_id="SH", sets=2), term, suffix, odd)
    sets = _read_back(data)
    assert len(sets) == 2
    one_step: list[bool] = []
    uniform_texts = stored._uniform_texts

    def spy(*args: str) -> list[str] | None:
        texts = uniform_texts(*args)
        one_step.append(texts is not None)
        return texts

    monkeypatch.setattr(stored, "_uniform_texts", spy)
    for tx, restored in sets:
        parsed = list(tx.segments)
        assert parsed and isinstance(parsed[0], X12Segment)
        # when each is read from its own bytes, compact and split
        compact = stored.read_segments(data, restored, tx)
        views = stored.read_segments(data, restored, tx, split=True)
        # then both are the parsed segments: texts, numbers, delimiters
        assert [(s.text, s.position) for s in compact] == [(s.text, s.position) for s in parsed]
        assert all(isinstance(v, X12View) for v in views)
        assert [(v._parts, v.position, v.plain) for v in views] == [
            (s.parts, s.position, X12View(s).plain) for s in parsed
        ]
    # and a set whose terminators all carry the usual line break took the one-step split
    regular = bool(suffix) and term == "~"
    odd_here = odd not in ("", "crlf") or (odd == "crlf" and suffix != "\r\n")
    assert one_step == [regular and not odd_here] * 2 + [regular] * 2


def test_the_one_step_split_is_taken_only_for_regular_files() -> None:
    regular = "ST*856*0001~\nBSN*00*1~\nSE*3*0001~\n"
    assert stored._uniform_texts(regular, "~", "\n") == ["ST*856*0001", "BSN*00*1", "SE*3*0001"]
    for irregular in (
        "ST*856*0001~\n  BSN*00*1~\nSE*3*0001~\n",  # indented
        "ST*856*0001~BSN*00*1~\nSE*3*0001~\n",  # a terminator without its line break
        "ST*856*0001~\n~\nSE*3*0001~\n",  # an empty segment
        "ST*856*0001~\nBSN*00*1~\nSE*3*0001",  # no final terminator
    ):
        assert stored._uniform_texts(irregular, "~", "\n") is None, irregular
    assert stored._uniform_texts(regular, "~", "") is None  # no usual line break
    assert stored._uniform_texts("ST*856*0001\nSE*2*0001\n", "\n", "") is None

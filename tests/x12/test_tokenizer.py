"""Tokenizer: delimiters from the ISA, partner layouts, and chunked (streaming) reading."""

from __future__ import annotations

import io

import pytest

from gateway import x12
from gateway.x12.isa import IsaFailure, IsaHeader, read_isa
from gateway.x12.tokenizer import InterchangeStart, Tokenizer, tokenize
from tests.x12.helpers import build, only_interchange


def _segments(data: bytes) -> list[tuple[int, str]]:
    tokens, _ = tokenize(data)
    return [t for t in tokens if isinstance(t, tuple)]


def test_delimiters_come_from_the_isa() -> None:
    data = build().replace(b"*", b"|").replace(b"~", b"!")
    header = read_isa(data.decode("latin-1"), 0)
    assert isinstance(header, IsaHeader)
    d = header.delimiters
    assert (d.element, d.component, d.segment, d.suffix) == ("|", ">", "!", "\n")


def test_repetition_separator_only_from_00402() -> None:
    ix4010 = only_interchange(build())
    ix5010 = only_interchange(build(version="00501", gs_version="005010"))
    assert x12.envelope_of(ix4010).delimiters.repetition is None
    assert x12.envelope_of(ix5010).delimiters.repetition == "^"


@pytest.mark.parametrize(
    ("name", "transform"),
    [
        ("bom", lambda d: b"\xef\xbb\xbf" + d),
        ("crlf", lambda d: d.replace(b"~\n", b"~\r\n")),
        ("no newline", lambda d: d.replace(b"~\n", b"~")),
        ("bare LF terminator", lambda d: d.replace(b"~\n", b"\n")),
        ("bare CRLF terminator", lambda d: d.replace(b"~\n", b"\r\n")),
        ("indented", lambda d: d.replace(b"~\n", b"~\n\t  ")),
        ("utf-8 ellipsis terminator", lambda d: d.replace(b"~", "\u2026".encode())),
        ("no final terminator", lambda d: d.rstrip(b"~\n")),
    ],
)
def test_partner_layouts_parse_the_same(name: str, transform) -> None:  # type: ignore[no-untyped-def]
    # given the same document in a layout real partners send / when parsed
    reference = only_interchange(build())
    ix = only_interchange(transform(build()))
    # then the segments and findings are the same
    assert ix.issues == [], name
    assert [[s.parts for s in t.segments] for t in ix.transactions] == [
        [s.parts for s in t.segments] for t in reference.transactions
    ]


def test_isa16_missing_tilde_read_as_terminator() -> None:
    data = build().replace(b"*P*>~\n", b"*P*~\n", 1)
    ix = only_interchange(data)
    assert [i.code for i in ix.issues] == ["027"] and not ix.rejected
    assert len(ix.transactions) == 1 and ix.transactions[0].issues == []


def test_isa_with_too_few_elements_is_not_an_interchange() -> None:
    result = read_isa("ISA*00*  *00~GS*PO~" + " " * 500, 0)
    assert isinstance(result, IsaFailure) and result.issue.code in ("022", "023")


def test_invalid_element_separator_is_026() -> None:
    result = read_isa("ISAA00A" + "x" * 200, 0)
    assert isinstance(result, IsaFailure) and result.issue.code == "026"


def test_byte_offsets_point_at_segments() -> None:
    data = b"\xef\xbb\xbf" + build().replace(b"~\n", b"~\r\n")
    for offset, text in _segments(data):
        assert data[offset : offset + len(text)].decode("latin-1") == text


def test_mailbag_with_different_delimiters_per_interchange() -> None:
    first = build(control=1)
    second = build(control=2).replace(b"*", b"|").replace(b"~\n", b"\x15")
    third = build(control=3)
    payload = x12.parse_payload(first + second + b"\r\n" + third)
    assert [ix.control_number for ix in payload.interchanges] == [
        "000000001",
        "000000002",
        "000000003",
    ]
    assert all(ix.issues == [] and len(ix.transactions) == 1 for ix in payload.interchanges)
    assert x12.envelope_of(payload.interchanges[1]).delimiters.element == "|"


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_chunked_feeding_gives_the_same_tokens(chunk: int) -> None:
    data = build(sets=3) + build(control=2).replace(b"~\n", b"\n") + b"\n"
    whole, _ = tokenize(data)
    tokenizer = Tokenizer()
    pieces = []
    for start in range(0, len(data), chunk):
        pieces.extend(tokenizer.feed(data[start : start + chunk]))
    pieces.extend(tokenizer.close())
    assert _normal(pieces) == _normal(whole)


def _normal(tokens: list) -> list:
    return [
        t
        if isinstance(t, tuple)
        else (type(t).__name__, t.header.elements)
        if isinstance(t, InterchangeStart)
        else type(t).__name__
        for t in tokens
    ]


def test_iter_segments_streams_a_file() -> None:
    data = build(sets=2)
    tags = [seg.tag for _, seg in x12.iter_segments(io.BytesIO(data), chunk_size=16)]
    assert tags[:3] == ["ISA", "GS", "ST"] and tags[-2:] == ["GE", "IEA"]
    assert tags.count("ST") == 2


def test_ebcdic_payload_is_decoded() -> None:
    text = build().decode("latin-1").replace("~\n", "\x85")
    data = text.encode("cp037")
    payload = x12.parse_payload(data)
    assert payload.encoding == "cp037"
    assert payload.interchanges[0].issues == [] and payload.interchanges[0].transactions


@pytest.mark.parametrize(
    "layout",
    [
        lambda d: d,
        lambda d: d.replace(b"~\n", b"~"),
        lambda d: d.replace(b"~\n", b"~\r\n"),
        lambda d: d.replace(b"~\n", b"\n"),
        lambda d: d.replace(b"REF*DP*038~\n", b"REF*DP*038~\n  N9*X~"),
        lambda d: d.replace(b"REF*DP*038~\n", b"REF*DP*038~~\n"),
    ],
)
def test_fast_split_matches_the_careful_path(layout, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # given the same bytes read with and without the whole-chunk fast path
    import gateway.x12.tokenizer as tokenizer_module

    data = layout(build(sets=5) + build(control=2, sets=3))
    fast, _ = tokenize(data)
    monkeypatch.setattr(tokenizer_module, "_uniform", lambda *args: False)
    careful, _ = tokenize(data)
    # then the tokens are identical
    assert _normal(fast) == _normal(careful)
    assert sum(1 for t in fast if isinstance(t, tuple)) > 30


def test_endless_segment_is_dropped_with_bounded_memory() -> None:
    # given an ISA followed by megabytes without a terminator, fed in chunks
    from gateway.x12 import tokenizer as tokenizer_module

    head = build().split(b"GS*")[0]
    tokenizer = Tokenizer()
    tokens = tokenizer.feed(head)
    for _ in range(6):
        tokens += tokenizer.feed(b"A" * (1 << 20))
        assert len(tokenizer._buf) <= tokenizer_module.MAX_SEGMENT + (1 << 20)
    tokens += tokenizer.close()
    # then the runaway data became a finding, not a buffer
    garbage = [t for t in tokens if isinstance(t, tokenizer_module.Garbage)]
    assert garbage and "no segment terminator" in garbage[0].issue.message
    payload = x12.parse_payload(head + b"A" * (5 << 20))
    assert [i.code for i in payload.interchanges[0].issues] == ["023"]


@pytest.mark.parametrize("suffix", [b"\n", b"\r\n"])
def test_chunks_ending_between_a_terminator_and_its_line_break(
    suffix: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a document whose segments end in "~" plus a line break, fed in chunks that
    # each end right after a "~" (the line break starts the next chunk)
    import gateway.x12.tokenizer as tokenizer_module

    data = build(sets=40).replace(b"~\n", b"~" + suffix)
    cuts = [i + 1 for i in range(0, len(data), 1) if data[i : i + 1] == b"~"][5::7]
    whole, _ = tokenize(data)
    fast_segments = 0
    offsets = tokenizer_module._offsets

    def counting(base: int, pieces: list[str], step: int):  # type: ignore[no-untyped-def]
        nonlocal fast_segments
        fast_segments += len(pieces)
        return offsets(base, pieces, step)

    monkeypatch.setattr(tokenizer_module, "_offsets", counting)
    tokenizer = Tokenizer()
    pieces = []
    for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
        pieces.extend(tokenizer.feed(data[start:end]))
    pieces.extend(tokenizer.close())
    # then the tokens are those of the whole payload, and the whole-chunk fast path
    # split most of them (the line break left over is not a reason to leave it)
    assert _normal(pieces) == _normal(whole)
    segments = sum(1 for t in whole if isinstance(t, tuple))
    assert fast_segments > segments * 0.6

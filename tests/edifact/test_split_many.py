"""The whole-message splitter (``tokenizer.splitter``, ``segment.split_elements``) gives
exactly what a segment's first read (``split_segment``) gives, releases included."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.edifact import tokenizer
from gateway.edifact.segment import EdifactSegment, forget_elements, split_elements
from gateway.edifact.service_chars import DEFAULT_CHARS, ServiceChars
from gateway.edifact.tokenizer import split_segment, splitter

CHARS = [
    DEFAULT_CHARS,
    ServiceChars(repetition="*"),  # syntax 4
    ServiceChars(release=None),
    ServiceChars(component="]", element="^", release="\\", repetition="-", terminator="~"),
]

# separators of every set above, release characters, line-break-free data, non-ASCII
# text and the private-use characters the release path swaps in
ALPHABET = ":+?*'']^\\-~ aZ09.\u00e9\ue000\ue001\ue003"


@pytest.mark.parametrize(
    "text",
    [
        "FTX+A+++it?'s",
        "FTX+AAI+++a?+b:c",
        "IMD+F++:::Tube gauze L17 ?'x?'",
        "FTX+A+??+x?:y",
        "FTX+A+b?",  # a dangling release is data
        "FTX+A+b??",
        "LIN",
        "LIN+",
        "QTY+21:486:PCE",
        "NAD+BY+4777455673077::9",
        "FTX+A+\ue001?+",
    ],
)
@pytest.mark.parametrize("chars", CHARS)
def test_splitter_matches_split_segment(text: str, chars: ServiceChars) -> None:
    assert splitter(chars)(text) == split_segment(text, chars)[1]


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=ALPHABET, max_size=40), which=st.integers(0, len(CHARS) - 1))
def test_splitter_matches_split_segment_on_any_text(text: str, which: int) -> None:
    chars = CHARS[which]
    text = "TAG" + chars.element + text
    assert splitter(chars)(text) == split_segment(text, chars)[1]


def test_element_texts_start_over_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a tiny bound
    monkeypatch.setattr(tokenizer, "MAX_ELEMENT_TEXTS", 3)
    texts = tokenizer.ElementTexts(":", None)
    # when more distinct texts than that are split
    for n in range(10):
        assert texts[f"{n}:x"] == ((str(n), "x"),)
    # then it never holds more than the bound, and answers stay right
    assert len(texts) <= 3
    assert texts["a:b"] == (("a", "b"),)


def test_split_elements_fills_lazy_segments_like_their_first_read() -> None:
    chars = DEFAULT_CHARS
    raws = ["FTX+AAI+++a?+b:c", "QTY+21:4:PCE", "IMD+F++:::L15 ?'x", "UNS+S"]
    lazy = [EdifactSegment(r[:3], None, n, 0, raw=r, chars=chars) for n, r in enumerate(raws)]
    eager = [EdifactSegment(r[:3], split_segment(r, chars)[1], n) for n, r in enumerate(raws)]
    # when split in one pass (a segment already split is left alone)
    lazy[3].elements  # noqa: B018 - its first read splits it
    done = split_elements([*lazy, "not a segment"])
    # then each holds what its first read gives, and only the three split here are returned
    assert done == lazy[:3] and all(s._elements is not None for s in lazy)
    assert lazy == eager
    assert lazy[2].value(3, 4) == "L15 'x"
    # and forgotten, they hold their text again and split the same on the next read
    forget_elements(done)
    assert all(s._elements is None and s._raw is not None for s in done)
    assert lazy == eager

"""The regex fast path never accepts what the element checker would flag."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.edi import Issue
from gateway.edifact.segment import EdifactSegment
from gateway.edifact.service_chars import DEFAULT_CHARS
from gateway.edifact.specs.model import find_message_spec
from gateway.edifact.tokenizer import split_segment
from gateway.edifact.validate import MessageValidator

SPEC, _ = find_message_spec("ORDERS", "96A")
assert SPEC is not None

_pieces = st.sampled_from(
    [
        "21",
        "48",
        "PCE",
        "4.5",
        "4,5",
        "-3",
        "1.",
        ".5",
        "-,5",
        "0.5",
        "X",
        "",
        "AB",
        "220",
        "137",
        "102",
        "ABCD",
        "1" * 16,
        "12345678901234567890",
        "?+",
        "??",
        "?:",
        "a b",
        "SRV",
        "EN",
        "1E",
    ]
)


@st.composite
def _segment_text(draw: st.DrawFn) -> str:
    tag = draw(
        st.sampled_from(
            [
                "QTY",
                "DTM",
                "BGM",
                "LIN",
                "PIA",
                "NAD",
                "PRI",
                "MOA",
                "RFF",
                "CNT",
                "FTX",
                "UNS",
                "PCI",
                "GIN",
            ]
        )
    )
    elements = draw(st.lists(st.lists(_pieces, min_size=1, max_size=5), min_size=0, max_size=6))
    return tag + "".join("+" + ":".join(e) for e in elements)


@settings(max_examples=2000, deadline=None)
@given(text=_segment_text())
def test_fast_path_implies_checker_finds_nothing(text: str) -> None:
    issues: list[Issue] = []
    validator = MessageValidator(SPEC, exact=True, issues=issues, chars=DEFAULT_CHARS)
    tag, elements = split_segment(text, DEFAULT_CHARS)
    if validator.fast_ok(tag, text):
        validator.check_elements(EdifactSegment(tag, elements, 2, 0))
        assert issues == [], text


def test_fast_path_accepts_typical_segments() -> None:
    validator = MessageValidator(SPEC, exact=True, issues=[], chars=DEFAULT_CHARS)
    for text in (
        "QTY+21:48:PCE",
        "DTM+137:20240115:102",
        "NAD+BY+5412345000013::9",
        "PRI+AAA:12.5:CT::1:PCE",
        "FTX+AAI+++it?'s fine",
    ):
        assert validator.fast_ok(text[:3], text), text
    # PIA+1: C212 is mandatory though none of its components is; the checker reports 13
    for text in ("QTY+21:4X", "QTY+21:48:", "DTM+137:2024+", "BGM+220+1+9+1+1", "PIA+1"):
        assert not validator.fast_ok(text[:3], text), text

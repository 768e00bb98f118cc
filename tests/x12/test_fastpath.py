"""The fast regex per layout must agree with the element checker it short-cuts."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.edi import Issue
from gateway.x12.fastpath import bulk_patterns, segment_patterns, set_pattern
from gateway.x12.segment import X12Segment
from gateway.x12.specs.segments import SEGMENTS
from gateway.x12.validate import _PLANS, _SET_TAGS, validator_for
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from x12_generate import generate

_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "00",
            "1",
            "12",
            "123",
            "-5",
            "1.5",
            ".5",
            "5.",
            "1.2.3",
            "20240229",
            "20240230",
            "20270229",
            "19000229",
            "20000229",
            "270229",
            "280229",
            "240101",
            "2359",
            "2460",
            "235959",
            "12345678",
            "VP",
            "UP",
            "N4",
            "ZZ",
            "BY",
            "USD",
            "ST",
            "002",
            "DP",
            "A",
            "AC",
            "IA",
            "X" * 31,
            "9" * 16,
            "a>b",
            "a^b",
            "-",
            "S",
            "I",
            "O",
        ]
    ),
    st.text(alphabet="0123456789.-ABZ>^ ", max_size=10),
)


def _slow_ok(tag: str, parts: list[str]) -> bool:
    issues: list[Issue] = []
    validator = validator_for("850", "004010", issues, ("*", ">", "^"))
    assert validator is not None
    plan = _PLANS[tag]
    assert plan is not None
    validator._elements(X12Segment.of(parts, 2, ">", "^"), plan, 0)
    return not issues


@settings(max_examples=400, deadline=None)
@given(tag=st.sampled_from(sorted(SEGMENTS)), values=st.lists(_VALUES, max_size=12))
def test_regex_accepts_exactly_what_the_checker_accepts(tag: str, values: list[str]) -> None:
    parts = [tag, *values]
    fast = segment_patterns("*", ">", "^")[tag].fullmatch("*".join(parts)) is not None
    slow = _slow_ok(tag, parts)
    # the fast path may only ever say "fine" when the checker says so too; and it should
    # say so for everything the checker passes, or it would slow the common case down
    assert fast == slow, (parts, fast, slow)


# -- the set pattern (one regex per set, notes as branches) against the segment ones ---

_SEGMENTS = sorted(
    {
        text
        for kind in ("850", "856", "810")
        for text in b"".join(generate(kind, 40_000, seed=5)).decode("latin-1").split("~\n")
        if text.split("*")[0] in SEGMENTS
    }
)
_EDITS = st.sampled_from(
    ["", " ", "  ", " X", "X", "01", "1.5", "ZZ", "20240230", "20270229", "a>b"]
)


@st.composite
def segment_mutants(draw: st.DrawFn) -> str:
    """A valid segment with elements blanked, added, dropped, inserted or swapped: the
    edits that trip syntax notes, mandatory elements and element counts."""
    parts = draw(st.sampled_from(_SEGMENTS)).split("*")
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["set", "append", "pop", "insert", "swap"]))
        i = draw(st.integers(1, max(1, len(parts) - 1)))
        if action == "set" and len(parts) > 1:
            parts[i] = draw(_EDITS)
        elif action == "append":
            parts.append(draw(_EDITS))
        elif action == "pop" and len(parts) > 1:
            parts.pop()
        elif action == "insert":
            parts.insert(i, draw(_EDITS))
        elif action == "swap" and len(parts) > 2:
            j = draw(st.integers(1, len(parts) - 1))
            parts[i], parts[j] = parts[j], parts[i]
    return "*".join(parts)


@settings(max_examples=3000, deadline=None)
@given(texts=st.lists(segment_mutants(), min_size=1, max_size=4))
def test_the_set_pattern_accepts_exactly_what_the_segment_patterns_accept(
    texts: list[str],
) -> None:
    # given segments, valid or with their elements edited, checked one by one with the
    # per-segment patterns (elements and syntax notes) and together as one set text
    tags = [text.split("*")[0] for text in texts]
    table = bulk_patterns("*", ">", None)
    one_by_one = all(table[tag].fullmatch(text) for tag, text in zip(tags, texts, strict=True))
    pattern = set_pattern(frozenset(tags), "*", ">", None, "~")
    assert pattern is not None
    together = pattern.fullmatch("~".join(texts) + "~") is not None
    # then both say the same
    assert together == one_by_one, texts


def test_the_set_pattern_accepts_the_valid_segments_of_every_tag() -> None:
    # every shipped set's tags compile into one pattern, which passes the generated
    # files' segments (so it is not simply refusing everything)
    for set_id, tags in _SET_TAGS.items():
        assert set_pattern(frozenset(tags), "*", ">", None, "~") is not None, set_id
    pattern = set_pattern(frozenset(_SEGMENTS_TAGS), "*", ">", None, "~")
    assert pattern is not None
    assert pattern.fullmatch("~".join(_SEGMENTS) + "~")
    assert not pattern.fullmatch("~".join(_SEGMENTS) + "~PO1*1*2*EA*1.5**VP~")


_SEGMENTS_TAGS = {text.split("*")[0] for text in _SEGMENTS}

"""The fast regex per layout must agree with the element checker it short-cuts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.edi import Issue
from gateway.x12.fastpath import segment_patterns
from gateway.x12.segment import X12Segment
from gateway.x12.specs.segments import SEGMENTS
from gateway.x12.validate import _PLANS, validator_for

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

"""X12 syntax notes (relational conditions, X12.6) enforced from the segment directory:
one test per kind of rule, each built from a note the 004010 directory gives, checked
in the 997 (AK403 2 / 10) and the 999 (IK403 plus CTX*SITUATIONAL TRIGGER) and by pyx12."""

from __future__ import annotations

import pytest

from gateway import x12
from gateway.edi import Level
from tests.x12.helpers import NOW, NUMBERS, OURS, PO_850, Pyx12Validator, build, only_interchange


def _with(segment_from: str, segment_to: str, *, version: str = "004010") -> bytes:
    body = [segment_to if s == segment_from else s for s in PO_850]
    assert body != PO_850, segment_from
    return build(
        segments=body, version="00501" if version >= "005010" else "00401", gs_version=version
    )


def _element_issues(data: bytes) -> list[tuple[str, str, int, str, int | None, bool]]:
    ix = only_interchange(data)
    return [
        (
            i.code,
            i.segment_tag or "",
            i.element_position or 0,
            i.element_reference or "",
            i.trigger_element,
            i.fatal,
        )
        for t in ix.transactions
        for i in t.issues
        if i.level is Level.ELEMENT
    ]


def _segments(ack: bytes) -> list[list[str]]:
    return [list(s.parts) for t in only_interchange(ack).transactions for s in t.segments]


# (rule as written in the 004010 segment directory, a segment breaking it, the finding)
CASES = [
    # P0304 (N1): "If either N103 or N104 is present, then the other is required"
    ("N1*ST*General Hospital*92*0042", "N1*ST*General Hospital*92", ("2", "N1", 4, "67", 3)),
    # R0203 (REF): "At least one of REF02 or REF03 is required"
    ("REF*DP*038", "REF*DP", ("2", "REF", 2, "127", None)),
    # C0605 (N4): "If N406 is present, then N405 is required"
    (
        "N4*Springfield*IL*62701*US",
        "N4*Springfield*IL*62701*US**A1",
        ("2", "N4", 5, "309", 6),
    ),
    # C0403 (PID): "If PID04 is present, then PID03 is required"
    (
        "PID*F****Nitrile gloves, medium",
        "PID*F***G1*Nitrile gloves, medium",
        ("2", "PID", 3, "559", 4),
    ),
]


@pytest.mark.parametrize(("good", "bad", "finding"), CASES)
def test_syntax_note_violation_is_ak4_code_2(
    good: str, bad: str, finding: tuple[str, str, int, str, int | None]
) -> None:
    data = _with(good, bad)
    code, tag, element, reference, trigger = finding
    assert (code, tag, element, reference, trigger, True) in _element_issues(data)
    # the set is rejected and the 997 says where: AK3 ... 8, AK4 element 2
    ack = x12.build_acknowledgement(
        only_interchange(data), kind="997", ours=OURS, numbers=NUMBERS, now=NOW
    )
    assert ack is not None
    segs = _segments(ack.data)
    assert ["AK4", str(element), reference, "2"] in [s[:4] for s in segs if s[0] == "AK4"]
    assert ["AK5", "R", "5"] in segs


def test_the_conforming_segments_raise_nothing() -> None:
    # the sample 850 keeps every note: none of these findings without a change
    assert _element_issues(build()) == []


def test_list_conditional_l_rule() -> None:
    # SCH L080910 (004010 SCH): "If SCH08 is present, then at least one of SCH09 or SCH10
    # is required"; C0304: "If SCH03 is present, then SCH04 is required"
    body = [*PO_850[:7], "SCH*5*EA*ST**002*20240320**002", *PO_850[7:]]
    found = _element_issues(build(segments=body))
    assert ("2", "SCH", 9, "373", 8, True) in found


def test_exclusion_e_rule_is_code_10() -> None:
    # MEA E0803 (004010 MEA): "Only one of MEA08 or MEA03 may be present"
    body = [*PO_850[:7], "MEA*PD*WT*12*LB****AA", *PO_850[7:]]
    found = _element_issues(build(segments=body))
    # reported on the note's second element, MEA03, naming MEA08 as the trigger
    assert ("10", "MEA", 3, "739", 8, True) in found
    ack = x12.build_acknowledgement(
        only_interchange(build(segments=body)), kind="997", ours=OURS, numbers=NUMBERS, now=NOW
    )
    assert ack is not None
    assert any(s[:4] == ["AK4", "3", "739", "10"] for s in _segments(ack.data))


def test_999_names_the_trigger_in_ctx_and_passes_pyx12(pyx12_validator: Pyx12Validator) -> None:
    # 005010X231A1: IK3 loop CTX "Segment Context", CTX01 SITUATIONAL TRIGGER, CTX02 the
    # segment, CTX03 its position, CTX05 the element that triggered the rule
    data = _with("N1*ST*General Hospital*92*0042", "N1*ST*General Hospital*92", version="005010")
    ack = x12.build_acknowledgement(
        only_interchange(data), kind="999", ours=OURS, numbers=NUMBERS, now=NOW
    )
    assert ack is not None
    segs = _segments(ack.data)
    assert ["IK3", "N1", "5", "", "8"] in segs
    assert ["CTX", "SITUATIONAL TRIGGER", "N1", "5", "", "3"] in segs
    assert ["IK4", "4", "67", "2"] in segs
    assert pyx12_validator.errors(ack.data) == []


@pytest.mark.parametrize("kind", ["997", "999"])
def test_pyx12_accepts_acks_with_syntax_note_findings(
    kind: str, pyx12_validator: Pyx12Validator
) -> None:
    body = [*PO_850[:7], "MEA*PD*WT*12*LB****AA", "SCH*5*EA***002*20240320**002", *PO_850[7:]]
    version = "005010" if kind == "999" else "004010"
    data = build(segments=body, version="00501" if kind == "999" else "00401", gs_version=version)
    ack = x12.build_acknowledgement(
        only_interchange(data),
        kind=kind,
        ours=OURS,
        numbers=NUMBERS,
        now=NOW,  # type: ignore[arg-type]
    )
    assert ack is not None
    assert pyx12_validator.errors(ack.data) == []

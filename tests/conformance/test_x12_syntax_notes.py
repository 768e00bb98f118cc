"""X12 syntax notes (X12.6 relational conditions) in every release after 004010 we have
specs for, answered in the acknowledgement of that release.

``tests/x12/test_syntax_notes.py`` proves each kind of note on 004010 (997 AK4) and one
999 CTX; here the same notes, as the segment directories of 004030, 004060 and 005010
keep them, must give the same codes in a 997 of the group's release and in a 999, and
pyx12 must read what we wrote. AK403 / IK403 (723): 2 "conditional required data
element missing" for P, R, C, L; 10 "exclusion condition violated" for E.
"""

from __future__ import annotations

import pytest

from gateway import x12
from gateway.edi import Level
from tests.x12.helpers import NOW, NUMBERS, OURS, PO_850, Pyx12Validator, build, only_interchange

# (the note as the segment directory writes it, a conforming 850 segment, the segment
# breaking it (None: insert the bad one in PO1 line 1, after its PID), and the AK4:
# element, reference, code)
RULES = [
    # N1 P0304: "If either N103 or N104 is present, then the other is required"
    ("P0304", "N1*ST*General Hospital*92*0042", "N1*ST*General Hospital*92", (4, "67", "2")),
    # REF R0203: "At least one of REF02 or REF03 is required"
    ("R0203", "REF*DP*038", "REF*DP", (2, "127", "2")),
    # N4 C0605: "If N406 is present, then N405 is required"
    ("C0605", "N4*Springfield*IL*62701*US", "N4*Springfield*IL*62701*US**A1", (5, "309", "2")),
    # SCH L080910: "If SCH08 is present, then at least one of SCH09 or SCH10 is required"
    ("L080910", None, "SCH*5*EA***002*20240320**002", (9, "373", "2")),
    # MEA E0803: "Only one of MEA08 or MEA03 may be present" (reported on MEA03)
    ("E0803", None, "MEA*PD*WT*12*LB****AA", (3, "739", "10")),
]

# (ISA12, GS08, acknowledgement the profile asks for, set we answer with)
RELEASES = [
    ("00403", "004030", "997", "997"),
    ("00406", "004060", "997", "997"),
    ("00501", "005010", "997", "997"),
    ("00501", "005010", "999", "999"),
]


@pytest.fixture(scope="module")
def pyx12_validator() -> Pyx12Validator:
    return Pyx12Validator()


def _document(good: str | None, bad: str, isa12: str, gs08: str) -> bytes:
    if good is None:
        body = [*PO_850[:8], bad, *PO_850[8:]]
    else:
        body = [bad if s == good else s for s in PO_850]
        assert body != PO_850
    return build(segments=body, version=isa12, gs_version=gs08)


@pytest.mark.parametrize(("isa12", "gs08", "kind", "answer"), RELEASES)
@pytest.mark.parametrize(("note", "good", "bad", "ak4"), RULES, ids=[r[0] for r in RULES])
def test_syntax_note_is_reported_in_the_release_of_the_group(
    pyx12_validator: Pyx12Validator,
    note: str,
    good: str | None,
    bad: str,
    ak4: tuple[int, str, str],
    isa12: str,
    gs08: str,
    kind: str,
    answer: str,
) -> None:
    element, reference, code = ak4
    tag = bad.split("*", 1)[0]
    interchange = only_interchange(_document(good, bad, isa12, gs08))
    # the finding is fatal and names the segment, element and data element reference
    found = [
        (i.code, i.segment_tag, i.element_position, i.element_reference, i.fatal)
        for t in interchange.transactions
        for i in t.issues
        if i.level is Level.ELEMENT
    ]
    assert (code, tag, element, reference, True) in found, note
    ack = x12.build_acknowledgement(interchange, kind=kind, ours=OURS, numbers=NUMBERS, now=NOW)
    assert ack is not None and ack.kind == answer
    parsed = only_interchange(ack.data)
    segments = [list(s.parts) for t in parsed.transactions for s in t.segments]
    if answer == "997":
        # a 997 in the group's own release (GS08), AK4 element / reference / code
        assert parsed.groups[0].version == gs08
        assert ["AK4", str(element), reference, code] in [s[:4] for s in segments]
        assert ["AK5", "R", "5"] in segments
    else:
        # 005010X231A1: IK4 and, for a note with a trigger, CTX SITUATIONAL TRIGGER
        assert ["IK4", str(element), reference, code] in [s[:4] for s in segments]
        assert ["IK5", "R", "5"] in segments
        if note[0] != "R":  # an R note has no trigger element
            assert any(s[:3] == ["CTX", "SITUATIONAL TRIGGER", tag] for s in segments)
    assert pyx12_validator.errors(ack.data) == []


@pytest.mark.parametrize(("isa12", "gs08", "kind", "answer"), RELEASES[:3])
def test_the_conforming_document_has_no_syntax_note_finding(
    isa12: str, gs08: str, kind: str, answer: str
) -> None:
    # the sample 850 with a P, R, C note kept in every segment, and SCH/MEA that keep theirs
    body = [*PO_850[:8], "MEA*PD*WT*12*LB", "SCH*5*EA***002*20240320**002*20240322", *PO_850[8:]]
    interchange = only_interchange(build(segments=body, version=isa12, gs_version=gs08))
    assert [i for t in interchange.transactions for i in t.issues] == []
    ack = x12.build_acknowledgement(interchange, kind=kind, ours=OURS, numbers=NUMBERS, now=NOW)
    assert ack is not None
    segments = [list(s.parts) for t in only_interchange(ack.data).transactions for s in t.segments]
    assert ["AK5", "A"] in segments and ["AK9", "A", "1", "1", "1"] in segments

"""Transaction set validation against the specs: AK3/AK4 (IK3/IK4) codes and positions."""

from __future__ import annotations

from gateway.edi import Level, TransactionStatus
from tests.x12.helpers import PO_850, build, only_interchange


def _issues(segments: list[str], set_id: str = "850", **kw):  # type: ignore[no-untyped-def]
    tx = only_interchange(build(set_id, segments, **kw)).transactions[0]
    return tx, [
        (i.level, i.code, i.segment_tag, i.segment_position, i.element_position, i.fatal)
        for i in tx.issues
    ]


def test_valid_850_passes() -> None:
    tx, found = _issues(PO_850)
    assert found == [] and tx.status is TransactionStatus.ACCEPTED


def test_missing_mandatory_segment_is_code_3() -> None:
    _tx, found = _issues(PO_850[1:])  # no BEG
    assert (Level.SEGMENT, "3", "BEG", 2, None, True) in found


def test_missing_mandatory_loop_is_code_3() -> None:
    _tx, found = _issues([s for s in PO_850 if not s.startswith(("PO1", "PID"))])
    assert any(f[1] == "3" and f[2] == "PO1" for f in found)


def test_segment_over_max_use_is_code_5() -> None:
    _tx, found = _issues(PO_850[:1] + PO_850[:1] + PO_850[1:])
    assert (Level.SEGMENT, "5", "BEG", 3, None, True) in found


def test_unknown_segment_is_code_2_warning() -> None:
    tx, found = _issues([*PO_850[:2], "ZZZ*1", *PO_850[2:]])
    assert found == [(Level.SEGMENT, "2", "ZZZ", 4, None, False)]
    assert tx.status is TransactionStatus.ACCEPTED_WITH_ERRORS


def test_out_of_sequence_segment_is_code_7_warning() -> None:
    _tx, found = _issues([*PO_850, "BEG*00*SA*X**20240101"])
    assert (Level.SEGMENT, "7", "BEG", 12, None, False) in [f[:6] for f in found]


def test_unrecognized_segment_id_is_code_1() -> None:
    _, found = _issues([*PO_850[:2], "b@d*1", *PO_850[2:]])
    assert (Level.SEGMENT, "1", "b@d", 4, None, True) in found


def test_mandatory_element_missing_is_code_1() -> None:
    _, found = _issues(["BEG*00**PO-1**20240301", *PO_850[1:]])
    assert (Level.ELEMENT, "1", "BEG", 2, 2, True) in found


def test_too_many_elements_is_code_3() -> None:
    _, found = _issues([*PO_850[:-1], "CTT*2*1*1*EA*1*EA*X*extra"])
    assert (Level.ELEMENT, "3", "CTT", 11, 8, True) in found


def test_too_long_and_too_short_are_codes_5_and_4() -> None:
    _, found = _issues(["BEG*00*SAX*PO-1**20240301", "CUR*BY*US", *PO_850[1:]])
    assert (Level.ELEMENT, "5", "BEG", 2, 2, True) in found
    assert (Level.ELEMENT, "4", "CUR", 3, 2, True) in found


def test_invalid_date_time_and_number() -> None:
    _, found = _issues(
        [
            "BEG*00*SA*PO-1**20240231",
            "DTM*002*20240301*2561",
            *PO_850[1:6],
            "PO1*1*ten*EA*12.5**VP*GLV-100",
            *PO_850[7:],
        ]
    )
    assert (Level.ELEMENT, "8", "BEG", 2, 5, True) in found
    assert (Level.ELEMENT, "9", "DTM", 3, 3, True) in found
    assert (Level.ELEMENT, "6", "PO1", 9, 2, True) in found


def test_unknown_qualifier_is_code_7_warning_with_bad_value() -> None:
    tx = only_interchange(
        build("850", ["BEG*00*SA*PO-1**20240301", "PO1*1*1*EA*1**Q9*X"])
    ).transactions[0]
    (issue,) = tx.issues
    assert (
        issue.code,
        issue.element_position,
        issue.element_reference,
        issue.bad_value,
        issue.fatal,
    ) == ("7", 6, "235", "Q9", False)


def test_repetition_in_a_simple_element_is_code_12() -> None:
    _, found = _issues(
        ["BEG*00*SA*PO-1^PO-2**20240301", *PO_850[1:]], version="00501", gs_version="005010"
    )
    assert (Level.ELEMENT, "12", "BEG", 2, 3, True) in found


def test_basic_punctuation_declared_as_repetition_separator_is_read_as_data() -> None:
    # X12.5: ISA11 is the repetition separator from 00402 on; a partner that declared
    # "-" (a basic character set character) keeps sending it inside REF02 values
    data = build(version="00406", gs_version="004060").replace(b"*^*00406*", b"*-*00406*")
    data = data.replace(b"REF*DP*038", b"REF*DP*038-A")
    ix = only_interchange(data)
    found = {
        (i.code, i.segment_tag, i.element_position, i.fatal) for i in ix.transactions[0].issues
    }
    assert ("12", "REF", 2, False) in found and ("12", "BEG", 3, False) in found
    assert ix.transactions[0].status.value == "accepted_with_errors"


SHIP_856 = [
    "BSN*00*SHIP-1*20240301*1200",
    "HL*1**S",
    "TD1*CTN25*2",
    "REF*BM*BOL-1",
    "HL*2*1*O",
    "PRF*PO-1001",
    "HL*3*2*P",
    "MAN*GM*00000123456789012345",
    "HL*4*3*I",
    "LIN**VP*GLV-100*N4*12345-6789-01",
    "SN1**10*EA",
    "REF*LT*LOT-77",
    "DTM*036*20260131",
    "CTT*4",
]


def test_856_hierarchy_shipment_order_pack_item_passes() -> None:
    _, found = _issues(SHIP_856, "856", functional_id="SH")
    assert found == []


def test_856_hl_parent_must_exist() -> None:
    bad = [s.replace("HL*4*3*I", "HL*4*9*I") for s in SHIP_856]
    _, found = _issues(bad, "856", functional_id="SH")
    assert (Level.ELEMENT, "7", "HL", 10, 2, True) in found


def test_856_item_directly_under_nothing_is_flagged() -> None:
    bad = [s.replace("HL*1**S", "HL*1**I") for s in SHIP_856]
    _, found = _issues(bad, "856", functional_id="SH")
    assert any(f[1] == "7" and f[4] == 3 for f in found)


def test_unknown_set_is_parsed_generically() -> None:
    tx, found = _issues(["B10*1*2*3", "ZZZ*anything"], "214", functional_id="QM")
    assert found == [] and tx.status is TransactionStatus.ACCEPTED


def test_other_versions_are_parsed_generically() -> None:
    _tx, found = _issues(["BEG*00*SA*PO-1**010101", "XYZ*1"], gs_version="003050")
    assert found == []


def test_5010_uses_the_same_tables() -> None:
    _tx, found = _issues(PO_850, version="00501", gs_version="005010")
    assert found == []

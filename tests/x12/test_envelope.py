"""Envelope checks: every TA1 / AK9 / AK5 code the reader produces, one test each."""

from __future__ import annotations

import pytest

from gateway import x12
from gateway.edi import Level, TransactionStatus
from tests.x12.helpers import NOW, NUMBERS, OURS, build, only_interchange


def _replace(data: bytes, old: str, new: str) -> bytes:
    assert old.encode() in data, old
    return data.replace(old.encode(), new.encode(), 1)


def _codes(issues: list) -> list[str]:
    return [i.code for i in issues]


def test_valid_document_has_no_findings() -> None:
    # given a well-formed 850 built by our writer / when parsed
    ix = only_interchange(build())
    # then nothing is reported and the envelope is read
    assert ix.issues == []
    assert ix.sender_id == "HOSPITAL" and ix.receiver_id == "GATEWAY"
    assert ix.control_number == "000000001" and ix.version == "00401"
    (group,) = ix.groups
    assert (group.functional_id, group.version, group.issues) == ("PO", "004010", [])
    (tx,) = group.transactions
    assert (tx.set_id, tx.control_number, tx.status) == ("850", "0001", TransactionStatus.ACCEPTED)
    assert [s.position for s in tx.segments] == list(range(1, len(tx.segments) + 1))


def test_iea01_group_count_mismatch_is_ta1_021() -> None:
    data = _replace(build(), "IEA*1*", "IEA*3*")
    ix = only_interchange(data)
    assert _codes(ix.issues) == ["021"] and ix.rejected
    assert ix.issues[0].byte_offset == data.index(b"IEA")


def test_iea02_control_number_mismatch_is_ta1_001() -> None:
    ix = only_interchange(_replace(build(), "IEA*1*000000001", "IEA*1*000000002"))
    assert _codes(ix.issues) == ["001"]


def test_ge01_set_count_mismatch_is_ak9_5() -> None:
    ix = only_interchange(_replace(build(), "GE*1*1", "GE*2*1"))
    assert _codes(ix.groups[0].issues) == ["5"]
    assert ix.groups[0].issues[0].level is Level.GROUP


def test_ge02_control_number_mismatch_is_ak9_4() -> None:
    ix = only_interchange(_replace(build(), "GE*1*1", "GE*1*9"))
    assert _codes(ix.groups[0].issues) == ["4"]


def test_se01_segment_count_mismatch_is_ak5_4() -> None:
    ix = only_interchange(_replace(build(), "SE*12*0001", "SE*11*0001"))
    tx = ix.transactions[0]
    assert _codes(tx.issues) == ["4"]
    assert tx.issues[0].segment_position == 12 and tx.status is TransactionStatus.REJECTED


def test_se02_control_number_mismatch_is_ak5_3() -> None:
    ix = only_interchange(_replace(build(), "SE*12*0001", "SE*12*0002"))
    assert _codes(ix.transactions[0].issues) == ["3"]


def test_missing_se_is_ak5_2() -> None:
    ix = only_interchange(_replace(build(), "SE*12*0001~\n", ""))
    assert "2" in _codes(ix.transactions[0].issues)


def test_missing_ge_is_ak9_3() -> None:
    ix = only_interchange(_replace(build(), "GE*1*1~\n", ""))
    assert _codes(ix.groups[0].issues) == ["3"]


def test_missing_iea_is_ta1_023() -> None:
    ix = only_interchange(_replace(build(), "IEA*1*000000001~\n", ""))
    assert _codes(ix.issues) == ["023"]


def test_duplicate_set_control_number_is_ak5_23() -> None:
    ix = only_interchange(
        build(sets=2).replace(b"ST*850*0002", b"ST*850*0001").replace(b"SE*12*0002", b"SE*12*0001")
    )
    assert [_codes(t.issues) for t in ix.transactions] == [[], ["23"]]


def test_duplicate_group_control_number_is_ak9_19() -> None:
    data = build()
    head, rest = data.split(b"GS*", 1)
    group = b"GS*" + rest[: rest.index(b"IEA")]
    data = head + group + group + b"IEA*2*000000001~\n"
    ix = only_interchange(data)
    assert [_codes(g.issues) for g in ix.groups] == [[], ["19"]]


def test_non_numeric_group_control_number_is_ak9_6() -> None:
    ix = only_interchange(
        build().replace(b"*1*X*004010", b"*A1*X*004010").replace(b"GE*1*1", b"GE*1*A1")
    )
    assert _codes(ix.groups[0].issues) == ["6"]


@pytest.mark.parametrize(
    ("field", "old", "new", "code"),
    [
        ("ISA09", "*240301*", "*241301*", "014"),
        ("ISA09", "*240301*", "*240231*", "014"),  # 31 February: no such day
        ("ISA09", "*240301*", "*230229*", "014"),  # 29 February of a common year
        ("ISA09", "*240301*", "*240431*", "014"),  # 31 April
        ("ISA10", "*0930*", "*2599*", "015"),
        ("ISA10", "*0930*", "*2561*", "015"),
        ("ISA10", "*0930*", "*0960*", "015"),
        ("ISA12", "*00401*", "*00999*", "017"),
        ("ISA13", "*000000001*0*", "*00000000X*0*", "018"),
        ("ISA14", "*000000001*0*", "*000000001*7*", "019"),
        ("ISA15", "*0*P*", "*0*Q*", "020"),
    ],
)
def test_isa_field_checks_carry_their_ta1_note(field: str, old: str, new: str, code: str) -> None:
    ix = only_interchange(_replace(build(), old, new))
    assert code in _codes(ix.issues), field
    assert ix.rejected


def test_unpadded_isa_is_a_warning_not_a_rejection() -> None:
    data = build().replace(b"HOSPITAL       ", b"HOSPITAL").replace(b"00*          *", b"00**")
    ix = only_interchange(data)
    # ISA06 has its own note (006); ISA02/ISA04 share the generic 024
    assert _codes(ix.issues) == ["006", "024"] and not ix.rejected
    assert ix.sender_id == "HOSPITAL"


@pytest.mark.parametrize(
    ("old", "new", "note"),
    [
        # X12.5 ISA06 (I06) is AN 15/15: a sender ID of another length is TA105 006
        (b"*ZZ*HOSPITAL       *", b"*ZZ*HOSPITAL*", "006"),
        (b"*ZZ*HOSPITAL       *", b"*ZZ*HOSPITAL-GENERAL-EAST*", "006"),
        # I05 is ID 2/2: TA105 005 for the sender's qualifier
        (b"*ZZ*HOSPITAL       *", b"*Z*HOSPITAL       *", "005"),
        # I07 (ISA08) is AN 15/15: TA105 008
        (b"*ZZ*GATEWAY        *", b"*ZZ*GATEWAY*", "008"),
    ],
)
def test_ta1_names_the_malformed_isa_field(old: bytes, new: bytes, note: str) -> None:
    ix = only_interchange(build().replace(old, new, 1))
    ta1 = x12.build_ta1(ix, ours=OURS, numbers=NUMBERS, now=NOW)
    inbound = x12.read_ta1(only_interchange(ta1.data))
    assert inbound is not None and inbound.codes == (note,)


def test_isb_ise_and_ta1_between_isa_and_gs_are_kept_as_service_segments() -> None:
    data = build().replace(b"GS*", b"TA1*000000777*240301*0930*A*000~\nGS*", 1)
    ix = only_interchange(data)
    assert ix.issues == []
    assert x12.read_ta1(ix) is not None


def test_segment_outside_a_set_is_reported_and_counts_stay_checked() -> None:
    # given an ST whose tag was corrupted to "T" (the set becomes stray segments)
    ix = only_interchange(build().replace(b"ST*850", b"T*850"))
    assert _codes(ix.issues) == ["024"]
    assert _codes(ix.groups[0].issues) == ["5"]


def test_transaction_offsets_slice_the_raw_set() -> None:
    data = build(sets=2)
    for tx in only_interchange(data).transactions:
        raw = data[tx.start : tx.end]
        assert raw.startswith(b"ST*850*" + tx.control_number.encode())
        assert raw.endswith(b"SE*12*" + tx.control_number.encode() + b"~")


def test_control_numbers_compare_numerically() -> None:
    ix = only_interchange(_replace(build(), "IEA*1*000000001", "IEA*1*1"))
    assert ix.issues == []


def test_garbage_after_an_interchange_is_a_file_issue() -> None:
    payload = x12.parse_payload(build() + b"\nthis is not edi")
    assert len(payload.interchanges) == 1 and payload.interchanges[0].issues == []
    assert [i.level for i in payload.issues] == [Level.FILE]
    assert payload.issues[0].byte_offset == len(build()) + 1


@pytest.mark.parametrize("data", [b"", b"   \n", b"hello world", b"ISA", b"ISA*00*", b"\x00" * 50])
def test_non_x12_payloads_give_file_issues(data: bytes) -> None:
    payload = x12.parse_payload(data)
    assert payload.interchanges == []
    assert payload.issues and all(i.level is Level.FILE for i in payload.issues)


def test_missing_iea_before_the_next_isa_keeps_both_interchanges() -> None:
    first = build(control=1).replace(b"IEA*1*000000001~\n", b"")
    payload = x12.parse_payload(first + build(control=2))
    assert [ix.control_number for ix in payload.interchanges] == ["000000001", "000000002"]
    assert _codes(payload.interchanges[0].issues) == ["023"]
    assert payload.interchanges[1].issues == []
    assert [len(ix.transactions) for ix in payload.interchanges] == [1, 1]


@pytest.mark.parametrize("isa09", ["240229", "000229", "991231"])
def test_real_isa09_dates_are_accepted(isa09: str) -> None:
    # given an ISA09 that is a day of the calendar (29 February of leap years; 00 is 2000)
    ix = only_interchange(build().replace(b"*240301*0930*", f"*{isa09}*0930*".encode(), 1))
    # then the interchange carries no finding
    assert ix.issues == [] and not ix.rejected


def test_impossible_isa09_names_the_value_in_its_finding() -> None:
    # given an interchange dated 31 February
    ix = only_interchange(build().replace(b"*240301*0930*", b"*240231*0930*", 1))
    # then TA1 note 014 rejects it, and the finding says which field and what it held
    (issue,) = ix.issues
    assert (issue.code, issue.fatal, issue.element_position) == ("014", True, 9)
    assert issue.message == "ISA09 '240231' is not a date YYMMDD"


@pytest.mark.parametrize(
    ("old", "new", "code", "message"),
    [
        (b"*20240301*0930*", b"*20240231*0930*", "30", "GS04 '20240231' is not a date CCYYMMDD"),
        (b"*20240301*0930*", b"*20230229*0930*", "30", "GS04 '20230229' is not a date CCYYMMDD"),
        (b"*20240301*0930*", b"*2024031*0930*", "30", "GS04 '2024031' is not a date CCYYMMDD"),
        (
            b"*20240301*0930*",
            b"*20240301*2561*",
            "31",
            "GS05 '2561' is not a time HHMM[SS[d[d]]]",
        ),
        (
            b"*20240301*0930*",
            b"*20240301*093060*",
            "31",
            "GS05 '093060' is not a time HHMM[SS[d[d]]]",
        ),
    ],
)
def test_impossible_gs04_gs05_is_a_group_warning(
    old: bytes, new: bytes, code: str, message: str
) -> None:
    # given a group whose GS04/GS05 names no day or no time
    ix = only_interchange(build().replace(old, new, 1))
    # then the group carries a warning naming the element and the value; its set is
    # still read and accepted, and the interchange is not touched
    (issue,) = ix.groups[0].issues
    assert (issue.code, issue.fatal, issue.segment_tag) == (code, False, "GS")
    assert issue.element_position == (4 if code == "30" else 5)
    assert issue.message == message
    assert ix.issues == []
    assert [t.status for t in ix.transactions] == [TransactionStatus.ACCEPTED]


@pytest.mark.parametrize(
    ("gs04", "gs05"),
    [("20240229", "0930"), ("240301", "0930"), ("20240301", "093015"), ("20240301", "09301599")],
)
def test_real_gs04_gs05_pass(gs04: str, gs05: str) -> None:
    # given GS04 as CCYYMMDD or (releases before 004010) YYMMDD, GS05 with seconds
    ix = only_interchange(build().replace(b"*20240301*0930*", f"*{gs04}*{gs05}*".encode(), 1))
    # then the group has no finding
    assert ix.groups[0].issues == []

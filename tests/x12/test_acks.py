"""997 / 999 / TA1 writing, checked by our parser and by pyx12; inbound ack reading."""

from __future__ import annotations

import pytest

from gateway import x12
from gateway.edi import AckControlNumbers, OwnIdentity
from gateway.x12.codes import ak905_codes
from gateway.x12.specs.sets import VERSIONS
from tests.x12.helpers import NOW, NUMBERS, OURS, Pyx12Validator, build, only_interchange


def _ack(data: bytes, kind: str = "997"):  # type: ignore[no-untyped-def]
    ix = only_interchange(data)
    return ix, x12.build_acknowledgement(ix, kind=kind, ours=OURS, numbers=NUMBERS, now=NOW)


def _segments(ack_bytes: bytes) -> list[list[str]]:
    ix = only_interchange(ack_bytes)
    return [list(s.parts) for t in ix.transactions for s in t.segments]


def test_997_for_an_accepted_group() -> None:
    _ix, ack = _ack(build(sets=2))
    assert ack is not None and ack.kind == "997" and ack.status == "accepted"
    assert ack.control_number == "000000501" and ack.acknowledges == "000000001"
    parsed = only_interchange(ack.data)
    # sender and receiver swapped, our identity used, numbers from the caller
    assert (parsed.sender_qualifier, parsed.sender_id) == ("ZZ", "GATEWAY")
    assert (parsed.receiver_qualifier, parsed.receiver_id) == ("ZZ", "HOSPITAL")
    assert parsed.groups[0].functional_id == "FA" and parsed.groups[0].control_number == "601"
    assert parsed.groups[0].sender_id == "GATEWAYAPP"
    assert parsed.groups[0].receiver_id == "HOSPITALAPP"
    assert parsed.transactions[0].control_number == "0701"
    assert parsed.issues == [] and parsed.transactions[0].issues == []
    assert _segments(ack.data)[1:-1] == [
        ["AK1", "PO", "1"],
        ["AK2", "850", "0001"],
        ["AK5", "A"],
        ["AK2", "850", "0002"],
        ["AK5", "A"],
        ["AK9", "A", "2", "2", "2"],
    ]


def test_997_rejected_set_carries_ak3_ak4_and_partial_group() -> None:
    data = build(sets=2).replace(
        b"BEG*00*SA*PO-1001**20240301~\nREF", b"BEG*00*SA*PO-1001**20241301~\nREF", 1
    )
    _ix, ack = _ack(data)
    assert ack is not None and ack.status == "partially_accepted"
    segs = _segments(ack.data)
    assert ["AK3", "BEG", "2", "", "8"] in segs
    assert ["AK4", "5", "373", "8", "20241301"] in segs
    assert ["AK5", "R", "5"] in segs
    assert ["AK9", "P", "2", "2", "1"] in segs


def test_999_uses_ik_segments_and_5010_envelope() -> None:
    data = build(version="00501", gs_version="005010").replace(
        b"PO1*1*10*EA*12.5**VP", b"PO1*1*10*EA*12.5**Q9"
    )
    _ix, ack = _ack(data, "999")
    assert ack is not None and ack.status == "accepted_with_errors"
    parsed = only_interchange(ack.data)
    assert parsed.version == "00501" and parsed.groups[0].version == "005010X231A1"
    segs = _segments(ack.data)
    assert segs[0] == ["ST", "999", "0701", "005010X231A1"]
    assert ["AK1", "PO", "1", "005010"] in segs
    assert ["IK3", "PO1", "8", "", "8"] in segs
    assert ["IK4", "6", "235", "7", "Q9"] in segs
    assert ["IK5", "E", "I5"] in segs and ["AK9", "E", "1", "1", "1"] in segs


def test_group_envelope_error_rejects_the_group() -> None:
    _ix, ack = _ack(build().replace(b"GE*1*1", b"GE*2*1"))
    assert ack is not None and ack.status == "rejected"
    assert ["AK9", "R", "2", "1", "0", "5"] in _segments(ack.data)


def test_997_maps_5010_only_codes() -> None:
    data = build().replace(b"IEA", b"IEA", 1)
    head, rest = data.split(b"GS*", 1)
    group = b"GS*" + rest[: rest.index(b"IEA")]
    _ix, ack = _ack(head + group + group + b"IEA*2*000000001~\n")
    segs = _segments(ack.data) if ack else []
    assert ["AK9", "R", "1", "1", "0", "6"] in segs  # 19 does not exist in 004010


@pytest.mark.parametrize(
    ("kind", "isa12", "gs08"), [("997", "00401", "004010"), ("999", "00501", "005010")]
)
@pytest.mark.parametrize(
    ("old", "new"),
    [(b"*20240301*0930*", b"*20240231*0930*"), (b"*20240301*0930*", b"*20240301*2561*")],
)
def test_impossible_gs04_gs05_is_answered_accepted_with_errors(
    kind: str, isa12: str, gs08: str, old: bytes, new: bytes, pyx12_validator: Pyx12Validator
) -> None:
    # given a group dated 31 February (or timed 25:61) around a valid set
    data = build(version=isa12, gs_version=gs08).replace(old, new, 1)
    _ix, ack = _ack(data, kind)
    # then the set is accepted and the group is E with no AK905: code list 716 has
    # invalid group date/time (30/31) only after 005010, and no other code says it
    assert ack is not None and ack.status == "accepted_with_errors"
    segs = _segments(ack.data)
    assert ["AK9", "E", "1", "1", "1"] in segs
    assert ["IK5" if kind == "999" else "AK5", "A"] in segs
    # and pyx12 reads the acknowledgement as valid
    assert pyx12_validator.errors(ack.data) == []


def test_ak905_leaves_out_codes_the_release_does_not_have() -> None:
    # given group findings 30/31 (after 005010) and 19 (from 005010)
    # then a 004010 997 drops 30/31 and says 6 for 19; a 005010 one keeps 19
    assert ak905_codes(["30", "19", "31", "4"], "004010") == ["6", "4"]
    assert ak905_codes(["30", "19", "31", "4"], "005010") == ["19", "4"]


def test_ta1_rejects_an_impossible_isa09_with_note_014(pyx12_validator: Pyx12Validator) -> None:
    # given an interchange dated 31 February
    ix = only_interchange(build().replace(b"*240301*0930*", b"*240231*0930*", 1))
    # when answered with a TA1
    ta1 = x12.build_ta1(ix, ours=OURS, numbers=NUMBERS, now=NOW)
    # then it is rejected with note 014, without echoing the impossible date
    assert x12.build_acknowledgement(ix, kind="997", ours=OURS, numbers=NUMBERS) is None
    (segment,) = only_interchange(ta1.data).envelope.service  # type: ignore[union-attr]
    assert segment.parts[1:6] == ["000000001", "000101", "0930", "R", "014"]
    assert [e for e in pyx12_validator.errors(ta1.data) if "GS_LOOP" not in e] == []


def test_no_ack_for_an_interchange_rejected_at_the_envelope() -> None:
    ix, ack = _ack(build().replace(b"IEA*1*", b"IEA*4*"))
    assert ix.rejected and ack is None


def test_ack_delimiters_follow_the_partner() -> None:
    data = build().replace(b"*", b"|").replace(b"~\n", b"!")
    _, ack = _ack(data)
    assert ack is not None and ack.data.startswith(b"ISA|00|") and b"!" in ack.data
    assert b"~" not in ack.data


@pytest.mark.parametrize(
    ("policy", "clean", "bad", "requested"),
    [
        ("never", False, False, False),
        ("always", True, True, True),
        ("on_error", False, True, False),
        ("when_requested", False, True, True),
    ],
)
def test_needs_ta1_policies(policy: str, clean: bool, bad: bool, requested: bool) -> None:
    ok = only_interchange(build())
    broken = only_interchange(build().replace(b"IEA*1*", b"IEA*4*"))
    asked = only_interchange(build().replace(b"*000000001*0*P*", b"*000000001*1*P*"))
    assert x12.needs_ta1(ok, policy) is clean  # type: ignore[arg-type]
    assert x12.needs_ta1(broken, policy) is bad  # type: ignore[arg-type]
    assert x12.needs_ta1(asked, policy) is requested  # type: ignore[arg-type]


def test_ta1_reports_the_first_fatal_note() -> None:
    ix = only_interchange(build().replace(b"IEA*1*000000001", b"IEA*1*000000009"))
    ta1 = x12.build_ta1(ix, ours=OURS, numbers=NUMBERS, now=NOW)
    assert ta1.kind == "TA1" and ta1.status == "rejected"
    parsed = only_interchange(ta1.data)
    assert parsed.issues == [] and parsed.groups == []
    inbound = x12.read_ta1(parsed)
    assert inbound is not None
    assert (inbound.interchange_control_number, inbound.status, inbound.codes) == (
        "000000001",
        "rejected",
        ("001",),
    )
    assert ta1.data.startswith(b"ISA*00*          *00*          *ZZ*GATEWAY        *ZZ*HOSPITAL")


def test_ta1_accepted_is_000() -> None:
    ta1 = x12.build_ta1(only_interchange(build()), ours=OURS, numbers=NUMBERS, now=NOW)
    assert b"TA1*000000001*240301*0930*A*000~" in ta1.data and ta1.status == "accepted"


def test_read_acknowledgement_links_control_numbers() -> None:
    _, ack = _ack(build(sets=2).replace(b"SE*12*0002", b"SE*13*0002"))
    assert ack is not None
    parsed = only_interchange(ack.data)
    inbound = x12.read_acknowledgement(parsed.transactions[0])
    assert inbound is not None and inbound.kind == "997"
    assert inbound.group_control_number == "1"
    assert inbound.status == "partially_accepted"
    assert inbound.transactions == {"0001": "accepted", "0002": "rejected"}
    assert "4" in inbound.codes


def test_read_acknowledgement_ignores_other_sets() -> None:
    assert x12.read_acknowledgement(only_interchange(build()).transactions[0]) is None


@pytest.mark.parametrize("kind", ["997", "999"])
@pytest.mark.parametrize("gs08", VERSIONS)
@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d,
        lambda d: d.replace(b"PO1*1*10*EA*12.5**VP", b"PO1*1*10*EA*12.5**Q9"),
        lambda d: d.replace(b"BEG*00*SA*PO-1001**20240301", b"BEG*00**PO-1001**2024031X"),
        lambda d: d.replace(b"SE*12*0002", b"SE*10*0003"),
        lambda d: d.replace(b"REF*DP*038~\n", b"REF*DP*038~\nZZZ*1~\nQQ*2~\n"),
        lambda d: d.replace(b"GE*2*1", b"GE*3*1"),
        lambda d: d.replace(b"CTT*2", b"CTT*2*1*1*EA*1*EA*X*extra*~*"),
    ],
)
def test_pyx12_accepts_our_acknowledgements(
    kind: str,
    gs08: str,
    mutate,  # type: ignore[no-untyped-def]
    pyx12_validator: Pyx12Validator,
) -> None:
    # given a document of each version we have specs for, with (or without) errors
    data = mutate(build(sets=2, version=gs08[:5], gs_version=gs08))
    ix = only_interchange(data)
    ack = x12.build_acknowledgement(
        ix,
        kind=kind,
        ours=OURS,
        numbers=NUMBERS,  # type: ignore[arg-type]
        now=NOW,
    )
    assert ack is not None
    # then it answers in the group's version (997) or as a 999 for 005010 and later
    answered = only_interchange(ack.data).groups[0]
    if kind == "999" and gs08 >= "005010":
        assert (ack.kind, answered.version) == ("999", "005010X231A1")
    else:
        assert (ack.kind, answered.version) == ("997", gs08)
    # and pyx12 validates it without a complaint, and so do we
    assert pyx12_validator.errors(ack.data) == []
    parsed = only_interchange(ack.data)
    assert parsed.issues == [] and all(t.issues == [] for t in parsed.transactions)


def test_ack_rejects_identity_that_does_not_fit_the_isa() -> None:
    ix = only_interchange(build())
    with pytest.raises(x12.X12BuildError):
        x12.build_acknowledgement(
            ix,
            kind="997",
            ours=OwnIdentity("ZZ", "X" * 16),
            numbers=AckControlNumbers(1, 1, 1),
            now=NOW,
        )


# X12.6 (Application Control Structure), 997 purpose: "the functional acknowledgment
# ... reports the results of the syntactical analysis"; it is sent in the version of
# the group it answers (AK1 names that group; GS08 of the 997 group follows it).
@pytest.mark.parametrize(
    ("isa12", "gs08", "kind", "want_isa12", "want_gs08", "want_set"),
    [
        ("00401", "004010", "997", "00401", "004010", "997"),
        ("00403", "004030", "997", "00401", "004030", "997"),
        ("00406", "004060", "997", "00401", "004060", "997"),
        ("00501", "005010", "997", "00501", "005010", "997"),
        # the 999 (005010X231A1) does not exist for 4010-family groups: a 997 answers
        ("00401", "004010", "999", "00401", "004010", "997"),
        ("00501", "005010", "999", "00501", "005010X231A1", "999"),
        # GS08 with an industry suffix: the 997 uses the release it belongs to
        ("00401", "004010VICS", "997", "00401", "004010", "997"),
        # a release older than any we have specs for is answered in 004010
        ("00401", "003050", "997", "00401", "004010", "997"),
    ],
)
def test_ack_is_written_in_the_version_of_the_group(
    isa12: str, gs08: str, kind: str, want_isa12: str, want_gs08: str, want_set: str
) -> None:
    data = build(version=isa12, gs_version=gs08)
    _ix, ack = _ack(data, kind)
    assert ack is not None and ack.kind == want_set
    parsed = only_interchange(ack.data)
    assert parsed.version == want_isa12
    assert parsed.groups[0].version == want_gs08
    assert parsed.transactions[0].set_id == want_set


def test_two_groups_of_two_versions_get_one_997_group_each_in_its_version(
    pyx12_validator: Pyx12Validator,
) -> None:
    # a distributor migrating: a 4010 group and a 5010 group in one interchange
    old = build(version="00501", gs_version="004010")
    new = build(version="00501", gs_version="005010")
    head, rest = old.split(b"GS*", 1)
    group_old = b"GS*" + rest[: rest.index(b"IEA")]
    rest_new = new.split(b"GS*", 1)[1]
    group_new = (b"GS*" + rest_new[: rest_new.index(b"IEA")]).replace(b"*1*X*", b"*2*X*")
    group_new = group_new.replace(b"GE*1*1~", b"GE*1*2~")
    _ix, ack = _ack(head + group_old + group_new + b"IEA*2*000000001~\n", "999")
    assert ack is not None
    parsed = only_interchange(ack.data)
    assert [(g.version, g.transactions[0].set_id) for g in parsed.groups] == [
        ("004010", "997"),
        ("005010X231A1", "999"),
    ]
    assert parsed.version == "00501"
    assert pyx12_validator.errors(ack.data) == []


@pytest.mark.parametrize(
    ("kind", "isa12", "gs08"), [("997", "00401", "004010"), ("999", "00501", "005010")]
)
def test_short_st02_is_padded_on_the_left_in_ak202(kind: str, isa12: str, gs08: str) -> None:
    # given a rejected set with a too-short ST02 '12' beside an accepted set '1200'
    data = build(sets=2, version=isa12, gs_version=gs08)
    data = data.replace(b"*0001~", b"*12~").replace(b"*0002~", b"*1200~")
    _ix, ack = _ack(data, kind)
    assert ack is not None
    segs = _segments(ack.data)
    # then set 12 is answered as 0012 (its value kept), not as a second 1200
    answered = [(s[2], next(t for t in segs[segs.index(s) :] if t[0] in ("AK5", "IK5"))[1])
                for s in segs if s[0] == "AK2"]  # fmt: skip
    assert answered == [("0012", "R"), ("1200", "A")]
    assert only_interchange(ack.data).transactions[0].issues == []


@pytest.mark.parametrize(
    ("isa09", "isa10", "ta102", "ta103"),
    [
        ("241301", "0930", "000101", "0930"),  # month 13
        ("240230", "0930", "000101", "0930"),  # 30 February
        ("230229", "0930", "000101", "0930"),  # 29 February of a common year
        ("240229", "0930", "240229", "0930"),  # 29 February of a leap year is echoed
        ("000229", "0930", "000229", "0930"),  # 2000 was a leap year
        ("240301", "2590", "240301", "0000"),  # hour 25
        ("240301", "2360", "240301", "0000"),  # minute 60
        ("240301", "2359", "240301", "2359"),
    ],
)
def test_ta1_echoes_only_a_real_isa09_date_and_isa10_time(
    isa09: str, isa10: str, ta102: str, ta103: str, pyx12_validator: Pyx12Validator
) -> None:
    # given an interchange whose ISA09/ISA10 may not be a real date or time
    data = build().replace(b"*240301*0930*", f"*{isa09}*{isa10}*".encode(), 1)
    ta1 = x12.build_ta1(only_interchange(data), ours=OURS, numbers=NUMBERS, now=NOW)
    # then TA102/TA103 echo them only when valid, so the TA1 itself stays valid
    (segment,) = only_interchange(ta1.data).envelope.service  # type: ignore[union-attr]
    assert segment.parts[1:4] == ["000000001", ta102, ta103]
    # pyx12's maps always want a GS loop, though ISA-TA1-IEA is how a TA1 travels alone
    assert [e for e in pyx12_validator.errors(ta1.data) if "GS_LOOP" not in e] == []


@pytest.mark.parametrize("kind", ["997", "999"])
def test_acks_to_control_character_separators_are_written(kind: str) -> None:
    # given a partner using FS / US / GS (0x1C / 0x1F / 0x1D) as separators, and one
    # using a bare line feed as terminator, with an element error to echo
    base = build(sets=2, version="00501", gs_version="005010").replace(
        b"BEG*00*SA*PO-1001**20240301", b"BEG*00*SA*PO-1001**2024031X", 1
    )
    for data in (
        base.replace(b"*", b"\x1c").replace(b">~", b"\x1f~").replace(b"~\n", b"\x1d"),
        base.replace(b"~\n", b"\n"),
    ):
        _ix, ack = _ack(data, kind)
        # then the acknowledgement answers with them, and reads back without a finding
        assert ack is not None and ack.status == "partially_accepted"
        parsed = only_interchange(ack.data)
        assert parsed.issues == [] and all(t.issues == [] for t in parsed.transactions)
        assert x12.envelope_of(parsed).delimiters == x12.envelope_of(_ix).delimiters

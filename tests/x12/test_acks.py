"""997 / 999 / TA1 writing, checked by our parser and by pyx12; inbound ack reading."""

from __future__ import annotations

import pytest

from gateway import x12
from gateway.edi import AckControlNumbers, OwnIdentity
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
    data = build().replace(b"PO1*1*10*EA*12.5**VP", b"PO1*1*10*EA*12.5**Q9")
    _ix, ack = _ack(data, "999")
    assert ack is not None and ack.status == "accepted_with_errors"
    parsed = only_interchange(ack.data)
    assert parsed.version == "00501" and parsed.groups[0].version == "005010X231A1"
    segs = _segments(ack.data)
    assert segs[0] == ["ST", "999", "0701", "005010X231A1"]
    assert ["AK1", "PO", "1", "004010"] in segs
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
    mutate,  # type: ignore[no-untyped-def]
    pyx12_validator: Pyx12Validator,
) -> None:
    # given a document with (or without) errors and its acknowledgement
    data = mutate(build(sets=2))
    ix = only_interchange(data)
    ack = x12.build_acknowledgement(
        ix,
        kind=kind,
        ours=OURS,
        numbers=NUMBERS,  # type: ignore[arg-type]
        now=NOW,
    )
    assert ack is not None
    # then pyx12 validates it without a complaint, and so do we
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

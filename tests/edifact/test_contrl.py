"""CONTRL out (build_contrl) and in (read_contrl), checked with our parser and pydifact."""

from __future__ import annotations

import warnings

import pytest
from pydifact.segmentcollection import Interchange

from gateway.edi import AckControlNumbers, OwnIdentity
from gateway.edifact import build_contrl, parse_payload, read_contrl
from gateway.edifact.contrl import rule_violations
from tests.edifact.helpers import VALID_ORDERS_BODY, interchange, message

OURS = OwnIdentity(qualifier="14", id="5499999999999")
NUMBERS = AckControlNumbers(interchange=42, group=1, transaction=7)


def _pydifact_segments(data: bytes) -> list[tuple[str, list[object]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = Interchange.from_str(data.decode("latin-1"))
        return [(s.tag, s.elements) for s in parsed.segments]


def test_accepted_interchange_gets_uci_7_and_ucm_7() -> None:
    ix = parse_payload(interchange(message("M1", *VALID_ORDERS_BODY))).interchanges[0]
    ack = build_contrl(ix, ours=OURS, numbers=NUMBERS)
    assert (ack.kind, ack.status, ack.control_number, ack.acknowledges) == (
        "CONTRL",
        "accepted",
        "42",
        "REF1",
    )
    back = parse_payload(ack.data).interchanges[0]
    # sender and receiver swapped
    assert (back.sender_id, back.sender_qualifier, back.receiver_id) == (
        "5499999999999",
        "14",
        "SENDER",
    )
    (tx,) = back.transactions
    assert not tx.issues and tx.control_number == "7"
    tags = [s.tag for s in tx.segments]
    assert tags == ["UNH", "UCI", "UCM", "UNT"]
    uci = tx.segments[1]
    assert (uci.value(1), uci.value(2, 1), uci.value(3, 1), uci.value(4)) == (
        "REF1",
        "SENDER",
        "RECEIVER",
        "7",
    )
    assert tx.segments[2].components(2) == ("ORDERS", "D", "96A", "UN", "EAN008")
    # pydifact reads it too
    py = _pydifact_segments(ack.data)
    assert [t for t, _ in py] == ["UNH", "UCI", "UCM", "UNT"]  # pydifact drops UNB/UNZ
    assert py[1][1][3] == "7"


def test_element_errors_become_ucs_and_ucd_with_positions() -> None:
    body = list(VALID_ORDERS_BODY)
    body[6] = "QTY+21:4X8:PCE"  # position 8 in the message
    ix = parse_payload(interchange(message("M1", *body))).interchanges[0]
    ack = build_contrl(ix, ours=OURS, numbers=NUMBERS)
    assert ack.status == "rejected"
    tx = parse_payload(ack.data).interchanges[0].transactions[0]
    texts = [(s.tag, s.elements) for s in tx.segments[1:-1]]
    # UCM 4 under UCI 7: code 8 (receipt only) cannot carry a message rejection
    assert texts[0][0] == "UCI" and tx.segments[1].value(4) == "7"
    assert ("UCM", ((("M1",),), (("ORDERS", "D", "96A", "UN", "EAN008"),), (("4",),))) in texts
    assert ("UCS", ((("8",),),)) in texts
    # S011 0098: the tag is position 1, so C186 (the first data element) is 2
    assert ("UCD", ((("37",),), (("2", "2"),))) in texts
    inbound = read_contrl(tx)
    assert inbound is not None
    assert (inbound.status, inbound.transactions, inbound.codes) == (
        "rejected",
        {"M1": "rejected"},
        ("37",),
    )
    py = _pydifact_segments(ack.data)
    assert ["UCD", ["37", ["2", "2"]]] in [[t, e] for t, e in py]


def test_envelope_error_rejects_at_uci_with_code() -> None:
    ix = parse_payload(interchange(message("M1", *VALID_ORDERS_BODY), count=5)).interchanges[0]
    ack = build_contrl(ix, ours=OURS, numbers=NUMBERS)
    tx = parse_payload(ack.data).interchanges[0].transactions[0]
    uci = tx.segments[1]
    # UNZ 0036 is the first data element: 0098 2 (the tag is 1)
    assert (uci.value(4), uci.value(5), uci.value(6), uci.value(7)) == ("4", "29", "UNZ", "2")
    assert [s.tag for s in tx.segments] == ["UNH", "UCI", "UNT"]
    assert read_contrl(tx).status == "rejected"  # type: ignore[union-attr]


def test_unt_error_is_reported_on_ucm() -> None:
    ix = parse_payload(interchange(message("M1", *VALID_ORDERS_BODY, count=3))).interchanges[0]
    ack = build_contrl(ix, ours=OURS, numbers=NUMBERS)
    tx = parse_payload(ack.data).interchanges[0].transactions[0]
    ucm = next(s for s in tx.segments if s.tag == "UCM")
    assert (ucm.value(3), ucm.value(4), ucm.value(5)) == ("4", "29", "UNT")


@pytest.mark.parametrize(
    ("ref", "mtype", "syntax", "ucm_ref", "s009"),
    [
        # UCM 0062 is an..14 like UNH 0062; an oversized reference is cut
        ("M" * 40, "ORDERS:D:96A:UN:EAN008", "UNOC:3", "M" * 14, "ORDERS:D:96A:UN:EAN008"),
        # 0062 is mandatory: an empty one becomes "0", as UCI 0020 does
        ("", "ORDERS:D:96A:UN:EAN008", "UNOC:3", "0", "ORDERS:D:96A:UN:EAN008"),
        # S009: 0065 an..6, 0052/0054 an..3, 0051 an..2 (an..3 in syntax 4), 0057 an..6
        ("M1", "ORDERSXXXX:DDDD:96AA:UNUN:" + "E" * 40, "UNOC:3", "M1", "ORDERS:DDD:96A:UN:EEEEEE"),
        ("M1", "ORDERS:D:96A:UNUN:EAN008", "UNOC:4", "M1", "ORDERS:D:96A:UNU:EAN008"),
    ],
    ids=["long-ref", "empty-ref", "long-s009", "syntax-4-agency"],
)
def test_ucm_cuts_the_message_reference_and_identifier_to_their_lengths(
    ref: str, mtype: str, syntax: str, ucm_ref: str, s009: str
) -> None:
    data = interchange(message(ref, *VALID_ORDERS_BODY, mtype=mtype), syntax=syntax)
    ix = parse_payload(data).interchanges[0]
    back = parse_payload(build_contrl(ix, ours=OURS, numbers=NUMBERS).data).interchanges[0]
    (tx,) = back.transactions
    assert tx.issues == [] and back.issues == [] and rule_violations(tx) == []
    ucm = next(s for s in tx.segments if s.tag == "UCM")
    assert (ucm.value(1), ":".join(ucm.components(2))) == (ucm_ref, s009)


def test_contrl_to_unoa_keeps_unoa_and_moves_to_unob_for_lower_case() -> None:
    # the CONTRL is written in the partner's character set when what it echoes fits
    ix = parse_payload(interchange(message("M1", *VALID_ORDERS_BODY), syntax="UNOA:3"))
    assert build_contrl(ix.interchanges[0], ours=OURS, numbers=NUMBERS).data.startswith(
        b"UNB+UNOA:3+"
    )
    # lower case is outside UNOA: the nearest level that has it is UNOB
    data = interchange(message("m1", *VALID_ORDERS_BODY), syntax="UNOA:3", unb_ref="ref1")
    ack = build_contrl(parse_payload(data).interchanges[0], ours=OURS, numbers=NUMBERS)
    assert ack.data.startswith(b"UNB+UNOB:3+")
    tx = parse_payload(ack.data).interchanges[0].transactions[0]
    assert [(s.tag, s.value(1)) for s in tx.segments[1:3]] == [("UCI", "ref1"), ("UCM", "m1")]


def test_control_characters_the_partner_sent_are_left_out_of_the_echo() -> None:
    # the writer refuses control characters under every character set; the CONTRL
    # still answers, with them left out of the references it echoes
    data = interchange(message("M\x011", *VALID_ORDERS_BODY), unb_ref="REF\x07\t1")
    ix = parse_payload(data).interchanges[0]
    ack = build_contrl(ix, ours=OURS, numbers=NUMBERS)
    tx = parse_payload(ack.data).interchanges[0].transactions[0]
    assert [(s.tag, s.value(1)) for s in tx.segments[1:3]] == [("UCI", "REF1"), ("UCM", "M1")]


def test_contrl_uses_partner_service_characters_and_groups() -> None:
    text = (
        "UNA|*.? ~UNB*UNOC|3*S|14*R|14*240115|1200*A~UNG*ORDERS*S*R*240115|1200*G1*UN*D|96A~"
        + message("1", *VALID_ORDERS_BODY).replace("+", "*").replace(":", "|").replace("'", "~")
        + "UNE*1*G1~UNZ*1*A~"
    )
    ix = parse_payload(text.encode()).interchanges[0]
    assert not ix.issues and ix.transactions[0].status.value == "accepted"
    ack = build_contrl(ix, ours=OURS, numbers=NUMBERS)
    assert ack.data.startswith(b"UNA|*.? ~UNB*UNOC|3*5499999999999|14*S|14*")
    tx = parse_payload(ack.data).interchanges[0].transactions[0]
    assert [s.tag for s in tx.segments] == ["UNH", "UCI", "UCF", "UCM", "UNT"]
    inbound = read_contrl(tx)
    assert inbound is not None and inbound.group_control_number == "G1"


def test_read_contrl_ignores_other_messages() -> None:
    ix = parse_payload(interchange(message("M1", *VALID_ORDERS_BODY))).interchanges[0]
    assert read_contrl(ix.transactions[0]) is None


def test_rejected_group_gets_ucf_4_and_no_ucm() -> None:
    text = (
        "UNB+UNOC:3+S+R+240115:1200+A'UNG+ORDERS+S+R+240115:1200+G1+UN+D:96A'"
        + message("1", *VALID_ORDERS_BODY)
        + "UNE+5+G1'UNZ+1+A'"
    )
    ix = parse_payload(text.encode()).interchanges[0]
    ack = build_contrl(ix, ours=OURS, numbers=NUMBERS)
    tx = parse_payload(ack.data).interchanges[0].transactions[0]
    ucf = next(s for s in tx.segments if s.tag == "UCF")
    assert (ucf.value(1), ucf.value(4), ucf.value(5), ucf.value(6)) == ("G1", "4", "29", "UNE")
    assert not [s for s in tx.segments if s.tag == "UCM"]
    assert tx.segments[1].value(4) == "7"  # acknowledged, the refused group named below


def test_read_partner_contrl_with_errors() -> None:
    # a partner's CONTRL about our interchange 77: group 3, message 1 ok, message 2 bad
    contrl = message(
        "C1",
        "UCI+77+OURID:14+PARTNER:14+8",
        "UCF+3+OURID+PARTNER+7",
        "UCM+1+DESADV:D:96A:UN:EAN005+7",
        "UCM+2+DESADV:D:96A:UN:EAN005+4",
        "UCS+5+13",
        "UCD+12+1:1",
        mtype="CONTRL:D:3:UN",
    )
    ix = parse_payload(interchange(contrl)).interchanges[0]
    inbound = read_contrl(ix.transactions[0])
    assert inbound is not None
    assert inbound.kind == "CONTRL"
    assert (inbound.interchange_control_number, inbound.group_control_number) == ("77", "3")
    assert inbound.status == "partially_accepted"
    assert inbound.transactions == {"1": "accepted", "2": "rejected"}
    assert inbound.codes == ("13", "12")


def _contrl_segments(ack_data: bytes) -> list[tuple[str, ...]]:
    """Tag and the first six simple values of each segment, after the rule check."""
    tx = parse_payload(ack_data).interchanges[0].transactions[0]
    assert rule_violations(tx) == []
    return [(s.tag, *(s.value(n) for n in range(1, 7))) for s in tx.segments]


def test_missing_bgm_is_reported_at_the_unh_position() -> None:
    # 0096: "To report that a segment is missing, this is the numerical count position of
    # the last segment that was processed before the position where the missing segment
    # was expected to be" (UNH is 1): ORDERS without BGM -> UCS+1+13
    ix = parse_payload(interchange(message("M1", *VALID_ORDERS_BODY[1:]))).interchanges[0]
    ack = build_contrl(ix, ours=OURS, numbers=NUMBERS)
    tx = parse_payload(ack.data).interchanges[0].transactions[0]
    ucs = [(s.value(1), s.value(2)) for s in tx.segments if s.tag == "UCS"]
    assert ("1", "13") in ucs
    assert rule_violations(tx) == []


def test_missing_mandatory_group_is_reported_before_the_segment_that_revealed_it() -> None:
    # ORDERS D96A: segment group 2 (NAD) is conditional, but UNS is what closes the
    # detail; a missing mandatory segment is reported at the segment processed before
    # the gap, never at the segment that came after it
    body = [s for s in VALID_ORDERS_BODY if not s.startswith("BGM")]
    ix = parse_payload(interchange(message("M1", *body))).interchanges[0]
    missing = [i for i in ix.transactions[0].issues if i.code == "13"]
    assert missing and all(i.segment_position == 1 for i in missing if i.segment_tag == "BGM")


def test_message_rejection_is_under_uci_7_never_8() -> None:
    # 0083: 8 ("interchange received") acknowledges UNA/UNB/UNZ only and announces a
    # later CONTRL; a report that rejects a message (UCM 4) uses UCI 7
    body = list(VALID_ORDERS_BODY)
    body[6] = "QTY+21:4X8:PCE"
    ix = parse_payload(interchange(message("M1", *body))).interchanges[0]
    segs = _contrl_segments(build_contrl(ix, ours=OURS, numbers=NUMBERS).data)
    uci = next(s for s in segs if s[0] == "UCI")
    ucm = next(s for s in segs if s[0] == "UCM")
    assert uci[4] == "7" and ucm[3] == "4"


def test_refused_interchange_is_uci_4_with_its_error_and_nothing_below() -> None:
    # 0083 4: "this level and all lower levels rejected"; UCI05 names the error
    text = interchange(message("M1", *VALID_ORDERS_BODY)).replace(b"UNZ+1+", b"UNZ+1+X")
    ix = parse_payload(text).interchanges[0]
    assert ix.rejected
    segs = _contrl_segments(build_contrl(ix, ours=OURS, numbers=NUMBERS).data)
    uci = next(s for s in segs if s[0] == "UCI")
    assert uci[4] == "4" and uci[5]
    assert not [s for s in segs if s[0] in ("UCF", "UCM")]


def test_rule_violations_catch_the_forbidden_combinations() -> None:
    bad = message(
        "C1",
        "UCI+77+OURID:14+PARTNER:14+8",
        "UCM+1+DESADV:D:96A:UN+4",
        "UCS+0+13",
        mtype="CONTRL:D:3:UN",
    )
    tx = parse_payload(interchange(bad)).interchanges[0].transactions[0]
    found = rule_violations(tx)
    assert "UCI action 8 (receipt only) followed by UCF/UCM" in found
    assert "UCS position '0' is not a count from UNH = 1" in found
    bare = message("C2", "UCI+77+OURID:14+PARTNER:14+7", "UCM+1+DESADV:D:96A:UN+4")
    tx = parse_payload(interchange(bare)).interchanges[0].transactions[0]
    assert rule_violations(tx) == ["UCM 1 action 4 without an error at or below it"]

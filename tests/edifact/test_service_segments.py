"""Service segment element sizes (39/40) and UNB/UNG dates and times (12), as the
reader finds them and as the CONTRL answers them."""

from __future__ import annotations

import pytest

from gateway.edi import AckControlNumbers, EdiInterchange, Issue, OwnIdentity, TransactionStatus
from gateway.edifact import build_contrl, parse_payload
from gateway.edifact.contrl import rule_violations
from gateway.edifact.service_segments import is_date, is_time
from tests.edifact.helpers import VALID_ORDERS_BODY, interchange, message

OURS = OwnIdentity(qualifier="14", id="5499999999999")
NUMBERS = AckControlNumbers(interchange=42, group=1, transaction=7)


def _only(data: bytes) -> EdiInterchange:
    (ix,) = parse_payload(data).interchanges
    return ix


def _where(issue: Issue) -> tuple[str, str | None, int | None, int | None, bool]:
    return (issue.code, issue.segment_tag, issue.element_position, issue.component_position,
            issue.fatal)  # fmt: skip


def _contrl(ix: EdiInterchange) -> list[str]:
    """The CONTRL's segments between UNH and UNT, as text."""
    ack = build_contrl(ix, ours=OURS, numbers=NUMBERS)
    (tx,) = parse_payload(ack.data).interchanges[0].transactions
    assert rule_violations(tx) == []
    return [ack.data.decode().split("'")[n] for n in range(2, 2 + len(tx.segments) - 2)]


@pytest.mark.parametrize(
    ("stamp", "component", "what"),
    [
        ("240231:1200", 1, "date '240231'"),  # 31 February
        ("230229:1200", 1, "date '230229'"),  # 29 February of a common year
        ("20240431:1200", 1, "date '20240431'"),  # CCYYMMDD, 31 April
        ("240115:2561", 2, "time '2561'"),
        ("240115:1260", 2, "time '1260'"),
        ("240115:120", 2, "time '120'"),  # 0019 is n4
    ],
)
def test_impossible_unb_date_or_time_is_code_12_at_its_component(
    stamp: str, component: int, what: str
) -> None:
    # given an interchange whose UNB S004 names no day or no time
    data = interchange(message("M1", *VALID_ORDERS_BODY)).replace(b"240115:1200", stamp.encode())
    ix = _only(data)
    # then it carries an invalid-value warning at S004's date or time component
    (issue,) = ix.issues
    assert _where(issue) == ("12", "UNB", 4, component, False)
    assert what in issue.message
    # and the CONTRL acknowledges the interchange naming it (0098 5: the tag counts 1)
    assert _contrl(ix)[0] == f"UCI+REF1+SENDER:14+RECEIVER:14+7+12+UNB+5:{component}"
    assert [t.status for t in ix.transactions] == [TransactionStatus.ACCEPTED]


@pytest.mark.parametrize("stamp", ["240229:0000", "000229:2359", "20240229:1200", "991231:0959"])
def test_real_unb_dates_and_times_pass(stamp: str) -> None:
    # given S004 dates of the calendar (29 February in leap years; YY 00 is 2000)
    data = interchange(message("M1", *VALID_ORDERS_BODY)).replace(b"240115:1200", stamp.encode())
    # then the interchange has no finding
    assert _only(data).issues == []


def test_date_and_time_helpers() -> None:
    assert is_date("240229") and is_date("20000229") and not is_date("19000229")
    assert not is_date("2402") and not is_date("24O101") and not is_date("240100")
    assert is_time("0000") and is_time("2359") and not is_time("2400") and not is_time("093")


def test_impossible_ung_date_is_a_group_warning() -> None:
    # given a group dated 31 February
    text = (
        "UNB+UNOC:3+S+R+240115:1200+A'UNG+ORDERS+S+R+240231:1200+G1+UN+D:96A'"
        + message("1", *VALID_ORDERS_BODY)
        + "UNE+1+G1'UNZ+1+A'"
    )
    ix = _only(text.encode())
    # then the group carries the warning, its message is accepted
    (issue,) = ix.groups[0].issues
    assert _where(issue) == ("12", "UNG", 4, 1, False)
    assert ix.issues == [] and ix.transactions[0].status is TransactionStatus.ACCEPTED


def test_over_long_message_type_is_39_on_the_ucm() -> None:
    # given a message whose type (0065, an..6) is 40 characters: no spec knows it
    mtype = "ORDERS" + "X" * 34 + ":D:96A:UN:EAN008"
    ix = _only(interchange(message("M1", *VALID_ORDERS_BODY, mtype=mtype)))
    # then the message is rejected: data element too long at UNH S009 component 1
    (tx,) = ix.transactions
    (issue,) = tx.issues
    assert _where(issue) == ("39", "UNH", 2, 1, True)
    assert issue.segment_position == 1 and issue.element_reference == "0065"
    assert tx.status is TransactionStatus.REJECTED
    # and the CONTRL says so at UNH (UCS 1), S009 (0098 3), 0065 (0104 1)
    assert _contrl(ix)[1:] == ["UCM+M1+ORDERS:D:96A:UN:EAN008+4", "UCS+1", "UCD+39+3:1"]


def test_unknown_message_type_gets_its_unt_checked_too() -> None:
    # given a message of a type we have no spec for, with a 15-character reference
    ref = "R" * 15
    ix = _only(interchange(message(ref, "BGM+220+1", mtype="ZZZZZZ:D:96A:UN")))
    (tx,) = ix.transactions
    # then UNH 0062 and UNT 0062 are both too long, each at its own position
    assert sorted((i.segment_tag, i.segment_position, i.element_position) for i in tx.issues) == [
        ("UNH", 1, 1, ), ("UNT", 3, 2)]  # fmt: skip
    assert {i.code for i in tx.issues} == {"39"}


@pytest.mark.parametrize(
    ("old", "new", "where", "s011"),
    [
        (b"SENDER:14", b"S" * 36 + b":14", ("39", "UNB", 2, 1, True), "3:1"),  # 0004 an..35
        (b"RECEIVER:14", b"RECEIVER:14444", ("39", "UNB", 3, 2, True), "4:2"),  # 0007 an..4
        (b"+REF1'", b"+REF1+PW:X'", ("40", "UNB", 6, 2, True), "7:2"),  # 0025 an2
        (b"+REF1'", b"+REF1++APPLICATIONREF1'", ("39", "UNB", 7, None, True), "8"),  # 0026
    ],
)
def test_wrong_size_unb_element_refuses_the_interchange(
    old: bytes, new: bytes, where: tuple[str, str, int, int | None, bool], s011: str
) -> None:
    # given a UNB element longer (or shorter) than ISO 9735 allows
    ix = _only(interchange(message("M1", *VALID_ORDERS_BODY)).replace(old, new, 1))
    # then the interchange is refused with 39/40 at that element
    (issue,) = ix.issues
    assert _where(issue) == where
    assert ix.rejected
    uci = _contrl(ix)[0]
    assert uci.endswith(f"+4+{where[0]}+UNB+{s011}")


def test_syntax_4_allows_what_syntax_3_refuses() -> None:
    # given a 20-character routing address (0008 an..14 in syntax 3, an..35 in 4)
    data = interchange(message("M1", *VALID_ORDERS_BODY)).replace(
        b"SENDER:14", b"SENDER:14:" + b"A" * 20
    )
    # then syntax 3 refuses it and syntax 4 takes it
    assert [i.code for i in _only(data).issues] == ["39"]
    assert _only(data.replace(b"UNOC:3", b"UNOC:4").replace(b"240115:", b"20240115:")).issues == []


def test_over_long_unz_count_refuses_the_interchange() -> None:
    # given a UNZ count of seven digits (0036 n..6), leading zeros or not
    ix = _only(interchange(message("M1", *VALID_ORDERS_BODY)).replace(b"UNZ+1+", b"UNZ+0000001+"))
    # then the interchange is refused at UNZ 0036
    (issue,) = ix.issues
    assert _where(issue) == ("39", "UNZ", 1, None, True)
    assert _contrl(ix)[0].endswith("+4+39+UNZ+2")


def test_over_long_ung_and_une_elements_refuse_the_group() -> None:
    # given a group whose UNG 0038 (an..6) is 7 long and whose UNE count (0060 n..6) is 7
    text = (
        "UNB+UNOC:3+S+R+240115:1200+A'UNG+ORDERSX+S+R+240115:1200+G1+UN+D:96A'"
        + message("1", *VALID_ORDERS_BODY)
        + "UNE+0000001+G1'UNZ+1+A'"
    )
    ix = _only(text.encode())
    # then the group is refused (UCF 4) at its UNG first, its message not reported
    assert [_where(i) for i in ix.groups[0].issues] == [
        ("39", "UNG", 1, None, True),
        ("39", "UNE", 1, None, True),
    ]
    assert [s for s in _contrl(ix) if s.startswith(("UCF", "UCM"))] == ["UCF+G1+S+R+4+39+UNG+2"]


def test_lower_case_under_unoa_is_still_accepted() -> None:
    # given an UNOA interchange with lower-case letters in its envelope and data
    data = interchange(message("m1", *VALID_ORDERS_BODY), syntax="UNOA:3", unb_ref="ref1")
    # then nothing is reported: the sizes are fine and UNOA lower case stays accepted
    ix = _only(data.replace(b"SENDER", b"sender"))
    assert ix.issues == [] and ix.transactions[0].issues == []

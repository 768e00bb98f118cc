"""CONTRL (UN/EDIFACT syntax and service report, ISO 9735 / D:3) written from the code
lists' own rules: 0083 action codes per level, 0096 segment positions, 0085 syntax error
codes, 0098/0104 element and component positions. Existing tests in
``tests/edifact/test_contrl.py`` cover a missing BGM (UCS+1+13), a bad character in QTY
(UCS+8 UCD+37+2:2), UCI 4 for a refused interchange, UCF 4 and UCI 7 under a message
rejection; these add the cases they do not, and every CONTRL written here must pass
``rule_violations`` (the code-combination rules) as well.
"""

from __future__ import annotations

import pytest

from gateway.edi import AckControlNumbers, OwnIdentity
from gateway.edifact import build_contrl, parse_payload, read_contrl
from gateway.edifact.contrl import rule_violations
from tests.edifact.helpers import VALID_ORDERS_BODY, interchange, message

OURS = OwnIdentity(qualifier="14", id="5499999999999")
NUMBERS = AckControlNumbers(interchange=42, group=1, transaction=7)

# positions in VALID_ORDERS_BODY counted from UNH = 1:
# UNH 1, BGM 2, DTM 3, NAD 4, NAD 5, LIN 6, PIA 7, QTY 8, UNS 9, CNT 10, UNT 11


def _report(*body: str) -> list[str]:
    """The CONTRL for one ORDERS message, as segment texts without UNH/UNT."""
    ix = parse_payload(interchange(message("M1", *body))).interchanges[0]
    tx = parse_payload(build_contrl(ix, ours=OURS, numbers=NUMBERS).data).interchanges[0]
    contrl = tx.transactions[0]
    assert rule_violations(contrl) == []
    return [
        "+".join([s.tag, *(":".join(s.components(n)) for n in range(1, s.element_count() + 1))])
        for s in contrl.segments[1:-1]
    ]


def _without(tag: str) -> list[str]:
    return [s for s in VALID_ORDERS_BODY if not s.startswith(tag + "+")]


@pytest.mark.parametrize(
    ("body", "ucs"),
    [
        # 0096: a missing segment is reported at "the numerical count position of the last
        # segment that was processed before the position where the missing segment was
        # expected to be": ORDERS without its mandatory DTM (M 35 after BGM) -> BGM's 2
        (_without("DTM"), "UCS+2+13"),
        # without UNS (M 1, closes the detail): the last segment of the last LIN group
        # processed is QTY at 8, never CNT that revealed the gap
        (_without("UNS"), "UCS+8+13"),
    ],
    ids=["DTM-after-BGM", "UNS-after-the-detail"],
)
def test_missing_segment_is_reported_at_the_last_position_processed(
    body: list[str], ucs: str
) -> None:
    report = _report(*body)
    # 0083 on UCM: 4 "this level and all lower levels rejected"; UCI 7 above it
    assert report[0].startswith("UCI+REF1+") and report[0].endswith("+7")
    assert report[1:] == ["UCM+M1+ORDERS:D:96A:UN:EAN008+4", ucs]


def test_element_too_long_is_ucs_at_its_segment_and_ucd_39_with_the_component() -> None:
    # BGM C106 1004 is an..35: 40 characters are 0085 39 "data element too long";
    # UCS 0096 = BGM's own position (2); UCD S011 0098 = 3: "the segment tag has
    # position number 1", so C002 is 2 and C106 3; 0104 = component 1
    body = [
        s if not s.startswith("BGM") else "BGM+220+" + "P" * 40 + "+9" for s in VALID_ORDERS_BODY
    ]
    assert _report(*body)[1:] == ["UCM+M1+ORDERS:D:96A:UN:EAN008+4", "UCS+2", "UCD+39+3:1"]


def test_segment_not_in_the_message_is_ucs_15_at_its_own_position() -> None:
    # a segment the ORDERS structure has no place for: 0085 15 "not supported in this
    # position", reported at the segment's own position (6: after UNH, BGM, DTM, NAD, NAD)
    body = [*VALID_ORDERS_BODY[:4], "XYZ+1", *VALID_ORDERS_BODY[4:]]
    assert _report(*body)[1:] == ["UCM+M1+ORDERS:D:96A:UN:EAN008+4", "UCS+6+15"]


def test_clean_message_is_ucm_7_with_nothing_below() -> None:
    # 0083 7 "this level acknowledged and all lower levels acknowledged if not explicitly
    # reported": no UCS/UCD follow an accepted message
    assert _report(*VALID_ORDERS_BODY)[1:] == ["UCM+M1+ORDERS:D:96A:UN:EAN008+7"]


def test_one_rejected_and_one_accepted_message_share_uci_7() -> None:
    # two messages, the second rejected: UCI stays 7 (never 8, never 4: the interchange
    # itself is fine), UCM 7 for the first, UCM 4 with its UCS for the second; a reader
    # of the CONTRL sees one message accepted and one rejected
    bad = [s for s in VALID_ORDERS_BODY if not s.startswith("DTM+")]
    ix = parse_payload(
        interchange(message("M1", *VALID_ORDERS_BODY), message("M2", *bad))
    ).interchanges[0]
    contrl = parse_payload(build_contrl(ix, ours=OURS, numbers=NUMBERS).data)
    tx = contrl.interchanges[0].transactions[0]
    assert rule_violations(tx) == []
    ucm = [(s.value(1), s.value(3)) for s in tx.segments if s.tag == "UCM"]
    assert [s.value(4) for s in tx.segments if s.tag == "UCI"] == ["7"]
    assert ucm == [("M1", "7"), ("M2", "4")]
    inbound = read_contrl(tx)
    assert inbound is not None
    assert inbound.transactions == {"M1": "accepted", "M2": "rejected"}

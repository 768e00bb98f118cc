"""The 824 / APERAK writer: whatever the partner's damaged values, what we write passes
our own validator (the rule the 997/999/CONTRL writers follow, #17 finding 10)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edi.model import EdiGroup, EdiPayload, EdiTransaction
from gateway.engines import parse_payload
from gateway.mapping.errors import DocumentError, UnsupportedDocument
from gateway.outbound import OutboundEnvelope, OutboundLibrary, render, write
from gateway.outbound.advice import Rejection, advice_error, build_advice, clean

REPO = Path(__file__).resolve().parents[2]
LIBRARY = OutboundLibrary.load([REPO / "maps"])
WHEN = dt.datetime(2026, 12, 4, 22, 30, tzinfo=dt.UTC)


@dataclass
class _Segment:
    """A parsed segment as the mapping engine sees one (values by position)."""

    tag: str
    position: int
    values: tuple[str, ...]

    def value(self, element: int, component: int = 1, repetition: int = 1) -> str:
        if element > len(self.values) or component > 1:
            return ""
        return self.values[element - 1]

    def element_count(self) -> int:
        return len(self.values)

    def components(self, element: int, repetition: int = 1) -> tuple[str, ...]:
        return (self.value(element),)


def _rejection(set_id: str, values: dict[str, str], error: DocumentError) -> Rejection:
    head = "BEG" if set_id == "850" else "BGM"
    number = values["number"]
    segments = [
        _Segment("ST", 1, (set_id, values["control"])),
        _Segment(head, 2, ("00", "SA", number) if head == "BEG" else ("220", number, "9")),
    ]
    txn = EdiTransaction(set_id, values["control"], values["version"], segments, 0, 0)
    group = EdiGroup(
        functional_id="PO",
        sender_id=values["sender"],
        receiver_id=values["receiver"],
        control_number=values["group"],
        version=values["version"],
        date=values["date"],
        time=values["time"],
    )
    return Rejection(txn, group, error)


def _fatal(payload: EdiPayload) -> list[str]:
    found = [i.describe() for i in payload.issues if i.fatal]
    for ic in payload.interchanges:
        found += [i.describe() for i in ic.issues if i.fatal]
        for group in ic.groups:
            found += [i.describe() for i in group.issues if i.fatal]
            for tx in group.transactions:
                found += [i.describe() for i in tx.issues if i.fatal]
    return found


def _write(name: str, rejections: list[Rejection]) -> bytes:
    map_ = LIBRARY.get(name)
    advice = build_advice(rejections, number="77", when=WHEN, edifact=map_.syntax == "edifact")
    env = OutboundEnvelope(
        sender_id="MERIDIANHEALTH", receiver_id="PARTNER", interchange_control=77
    )
    # write() raises OutboundInvalid when our own validator finds anything fatal
    data = write(map_, render(map_, advice), env).data
    assert _fatal(parse_payload(data)) == []
    return data


def test_the_shipped_advice_maps_load() -> None:
    assert {
        "x12/004010/824",
        "x12/005010/824",
        "edifact/D96A/APERAK",
        "edifact/D01B/APERAK",
    } <= set(LIBRARY.maps)
    assert LIBRARY.get("x12/005010/824").version == "005010"


def test_codes_say_missing_invalid_date_or_other() -> None:
    missing = advice_error(DocumentError("no PO102", segment_tag="PO1", code="1"))
    date = advice_error(DocumentError("bad", segment_tag="DTM", element=2, code="8"))
    other = advice_error(DocumentError("bad", segment_tag="N1", element=4, code="7"))
    unsupported = advice_error(UnsupportedDocument("not set up for 005010", code="1"))
    assert [(e.code, e.edifact_code) for e in (missing, date, other, unsupported)] == [
        ("007", "13"),
        ("009", "12"),
        ("024", "12"),
        ("024", "17"),
    ]
    assert date.message.startswith("DTM02") and date.element == 2


def test_several_rejected_transactions_share_one_824() -> None:
    values = {
        "number": "PO-1",
        "control": "0001",
        "version": "004010",
        "sender": "ACME",
        "receiver": "US",
        "group": "12",
        "date": "20261116",
        "time": "0930",
    }
    second = {**values, "number": "PO-2", "control": "0002"}
    data = _write(
        "x12/004010/824",
        [
            _rejection("850", values, DocumentError("no quantity", segment_tag="PO1", code="1")),
            _rejection("850", second, DocumentError("bad date", segment_tag="DTM", code="8")),
        ],
    )
    (tx,) = parse_payload(data).interchanges[0].groups[0].transactions
    otis = [seg for seg in tx.segments if seg.tag == "OTI"]
    assert [(o.value(3), o.value(9)) for o in otis] == [("PO-1", "0001"), ("PO-2", "0002")]
    assert [seg.value(1) for seg in tx.segments if seg.tag == "TED"] == ["007", "009"]


def test_without_a_document_number_the_824_quotes_the_st02() -> None:
    values = {
        "number": "",
        "control": "0042",
        "version": "005010",
        "sender": "",
        "receiver": "",
        "group": "",
        "date": "",
        "time": "",
    }
    data = _write("x12/005010/824", [_rejection("850", values, DocumentError("x"))])
    (tx,) = parse_payload(data).interchanges[0].groups[0].transactions
    (oti,) = [seg for seg in tx.segments if seg.tag == "OTI"]
    # TN: transaction reference number; no group data, so no OTI04-09 (C0706, C0908)
    assert (oti.value(2), oti.value(3), oti.value(8), oti.value(9)) == ("TN", "0042", "", "")


def test_clean_keeps_neither_syntax_delimiters_nor_length() -> None:
    assert clean("A*B~C>D^E+F:G'H?I\nJ", 99) == "A B C D E F G H I J"
    assert clean("field x: reason", 99) == "field x - reason"
    assert len(clean("X" * 500, 60)) == 60


# text as damaged as a partner's can be: delimiters of both syntaxes, control
# characters, non-Latin letters, huge lengths
_DAMAGED = st.text(
    alphabet=st.sampled_from(list("AZaz09 *~>^+:'?|\\\n\t\x00\x1fé€漢-./()")), max_size=200
)


@pytest.mark.parametrize(
    "name", ["x12/004010/824", "x12/005010/824", "edifact/D96A/APERAK", "edifact/D01B/APERAK"]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    number=_DAMAGED,
    control=_DAMAGED,
    sender=_DAMAGED,
    receiver=_DAMAGED,
    group=_DAMAGED,
    date=_DAMAGED,
    time=_DAMAGED,
    version=_DAMAGED,
    reason=_DAMAGED,
    field=_DAMAGED,
    tag=_DAMAGED,
    position=st.integers(min_value=-5, max_value=10**12),
    element=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**6)),
)
def test_damaged_partner_values_never_break_the_advice(
    name: str,
    number: str,
    control: str,
    sender: str,
    receiver: str,
    group: str,
    date: str,
    time: str,
    version: str,
    reason: str,
    field: str,
    tag: str,
    position: int,
    element: int | None,
) -> None:
    values = {
        "number": number,
        "control": control,
        "version": version,
        "sender": sender,
        "receiver": receiver,
        "group": group,
        "date": date,
        "time": time,
    }
    error = DocumentError(
        reason, field=field, segment_tag=tag, segment_position=position, element=element
    )
    set_id = "850" if name.startswith("x12") else "ORDERS"
    _write(name, [_rejection(set_id, values, error)])

"""Every acknowledgement status code is read deliberately; an unknown one is refused.

X12 855 ACK01 (668) and BAK02 (587), EDIFACT ORDRSP LIN 1229 and BGM 1225: a code the
map does not know used to become "accepted" (``default: accepted``), so a line the
vendor backordered (``BP``: accepted, partial shipment, balance backordered) or an
unknown code read as accepted in full.
"""

from __future__ import annotations

import pytest

from gateway.canonical import AckType, LineStatus, OrderAcknowledgement
from gateway.mapping import DocumentError, MapLibrary
from gateway.x12.specs.codes import CODE_LISTS
from tests.mapping.helpers import MAPS
from tests.mapping.test_engine import run


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


def _855(ack: str | None, bak02: str = "AC") -> list[str]:
    body = ["ST*855*0001", f"BAK*00*{bak02}*PO-9*20261101", "PO1*1*30*EA*2.5**VP*V-1"]
    if ack is not None:
        body.append(ack)
    body.append("CTT*1")
    return [*body, f"SE*{len(body) + 1}*0001"]


def test_every_ack01_and_bak02_code_the_validator_accepts_is_mapped(library: MapLibrary) -> None:
    map_ = library.get("x12/004010/855")
    assert set(map_.tables["line_status"]) == set(CODE_LISTS["668"])
    assert set(map_.tables["ack_type"]) == set(CODE_LISTS["587"])


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("BP", LineStatus.BACKORDERED),
        ("IB", LineStatus.BACKORDERED),
        ("IA", LineStatus.ACCEPTED),
        ("AC", LineStatus.ACCEPTED),
        ("AR", LineStatus.ACCEPTED),
    ],
)
def test_855_line_status(library: MapLibrary, code: str, status: LineStatus) -> None:
    doc = run(library, _855(f"ACK*{code}*30*EA")).document
    assert isinstance(doc, OrderAcknowledgement)
    (line,) = doc.lines
    assert (line.status, line.status_code) == (status, code)
    assert [s.status for s in line.splits] == [status]


def test_855_line_without_ack_is_as_ordered(library: MapLibrary) -> None:
    (line,) = run(library, _855(None)).document.lines  # type: ignore[union-attr]
    assert line.status is LineStatus.ACCEPTED and line.splits == []


def test_855_unknown_ack01_is_refused(library: MapLibrary) -> None:
    with pytest.raises(DocumentError) as caught:
        run(library, _855("ACK*XX*30*EA"))
    assert caught.value.field == "lines[0].status"
    assert "'XX'" in caught.value.reason
    assert (caught.value.segment_tag, caught.value.element, caught.value.code) == ("ACK", 1, "7")


@pytest.mark.parametrize(
    ("code", "ack_type"),
    [
        ("AH", AckType.ACCEPTED_WITH_CHANGES),
        ("RN", AckType.REJECTED),
        ("RV", AckType.REJECTED),
    ],
)
def test_855_bak02_codes(library: MapLibrary, code: str, ack_type: AckType) -> None:
    doc = run(library, _855("ACK*IA*30*EA", bak02=code)).document
    assert isinstance(doc, OrderAcknowledgement) and doc.ack_type is ack_type


def test_855_unknown_bak02_is_refused(library: MapLibrary) -> None:
    with pytest.raises(DocumentError) as caught:
        run(library, _855("ACK*IA*30*EA", bak02="QQ"))
    assert caught.value.field == "ack_type" and "'QQ'" in caught.value.reason


def _ordrsp(bgm: str = "4", lin: str = "LIN+1+5+04045678100016:SRV") -> list[str]:
    body = [
        "UNH+1+ORDRSP:D:96A:UN",
        f"BGM+231+RSP-9+{bgm}",
        "DTM+137:20261116:102",
        "RFF+ON:PO-9",
        lin,
        "QTY+113:20:PCE",
        "QTY+83:10:PCE",
        "UNS+S",
    ]
    return [*body, f"UNT+{len(body) + 1}+1"]


def test_ordrsp_known_codes_and_absent_status(library: MapLibrary) -> None:
    doc = run(library, _ordrsp(), syntax="edifact", version="D96A").document
    assert isinstance(doc, OrderAcknowledgement)
    assert doc.ack_type is AckType.ACCEPTED_WITH_CHANGES
    assert doc.lines[0].status is LineStatus.ACCEPTED
    doc = run(library, _ordrsp(lin="LIN+1++04045678100016:SRV"), syntax="edifact", version="D96A")
    assert doc.document.lines[0].status is LineStatus.ACCEPTED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        (_ordrsp(bgm="99"), "ack_type"),
        (_ordrsp(lin="LIN+1+99+04045678100016:SRV"), "lines[0].status"),
    ],
)
def test_ordrsp_unknown_code_is_refused(library: MapLibrary, lines: list[str], field: str) -> None:
    with pytest.raises(DocumentError) as caught:
        run(library, lines, syntax="edifact", version="D96A")
    assert caught.value.field == field and "'99'" in caught.value.reason

"""Change orders written with the shipped maps: 860 (004010, 005010) and ORDCHG (D96A,
D01B) pass our own validator and read back, segment by segment, with the right codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.canonical import ItemIds, Party, PurchaseOrder, PurchaseOrderLine
from gateway.edi.engines import parse_payload
from gateway.outbound import OutboundEnvelope, OutboundInvalid, OutboundLibrary, render, write
from gateway.outbound.changes import OrderChange, compare

REPO = Path(__file__).resolve().parents[2]
LIBRARY = OutboundLibrary.load([REPO / "maps"])
ENVELOPE = OutboundEnvelope(sender_id="HOSPITAL", receiver_id="SUPPLIER", interchange_control=42)


def _line(n: int, part: str, qty: str) -> PurchaseOrderLine:
    return PurchaseOrderLine(
        line_number=str(n),
        quantity=Decimal(qty),
        uom="EA",
        unit_price=Decimal("4.15"),
        item=ItemIds(vendor_part=part, buyer_part=f"OUR-{part}"),
        requested_date=dt.date(2026, 12, 10),
    )


def _order(*lines: PurchaseOrderLine) -> PurchaseOrder:
    return PurchaseOrder(
        po_number="PO-7001",
        order_date=dt.date(2026, 12, 1),
        currency="USD",
        buyer=Party(name="Mercy Hospital", gln="0614141000012"),
        lines=list(lines),
    )


SENT = _order(_line(1, "GLOVE-M", "100"), _line(2, "MASK-N95", "40"), _line(3, "GAUZE", "10"))
# quantity of line 1 up, line 2 deleted, a new item added
CURRENT = _order(_line(1, "GLOVE-M", "150"), _line(2, "GAUZE", "10"), _line(3, "SYRINGE", "5"))


def _change(cancelled: bool = False) -> OrderChange:
    change = compare(SENT, CURRENT, cancelled=cancelled)
    assert change is not None
    return change


def _segments(data: bytes) -> list[list[str]]:
    payload = parse_payload(data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (tx,) = group.transactions
    assert not [i for i in tx.issues if i.fatal]
    return [[seg.tag, *(str(e) for e in seg.elements)] for seg in tx.segments]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_860_change_carries_one_poc_per_changed_line(version: str) -> None:
    map_ = LIBRARY.get(f"x12/{version}/860")
    written = write(map_, render(map_, _change().document), ENVELOPE)
    assert b"GS*PC*" in written.data
    segments = _segments(written.data)
    bch = next(s for s in segments if s[0] == "BCH")
    assert bch[1:4] == ["04", "SA", "PO-7001"] and bch[6] == "20261201"
    pocs = [s[1:4] for s in segments if s[0] == "POC"]
    assert pocs == [["1", "QI", "150"], ["2", "DI", "0"], ["4", "AI", "5"]]
    added = next(s for s in segments if s[0] == "POC" and s[2] == "AI")
    assert added[8:10] == ["VP", "SYRINGE"]
    assert next(s for s in segments if s[0] == "CTT")[1] == "3"


def test_860_cancellation_has_bch01_01_and_no_lines() -> None:
    map_ = LIBRARY.get("x12/004010/860")
    segments = _segments(write(map_, render(map_, _change(True).document), ENVELOPE).data)
    assert next(s for s in segments if s[0] == "BCH")[1] == "01"
    assert not [s for s in segments if s[0] in ("POC", "CTT")]


@pytest.mark.parametrize("directory", ["D96A", "D01B"])
def test_ordchg_change_and_cancellation(directory: str) -> None:
    map_ = LIBRARY.get(f"edifact/{directory}/ORDCHG")
    data = write(map_, render(map_, _change().document), ENVELOPE).data
    assert f"ORDCHG:D:{directory[1:]}:UN".encode() in data
    tags = [s[0] for s in _segments(data)]
    assert tags.count("LIN") == 3 and tags.count("QTY") == 3
    text = data.decode()
    assert "BGM+230+PO-7001+4'" in text
    assert "RFF+ON:PO-7001'" in text
    assert "LIN+1+3'" in text and "QTY+21:150:EA'" in text
    assert "LIN+2+2'" in text and "QTY+21:0:EA'" in text
    assert "LIN+4+1'" in text and "PIA+5+SYRINGE:SA+OUR-SYRINGE:IN'" in text
    cancel = write(map_, render(map_, _change(True).document), ENVELOPE).data.decode()
    assert "BGM+230+PO-7001+1'" in cancel and "LIN+" not in cancel


def test_our_validator_refuses_a_broken_860() -> None:
    # given a partner override that forgets POC02 (mandatory)
    map_ = LIBRARY.get("x12/004010/860")
    broken = map_.model_copy(deep=True)
    poc = broken.segments[5].segments[0]  # type: ignore[union-attr]
    assert poc.tag == "POC"
    poc.elements[1] = ""
    # then nothing is written, and the finding names the segment
    with pytest.raises(OutboundInvalid) as caught:
        write(broken, render(broken, _change().document), ENVELOPE)
    assert "POC" in str(caught.value)

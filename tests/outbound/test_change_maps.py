"""Change orders written with the shipped maps: 860 (004010, 005010) and ORDCHG (D96A,
D01B) pass our own validator and read back, segment by segment, with the right codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.canonical import Contact, ItemIds, Party, PurchaseOrder, PurchaseOrderLine
from gateway.engines import parse_payload
from gateway.outbound import OutboundEnvelope, OutboundInvalid, OutboundLibrary, render, write
from gateway.outbound.changes import OrderChange, compare
from gateway.outbound.template import LoopRule, SegmentRule

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
        buyer=Party(
            name="Mercy Hospital",
            gln="0614141000012",
            contact=Contact(name="Pat Buyer", phone="3125550100", email="pat@mercy.example"),
        ),
        notes=["Deliver to dock 4"],
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
    # the buyer's contact and the order's notes travel as in the 850
    assert ["PER", "BD", "Pat Buyer", "TE", "3125550100", "EM", "pat@mercy.example"] in segments
    assert ["MSG", "Deliver to dock 4"] in segments


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
    assert "CTA+PD+:Pat Buyer'" in text and "FTX+AAI+++Deliver to dock 4'" in text
    cancel = write(map_, render(map_, _change(True).document), ENVELOPE).data.decode()
    assert "BGM+230+PO-7001+1'" in cancel and "LIN+" not in cancel


def test_our_validator_refuses_a_broken_860() -> None:
    # given a partner override that forgets POC02 (mandatory)
    map_ = LIBRARY.get("x12/004010/860")
    broken = map_.model_copy(deep=True)
    (poc,) = [
        rule.segments[0]
        for rule in broken.segments
        if isinstance(rule, LoopRule) and getattr(rule.segments[0], "tag", "") == "POC"
    ]
    assert isinstance(poc, SegmentRule)
    poc.elements[1] = ""
    # then nothing is written, and the finding names the segment
    with pytest.raises(OutboundInvalid) as caught:
        write(broken, render(broken, _change().document), ENVELOPE)
    assert "POC" in str(caught.value)


# ---- property: any edit of any order gives a change order that validates and says it ----
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gateway.canonical import LineChange  # noqa: E402

POC02 = {"added": "AI", "deleted": "DI", "quantity_increase": "QI", "quantity_decrease": "QD",
         "price": "PC", "date": "RS", "replace": "CA"}  # fmt: skip
LIN1229 = {"added": "1", "deleted": "2"}  # everything else is 3 (changed)
PARTS = [f"P-{n}" for n in range(12)]


@st.composite
def edits(draw: st.DrawFn) -> tuple[PurchaseOrder, PurchaseOrder, dict[str, str]]:
    """An order as sent, the same order after random edits in Odoo, and what each edit
    should be called in the change order (vendor part -> change)."""
    parts = draw(st.lists(st.sampled_from(PARTS), min_size=1, max_size=6, unique=True))
    sent = _order(*(_line(n, part, str(draw(st.integers(1, 500)))) for n, part in
                    enumerate(parts, 1)))  # fmt: skip
    now: list[PurchaseOrderLine] = []
    expected: dict[str, str] = {}
    for line in sent.lines:
        part = line.item.vendor_part or ""
        action = draw(st.sampled_from(["keep", "delete", "qty", "price", "date", "both"]))
        named = {"delete": "deleted", "price": "price", "date": "date", "both": "replace"}
        if action in named:
            expected[part] = named[action]
        if action == "delete":
            continue
        update: dict[str, object] = {}
        if action in ("qty", "both"):
            delta = draw(st.sampled_from([-1, 1, 7]))
            update["quantity"] = line.quantity + delta
            if action == "qty":
                expected[part] = "quantity_increase" if delta > 0 else "quantity_decrease"
        if action in ("price", "both"):
            update["unit_price"] = Decimal("9.99")
        if action == "date":
            update["requested_date"] = dt.date(2027, 1, 15)
        now.append(line.model_copy(update=update))
    spare = [p for p in PARTS if p not in parts]
    added = draw(st.lists(st.sampled_from(spare), max_size=2, unique=True)) if spare else []
    now += [_line(0, part, "3") for part in added]
    expected.update(dict.fromkeys(added, "added"))
    renumbered = [x.model_copy(update={"line_number": str(n)}) for n, x in enumerate(now, 1)]
    return sent, _order(*renumbered), expected


def _first(element: object) -> str:
    """The first component of a parsed EDIFACT element (a plain string for simple ones)."""
    while isinstance(element, tuple | list):
        element = element[0] if element else ""
    return str(element)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits(), st.sampled_from(["x12/004010/860", "x12/005010/860", "edifact/D96A/ORDCHG",
                                 "edifact/D01B/ORDCHG"]))  # fmt: skip
def test_every_change_order_validates_and_reads_back_line_by_line(
    edit: tuple[PurchaseOrder, PurchaseOrder, dict[str, str]], map_name: str
) -> None:
    sent, current, named = edit
    change = compare(sent, current, cancelled=False)
    if change is None:  # nothing edited
        assert named == {}
        return
    # each edit is named as it should be, and nothing else is in the change order
    assert {x.item.vendor_part: x.change for x in change.document.lines} == named
    # every line of Odoo's order is in the new baseline under one stable number
    live = [x for x in change.known.lines if x.change is not LineChange.DELETED]
    assert sorted(x.item.vendor_part or "" for x in live) == sorted(
        x.item.vendor_part or "" for x in current.lines
    )
    numbers = [x.line_number for x in change.known.lines]
    assert len(numbers) == len(set(numbers))
    map_ = LIBRARY.get(map_name)
    written = write(map_, render(map_, change.document), ENVELOPE)  # raises if invalid
    segments = _segments(written.data)
    expected = [(x.line_number, x.change.value) for x in change.document.lines if x.change]
    if map_.syntax == "x12":
        assert [(s[1], s[2]) for s in segments if s[0] == "POC"] == [
            (number, POC02[kind]) for number, kind in expected
        ]
    else:
        payload = parse_payload(written.data)
        (tx,) = payload.interchanges[0].groups[0].transactions
        lin = [[_first(e) for e in seg.elements[:2]] for seg in tx.segments if seg.tag == "LIN"]
        assert lin == [[number, LIN1229.get(kind, "3")] for number, kind in expected]

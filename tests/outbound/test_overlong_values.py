"""Keys, references, lot numbers and codes are never cut to fit: an over-long one is
refused naming the element and the canonical field; only free text is cut (``max:N``)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.canonical import (
    Address,
    ItemIds,
    Party,
    PurchaseOrder,
    PurchaseOrderLine,
    ShipNotice,
    ShipNoticeLine,
    ShipNoticeOrder,
)
from gateway.outbound import OutboundEnvelope, OutboundInvalid, OutboundLibrary, render, write

REPO = Path(__file__).resolve().parents[2]
OUTBOUND = OutboundLibrary.load([REPO / "maps"])
ENV = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="SUPPLIER", interchange_control=7)
# the canonical fields a map may cut: names, addresses, descriptions and notes
FREE_TEXT = {
    "party.name",
    "party.address.street",
    "party.address.street2",
    "party.address.city",
    "party.contact.name",
    "note",
    "terms",
    "term.description",
    "ac.description",
    "line.item.description",
    "carrier",
}


def _order(
    po_number: str = "PO-1", state: str = "VI", name: str = "Royal Melbourne"
) -> PurchaseOrder:
    address = Address(street="300 Grattan St", city="Parkville", state=state,
                      postal_code="3050", country="AU")  # fmt: skip
    ship_to = Party(name=name, address=address)
    line = PurchaseOrderLine(line_number="1", quantity=Decimal(2), uom="EA",
                             item=ItemIds(vendor_part="VP1"))  # fmt: skip
    return PurchaseOrder(po_number=po_number, order_date=dt.date(2026, 1, 2), ship_to=ship_to,
                         lines=[line])  # fmt: skip


def _refusal(map_name: str, document: object) -> str:
    map_ = OUTBOUND.get(map_name)
    with pytest.raises(OutboundInvalid) as caught:
        write(map_, render(map_, document), ENV)  # type: ignore[arg-type]
    return "; ".join(caught.value.findings)


def test_no_shipped_map_cuts_anything_but_free_text() -> None:
    # given every shipped outbound map, then max:N only ever cuts a free-text field
    cut = re.compile(r"\{([\w.]+)\|[^}]*max:\d+")
    found = {
        (path.relative_to(REPO).as_posix(), field)
        for path in (REPO / "maps" / "outbound").rglob("*.yaml")
        for field in cut.findall(path.read_text())
    }
    assert found and not {(p, f) for p, f in found if f not in FREE_TEXT}


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_two_long_po_numbers_are_refused_not_cut_into_the_same_beg03(version: str) -> None:
    # given a PO number longer than BEG03's 22 characters
    text = _refusal(f"x12/{version}/850", _order(po_number="PO/2026/NORTH-CAMPUS/00017"))
    # then the order is refused naming BEG03 and the canonical field
    assert "(BEG), element 3" in text and "BEG03 (AN 1-22): too long" in text
    assert "po_number" in text


def test_a_three_letter_state_is_refused_in_n402_not_cut() -> None:
    # given an Australian state (VIC) where N402 takes a 2-letter code
    text = _refusal("x12/004010/850", _order(state="VIC"))
    # then N402 is named with the field, instead of 'VI' going out
    assert "N402 (ID 2-2): too long" in text and "ship_to.address.state" in text


@pytest.mark.parametrize("directory", ["D96A", "D01B"])
def test_edifact_document_number_and_state_are_refused_not_cut(directory: str) -> None:
    # given a document number longer than BGM 1004 (an..35) and a 10-letter NAD 3229
    text = _refusal(f"edifact/{directory}/ORDERS", _order(po_number="P" * 36, state="VICTORIA-S"))
    # then both are refused with the fields named
    assert "BGM 1004 is 36 long, at most 35 allowed" in text and "po_number" in text
    assert "NAD 3229 is 10 long, at most 9 allowed" in text
    assert "ship_to.address.state" in text


def _notice(lot: str) -> ShipNotice:
    line = ShipNoticeLine(po_line_number="1", quantity=Decimal(1), uom="EA",
                          item=ItemIds(vendor_part="V1"), lot_number=lot)  # fmt: skip
    return ShipNotice(shipment_id="WH/OUT/1", ship_date=dt.date(2026, 1, 5),
                      orders=[ShipNoticeOrder(po_number="PO-A", lines=[line])])  # fmt: skip


def test_a_lot_longer_than_004010_ref02_is_refused_not_cut() -> None:
    # given a 31-character lot (004010 REF02 is AN 1-30; our validator allows 005010's 50)
    text = _refusal("x12/004010/856", _notice("L" * 31))
    # then the map's own limit refuses it, naming the element and the field
    assert "(REF), element 2: 'LLLL" in text and "is longer than 30 [fits:30]" in text
    assert "from orders[0].lines[0].lot_number" in text


def test_a_lot_longer_than_pia_7140_is_refused_in_the_desadv() -> None:
    text = _refusal("edifact/D96A/DESADV", _notice("L" * 36))
    assert "PIA 7140 is 36 long, at most 35 allowed" in text and "lot_number" in text


def test_free_text_is_still_cut_to_fit() -> None:
    # given a ship-to name longer than N102's 60 characters
    map_ = OUTBOUND.get("x12/004010/850")
    rendered = render(map_, _order(name="N" * 70))
    # then it is written cut to 60, not refused
    write(map_, rendered, ENV)
    (n1,) = [elements for tag, elements in rendered.segments if tag == "N1"]
    assert n1[1] == "N" * 60

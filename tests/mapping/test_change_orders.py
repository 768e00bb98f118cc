"""Inbound change orders: a customer's 860 (004010, 005010) and ORDCHG (D96A, D01B) read
by the shipped maps into the canonical change (purpose, change sequence, one line per
changed line with its change). Our own outbound change orders are the independent
writer: what we send a supplier reads back as the change we meant."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gateway.canonical import LineChange, PurchaseOrder, Purpose
from gateway.engines import parse_payload
from gateway.mapping import MapLibrary, translate
from gateway.outbound import OutboundEnvelope, OutboundLibrary, render, write
from gateway.partners.profile import PartnerProfile
from tests.outbound.test_change_maps import _change

REPO = Path(__file__).resolve().parents[2]
INBOUND = MapLibrary.load([REPO / "maps"])
OUTBOUND = OutboundLibrary.load([REPO / "maps"])
ENVELOPE = OutboundEnvelope(sender_id="HOSPITAL", receiver_id="SUPPLIER", interchange_control=42)
PROFILES = {
    "x12/004010/860": {"x12": {"isa_qualifier": "ZZ", "isa_id": "HOSPITAL"}},
    "x12/005010/860": {"x12": {"isa_qualifier": "ZZ", "isa_id": "HOSPITAL", "version": "005010"}},
    "edifact/D96A/ORDCHG": {"edifact": {"unb_id": "HOSPITAL", "directory": "D96A"}},
    "edifact/D01B/ORDCHG": {"edifact": {"unb_id": "HOSPITAL", "directory": "D01B"}},
}


def read(name: str, data: bytes) -> PurchaseOrder:
    payload = parse_payload(data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (transaction,) = group.transactions
    assert not [i for i in transaction.issues if i.fatal], transaction.issues
    profile = PartnerProfile.model_validate(
        {"id": "mercy", "name": "M", "role": "customer", **PROFILES[name]}
    )
    syntax, version, set_id = name.split("/")
    inbound = INBOUND.map_for(profile, syntax, version, set_id)
    document = translate(
        transaction, interchange=interchange, group=group, map=inbound, profile=profile
    ).document
    assert isinstance(document, PurchaseOrder)
    return document


@pytest.mark.parametrize("name", list(PROFILES))
def test_our_change_order_reads_back_as_the_change(name: str) -> None:
    # given the change order we would send a supplier (line 1 up, line 2 deleted, one added)
    change = _change().document
    written = write(OUTBOUND.get(name), render(OUTBOUND.get(name), change), ENVELOPE)
    # when a customer sends the same bytes to us
    document = read(name, written.data)
    # then it is the same change, line by line
    assert document.purpose is Purpose.CHANGE and document.po_number == "PO-7001"
    got = [(x.line_number, x.change, x.quantity, x.item.vendor_part) for x in document.lines]
    assert got == [
        ("1", LineChange.QUANTITY_INCREASE if name.startswith("x12") else LineChange.REPLACE,
         Decimal("150"), "GLOVE-M"),
        ("2", LineChange.DELETED, Decimal("0"), "MASK-N95"),
        ("4", LineChange.ADDED, Decimal("5"), "SYRINGE"),
    ]  # fmt: skip
    assert document.lines[0].unit_price == Decimal("4.15")
    # a change without its own number (ORDCHG BGM 1004 is the order's) is keyed by the
    # interchange it came in
    control = "000000042" if name.startswith("x12") else "42"
    assert document.business_key == f"PO-7001/change/{control}"


def test_a_resent_860_has_the_same_business_key_by_its_change_sequence() -> None:
    def interchange(control: int) -> bytes:
        return (
            f"ISA*00*          *00*          *ZZ*HOSPITAL       *ZZ*SUPPLIER       *261116*0930"
            f"*U*00401*{control:09d}*0*P*>~GS*PC*HOSPITAL*SUPPLIER*20261116*0930*{control}*X*004010~"
            "ST*860*0001~BCH*04*SA*PO-7001**3*20261201~POC*2*PC*40**EA*4.05*PE*VP*MASK-N95~"
            f"CTT*1~SE*5*0001~GE*1*{control}~IEA*1*{control:09d}~"
        ).encode()

    first, resent = read("x12/004010/860", interchange(71)), read("x12/004010/860", interchange(72))
    assert first.change_sequence == "3"
    assert first.business_key == resent.business_key == "PO-7001/change/3"
    assert first.lines[0].change is LineChange.PRICE
    assert first.lines[0].unit_price == Decimal("4.05")


def test_an_unknown_change_code_is_a_warning_and_the_line_has_no_change() -> None:
    data = (
        b"ISA*00*          *00*          *ZZ*HOSPITAL       *ZZ*SUPPLIER       *261116*0930"
        b"*U*00401*000000073*0*P*>~GS*PC*HOSPITAL*SUPPLIER*20261116*0930*73*X*004010~"
        b"ST*860*0001~BCH*01*SA*PO-7001**4*20261201~POC*1*ZZ*40**EA~"
        b"CTT*1~SE*5*0001~GE*1*73~IEA*1*000000073~"
    )
    document = read("x12/004010/860", data)
    assert document.purpose is Purpose.CANCEL
    assert document.lines[0].change is None


def test_a_partners_own_860_map_overrides_the_base_map(tmp_path: Path) -> None:
    # a customer that numbers its changes in BCH04 (release number) instead of BCH05
    site = tmp_path / "maps" / "overrides" / "mercy"
    site.mkdir(parents=True)
    (site / "860.yaml").write_text(
        "extends: x12/004010/860\n"
        "description: Mercy's 860\n"
        "header:\n"
        "  change_sequence: {segment: BCH, element: 4}\n"
    )
    library = MapLibrary.load([REPO / "maps", tmp_path / "maps"])
    profile = PartnerProfile.model_validate(
        {
            "id": "mercy",
            "name": "M",
            "role": "customer",
            "maps": {"860": "overrides/mercy/860"},
            **PROFILES["x12/004010/860"],
        }
    )
    data = (
        b"ISA*00*          *00*          *ZZ*HOSPITAL       *ZZ*SUPPLIER       *261116*0930"
        b"*U*00401*000000074*0*P*>~GS*PC*HOSPITAL*SUPPLIER*20261116*0930*74*X*004010~"
        b"ST*860*0001~BCH*04*SA*PO-7001*R-9*3*20261201~POC*2*QD*10**EA~"
        b"CTT*1~SE*5*0001~GE*1*74~IEA*1*000000074~"
    )
    payload = parse_payload(data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (transaction,) = group.transactions
    chosen = library.map_for(profile, "x12", "004010", "860")
    assert chosen.name == "overrides/mercy/860"
    document = translate(
        transaction, interchange=interchange, group=group, map=chosen, profile=profile
    ).document
    assert isinstance(document, PurchaseOrder)
    assert document.change_sequence == "R-9" and document.business_key == "PO-7001/change/R-9"
    assert document.lines[0].change is LineChange.QUANTITY_DECREASE

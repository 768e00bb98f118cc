"""Our 856 to a customer: packs by SSCC-18 (named or made from our GS1 prefix with a
correct check digit), lots and expiry dates per item, HL numbering shipment → order →
pack → item, our own validator, and our own inbound 856 map reading it back the same
(the real Odoo 17 in tests/odoo_real/test_seller_outbound.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.canonical import ItemIds, Party, ShipNotice, ShipNoticeLine, ShipNoticeOrder
from gateway.engines import parse_payload
from gateway.identifiers import gtin_check_digit, is_sscc, make_sscc
from gateway.mapping import MapLibrary, translate
from gateway.outbound import OutboundEnvelope, OutboundInvalid, OutboundLibrary, render, write
from gateway.outbound.ship_notice import DeliveryState, NotShippable, ShippedUnit, ship_notice
from gateway.partners.profile import PartnerProfile
from tests.outbound.test_order_acknowledgement import WHEN, asked

REPO = Path(__file__).resolve().parents[2]
OUTBOUND = OutboundLibrary.load([REPO / "maps"])
INBOUND = MapLibrary.load([REPO / "maps"])
NAMED = "106141411234567897"


def test_sscc_made_from_our_prefix_has_18_digits_and_a_valid_check_digit() -> None:
    sscc = make_sscc("0614141", 42)
    assert sscc == "0" + "0614141" + "000000042" + gtin_check_digit("00614141000000042")
    assert len(sscc) == 18 and is_sscc(sscc)
    assert is_sscc(NAMED) and not is_sscc("106141411234567890") and not is_sscc("PACK-1")
    with pytest.raises(ValueError, match="GS1 company prefix"):
        make_sscc("12AB", 1)
    with pytest.raises(ValueError, match="does not fit"):
        make_sscc("061414112345", 123456)


def delivery(*units: ShippedUnit) -> DeliveryState:
    return DeliveryState(
        name="WH/OUT/00007", ship_date=dt.date(2026, 12, 5), carrier="FedEx",
        tracking_number="1Z999AA10123456784", ship_to=Party(name="DOCK", gln="0614141000012"),
        units=list(units),
    )  # fmt: skip


UNITS = (
    ShippedUnit(1, Decimal(6), 7, NAMED, "LOT-A", dt.date(2028, 1, 31)),
    ShippedUnit(1, Decimal(4), 7, NAMED, "LOT-A", dt.date(2028, 1, 31)),  # same lot, pack
    ShippedUnit(1, Decimal(5), 8, "PACK-2", "LOT-B", dt.date(2027, 6, 30)),
    ShippedUnit(2, Decimal(5), 8, "PACK-2"),
    ShippedUnit(3, Decimal(40)),  # in no package
)


def test_lines_per_pack_line_and_lot_under_the_customer_numbers() -> None:
    notice = ship_notice(asked(), delivery(*UNITS), gs1_prefix="0614141")
    [order] = notice.orders
    assert order.po_number == "MH-5001"
    made = make_sscc("0614141", 8)
    assert [
        (x.sscc, x.po_line_number, x.quantity, x.lot_number, x.expiry_date) for x in order.lines
    ] == [
        (NAMED, "1", 10, "LOT-A", dt.date(2028, 1, 31)),
        (made, "1", 5, "LOT-B", dt.date(2027, 6, 30)),
        (made, "2", 5, None, None),
        (None, "3", 40, None, None),
    ]
    assert order.lines[2].item.vendor_part == "SYR-1" and order.lines[0].uom == "EA"


def test_a_package_without_an_sscc_and_no_prefix_or_a_foreign_line_is_not_shippable() -> None:
    with pytest.raises(NotShippable, match="gs1_prefix"):
        ship_notice(asked(), delivery(*UNITS))
    with pytest.raises(NotShippable, match="sequence 9"):
        ship_notice(asked(), delivery(ShippedUnit(9, Decimal(1))), gs1_prefix="0614141")


def read_back(data: bytes, version: str) -> ShipNotice:
    payload = parse_payload(data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (transaction,) = group.transactions
    profile = PartnerProfile.model_validate(
        {"id": "mercy", "name": "M", "x12": {"isa_qualifier": "ZZ", "isa_id": "MERCY",
                                              "version": version}}
    )  # fmt: skip
    inbound = INBOUND.map_for(profile, "x12", version, "856")
    document = translate(
        transaction, interchange=interchange, group=group, map=inbound, profile=profile
    ).document
    assert isinstance(document, ShipNotice)
    return document


def comparable(notice: ShipNotice) -> dict[str, Any]:
    """A notice as a read back is compared with what was sent: without its source and
    dates, and each line's ``lots`` left out once checked to hold the line's own lot
    only (the inbound maps list every lot a line names in its lots: an 856 REF*LT with
    its expiry, a DESADV PIA ...:NB by its number alone)."""
    data = notice.model_dump(exclude={"source"}, exclude_none=True)
    data.pop("dates", None)
    for order in data["orders"]:
        for line in order["lines"]:
            lots = line.pop("lots", [])
            own = {k: line[k] for k in ("lot_number", "expiry_date") if k in line}
            named = [own, {"lot_number": own["lot_number"]}] if "lot_number" in own else []
            assert lots == [] or (len(lots) == 1 and lots[0] in named), (lots, own)
    return data


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_856_nests_packs_and_items_and_reads_back_the_same(version: str) -> None:
    notice = ship_notice(asked(), delivery(*UNITS), gs1_prefix="0614141")
    map_ = OUTBOUND.get(f"x12/{version}/856")
    env = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="MERCY", interchange_control=3,
                           when=WHEN)  # fmt: skip
    written = write(map_, render(map_, notice), env)  # our own validator passed it
    segments = [s.split("*") for s in written.data.decode().split("~\n") if s]
    hl = [s[1:4] for s in segments if s[0] == "HL"]
    assert hl == [
        ["1", "", "S"], ["2", "1", "O"],
        ["3", "2", "P"], ["4", "3", "I"],
        ["5", "2", "P"], ["6", "5", "I"], ["7", "5", "I"],
        ["8", "2", "I"],  # no package: under the order
    ]  # fmt: skip
    assert [s[2] for s in segments if s[0] == "MAN"] == [NAMED, make_sscc("0614141", 8)]
    assert ["REF", "CN", "1Z999AA10123456784"] in segments
    assert ["DTM", "036", "20280131"] in segments and ["REF", "LT", "LOT-B"] in segments
    back = read_back(written.data, version)
    assert any(line.lots for order in back.orders for line in order.lines)
    assert comparable(back) == comparable(notice)


def _packed(n: int, sscc: str | None = None, lot: str | None = None) -> ShipNoticeLine:
    return ShipNoticeLine(po_line_number=str(n), quantity=Decimal(1), uom="EA",
                          item=ItemIds(vendor_part=f"V{n}"), sscc=sscc, lot_number=lot)  # fmt: skip


def test_a_refusal_inside_a_pack_names_the_line_by_its_own_index() -> None:
    # given lines packed out of order: lines[0] and lines[2..3] in two packs, lines[1] in
    # none, and a lot on lines[3] that X12 cannot carry (the component separator)
    second = "000000000000000024"
    lines = [_packed(1, "000000000000000017"), _packed(2), _packed(3, second),
             _packed(4, second, "LOT>4")]  # fmt: skip
    notice = ShipNotice(shipment_id="WH/OUT/00012", ship_date=dt.date(2026, 1, 5),
                        orders=[ShipNoticeOrder(po_number="PO-A", lines=lines)])  # fmt: skip
    map_ = OUTBOUND.get("x12/004010/856")
    # when it is rendered, then each pack's key and item is traced to the line it came from
    rendered = render(map_, notice)
    mans = [t.fields for t in rendered.traces if t.tag == "MAN"]
    assert mans == [("orders[0].lines[0].sscc",), ("orders[0].lines[2].sscc",)]
    lins = [t.fields[0] for t in rendered.traces if t.tag == "LIN"]
    assert lins == [f"orders[0].lines[{n}].po_line_number" for n in range(4)]
    # and the refusal names orders[0].lines[3], not the pack's index and position in it
    env = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="MERCY", interchange_control=5)
    with pytest.raises(OutboundInvalid) as caught:
        write(map_, rendered, env)
    (finding,) = caught.value.findings
    assert "(from orders[0].lines[3].lot_number;" in finding


@pytest.mark.parametrize("directory", ["D96A", "D01B"])
def test_the_desadv_nests_packs_by_cps_and_reads_back_the_same(directory: str) -> None:
    notice = ship_notice(asked(), delivery(*UNITS), gs1_prefix="0614141")
    map_ = OUTBOUND.get(f"edifact/{directory}/DESADV")
    env = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="MERCY", interchange_control=4,
                           when=WHEN)  # fmt: skip
    written = write(map_, render(map_, notice), env)  # our own validator passed it
    segments = [s for s in written.data.decode().split("'") if s]
    cps = [s for s in segments if s.startswith("CPS")]
    assert cps == ["CPS+1", "CPS+2+1", "CPS+3+1", "CPS+4+1"]  # the last: goods in no package
    gins = [s for s in segments if s.startswith("GIN")]
    assert gins == [f"GIN+BJ+{NAMED}", f"GIN+BJ+{make_sscc('0614141', 8)}"]
    assert "PIA+1+LOT-A:NB" in segments and "DTM+36:20280131:102" in segments
    payload = parse_payload(written.data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (transaction,) = group.transactions
    profile = PartnerProfile.model_validate(
        {"id": "mercy", "name": "M", "edifact": {"unb_id": "MERCY", "directory": directory}}
    )
    inbound = INBOUND.map_for(profile, "edifact", directory, "DESADV")
    back = translate(
        transaction, interchange=interchange, group=group, map=inbound, profile=profile
    ).document
    assert isinstance(back, ShipNotice)
    assert any(line.lots for order in back.orders for line in order.lines)
    assert comparable(back) == comparable(notice)

"""The mapping engine on hand-built transactions (no EDI engine involved)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.canonical import Invoice, OrderAcknowledgement, PurchaseOrder, ShipNotice
from gateway.edi import Syntax
from gateway.mapping import DocumentError, MapLibrary, MappingError, Translation, translate
from gateway.partners.profile import PartnerProfile
from tests.mapping.helpers import MAPS, edifact_tx, envelope, make_profile, x12_tx


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


def run(
    library: MapLibrary,
    lines: list[str],
    *,
    syntax: str = "x12",
    version: str = "004010",
    profile: PartnerProfile | None = None,
    explain: bool = False,
) -> Translation:
    profile = profile or make_profile()
    if syntax == "x12":
        tx = x12_tx(lines, version=version)
        interchange, group = envelope(Syntax.X12)
    else:
        tx = edifact_tx(lines, version=version)
        interchange, group = envelope(Syntax.EDIFACT)
    map_ = library.map_for(profile, syntax, version, tx.set_id)
    return translate(
        tx, interchange=interchange, group=group, map=map_, profile=profile, explain=explain
    )


PO_850 = [
    "ST*850*0001",
    "BEG*04*SA*PO-77**20261101",
    "CUR*BY*USD",
    "REF*CT*GPO-1",
    "DTM*002*20261110",
    "N1*BY*MERIDIAN*92*MH1",
    "N1*ST*DOCK 4*UL*5412345000013",
    "N3*1 MAIN ST",
    "N4*PORTLAND*ME*04101",
    "PO1*1*10*BX*2.5**VP*V-1*BP*B-1*UK*10884521000018*N4*00338004904*HI*H123*ZZ*X9",
    "PID*F****GLOVES",
    "PO1**3*UN*1.25**VP*V-2",
    "CTT*2",
    "SE*14*0001",
]


def test_850_header_parties_and_every_item_qualifier_pair(library: MapLibrary) -> None:
    # given an 850 with a change purpose, a contract, parties and a PO1 carrying six ids
    # when it is translated through the shipped 004010 map
    doc = run(library, PO_850).document
    # then header fields come from their qualified segments and converted
    assert isinstance(doc, PurchaseOrder)
    assert doc.po_number == "PO-77"
    assert doc.purpose == "change"
    assert doc.order_date == dt.date(2026, 11, 1)
    assert doc.requested_delivery_date == dt.date(2026, 11, 10)
    assert doc.currency == "USD"
    assert doc.contract_number == "GPO-1"
    assert doc.buyer is not None and doc.buyer.identifiers == {"92": "MH1"}
    assert doc.ship_to is not None and doc.ship_to.gln == "5412345000013"
    assert doc.ship_to.address is not None and doc.ship_to.address.city == "PORTLAND"
    # and every qualifier pair of PO1 lands on its item field, unknown ones under other
    item = doc.lines[0].item
    assert (item.vendor_part, item.buyer_part, item.gtin, item.ndc, item.hibcc) == (
        "V-1",
        "B-1",
        "10884521000018",
        "00338004904",
        "H123",
    )
    assert item.other == {"ZZ": "X9"}
    assert item.description == "GLOVES"
    assert doc.lines[0].quantity == Decimal("10")
    assert doc.lines[0].unit_price == Decimal("2.5")
    # and a line without PO101 is numbered by its position; UN becomes EA by the map table
    assert doc.lines[1].line_number == "2"
    assert doc.lines[1].uom == "EA"


def test_explain_names_segment_position_and_element(library: MapLibrary) -> None:
    result = run(library, PO_850, explain=True)
    traces = {t.field_path: t for t in result.explain}
    po = traces["po_number"]
    assert (po.segment_tag, po.segment_position, po.element, po.raw_value) == ("BEG", 2, 3, "PO-77")
    ndc = traces["lines[0].item.ndc"]
    assert (ndc.segment_tag, ndc.segment_position, ndc.element) == ("PO1", 10, 13)
    assert traces["lines[1].line_number"].segment_tag is None  # from the sequence


def test_missing_mandatory_field_names_field_and_segment(library: MapLibrary) -> None:
    # given an 850 whose BEG has no purchase order number
    lines = [*PO_850]
    lines[1] = "BEG*00*SA***20261101"
    with pytest.raises(DocumentError) as info:
        run(library, lines)
    assert info.value.field == "po_number"
    assert "BEG03" in str(info.value)


def test_missing_line_quantity_points_at_the_line(library: MapLibrary) -> None:
    lines = [*PO_850]
    lines[11] = "PO1*2**EA*1.25**VP*V-2"
    with pytest.raises(DocumentError) as info:
        run(library, lines)
    assert info.value.field == "lines[1].quantity"
    assert info.value.segment_tag == "PO1" and info.value.segment_position == 12


def test_bad_number_in_mandatory_field_is_a_document_error(library: MapLibrary) -> None:
    lines = [*PO_850]
    lines[11] = "PO1*2*THREE*EA*1.25**VP*V-2"
    with pytest.raises(DocumentError) as info:
        run(library, lines)
    assert info.value.segment_position == 12 and info.value.element == 2
    assert "THREE" in str(info.value)


def test_bad_optional_date_is_dropped_with_a_warning(library: MapLibrary) -> None:
    lines = [*PO_850]
    lines[1] = "BEG*00*SA*PO-77**20261399"
    result = run(library, lines)
    assert isinstance(result.document, PurchaseOrder)
    assert result.document.order_date is None
    assert any("order_date" in w and "20261399" in w for w in result.warnings)


def test_855_status_codes_and_dates(library: MapLibrary) -> None:
    doc = run(
        library,
        [
            "ST*855*0001",
            "BAK*00*AC*PO-77*20261102",
            "PO1*1*10*BX*2.5**VP*V-1",
            "ACK*IB*0*BX*068*20261201",
            "PO1*2*5*BX*1**VP*V-2",
            "ACK*IR*0*BX",
            "PO1*3*5*BX*1**VP*V-3",
            "ACK*IC*4*BX",
            "CTT*3",
            "SE*10*0001",
        ],
    ).document
    assert isinstance(doc, OrderAcknowledgement)
    assert doc.ack_type == "accepted_with_changes"
    assert [line.status for line in doc.lines] == ["backordered", "rejected", "changed"]
    assert doc.lines[0].scheduled_date == dt.date(2026, 12, 1)
    assert doc.lines[2].quantity == Decimal("4")


def test_unknown_status_code_is_a_document_error_without_default(library: MapLibrary) -> None:
    # an odd BAK02 code is refused, never read as "accepted" (no default in the rule)
    with pytest.raises(DocumentError, match="'Q9'"):
        run(library, ["ST*855*1", "BAK*00*Q9*PO-1*20261102", "SE*3*1"])
    # no BAK02 at all: as ordered
    doc = run(library, ["ST*855*1", "BAK*00**PO-1*20261102", "SE*3*1"]).document
    assert isinstance(doc, OrderAcknowledgement) and doc.ack_type == "accepted"


ASN_856 = [
    "ST*856*0001",
    "BSN*00*SH-1*20261118*1200",
    "HL*1**S",
    "TD5**2*UPSN",
    "REF*CN*1Z1",
    "DTM*011*20261118",
    "N1*ST*DOCK*UL*5412345000013",
    "HL*2*1*O",
    "PRF*PO-77",
    "HL*3*2*P",
    "MAN*GM*000541234500001010",
    "HL*4*3*I",
    "LIN*1*VP*V-1*UK*10884521000018",
    "SN1**6*BX",
    "REF*LT*LOT-A",
    "DTM*036*20290630",
    "HL*5*3*I",
    "LIN*1*VP*V-1",
    "SN1**4*BX",
    "REF*LT*LOT-B",
    "DTM*036*20290731",
    "HL*6*1*O",
    "PRF*PO-78",
    "HL*7*6*I",
    "LIN*9*VP*V-9",
    "SN1**1*EA",
    "REF*SE*SN1",
    "REF*SE*SN2",
    "CTT*7",
    "SE*31*0001",
]


def test_856_hierarchy_lots_expiry_sscc_and_orders(library: MapLibrary) -> None:
    # given an 856 with two orders, a pack with an SSCC and two lots of one PO line
    doc = run(library, ASN_856).document
    assert isinstance(doc, ShipNotice)
    assert (doc.shipment_id, doc.carrier, doc.tracking_number) == ("SH-1", "UPSN", "1Z1")
    assert doc.ship_date == dt.date(2026, 11, 18)
    assert doc.ship_to is not None and doc.ship_to.gln == "5412345000013"
    # then items are grouped under their order by HL02 parent links
    assert [o.po_number for o in doc.orders] == ["PO-77", "PO-78"]
    first, second = doc.orders[0].lines
    assert (first.lot_number, first.expiry_date, first.quantity) == (
        "LOT-A",
        dt.date(2029, 6, 30),
        Decimal("6"),
    )
    assert (second.lot_number, second.expiry_date, second.po_line_number) == (
        "LOT-B",
        dt.date(2029, 7, 31),
        "1",
    )
    # and the pack's SSCC is inherited by its items; serials are collected
    assert first.sscc == second.sscc == "000541234500001010"
    assert doc.orders[1].lines[0].serial_numbers == ["SN1", "SN2"]
    assert doc.orders[1].lines[0].sscc is None


def test_856_item_finds_the_sscc_on_its_pallet_when_the_carton_has_none(
    library: MapLibrary,
) -> None:
    doc = run(
        library,
        [
            "ST*856*1",
            "BSN*00*SH-6*20261118",
            "HL*1**S",
            "HL*2*1*O",
            "PRF*PO-1",
            "HL*3*2*T",
            "MAN*GM*000541234500009990",
            "HL*4*3*P",
            "HL*5*4*I",
            "LIN*1*VP*A",
            "SN1**1*EA",
            "SE*13*1",
        ],
    ).document
    assert isinstance(doc, ShipNotice)
    assert doc.orders[0].lines[0].sscc == "000541234500009990"


def test_856_5010_lot_from_lin_qualifier_pair(library: MapLibrary) -> None:
    profile = make_profile(x12={"isa_qualifier": "ZZ", "isa_id": "S", "version": "005010"})
    doc = run(
        library,
        [
            "ST*856*1*005010",
            "BSN*00*SH-2*20261118*1200",
            "HL*1**S",
            "HL*2*1*O",
            "PRF*PO-9",
            "HL*3*2*I",
            "LIN*1*N4*00338004904*LT*P412087",
            "SN1**60*EA",
            "DTM*036*20280228",
            "CTT*3",
            "SE*11*1",
        ],
        version="005010",
        profile=profile,
    ).document
    assert isinstance(doc, ShipNotice)
    line = doc.orders[0].lines[0]
    assert (line.item.ndc, line.lot_number, line.expiry_date) == (
        "00338004904",
        "P412087",
        dt.date(2028, 2, 28),
    )


def test_856_without_hl02_links_items_to_the_previous_order(library: MapLibrary) -> None:
    doc = run(
        library,
        [
            "ST*856*1",
            "BSN*00*SH-3*20261118",
            "HL*1**S",
            "HL*2**O",
            "PRF*PO-1",
            "HL*3**I",
            "LIN**VP*A",
            "SN1**1*EA",
            "HL*4**O",
            "PRF*PO-2",
            "HL*5**I",
            "LIN**VP*B",
            "SN1**2*EA",
            "SE*14*1",
        ],
    ).document
    assert isinstance(doc, ShipNotice)
    assert [(o.po_number, [li.item.vendor_part for li in o.lines]) for o in doc.orders] == [
        ("PO-1", ["A"]),
        ("PO-2", ["B"]),
    ]


def test_override_map_reads_lot_from_ref_bt_and_expiry_from_dtm_208(library: MapLibrary) -> None:
    # given a partner whose profile names the override for its 856
    profile = make_profile(maps={"856": "overrides/summit-medical/856"})
    doc = run(
        library,
        [
            "ST*856*1",
            "BSN*00*SH-4*20261118",
            "HL*1**S",
            "HL*2*1*O",
            "PRF*PO-1",
            "HL*3*2*I",
            "LIN*1*VP*A",
            "SN1**1*EA",
            "REF*BT*BATCH-7",
            "DTM*208*20300101",
            "SE*11*1",
        ],
        profile=profile,
    ).document
    assert isinstance(doc, ShipNotice)
    line = doc.orders[0].lines[0]
    assert (line.lot_number, line.expiry_date) == ("BATCH-7", dt.date(2030, 1, 1))
    # while the base map would not have found the lot there
    plain = run(
        library,
        [
            "ST*856*1",
            "BSN*00*SH-4*20261118",
            "HL*1**S",
            "HL*2*1*O",
            "PRF*PO-1",
            "HL*3*2*I",
            "LIN*1*VP*A",
            "SN1**1*EA",
            "REF*BT*BATCH-7",
            "DTM*208*20300101",
            "SE*11*1",
        ],
    ).document
    assert isinstance(plain, ShipNotice) and plain.orders[0].lines[0].lot_number is None


def test_856_item_without_any_order_number_is_a_document_error(library: MapLibrary) -> None:
    with pytest.raises(DocumentError) as info:
        run(
            library,
            [
                "ST*856*1",
                "BSN*00*SH-5*20261118",
                "HL*1**S",
                "HL*2*1*I",
                "LIN**VP*A",
                "SN1**1*EA",
                "SE*7*1",
            ],
        )
    assert info.value.segment_tag == "HL" and info.value.segment_position == 4


def test_810_implied_decimals_allowances_and_taxes(library: MapLibrary) -> None:
    doc = run(
        library,
        [
            "ST*810*1",
            "BIG*20261118*INV-1**PO-77",
            "CUR*SE*USD",
            "N1*RI*SUMMIT*1*045678912",
            "IT1*1*2*BX*10.00**VP*A",
            "SAC*A*C310***150",
            "IT1*2*1*EA*5**UP*012345678905",
            "TDS*2635",
            "TXI*ST*1.50*6",
            "SAC*C*D240***500",
            "CTT*2",
            "SE*12*1",
        ],
    ).document
    assert isinstance(doc, Invoice)
    assert doc.total_amount == Decimal("26.35")
    assert doc.remit_to is not None and doc.remit_to.duns == "045678912"
    kinds = [(a.kind, a.amount, a.line_number) for a in doc.allowances_charges]
    assert kinds == [("charge", Decimal("5.00"), None), ("allowance", Decimal("1.50"), "1")]
    assert [(t.tax_type, t.amount, t.rate) for t in doc.taxes] == [
        ("ST", Decimal("1.50"), Decimal("6"))
    ]
    assert doc.lines[1].item.upc == "012345678905"


ORDERS = [
    "UNH+1+ORDERS:D:96A:UN:EAN008",
    "BGM+220+PO-9+9",
    "DTM+137:20261116:102",
    "DTM+2:202611250800:203",
    "NAD+BY+5412345000006::9",
    "NAD+SU+4045678000002::9++NORDLICHT",
    "CUX+2:EUR:9",
    "LIN+1++04045678100016:SRV",
    "PIA+1+NL-1:SA+B-1:IN",
    "IMD+F++:::VERBAND",
    "QTY+21:200:PCE",
    "PRI+AAA:0,85",
    "UNS+S",
    "CNT+2:1",
    "UNT+15+1",
]


def test_orders_edifact_dates_decimal_comma_units_and_pia(library: MapLibrary) -> None:
    profile = make_profile(uom_codes={"PCE": "EA"})
    doc = run(library, ORDERS, syntax="edifact", version="D96A", profile=profile).document
    assert isinstance(doc, PurchaseOrder)
    assert doc.order_date == dt.date(2026, 11, 16)
    assert doc.requested_delivery_date == dt.date(2026, 11, 25)  # format 203
    assert doc.buyer is not None and doc.buyer.gln == "5412345000006"
    assert doc.seller is not None and doc.seller.name == "NORDLICHT"
    line = doc.lines[0]
    assert line.unit_price == Decimal("0.85")
    assert line.uom == "EA"
    assert (line.item.gtin, line.item.vendor_part, line.item.buyer_part) == (
        "04045678100016",
        "NL-1",
        "B-1",
    )
    assert line.item.description == "VERBAND"


def test_unsupported_edifact_date_format_is_reported(library: MapLibrary) -> None:
    lines = [*ORDERS]
    lines[2] = "DTM+137:202611-202612:716"
    result = run(library, lines, syntax="edifact", version="D96A")
    assert isinstance(result.document, PurchaseOrder) and result.document.order_date is None
    assert any("716" in w for w in result.warnings)
    # a week (616) is read: its Sunday; one written with a W is not CCYYWW
    lines[2] = "DTM+137:202647:616"
    week = run(library, lines, syntax="edifact", version="D96A").document
    assert isinstance(week, PurchaseOrder) and week.order_date == dt.date(2026, 11, 22)
    lines[2] = "DTM+137:2026W47:616"
    result = run(library, lines, syntax="edifact", version="D96A")
    assert isinstance(result.document, PurchaseOrder) and result.document.order_date is None
    assert any("'2026W47' is not a valid CCYYWW week" in w for w in result.warnings)


def test_desadv_batches_expiry_sscc_per_pack(library: MapLibrary) -> None:
    doc = run(
        library,
        [
            "UNH+1+DESADV:D:96A:UN:EAN005",
            "BGM+351+DN-1+9",
            "DTM+11:20261120:102",
            "RFF+ON:PO-9",
            "NAD+SU+4045678000002::9",
            "CPS+1",
            "PAC+1++201",
            "PCI+33E",
            "GIN+BJ+340456780000000119",
            "LIN+1++04045678100016:SRV",
            "QTY+12:120:PCE",
            "RFF+ON:PO-9:1",
            "PCI+36E",
            "DTM+36:20290331:102",
            "GIN+BX+WV24-117",
            "CPS+2",
            "PCI+33E",
            "GIN+BJ+340456780000000126",
            "LIN+2++04045678100023:SRV",
            "PIA+1+IS-880:NB",
            "QTY+12:150",
            "RFF+ON:PO-10",
            "CNT+2:2",
            "UNT+24+1",
        ],
        syntax="edifact",
        version="D96A",
    ).document
    assert isinstance(doc, ShipNotice)
    assert [o.po_number for o in doc.orders] == ["PO-9", "PO-10"]
    first = doc.orders[0].lines[0]
    assert (first.lot_number, first.expiry_date, first.sscc, first.po_line_number) == (
        "WV24-117",
        dt.date(2029, 3, 31),
        "340456780000000119",
        "1",
    )
    second = doc.orders[1].lines[0]
    assert (second.lot_number, second.sscc) == ("IS-880", "340456780000000126")
    assert doc.ship_from is not None and doc.ship_from.gln == "4045678000002"


def test_map_for_another_set_is_our_error(library: MapLibrary) -> None:
    tx = x12_tx(["ST*855*1", "BAK*00*AC*PO*20261101", "SE*3*1"])
    interchange, group = envelope()
    with pytest.raises(MappingError):
        translate(
            tx,
            interchange=interchange,
            group=group,
            map=library.get("x12/004010/850"),
            profile=make_profile(),
        )


@pytest.mark.parametrize(
    "junk",
    [
        ["ST*850*1", "SE*2*1"],
        ["ST*850*1", "BEG", "PO1", "PO1*" + "*" * 60, "SE*5*1"],
        ["ST*850*1", "BEG*00*SA*P", "PO1*1*" + "9" * 200 + "*EA", "SE*4*1"],
        ["ST*850*1", "BEG*00*SA*P", "PO1*1*1E999999*EA", "SE*4*1"],
        ["ST*850*1", "BEG*00*SA*P", "PO1*1*NaN*EA", "SE*4*1"],
    ],
)
def test_garbage_gives_a_document_error_never_a_crash(library: MapLibrary, junk: list[str]) -> None:
    with pytest.raises(DocumentError):
        run(library, junk)


def test_810_explain_indexes_match_the_document_lists(library: MapLibrary) -> None:
    result = run(
        library,
        [
            "ST*810*1",
            "BIG*20261118*INV-1**PO-77",
            "IT1*1*2*BX*10.00**VP*A",
            "SAC*A*C310***150",
            "TDS*2635",
            "SAC*C*D240***500",
            "CTT*1",
            "SE*8*1",
        ],
        explain=True,
    )
    traces = {t.field_path: t for t in result.explain}
    # the summary charge is first in the list, the line allowance second
    assert traces["allowances_charges[0].amount"].segment_position == 6
    assert traces["allowances_charges[1].amount"].segment_position == 4
    assert isinstance(result.document, Invoice)
    assert [a.line_number for a in result.document.allowances_charges] == [None, "1"]


def test_translate_leaves_parsed_edifact_segments_as_it_found_them(library: MapLibrary) -> None:
    # given a parsed EDIFACT message, its data segments kept as text, one with a release
    from gateway.edifact import parse_payload
    from tests.edifact.helpers import interchange, message

    body = [
        "BGM+220+PO-9+9",
        "DTM+137:20240115:102",
        "NAD+BY+5412345000013::9",
        "LIN+1++4000862141404:SRV",
        "IMD+F++:::Tube ?'x?' 2?+3",
        "QTY+21:48:PCE",
        "UNS+S",
    ]
    (ix,) = parse_payload(interchange(message("1", *body))).interchanges
    (tx,) = ix.transactions
    lazy = [s for s in tx.segments if s._elements is None]
    assert len(lazy) >= len(body) - 1
    profile = make_profile()
    map_ = library.map_for(profile, "edifact", tx.version, tx.set_id)
    # when it is translated
    doc = translate(tx, interchange=ix, group=ix.groups[0], map=map_, profile=profile).document
    # then the rules read the split elements (the release resolved) ...
    assert isinstance(doc, PurchaseOrder) and doc.lines[0].quantity == Decimal("48")
    assert doc.lines[0].item.description == "Tube 'x' 2+3"
    # ... and every segment it split holds its text again, unsplit
    assert all(s._elements is None and s._raw is not None for s in lazy)


def test_850_line_dates_by_qualifier_one_dtm_many_dtms_and_schedules(
    library: MapLibrary,
) -> None:
    # given three lines: one DTM whose qualifier is sent in lower case with spaces (every
    # date field tests the same code), two DTMs of different meanings, and no DTM but
    # two SCH schedules
    lines = [
        "ST*850*0001",
        "BEG*00*SA*PO-9**20261101",
        "PO1*1*10*EA*2**VP*V-1",
        "DTM* 010 *20261115",
        "PO1*2*5*EA*3**VP*V-2",
        "DTM*002*20261120",
        "DTM*001*20261130",
        "PO1*3*4*EA*1**VP*V-3",
        "SCH*1*EA***002*20261201",
        "SCH*3*EA***002*20261205",
        "CTT*3",
        "SE*11*0001",
    ]
    # when it is translated
    doc = run(library, lines).document
    assert isinstance(doc, PurchaseOrder)
    first, second, third = doc.lines
    # then the lone DTM is filed under its meaning only (requested ship), stripped and
    # compared upper-case, and no other date field takes it
    assert first.dates is not None
    assert first.dates.model_dump(exclude_none=True) == {"requested_ship": dt.date(2026, 11, 15)}
    assert first.requested_date == dt.date(2026, 11, 15)
    assert first.schedules == []
    # and each of two DTMs goes to its own field
    assert second.dates is not None
    assert second.dates.model_dump(exclude_none=True) == {
        "requested_delivery": dt.date(2026, 11, 20),
        "cancel_after": dt.date(2026, 11, 30),
    }
    # and a line with SCH gets both schedules, a line without DTM no dates
    assert third.dates is None
    assert [(s.quantity, s.date) for s in third.schedules] == [
        (Decimal("1"), dt.date(2026, 12, 1)),
        (Decimal("3"), dt.date(2026, 12, 5)),
    ]

"""Every business fact the standard carries reaches the canonical document (issue 19):
split acknowledgements, delivery schedules, batches with their own quantities, structured
payment terms, full party names and every date of the order/delivery cycle. Each test is
written from the standard's own segment definitions, cited by segment/element/code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.canonical import (
    Invoice,
    LineStatus,
    OrderAcknowledgement,
    PurchaseOrder,
    ShipNotice,
)
from gateway.mapping import MapLibrary
from tests.mapping.helpers import MAPS, make_profile
from tests.mapping.test_engine import run


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


@pytest.mark.parametrize("version", ["004010", "004030", "004060", "005010"])
def test_855_split_line_keeps_every_ack_quantity_and_date(
    library: MapLibrary, version: str
) -> None:
    # X12 855 PO1 loop, ACK "Line Item Acknowledgment" (max use 104): ACK01 (668) status,
    # ACK02 (380) quantity, ACK03 (355) unit, ACK04 (374) date qualifier, ACK05 date.
    # 20 accepted to ship 2026-11-20 (IA, 068 current schedule ship), 10 backordered to
    # 2026-12-15 (IB)
    translation = run(
        library,
        [
            "ST*855*0001",
            "BAK*00*AC*PO-77*20261101",
            "PO1*1*30*EA*2.5**VP*V-1",
            "ACK*IA*20*EA*068*20261120",
            "ACK*IB*10*EA*068*20261215",
            "CTT*1",
            "SE*7*0001",
        ],
        version=version,
        explain=True,
        profile=make_profile(
            x12={"isa_qualifier": "ZZ", "isa_id": "SENDER", "versions": [version]}
        ),
    )
    doc = translation.document
    assert isinstance(doc, OrderAcknowledgement)
    (line,) = doc.lines
    assert [(s.status, s.quantity, s.uom, s.date_qualifier, s.date) for s in line.splits] == [
        (LineStatus.ACCEPTED, Decimal("20"), "EA", "068", dt.date(2026, 11, 20)),
        (LineStatus.BACKORDERED, Decimal("10"), "EA", "068", dt.date(2026, 12, 15)),
    ]
    # the line-level fields keep their meaning (the first ACK), nothing is lost
    assert (line.status, line.quantity, line.scheduled_date) == (
        LineStatus.ACCEPTED,
        Decimal("20"),
        dt.date(2026, 11, 20),
    )
    # and --explain names where each split came from (segment position, element)
    traced = {(t.field_path, t.segment_position, t.element) for t in translation.explain}
    assert ("lines[0].splits[1].quantity", 5, 2) in traced
    assert ("lines[0].splits[1].date", 5, 5) in traced


def test_850_line_keeps_every_sch_schedule(library: MapLibrary) -> None:
    # X12 850 PO1 loop, SCH loop (max 200): SCH01 (380) quantity, SCH02 (355) unit,
    # SCH05 (374) qualifier, SCH06 date; SCH08/09 a second date
    doc = run(
        library,
        [
            "ST*850*0001",
            "BEG*00*SA*PO-77**20261101",
            "PO1*1*100*EA*2.5**VP*V-1",
            "SCH*60*EA***002*20261201",
            "SCH*40*EA***002*20270105**002*20270110",
            "PO1*2*5*BX*9**VP*V-2",
            "CTT*2",
            "SE*8*0001",
        ],
    ).document
    assert isinstance(doc, PurchaseOrder)
    first, second = doc.lines
    assert [(s.quantity, s.uom, s.date_qualifier, s.date, s.end_date) for s in first.schedules] == [
        (Decimal("60"), "EA", "002", dt.date(2026, 12, 1), None),
        (Decimal("40"), "EA", "002", dt.date(2027, 1, 5), dt.date(2027, 1, 10)),
    ]
    assert second.schedules == []  # a line's schedules never leak into the next line
    assert sum(s.quantity or 0 for s in first.schedules) == first.quantity


def test_desadv_lin_with_several_batches_keeps_each_quantity_and_date(
    library: MapLibrary,
) -> None:
    # EDIFACT DESADV D96A segment group 20 (PCI-DTM-MEA-QTY-SG21 GIN) inside the LIN group,
    # repeated per batch: GIN+BX (7405 BX batch number), QTY, DTM+36 expiry, DTM+94
    # production
    doc = run(
        library,
        [
            "UNH+1+DESADV:D:96A:UN:EAN005",
            "BGM+351+DN-7+9",
            "DTM+11:20261120:102",
            "DTM+132:20261123:102",
            "RFF+ON:PO-9",
            "NAD+SU+4045678000002::9",
            "LIN+1++04045678100016:SRV",
            "QTY+12:120:PCE",
            "PCI+36E",
            "DTM+36:20290331:102",
            "DTM+94:20260301:102",
            "QTY+12:80",
            "GIN+BX+WV24-117",
            "PCI+36E",
            "DTM+36:20290630:102",
            "QTY+12:40",
            "GIN+BX+WV24-204",
            "CNT+2:1",
            "UNT+19+1",
        ],
        syntax="edifact",
        version="D96A",
    ).document
    assert isinstance(doc, ShipNotice)
    (line,) = doc.orders[0].lines
    assert [
        (lot.lot_number, lot.quantity, lot.expiry_date, lot.production_date) for lot in line.lots
    ] == [
        ("WV24-117", Decimal("80"), dt.date(2029, 3, 31), dt.date(2026, 3, 1)),
        ("WV24-204", Decimal("40"), dt.date(2029, 6, 30), None),
    ]
    assert sum(lot.quantity or 0 for lot in line.lots) == line.quantity
    # DTM+132 "arrival date/time, estimated" (2005)
    assert doc.dates is not None and doc.dates.estimated_arrival == dt.date(2026, 11, 23)
    assert doc.dates.shipped == dt.date(2026, 11, 20)


def test_810_itd_discount_terms_are_structured(library: MapLibrary) -> None:
    # X12 810 ITD "Terms of Sale": ITD01 (336) 01 basic, ITD02 (333) 3 invoice date,
    # ITD03 (338) 2 %, ITD05 (351) 10 discount days, ITD07 (386) 30 net days:
    # "2 % 10, net 30"
    doc = run(
        library,
        [
            "ST*810*0001",
            "BIG*20261120*INV-1**PO-77",
            "ITD*01*3*2**10**30",
            "IT1*1*10*EA*2.5**VP*V-1",
            "TDS*2500",
            "CTT*1",
            "SE*7*0001",
        ],
    ).document
    assert isinstance(doc, Invoice)
    (terms,) = doc.payment_terms
    assert (
        terms.type_code,
        terms.basis_code,
        terms.discount_percent,
        terms.discount_days,
        terms.net_days,
        terms.discount_due_date,
        terms.net_due_date,
    ) == ("01", "3", Decimal("2"), 10, 30, None, None)
    assert doc.terms == "01"  # the existing field keeps its value


def test_810_itd_due_dates_and_discount_amount(library: MapLibrary) -> None:
    # ITD04 (370) discount due date, ITD06 (446) net due date, ITD08 (362, N2) amount
    doc = run(
        library,
        [
            "ST*810*0001",
            "BIG*20261120*INV-2**PO-77",
            "ITD*05*3*1.5*20261130**20261220**375",
            "IT1*1*10*EA*2.5**VP*V-1",
            "TDS*2500",
            "SE*6*0001",
        ],
    ).document
    assert isinstance(doc, Invoice)
    (terms,) = doc.payment_terms
    assert (terms.discount_due_date, terms.net_due_date, terms.discount_amount) == (
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 20),
        Decimal("3.75"),
    )


def test_invoic_pat_groups_are_structured(library: MapLibrary) -> None:
    # EDIFACT INVOIC SG8 PAT-DTM-PCD-MOA: PAT 4279 22 discount, C112 2475 5 (date of
    # invoice), 2151 D (day), 2152 10; PCD+12 discount %; PAT+1 basic with DTM+13 due date
    doc = run(
        library,
        [
            "UNH+1+INVOIC:D:96A:UN:EAN008",
            "BGM+380+INV-9+9",
            "DTM+137:20261120:102",
            "NAD+SU+4045678000002::9",
            "PAT+22++5:3:D:10",
            "PCD+12:2",
            "PAT+1++5:3:D:30",
            "DTM+13:20261220:102",
            "LIN+1++04045678100016:SRV",
            "QTY+47:10:PCE",
            "MOA+203:25",
            "PRI+AAA:2.5",
            "UNS+S",
            "MOA+77:25",
            "UNT+15+1",
        ],
        syntax="edifact",
        version="D96A",
    ).document
    assert isinstance(doc, Invoice)
    assert [
        (t.type_code, t.basis_code, t.discount_percent, t.discount_days, t.net_days, t.net_due_date)
        for t in doc.payment_terms
    ] == [
        ("22", "5", Decimal("2"), 10, None, None),
        ("1", "5", None, None, 30, dt.date(2026, 12, 20)),
    ]


@pytest.mark.parametrize("message", ["ORDERS", "ORDRSP", "DESADV", "INVOIC"])
def test_nad_c080_continuation_lines_make_the_full_name(library: MapLibrary, message: str) -> None:
    # NAD C080 "party name": 3036 repeated five times; a name that does not fit 35
    # characters continues in the next component
    body = {
        "ORDERS": ["BGM+220+PO-1+9", "DTM+137:20261101:102"],
        "ORDRSP": ["BGM+231+PO-1+4", "DTM+137:20261101:102", "RFF+ON:PO-1"],
        "DESADV": ["BGM+351+DN-1+9", "DTM+11:20261101:102", "RFF+ON:PO-1"],
        "INVOIC": ["BGM+380+INV-1+9", "DTM+137:20261101:102"],
    }[message]
    role = {"ORDERS": "SU", "ORDRSP": "SU", "DESADV": "SU", "INVOIC": "SU"}[message]
    lines = [
        f"UNH+1+{message}:D:96A:UN",
        *body,
        f"NAD+{role}+4045678000002::9++Medizintechnik Nordlicht GmbH:& Co. KG",
        "LIN+1++04045678100016:SRV",
        "QTY+21:1:PCE" if message != "INVOIC" else "QTY+47:1:PCE",
        *(["PRI+AAA:2.5"] if message == "INVOIC" else []),
        "UNS+S",
        "UNT+8+1",
    ]
    doc = run(library, lines, syntax="edifact", version="D96A").document
    party = getattr(doc, "seller", None) or getattr(doc, "ship_from", None)
    assert party is not None
    assert party.name == "Medizintechnik Nordlicht GmbH & Co. KG"


def test_850_header_and_line_dates_by_qualifier(library: MapLibrary) -> None:
    # DTM01 (374): 002 delivery requested, 010 requested ship, 001 cancel after,
    # 069 promised for delivery; each filed under its meaning
    doc = run(
        library,
        [
            "ST*850*0001",
            "BEG*00*SA*PO-77**20261101",
            "DTM*002*20261201",
            "DTM*010*20261125",
            "DTM*001*20261215",
            "PO1*1*10*EA*2.5**VP*V-1",
            "DTM*069*20261130",
            "CTT*1",
            "SE*9*0001",
        ],
    ).document
    assert isinstance(doc, PurchaseOrder)
    assert doc.dates is not None
    assert (doc.dates.requested_delivery, doc.dates.requested_ship, doc.dates.cancel_after) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 11, 25),
        dt.date(2026, 12, 15),
    )
    line_dates = doc.lines[0].dates
    assert line_dates is not None and line_dates.promised_delivery == dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("lines", "syntax"),
    [
        # X12 810 / 855 header REF, REF01 (128) CT = contract number
        (
            [
                "ST*810*0001",
                "BIG*20261120*INV-9**PO-9",
                "REF*CT*GPO-2026",
                "IT1*1*10*EA*2.5**VP*V-1",
                "TDS*2500",
                "SE*6*0001",
            ],
            "x12",
        ),
        (["ST*855*0001", "BAK*00*AC*PO-9*20261101", "REF*CT*GPO-2026", "SE*4*0001"], "x12"),
        # EDIFACT INVOIC / ORDRSP SG1 RFF, C506 1153 CT = contract number
        (
            [
                "UNH+1+INVOIC:D:96A:UN",
                "BGM+380+INV-9+9",
                "DTM+137:20261120:102",
                "RFF+ON:PO-9",
                "RFF+CT:GPO-2026",
                "UNS+S",
                "UNT+7+1",
            ],
            "edifact",
        ),
        (
            [
                "UNH+1+ORDRSP:D:96A:UN",
                "BGM+231+PO-9+4",
                "DTM+137:20261101:102",
                "RFF+ON:PO-9",
                "RFF+CT:GPO-2026",
                "UNT+6+1",
            ],
            "edifact",
        ),
    ],
)
def test_invoice_and_acknowledgement_carry_the_contract_number(
    library: MapLibrary, lines: list[str], syntax: str
) -> None:
    version = "D96A" if syntax == "edifact" else "004010"
    doc = run(library, lines, syntax=syntax, version=version).document
    assert isinstance(doc, Invoice | OrderAcknowledgement)
    assert doc.contract_number == "GPO-2026"

"""Business facts the standards carry, in every release and directory a partner may send.

``tests/mapping/test_business_facts.py`` proves them on 004010 and D96A (ITD terms,
NAD C080 continuation, split ACKs in every X12 release); here the same rules must hold
through the maps of the other releases and directories (which extend the 004010 / D96A
ones), so a partner on 004030, 004060, 005010, D93A or D01B loses nothing either.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.canonical import Invoice, PurchaseOrder
from gateway.mapping import MapLibrary
from tests.mapping.helpers import MAPS, make_profile
from tests.mapping.test_engine import run


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


@pytest.mark.parametrize("version", ["004030", "004060", "005010"])
def test_810_itd_terms_are_structured_in_every_release(library: MapLibrary, version: str) -> None:
    # ITD "Terms of Sale/Deferred Terms of Sale": ITD01 (336) 01 basic, ITD02 (333) 3
    # invoice date, ITD03 (338) 2 %, ITD04 (370) discount
    # due date, ITD05 (351) 10 discount days, ITD06 (446) net due date, ITD07 (386) 30
    # net days, ITD08 (362, N2) discount amount 375 = 3.75
    doc = run(
        library,
        [
            "ST*810*0001",
            "BIG*20261120*INV-1**PO-77",
            "ITD*01*3*2*20261130*10*20261220*30*375",
            "IT1*1*10*EA*2.5**VP*V-1",
            "TDS*2500",
            "SE*6*0001",
        ],
        version=version,
        profile=make_profile(
            x12={"isa_qualifier": "ZZ", "isa_id": "SENDER", "versions": [version]}
        ),
    ).document
    assert isinstance(doc, Invoice)
    (terms,) = doc.payment_terms
    assert (
        terms.type_code,
        terms.basis_code,
        terms.discount_percent,
        terms.discount_due_date,
        terms.discount_days,
        terms.net_due_date,
        terms.net_days,
        terms.discount_amount,
    ) == (
        "01",
        "3",
        Decimal("2"),
        dt.date(2026, 11, 30),
        10,
        dt.date(2026, 12, 20),
        30,
        Decimal("3.75"),
    )


@pytest.mark.parametrize("directory", ["D93A", "D01B"])
def test_nad_c080_continuation_in_every_directory(library: MapLibrary, directory: str) -> None:
    # NAD C080 "party name" 3036 x5 (an..35 each, unchanged from D93A to D01B): the second
    # and third lines continue the first; an empty line in between is skipped
    doc = run(
        library,
        [
            f"UNH+1+ORDERS:D:{directory[1:]}:UN",
            "BGM+220+PO-1+9",
            "DTM+137:20261101:102",
            "NAD+SU+4045678000002::9++Medizintechnik Nordlicht:GmbH & Co. KG::Werk Kiel",
            "LIN+1++04045678100016:SRV",
            "QTY+21:1:PCE",
            "UNS+S",
            "UNT+8+1",
        ],
        syntax="edifact",
        version=directory,
        profile=make_profile(edifact={"unb_id": "X", "directory": directory}),
    ).document
    assert isinstance(doc, PurchaseOrder)
    assert doc.seller is not None
    assert doc.seller.name == "Medizintechnik Nordlicht GmbH & Co. KG Werk Kiel"

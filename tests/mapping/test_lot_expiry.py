"""Lot expiry dates in ship notices: every format a partner may send is read, a month
alone is the last day of that month, and a value that does not convert refuses the
transaction (a lot received without its expiry is a patient-safety defect)."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.canonical import ShipNotice
from gateway.edi import Syntax
from gateway.mapping import DocumentError, MapLibrary, Translation, translate
from gateway.mapping.convert import BadValue, to_date, to_edifact_date, to_x12_date
from gateway.partners.profile import PartnerProfile
from tests.mapping.helpers import MAPS, edifact_tx, envelope, make_profile, x12_tx


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


def _run(
    library: MapLibrary,
    lines: list[str],
    *,
    syntax: str = "x12",
    version: str = "004010",
    profile: PartnerProfile | None = None,
) -> Translation:
    overridden = profile is not None
    profile = profile or make_profile()
    if syntax == "x12":
        tx = x12_tx(lines, version=version)
        interchange, group = envelope(Syntax.X12)
    else:
        tx = edifact_tx(lines, version=version)
        interchange, group = envelope(Syntax.EDIFACT)
    # the map of this version itself (the test profile is set up for one version)
    map_ = (
        library.map_for(profile, syntax, version, tx.set_id)
        if overridden
        else library.get(f"{syntax}/{version}/{tx.set_id}")
    )
    return translate(tx, interchange=interchange, group=group, map=map_, profile=profile)


# -- conversions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("202802", dt.date(2028, 2, 29)),  # leap year
        ("202702", dt.date(2027, 2, 28)),
        ("210002", dt.date(2100, 2, 28)),  # a century not divisible by 400
        ("202904", dt.date(2029, 4, 30)),
        ("202912", dt.date(2029, 12, 31)),
    ],
)
def test_a_month_alone_is_its_last_day(raw: str, expected: dt.date) -> None:
    # the GS1 / pharmaceutical reading of a YYYY-MM expiry: usable to the end of the month
    assert to_date(raw, "CCYYMM") == expected
    assert to_edifact_date(raw, "610") == expected
    assert to_x12_date(raw, "CM") == expected


@pytest.mark.parametrize("raw", ["202813", "202800", "20282", "2028-2", "000001"])
def test_a_month_that_does_not_exist_is_refused(raw: str) -> None:
    with pytest.raises(BadValue) as info:
        to_date(raw, "CCYYMM")
    assert info.value.code == "8" and repr(raw) in info.value.reason


def test_x12_dates_follow_their_dtm05_format_qualifier() -> None:
    assert to_x12_date("20280430", "D8") == dt.date(2028, 4, 30)
    with pytest.raises(BadValue, match="20270229"):
        to_x12_date("20270229", "D8")
    with pytest.raises(BadValue, match="'DB' is not supported"):
        to_x12_date("04302028", "DB")


# -- X12 856 ----------------------------------------------------------------------------


def _asn(*item: str) -> list[str]:
    body = [
        "BSN*00*SH-1*20261118*1415",
        "HL*1**S",
        "HL*2*1*O",
        "PRF*PO-77",
        "HL*3*2*I",
        *item,
    ]
    return ["ST*856*0001", *body, f"SE*{len(body) + 2}*0001"]


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize(
    ("dtm", "expected"),
    [
        ("DTM*036*20280430", dt.date(2028, 4, 30)),
        ("DTM*036****D8*20280430", dt.date(2028, 4, 30)),
        ("DTM*036****CM*202802", dt.date(2028, 2, 29)),
        ("DTM*036****CM*202904", dt.date(2029, 4, 30)),
    ],
)
def test_856_reads_the_expiry_from_dtm02_or_dtm05_dtm06(
    library: MapLibrary, version: str, dtm: str, expected: dt.date
) -> None:
    doc = _run(
        library, _asn("LIN*1*VP*A", "SN1**6*EA", "REF*LT*LOT-A", dtm), version=version
    ).document
    assert isinstance(doc, ShipNotice)
    line = doc.orders[0].lines[0]
    assert (line.lot_number, line.expiry_date) == ("LOT-A", expected)


@pytest.mark.parametrize(
    ("dtm", "named"),
    [
        ("DTM*036*ABC", "'ABC'"),
        ("DTM*036****CM*202813", "'202813'"),
        ("DTM*036****D8*20270229", "'20270229'"),
        ("DTM*036****DB*04302028", "'DB'"),
    ],
)
def test_856_expiry_that_does_not_convert_refuses_the_transaction(
    library: MapLibrary, dtm: str, named: str
) -> None:
    # given a lot whose expiry is there but cannot be read: never a lot without expiry
    with pytest.raises(DocumentError) as info:
        _run(library, _asn("LIN*1*VP*A", "SN1**6*EA", "REF*LT*LOT-A", dtm))
    error = info.value
    assert error.field == "orders[0].lines[0].expiry_date"
    assert error.segment_tag == "DTM" and error.code == "8"
    assert named in error.reason


def test_override_reads_dtm_208_in_dtm06_and_refuses_a_bad_one(library: MapLibrary) -> None:
    profile = make_profile(maps={"856": "overrides/summit-medical/856"})
    item = ["LIN*1*VP*A", "SN1**1*EA", "REF*BT*BATCH-7"]
    doc = _run(library, _asn(*item, "DTM*208****CM*203001"), profile=profile).document
    assert isinstance(doc, ShipNotice)
    assert doc.orders[0].lines[0].expiry_date == dt.date(2030, 1, 31)
    with pytest.raises(DocumentError, match="20300230"):
        _run(library, _asn(*item, "DTM*208*20300230"), profile=profile)


def test_856_pack_size_is_never_the_po_line_number(library: MapLibrary) -> None:
    # PO401 is units per pack; without LIN01 or REF*LI the line number is unknown
    doc = _run(
        library,
        _asn("LIN**VP*A", "SN1**30*CA", "PO4*12*1*BX", "REF*LT*LOT-A", "DTM*036*20290630"),
    ).document
    assert isinstance(doc, ShipNotice)
    assert doc.orders[0].lines[0].po_line_number is None
    ref_li = _run(library, _asn("LIN**VP*A", "SN1**30*CA", "PO4*12*1*BX", "REF*LI*3")).document
    assert isinstance(ref_li, ShipNotice) and ref_li.orders[0].lines[0].po_line_number == "3"


# -- EDIFACT DESADV ---------------------------------------------------------------------


def _desadv(*lin: str) -> list[str]:
    body = [
        "BGM+351+DN-1+9",
        "DTM+11:20261120:102",
        "RFF+ON:PO-9",
        "NAD+SU+4045678000002::9",
        "CPS+1",
        "LIN+1++04045678100016:SRV",
        "QTY+12:120:PCE",
        *lin,
    ]
    return ["UNH+1+DESADV:D:96A:UN:EAN005", *body, f"UNT+{len(body) + 2}+1"]


@pytest.mark.parametrize("version", ["D96A", "D01B"])
def test_desadv_610_expiry_is_the_last_day_of_the_month(library: MapLibrary, version: str) -> None:
    doc = _run(
        library,
        _desadv("PCI+36E", "DTM+36:202902:610", "GIN+BX+WV24-117"),
        syntax="edifact",
        version=version,
    ).document
    assert isinstance(doc, ShipNotice)
    line = doc.orders[0].lines[0]
    assert (line.lot_number, line.expiry_date) == ("WV24-117", dt.date(2029, 2, 28))
    assert [lot.expiry_date for lot in line.lots] == [dt.date(2029, 2, 28)]


@pytest.mark.parametrize(
    ("dtm", "named"),
    [
        ("DTM+36:20290230:102", "'20290230'"),
        ("DTM+36:2903:716", "'716'"),
        ("DTM+36:202913:610", "'202913'"),
    ],
)
def test_desadv_expiry_that_does_not_convert_refuses_the_transaction(
    library: MapLibrary, dtm: str, named: str
) -> None:
    with pytest.raises(DocumentError) as info:
        _run(
            library,
            _desadv("PCI+36E", dtm, "GIN+BX+WV24-117"),
            syntax="edifact",
            version="D96A",
        )
    assert info.value.field is not None and info.value.field.endswith("expiry_date")
    assert named in info.value.reason


def test_desadv_second_batch_with_a_bad_expiry_refuses_the_transaction(
    library: MapLibrary,
) -> None:
    # the line's own expiry (the first DTM+36) is fine; the second batch's is not
    lin = [
        "PCI+36E",
        "DTM+36:20290331:102",
        "QTY+12:100:PCE",
        "GIN+BX+A",
        "PCI+36E",
        "DTM+36:20290230:102",
        "QTY+12:20:PCE",
        "GIN+BX+B",
    ]
    with pytest.raises(DocumentError) as info:
        _run(library, _desadv(*lin), syntax="edifact", version="D96A")
    assert info.value.field is not None and info.value.field.endswith("lots[1].expiry_date")

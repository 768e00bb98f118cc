"""Every lot of an X12 856 item reaches ``lines[].lots`` (a lot dropped in translation is
a recall that misses stock): each REF*LT is one lot; its expiry is the DTM*036 (DTP*036
in a CLD loop) after it and before the next lot; its quantity is its CLD loop's when that
CLD names it alone. Per-lot quantities that are not given stay empty: the receipt then
refuses the line (``lot_quantity_mismatch``), never the whole quantity under one lot."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.canonical import Lot, ShipNotice, ShipNoticeLine
from gateway.edi import Syntax
from gateway.mapping import DocumentError, MapLibrary, translate
from gateway.partners.profile import PartnerProfile
from tests.mapping.helpers import MAPS, envelope, make_profile, x12_tx

VERSIONS = ["004010", "004030", "004060", "005010"]
SUMMIT = make_profile(maps={"856": "overrides/summit-medical/856"})


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


def _asn(*items: list[str]) -> list[str]:
    body = ["BSN*00*SH-1*20261118*1415", "HL*1**S", "HL*2*1*O", "PRF*PO-77"]
    for n, item in enumerate(items, start=3):
        body += [f"HL*{n}*2*I", *item]
    return ["ST*856*0001", *body, f"SE*{len(body) + 2}*0001"]


def _lines(
    library: MapLibrary,
    *items: list[str],
    version: str = "004010",
    profile: PartnerProfile | None = None,
) -> list[ShipNoticeLine]:
    tx = x12_tx(_asn(*items), version=version)
    interchange, group = envelope(Syntax.X12)
    map_ = (
        library.map_for(profile, "x12", version, "856")
        if profile is not None
        else library.get(f"x12/{version}/856")
    )
    doc = translate(
        tx, interchange=interchange, group=group, map=map_, profile=profile or make_profile()
    ).document
    assert isinstance(doc, ShipNotice)
    return doc.orders[0].lines


def _lots(line: ShipNoticeLine) -> list[tuple[str | None, Decimal | None, dt.date | None]]:
    return [(lot.lot_number, lot.quantity, lot.expiry_date) for lot in line.lots]


@pytest.mark.parametrize("version", VERSIONS)
def test_an_item_with_two_ref_lt_keeps_both_lots_each_with_the_expiry_after_it(
    library: MapLibrary, version: str
) -> None:
    # given one item of 100 listing two lots, each REF*LT followed by its DTM*036
    item = [
        "LIN*1*VP*A",
        "SN1**100*EA",
        "REF*LT*LOT-A",
        "DTM*036*20280131",
        "REF*LT*LOT-B",
        "DTM*036****D8*20290228",
    ]
    # when it is translated
    [line] = _lines(library, item, version=version)
    # then both lots are on the line, each with its own expiry and no quantity (none given)
    assert _lots(line) == [
        ("LOT-A", None, dt.date(2028, 1, 31)),
        ("LOT-B", None, dt.date(2029, 2, 28)),
    ]
    # and the line's own lot and expiry stay the first lot's, as before
    assert (line.lot_number, line.expiry_date) == ("LOT-A", dt.date(2028, 1, 31))


@pytest.mark.parametrize("version", VERSIONS)
def test_cld_loops_give_each_lot_its_quantity_loads_times_units(
    library: MapLibrary, version: str
) -> None:
    # given an item of 100 in two CLD loops: 1 load of 60 (lot A), 2 loads of 20 (lot B)
    item = [
        "LIN*1*VP*A",
        "SN1**100*EA",
        "CLD*1*60",
        "REF*LT*LOT-A",
        "DTP*036*D8*20280131",
        "CLD*2*20*CTN25",
        "REF*LT*LOT-B",
        "DTP*036*D8*20290228",
    ]
    [line] = _lines(library, item, version=version)
    assert _lots(line) == [
        ("LOT-A", Decimal(60), dt.date(2028, 1, 31)),
        ("LOT-B", Decimal(40), dt.date(2029, 2, 28)),
    ]


def test_a_cld_naming_two_lots_gives_neither_its_quantity(library: MapLibrary) -> None:
    # given one CLD of 100 that lists two lots: how many of each is not said
    item = ["LIN*1*VP*A", "SN1**100*EA", "CLD*1*100", "REF*LT*LOT-A", "REF*LT*LOT-B"]
    [line] = _lines(library, item)
    assert _lots(line) == [("LOT-A", None, None), ("LOT-B", None, None)]


def test_a_lot_outside_the_cld_loops_is_kept_without_a_quantity(library: MapLibrary) -> None:
    # given an item-level REF*LT, then CLD loops of which one names another lot
    item = [
        "LIN*1*VP*A",
        "SN1**100*EA",
        "REF*LT*LOT-A",
        "CLD*1*60",
        "CLD*1*40",
        "REF*LT*LOT-B",
    ]
    [line] = _lines(library, item)
    assert _lots(line) == [("LOT-A", None, None), ("LOT-B", Decimal(40), None)]


def test_a_cld_quantity_that_is_not_a_number_refuses_the_transaction(
    library: MapLibrary,
) -> None:
    item = ["LIN*1*VP*A", "SN1**100*EA", "CLD*X*60", "REF*LT*LOT-A", "CLD*1*40", "REF*LT*B"]
    with pytest.raises(DocumentError) as info:
        _lines(library, item)
    assert info.value.field == "orders[0].lines[0].lots[0].quantity"
    assert info.value.segment_tag == "CLD" and "CLD01 'X' is not a number" in info.value.reason


def test_two_different_expiry_dates_after_one_lot_refuse_the_transaction(
    library: MapLibrary,
) -> None:
    # given the standard segment order: both REF*LT, then both DTM*036; which date is
    # whose is not known, so neither lot gets one silently
    item = [
        "LIN*1*VP*A",
        "SN1**100*EA",
        "REF*LT*LOT-A",
        "REF*LT*LOT-B",
        "DTM*036*20280131",
        "DTM*036*20290228",
    ]
    with pytest.raises(DocumentError) as info:
        _lines(library, item)
    error = info.value
    assert error.field == "orders[0].lines[0].lots[1].expiry_date"
    assert "'20280131'" in error.reason and "'20290228'" in error.reason
    assert error.segment_tag == "DTM"
    # the same date twice is one date
    item[-1] = "DTM*036*20280131"
    [line] = _lines(library, item)
    assert _lots(line) == [("LOT-A", None, None), ("LOT-B", None, dt.date(2028, 1, 31))]


def test_an_expiry_before_the_first_lot_is_the_items_not_a_lots(library: MapLibrary) -> None:
    item = ["LIN*1*VP*A", "SN1**100*EA", "DTM*036*20280131", "REF*LT*LOT-A", "REF*LT*LOT-B"]
    [line] = _lines(library, item)
    assert line.expiry_date == dt.date(2028, 1, 31)
    assert _lots(line) == [("LOT-A", None, None), ("LOT-B", None, None)]


def test_one_hl_item_per_lot_still_gives_each_line_its_lot(library: MapLibrary) -> None:
    # given the layout some partners use: one HL item level per lot, with its own SN1
    first = ["LIN*1*VP*A", "SN1**60*EA", "REF*LT*LOT-A", "DTM*036*20280131"]
    second = ["LIN*1*VP*A", "SN1**40*EA", "REF*LT*LOT-B", "DTM*036*20290228"]
    lines = _lines(library, first, second)
    assert [(x.lot_number, x.quantity, x.expiry_date) for x in lines] == [
        ("LOT-A", Decimal(60), dt.date(2028, 1, 31)),
        ("LOT-B", Decimal(40), dt.date(2029, 2, 28)),
    ]
    assert [x.lots for x in lines] == [
        [Lot(lot_number="LOT-A", expiry_date=dt.date(2028, 1, 31))],
        [Lot(lot_number="LOT-B", expiry_date=dt.date(2029, 2, 28))],
    ]


def test_summit_override_keeps_every_ref_bt_and_ref_lt_with_its_dtm_208(
    library: MapLibrary,
) -> None:
    item = [
        "LIN*1*VP*A",
        "SN1**20*BX",
        "REF*BT*NG24K07",
        "DTM*208*20290630",
        "REF*BT*NG24K09",
        "DTM*208****CM*202909",
        "REF*LT*NG24K11",
    ]
    [line] = _lines(library, item, profile=SUMMIT)
    assert _lots(line) == [
        ("NG24K07", None, dt.date(2029, 6, 30)),
        ("NG24K09", None, dt.date(2029, 9, 30)),
        ("NG24K11", None, None),
    ]
    assert (line.lot_number, line.expiry_date) == ("NG24K07", dt.date(2029, 6, 30))


def test_summit_override_reads_cld_quantities_and_refuses_two_dates_for_one_lot(
    library: MapLibrary,
) -> None:
    item = [
        "LIN*1*VP*A",
        "SN1**20*BX",
        "CLD*1*12",
        "REF*BT*NG24K07",
        "DTP*208*D8*20290630",
        "CLD*1*8",
        "REF*BT*NG24K09",
        "DTP*208*D8*20290930",
    ]
    [line] = _lines(library, item, profile=SUMMIT)
    assert _lots(line) == [
        ("NG24K07", Decimal(12), dt.date(2029, 6, 30)),
        ("NG24K09", Decimal(8), dt.date(2029, 9, 30)),
    ]
    two_dates = ["LIN*1*VP*A", "SN1**20*BX", "REF*BT*B1", "DTM*208*20290630", "DTM*208*20290731"]
    with pytest.raises(DocumentError, match=r"'20290630' in segment .*'20290731'"):
        _lines(library, two_dates, profile=SUMMIT)


# -- LIN LT qualifier pairs --------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_two_lt_pairs_in_one_lin_are_two_lots(library: MapLibrary, version: str) -> None:
    # given an item whose LIN names two lots in LT qualifier pairs, no REF*LT
    item = ["LIN**VP*ABC*LT*LOT-A*LT*LOT-B", "SN1**100*EA"]
    # when it is translated
    [line] = _lines(library, item, version=version)
    # then both lots are in lots, without quantities (none given): the receipt refuses them
    assert _lots(line) == [("LOT-A", None, None), ("LOT-B", None, None)]
    # and the line's own lot stays the first, the LT pairs are not left in item.other
    assert line.lot_number == "LOT-A" and "LT" not in line.item.other


def test_one_lt_pair_is_the_items_one_lot(library: MapLibrary) -> None:
    # given an item whose only lot is a LIN LT pair, with the item's expiry
    item = ["LIN**VP*ABC*LT*LOT-A", "SN1**100*EA", "DTM*036*20280131"]
    [line] = _lines(library, item)
    # then that lot is the line's lot and its only entry in lots
    assert line.lot_number == "LOT-A" and _lots(line) == [("LOT-A", None, None)]
    assert line.expiry_date == dt.date(2028, 1, 31)


def test_a_lin_lot_and_another_ref_lt_lot_are_both_kept(library: MapLibrary) -> None:
    # given a LIN naming lot A and a REF*LT naming lot B
    item = ["LIN**VP*ABC*LT*LOT-A", "SN1**100*EA", "REF*LT*LOT-B", "DTM*036*20290228"]
    [line] = _lines(library, item)
    # then both are lots: B as REF*LT read it (with its expiry), then A
    assert _lots(line) == [("LOT-B", None, dt.date(2029, 2, 28)), ("LOT-A", None, None)]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_lot_named_in_lin_and_ref_lt_counts_once_with_the_ref_quantity(
    library: MapLibrary, version: str
) -> None:
    # given a LIN naming lots A and B, and CLD loops giving A 60 and B 40 with A's expiry
    item = [
        "LIN**VP*ABC*LT*LOT-A*LT*LOT-B",
        "SN1**100*EA",
        "CLD*1*60",
        "REF*LT*LOT-A",
        "DTP*036*D8*20280131",
        "CLD*1*40",
        "REF*LT*LOT-B",
    ]
    [line] = _lines(library, item, version=version)
    # then each lot is listed once, with what its CLD loop says
    assert _lots(line) == [
        ("LOT-A", Decimal(60), dt.date(2028, 1, 31)),
        ("LOT-B", Decimal(40), None),
    ]


def test_the_same_lt_pair_twice_is_one_lot(library: MapLibrary) -> None:
    [line] = _lines(library, ["LIN**VP*ABC*LT*LOT-A*LT*LOT-A", "SN1**100*EA"])
    assert _lots(line) == [("LOT-A", None, None)]


def test_summit_override_keeps_lin_lots_beside_ref_bt(library: MapLibrary) -> None:
    # given the summit override: a LIN lot, a REF*BT lot and a REF*LT naming the LIN lot
    item = [
        "LIN**VP*A*LT*NG24K01",
        "SN1**20*BX",
        "REF*BT*NG24K07",
        "DTM*208*20290630",
        "REF*LT*NG24K01",
        "DTM*208*20290731",
    ]
    [line] = _lines(library, item, profile=SUMMIT)
    # then the LIN lot is the REF*LT one (once, with its date) beside the REF*BT lot
    assert _lots(line) == [
        ("NG24K07", None, dt.date(2029, 6, 30)),
        ("NG24K01", None, dt.date(2029, 7, 31)),
    ]


def test_explain_names_the_lin_element_of_each_lot(library: MapLibrary) -> None:
    # given two LIN lots and one REF*LT lot, translated with --explain
    tx = x12_tx(
        _asn(["LIN**VP*ABC*LT*LOT-A*LT*LOT-B", "SN1**100*EA", "REF*LT*LOT-C"]),
        version="004010",
    )
    interchange, group = envelope(Syntax.X12)
    result = translate(
        tx,
        interchange=interchange,
        group=group,
        map=library.get("x12/004010/856"),
        profile=make_profile(),
        explain=True,
    )
    traces = {t.field_path: t for t in result.explain}
    path = "orders[0].lines[0].lots"
    # then each lot's trace points at the element it was read from
    assert (
        traces[f"{path}[0].lot_number"].segment_tag,
        traces[f"{path}[0].lot_number"].element,
    ) == ("REF", 2)
    assert (traces[f"{path}[1].lot_number"].raw_value, traces[f"{path}[1].lot_number"].element) == (
        "LOT-A",
        5,
    )
    assert (traces[f"{path}[2].lot_number"].raw_value, traces[f"{path}[2].lot_number"].element) == (
        "LOT-B",
        7,
    )

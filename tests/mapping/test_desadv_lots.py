"""Every batch number of an EDIFACT DESADV LIN group reaches ``lines[].lots``: a GIN+BX
naming several (C208 elements 2..6) is one lot per number, never the first only; a PCI
group naming several gives none of them its QTY (which got how many is not known, the
receipt refuses them); a batch number range (C208 first:last) refuses the message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.canonical import ShipNotice, ShipNoticeLine
from gateway.edi import Syntax
from gateway.mapping import DocumentError, MapLibrary, translate
from tests.mapping.helpers import MAPS, edifact_tx, envelope, make_profile

VERSIONS = ["D96A", "D01B", "D93A"]


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


def _desadv(*lin: str) -> list[str]:
    body = [
        "BGM+351+DN-1+9",
        "DTM+11:20261120:102",
        "RFF+ON:PO-9",
        "CPS+1",
        "LIN+1++04045678100016:SRV",
        "QTY+12:120:PCE",
        *lin,
    ]
    return ["UNH+1+DESADV:D:96A:UN:EAN005", *body, f"UNT+{len(body) + 2}+1"]


def _line(library: MapLibrary, *lin: str, version: str = "D96A") -> ShipNoticeLine:
    tx = edifact_tx(_desadv(*lin), version=version)
    interchange, group = envelope(Syntax.EDIFACT)
    doc = translate(
        tx,
        interchange=interchange,
        group=group,
        map=library.get(f"edifact/{version}/DESADV"),
        profile=make_profile(),
    ).document
    assert isinstance(doc, ShipNotice)
    [line] = doc.orders[0].lines
    return line


def _lots(line: ShipNoticeLine) -> list[tuple[str | None, Decimal | None, dt.date | None]]:
    return [(lot.lot_number, lot.quantity, lot.expiry_date) for lot in line.lots]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_gin_naming_three_batches_is_three_lots_without_the_groups_quantity(
    library: MapLibrary, version: str
) -> None:
    # given one PCI group of 120 whose GIN+BX names three batch numbers, with an expiry
    line = _line(
        library,
        "PCI+36E",
        "DTM+36:20290331:102",
        "QTY+12:120:PCE",
        "GIN+BX+A1+B2+C3",
        version=version,
    )
    # then each number is a lot with the group's expiry, and none has the group's 120
    exp = dt.date(2029, 3, 31)
    assert _lots(line) == [("A1", None, exp), ("B2", None, exp), ("C3", None, exp)]
    assert line.lot_number == "A1"


def test_a_gin_naming_one_batch_keeps_the_groups_quantity(library: MapLibrary) -> None:
    line = _line(library, "PCI+36E", "QTY+12:120:PCE", "GIN+BX+A1")
    assert _lots(line) == [("A1", Decimal(120), None)]


def test_the_same_batch_twice_in_one_gin_is_one_lot_with_the_quantity(
    library: MapLibrary,
) -> None:
    line = _line(library, "PCI+36E", "QTY+12:120:PCE", "GIN+BX+A1+A1")
    assert _lots(line) == [("A1", Decimal(120), None)]


def test_batches_of_a_gin_outside_any_pci_group_are_lots(library: MapLibrary) -> None:
    # given a LIN-level GIN+BX naming two batches and no PCI group
    line = _line(library, "GIN+BX+A1+B2")
    assert _lots(line) == [("A1", None, None), ("B2", None, None)]


def test_a_pia_batch_no_pci_group_names_is_a_lot_of_its_own(library: MapLibrary) -> None:
    # given a PIA batch number beside a PCI group of another batch, and one of the same
    other = _line(library, "PIA+1+L9:NB", "PCI+36E", "QTY+12:120:PCE", "GIN+BX+A1")
    same = _line(library, "PIA+1+A1:NB", "PCI+36E", "QTY+12:120:PCE", "GIN+BX+A1")
    # then the other is a lot too (without quantity); the same one counts once
    assert _lots(other) == [("A1", Decimal(120), None), ("L9", None, None)]
    assert _lots(same) == [("A1", Decimal(120), None)]


@pytest.mark.parametrize(
    ("gin", "element", "held"),
    [("GIN+BX+A1:A9", 2, "'A1:A9'"), ("GIN+BX+B1+A1:A9", 3, "'A1:A9'")],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_a_batch_number_range_refuses_the_message(
    library: MapLibrary, version: str, gin: str, element: int, held: str
) -> None:
    # given a PCI group whose GIN+BX gives a range first:last (alone or after a number)
    with pytest.raises(DocumentError) as info:
        _line(library, "PCI+36E", "QTY+12:120:PCE", gin, version=version)
    # then the message is refused at that GIN and element, naming the range and why
    error = info.value
    assert (error.segment_tag, error.element) == ("GIN", element)
    assert held in error.reason and "range" in error.reason
    assert error.field is not None and error.field.endswith("lot_number")


def test_explain_traces_each_batch_of_a_gin_to_its_element(library: MapLibrary) -> None:
    tx = edifact_tx(_desadv("PCI+36E", "QTY+12:120:PCE", "GIN+BX+A1+B2"), version="D96A")
    interchange, group = envelope(Syntax.EDIFACT)
    result = translate(
        tx,
        interchange=interchange,
        group=group,
        map=library.get("edifact/D96A/DESADV"),
        profile=make_profile(),
        explain=True,
    )
    traces = [(t.field_path, t.raw_value, t.element) for t in result.explain]
    path = "orders[0].lines[0]."
    assert (f"{path}lots[0].lot_number", "A1", 2) in traces
    assert (f"{path}lots[1].lot_number", "B2", 3) in traces
    # the group's quantity belongs to neither lot, and the line's lot_number is A1 only
    assert not [t for t in traces if t[0].endswith("quantity") and ".lots[" in t[0]]
    assert [t[1] for t in traces if t[0] == f"{path}lot_number"] == ["A1"]

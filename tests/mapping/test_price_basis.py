"""A price quoted per hundred (or per dozen, per thousand) becomes a price per unit.

X12 PO105 / IT105 / POC07 (639 basis of unit price) and EDIFACT PRI C509 5284 (unit
price basis) with 6411 (its unit): the canonical ``unit_price`` is always per one unit of
the line's unit, ``quoted_price`` keeps the price as written and ``price_basis`` the
quantity it was for; a basis we cannot turn into a count of the line's unit is refused.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.canonical import Invoice, OrderAcknowledgement, PurchaseOrder
from gateway.mapping import DocumentError, MapLibrary
from tests.mapping.helpers import MAPS, make_profile
from tests.mapping.test_engine import run

X12_VERSIONS = ["004010", "004030", "004060", "005010"]


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


def _x12(set_id: str, item: str) -> list[str]:
    """A one-line transaction of ``set_id`` whose line is ``item`` (PO1, POC or IT1)."""
    head = {
        "850": "BEG*00*SA*PO-9**20261101",
        "855": "BAK*00*AC*PO-9*20261101",
        "860": "BCH*04*SA*PO-9**3*20261101",
        "810": "BIG*20261120*INV-9**PO-9",
    }[set_id]
    tail = ["TDS*12800"] if set_id == "810" else ["CTT*1"]
    body = [f"ST*{set_id}*0001", head, item, *tail]
    return [*body, f"SE*{len(body) + 1}*0001"]


def _x12_profile(version: str) -> object:
    return make_profile(x12={"isa_qualifier": "ZZ", "isa_id": "SENDER", "versions": [version]})


@pytest.mark.parametrize("version", X12_VERSIONS)
@pytest.mark.parametrize(
    ("set_id", "item"),
    [
        ("850", "PO1*1*200*EA*64*HP*VP*V-1"),
        ("855", "PO1*1*200*EA*64*HP*VP*V-1"),
        ("860", "POC*1*PC*200**EA*64*HP*VP*V-1"),
        ("810", "IT1*1*200*EA*64*HP*VP*V-1"),
    ],
)
def test_x12_price_per_hundred_is_divided(
    library: MapLibrary, version: str, set_id: str, item: str
) -> None:
    # given a line priced 64.00 per hundred (639 HP) when translated
    doc = run(library, _x12(set_id, item), version=version, profile=_x12_profile(version)).document  # type: ignore[arg-type]
    assert isinstance(doc, PurchaseOrder | OrderAcknowledgement | Invoice)
    (line,) = doc.lines
    # then the canonical price is per each, the quoted price and its basis are kept
    assert (line.unit_price, line.quoted_price, line.price_basis) == (
        Decimal("0.64"),
        Decimal("64"),
        Decimal("100"),
    )


@pytest.mark.parametrize(
    ("code", "price", "basis"),
    [
        ("PE", "2.5", "1"),
        ("UM", "2.5", "1"),
        ("CP", "2.5", "1"),
        ("CA", "2.5", "1"),
        ("TE", "2.5", "1"),
        ("PN", "0.25", "10"),
        ("PD", "0.5", "12"),
        ("TP", "0.0025", "1000"),
        ("QS", "0.0025", "1000"),
        ("TT", "0.00025", "10000"),
        ("HT", "0.000025", "100000"),
    ],
)
def test_850_basis_codes(library: MapLibrary, code: str, price: str, basis: str) -> None:
    quoted = "6" if code == "PD" else "2.5"
    lines = _x12("850", f"PO1*1*200*EA*{quoted}*{code}*VP*V-1")
    (line,) = run(library, lines).document.lines  # type: ignore[union-attr]
    assert line.unit_price == Decimal(price)
    # a price for one unit is left as written, as if no basis were named
    assert line.price_basis == (None if basis == "1" else Decimal(basis))
    assert line.quoted_price == (None if basis == "1" else Decimal(quoted))


def test_850_without_basis_is_unchanged(library: MapLibrary) -> None:
    (line,) = run(library, _x12("850", "PO1*1*200*EA*2.5**VP*V-1")).document.lines  # type: ignore[union-attr]
    assert (line.unit_price, line.price_basis, line.quoted_price) == (Decimal("2.5"), None, None)


@pytest.mark.parametrize("code", ["BD", "SR", "RE", "NC", "PP", "PM", "ZZ"])
@pytest.mark.parametrize("set_id", ["850", "855", "860", "810"])
def test_x12_unsupported_basis_code_refuses_the_transaction(
    library: MapLibrary, set_id: str, code: str
) -> None:
    item = {
        "850": f"PO1*1*200*EA*64*{code}*VP*V-1",
        "855": f"PO1*1*200*EA*64*{code}*VP*V-1",
        "860": f"POC*1*PC*200**EA*64*{code}*VP*V-1",
        "810": f"IT1*1*200*EA*64*{code}*VP*V-1",
    }[set_id]
    with pytest.raises(DocumentError) as caught:
        run(library, _x12(set_id, item))
    error = caught.value
    assert repr(code) in error.reason
    assert error.field == "lines[0].price_basis"
    assert (error.segment_tag, error.segment_position, error.code) == (item[:3], 3, "7")
    assert error.element == (7 if set_id == "860" else 5)


EDIFACT_HEAD = {
    "ORDERS": ["UNH+1+ORDERS:D:96A:UN", "BGM+220+PO-9+9", "DTM+137:20261116:102"],
    "ORDRSP": ["UNH+1+ORDRSP:D:96A:UN", "BGM+231+PO-9+4", "DTM+137:20261116:102", "RFF+ON:PO-9"],
    "ORDCHG": ["UNH+1+ORDCHG:D:96A:UN", "BGM+230+PO-9+9", "DTM+137:20261116:102"],
    "INVOIC": [
        "UNH+1+INVOIC:D:96A:UN",
        "BGM+380+INV-9+9",
        "DTM+137:20261120:102",
        "RFF+ON:PO-9",
    ],
}


def _edifact(message: str, pri: str, qty: str = "QTY+21:200:PCE") -> list[str]:
    quantity = qty.replace("+21:", "+47:") if message == "INVOIC" else qty
    if message == "ORDRSP":
        quantity = qty.replace("+21:", "+113:")
    body = [
        *EDIFACT_HEAD[message],
        "LIN+1++04045678100016:SRV" + ("+3" if message == "ORDCHG" else ""),
        quantity,
        pri,
        "UNS+S",
    ]
    return [*body, f"UNT+{len(body) + 1}+1"]


def _edifact_profile(directory: str = "D96A") -> object:
    edifact = {"unb_id": "5400000000001", "unb_qualifier": "14", "directory": directory}
    return make_profile(uom_codes={"PCE": "EA"}, edifact=edifact)


@pytest.mark.parametrize("message", sorted(EDIFACT_HEAD))
@pytest.mark.parametrize("version", ["D96A", "D93A", "D01B"])
def test_edifact_price_per_hundred_pieces_is_divided(
    library: MapLibrary, message: str, version: str
) -> None:
    lines = _edifact(message, "PRI+AAA:85:::100:PCE")
    lines[0] = lines[0].replace(":96A:", f":{version[1:]}:")
    doc = run(
        library,
        lines,
        syntax="edifact",
        version=version,
        profile=_edifact_profile(version),  # type: ignore[arg-type]
    ).document
    assert isinstance(doc, PurchaseOrder | OrderAcknowledgement | Invoice)
    (line,) = doc.lines
    assert (line.unit_price, line.quoted_price, line.price_basis, line.price_basis_uom) == (
        Decimal("0.85"),
        Decimal("85"),
        Decimal("100"),
        "EA",
    )


def test_edifact_basis_without_unit_is_in_the_line_unit(library: MapLibrary) -> None:
    lines = _edifact("ORDERS", "PRI+AAA:8,5:::10")
    (line,) = run(library, lines, syntax="edifact", version="D96A").document.lines  # type: ignore[union-attr]
    assert (line.unit_price, line.price_basis, line.price_basis_uom) == (
        Decimal("0.85"),
        Decimal("10"),
        None,
    )


@pytest.mark.parametrize("message", sorted(EDIFACT_HEAD))
def test_edifact_basis_in_another_unit_refuses_the_transaction(
    library: MapLibrary, message: str
) -> None:
    # 85 per 100 kilograms on a line ordered in pieces: no price per piece exists
    with pytest.raises(DocumentError) as caught:
        run(
            library,
            _edifact(message, "PRI+AAA:85:::100:KGM"),
            syntax="edifact",
            version="D96A",
            profile=_edifact_profile(),  # type: ignore[arg-type]
        )
    error = caught.value
    assert error.field == "lines[0].price_basis_uom"
    assert "per 100 KG " in error.reason and "in EA" in error.reason
    assert (error.segment_tag, error.code) == ("PRI", "7")


def test_edifact_basis_unit_on_a_line_without_unit_is_refused(library: MapLibrary) -> None:
    with pytest.raises(DocumentError, match="without a unit"):
        lines = _edifact("ORDERS", "PRI+AAA:85:::100:PCE", qty="QTY+21:200")
        run(library, lines, syntax="edifact", version="D96A")


@pytest.mark.parametrize("basis", ["0", "-5", "ABC"])
def test_edifact_basis_that_is_not_a_positive_quantity_is_refused(
    library: MapLibrary, basis: str
) -> None:
    with pytest.raises(DocumentError) as caught:
        run(library, _edifact("ORDERS", f"PRI+AAA:85:::{basis}"), syntax="edifact", version="D96A")
    assert caught.value.field == "lines[0].price_basis"


@pytest.mark.parametrize("version", ["D96A", "D01B"])
def test_an_invoic_line_bills_its_invoiced_quantity_wherever_it_stands(
    library: MapLibrary, version: str
) -> None:
    # given an INVOIC line giving the delivered quantity (46) before the invoiced one (47),
    # as EANCOM's own example does
    lines = _edifact("INVOIC", "PRI+AAA:2:::1:KGM", qty="QTY+46:5")
    lines.insert(lines.index("QTY+46:5") + 1, "QTY+47:12.65:KGM")
    lines[-1] = f"UNT+{len(lines)}+1"
    lines[0] = lines[0].replace(":96A:", f":{version[1:]}:")
    # when it is translated
    doc = run(library, lines, syntax="edifact", version=version,
              profile=_edifact_profile(version)).document  # type: ignore[arg-type]  # fmt: skip
    # then the line bills the invoiced 12.65 kg (it read the delivered 5, without a unit)
    assert isinstance(doc, Invoice)
    (line,) = doc.lines
    assert (line.quantity, line.uom, line.unit_price) == (Decimal("12.65"), "KG", Decimal("2"))

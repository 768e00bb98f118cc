"""The X12 NDC qualifiers that say an NDC's layout (N1/N2/N3) normalise it at map time."""

from __future__ import annotations

import pytest

from gateway.canonical import PurchaseOrder
from gateway.mapping import MapLibrary
from tests.mapping.test_engine import run


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    from tests.mapping.helpers import MAPS

    return MapLibrary.load([MAPS])


def po_with(*pairs: str) -> list[str]:
    lines = [
        "ST*850*0001",
        "BEG*00*SA*PO-78**20261101",
        *(f"PO1*{n}*1*EA*1.00**VP*V-{n}*{pair}" for n, pair in enumerate(pairs, start=1)),
        f"CTT*{len(pairs)}",
    ]
    return [*lines, f"SE*{len(lines) + 1}*0001"]


def test_ten_digit_ndcs_with_a_layout_qualifier_become_eleven_digits(
    library: MapLibrary,
) -> None:
    # given the same ten digits sent as 4-4-2, 5-3-2 and 5-4-1, an 11-digit N4 and a plain ND
    doc = run(
        library,
        po_with(
            "N1*1234567890",
            "N2*1234567890",
            "N3*1234567890",
            "N4*00338004904",
            "ND*1234567890",
            "N1*12345678901",
        ),
    ).document
    assert isinstance(doc, PurchaseOrder)
    # then each layout gives its own 11-digit NDC; ND (no layout) stays as sent for the
    # lookup to try every reading, and what does not fit its qualifier is left for the
    # lookup to report
    assert [line.item.ndc for line in doc.lines] == [
        "01234567890",
        "12345067890",
        "12345678900",
        "00338004904",
        "1234567890",
        "12345678901",
    ]

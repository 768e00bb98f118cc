"""Whatever segments a partner sends, translation ends in a document or a DocumentError.

A MappingError (our fault) or any other exception on partner data would be a bug.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edi import EdiTransaction, Segment, Syntax
from gateway.mapping import DocumentError, MapLibrary, translate
from tests.mapping.helpers import MAPS, envelope, make_profile

LIBRARY = MapLibrary.load([MAPS])
PROFILE = make_profile()
X12_TAGS = [
    "BEG",
    "BAK",
    "BSN",
    "BIG",
    "PO1",
    "ACK",
    "HL",
    "LIN",
    "SN1",
    "REF",
    "DTM",
    "N1",
    "N3",
    "N4",
    "PRF",
    "MAN",
    "IT1",
    "SAC",
    "TXI",
    "TDS",
    "CTT",
    "PID",
    "CUR",
    "TD5",
]
EDIFACT_TAGS = [
    "BGM",
    "DTM",
    "RFF",
    "NAD",
    "CUX",
    "LIN",
    "PIA",
    "QTY",
    "PRI",
    "IMD",
    "CPS",
    "PAC",
    "PCI",
    "GIN",
    "ALC",
    "MOA",
    "TAX",
    "UNS",
    "CNT",
    "TDT",
]
VALUES = st.sampled_from(
    [
        "",
        "1",
        "00",
        "LT",
        "ON",
        "BX",
        "S",
        "O",
        "I",
        "P",
        "2",
        "036",
        "36",
        "102",
        "203",
        "20261118",
        "ABC",
        "-5",
        "1,5",
        "9" * 30,
        "BJ",
        "BX",
        "EN",
        "VP",
        "N4",
        "A",
        "C",
        "8",
        "47",
        "21",
        "12",
        "3",
    ]
)
ELEMENT = st.lists(st.lists(VALUES, min_size=1, max_size=3).map(tuple), min_size=1, max_size=2).map(
    tuple
)


def segments(tags: list[str]) -> st.SearchStrategy[list[tuple[str, tuple]]]:
    return st.lists(
        st.tuples(st.sampled_from(tags), st.lists(ELEMENT, max_size=8).map(tuple)), max_size=40
    )


def _tx(set_id: str, body: list[tuple[str, tuple]], version: str, head: str) -> EdiTransaction:
    segs = [Segment(head, ((("x",),),), position=1)]
    segs += [Segment(tag, els, position=i + 2) for i, (tag, els) in enumerate(body)]
    return EdiTransaction(
        set_id=set_id, control_number="1", version=version, segments=segs, start=0, end=0
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(set_id=st.sampled_from(["850", "855", "856", "810"]), body=segments(X12_TAGS))
def test_x12_never_crashes(set_id: str, body: list[tuple[str, tuple]]) -> None:
    tx = _tx(set_id, body, "004010", "ST")
    interchange, group = envelope(Syntax.X12)
    map_ = LIBRARY.map_for(PROFILE, "x12", "004010", set_id)
    with contextlib.suppress(DocumentError):
        translate(tx, interchange=interchange, group=group, map=map_, profile=PROFILE, explain=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    set_id=st.sampled_from(["ORDERS", "ORDRSP", "DESADV", "INVOIC"]), body=segments(EDIFACT_TAGS)
)
def test_edifact_never_crashes(set_id: str, body: list[tuple[str, tuple]]) -> None:
    tx = _tx(set_id, body, "D96A", "UNH")
    interchange, group = envelope(Syntax.EDIFACT)
    map_ = LIBRARY.map_for(PROFILE, "edifact", "D96A", set_id)
    with contextlib.suppress(DocumentError):
        translate(tx, interchange=interchange, group=group, map=map_, profile=PROFILE, explain=True)

"""X12 segment syntax notes (relational conditions between elements of one segment).

Each note is written as in the X12 segment directory: a letter and two-digit element
positions, e.g. ``P0304`` (paired: if either of 03/04 is present, both are required).
The letters (X12.6, "relational conditions"):

* ``P`` paired: if any of the elements is present, all are required;
* ``R`` required: at least one of the elements is required;
* ``E`` exclusion: not more than one of the elements may be present;
* ``C`` conditional: if the first is present, all the others are required;
* ``L`` list conditional: if the first is present, at least one of the others is required.

A P, R, C or L violation is reported with AK403/IK403 code 2 ("conditional required data
element missing"), an E violation with code 10 ("exclusion condition violated").

The notes are the 004010 segment directory's for segments our 850/855/856/810/824 tables
lay out; ACK, SCH and the 824's OTI (C0908 seen there; C0706 and BGN C0504 written from
the directory) were checked against the X12 reference published by Stedi
(stedi.com/edi/x12-<release>/segment/<ID>), the others are written from the directory as
commonly published. Later releases kept these notes and added some for elements
appended after them (not listed here), so the same list serves 004030-005010.
"""

from __future__ import annotations

from typing import Literal

NoteKind = Literal["P", "R", "E", "C", "L"]
Note = tuple[NoteKind, tuple[int, ...], str]  # kind, element positions, the note as written

_PAIRS_PO1 = " ".join(f"P{n:02d}{n + 1:02d}" for n in range(6, 25, 2))
_PAIRS_POC = " ".join(f"P{n:02d}{n + 1:02d}" for n in range(8, 27, 2))
_PAIRS_LIN = " ".join(f"P{n:02d}{n + 1:02d}" for n in range(4, 31, 2))
_PAIRS_ACK = " ".join(f"P{n:02d}{n + 1:02d}" for n in range(7, 26, 2))

_WRITTEN: dict[str, str] = {
    "REF": "R0203",
    "PER": "P0304 P0506 P0708",
    "DTM": "R020305 C0403 P0506",
    "N1": "R0203 P0304",
    "N4": "C0605",
    "N9": "R0203 C0605",
    "PO1": "C0302 C0504 " + _PAIRS_PO1,
    "IT1": "P020304 " + _PAIRS_PO1,
    # 860 POC: the quantity needs its unit (stedi.com/edi/x12/segment/POC: C0305)
    "POC": "C0305 " + _PAIRS_POC,
    "LIN": _PAIRS_LIN,
    "ACK": "P0203 C0405 " + _PAIRS_ACK,
    "SCH": "C0304 L080910 C0908",
    "SN1": "P0506",
    "CTT": "P0304 P0506",
    "PID": "C0403 R0405 C0703 C0804 C0905",
    "MEA": "R03050608 C0504 C0604 L07030506 E0803",
    "CUR": "C0807 C0907 L101112 C1110 C1210 L131415 C1413 C1513 L161718 C1716 C1816 "
    "L192021 C2019 C2119",
    "SAC": "R0203 P0304 P0607 P0910 C1110 C1413 C1615",
    "BSN": "C0706",
    "BGN": "C0504",
    "OTI": "C0706 C0908",
}


def _parse(text: str) -> Note:
    kind = text[0]
    if kind not in "PRECL" or (len(text) - 1) % 2 or len(text) < 5:
        raise ValueError(f"not a syntax note: {text!r}")
    positions = tuple(int(text[i : i + 2]) for i in range(1, len(text), 2))
    return kind, positions, text  # type: ignore[return-value]


# tag -> its notes, built once at import
NOTES: dict[str, tuple[Note, ...]] = {
    tag: tuple(_parse(n) for n in written.split()) for tag, written in _WRITTEN.items()
}

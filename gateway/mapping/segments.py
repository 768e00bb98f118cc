"""Segment tags each supported transaction set may contain.

A map that names a segment outside its set's list is refused at load: it would never
match, so it is a typo or a map written for another document. The tags come from the
X12 and EDIFACT engines' own set specifications (what validation accepts), so a map
cannot read a segment the engine would reject; the lists below (X12 4010/5010 and
UN/EDIFACT D96A/D01B, every segment of the set) are the fallback when an engine's
specs are not importable.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

_X12_COMMON = {
    "ST",
    "SE",
    "REF",
    "PER",
    "DTM",
    "N1",
    "N2",
    "N3",
    "N4",
    "NTE",
    "MSG",
    "N9",
    "CUR",
    "PID",
    "MEA",
    "PWK",
    "PKG",
    "TD1",
    "TD3",
    "TD4",
    "TD5",
    "FOB",
    "SAC",
    "TXI",
    "CTT",
    "AMT",
    "LIN",
    "SLN",
    "PO4",
    "QTY",
    "SCH",
    "YNQ",
    "LM",
    "LQ",
    "ITD",
    "MAN",
    "NX2",
}

_X12: dict[str, set[str]] = {
    "850": _X12_COMMON
    | {
        "BEG",
        "TAX",
        "CTP",
        "PAM",
        "CSH",
        "TC2",
        "DIS",
        "INC",
        "LDT",
        "SI",
        "PCT",
        "CTB",
        "PO1",
        "PO3",
        "IT8",
        "SDQ",
        "SPI",
        "CN1",
        "ADV",
        "FST",
        "PRS",
        "LE",
        "LS",
        "G53",
        "CB1",
        "GF",
        "PDS",
        "PDD",
        "IN2",
    },
    "855": _X12_COMMON
    | {
        "BAK",
        "TAX",
        "CTP",
        "PAM",
        "CSH",
        "DIS",
        "LDT",
        "SI",
        "CTB",
        "PO1",
        "PO3",
        "ACK",
        "IT8",
        "SDQ",
        "CN1",
        "ADV",
    },
    "856": _X12_COMMON
    | {
        "BSN",
        "HL",
        "SN1",
        "PRF",
        "CLD",
        "ETD",
        "LH1",
        "LH2",
        "LH3",
        "LFH",
        "LEP",
        "LH4",
        "LHT",
        "LHR",
        "PAL",
        "TSD",
        "DTP",
        "INS",
        "SHP",
        "V1",
        "USD",
        "CUR",
        "GF",
        "PO3",
        "TD1",
        "TD5",
    },
    "810": _X12_COMMON
    | {
        "BIG",
        "IT1",
        "IT3",
        "CRC",
        "CTP",
        "SDQ",
        "TDS",
        "CAD",
        "ISS",
        "SI",
        "IT8",
        "L7",
        "BAL",
        "INC",
        "PAM",
        "DTP",
        "SLN",
    },
}

_EDIFACT_COMMON = {
    "UNH",
    "UNT",
    "BGM",
    "DTM",
    "FTX",
    "RFF",
    "NAD",
    "LOC",
    "CTA",
    "COM",
    "MOA",
    "CUX",
    "TDT",
    "TOD",
    "PAC",
    "PCI",
    "GIN",
    "GIR",
    "MEA",
    "QTY",
    "HAN",
    "LIN",
    "PIA",
    "IMD",
    "ALI",
    "UNS",
    "CNT",
    "TAX",
    "PAT",
    "PCD",
    "ALC",
    "RNG",
    "RTE",
    "PRI",
    "DOC",
    "DGS",
    "EQD",
    "FII",
    "QVR",
    "SCC",
    "APR",
    "DLM",
    "SEQ",
    "STG",
}

_EDIFACT: dict[str, set[str]] = {
    "ORDERS": _EDIFACT_COMMON | {"PAI", "GIS", "CCI", "MKS", "QRR", "SG1"},
    "ORDRSP": _EDIFACT_COMMON | {"PAI", "GIS", "CCI", "MKS", "QRR"},
    "DESADV": _EDIFACT_COMMON | {"CPS", "SEL", "EQA", "TPL", "SGP", "TMD", "NAD"},
    "INVOIC": _EDIFACT_COMMON | {"PAI", "GIS", "GEI", "AJT", "INP", "RCS", "CCI", "MKS"},
}


def _tags(entries: Iterable[Any]) -> set[str]:
    """Segment tags of an engine structure: ``(TAG, status, max)`` entries and groups
    ``("loop", name, status, max, [...])`` (X12) / ``(SGn, status, max, [...])`` (EDIFACT)."""
    out: set[str] = set()
    for entry in entries:
        children = entry[-1] if isinstance(entry[-1], list) else None
        if children is not None:
            out |= _tags(children)
        elif isinstance(entry[0], str):
            out.add(entry[0])
    return out


@lru_cache(maxsize=64)
def _engine_tags(syntax: str, set_id: str, version: str) -> frozenset[str] | None:
    try:
        if syntax == "x12":
            from gateway.x12.specs.sets import SETS

            found = SETS.get(set_id)
            return frozenset(_tags(found[2])) if found else None
        from gateway.edifact.specs.messages import STRUCTURES

        structure = STRUCTURES.get((set_id, version)) or STRUCTURES.get((set_id, "D96A"))
        return frozenset(_tags(structure)) if structure else None
    except (ImportError, AttributeError, IndexError, TypeError):
        return None


def known_segments(syntax: str, set_id: str, version: str = "") -> frozenset[str] | None:
    """The tags of a set, or None when the set is not one we know (nothing is checked)."""
    engine = _engine_tags(syntax, set_id, version)
    if engine:
        return engine | {"ST", "SE"} if syntax == "x12" else engine | {"UNH", "UNT"}
    table = _X12 if syntax == "x12" else _EDIFACT
    tags = table.get(set_id)
    return frozenset(tags) if tags is not None else None


def element_problem(
    syntax: str, version: str, tag: str, element: int, component: int = 1
) -> str | None:
    """Why ``tag`` element ``element`` (component ``component``) cannot exist in this
    syntax/version, or None when it can (or the segment's layout is not known)."""
    if syntax == "x12":
        from gateway.x12.specs.segments import SEGMENTS

        layout = SEGMENTS.get(tag)
        if layout is None:
            return None
        if element > len(layout):
            return (
                f"{tag} has {len(layout)} elements in X12 {version}; "
                f"element {element} does not exist"
            )
        return None
    from gateway.edifact.specs.model import DIRECTORIES, segment_layouts

    directory = version if version in DIRECTORIES else DIRECTORIES[0]
    elements = segment_layouts(directory).get(tag)
    if elements is None:
        return None
    if element > len(elements):
        return (
            f"{tag} has {len(elements)} data elements in EDIFACT {directory}; "
            f"element {element} does not exist"
        )
    spec = elements[element - 1]
    if component > len(spec.components):
        what = "composite" if spec.composite else "simple element"
        return (
            f"{tag} element {element} ({spec.ref}) is a {what} with {len(spec.components)} "
            f"component(s) in EDIFACT {directory}; component {component} does not exist"
        )
    return None

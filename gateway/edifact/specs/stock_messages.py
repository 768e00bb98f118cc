"""Message structures for what a seller publishes: INVRPT (inventory report) and PRICAT
(price/sales catalogue), directories D96A and D01B.

Same notation as :mod:`gateway.edifact.specs.messages`, which merges these tables.
Sources: the UN messages as published by edifactory.de (D96A/INVRPT: header BGM, DTM
M10, SG1 RFF-DTM, SG2 NAD-LOC-SG3-SG4) and in the EdiFabric D97A templates (INVRPT
SG9 LIN-PIA-IMD-NAD-MEA-ALI-LOC-DTM-FTX-SG10-SG11; PRICAT with its line group under
SG16 PGI), and the EANCOM subsets built on them: EANCOM 1997 INVRPT (D96A) has
``SG11 QTY-INV-GIN-LOC-DTM-STS-SG12..SG15`` (the quantity triggers the group) and
EANCOM 2002 INVRPT (D01B) ``SG11 INV-QTY-GIN-LOC-DTM-STS-SG12..SG15`` (the inventory
details trigger it, QTY mandatory). Groups no EANCOM subset uses are left out, so their
segments are reported as out of place rather than silently accepted.
"""

from __future__ import annotations

from typing import Any

Node = tuple[Any, ...]  # as in gateway.edifact.specs.messages


def _rff(name: str, m: int) -> Node:
    return (name, "C", m, [("RFF", "M", 1), ("DTM", "C", 5)])


def _nad_header(first: int) -> Node:
    return (
        f"SG{first}",
        "C",
        99,
        [
            ("NAD", "M", 1),
            ("LOC", "C", 25),
            _rff(f"SG{first + 1}", 10),
            (f"SG{first + 2}", "C", 10, [("CTA", "M", 1), ("COM", "C", 5)]),
        ],
    )


def _invrpt(d01b: bool) -> list[Node]:
    quantity: list[Node] = (
        [("INV", "M", 1), ("QTY", "M", 1)] if d01b else [("QTY", "M", 1), ("INV", "C", 1)]
    )
    inventory: list[Node] = [
        *quantity,
        ("GIN", "C", 9999),
        ("LOC", "C", 5),
        ("DTM", "C", 5),
        ("STS", "C", 9),
        ("SG12", "C", 5, [("NAD", "M", 1), ("LOC", "C", 1)]),
        ("SG13", "C", 5, [("PRI", "M", 1), ("CUX", "C", 1), ("DTM", "C", 1)]),
        _rff("SG14", 10),
    ]
    line: list[Node] = [
        ("LIN", "M", 1),
        ("PIA", "C", 10),
        ("IMD", "C", 10),
        ("NAD", "C", 1),
        ("MEA", "C", 10),
        ("ALI", "C", 10),
        ("LOC", "C", 5),
        ("DTM", "C", 5),
        ("FTX", "C", 99),
        _rff("SG10", 10),
        ("SG11", "C", 9999, inventory),
    ]
    header: list[Node] = [("UNH", "M", 1), ("BGM", "M", 1)]
    if d01b:
        header.append(("FTX", "C", 99))
    return [
        *header,
        ("DTM", "M", 10),
        _rff("SG1", 10),
        _nad_header(2),
        ("SG5", "C", 5, [("CUX", "M", 1), ("DTM", "C", 5)]),
        ("SG9", "C", 9999999 if d01b else 9999, line),
        ("UNT", "M", 1),
    ]


def _pricat(d01b: bool) -> list[Node]:
    price: Node = (
        "SG36",
        "C",
        100,
        [
            ("PRI", "M", 1),
            ("CUX", "C", 1),
            ("APR", "C", 1),
            ("RNG", "C", 1),
            ("DTM", "C", 5),
            ("PCD", "C", 5),
        ],
    )
    line: list[Node] = [
        ("LIN", "M", 1),
        ("PIA", "C", 25 if d01b else 10),
        ("IMD", "C", 999),
        ("MEA", "C", 10),
        ("QTY", "C", 10),
        ("HAN", "C", 5),
        ("ALI", "C", 5),
        ("DTM", "C", 10),
        ("NAD", "C", 99),
        ("RFF", "C", 1),
        ("LOC", "C", 1),
        ("DOC", "C", 1),
        ("FTX", "C", 99),
        ("SG35", "C", 5, [("CUX", "M", 1), ("DTM", "C", 5)]),
        price,
        ("SG40", "C", 10, [("PAC", "M", 1), ("MEA", "C", 10), ("HAN", "C", 5)]),
    ]
    group: list[Node] = [
        ("PGI", "M", 1),
        ("DTM", "C", 15),
        ("QTY", "C", 10),
        ("ALI", "C", 5),
        ("FTX", "C", 5),
        ("SG17", "C", 10, [("CUX", "M", 1), ("DTM", "C", 5)]),
        ("SG33", "C", 9999999 if d01b else 999999, line),
    ]
    return [
        ("UNH", "M", 1),
        ("BGM", "M", 1),
        ("DTM", "M", 35),
        ("ALI", "C", 5),
        ("FTX", "C", 99),
        _rff("SG1", 99),
        _nad_header(2),
        ("SG6", "C", 5, [("CUX", "M", 1), ("DTM", "C", 5)]),
        ("SG16", "C", 1000, group),
        ("UNT", "M", 1),
    ]


#: (message type, directory) -> structure; merged into messages.STRUCTURES
STOCK_STRUCTURES: dict[tuple[str, str], list[Node]] = {
    ("INVRPT", "D96A"): _invrpt(d01b=False),
    ("INVRPT", "D01B"): _invrpt(d01b=True),
    ("PRICAT", "D96A"): _pricat(d01b=False),
    ("PRICAT", "D01B"): _pricat(d01b=True),
}

"""Message structures (segment groups, status, repeats) for ORDERS, ORDCHG, ORDRSP, DESADV
and INVOIC (and the APERAK we write) in directories D96A and D01B.

Notation: a segment is ``(TAG, STATUS, MAX)``; a group is ``(NAME, STATUS, MAX, [...])``
whose first entry is its trigger segment. The structures follow the UN standard
messages (EANCOM subsets are valid instances of them); groups that no EANCOM subset
uses are left out, so a segment belonging only to such a group is reported as "not
supported in this position" rather than silently accepted.
"""

from __future__ import annotations

from typing import Any

from gateway.edifact.specs.stock_messages import STOCK_STRUCTURES

Node = tuple[Any, ...]


def _rff(name: str, m: int = 10) -> Node:
    return (name, "C", m, [("RFF", "M", 1), ("DTM", "C", 5)])


def _nad_group(prefix: str, m: int, n: int, rff_max: int) -> Node:
    # NAD with its references, documents and contacts: the same shape at header and line
    return (
        f"SG{n}",
        "C",
        m,
        [
            ("NAD", "M", 1),
            ("LOC", "C", 25),
            ("FII", "C", 5),
            (f"SG{n + 1}", "C", rff_max, [("RFF", "M", 1), ("DTM", "C", 5)]),
            (f"SG{n + 2}", "C", 5, [("DOC", "M", 1), ("DTM", "C", 5)]),
            (f"SG{n + 3}", "C", 5, [("CTA", "M", 1), ("COM", "C", 5)]),
        ],
    )


def _alc_group(n: int, m: int) -> Node:
    return (
        f"SG{n}",
        "C",
        m,
        [
            ("ALC", "M", 1),
            ("ALI", "C", 5),
            ("DTM", "C", 5),
            (f"SG{n + 1}", "C", 1, [("QTY", "M", 1), ("RNG", "C", 1)]),
            (f"SG{n + 2}", "C", 1, [("PCD", "M", 1), ("RNG", "C", 1)]),
            (f"SG{n + 3}", "C", 2, [("MOA", "M", 1), ("RNG", "C", 1)]),
            (f"SG{n + 4}", "C", 1, [("RTE", "M", 1), ("RNG", "C", 1)]),
            (f"SG{n + 5}", "C", 5, [("TAX", "M", 1), ("MOA", "C", 1)]),
        ],
    )


def _pac_group(n: int, m: int) -> Node:
    return (
        f"SG{n}",
        "C",
        m,
        [
            ("PAC", "M", 1),
            ("MEA", "C", 10),
            ("QTY", "C", 5),
            (
                f"SG{n + 1}",
                "C",
                10,
                [("PCI", "M", 1), ("RFF", "C", 1), ("DTM", "C", 5), ("GIN", "C", 10)],
            ),
        ],
    )


def _order_family(d01b: bool, response: bool) -> list[Node]:
    """ORDERS and ORDRSP share their layout; D01B adds GIR/CCI/DGS in the line."""
    header: list[Node] = [
        ("UNH", "M", 1),
        ("BGM", "M", 1),
        ("DTM", "M", 35),
        ("PAI", "C", 1),
        ("ALI", "C", 5),
        ("IMD", "C", 1),
        ("FTX", "C", 99),
    ]
    if d01b:
        header.append(("GIR", "C", 10))
    header += [
        ("SG1", "C", 9999, [("RFF", "M", 1), ("DTM", "C", 5)]),
        _nad_group("", 99, 2, 10),
        ("SG6", "C", 5, [("TAX", "M", 1), ("MOA", "C", 1), ("LOC", "C", 5)]),
        ("SG7", "C", 5, [("CUX", "M", 1), ("DTM", "C", 5)]),
        ("SG8", "C", 10, [("PAT", "M", 1), ("DTM", "C", 5), ("PCD", "C", 1), ("MOA", "C", 1)]),
        ("SG9", "C", 10, [("TDT", "M", 1), ("SG10", "C", 10, [("LOC", "M", 1), ("DTM", "C", 5)])]),
        ("SG11", "C", 5, [("TOD", "M", 1), ("LOC", "C", 2)]),
        _pac_group(12, 99),
        ("SG14", "C", 10, [("EQD", "M", 1), ("HAN", "C", 5), ("MEA", "C", 5), ("FTX", "C", 5)]),
        (
            "SG15",
            "C",
            10,
            [
                ("SCC", "M", 1),
                ("FTX", "C", 5),
                ("RFF", "C", 5),
                ("SG16", "C", 10, [("QTY", "M", 1), ("DTM", "C", 5)]),
            ],
        ),
        ("SG17", "C", 25, [("APR", "M", 1), ("DTM", "C", 5), ("RNG", "C", 1)]),
        _alc_group(18, 25 if not response else 15),
        ("SG24", "C", 10, [("RCS", "M", 1), ("RFF", "C", 5), ("DTM", "C", 5), ("FTX", "C", 5)]),
    ]
    line: list[Node] = [
        ("LIN", "M", 1),
        ("PIA", "C", 25),
        ("IMD", "C", 99),
        ("MEA", "C", 99),
        ("QTY", "C", 99),
        ("PCD", "C", 5),
        ("ALI", "C", 5),
        ("DTM", "C", 35),
        ("MOA", "C", 10),
        ("GIN", "C", 127),
    ]
    if not response:
        line.append(("GIR", "C", 1000))
    line += [("QVR", "C", 1), ("DOC", "C", 5), ("PAI", "C", 1), ("FTX", "C", 99)]
    if d01b:
        line.append(("SG-CCI", "C", 999, [("CCI", "M", 1), ("CAV", "C", 10), ("MEA", "C", 10)]))
    line += [
        (
            "SG26",
            "C",
            999,
            [("PRI", "M", 1), ("CUX", "C", 1), ("APR", "C", 1), ("RNG", "C", 1), ("DTM", "C", 5)],
        ),
        _rff("SG27"),
        _pac_group(28, 10),
        ("SG30", "C", 9999, [("LOC", "M", 1), ("QTY", "C", 1), ("DTM", "C", 5)]),
        ("SG31", "C", 99, [("TAX", "M", 1), ("MOA", "C", 1), ("LOC", "C", 5)]),
        _nad_group("", 999, 32, 5),
        _alc_group(36, 99),
        ("SG42", "C", 10, [("TDT", "M", 1), ("SG43", "C", 10, [("LOC", "M", 1), ("DTM", "C", 5)])]),
        ("SG44", "C", 5, [("TOD", "M", 1), ("LOC", "C", 2)]),
        ("SG45", "C", 10, [("EQD", "M", 1), ("HAN", "C", 5), ("MEA", "C", 5), ("FTX", "C", 5)]),
        (
            "SG46",
            "C",
            100,
            [
                ("SCC", "M", 1),
                ("FTX", "C", 5),
                ("RFF", "C", 5),
                ("SG47", "C", 10, [("QTY", "M", 1), ("DTM", "C", 5)]),
            ],
        ),
        ("SG48", "C", 25, [("APR", "M", 1), ("DTM", "C", 5), ("RNG", "C", 1)]),
        ("SG49", "C", 10, [("RCS", "M", 1), ("RFF", "C", 5), ("DTM", "C", 5), ("FTX", "C", 5)]),
    ]
    if d01b:
        line.append(("SG-DGS", "C", 10, [("DGS", "M", 1), ("FTX", "C", 5)]))
    return [
        *header,
        ("SG25", "C", 9999, line),
        ("UNS", "M", 1),
        ("MOA", "C", 12),
        ("CNT", "C", 10),
        ("SG-ALC-T", "C", 10, [("ALC", "M", 1), ("ALI", "C", 1), ("MOA", "C", 2)]),
        ("UNT", "M", 1),
    ]


def _desadv(d01b: bool) -> list[Node]:
    pci = [
        ("PCI", "M", 1),
        ("RFF", "C", 1),
        ("DTM", "C", 5),
        ("GIR", "C", 99),
        ("SG14", "C", 10, [("GIN", "M", 1), ("DLM", "C", 100)]),
    ]
    line: list[Node] = [
        ("LIN", "M", 1),
        ("PIA", "C", 10),
        ("IMD", "C", 25),
        ("MEA", "C", 10),
        ("QTY", "C", 10),
        ("ALI", "C", 10),
        ("GIN", "C", 100),
        ("GIR", "C", 100),
        ("DLM", "C", 100),
        ("DTM", "C", 5),
        ("FTX", "C", 5),
        ("MOA", "C", 5),
        _rff("SG16", 10),
        ("SG17", "C", 10, [("DGS", "M", 1), ("QTY", "C", 1), ("FTX", "C", 5)]),
        ("SG18", "C", 100, [("LOC", "M", 1), ("NAD", "C", 1), ("DTM", "C", 1), ("QTY", "C", 10)]),
        ("SG19", "C", 100, [("SGP", "M", 1), ("QTY", "C", 10)]),
        (
            "SG20",
            "C",
            9999,
            [
                ("PCI", "M", 1),
                ("DTM", "C", 5),
                ("MEA", "C", 10),
                ("QTY", "C", 1),
                ("SG21", "C", 10, [("GIN", "M", 1), ("DLM", "C", 100)]),
            ],
        ),
        ("SG22", "C", 10, [("QVR", "M", 1), ("DTM", "C", 5), ("RFF", "C", 1)]),
    ]
    return [
        ("UNH", "M", 1),
        ("BGM", "M", 1),
        ("DTM", "C" if d01b else "M", 10),
        ("ALI", "C", 5),
        ("MEA", "C", 5),
        ("MOA", "C", 5),
        ("SG1", "C", 10, [("RFF", "M", 1), ("DTM", "C", 1)]),
        (
            "SG2",
            "C",
            99,
            [
                ("NAD", "M", 1),
                ("LOC", "C", 10),
                _rff("SG3", 10),
                ("SG4", "C", 10, [("CTA", "M", 1), ("COM", "C", 5)]),
            ],
        ),
        ("SG5", "C", 10, [("TOD", "M", 1), ("LOC", "C", 2), ("FTX", "C", 5)]),
        (
            "SG6",
            "C",
            10,
            [
                ("TDT", "M", 1),
                ("PCD", "C", 10),
                ("SG7", "C", 10, [("LOC", "M", 1), ("DTM", "C", 5)]),
            ],
        ),
        (
            "SG8",
            "C",
            999,
            [
                ("EQD", "M", 1),
                ("MEA", "C", 5),
                ("SEL", "C", 25),
                ("EQA", "C", 5),
                ("SG9", "C", 10, [("HAN", "M", 1), ("FTX", "C", 10)]),
            ],
        ),
        (
            "SG10",
            "M" if not d01b else "C",
            9999,
            [
                ("CPS", "M", 1),
                ("FTX", "C", 5),
                (
                    "SG11",
                    "C",
                    9999,
                    [
                        ("PAC", "M", 1),
                        ("MEA", "C", 10),
                        ("QTY", "C", 10),
                        ("SG12", "C", 10, [("HAN", "M", 1), ("FTX", "C", 10)]),
                        ("SG13", "C", 1000, pci),
                    ],
                ),
                ("SG15", "C", 9999, line),
            ],
        ),
        ("CNT", "C", 5),
        ("UNT", "M", 1),
    ]


def _aperak(d01b: bool) -> list[Node]:
    """APERAK, the application error message we write. From D99A on, DOC-DTM is SG1
    and the groups after it are numbered one higher."""
    groups: list[Node] = [
        ("RFF-DTM", "C", 9, [("RFF", "M", 1), ("DTM", "C", 9)]),
        ("NAD-CTA-COM", "C", 9, [("NAD", "M", 1), ("CTA", "C", 9), ("COM", "C", 9)]),
        (
            "ERC-FTX",
            "C",
            99999 if d01b else 999,
            [
                ("ERC", "M", 1),
                ("FTX", "C", 1),
                ("RFF-FTX", "C", 1, [("RFF", "M", 1), ("FTX", "C", 9)]),
            ],
        ),
    ]
    if d01b:
        groups.insert(0, ("DOC-DTM", "C", 99, [("DOC", "M", 1), ("DTM", "C", 99)]))
    numbered = _number_groups(groups)
    return [
        ("UNH", "M", 1),
        ("BGM", "M", 1),
        ("DTM", "C", 9),
        ("FTX", "C", 9),
        ("CNT", "C", 9),
        *numbered,
        ("UNT", "M", 1),
    ]


def _number_groups(groups: list[Node]) -> list[Node]:
    """Name segment groups SG1, SG2 ... in the order they appear (nested ones included)."""
    counter = 0

    def number(node: Node) -> Node:
        nonlocal counter
        if len(node) == 3:
            return node
        counter += 1
        name = f"SG{counter}"
        return (name, node[1], node[2], [number(child) for child in node[3]])

    return [number(group) for group in groups]


def _invoic(d01b: bool) -> list[Node]:
    line: list[Node] = [
        ("LIN", "M", 1),
        ("PIA", "C", 25),
        ("IMD", "C", 10),
        ("MEA", "C", 5),
        ("QTY", "C", 5),
        ("PCD", "C", 1),
        ("ALI", "C", 5),
        ("DTM", "C", 35),
        ("GIN", "C", 1000),
        ("GIR", "C", 1000),
        ("QVR", "C", 1),
        ("EQD", "C", 1),
        ("FTX", "C", 5),
        ("SG26", "C", 5, [("MOA", "M", 1), ("CUX", "C", 1)]),
        ("SG27", "C", 10, [("PAT", "M", 1), ("DTM", "C", 5), ("PCD", "C", 1), ("MOA", "C", 1)]),
        (
            "SG28",
            "C",
            25,
            [("PRI", "M", 1), ("CUX", "C", 1), ("APR", "C", 1), ("RNG", "C", 1), ("DTM", "C", 5)],
        ),
        _rff("SG29", 10),
        _pac_group(30, 10),
        ("SG32", "C", 9999, [("LOC", "M", 1), ("QTY", "C", 100), ("DTM", "C", 5)]),
        ("SG33", "C", 99, [("TAX", "M", 1), ("MOA", "C", 1), ("LOC", "C", 5)]),
        _nad_group("", 99, 34, 5),
        _alc_group(38, 30),
        ("SG44", "C", 10, [("TDT", "M", 1), ("SG45", "C", 10, [("LOC", "M", 1), ("DTM", "C", 5)])]),
        ("SG46", "C", 5, [("TOD", "M", 1), ("LOC", "C", 2)]),
        ("SG47", "C", 100, [("RCS", "M", 1), ("RFF", "C", 5), ("DTM", "C", 5), ("FTX", "C", 5)]),
    ]
    if d01b:
        line.append(("SG-DGS", "C", 10, [("DGS", "M", 1), ("QTY", "C", 1), ("FTX", "C", 5)]))
    header: list[Node] = [
        ("UNH", "M", 1),
        ("BGM", "M", 1),
        ("DTM", "M", 35),
        ("PAI", "C", 1),
        ("ALI", "C", 5),
        ("IMD", "C", 1),
        ("FTX", "C", 99),
        ("LOC", "C", 10),
    ]
    if d01b:
        header.append(("GIR", "C", 10))
    header += [
        ("SG1", "C", 99, [("RFF", "M", 1), ("DTM", "C", 5)]),
        _nad_group("", 99, 2, 9999),
        ("SG6", "C", 5, [("TAX", "M", 1), ("MOA", "C", 1), ("LOC", "C", 5)]),
        ("SG7", "C", 5, [("CUX", "M", 1), ("DTM", "C", 5)]),
        ("SG8", "C", 10, [("PAT", "M", 1), ("DTM", "C", 5), ("PCD", "C", 1), ("MOA", "C", 1)]),
        ("SG9", "C", 10, [("TDT", "M", 1), ("SG10", "C", 10, [("LOC", "M", 1), ("DTM", "C", 5)])]),
        ("SG11", "C", 5, [("TOD", "M", 1), ("LOC", "C", 2)]),
        _pac_group(12, 1000),
        _alc_group(14, 15),
        ("SG21", "C", 10, [("RCS", "M", 1), ("RFF", "C", 5), ("DTM", "C", 5), ("FTX", "C", 5)]),
        ("SG22", "C", 1, [("AJT", "M", 1), ("FTX", "C", 5)]),
        ("SG23", "C", 1, [("INP", "M", 1), ("FTX", "C", 5), ("DTM", "C", 5)]),
    ]
    return [
        *header,
        ("SG25", "C", 9999, line),
        ("UNS", "M", 1),
        ("CNT", "C", 10),
        ("SG48", "M", 100, [("MOA", "M", 1), ("SG49", "C", 1, [("RFF", "M", 1), ("DTM", "C", 5)])]),
        ("SG50", "C", 10, [("TAX", "M", 1), ("MOA", "C", 2)]),
        ("SG51", "C", 15, [("ALC", "M", 1), ("ALI", "C", 1), ("MOA", "C", 2)]),
        ("UNT", "M", 1),
    ]


#: (message type, directory) -> structure
STRUCTURES: dict[tuple[str, str], list[Node]] = {
    ("APERAK", "D96A"): _aperak(d01b=False),
    ("APERAK", "D01B"): _aperak(d01b=True),
    ("ORDERS", "D96A"): _order_family(d01b=False, response=False),
    ("ORDERS", "D01B"): _order_family(d01b=True, response=False),
    # ORDCHG is built on the ORDERS layout: the same header groups (BGM with 1225 = 4
    # change / 1 cancellation, DTM, RFF+ON for the order it changes, NAD, CUX ...) and the
    # same LIN group, whose LIN 1229 action code says what happens to the line (1 added,
    # 2 deleted, 3 changed); UN/EDIFACT ORDCHG, stedi.com/edi/edifact/<dir>/messages/ORDCHG
    ("ORDCHG", "D96A"): _order_family(d01b=False, response=False),
    ("ORDCHG", "D01B"): _order_family(d01b=True, response=False),
    ("ORDRSP", "D96A"): _order_family(d01b=False, response=True),
    ("ORDRSP", "D01B"): _order_family(d01b=True, response=True),
    ("DESADV", "D96A"): _desadv(d01b=False),
    ("DESADV", "D01B"): _desadv(d01b=True),
    ("INVOIC", "D96A"): _invoic(d01b=False),
    ("INVOIC", "D01B"): _invoic(d01b=True),
    # INVRPT, PRICAT: what a seller publishes (gateway/edifact/specs/stock_messages.py)
    **STOCK_STRUCTURES,
}

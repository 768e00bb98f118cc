"""Transaction set structures for 850, 855, 856, 810, 860 (and the 997/999 we receive, the
824 we write).

Each set is a declarative table: a list of entries, in the order the standard fixes,
each either a segment ``(tag, requirement, max use)`` or a loop
``("loop", loop id, requirement, max repeats, [entries])`` whose first entry is its
trigger segment. ``requirement`` is ``"M"`` or ``"O"``; a max of 0 means ">1"
(unbounded). The tables follow the 004010 structures and serve 005010 too: between
the two releases these sets mostly gained optional segments and elements, and a
segment a table lacks is reported as unexpected (code 2), a warning, never a
rejection. The 856 HL hierarchy is one recursive HL loop, as in the standard; the
level rules (shipment / order / tare / pack / item) are data in ``HL_LEVELS``, and
``HIERARCHIES`` names the sets whose HL loop the validator checks against them. The
mapping engine reads ``SETS`` for the known tags.
"""

from __future__ import annotations

from typing import Any

from gateway.x12.specs.stock_sets import STOCK_SETS

Entry = Any  # tuple[str, str, int] | tuple[str, str, str, int, list[Entry]]

_N1_LOOP_HEADER: list[Entry] = [
    ("N1", "M", 1),
    ("N2", "O", 2),
    ("N3", "O", 2),
    ("N4", "O", 0),
    ("NX2", "O", 0),
    ("REF", "O", 12),
    ("PER", "O", 0),
    ("SI", "O", 0),
    ("FOB", "O", 1),
    ("TD1", "O", 2),
    ("TD5", "O", 12),
    ("TD3", "O", 12),
    ("TD4", "O", 5),
    ("PKG", "O", 200),
]

SET_850: list[Entry] = [
    ("ST", "M", 1),
    ("BEG", "M", 1),
    ("CUR", "O", 1),
    ("REF", "O", 0),
    ("PER", "O", 3),
    ("TAX", "O", 0),
    ("FOB", "O", 0),
    ("CTP", "O", 0),
    ("PAM", "O", 10),
    ("CSH", "O", 5),
    ("TC2", "O", 0),
    ("loop", "SAC", "O", 25, [("SAC", "M", 1), ("CUR", "O", 1)]),
    ("ITD", "O", 0),
    ("DIS", "O", 20),
    ("INC", "O", 1),
    ("DTM", "O", 10),
    ("LDT", "O", 12),
    ("LIN", "O", 5),
    ("SI", "O", 0),
    ("PID", "O", 200),
    ("MEA", "O", 40),
    ("PWK", "O", 25),
    ("PKG", "O", 200),
    ("TD1", "O", 2),
    ("TD5", "O", 0),
    ("TD3", "O", 12),
    ("TD4", "O", 5),
    ("MAN", "O", 10),
    ("PCT", "O", 0),
    ("CTB", "O", 5),
    ("TXI", "O", 0),
    ("loop", "AMT", "O", 0, [("AMT", "M", 1), ("REF", "O", 0), ("DTM", "O", 1), ("PCT", "O", 0)]),
    ("loop", "N9", "O", 1000, [("N9", "M", 1), ("DTM", "O", 0), ("MSG", "O", 1000)]),
    ("loop", "N1", "O", 200, _N1_LOOP_HEADER),
    ("loop", "LM", "O", 0, [("LM", "M", 1), ("LQ", "M", 0)]),
    ("loop", "SPI", "O", 0, [("SPI", "M", 1), ("REF", "O", 5), ("DTM", "O", 5), ("MSG", "O", 50)]),
    ("loop", "ADV", "O", 0, [("ADV", "M", 1), ("DTM", "O", 0), ("MTX", "O", 0)]),
    (
        "loop",
        "PO1",
        "M",
        100000,
        [
            ("PO1", "M", 1),
            ("LIN", "O", 0),
            ("SI", "O", 0),
            ("CUR", "O", 1),
            ("CN1", "O", 1),
            ("PO3", "O", 25),
            ("loop", "CTP", "O", 0, [("CTP", "M", 1), ("CUR", "O", 1)]),
            ("PAM", "O", 10),
            ("MEA", "O", 40),
            ("loop", "PID", "O", 1000, [("PID", "M", 1), ("MEA", "O", 10)]),
            ("PWK", "O", 25),
            ("PO4", "O", 0),
            ("REF", "O", 0),
            ("PER", "O", 3),
            ("loop", "SAC", "O", 25, [("SAC", "M", 1), ("CUR", "O", 1), ("CTP", "O", 1)]),
            ("IT8", "O", 1),
            ("CSH", "O", 0),
            ("ITD", "O", 2),
            ("DIS", "O", 20),
            ("INC", "O", 1),
            ("TAX", "O", 0),
            ("FOB", "O", 0),
            ("SDQ", "O", 500),
            ("IT3", "O", 5),
            ("DTM", "O", 10),
            ("TC2", "O", 0),
            ("TD1", "O", 1),
            ("TD5", "O", 0),
            ("TD3", "O", 12),
            ("TD4", "O", 5),
            ("PCT", "O", 0),
            ("MAN", "O", 10),
            ("MSG", "O", 0),
            ("SPI", "O", 0),
            ("TXI", "O", 0),
            ("CTB", "O", 0),
            ("loop", "QTY", "O", 0, [("QTY", "M", 1), ("SI", "O", 0)]),
            (
                "loop",
                "SCH",
                "O",
                200,
                [
                    ("SCH", "M", 1),
                    ("TD1", "O", 2),
                    ("TD5", "O", 0),
                    ("TD3", "O", 12),
                    ("TD4", "O", 5),
                    ("REF", "O", 0),
                ],
            ),
            ("loop", "PKG", "O", 200, [("PKG", "M", 1), ("MEA", "O", 0)]),
            ("LS", "O", 1),
            (
                "loop",
                "LDT",
                "O",
                1000,
                [("LDT", "M", 1), ("QTY", "O", 0), ("MSG", "O", 0), ("REF", "O", 3)],
            ),
            ("LE", "O", 1),
            (
                "loop",
                "N9",
                "O",
                1000,
                [("N9", "M", 1), ("DTM", "O", 0), ("MEA", "O", 40), ("MSG", "O", 1000)],
            ),
            (
                "loop",
                "N1",
                "O",
                200,
                [
                    ("N1", "M", 1),
                    ("N2", "O", 2),
                    ("N3", "O", 2),
                    ("N4", "O", 1),
                    ("QTY", "O", 0),
                    ("NX2", "O", 0),
                    ("REF", "O", 12),
                    ("PER", "O", 3),
                    ("SI", "O", 0),
                    ("DTM", "O", 1),
                    ("FOB", "O", 1),
                    ("SCH", "O", 200),
                    ("TD1", "O", 2),
                    ("TD5", "O", 12),
                    ("TD3", "O", 12),
                    ("TD4", "O", 5),
                    ("PKG", "O", 200),
                ],
            ),
            (
                "loop",
                "SLN",
                "O",
                1000,
                [
                    ("SLN", "M", 1),
                    ("MSG", "O", 0),
                    ("SI", "O", 0),
                    ("PID", "O", 1000),
                    ("PO3", "O", 104),
                    ("TC2", "O", 0),
                    ("ADV", "O", 10),
                    ("DTM", "O", 10),
                    ("CTP", "O", 25),
                    ("PAM", "O", 10),
                    ("PO4", "O", 1),
                    ("TAX", "O", 3),
                    ("SAC", "O", 25),
                    ("REF", "O", 0),
                    ("N1", "O", 0),
                ],
            ),
            ("loop", "AMT", "O", 0, [("AMT", "M", 1), ("REF", "O", 1), ("PCT", "O", 0)]),
        ],
    ),
    ("loop", "CTT", "O", 1, [("CTT", "M", 1), ("AMT", "O", 1)]),
    ("AMT", "O", 1),
    ("SE", "M", 1),
]

SET_855: list[Entry] = [
    ("ST", "M", 1),
    ("BAK", "M", 1),
    ("CUR", "O", 1),
    ("REF", "O", 0),
    ("PER", "O", 3),
    ("TAX", "O", 0),
    ("FOB", "O", 0),
    ("CTP", "O", 0),
    ("PAM", "O", 10),
    ("CSH", "O", 5),
    ("loop", "SAC", "O", 25, [("SAC", "M", 1), ("CUR", "O", 1)]),
    ("ITD", "O", 5),
    ("DIS", "O", 20),
    ("INC", "O", 1),
    ("DTM", "O", 10),
    ("LDT", "O", 12),
    ("LIN", "O", 5),
    ("SI", "O", 0),
    ("PID", "O", 200),
    ("MEA", "O", 40),
    ("PWK", "O", 25),
    ("PKG", "O", 200),
    ("TD1", "O", 2),
    ("TD5", "O", 0),
    ("TD3", "O", 12),
    ("TD4", "O", 5),
    ("MAN", "O", 10),
    ("CTB", "O", 5),
    ("TXI", "O", 0),
    ("loop", "N9", "O", 1000, [("N9", "M", 1), ("DTM", "O", 0), ("MSG", "O", 1000)]),
    ("loop", "N1", "O", 200, _N1_LOOP_HEADER),
    ("loop", "ADV", "O", 0, [("ADV", "M", 1), ("DTM", "O", 0), ("MTX", "O", 0)]),
    (
        "loop",
        "PO1",
        "O",
        100000,
        [
            ("PO1", "M", 1),
            ("LIN", "O", 0),
            ("SI", "O", 0),
            ("CUR", "O", 1),
            ("CN1", "O", 1),
            ("PO3", "O", 25),
            ("loop", "CTP", "O", 0, [("CTP", "M", 1), ("CUR", "O", 1)]),
            ("PAM", "O", 10),
            ("MEA", "O", 40),
            ("loop", "PID", "O", 1000, [("PID", "M", 1), ("MEA", "O", 10)]),
            ("PWK", "O", 25),
            ("PO4", "O", 0),
            ("REF", "O", 0),
            ("PER", "O", 3),
            ("loop", "SAC", "O", 25, [("SAC", "M", 1), ("CUR", "O", 1)]),
            ("IT8", "O", 1),
            ("CSH", "O", 0),
            ("ITD", "O", 2),
            ("DIS", "O", 20),
            ("INC", "O", 1),
            ("TAX", "O", 0),
            ("FOB", "O", 0),
            ("SDQ", "O", 500),
            ("IT3", "O", 5),
            ("DTM", "O", 10),
            ("TC2", "O", 0),
            ("TD1", "O", 1),
            ("TD5", "O", 0),
            ("TD3", "O", 12),
            ("TD4", "O", 5),
            ("PCT", "O", 0),
            ("MAN", "O", 10),
            ("MSG", "O", 0),
            ("SPI", "O", 0),
            ("TXI", "O", 0),
            ("CTB", "O", 0),
            ("loop", "QTY", "O", 0, [("QTY", "M", 1), ("SI", "O", 0)]),
            ("loop", "ACK", "O", 104, [("ACK", "M", 1), ("DTM", "O", 10)]),
            (
                "loop",
                "SCH",
                "O",
                104,
                [
                    ("SCH", "M", 1),
                    ("TD1", "O", 2),
                    ("TD5", "O", 0),
                    ("TD3", "O", 12),
                    ("TD4", "O", 5),
                    ("REF", "O", 0),
                ],
            ),
            ("loop", "N9", "O", 1000, [("N9", "M", 1), ("DTM", "O", 0), ("MSG", "O", 1000)]),
            (
                "loop",
                "N1",
                "O",
                200,
                [
                    ("N1", "M", 1),
                    ("N2", "O", 2),
                    ("N3", "O", 2),
                    ("N4", "O", 1),
                    ("NX2", "O", 0),
                    ("REF", "O", 12),
                    ("PER", "O", 0),
                    ("SI", "O", 0),
                    ("DTM", "O", 1),
                    ("FOB", "O", 1),
                    ("SCH", "O", 200),
                    ("TD1", "O", 2),
                    ("TD5", "O", 12),
                    ("TD3", "O", 12),
                    ("TD4", "O", 5),
                    ("PKG", "O", 200),
                ],
            ),
            (
                "loop",
                "SLN",
                "O",
                1000,
                [
                    ("SLN", "M", 1),
                    ("MSG", "O", 0),
                    ("SI", "O", 0),
                    ("PID", "O", 1000),
                    ("PO3", "O", 104),
                    ("ACK", "O", 104),
                    ("DTM", "O", 10),
                    ("N1", "O", 0),
                ],
            ),
        ],
    ),
    ("loop", "CTT", "O", 1, [("CTT", "M", 1), ("AMT", "O", 1)]),
    ("SE", "M", 1),
]

SET_856: list[Entry] = [
    ("ST", "M", 1),
    ("BSN", "M", 1),
    ("DTM", "O", 10),
    (
        "loop",
        "HL",
        "M",
        200000,
        [
            ("HL", "M", 1),
            ("LIN", "O", 1),
            ("SN1", "O", 1),
            ("SLN", "O", 1000),
            ("PRF", "O", 1),
            ("PO4", "O", 1),
            ("PID", "O", 200),
            ("MEA", "O", 40),
            ("PWK", "O", 25),
            ("PKG", "O", 25),
            ("TD1", "O", 20),
            ("TD5", "O", 12),
            ("TD3", "O", 12),
            ("TD4", "O", 5),
            ("TSD", "O", 1),
            ("REF", "O", 0),
            ("PER", "O", 3),
            (
                "loop",
                "LH1",
                "O",
                100,
                [
                    ("LH1", "M", 1),
                    ("LH2", "O", 4),
                    ("LH3", "O", 10),
                    ("LFH", "O", 20),
                    ("LEP", "O", 0),
                    ("LH4", "O", 1),
                    ("LHT", "O", 3),
                    ("LHR", "O", 10),
                    ("PER", "O", 5),
                    ("LHE", "O", 1),
                ],
            ),
            ("loop", "CLD", "O", 200, [("CLD", "M", 1), ("REF", "O", 200), ("DTP", "O", 1)]),
            ("MAN", "O", 0),
            ("DTM", "O", 10),
            ("FOB", "O", 1),
            ("PAL", "O", 1),
            (
                "loop",
                "N1",
                "O",
                200,
                [
                    ("N1", "M", 1),
                    ("N2", "O", 2),
                    ("N3", "O", 2),
                    ("N4", "O", 1),
                    ("REF", "O", 12),
                    ("PER", "O", 3),
                    ("FOB", "O", 1),
                ],
            ),
            ("SDQ", "O", 50),
            ("ETD", "O", 1),
            ("CUR", "O", 0),
            ("loop", "SAC", "O", 0, [("SAC", "M", 1), ("CUR", "O", 1)]),
            ("GF", "O", 1),
            ("YNQ", "O", 10),
            ("loop", "LM", "O", 0, [("LM", "M", 1), ("LQ", "M", 0)]),
            ("loop", "V1", "O", 0, [("V1", "M", 1), ("R4", "O", 0), ("DTM", "O", 0)]),
        ],
    ),
    ("CTT", "O", 1),
    ("SE", "M", 1),
]

SET_810: list[Entry] = [
    ("ST", "M", 1),
    ("BIG", "M", 1),
    ("NTE", "O", 100),
    ("CUR", "O", 1),
    ("REF", "O", 12),
    ("YNQ", "O", 10),
    ("PER", "O", 3),
    (
        "loop",
        "N1",
        "O",
        200,
        [
            ("N1", "M", 1),
            ("N2", "O", 2),
            ("N3", "O", 2),
            ("N4", "O", 1),
            ("REF", "O", 12),
            ("PER", "O", 3),
            ("DMG", "O", 1),
        ],
    ),
    ("ITD", "O", 0),
    ("DTM", "O", 10),
    ("FOB", "O", 1),
    ("PID", "O", 200),
    ("MEA", "O", 40),
    ("PWK", "O", 25),
    ("PKG", "O", 25),
    ("L7", "O", 1),
    ("BAL", "O", 0),
    ("INC", "O", 1),
    ("PAM", "O", 0),
    ("loop", "LM", "O", 10, [("LM", "M", 1), ("LQ", "M", 100)]),
    ("loop", "N9", "O", 1, [("N9", "M", 1), ("MSG", "O", 10)]),
    ("loop", "V1", "O", 0, [("V1", "M", 1), ("R4", "O", 0), ("DTM", "O", 0)]),
    ("loop", "FA1", "O", 0, [("FA1", "M", 1), ("FA2", "M", 0)]),
    (
        "loop",
        "IT1",
        "O",
        200000,
        [
            ("IT1", "M", 1),
            ("CRC", "O", 1),
            ("QTY", "O", 5),
            ("CUR", "O", 1),
            ("IT3", "O", 5),
            ("TXI", "O", 10),
            ("CTP", "O", 25),
            ("PAM", "O", 10),
            ("MEA", "O", 40),
            ("loop", "PID", "O", 1000, [("PID", "M", 1), ("MEA", "O", 10)]),
            ("PWK", "O", 25),
            ("PKG", "O", 25),
            ("PO4", "O", 1),
            ("ITD", "O", 2),
            ("REF", "O", 0),
            ("YNQ", "O", 10),
            ("PER", "O", 5),
            ("SDQ", "O", 500),
            ("DTM", "O", 10),
            ("CAD", "O", 0),
            ("L7", "O", 0),
            ("SR", "O", 1),
            ("loop", "SAC", "O", 25, [("SAC", "M", 1), ("TXI", "O", 10)]),
            (
                "loop",
                "SLN",
                "O",
                1000,
                [
                    ("SLN", "M", 1),
                    ("DTM", "O", 1),
                    ("REF", "O", 0),
                    ("PID", "O", 1000),
                    ("SAC", "O", 25),
                    ("TC2", "O", 2),
                    ("TXI", "O", 10),
                ],
            ),
            (
                "loop",
                "N1",
                "O",
                200,
                [
                    ("N1", "M", 1),
                    ("N2", "O", 2),
                    ("N3", "O", 2),
                    ("N4", "O", 1),
                    ("REF", "O", 12),
                    ("PER", "O", 3),
                    ("DMG", "O", 1),
                ],
            ),
            ("loop", "LM", "O", 10, [("LM", "M", 1), ("LQ", "M", 100)]),
            ("loop", "V1", "O", 0, [("V1", "M", 1), ("R4", "O", 0), ("DTM", "O", 0)]),
            ("loop", "FA1", "O", 0, [("FA1", "M", 1), ("FA2", "M", 0)]),
        ],
    ),
    ("TDS", "M", 1),
    ("TXI", "O", 10),
    ("CAD", "O", 1),
    ("AMT", "O", 0),
    ("loop", "SAC", "O", 25, [("SAC", "M", 1), ("TXI", "O", 10)]),
    ("loop", "ISS", "O", 0, [("ISS", "M", 1), ("PID", "O", 1)]),
    ("CTT", "O", 1),
    ("SE", "M", 1),
]

SET_997: list[Entry] = [
    ("ST", "M", 1),
    ("AK1", "M", 1),
    (
        "loop",
        "AK2",
        "O",
        0,
        [
            ("AK2", "M", 1),
            ("loop", "AK3", "O", 0, [("AK3", "M", 1), ("AK4", "O", 99)]),
            ("AK5", "M", 1),
        ],
    ),
    ("AK9", "M", 1),
    ("SE", "M", 1),
]

SET_999: list[Entry] = [
    ("ST", "M", 1),
    ("AK1", "M", 1),
    (
        "loop",
        "AK2",
        "O",
        0,
        [
            ("AK2", "M", 1),
            (
                "loop",
                "IK3",
                "O",
                0,
                [
                    ("IK3", "M", 1),
                    ("CTX", "O", 10),
                    ("loop", "IK4", "O", 99, [("IK4", "M", 1), ("CTX", "O", 10)]),
                ],
            ),
            ("IK5", "M", 1),
        ],
    ),
    ("AK9", "M", 1),
    ("SE", "M", 1),
]

# 824 Application Advice (we write it: one OTI loop per transaction set we could not
# use, one TED loop per error). 004010 structure; 005010 added CTX in the TED loop.
SET_824: list[Entry] = [
    ("ST", "M", 1),
    ("BGN", "M", 1),
    (
        "loop",
        "N1",
        "O",
        0,
        [("N1", "M", 1), ("N2", "O", 2), ("N3", "O", 2), ("N4", "O", 1), ("REF", "O", 12)],
    ),
    (
        "loop",
        "OTI",
        "O",
        0,
        [
            ("OTI", "M", 1),
            ("REF", "O", 12),
            ("DTM", "O", 2),
            ("PER", "O", 3),
            ("AMT", "O", 0),
            ("QTY", "O", 0),
            (
                "loop",
                "TED",
                "O",
                0,
                [("TED", "M", 1), ("CTX", "O", 10), ("NTE", "O", 100), ("RED", "O", 100)],
            ),
        ],
    ),
    ("SE", "M", 1),
]


def _change_request(order: list[Entry]) -> list[Entry]:
    """The 860 from the 850: BCH for BEG, a POC detail loop carrying the PO1 loop's segments.

    The 860 (Purchase Order Change Request - Buyer Initiated) repeats the 850's heading
    with BCH (Beginning Segment for Purchase Order Change) in BEG's place, and its detail
    is one POC (Line Item Change) loop holding what the 850's PO1 loop holds (LIN, SI,
    CUR, PO3, CTP, PID, PO4, REF, SAC, DTM, TD5, SCH, N9, N1, SLN ...); the summary is the
    same CTT loop. Checked against the 004010 and 005010 860 implementation guides
    published by Stedi (stedi.com/app/guides, heading ST/BCH/CUR/REF/PER/.../DTM, detail
    "POC Loop") and the POC segment reference (stedi.com/edi/x12/segment/POC).
    """
    out: list[Entry] = []
    for entry in order:
        if entry[0] == "BEG":
            out.append(("BCH", "M", 1))
        elif entry[0] == "loop" and entry[1] == "PO1":
            body = [("POC", "M", 1), *entry[4][1:]]
            out.append(("loop", "POC", "O", 100000, body))
        else:
            out.append(entry)
    return out


SET_860: list[Entry] = _change_request(SET_850)

# set id -> (name, functional group id, structure)
SETS: dict[str, tuple[str, str, list[Entry]]] = {
    "850": ("Purchase Order", "PO", SET_850),
    "855": ("Purchase Order Acknowledgment", "PR", SET_855),
    "856": ("Ship Notice/Manifest", "SH", SET_856),
    "810": ("Invoice", "IN", SET_810),
    "824": ("Application Advice", "AG", SET_824),
    "860": ("Purchase Order Change Request - Buyer Initiated", "PC", SET_860),
    "997": ("Functional Acknowledgment", "FA", SET_997),
    "999": ("Implementation Acknowledgment", "FA", SET_999),
    **STOCK_SETS,  # 846, 832: what a seller publishes (gateway/x12/specs/stock_sets.py)
}

# Versions (GS08 / ST03 prefixes) validated against these tables; others are generic.
# 004030 and 004060 sit between the two releases the tables were written from, and are
# validated with them the way 005010 is: a segment those releases added is reported as
# unexpected (a warning), never a rejection. Spot-checked against the X12 reference
# published by Stedi (stedi.com/edi/x12-004030, /x12-004060: BEG, ACK layouts) and against
# the corpus files of those releases; not a segment-by-segment audit of every set.
# Sorted: the acknowledgement writer picks the nearest release at or below a group's.
VERSIONS = ("004010", "004030", "004060", "005010")

# 856 HL03 level codes and which levels may sit under which (None = top level).
HL_LEVELS: dict[str, frozenset[str | None]] = {
    "S": frozenset({None}),  # shipment
    "O": frozenset({"S"}),  # order
    "T": frozenset({"S", "O"}),  # tare (pallet)
    "P": frozenset({"S", "O", "T"}),  # pack (carton)
    "I": frozenset({"S", "O", "T", "P"}),  # item
    "Q": frozenset({"S", "O", "T", "P", "I"}),  # subpack
    "F": frozenset({"S", "O", "T", "P", "I"}),  # component
}

# Sets built on an HL hierarchy -> their level rules (HL01 sequence, HL02 parent, HL03 level).
HIERARCHIES: dict[str, dict[str, frozenset[str | None]]] = {"856": HL_LEVELS}

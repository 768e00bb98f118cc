"""Transaction set structures for what a seller publishes: the 846 Inventory
Inquiry/Advice and the 832 Price/Sales Catalog (004010, serving 005010 as the other
tables do).

Same notation as :mod:`gateway.x12.specs.sets`. Sources: the 004010 846 implementation
guide tables (heading ST/BIA/CUR/REF/PER/MEA/.../DTM, N1 loop; detail LIN loop, 10000
repeats, with PID/MEA/PKG/DTM/CTP/CUR/SAC/REF/PER/SDQ/MAN/UIT/.../LDT and the QTY loop
(QTY, UIT, MEA, LDT, DTM, SCH loop); summary CTT) and the 004010 832 table (heading
ST/BCT/CTP/REF/YNQ/PER/DTM/CTB/CUR/ITD/LDT/SAC/TD1/TD5/TD3/TD4/FOB/PKG/G93/TXI/AAA, N1
loop; detail LIN loop with PO1/G53/SI/DTM/REF/YNQ/PER/CRD/CTB/PID/MEA/PKG/PO4/TD*/ITD/
LDT/SAC/FOB/AAA/TC2/TXI/G55/G54, the CTP loop (CTP, G40, DTM, G36, LDT, CUR, PO4, CTB,
REF, G43, SAC, G26) and N1 loop; summary CTT), as published in the EdiFabric 004010
templates and the Eddy X12 definitions. Loops no seller of ours writes (LM, SLN, G39,
PKL, LFG, N9 in the 832 detail) are left out: a segment of theirs is then reported as
unexpected (a warning), never silently accepted in the wrong place.
"""

from __future__ import annotations

from typing import Any

Entry = Any  # as in gateway.x12.specs.sets (which merges these tables)

_N1_LOOP: list[Entry] = [
    ("N1", "M", 1),
    ("N2", "O", 2),
    ("N3", "O", 2),
    ("N4", "O", 1),
    ("REF", "O", 12),
    ("PER", "O", 3),
    ("DTM", "O", 10),
]

SET_846: list[Entry] = [
    ("ST", "M", 1),
    ("BIA", "M", 1),
    ("CUR", "O", 1),
    ("REF", "O", 12),
    ("PER", "O", 3),
    ("MEA", "O", 20),
    ("DTM", "O", 10),
    ("loop", "N1", "O", 5, _N1_LOOP),
    (
        "loop",
        "LIN",
        "M",
        10000,
        [
            ("LIN", "M", 1),
            ("SLN", "O", 100),
            ("PID", "O", 200),
            ("MEA", "O", 40),
            ("PKG", "O", 25),
            ("PO4", "O", 1),
            ("DTM", "O", 10),
            ("CTP", "O", 25),
            ("CUR", "O", 1),
            ("SAC", "O", 25),
            ("REF", "O", 0),
            ("PER", "O", 3),
            ("SDQ", "O", 500),
            ("MAN", "O", 1),
            ("UIT", "O", 5),
            ("LDT", "O", 12),
            (
                "loop",
                "QTY",
                "O",
                99,
                [
                    ("QTY", "M", 1),
                    ("UIT", "O", 12),
                    ("MEA", "O", 25),
                    ("LDT", "O", 12),
                    ("DTM", "O", 10),
                    ("loop", "SCH", "O", 25, [("SCH", "M", 1), ("MEA", "O", 25)]),
                ],
            ),
            ("loop", "N1", "O", 200, _N1_LOOP),
        ],
    ),
    ("CTT", "O", 1),
    ("SE", "M", 1),
]

SET_832: list[Entry] = [
    ("ST", "M", 1),
    ("BCT", "M", 1),
    ("CTP", "O", 0),
    ("REF", "O", 0),
    ("YNQ", "O", 10),
    ("PER", "O", 0),
    ("DTM", "O", 10),
    ("CTB", "O", 0),
    ("CUR", "O", 5),
    ("ITD", "O", 0),
    ("LDT", "O", 0),
    ("SAC", "O", 0),
    ("TD1", "O", 0),
    ("TD5", "O", 0),
    ("TD3", "O", 0),
    ("TD4", "O", 0),
    ("FOB", "O", 1),
    ("PKG", "O", 0),
    ("G93", "O", 0),
    ("TXI", "O", 0),
    ("AAA", "O", 1),
    ("loop", "N1", "O", 200, [*_N1_LOOP, ("PKG", "O", 0)]),
    (
        "loop",
        "LIN",
        "O",
        100000,
        [
            ("LIN", "M", 1),
            ("PO1", "O", 1),
            ("G53", "O", 1),
            ("SI", "O", 0),
            ("DTM", "O", 10),
            ("REF", "O", 0),
            ("YNQ", "O", 10),
            ("PER", "O", 0),
            ("CRD", "O", 0),
            ("CTB", "O", 0),
            ("PID", "O", 200),
            ("MEA", "O", 40),
            ("PKG", "O", 25),
            ("PO4", "O", 1),
            ("TD1", "O", 0),
            ("TD5", "O", 0),
            ("TD3", "O", 0),
            ("TD4", "O", 0),
            ("ITD", "O", 0),
            ("LDT", "O", 1),
            ("SAC", "O", 0),
            ("FOB", "O", 1),
            ("AAA", "O", 1),
            ("TC2", "O", 0),
            ("TXI", "O", 0),
            ("G55", "O", 1),
            ("G54", "O", 1),
            (
                "loop",
                "CTP",
                "O",
                0,
                [
                    ("CTP", "M", 1),
                    ("G40", "O", 0),
                    ("DTM", "O", 10),
                    ("G36", "O", 1),
                    ("LDT", "O", 1),
                    ("CUR", "O", 5),
                    ("PO4", "O", 1),
                    ("CTB", "O", 0),
                    ("REF", "O", 0),
                    ("G43", "O", 0),
                    ("SAC", "O", 0),
                    ("G26", "O", 0),
                ],
            ),
            ("loop", "N1", "O", 0, _N1_LOOP),
        ],
    ),
    ("CTT", "O", 1),
    ("SE", "M", 1),
]

# set id -> (name, functional group id, structure); merged into sets.SETS
STOCK_SETS: dict[str, tuple[str, str, list[Entry]]] = {
    "846": ("Inventory Inquiry/Advice", "IB", SET_846),
    "832": ("Price/Sales Catalog", "SC", SET_832),
}

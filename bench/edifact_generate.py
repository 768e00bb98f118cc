"""Generate EANCOM-style EDIFACT benchmark files: ORDERS, DESADV, INVOIC (D96A).

One interchange (UNA, UNB ... UNZ) of as many messages as the size needs; segments end
with ``'`` and CR LF. Documents are valid against the gateway's directories (so "full
validation" measures the normal path). Values vary the way partner files do (seeded,
reproducible): GLNs, GTINs, article and lot numbers, quantities, prices, dates and free
texts are drawn per segment and the number of lines varies per message, so that well
over half of the segment texts are distinct (printed for each file; see
``bench/x12_generate.py`` for why that matters).

    python bench/edifact_generate.py OUTDIR --size 20000000
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Iterator
from pathlib import Path

_WORDS = [
    "gloves",
    "syringe",
    "gauze",
    "catheter",
    "mask",
    "gown",
    "swab",
    "bandage",
    "tape",
    "needle",
    "scalpel",
    "tray",
    "drape",
    "sponge",
    "tube",
    "suture",
    "splint",
    "cannula",
    "dressing",
    "wipe",
    "sterile",
    "nitrile",
    "latex-free",
    "disposable",
    "absorbent",
    "adhesive",
    "pediatric",
    "surgical",
    "vinyl",
    "cotton",
    "silicone",
    "foam",
]


def _date(rng: random.Random, year: int = 2024) -> str:
    return f"{year}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"


def _gln(rng: random.Random) -> str:
    return str(rng.randrange(10**12, 10**13))


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(count))


def _orders(rng: random.Random, ref: str, lines: int) -> list[str]:
    segs = [
        f"UNH+{ref}+ORDERS:D:96A:UN:EAN008",
        f"BGM+220+PO{ref}+9",
        f"DTM+137:{_date(rng)}:102",
        f"DTM+2:{_date(rng)}:102",
        f"FTX+PUR+++Deliver to dock {rng.randrange(1, 40)}?: {_words(rng, 2)}?+wait",
        f"RFF+CT:CONTRACT-{rng.randrange(10**6)}",
        f"NAD+BY+{_gln(rng)}::9",
        f"NAD+SU+{_gln(rng)}::9",
        f"NAD+DP+{_gln(rng)}::9",
        "CUX+2:EUR:9",
    ]
    for i in range(1, lines + 1):
        segs += [
            f"LIN+{i}++{_gln(rng)}:SRV",
            f"PIA+1+ART{rng.randrange(10**6)}:SA",
            f"IMD+F++:::{_words(rng, 2).capitalize()} {rng.choice('SML')}{rng.randrange(99)} ?'x?'",
            f"QTY+21:{rng.randrange(1, 500)}:PCE",
            f"PRI+AAA:{rng.randrange(100, 99999) / 100}:CT::1:PCE",
        ]
    segs += ["UNS+S", f"CNT+2:{lines}"]
    segs.append(f"UNT+{len(segs) + 1}+{ref}")
    return segs


def _desadv(rng: random.Random, ref: str, lines: int) -> list[str]:
    segs = [
        f"UNH+{ref}+DESADV:D:96A:UN:EAN005",
        f"BGM+351+DN{ref}+9",
        f"DTM+137:{_date(rng)}:102",
        f"DTM+11:{_date(rng)}:102",
        f"RFF+ON:PO{rng.randrange(10**8)}",
        f"NAD+BY+{_gln(rng)}::9",
        f"NAD+SU+{_gln(rng)}::9",
        "CPS+1",
        f"PAC+{rng.randrange(1, 20)}++201",
    ]
    for i in range(1, lines + 1):
        segs += [
            f"CPS+{i + 1}+1",
            f"PAC+{rng.randrange(1, 10**6)}++CT",
            "PCI+33E",
            f"GIN+BJ+{rng.randrange(10**17, 10**18)}",
            f"LIN+{i}++{_gln(rng)}:SRV",
            f"PIA+1+LOT{rng.randrange(10**7)}:NB",
            f"QTY+12:{rng.randrange(1, 10**7) / 10}",
            "PCI+36E",
            f"DTM+36:{_date(rng, rng.randrange(2025, 2031))}:102",
            f"GIN+BX+LOT{rng.randrange(10**7)}",
        ]
    segs.append("CNT+2:" + str(lines))
    segs.append(f"UNT+{len(segs) + 1}+{ref}")
    return segs


def _invoic(rng: random.Random, ref: str, lines: int) -> list[str]:
    segs = [
        f"UNH+{ref}+INVOIC:D:96A:UN:EAN008",
        f"BGM+380+IN{ref}+9",
        f"DTM+137:{_date(rng)}:102",
        f"RFF+ON:PO{rng.randrange(10**8)}",
        f"NAD+BY+{_gln(rng)}::9",
        f"RFF+VA:BE0{rng.randrange(10**9)}",
        f"NAD+SU+{_gln(rng)}::9",
        "CUX+2:EUR:4",
        f"PAT+1++5:3:D:{rng.randrange(10, 90)}",
    ]
    total = 0.0
    for i in range(1, lines + 1):
        qty = rng.randrange(1, 10**5)
        price = rng.randrange(100, 10**6) / 100
        total += qty * price
        segs += [
            f"LIN+{i}++{_gln(rng)}:SRV",
            f"QTY+47:{qty}:PCE",
            f"MOA+203:{qty * price:.2f}",
            f"PRI+AAA:{price:.2f}:CT",
            f"TAX+7+VAT+++:::{rng.choice((6, 12, 21))}+S",
        ]
    segs += ["UNS+S", f"CNT+2:{lines}", f"MOA+86:{total * 1.21:.2f}", f"MOA+79:{total:.2f}"]
    segs.append(f"UNT+{len(segs) + 1}+{ref}")
    return segs


KINDS: dict[str, Callable[[random.Random, str, int], list[str]]] = {
    "ORDERS": _orders,
    "DESADV": _desadv,
    "INVOIC": _invoic,
}


def iter_generate(kind: str, size: int, seed: int = 7) -> Iterator[bytes]:
    """Yield one interchange of about ``size`` bytes in pieces (a message each)."""
    rng = random.Random(seed)
    make = KINDS[kind]
    yield b"UNA:+.? 'UNB+UNOC:3+5412345000013:14+4012345500004:14+240115:1200+IC1'\r\n"
    written = 0
    count = 0
    while written < size:
        count += 1
        segs = make(rng, str(count), rng.randrange(5, 40))
        text = ("'\r\n".join(segs) + "'\r\n").encode("latin-1")
        written += len(text)
        yield text
    yield f"UNZ+{count}+IC1'\r\n".encode()


def generate(kind: str, size: int, seed: int = 7) -> bytes:
    """Return one interchange of about ``size`` bytes of messages of one kind."""
    return b"".join(iter_generate(kind, size, seed))


def write(path: Path, kind: str, size: int) -> Path:
    """Write one generated file without holding it in memory."""
    with path.open("wb") as out:
        for piece in iter_generate(kind, size):
            out.write(piece)
    return path


def distinct_ratio(path: Path) -> float:
    """Share of distinct segment texts among all segments of a file (0..1)."""
    text = path.read_bytes().replace(b"?'", b"\x00")
    pieces = [p.strip() for p in text.split(b"'") if p.strip()]
    return len(set(pieces)) / len(pieces) if pieces else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--size", type=int, default=200_000)
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        path = write(args.outdir / f"{kind}_{args.size}.edi", kind, args.size)
        print(f"{path}  {distinct_ratio(path):.0%} distinct segment texts")


if __name__ == "__main__":
    main()

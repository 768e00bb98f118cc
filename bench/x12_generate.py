"""Generate X12 benchmark files: 850, 856 (deep HL trees) and 810 of a target size.

Documents are valid against the gateway's specs (so "full validation" measures the
normal path, not error reporting). One interchange, one group, as many transaction
sets as it takes to reach the size; segments end with ``~`` and a line feed.

Values vary the way partner files do (seeded, so a file is reproducible): item ids,
quantities, prices, dates, lot numbers, names, addresses and descriptions are drawn per
segment, and the number of lines (HL packs and items for the 856) varies per set, so
that well over half of the segment texts are distinct (printed for each file; issue 21
measured 47-82 % in real varied files). A generator that repeats a few texts flatters
any per-text cache in the validator.

    python bench/x12_generate.py OUTDIR --size 20000000
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path

ISA = (
    "ISA*00*          *00*          *ZZ*HOSPITALGROUP  *ZZ*MEDDISTRIB     *240301*0930*U*"
    "00401*{control:09d}*0*P*>~\n"
)

# Words the free texts (item descriptions, names, streets, cities) are drawn from, so
# that the generated files have the variety of real traffic: most segment texts differ
# (see :func:`distinct_ratio`), as they do in partner files, instead of a handful of
# texts repeated that flatter any per-text cache.
_ITEMS = [
    "gloves",
    "syringe",
    "gauze",
    "pad",
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
]
_ADJECTIVES = [
    "sterile",
    "nitrile",
    "latex-free",
    "disposable",
    "absorbent",
    "adhesive",
    "pediatric",
    "surgical",
    "examination",
    "vinyl",
    "cotton",
    "silicone",
    "foam",
    "elastic",
    "reinforced",
]
_NAMES = [
    "General",
    "Mercy",
    "Saint",
    "Valley",
    "County",
    "Riverside",
    "Memorial",
    "Lakeside",
    "Union",
    "Summit",
    "Harbor",
    "Grace",
    "Northgate",
    "Westfield",
    "Pine",
    "Oak",
    "Cedar",
]
_STREETS = [
    "Main",
    "Oak",
    "Elm",
    "Maple",
    "Lake",
    "Hill",
    "Park",
    "River",
    "Market",
    "Church",
    "High",
    "Mill",
]
_CITIES = (
    ("Springfield", "IL", "627"),
    ("Chicago", "IL", "606"),
    ("Columbus", "OH", "432"),
    ("Madison", "WI", "537"),
    ("Denver", "CO", "802"),
    ("Austin", "TX", "787"),
    ("Albany", "NY", "122"),
    ("Salem", "OR", "973"),
)


def _date(rng: random.Random, year: int = 2024) -> str:
    return f"{year}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"


def _text(rng: random.Random) -> str:
    return (
        f"{rng.choice(_ADJECTIVES).capitalize()} {rng.choice(_ITEMS)} "
        f"{rng.choice(_ADJECTIVES)} size {rng.randrange(1, 13)} box of {rng.randrange(5, 500)}"
    )


def _party(rng: random.Random, code: str) -> list[str]:
    city, state, zip3 = rng.choice(_CITIES)
    return [
        f"N1*{code}*{rng.choice(_NAMES)} {rng.choice(_NAMES)} Hospital*92*"
        f"{rng.randrange(10**6):06d}",
        f"N3*{rng.randrange(1, 9999)} {rng.choice(_STREETS)} Street*Dock {rng.randrange(1, 40)}",
        f"N4*{city}*{state}*{zip3}{rng.randrange(100):02d}*US",
    ]


def _850(n: int, rng: random.Random) -> list[str]:
    segs = [
        f"BEG*00*SA*PO{n:08d}**{_date(rng)}",
        "CUR*BY*USD",
        f"REF*DP*{rng.randrange(1000):03d}",
        f"REF*IA*VEND-{rng.randrange(10**5)}",
        f"PER*BD*{rng.choice(_NAMES)} Buyer*TE*555{rng.randrange(10**7):07d}",
        "FOB*PP",
        f"ITD*01*3*{rng.randrange(1, 5)}**{rng.randrange(10, 30)}**{rng.randrange(30, 90)}",
        f"DTM*002*{_date(rng)}",
        "TD5*****UPSG",
        *_party(rng, "ST"),
        f"N1*BT*{rng.choice(_NAMES)} Group*92*{rng.randrange(10**4):04d}",
    ]
    lines = rng.randrange(20, 61)
    for line in range(1, lines + 1):
        segs += [
            f"PO1*{line}*{rng.randrange(1, 500)}*EA*{rng.randrange(100, 99999) / 100:.2f}**VP*"
            f"GLV-{rng.randrange(10**6):06d}*UP*0{rng.randrange(10**10, 10**11)}*N4*"
            f"{rng.randrange(10**5):05d}-{rng.randrange(10**4):04d}-{rng.randrange(100):02d}",
            f"PID*F****{_text(rng)}",
            f"REF*LT*LOT-{rng.randrange(10**7)}",
            f"DTM*002*{_date(rng)}",
        ]
    segs += [f"CTT*{lines}", f"AMT*TT*{rng.randrange(10**4, 10**7) / 100:.2f}"]
    return segs


def _856(n: int, rng: random.Random) -> list[str]:
    segs = [f"BSN*00*SHIP{n:08d}*{_date(rng)}*{rng.randrange(24):02d}{rng.randrange(60):02d}"]
    segs.append(f"DTM*011*{_date(rng)}*{rng.randrange(24):02d}{rng.randrange(60):02d}")
    hl = 1
    segs += [
        f"HL*{hl}**S",
        f"TD1*CTN25*{rng.randrange(1, 99)}****G*{rng.randrange(1, 2000)}*LB",
        f"TD5*B*2*{rng.choice(('UPSN', 'FDEG', 'USPS', 'DHLX'))}*U",
        f"REF*BM*BOL-{rng.randrange(10**8)}",
        f"DTM*011*{_date(rng)}",
        f"N1*ST*{rng.choice(_NAMES)} {rng.choice(_NAMES)} Hospital*92*{rng.randrange(10**6):06d}",
        f"N1*SF*{rng.choice(_NAMES)} Distribution*92*DC{rng.randrange(100)}",
    ]
    shipment = hl
    for order in range(rng.randrange(1, 4)):
        hl += 1
        order_hl = hl
        segs += [
            f"HL*{hl}*{shipment}*O",
            f"PRF*PO{rng.randrange(10**8)}{order}***{_date(rng)}",
            f"REF*IA*VEND-{rng.randrange(10**5)}",
        ]
        for _pack in range(rng.randrange(2, 8)):
            hl += 1
            pack_hl = hl
            segs += [f"HL*{hl}*{order_hl}*P", f"MAN*GM*00{rng.randrange(10**17, 10**18)}"]
            for _item in range(rng.randrange(1, 7)):
                hl += 1
                segs += [
                    f"HL*{hl}*{pack_hl}*I",
                    f"LIN**VP*SYR-{rng.randrange(10**6):06d}*N4*"
                    f"{rng.randrange(10**5):05d}-{rng.randrange(10**4):04d}-{rng.randrange(100):02d}",
                    f"SN1**{rng.randrange(1, 10**5)}*EA",
                    f"PID*F****{_text(rng)}",
                    f"REF*LT*LOT{rng.randrange(10**7)}",
                    f"DTM*036*{_date(rng, rng.randrange(2025, 2035))}",
                ]
    segs.append(f"CTT*{hl}")
    return segs


def _810(n: int, rng: random.Random) -> list[str]:
    segs = [
        f"BIG*{_date(rng)}*INV{n:08d}*{_date(rng)}*PO{rng.randrange(10**8):08d}",
        "CUR*SE*USD",
        f"REF*IA*VEND-{rng.randrange(10**5)}",
        *_party(rng, "RE"),
        f"N1*BT*{rng.choice(_NAMES)} {rng.choice(_NAMES)} Hospital*92*{rng.randrange(10**6):06d}",
        f"ITD*01*3*{rng.randrange(1, 5)}**{rng.randrange(10, 30)}**{rng.randrange(30, 90)}",
        f"DTM*011*{_date(rng)}",
    ]
    lines = rng.randrange(20, 61)
    for line in range(1, lines + 1):
        segs += [
            f"IT1*{line}*{rng.randrange(1, 500)}*EA*{rng.randrange(100, 99999) / 100:.2f}**VP*"
            f"GLV-{rng.randrange(10**6):06d}*UP*0{rng.randrange(10**10, 10**11)}",
            f"PID*F****{_text(rng)}",
            f"REF*LT*LOT-{rng.randrange(10**7)}",
        ]
    segs += [
        f"TDS*{rng.randrange(10**3, 10**8)}",
        f"SAC*C*D240***{rng.randrange(100, 10**5)}",
        f"CTT*{lines}",
    ]
    return segs


KINDS = {"850": ("PO", _850), "856": ("SH", _856), "810": ("IN", _810)}


def generate(kind: str, size: int, control: int = 1, seed: int = 7) -> Iterator[bytes]:
    """Yield the file in pieces (so a 100 MB file is never held in memory)."""
    functional_id, body = KINDS[kind]
    yield ISA.format(control=control).encode()
    yield b"GS*" + functional_id.encode() + b"*HOSPITALGROUP*MEDDISTRIB*20240301*0930*1*X*004010~\n"
    written, sets = 200, 0
    while written < size:
        sets += 1
        number = f"{sets:06d}"
        segments = [f"ST*{kind}*{number}", *body(sets, random.Random(seed * 1_000_003 + sets)), ""]
        segments[-1] = f"SE*{len(segments)}*{number}"
        chunk = ("~\n".join(segments) + "~\n").encode()
        written += len(chunk)
        yield chunk
    yield f"GE*{sets}*1~\nIEA*1*{control:09d}~\n".encode()


def write(path: Path, kind: str, size: int) -> Path:
    """Write one generated file."""
    with path.open("wb") as out:
        for piece in generate(kind, size):
            out.write(piece)
    return path


def distinct_ratio(path: Path, terminator: bytes = b"~") -> float:
    """Share of distinct segment texts among all segments of a file (0..1)."""
    seen: set[bytes] = set()
    total = 0
    with path.open("rb") as stream:
        rest = b""
        while chunk := stream.read(1 << 20):
            pieces = (rest + chunk).split(terminator)
            rest = pieces.pop()
            for piece in pieces:
                seen.add(piece.strip())
            total += len(pieces)
        if rest.strip():
            seen.add(rest.strip())
            total += 1
    return len(seen) / total if total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--size", type=int, default=200_000)
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        path = write(args.outdir / f"{kind}_{args.size}.x12", kind, args.size)
        print(f"{path}  {distinct_ratio(path):.0%} distinct segment texts")


if __name__ == "__main__":
    main()

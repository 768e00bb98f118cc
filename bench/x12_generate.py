"""Generate X12 benchmark files: 850, 856 (deep HL trees) and 810 of a target size.

Documents are valid against the gateway's specs (so "full validation" measures the
normal path, not error reporting). One interchange, one group, as many transaction
sets as it takes to reach the size; segments end with ``~`` and a line feed.

    python bench/x12_generate.py OUTDIR --size 20000000
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

ISA = (
    "ISA*00*          *00*          *ZZ*HOSPITALGROUP  *ZZ*MEDDISTRIB     *240301*0930*U*"
    "00401*{control:09d}*0*P*>~\n"
)


def _850(n: int) -> list[str]:
    segs = [
        f"BEG*00*SA*PO{n:08d}**20240301",
        "CUR*BY*USD",
        "REF*DP*038",
        "REF*IA*VEND-77",
        "PER*BD*Jane Buyer*TE*5551234567",
        "FOB*PP",
        "ITD*01*3*2**30**45",
        "DTM*002*20240315",
        "TD5*****UPSG",
        "N1*ST*General Hospital*92*0042",
        "N3*1 Main Street*Dock 4",
        "N4*Springfield*IL*62701*US",
        "N1*BT*Hospital Group*92*01",
    ]
    for line in range(1, 41):
        segs += [
            f"PO1*{line}*{(n + line) % 97 + 1}*EA*{12.5 + (n * line) % 500:.2f}**VP*"
            f"GLV-{n % 9999:04d}{line:03d}*UP*0123456{(n * 41 + line) % 100000:05d}*N4*"
            f"12345-6789-{line % 100:02d}",
            f"PID*F****Nitrile examination gloves size {line % 4} box of 100",
            "REF*LT*LOT-2024-A",
            "DTM*002*20240320",
        ]
    segs += ["CTT*40", "AMT*TT*12345.67"]
    return segs


def _856(n: int) -> list[str]:
    segs = [f"BSN*00*SHIP{n:08d}*20240301*1200", "DTM*011*20240301*1200"]
    hl = 1
    segs += [
        f"HL*{hl}**S",
        "TD1*CTN25*20****G*150*LB",
        "TD5*B*2*UPSN*U",
        "REF*BM*BOL-99881",
        "DTM*011*20240301",
        "N1*ST*General Hospital*92*0042",
        "N1*SF*Med Distrib DC*92*DC01",
    ]
    shipment = hl
    for order in range(2):
        hl += 1
        order_hl = hl
        segs += [f"HL*{hl}*{shipment}*O", f"PRF*PO{n:06d}{order}***20240215", "REF*IA*VEND-77"]
        for pack in range(5):
            hl += 1
            pack_hl = hl
            segs += [f"HL*{hl}*{order_hl}*P", f"MAN*GM*00012345678{n % 10000:04d}{pack:05d}"]
            for item in range(4):
                hl += 1
                segs += [
                    f"HL*{hl}*{pack_hl}*I",
                    f"LIN**VP*SYR-{n % 9999:04d}{item:02d}*N4*12345-6789-{item:02d}",
                    f"SN1**{(n + item) % 50 + 1}*EA",
                    "PID*F****Syringe 5 ml sterile",
                    f"REF*LT*LOT{n % 1000:03d}{item}",
                    "DTM*036*20260131",
                ]
    segs.append(f"CTT*{hl}")
    return segs


def _810(n: int) -> list[str]:
    segs = [
        f"BIG*20240301*INV{n:08d}*20240215*PO{n:08d}",
        "CUR*SE*USD",
        "REF*IA*VEND-77",
        "N1*RE*Med Distrib*92*DC01",
        "N3*500 Supply Road",
        "N4*Chicago*IL*60601*US",
        "N1*BT*General Hospital*92*0042",
        "ITD*01*3*2**30**45",
        "DTM*011*20240301",
    ]
    for line in range(1, 41):
        segs += [
            f"IT1*{line}*{(n + line) % 89 + 1}*EA*{10 + (n * line) % 300:.2f}**VP*"
            f"GLV-{n % 9999:04d}{line:03d}*UP*0123456{(n * 37 + line) % 100000:05d}",
            f"PID*F****Gauze pads 4x4 sterile pack {line}",
            "REF*LT*LOT-2024-B",
        ]
    segs += ["TDS*1234567", "SAC*C*D240***1500", "CTT*40"]
    return segs


KINDS = {"850": ("PO", _850), "856": ("SH", _856), "810": ("IN", _810)}


def generate(kind: str, size: int, control: int = 1) -> Iterator[bytes]:
    """Yield the file in pieces (so a 100 MB file is never held in memory)."""
    functional_id, body = KINDS[kind]
    yield ISA.format(control=control).encode()
    yield b"GS*" + functional_id.encode() + b"*HOSPITALGROUP*MEDDISTRIB*20240301*0930*1*X*004010~\n"
    written, sets = 200, 0
    while written < size:
        sets += 1
        number = f"{sets:06d}"
        segments = [f"ST*{kind}*{number}", *body(sets), ""]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--size", type=int, default=200_000)
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        print(write(args.outdir / f"{kind}_{args.size}.x12", kind, args.size))


if __name__ == "__main__":
    main()

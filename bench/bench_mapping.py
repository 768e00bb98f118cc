"""Benchmark the mapping engine against the parse that precedes it.

Builds an X12 850 with ``--lines`` PO1 lines (six item-id pairs each) and an 856 with
the same number of lot-tracked items, plus an EANCOM DESADV of the same size, then
times, in the same process and run:

* ``parse``      gateway.engines.parse_payload (tokenize + validate);
* ``translate``  gateway.mapping.translate with the shipped map (no explain);
* ``explain``    the same with ``explain=True`` (the trace ``translate --explain`` shows).

Usage::

    .venv/bin/python bench/bench_mapping.py [--lines 2000] [--repeat 5]

Prints a Markdown table of medians and the translate/parse ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from gateway.engines import parse_payload
from gateway.mapping import MapLibrary, translate
from gateway.partners.profile import PartnerProfile

ROOT = Path(__file__).resolve().parent.parent


def x12(set_id: str, body: list[str]) -> bytes:
    segs = [f"ST*{set_id}*0001", *body]
    lines = [
        "ISA*00*          *00*          *ZZ*BENCHSENDER    *ZZ*MERIDIANHEALTH *261116*0930*U*00401"
        "*000000001*0*P*>",
        f"GS*{'PO' if set_id == '850' else 'SH'}*BENCHSENDER*MERIDIANHEALTH*20261116*0930*1*X"
        "*004010",
        *segs,
        f"SE*{len(segs) + 1}*0001",
        "GE*1*1",
        "IEA*1*000000001",
    ]
    return ("~\n".join(lines) + "~\n").encode()


def po_850(n: int) -> bytes:
    body = ["BEG*00*SA*PO-BENCH**20261116", "N1*BY*MERIDIAN*92*MH1"]
    for i in range(1, n + 1):
        body += [
            f"PO1*{i}*{i % 50 + 1}*BX*12.50**VP*V{i}*BP*B{i}*UK*1088452{i:07d}"
            f"*N4*0033800{i:04d}*HI*H{i}*IN*I{i}",
            f"PID*F****ITEM {i}",
        ]
    body.append(f"CTT*{n}")
    return x12("850", body)


def asn_856(n: int) -> bytes:
    body = ["BSN*00*SH-BENCH*20261118*1200", "HL*1**S", "TD5**2*UPSN", "HL*2*1*O", "PRF*PO-BENCH"]
    for i in range(n):
        body += [
            f"HL*{i + 3}*2*I",
            f"LIN*{i + 1}*VP*V{i}*UK*1088452{i:07d}",
            f"SN1**{i % 9 + 1}*BX",
            f"REF*LT*LOT{i}",
            "DTM*036*20290630",
        ]
    body.append(f"CTT*{n + 2}")
    return x12("856", body)


def desadv(n: int) -> bytes:
    segs = [
        "UNH+1+DESADV:D:96A:UN:EAN005",
        "BGM+351+DN-BENCH+9",
        "DTM+137:20261120:102",
        "RFF+ON:PO-BENCH",
        "NAD+SU+4045678000002::9",
        "CPS+1",
    ]
    for i in range(n):
        segs += [
            f"LIN+{i + 1}++0404567{i:06d}:SRV",
            f"QTY+12:{i % 9 + 1}:PCE",
            "PCI+36E",
            "DTM+36:20290331:102",
            f"GIN+BX+B{i}",
        ]
    segs.append(f"CNT+2:{n}")
    text = "UNA:+.? 'UNB+UNOC:3+4045678000002:14+5412345000006:14+261116:0930+1'"
    text += "'".join(segs) + f"'UNT+{len(segs) + 1}+1'UNZ+1+1'"
    return text.encode()


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    library = MapLibrary.load([ROOT / "maps"])
    profile = PartnerProfile.model_validate(
        {
            "id": "bench",
            "name": "Bench",
            "x12": {"isa_qualifier": "ZZ", "isa_id": "BENCHSENDER"},
            "edifact": {"unb_id": "4045678000002", "unb_qualifier": "14"},
        }
    )
    print(
        f"| document ({args.lines} lines) | bytes | parse ms | translate ms | explain ms |"
        " translate/parse |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, data in (
        ("X12 850", po_850(args.lines)),
        ("X12 856", asn_856(args.lines)),
        ("EDIFACT DESADV", desadv(args.lines)),
    ):
        payload = parse_payload(data)
        interchange = payload.interchanges[0]
        group = interchange.groups[0]
        tx = group.transactions[0]
        assert not tx.issues, [i.describe() for i in tx.issues[:3]]
        map_ = library.map_for(profile, interchange.syntax.value, tx.version, tx.set_id)

        def run(explain: bool, tx=tx, group=group, interchange=interchange, map_=map_) -> None:
            translate(
                tx, interchange=interchange, group=group, map=map_, profile=profile, explain=explain
            )

        parse = median_ms(lambda data=data: parse_payload(data), args.repeat)
        plain = median_ms(lambda: run(False), args.repeat)
        explained = median_ms(lambda: run(True), args.repeat)
        print(
            f"| {name} | {len(data):,} | {parse:.1f} | {plain:.1f} | {explained:.1f} |"
            f" {plain / parse:.2f} |"
        )


if __name__ == "__main__":
    main()

"""Engine ratios on varied generated files: validation vs a keep-everything split,
translate vs parse, and peak memory of a 100 MB parse.

Each measurement is one child process running one mode on one file; the parent runs the
two sides of a ratio in turn (A B A B ...) and quotes medians of CPU time measured
around the work inside the child (imports and regex compilation are done before the
clock starts), so machine drift hits both sides alike. Modes (also runnable alone,
``python bench/bench_engines.py --child MODE FILE``, e.g. under ``/usr/bin/time -v``):

* ``x12-split``      read the file, split segments and elements, keep every list
* ``x12-full``       ``validate_stream``: envelopes + full set validation, streaming
* ``x12-payload``    ``parse_payload(keep_segments=False)``: the pipeline's validation
* ``edifact-split``  release-aware split into segments / elements / components, kept
* ``edifact-full``   ``read_payload(keep_segments=False)``: streaming, full validation
* ``parse`` / ``translate``  ``gateway.engines.parse_payload`` of the file (X12 or
  EDIFACT, segments kept), then the second times ``translate`` of every transaction
  with the shipped map of its set and version (``x12-parse`` / ``x12-translate`` are
  the same modes under their earlier names)
* ``x12-stream-mem`` / ``edifact-stream-mem``  the streaming validators reading the
  file in chunks (VmHWM is the figure for the memory bound)
* ``x12-kept-mem`` / ``edifact-kept-mem``  ``parse_payload`` of the file's bytes with
  every segment kept (what a stage that holds the parsed interchange needs)

Files come from ``bench/x12_generate.py`` and ``bench/edifact_generate.py`` (varied:
the share of distinct segment texts is printed with each file).

``--settle``: the parse and translate children settle the garbage collector before the
clock starts, as every gateway process does once set up (``gateway.heap.settle``:
collect, freeze what is alive, a larger youngest generation). For translate that also
freezes its set-up's parse of the whole file, which the pipeline never holds (its
translate stage reads one transaction at a time from the stored bytes). Measured on
2026-12-06 it took about 13 % off both sides on 10 MB files and left the ratios where
they were (bench/README.md).

    python bench/bench_engines.py [--size 20000000] [--runs 5] [--big 100000000]
    python bench/bench_engines.py --translate --size 2000000   # translate/parse only
    # and the translate of another checkout (e.g. a worktree at the branch point), interleaved
    python bench/bench_engines.py --translate --size 1000000 --runs 5 --before ../before
    python bench/bench_engines.py --translate --size 10000000 --settle
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
#: set for the children by ``--settle``
SETTLE_ENV = "EDIGW_BENCH_SETTLE"


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _x12_split(path: str) -> int:
    text = Path(path).read_bytes().decode("latin-1")
    kept = [segment.split("*") for segment in text.split("~")]
    return len(kept)


def _release_split(text: str, sep: str, rel: str = "?") -> list[str]:
    parts = text.split(sep)
    if rel not in text:
        return parts
    out: list[str] = []
    acc = ""
    for part in parts:
        body = acc + part
        if part.endswith(rel) and (len(part) - len(part.rstrip(rel))) % 2 == 1:
            acc = body + sep
            continue
        out.append(body)
        acc = ""
    if acc:
        out.append(acc)
    return out


def _edifact_split(path: str) -> int:
    text = Path(path).read_bytes().decode("latin-1")
    kept = [
        [_release_split(element, ":") for element in _release_split(segment.strip(), "+")]
        for segment in _release_split(text[9:], "'")
    ]
    return len(kept)


def _x12_full(path: str) -> int:
    from gateway.x12 import validate_stream

    with open(path, "rb") as stream:
        summary = validate_stream(stream)
    if summary.issue_count:
        raise SystemExit(f"unexpected findings: {summary.issues[:3]}")
    return summary.segments


def _x12_payload(path: str) -> int:
    from gateway.x12 import parse_payload

    payload = parse_payload(Path(path).read_bytes(), keep_segments=False)
    return sum(len(g.transactions) for ix in payload.interchanges for g in ix.groups)


def _edifact_full(path: str) -> int:
    from gateway.edi import EdiTransaction
    from gateway.edifact import read_payload

    count = 0
    with open(path, "rb") as stream:
        for item in read_payload(stream, keep_segments=False):
            if isinstance(item, EdiTransaction):
                count += 1
                if any(i.fatal for i in item.issues):
                    raise SystemExit(f"unexpected finding: {item.issues[0].describe()}")
    return count


def _x12_payload_kept(path: str) -> int:
    from gateway.x12 import parse_payload

    payload = parse_payload(Path(path).read_bytes())
    return sum(len(t.segments) for ix in payload.interchanges for t in ix.transactions)


def _edifact_payload_kept(path: str) -> int:
    from gateway.edifact import parse_payload

    payload = parse_payload(Path(path).read_bytes())
    return sum(len(t.segments) for ix in payload.interchanges for t in ix.transactions)


def _translate_setup(path: str) -> Callable[[], int]:
    from gateway.engines import parse_payload
    from gateway.mapping import MapLibrary, translate
    from gateway.partners.profile import PartnerProfile

    library = MapLibrary.load([REPO / "maps"])
    profile = PartnerProfile.model_validate(
        {
            "id": "bench",
            "name": "Bench",
            "x12": {"isa_qualifier": "ZZ", "isa_id": "HOSPITALGROUP"},
            "edifact": {"unb_id": "5412345000013", "unb_qualifier": "14"},
        }
    )
    payload = parse_payload(Path(path).read_bytes())
    ix = payload.interchanges[0]
    group = ix.groups[0]
    first = group.transactions[0]
    map_ = library.map_for(profile, ix.syntax.value, first.version, first.set_id)

    def run() -> int:
        for tx in group.transactions:
            translate(tx, interchange=ix, group=group, map=map_, profile=profile)
        return len(group.transactions)

    return run


def _x12_parse(path: str) -> int:
    from gateway.engines import parse_payload

    payload = parse_payload(Path(path).read_bytes())
    return len(payload.interchanges)


MODES: dict[str, Callable[[str], int]] = {
    "x12-split": _x12_split,
    "x12-full": _x12_full,
    "x12-payload": _x12_payload,
    "edifact-split": _edifact_split,
    "edifact-full": _edifact_full,
    "x12-parse": _x12_parse,
    "parse": _x12_parse,
    "x12-stream-mem": _x12_full,
    "edifact-stream-mem": _edifact_full,
    "x12-kept-mem": _x12_payload_kept,
    "edifact-kept-mem": _edifact_payload_kept,
}


def child(mode: str, path: str) -> None:
    """Run one mode once, after warming imports on a small file; print JSON."""
    import gateway.edifact
    import gateway.x12.fastpath

    gateway.x12.fastpath.segment_patterns("*", ">", None)
    from gateway import heap

    translate = mode in ("x12-translate", "translate")
    work = _translate_setup(path) if translate else functools.partial(MODES[mode], path)
    if os.environ.get(SETTLE_ENV) == "1" and (translate or mode in ("x12-parse", "parse")):
        heap.settle()
    start = time.process_time()
    result = work()
    cpu = time.process_time() - start
    print(json.dumps({"cpu": cpu, "peak_mb": _peak_mb(), "result": result}))


def measure(mode: str, path: Path, repo: Path = REPO) -> dict[str, float]:
    """One child run of this script (of the copy in ``repo``, for a before/after)."""
    done = subprocess.run(
        [sys.executable, str(repo / "bench" / "bench_engines.py"), "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=repo,
    )
    if done.returncode:
        raise SystemExit(f"{mode} {path}: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pair(a: str, b: str, path: Path, runs: int) -> tuple[float, float, float]:
    """Medians of A's and B's CPU seconds over interleaved runs, and of A/B per pair."""
    ta, tb, ratios = [], [], []
    for _ in range(runs):
        ra, rb = measure(a, path)["cpu"], measure(b, path)["cpu"]
        ta.append(ra)
        tb.append(rb)
        ratios.append(ra / rb)
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def translate_table(args: argparse.Namespace, x12_gen: Any, edifact_gen: Any) -> None:
    """translate / parse (CPU medians of interleaved child runs) per file kind; with
    ``--before REPO`` also that checkout's translate, run in the same interleaving."""
    if args.before is None:
        print("| file | distinct texts | translate CPU s | parse CPU s | translate/parse |")
        print("|---|---:|---:|---:|---:|")
    else:
        print(
            "| file | distinct texts | translate before, CPU s | translate | parse | "
            "before/parse | translate/parse | speed-up |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
    files = [
        (f"X12 {kind}", x12_gen, args.workdir / f"{kind}.x12", kind) for kind in ("850", "856")
    ] + [
        (f"EDIFACT {kind}", edifact_gen, args.workdir / f"{kind}.edi", kind)
        for kind in ("ORDERS", "DESADV")
    ]
    for label, gen, path, kind in files:
        gen.write(path, kind, args.size)
        distinct = gen.distinct_ratio(path)
        if args.before is None:
            ma, mb, ratio = pair("translate", "parse", path, args.runs)
            print(f"| {label} | {distinct:.0%} | {ma:.2f} | {mb:.2f} | {ratio:.2f} |", flush=True)
        else:
            before, after, parse = [], [], []
            for _ in range(args.runs):  # before, parse, after: each pair from one round
                before.append(measure("translate", path, args.before)["cpu"])
                parse.append(measure("parse", path)["cpu"])
                after.append(measure("translate", path)["cpu"])
            med = statistics.median
            was = med(b / p for b, p in zip(before, parse, strict=True))
            now = med(a / p for a, p in zip(after, parse, strict=True))
            gain = med(b / a for b, a in zip(before, after, strict=True))
            print(
                f"| {label} | {distinct:.0%} | {med(before):.3f} | {med(after):.3f} | "
                f"{med(parse):.3f} | {was:.2f} | {now:.2f} | {gain:.2f} |",
                flush=True,
            )
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"))
    parser.add_argument("--size", type=int, default=20_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big", type=int, default=100_000_000, help="memory run size, 0 skips")
    parser.add_argument("--syntaxes", default="x12,edifact", help="which ratio tables to run")
    parser.add_argument(
        "--translate",
        action="store_true",
        help="only translate vs parse, on X12 850/856 and EDIFACT ORDERS/DESADV",
    )
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="with --translate: also translate with the checkout at this path (a worktree)",
    )
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "engbench")
    parser.add_argument(
        "--settle",
        action="store_true",
        help="parse and translate children settle the garbage collector after set-up, as "
        "gateway processes do (see the module docstring)",
    )
    args = parser.parse_args()
    if args.settle:
        os.environ[SETTLE_ENV] = "1"  # the children read it
    if args.child:
        child(*args.child)
        return
    import edifact_generate
    import x12_generate

    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.translate:
        translate_table(args, x12_generate, edifact_generate)
        return
    print("| file | distinct texts | A | B | A CPU s | B CPU s | A/B (median of pairs) |")
    print("|---|---:|---|---|---:|---:|---:|")
    for kind in x12_generate.KINDS if "x12" in args.syntaxes else ():
        path = x12_generate.write(args.workdir / f"{kind}.x12", kind, args.size)
        distinct = x12_generate.distinct_ratio(path)
        for a, b in (("x12-full", "x12-split"), ("x12-payload", "x12-split")):
            ma, mb, ratio = pair(a, b, path, args.runs)
            print(
                f"| X12 {kind} | {distinct:.0%} | {a} | {b} | {ma:.2f} | {mb:.2f} | {ratio:.2f} |",
                flush=True,
            )
        if kind == "850":
            ma, mb, ratio = pair("x12-translate", "x12-parse", path, args.runs)
            print(
                f"| X12 {kind} | {distinct:.0%} | x12-translate | x12-parse | {ma:.2f} | "
                f"{mb:.2f} | {ratio:.2f} |"
            )
        path.unlink()
    for kind in edifact_generate.KINDS if "edifact" in args.syntaxes else ():
        path = edifact_generate.write(args.workdir / f"{kind}.edi", kind, args.size)
        distinct = edifact_generate.distinct_ratio(path)
        ma, mb, ratio = pair("edifact-full", "edifact-split", path, args.runs)
        print(
            f"| EDIFACT {kind} | {distinct:.0%} | edifact-full | edifact-split | {ma:.2f} | "
            f"{mb:.2f} | {ratio:.2f} |"
        )
        path.unlink()
    if args.big:
        print()
        for name, gen in (("856.x12", x12_generate), ("ORDERS.edi", edifact_generate)):
            kind = name.split(".")[0]
            path = gen.write(args.workdir / f"big_{name}", kind, args.big)
            size_mb = path.stat().st_size / 1e6
            prefix = "x12" if name.endswith("x12") else "edifact"
            for mode in (f"{prefix}-stream-mem", f"{prefix}-kept-mem"):
                r = measure(mode, path)
                print(
                    f"{mode} on {size_mb:.0f} MB: peak {r['peak_mb']:.0f} MB "
                    f"(bound 3 x payload + 150 = {3 * size_mb + 150:.0f} MB), "
                    f"CPU {r['cpu']:.1f} s",
                    flush=True,
                )
            path.unlink()


if __name__ == "__main__":
    main()

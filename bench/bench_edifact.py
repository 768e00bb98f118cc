"""Benchmark the EDIFACT engine against pydifact and a plain split baseline.

Generates EANCOM-style ORDERS, DESADV and INVOIC interchanges (D96A) of about 200 KB
and 20 MB, then times, each in a fresh subprocess so peak RSS is measured per run:

* ``engine``   gateway.edifact streaming reader with full validation (envelope checks,
               message structure, element formats, code lists), segments not kept;
* ``payload``  gateway.edifact.parse_payload (keeps every segment; 200 KB files only);
* ``split``    a plain split baseline that honours the release character but builds
               nothing but nested lists and validates nothing;
* ``pydifact`` pydifact's Interchange.from_str + iterating the segments (on the big
               files only once, for ORDERS: it is slow).

Usage::

    .venv/bin/python bench/bench_edifact.py [--repeat 3] [--big-mb 20] [--skip-pydifact-big]

Results go to stdout as a Markdown table: medians of ``--repeat`` child processes (and
of 7 runs inside each child for the small files). Ratios use CPU time
(``time.process_time``): the machine is shared, and CPU time is far less disturbed by
other work than wall time, which is reported next to it.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


from edifact_generate import generate  # noqa: E402  (bench/ is on the path)

# -- the contenders (run in a child process) ---------------------------------------


def _split_release(text: str, sep: str, rel: str = "?") -> list[str]:
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


def run_split(data: bytes) -> int:
    """Plain split honouring '?': segments -> elements -> components, no checks."""
    text = data.decode("latin-1")
    count = 0
    for raw in _split_release(text[9:], "'"):
        seg = raw.strip("\r\n")
        if not seg:
            continue
        _ = [_split_release(el, ":") for el in _split_release(seg, "+")]
        count += 1
    return count


def run_engine(data: bytes) -> int:
    from gateway.edi import EdiTransaction
    from gateway.edifact import read_payload

    count = 0
    for item in read_payload(data, keep_segments=False):
        if isinstance(item, EdiTransaction):
            count += 1
            if item.issues and any(i.fatal for i in item.issues):
                raise SystemExit(f"unexpected finding: {item.issues[0].describe()}")
    return count


def run_payload(data: bytes) -> int:
    from gateway.edifact import parse_payload

    payload = parse_payload(data)
    return sum(len(ix.transactions) for ix in payload.interchanges)


def run_pydifact(data: bytes) -> int:
    import warnings

    warnings.simplefilter("ignore")
    from pydifact.segmentcollection import Interchange

    interchange = Interchange.from_str(data.decode("latin-1"))
    return sum(1 for _ in interchange.segments)


CONTENDERS = {
    "engine": run_engine,
    "payload": run_payload,
    "split": run_split,
    "pydifact": run_pydifact,
}


def _peak_rss_mb() -> float:
    """VmHWM of this process: unlike ru_maxrss it is not inherited across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def child(name: str, path: str) -> None:
    # Imports, spec compilation and regex compilation happen once per process in a
    # service; warm them up on a small document so the timing is the steady state.
    CONTENDERS[name](generate("ORDERS", 2_000) + generate("DESADV", 2_000)[9:])
    data = Path(path).read_bytes()
    cpu, wall = [], []
    # small files: several runs in the process (median), so scheduler noise averages out
    for _ in range(7 if len(data) < 1_000_000 else 1):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        result = CONTENDERS[name](data)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    print(
        json.dumps(
            {
                "seconds": statistics.median(cpu),
                "wall": statistics.median(wall),
                "peak_mb": _peak_rss_mb(),
                "result": result,
            }
        )
    )


def measure(name: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-mb", type=float, default=20)
    parser.add_argument("--skip-pydifact-big", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("CONTENDER", "FILE"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("ORDERS", "DESADV", "INVOIC"):
            for label, size in (
                ("200 KB", 200_000),
                (f"{args.big_mb:g} MB", int(args.big_mb * 1e6)),
            ):
                big = size > 1_000_000
                path = Path(tmp) / f"{kind}_{size}.edi"
                path.write_bytes(generate(kind, size))  # not kept: children measure alone
                results: dict[str, dict[str, float]] = {}
                for name in ("engine", "payload", "split", "pydifact"):
                    if big and name == "payload":
                        continue
                    repeat = args.repeat
                    if name == "pydifact" and big:
                        # ~1 minute and ~0.5 GB per run: once, on the ORDERS file only
                        if args.skip_pydifact_big or kind != "ORDERS":
                            continue
                        repeat = 1
                    runs = [measure(name, path) for _ in range(repeat)]
                    results[name] = {
                        "seconds": statistics.median(r["seconds"] for r in runs),
                        "wall": statistics.median(r["wall"] for r in runs),
                        "peak_mb": max(r["peak_mb"] for r in runs),
                        "result": runs[0]["result"],
                    }
                mb = path.stat().st_size / 1e6
                eng = results["engine"]["seconds"]
                for name, r in results.items():
                    ratio_py = (
                        f"{results['pydifact']['seconds'] / r['seconds']:.1f}x"
                        if "pydifact" in results
                        else "-"
                    )
                    ratio_split = f"{r['seconds'] / results['split']['seconds']:.2f}"
                    rows.append(
                        f"| {kind} {label} ({mb:.2f} MB) | {name} | {r['seconds']:.3f} | "
                        f"{r['wall']:.3f} | "
                        f"{mb / r['seconds']:.1f} | {r['peak_mb']:.0f} | "
                        f"{r['seconds'] / eng:.2f} | {ratio_split} | {ratio_py} |"
                    )
                print("\n".join(rows[-len(results) :]), flush=True)
    print()
    print(
        "| file | contender | CPU s | wall s | MB/s (CPU) | peak RSS MB | CPU / engine "
        "| CPU / split | pydifact CPU / this |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

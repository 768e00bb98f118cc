"""Peak memory and CPU of each pipeline stage on a 100 MB interchange (issue 21).

One generated interchange per case - an X12 004010 850 file (``bench/x12_generate.py``)
and an EDIFACT D96A ORDERS file (``bench/edifact_generate.py``), about ``--size-mb`` MB
each - goes through intake, split, validate, acknowledge and translate on the embedded
set-up (SQLite, file payloads, a fresh data directory). Every stage runs in a fresh child
process, which reports its peak resident memory (``VmHWM`` from ``/proc/self/status``),
its resident memory before the stage (imports and runtime: the floor of any stage) and
the CPU seconds of the stage (user + system). The bound the issue sets is
3 x payload + 150 MB per stage.

The senders are made partners with a minimal profile in a temporary profile directory
(997 / CONTRL asked for), and the receiver is our default identity, so validate accepts
the transactions, acknowledge builds the acknowledgement and translate maps every one.

``--code DIR`` runs the stages with the gateway package found in ``DIR`` (a worktree of
another commit), to measure before and after with the same files::

    .venv/bin/python bench/bench_stage_memory.py --size-mb 100
    .venv/bin/python bench/bench_stage_memory.py --size-mb 100 --code ../gateway-before
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
STAGES = ("intake", "split", "validate", "acknowledge", "translate")
PROFILES = {
    "bench-x12.yaml": (
        "id: bench-x12\nname: Bench X12\n"
        "x12: {isa_qualifier: ZZ, isa_id: HOSPITALGROUP, version: '004010'}\n"
        "acknowledgements: {x12: '997', ta1: on_error}\n"
    ),
    "bench-edifact.yaml": (
        "id: bench-edifact\nname: Bench EDIFACT\n"
        "edifact: {unb_id: '4012345500004', unb_qualifier: '14'}\n"
        "acknowledgements: {contrl: true}\n"
    ),
}
CASES = {"x12-850": ("x12", "850"), "edifact-ORDERS": ("edifact", "ORDERS")}


def status_mb(field: str) -> float:
    """A memory line of /proc/self/status (VmHWM, VmRSS) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_file(case: str, size: int, folder: Path) -> Path:
    """The generated interchange, addressed from the bench partner to our identity."""
    syntax, kind = CASES[case]
    path = folder / f"{case}-{size}.edi"
    if path.exists():
        return path
    sys.path.insert(0, str(BENCH))
    import edifact_generate
    import x12_generate

    with path.open("wb") as out:
        if syntax == "x12":
            for n, piece in enumerate(x12_generate.generate(kind, size)):
                # receiver: our default identity (same width: the ISA is fixed-length)
                out.write(
                    piece.replace(b"MEDDISTRIB     ", b"MERIDIANHEALTH ") if n == 0 else piece
                )
        else:
            for n, piece in enumerate(edifact_generate.iter_generate(kind, size)):
                out.write(
                    piece.replace(
                        b"5412345000013:14+4012345500004:14", b"4012345500004:14+5412345000006:14"
                    )
                    if n == 0
                    else piece
                )
    return path


# ---------------------------------------------------------------------------------------
# one stage in this (child) process
# ---------------------------------------------------------------------------------------
def child(stage: str, data_dir: Path, profiles: Path, file: Path, state: Path) -> dict[str, Any]:
    """Run one stage; return what it measured (state passes ids between children)."""
    from gateway.pipeline import acks, stages
    from gateway.pipeline import translate as translate_stage
    from gateway.pipeline.build import build_runtime
    from gateway.pipeline.dispatch import InlineDispatcher
    from gateway.settings import Settings

    runtime = build_runtime(
        Settings(data_dir=data_dir, profiles_dir=str(profiles)),
        dispatcher=InlineDispatcher(),  # never drained: each stage runs in its own child
        odoo_factory=lambda: None,
    )
    known: dict[str, Any] = json.loads(state.read_text()) if state.exists() else {}
    runtime.registry  # noqa: B018  (profiles and maps loaded before the measurement)
    runtime.maps  # noqa: B018
    floor = status_mb("VmRSS")
    cpu, wall = cpu_seconds(), time.perf_counter()
    detail = ""
    if stage == "intake":
        from gateway.intake import ReceivedPayload
        from gateway.pipeline.intake import StoreIntake

        receipt = StoreIntake(runtime).receive(
            ReceivedPayload(data=file.read_bytes(), transport="cli", filename=file.name)
        )
        known["message"] = receipt.message_id
    elif stage == "split":
        follow = stages.split(runtime, known["message"])
        known["interchanges"] = [n.args[0] for n in follow]
        detail = f"{len(follow)} interchange(s)"
    elif stage == "validate":
        for ic in known["interchanges"]:
            stages.validate(runtime, ic)
    elif stage == "acknowledge":
        made = [n for ic in known["interchanges"] for n in acks.acknowledge(runtime, ic)]
        detail = f"{len(made)} acknowledgement(s)"
    elif stage == "translate":
        made = [
            n for ic in known["interchanges"] for n in translate_stage.translate(runtime, ic, None)
        ]
        detail = f"{sum(len(n.args) for n in made if n.stage == 'deliver')} document(s)"
    cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    state.write_text(json.dumps(known))
    return {
        "stage": stage,
        "peak_mb": round(status_mb("VmHWM"), 1),
        "floor_mb": round(floor, 1),
        "cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "detail": detail,
    }


def run_case(case: str, size: int, folder: Path, code: Path) -> list[dict[str, Any]]:
    file = make_file(case, size, folder)
    with tempfile.TemporaryDirectory(prefix="stage-memory-", dir=folder) as tmp:
        work = Path(tmp)
        profiles = work / "profiles"
        profiles.mkdir()
        for name, text in PROFILES.items():
            (profiles / name).write_text(text)
        results = []
        for stage in STAGES:
            out = subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--child",
                    stage,
                    "--data-dir",
                    str(work / "var"),
                    "--profiles",
                    str(profiles),
                    "--file",
                    str(file),
                    "--state",
                    str(work / "state.json"),
                ],
                env={**os.environ, "PYTHONPATH": str(code)},
                cwd=code,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                raise SystemExit(f"{case} {stage} failed:\n{out.stderr[-3000:]}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            result["payload_mb"] = round(file.stat().st_size / 1e6, 1)
            results.append(result)
            print(f"  {case:15} {json.dumps(result)}", flush=True)
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--code", type=Path, default=REPO, help="gateway worktree to run")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--child", choices=STAGES)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--profiles", type=Path)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--state", type=Path)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(child(args.child, args.data_dir, args.profiles, args.file, args.state)))
        return
    size = int(args.size_mb * 1_000_000)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"code: {args.code.resolve()}  size: {size} bytes per file", flush=True)
    table = []
    for case in args.cases:
        for result in run_case(case, size, args.workdir, args.code.resolve()):
            table.append((case, result))
    print("\n| file | stage | peak (VmHWM) MB | before the stage MB | CPU s | bound MB |")
    print("|---|---|---:|---:|---:|---:|")
    for case, r in table:
        bound = 3 * r["payload_mb"] + 150
        print(
            f"| {case} {r['payload_mb']} MB | {r['stage']} | {r['peak_mb']:.0f} | "
            f"{r['floor_mb']:.0f} | {r['cpu_s']:.1f} | {bound:.0f} |"
        )


if __name__ == "__main__":
    main()

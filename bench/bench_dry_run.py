"""What the dry-run Odoo costs inside ``edi-gateway ingest`` (issue 21).

``edi-gateway ingest`` on the embedded default (SQLite, stages inline) delivers to the
dry-run Odoo when no Odoo is configured. This measures, in one run, the same command on
the same generated files (Keystone-style 005010 850s, ``--sets`` purchase orders of 5
lines per file) in two set-ups, alternating A B A B so machine noise hits both:

* **dry-run**: the real command, delivering into the dry-run Odoo (a fresh outbox);
* **no-op delivery**: the same command with the delivery's plan replaced by an empty one
  (no Odoo call at all), so the difference is what the dry-run Odoo and the delivery
  planning against it cost.

Each run is a fresh child process on a fresh copy of a migrated store; the figure is the
CPU time (``time.process_time``) of the ``ingest`` command inside it, imports done
before the clock starts. "over no-op" is what delivering to the dry run adds (planning
the delivery against it, storing the decision, the dry run itself); "in dry run" is the
CPU spent inside the dry-run Odoo's own methods (its calls, call files and state). Per
transaction = the slope between a small and a large run (``--files`` small and large),
which takes out the one-off costs (loading profiles and maps, the first Odoo lookups).
The whole child process's CPU (rusage, start-up included) is printed too, and "per
file": the median, over the large run's files after the small run's, of each file's CPU
from its intake to the end of its stages, per transaction (a load spike on a shared
machine hits one file, not the whole slope).

    .venv/bin/python bench/bench_dry_run.py --files 2 10 --sets 25 --repeat 5

``--baseline DIR`` adds a third set-up: the dry run of another checkout of the gateway
(an earlier commit, e.g. ``git worktree add --detach DIR COMMIT``), in the same rounds,
on a store migrated by that checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def make_files(files: int, sets: int) -> list[bytes]:
    """Keystone-style 005010 850 files, ``sets`` purchase orders of 5 lines each, all
    distinct (the files bench_pipeline.py used when issue 21 was measured)."""
    line = "PO1*{n}*{q}*EA*2.41**N4*00338004904*VP*KPW-338049~PID*F****SODIUM CHLORIDE 0.9%~"
    out = []
    for f in range(files):
        body = []
        for s in range(sets):
            segs = [
                f"ST*850*{s + 1:04d}*005010~",
                f"BEG*00*SA*BENCH-{f:04d}-{s:04d}**20261116~",
                "N1*BY*MERIDIAN GENERAL HOSPITAL*92*MH~",
            ]
            segs += [line.format(n=i + 1, q=10 + i) for i in range(5)]
            segs += ["CTT*5~"]
            segs.append(f"SE*{sum(x.count('~') for x in segs) + 1}*{s + 1:04d}~")
            body.append("\n".join(segs))
        control = f"{900000000 + f:09d}"
        text = (
            "ISA*00*          *00*          *ZZ*KEYSTONERX     *ZZ*MERIDIANHEALTH "
            f"*261116*0930*^*00501*{control}*0*P*>~\n"
            f"GS*PO*KEYSTONERX*MERIDIANHEALTH*20261116*0930*{f + 1}*X*005010~\n"
            + "\n".join(body)
            + f"\nGE*{sets}*{f + 1}~\nIEA*1*{control}~\n"
        )
        out.append(text.encode())
    return out


def _noop_planning() -> None:
    """Deliveries plan nothing: no Odoo call (this process only)."""
    import gateway.pipeline.deliver as stage
    from gateway.odoo.delivery import DeliveryPlan

    def plan_delivery(document: Any, **_: Any) -> DeliveryPlan:
        return DeliveryPlan(document_type=document.document_type, key="no-op")

    stage.plan_delivery = plan_delivery  # type: ignore[assignment]


def _count_inside_dry_run() -> list[float]:
    """CPU seconds spent inside the dry-run Odoo's own methods (this process): the share
    of the dry-run set-up that is the dry run itself, not the delivery planning that
    calls it or the pipeline's bookkeeping of the decision."""
    from gateway.odoo.dryrun import DryRunOdoo

    spent = [0.0]
    for name in ("call", "begin_document", "record_plan"):
        original = getattr(DryRunOdoo, name)

        def timed(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[0] += time.thread_time() - start

        setattr(DryRunOdoo, name, timed)
    return spent


def _count_per_file() -> list[list[float]]:
    """CPU seconds (process) of each file of the command: from its intake to the end of
    the stages it started (this process)."""
    from gateway.pipeline.dispatch import InlineDispatcher
    from gateway.pipeline.intake import StoreIntake

    marks: list[list[float]] = []
    receive, drain = StoreIntake.receive, InlineDispatcher.drain

    def timed_receive(*args: Any, **kwargs: Any) -> Any:
        marks.append([time.process_time(), 0.0])
        return receive(*args, **kwargs)

    def timed_drain(*args: Any, **kwargs: Any) -> Any:
        try:
            return drain(*args, **kwargs)
        finally:
            if marks:
                marks[-1][1] = time.process_time()

    StoreIntake.receive = timed_receive  # type: ignore[method-assign]
    InlineDispatcher.drain = timed_drain  # type: ignore[method-assign]
    return marks


def child(mode: str, data_dir: Path, files: list[str]) -> None:
    """One ``ingest`` in this process; prints its CPU seconds, those spent inside the
    dry-run Odoo, and the transactions delivered, as JSON."""
    os.environ["EDIGW_DATA_DIR"] = str(data_dir)
    from typer.main import get_command

    from gateway.cli.main import app

    inside = _count_inside_dry_run()
    marks = _count_per_file()
    if mode == "noop":
        _noop_planning()
    command = get_command(app)
    start = time.process_time()
    try:
        command.main(["ingest", "--quiet", *files], standalone_mode=False)
    finally:
        cpu = time.process_time() - start
    import sqlite3

    with sqlite3.connect(data_dir / "gateway.db") as db:
        (delivered,) = db.execute(
            "select count(*) from transactions where state = 'delivered'"
        ).fetchone()
    import gateway

    result = {
        "cpu": cpu,
        "inside": inside[0],
        "delivered": delivered,
        "gateway": gateway.__file__,
        "per_file": [end - start for start, end in marks],
    }
    print(json.dumps(result), file=sys.stderr)


def _run(
    mode: str, template: Path, work: Path, files: list[Path], repo: Path = REPO
) -> tuple[float, float, float, int, list[float]]:
    """(ingest CPU, CPU inside the dry-run Odoo, whole-process CPU, transactions
    delivered, CPU of each file) of one child run of the gateway in ``repo``."""
    data = work / f"data-{mode}"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template, data)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, __file__, "child", mode, str(data), *map(str, files)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo)},
        cwd=repo,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{mode}: child failed\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    if not Path(result["gateway"]).resolve().is_relative_to(repo):
        raise SystemExit(f"{mode}: measured {result['gateway']}, not the gateway in {repo}")
    whole = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result["cpu"], result["inside"], whole, result["delivered"], result["per_file"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs=2, default=[2, 10], metavar=("SMALL", "LARGE"))
    parser.add_argument("--sets", type=int, default=25, help="purchase orders per file")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout: its dry run too")
    args = parser.parse_args()
    setups: dict[str, tuple[str, Path]] = {
        "dry": ("dry", REPO),
        "noop": ("noop", REPO),
    }
    labels = {"dry": "dry-run Odoo", "noop": "no-op delivery"}
    if args.baseline is not None:
        setups["base"] = ("dry", args.baseline.resolve())
        labels["base"] = "dry-run Odoo, baseline"
    small, large = args.files
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # a migrated store per checkout: another commit may have another migration head
        templates: dict[Path, Path] = {}
        for _, repo in setups.values():
            if repo in templates:
                continue
            templates[repo] = work / f"template-{len(templates)}"
            subprocess.run(
                [sys.executable, "-m", "gateway.cli.main", "db-upgrade"],
                env={**os.environ, "EDIGW_DATA_DIR": str(templates[repo]), "PYTHONPATH": str(repo)},
                cwd=repo,
                check=True,
                capture_output=True,
            )
        paths = []
        for i, data in enumerate(make_files(large, args.sets)):
            path = work / f"po-{i:04d}.edi"
            path.write_bytes(data)
            paths.append(path)
        txns = (large - small) * args.sets
        slopes: dict[str, list[float]] = {name: [] for name in setups}
        wholes: dict[str, list[float]] = {name: [] for name in setups}
        shares: dict[str, list[float]] = {name: [] for name in setups if name != "noop"}
        insides: dict[str, list[float]] = {name: [] for name in setups}
        per_file: dict[str, list[float]] = {name: [] for name in setups}
        for round_ in range(args.repeat):
            per: dict[str, float] = {}
            for name, (mode, repo) in setups.items():
                template = templates[repo]
                cpu_small, in_small, _, _, _ = _run(mode, template, work, paths[:small], repo)
                cpu_large, in_large, whole, delivered, files_cpu = _run(
                    mode, template, work, paths[:large], repo
                )
                # each file after the small run's, on its own: a load spike hits one file
                per_file[name].append(statistics.median(files_cpu[small:]) / args.sets)
                if delivered != large * args.sets:
                    raise SystemExit(f"{name}: {delivered} of {large * args.sets} delivered")
                per[name] = (cpu_large - cpu_small) / txns
                slopes[name].append(per[name])
                wholes[name].append(whole)
                insides[name].append((in_large - in_small) / txns)
            for name in shares:
                shares[name].append(per[name] - per["noop"])
            print(
                f"round {round_ + 1}: "
                + ", ".join(f"{labels[n]} {per[n] * 1000:.2f}" for n in setups)
                + " ms/txn; per file "
                + ", ".join(f"{per_file[n][-1] * 1000:.2f}" for n in setups),
                flush=True,
            )
    print(
        f"\n{large} files x {args.sets} transactions (slope against {small} files), "
        f"median of {args.repeat}"
    )
    print(
        f"{'set-up':<28} {'CPU ms/txn':>11} {'over no-op':>11} {'in dry run':>11} "
        f"{'process CPU s':>14} {'per file':>9}"
    )
    for name in setups:
        over = f"{statistics.median(shares[name]) * 1000:>11.2f}" if name in shares else " " * 11
        print(
            f"{labels[name]:<28} {statistics.median(slopes[name]) * 1000:>11.2f} {over} "
            f"{statistics.median(insides[name]) * 1000:>11.2f} "
            f"{statistics.median(wholes[name]):>14.2f} "
            f"{statistics.median(per_file[name]) * 1000:>9.2f}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(sys.argv[2], Path(sys.argv[3]), sys.argv[4:])
    else:
        main()

"""Pipeline throughput: transactions per second through ingest → split → validate →
acknowledge → translate → (no-op) deliver.

Two set-ups measured in one run, on the same generated files:

* **embedded**: SQLite, file payloads, stages run in-process (what ``ingest`` and the
  demo use);
* **postgres+redis**: PostgreSQL store, Redis broker, two ``celery worker`` processes
  (two threads each) — the production topology on one machine.

Delivery is a no-op (the Odoo call replaced by a function that returns at once), so the
figure is the gateway's own cost. Run::

    .venv/bin/python bench/bench_pipeline.py --files 40 --sets 25

(PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 as in tests/conftest.py; the
postgres+redis case is skipped with a message when they are not reachable.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

POSTGRES = os.environ.get(
    "EDIGW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("EDIGW_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def make_files(files: int, sets: int) -> list[bytes]:
    """Keystone-style 005010 850 files, ``sets`` purchase orders each, all distinct."""
    line = "PO1*{n}*{q}*EA*2.41**N4*00338004904*VP*KPW-338049~PID*F****SODIUM CHLORIDE 0.9%~"
    out = []
    for f in range(files):
        body, count = [], 0
        for s in range(sets):
            po = f"BENCH-{f:04d}-{s:04d}"
            segs = [
                f"ST*850*{s + 1:04d}*005010~",
                f"BEG*00*SA*{po}**20261116~",
                "N1*BY*MERIDIAN GENERAL HOSPITAL*92*MH~",
            ]
            segs += [line.format(n=i + 1, q=10 + i) for i in range(5)]
            segs += ["CTT*5~"]
            n_segs = sum(x.count("~") for x in segs) + 1
            segs.append(f"SE*{n_segs}*{s + 1:04d}~")
            body.append("\n".join(segs))
            count += 1
        control = f"{900000000 + f:09d}"
        text = (
            "ISA*00*          *00*          *ZZ*KEYSTONERX     *ZZ*MERIDIANHEALTH "
            f"*261116*0930*^*00501*{control}*0*P*>~\n"
            f"GS*PO*KEYSTONERX*MERIDIANHEALTH*20261116*0930*{f + 1}*X*005010~\n"
            + "\n".join(body)
            + f"\nGE*{count}*{f + 1}~\nIEA*1*{control}~\n"
        )
        out.append(text.encode())
    return out


def noop_delivery() -> None:
    """Replace the Odoo delivery with one that returns at once (this process only)."""
    from gateway.odoo import delivery
    from gateway.odoo.delivery import DeliveryOutcome

    def deliver(document: Any, *, profile: Any, odoo: Any) -> DeliveryOutcome:
        return DeliveryOutcome(records=[], exceptions=[], already_existed=False, notes=["no-op"])

    delivery.deliver = deliver  # type: ignore[assignment]


def count_done(runtime: Any) -> int:
    from sqlalchemy import func, select

    from gateway.store.models import Transaction

    with runtime.sessions() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Transaction)
                .where(Transaction.state == "delivered")
            )
            or 0
        )


def run_embedded(files: list[bytes], total: int) -> float:
    from gateway.intake import ReceivedPayload
    from gateway.pipeline.build import build_runtime
    from gateway.pipeline.intake import StoreIntake
    from gateway.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(Settings(data_dir=Path(tmp)), odoo_factory=lambda: None)
        intake = StoreIntake(runtime)
        start = time.perf_counter()
        for i, data in enumerate(files):
            intake.receive(ReceivedPayload(data=data, transport="cli", filename=f"f{i}.edi"))
            runtime.dispatcher.drain()  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - start
        done = count_done(runtime)
        runtime.engine.dispose()
    if done != total:
        raise SystemExit(f"embedded: only {done} of {total} transactions delivered")
    return total / elapsed


def run_distributed(files: list[bytes], total: int, workers: int) -> float | None:
    import redis
    import sqlalchemy
    from sqlalchemy.engine import make_url

    from gateway.celery_app import make_celery
    from gateway.intake import ReceivedPayload
    from gateway.pipeline.build import build_runtime
    from gateway.pipeline.dispatch import CeleryDispatcher
    from gateway.pipeline.intake import StoreIntake
    from gateway.settings import Settings

    try:
        redis.Redis.from_url(REDIS).flushdb()
        admin = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        name = f"edigw_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"postgres+redis skipped: {exc}")
        return None
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), database_url=url, broker_url=REDIS)
            runtime = build_runtime(
                settings,
                dispatcher=CeleryDispatcher(make_celery(settings)),
                odoo_factory=lambda: None,
            )
            env = {
                **os.environ,
                "EDIGW_DATA_DIR": tmp,
                "EDIGW_DATABASE_URL": url,
                "EDIGW_BROKER_URL": REDIS,
                "PYTHONPATH": str(REPO),
            }
            for _ in range(workers):
                procs.append(
                    subprocess.Popen(
                        [sys.executable, str(Path(__file__).resolve()), "--worker"],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            time.sleep(4)  # workers connect
            intake = StoreIntake(runtime)
            start = time.perf_counter()
            for i, data in enumerate(files):
                intake.receive(ReceivedPayload(data=data, transport="cli", filename=f"f{i}.edi"))
            while count_done(runtime) < total:
                if time.perf_counter() - start > 600:
                    raise SystemExit("postgres+redis: not done after 600 s")
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
            runtime.engine.dispose()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return total / elapsed


def worker_main() -> None:
    """A Celery worker process with the no-op delivery."""
    noop_delivery()
    from gateway.celery_app import app

    app.worker_main(
        [
            "worker",
            "-Q",
            "gateway",
            "--pool",
            "threads",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--sets", type=int, default=25, help="transactions per file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main()
        return
    noop_delivery()
    files = make_files(args.files, args.sets)
    total = args.files * args.sets
    print(
        f"{args.files} files x {args.sets} transactions = {total} transactions, "
        f"{sum(map(len, files)) / 1024:.0f} KB; median of {args.repeat}"
    )
    embedded = [run_embedded(files, total) for _ in range(args.repeat)]
    print(
        f"embedded (SQLite, in-process):           {statistics.median(embedded):7.1f} txn/s  "
        f"runs {', '.join(f'{x:.1f}' for x in embedded)}"
    )
    dist = [run_distributed(files, total, args.workers) for _ in range(args.repeat)]
    got = [d for d in dist if d is not None]
    if got:
        print(
            f"postgres+redis ({args.workers} worker processes x 2 threads): "
            f"{statistics.median(got):7.1f} txn/s  runs {', '.join(f'{x:.1f}' for x in got)}"
        )


if __name__ == "__main__":
    main()

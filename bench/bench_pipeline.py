"""Pipeline cost per transaction: CPU of every process, SQL statements, commits, tasks.

Ingest → split → validate → acknowledge → translate → deliver, with the Odoo side of the
delivery replaced by a no-op (the plan is empty, so nothing is written to Odoo; the
claim, the ledger checks and the outcome are the gateway's own and are measured). Two
cases, each on generated files (every file distinct, so nothing is a duplicate):

* **small-850**: Keystone-style 005010 850s, ``--sets`` purchase orders of 5 lines each
  per file;
* **856-500**: Summit-style 004010 856s, one ship notice of 500 items (lot and expiry
  each) per file.

Set-ups (``--modes``), measured in the same run on the same files:

* **embedded**: SQLite, file payloads, stages in this process (inline ``ingest``, demo);
* **distributed**: PostgreSQL store, Redis broker, ``--workers`` Celery worker processes
  (threads pool) fed by this process: the production topology on one machine;
* **run**: the real ``edi-gateway run`` (the default a user starts: SQLite, kombu's
  filesystem broker, its own worker process with 2 threads and the scheduler) fed by the
  real ``edi-gateway ingest --queue``, as bench/bench_run.py does; the no-op delivery is
  put into its worker by a ``sitecustomize`` hook (``--run-delivery dry-run`` keeps the
  default dry-run Odoo instead). Not in the default ``--modes``;
* **scale-out**: the distributed set-up with each of ``--scale-workers`` (1, 2, 4) worker
  processes: transactions per second (wall) and CPU per transaction of all processes.
  Not in the default ``--modes``.

Next to each, a **floor** in the same run: the same files through the engines only
(parse once, acknowledgement built, every transaction mapped to its canonical document)
and plain SQL rows (message, interchange, transactions with their documents, one event
each), one transaction per file, on the same database, with the heap settled as in the
embedded run (``gateway.heap.settle()``). It is what any design has to pay.

With ``--stages`` the embedded set-up also gives each stage's share (intake, split,
validate, acknowledge, send_ack, translate, deliver): CPU ms (``time.process_time``
around each stage run), SQL statements and commits per transaction.

Per set-up the report gives CPU ms per transaction of each process (utime + stime from
``/proc/<pid>/stat``: this process, the workers, the PostgreSQL backends serving the
benchmark database, the Redis server), its peak memory (``VmHWM``), SQL statements and
commits per transaction (SQLAlchemy engine events, counted in every process), and Celery
tasks per transaction. Every run of every set-up (and of the floor) happens in a new
Python process of its own, spawned for it, as a gateway process starts: no run inherits
another's heap (``heap.settle`` freezes what is alive once per process), and ``VmHWM``
is that run's own. One warm-up file runs first and is not counted. In the run
mode the processes are ``edi-gateway run`` itself, every process under it (the Celery
worker and its embedded beat) and the ``ingest --queue`` command from the moment it
queues its first file (its start-up left out; the rest scaled by N/(N-1)). Run::

    .venv/bin/python bench/bench_pipeline.py --files 20 --sets 25 --repeat 3
    .venv/bin/python bench/bench_pipeline.py --modes embedded,run --repeat 3
    .venv/bin/python bench/bench_pipeline.py --modes scale-out --scale-workers 1,2,4

(PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 as in tests/conftest.py; the
distributed set-up is skipped with a message when they are not reachable.)
"""

from __future__ import annotations

import argparse
import atexit
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

POSTGRES = os.environ.get(
    "EDIGW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("EDIGW_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
TICK = os.sysconf("SC_CLK_TCK")
STATS_ENV = "EDIGW_BENCH_STATS_DIR"
THREADS_ENV = "EDIGW_BENCH_THREADS"
T = TypeVar("T")

# ---------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------


def make_850s(files: int, sets: int, base: int = 0) -> list[bytes]:
    """Keystone-style 005010 850 files, ``sets`` purchase orders each, all distinct."""
    line = "PO1*{n}*{q}*EA*2.41**N4*00338004904*VP*KPW-338049~PID*F****SODIUM CHLORIDE 0.9%~"
    out = []
    for f in range(base, base + files):
        body = []
        for s in range(sets):
            segs = [
                f"ST*850*{s + 1:04d}*005010~",
                f"BEG*00*SA*BENCH-{f:04d}-{s:04d}**20261116~",
                "N1*BY*MERIDIAN GENERAL HOSPITAL*92*MH~",
            ]
            segs += [line.format(n=i + 1, q=10 + i) for i in range(5)]
            segs += ["CTT*5~"]
            n_segs = sum(x.count("~") for x in segs) + 1
            segs.append(f"SE*{n_segs}*{s + 1:04d}~")
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


def make_856s(files: int, items: int = 500, base: int = 0) -> list[bytes]:
    """Summit-style 004010 856 files: one ship notice of ``items`` items (10 per pack)."""
    out = []
    for f in range(base, base + files):
        segs = [
            "ST*856*0001~",
            f"BSN*00*SH-B{f:05d}*20261118*1415*0001~",
            "HL*1**S~",
            "TD1*PLT90*2****G*412*LB~",
            "TD5**2*UPSN*M~",
            f"REF*BM*SH-B{f:05d}~",
            "DTM*011*20261118~",
            "N1*SF*SUMMIT MEDICAL SUPPLY*1*045678912~",
            "N1*ST*MERIDIAN GENERAL HOSPITAL RECEIVING*UL*5412345000013~",
            "HL*2*1*O~",
            "PRF*MH-2026-0417***20261116~",
        ]
        hl = 2
        for pack in range(items // 10):
            hl += 1
            pack_hl = hl
            segs += [f"HL*{pack_hl}*2*P~", f"MAN*GM*{5412345000000 + f * 1000 + pack:018d}~"]
            for i in range(10):
                n = pack * 10 + i
                hl += 1
                segs += [
                    f"HL*{hl}*{pack_hl}*I~",
                    f"LIN*{n + 1}*VP*SMS-{n:05d}*UK*{10884521000000 + n:014d}~",
                    f"SN1**{1 + n % 40}*BX~",
                    f"PID*F****BENCH ITEM {n} BOX/100~",
                    f"REF*BT*LOT{f:03d}{n:05d}~",
                    f"DTM*208*2029{1 + n % 12:02d}28~",
                ]
        segs.append(f"CTT*{items}~")
        segs.append(f"SE*{len(segs) + 1}*0001~")
        control = f"{800000000 + f:09d}"
        text = (
            "ISA*00*          *00*          *ZZ*SUMMITMED      *ZZ*MERIDIANHEALTH "
            f"*261116*0930*U*00401*{control}*0*P*>~\n"
            f"GS*SH*SUMMITMED*MERIDIANHEALTH*20261116*0930*{f + 1}*X*004010~\n"
            + "\n".join(segs)
            + f"\nGE*1*{f + 1}~\nIEA*1*{control}~\n"
        )
        out.append(text.encode())
    return out


@dataclass(frozen=True)
class Case:
    """One workload: its files, the warm-up file and the transactions they hold; ``spare``:
    more distinct warm-up files, so that every worker thread of the distributed set-up
    has run once before the clock starts."""

    name: str
    files: list[bytes]
    warmup: bytes
    per_file: int
    spare: list[bytes] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.files) * self.per_file


def make_cases(args: argparse.Namespace) -> list[Case]:
    cases = []
    # worker processes x threads, less the warm-up file itself
    spare = args.threads * max([args.workers, *args.scale]) - 1
    if "small-850" in args.cases:
        files = make_850s(args.files + 1, args.sets)
        spares = make_850s(spare, args.sets, base=10000)
        cases.append(Case("small-850", files[1:], files[0], args.sets, spares))
    if "856-500" in args.cases:
        files = make_856s(args.files_856 + 1, 500)
        cases.append(Case("856-500", files[1:], files[0], 1, make_856s(spare, base=10000)))
    return cases


# ---------------------------------------------------------------------------------------
# what is counted: /proc, SQLAlchemy events, Celery signals
# ---------------------------------------------------------------------------------------


def cpu_seconds(pid: int | str = "self") -> float:
    """utime + stime of a process (seconds); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak resident memory of a process (MB)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


COUNTS = {"statements": 0, "commits": 0, "tasks": 0}


def install_counters() -> None:
    """Count SQL statements (executemany = 1) and commits of every engine in this process."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def statement(*_: Any) -> None:
        COUNTS["statements"] += 1

    def commit(*_: Any) -> None:
        COUNTS["commits"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)


def noop_delivery() -> None:
    """Replace the Odoo side of the deliver stage with one that decides and writes nothing."""
    import gateway.pipeline.deliver as stage
    from gateway.odoo.delivery import DeliveryOutcome, DeliveryPlan, delivery_key

    def plan_delivery(document: Any, *, profile: Any, **_: Any) -> DeliveryPlan:
        return DeliveryPlan(
            document_type=document.document_type, key=delivery_key(document, profile)
        )

    def apply_plan(plan: DeliveryPlan, odoo: Any, **_: Any) -> DeliveryOutcome:
        return DeliveryOutcome(records=[], exceptions=[], already_existed=False, notes=["no-op"])

    stage.plan_delivery = plan_delivery  # type: ignore[assignment]
    stage.apply_plan = apply_plan  # type: ignore[assignment]


@dataclass
class Figures:
    """One measured run of one set-up."""

    txns: int
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds
    hwm: dict[str, float] = field(default_factory=dict)  # process -> MB
    statements: int = 0
    commits: int = 0
    tasks: int | None = None
    wall: float = 0.0
    stages: dict[str, list[float]] = field(default_factory=dict)  # --stages: CPU s, stmts, commits

    def per_txn(self) -> dict[str, float]:
        out = {f"cpu {k} ms": v * 1000 / self.txns for k, v in self.cpu.items()}
        out["cpu total ms"] = sum(self.cpu.values()) * 1000 / self.txns
        out["statements"] = self.statements / self.txns
        out["commits"] = self.commits / self.txns
        if self.tasks is not None:
            out["tasks"] = self.tasks / self.txns
        out["txn/s"] = self.txns / self.wall if self.wall else 0.0
        return out


# ---------------------------------------------------------------------------------------
# embedded and distributed runs
# ---------------------------------------------------------------------------------------


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


def time_stages(figures: dict[str, list[float]]) -> Callable[[], None]:
    """Time every stage run of this process into ``figures`` (stage -> CPU seconds,
    statements, commits); the function that puts the stages back."""
    import dataclasses

    from gateway.pipeline import runner

    table = runner.stage_table()
    saved = dict(table)
    for stage, spec in saved.items():
        table[stage] = dataclasses.replace(spec, run=timed(figures, stage.value, spec.run))
    return lambda: table.update(saved)


def timed(figures: dict[str, list[float]], name: str, run: Callable[..., Any]) -> Any:
    """``run`` with its CPU, statements and commits added to ``figures[name]``."""

    def measured(*args: Any) -> Any:
        cpu, statements, commits = time.process_time(), COUNTS["statements"], COUNTS["commits"]
        try:
            return run(*args)
        finally:
            got = figures.setdefault(name, [0.0, 0, 0])
            got[0] += time.process_time() - cpu
            got[1] += COUNTS["statements"] - statements
            got[2] += COUNTS["commits"] - commits

    return measured


def run_embedded(case: Case, stages: bool = False) -> Figures:
    from gateway import heap
    from gateway.intake import ReceivedPayload
    from gateway.pipeline.build import build_runtime
    from gateway.pipeline.intake import StoreIntake
    from gateway.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(Settings(data_dir=Path(tmp)), odoo_factory=lambda: None)
        heap.settle()  # as `edi-gateway ingest` (cli_runtime) and every started process do
        intake = StoreIntake(runtime)
        intake.receive(ReceivedPayload(data=case.warmup, transport="cli", filename="warm.edi"))
        runtime.dispatcher.drain()  # type: ignore[attr-defined]
        per_stage: dict[str, list[float]] = {}
        receive = intake.receive
        if stages:
            restore = time_stages(per_stage)
            receive = timed(per_stage, "intake", intake.receive)
        before, counts = cpu_seconds(), dict(COUNTS)
        start = time.perf_counter()
        for i, data in enumerate(case.files):
            receive(ReceivedPayload(data=data, transport="cli", filename=f"f{i}.edi"))
            runtime.dispatcher.drain()  # type: ignore[attr-defined]
        wall = time.perf_counter() - start
        if stages:
            restore()
        figures = Figures(
            txns=case.total,
            cpu={"bench": cpu_seconds() - before},
            hwm={"bench": vm_hwm_mb()},
            statements=COUNTS["statements"] - counts["statements"],
            commits=COUNTS["commits"] - counts["commits"],
            wall=wall,
            stages=per_stage,
        )
        done = count_done(runtime) - case.per_file
        runtime.engine.dispose()
    if done != case.total:
        raise SystemExit(f"embedded {case.name}: only {done} of {case.total} delivered")
    return figures


def _postgres_database() -> tuple[Any, str, str] | None:
    import redis
    import sqlalchemy
    from sqlalchemy.engine import make_url

    try:
        redis.Redis.from_url(REDIS).flushdb()
        admin = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        name = f"edigw_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"distributed skipped: {exc}")
        return None
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    return admin, name, url


def _drop(admin: Any, name: str) -> None:
    import sqlalchemy

    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _backends(admin: Any, name: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the benchmark database."""
    import sqlalchemy

    with admin.connect() as conn:
        pids = conn.execute(
            sqlalchemy.text("SELECT pid FROM pg_stat_activity WHERE datname = :n"), {"n": name}
        ).scalars()
        return {int(p): cpu_seconds(p) for p in pids}


def _redis_cpu() -> tuple[int, float]:
    import redis

    info = redis.Redis.from_url(REDIS).info()
    return int(info["process_id"]), float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def _wait_done(runtime: Any, target: int, limit: float = 900.0) -> None:
    start = time.perf_counter()
    while count_done(runtime) < target:
        if time.perf_counter() - start > limit:
            raise SystemExit(f"distributed: not done after {limit:.0f} s")
        time.sleep(0.5)  # the poll's own CPU counts in this process


def run_distributed(case: Case, workers: int, threads: int = 2) -> Figures | None:
    from gateway.celery_app import make_celery
    from gateway.intake import ReceivedPayload
    from gateway.pipeline.build import build_runtime
    from gateway.pipeline.dispatch import CeleryDispatcher
    from gateway.pipeline.intake import StoreIntake
    from gateway.settings import Settings

    db = _postgres_database()
    if db is None:
        return None
    admin, name, url = db
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), database_url=url, broker_url=REDIS)
            runtime = build_runtime(
                settings,
                dispatcher=CeleryDispatcher(make_celery(settings)),
                odoo_factory=lambda: None,
            )
            stats = Path(tmp) / "stats"
            stats.mkdir()
            env = {
                **os.environ,
                "EDIGW_DATA_DIR": tmp,
                "EDIGW_DATABASE_URL": url,
                "EDIGW_BROKER_URL": REDIS,
                "PYTHONPATH": str(REPO),
                STATS_ENV: str(stats),
                THREADS_ENV: str(threads),
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
            _wait_ready(procs, stats)
            intake = StoreIntake(runtime)
            # one warm-up file per worker thread: each has loaded what it lazily loads
            warmups = [case.warmup, *case.spare[: threads * workers - 1]]
            for i, data in enumerate(warmups):
                intake.receive(ReceivedPayload(data=data, transport="cli", filename=f"w{i}.edi"))
            _wait_done(runtime, case.per_file * len(warmups))
            time.sleep(1.0)  # let the warm-up's last acknowledgements settle
            for p in procs:
                os.kill(p.pid, signal.SIGUSR2)  # write the counters so far
            time.sleep(0.5)
            warm = _read_stats(stats)
            before = {
                "bench": cpu_seconds(),
                "workers": sum(cpu_seconds(p.pid) for p in procs),
            }
            pg_before = _backends(admin, name)
            redis_pid, redis_before = _redis_cpu()
            counts = dict(COUNTS)
            start = time.perf_counter()
            for i, data in enumerate(case.files):
                intake.receive(ReceivedPayload(data=data, transport="cli", filename=f"f{i}.edi"))
            _wait_done(runtime, case.per_file * len(warmups) + case.total)
            wall = time.perf_counter() - start
            time.sleep(1.0)  # acknowledgements may still be sending after the last delivery
            cpu = {
                "bench": cpu_seconds() - before["bench"],
                "workers": sum(cpu_seconds(p.pid) for p in procs) - before["workers"],
            }
            pg_after = _backends(admin, name)
            cpu["postgres"] = sum(v - pg_before.get(p, 0.0) for p, v in pg_after.items())
            cpu["redis (shared)"] = _redis_cpu()[1] - redis_before
            hwm = {"bench": vm_hwm_mb()}
            hwm["worker (max)"] = max(vm_hwm_mb(p.pid) for p in procs)
            hwm["redis"] = vm_hwm_mb(redis_pid)
            for p in procs:
                os.kill(p.pid, signal.SIGUSR2)
            time.sleep(0.5)
            done = _read_stats(stats)
            runtime.engine.dispose()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
        _drop(admin, name)
    return Figures(
        txns=case.total,
        cpu=cpu,
        hwm=hwm,
        statements=COUNTS["statements"] - counts["statements"] + done[0] - warm[0],
        commits=COUNTS["commits"] - counts["commits"] + done[1] - warm[1],
        tasks=done[2] - warm[2],
        wall=wall,
    )


def _wait_ready(procs: list[subprocess.Popen[bytes]], stats: Path, limit: float = 300.0) -> None:
    """Until every worker has started (each writes its counters when ready), so that no
    worker's start-up falls inside the measured window."""
    start = time.perf_counter()
    while len(list(stats.glob("*.json"))) < len(procs):
        if any(p.poll() is not None for p in procs) or time.perf_counter() - start > limit:
            raise SystemExit("distributed: a worker did not start")
        time.sleep(0.2)


def _read_stats(folder: Path) -> tuple[int, int, int]:
    totals = [0, 0, 0]
    for path in folder.glob("*.json"):
        data = json.loads(path.read_text())
        totals[0] += data["statements"]
        totals[1] += data["commits"]
        totals[2] += data["tasks"]
    return totals[0], totals[1], totals[2]


def worker_main() -> None:
    """A Celery worker process with the no-op delivery, counting what it does."""
    from celery.signals import task_prerun, worker_ready

    noop_delivery()
    install_counters()
    folder = Path(os.environ[STATS_ENV])

    def task(**_: Any) -> None:
        COUNTS["tasks"] += 1

    def dump(*_: Any) -> None:
        (folder / f"{os.getpid()}.json").write_text(json.dumps(COUNTS))

    def ready(**_: Any) -> None:
        signal.signal(signal.SIGUSR2, dump)  # after Celery installed its own handlers
        dump()  # tells the benchmark this worker is up

    task_prerun.connect(task, weak=False)
    worker_ready.connect(ready, weak=False)
    from gateway.celery_app import app

    app.worker_main(
        [
            "worker",
            "-Q",
            "gateway",
            "--pool",
            "threads",
            "--concurrency",
            os.environ.get(THREADS_ENV, "2"),
            # as `edi-gateway worker` and `run` start theirs: no peer chatter
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ]
    )


# ---------------------------------------------------------------------------------------
# the run mode: `edi-gateway run` fed by `edi-gateway ingest --queue`
# ---------------------------------------------------------------------------------------

NOOP_ENV = "EDIGW_BENCH_NOOP_DELIVERY"
CLI = [sys.executable, "-m", "gateway.cli.main"]
HOOK = "import bench.bench_pipeline as _bench\n_bench.child_hook()\n"


def child_hook() -> None:
    """Run by the ``sitecustomize`` the run mode puts first on ``PYTHONPATH``: in every
    Python process of the gateway (``run``, its worker and beat, ``ingest``), count SQL
    statements, commits and Celery tasks into ``<stats>/<pid>.json`` (after every task
    and at exit) and, when asked, give the worker the no-op delivery. With them go the
    process's CPU seconds and, under ``"first"``, its CPU and counts when it first sent
    a task: for ``ingest --queue``, the end of its start-up (the first file is queued)."""
    if STATS_ENV not in os.environ:
        return
    folder = Path(os.environ[STATS_ENV])
    install_counters()
    first: dict[str, float] = {}

    def dump(**_: Any) -> None:
        data = {**COUNTS, "cpu": time.process_time(), "first": first or None}
        tmp = folder / f".{os.getpid()}-{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(data))
        os.replace(tmp, folder / f"{os.getpid()}.json")  # tasks run on threads: atomic

    def task(**_: Any) -> None:
        COUNTS["tasks"] += 1

    def published(**_: Any) -> None:
        if not first:
            first.update(COUNTS, cpu=time.process_time())

    atexit.register(dump)
    from celery.signals import before_task_publish, task_postrun, task_prerun, worker_init

    task_prerun.connect(task, weak=False)
    task_postrun.connect(dump, weak=False)
    before_task_publish.connect(published, weak=False)
    if os.environ.get(NOOP_ENV):
        worker_init.connect(lambda **_: noop_delivery(), weak=False)


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (children, their children, ...), from ``/proc``."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _count_delivered(db: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
            row = conn.execute("select count(*) from transactions where state = 'delivered'")
            return int(row.fetchone()[0])
    except sqlite3.Error:
        return 0


def _wait_delivered(db: Path, target: int, limit: float = 900.0) -> None:
    start = time.perf_counter()
    while _count_delivered(db) < target:
        if time.perf_counter() - start > limit:
            raise SystemExit(f"run: {_count_delivered(db)} of {target} delivered after {limit} s")
        time.sleep(0.5)


def _feed(env: dict[str, str], files: list[Path]) -> tuple[float, float]:
    """``edi-gateway ingest --queue`` of ``files``: its CPU seconds and peak memory (MB)."""
    cmd = [*CLI, "ingest", "--queue", "--quiet", *map(str, files)]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # its rusage: CPU and peak memory
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"run: ingest --queue failed ({proc.returncode}): {tail}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def _stats_by_pid(folder: Path) -> dict[int, dict[str, int]]:
    return {int(p.stem): json.loads(p.read_text()) for p in folder.glob("[0-9]*.json")}


def _run_cpu(pid: int) -> dict[int, float]:
    return {p: cpu_seconds(p) for p in [pid, *descendants(pid)]}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_run(case: Case, delivery: str) -> Figures:
    """``edi-gateway run`` on a fresh data directory, fed by ``ingest --queue``."""
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        data, hook, stats, inbox = tmp / "data", tmp / "hook", tmp / "stats", tmp / "files"
        for folder in (hook, stats, inbox):
            folder.mkdir()
        (hook / "sitecustomize.py").write_text(HOOK)
        warm = inbox / "warm.edi"
        warm.write_bytes(case.warmup)
        files = []
        for i, payload in enumerate(case.files):
            files.append(inbox / f"f{i:05d}.edi")
            files[-1].write_bytes(payload)
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
        env.update(
            EDIGW_DATA_DIR=str(data),
            EDIGW_HTTP_PORT=str(_free_port()),
            EDIGW_SFTP_PORT=str(_free_port()),
            EDIGW_WATCH_CONFIG="false",
            PYTHONPATH=os.pathsep.join([str(hook), str(REPO)]),
            PYTHONUNBUFFERED="1",
            **{STATS_ENV: str(stats)},
        )
        if delivery == "noop":
            env[NOOP_ENV] = "1"
        db = data / "gateway.db"
        log_path = tmp / "run.log"
        with log_path.open("wb") as log:
            run = subprocess.Popen([*CLI, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while b"ready." not in log_path.read_bytes():
                if run.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    raise SystemExit(f"run did not start:\n{tail}")
                time.sleep(0.2)
            _feed(env, [warm])
            _wait_delivered(db, case.per_file)
            time.sleep(1.0)  # the warm-up's acknowledgements and last task dump settle
            before, stats_before = _run_cpu(run.pid), _stats_by_pid(stats)
            start = time.perf_counter()
            _, feed_hwm = _feed(env, files)
            _wait_delivered(db, case.per_file + case.total)
            wall = time.perf_counter() - start
            time.sleep(1.0)
            after, stats_after = _run_cpu(run.pid), _stats_by_pid(stats)
            worker = next((p for p in after if _parent(p) == run.pid), run.pid)
            hwm = {"run": vm_hwm_mb(run.pid), "worker": vm_hwm_mb(worker)}
        finally:
            run.send_signal(signal.SIGTERM)
            run.wait(timeout=120)
    grow: dict[str, float] = {"statements": 0.0, "commits": 0.0, "tasks": 0.0}
    for pid in after:
        for key in grow:
            old = stats_before.get(pid, {}).get(key, 0)
            grow[key] += stats_after.get(pid, {}).get(key, old) - old
    # the feed: from queueing its first file to its exit, scaled by N / (N - 1) for the
    # first file's own intake; what came before that is start-up (imports, settings,
    # the store opened and checked), which a long-running intake does not pay per file
    (feed,) = [s for p, s in stats_after.items() if p not in stats_before and p not in after]
    n = len(case.files)
    share = n / (n - 1) if n > 1 else 1.0
    for key in ("statements", "commits"):
        grow[key] += (feed[key] - feed["first"][key]) * share
    cpu = {
        "run": after[run.pid] - before.get(run.pid, 0.0),
        "worker": after.get(worker, 0.0) - before.get(worker, 0.0),
        "beat, other children": sum(
            v - before.get(p, 0.0) for p, v in after.items() if p not in (run.pid, worker)
        ),
        "ingest --queue": (feed["cpu"] - feed["first"]["cpu"]) * share,
    }
    hwm["ingest --queue"] = feed_hwm
    return Figures(
        txns=case.total,
        cpu=cpu,
        hwm=hwm,
        statements=round(grow["statements"]),
        commits=round(grow["commits"]),
        tasks=round(grow["tasks"]),
        wall=wall,
    )


# ---------------------------------------------------------------------------------------
# the floor: engines and plain SQL rows
# ---------------------------------------------------------------------------------------

FLOOR_SCHEMA = [
    "CREATE TABLE floor_messages (id INTEGER PRIMARY KEY, sha TEXT, size INTEGER, state TEXT)",
    "CREATE TABLE floor_interchanges (id INTEGER PRIMARY KEY, message_id INTEGER, "
    "partner TEXT, control TEXT, ack TEXT)",
    "CREATE TABLE floor_transactions (id INTEGER PRIMARY KEY, interchange_id INTEGER, "
    "control TEXT, state TEXT, business_key TEXT, document TEXT)",
    "CREATE TABLE floor_events (id INTEGER PRIMARY KEY, transaction_id INTEGER, kind TEXT, "
    "detail TEXT)",
]


def run_floor(case: Case, url: str | None) -> Figures:
    """The same files through the engines and plain SQL inserts (one transaction a file)."""
    import hashlib

    import sqlalchemy

    from gateway.edi.model import AckControlNumbers
    from gateway.engines import engine_for, parse_payload
    from gateway.mapping import translate
    from gateway.partner_config import load_config
    from gateway.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        config = load_config(settings.profile_dirs(), settings.map_dirs())
        from gateway.identity import load_identities

        identities = load_identities(settings.identities_file)
        from gateway import heap

        heap.settle()  # as the embedded run (and every started process) does
        engine = sqlalchemy.create_engine(url or f"sqlite:///{tmp}/floor.db")
        with engine.begin() as conn:
            for ddl in FLOOR_SCHEMA:
                conn.execute(sqlalchemy.text(ddl.replace("INTEGER PRIMARY KEY", _pk(engine))))
        ids = _ids()

        def one(data: bytes) -> None:
            payload = parse_payload(data)
            sha = hashlib.sha256(data).hexdigest()
            (Path(tmp) / sha).write_bytes(data)
            message_id = next(ids)
            interchanges, txns, events = [], [], []
            for edi in payload.interchanges:
                profile = config.registry.find_for_interchange(edi)
                assert profile is not None, "the bench files come from sample partners"
                eng = engine_for(edi.syntax)
                acks = eng.build_acks(
                    edi,
                    policy=profile.acknowledgements,
                    ours=eng.own_identity(identities.get(profile.our_identity)),
                    numbers=lambda: AckControlNumbers(1, 1, 1),
                )
                ic_id = next(ids)
                interchanges.append(
                    {
                        "id": ic_id,
                        "m": message_id,
                        "p": profile.id,
                        "c": edi.control_number,
                        "a": b"".join(a.data for a in acks).decode(),
                    }
                )
                for group in edi.groups:
                    for txn in group.transactions:
                        mapping = config.maps.map_for(profile, "x12", group.version, txn.set_id)
                        doc = translate(
                            txn, interchange=edi, group=group, map=mapping, profile=profile
                        ).document
                        t_id = next(ids)
                        txns.append(
                            {
                                "id": t_id,
                                "i": ic_id,
                                "c": txn.control_number,
                                "k": doc.business_key,
                                "d": doc.model_dump_json(),
                            }
                        )
                        events.append({"id": next(ids), "t": t_id, "d": doc.business_key})
            with engine.begin() as conn:
                conn.execute(
                    sqlalchemy.text(
                        "INSERT INTO floor_messages VALUES (:id, :sha, :size, 'split')"
                    ),
                    {"id": message_id, "sha": sha, "size": len(data)},
                )
                conn.execute(
                    sqlalchemy.text("INSERT INTO floor_interchanges VALUES (:id, :m, :p, :c, :a)"),
                    interchanges,
                )
                conn.execute(
                    sqlalchemy.text(
                        "INSERT INTO floor_transactions VALUES (:id, :i, :c, 'delivered', :k, :d)"
                    ),
                    txns,
                )
                conn.execute(
                    sqlalchemy.text("INSERT INTO floor_events VALUES (:id, :t, 'delivered', :d)"),
                    events,
                )

        one(case.warmup)
        before, counts = cpu_seconds(), dict(COUNTS)
        start = time.perf_counter()
        for data in case.files:
            one(data)
        figures = Figures(
            txns=case.total,
            cpu={"bench": cpu_seconds() - before},
            hwm={"bench": vm_hwm_mb()},
            statements=COUNTS["statements"] - counts["statements"],
            commits=COUNTS["commits"] - counts["commits"],
            wall=time.perf_counter() - start,
        )
        engine.dispose()
    return figures


def _pk(engine: Any) -> str:
    return "INTEGER PRIMARY KEY" if engine.dialect.name == "sqlite" else "BIGINT PRIMARY KEY"


def _ids() -> Iterator[int]:
    n = 0
    while True:
        n += 1
        yield n


def _floor_distributed(case: Case) -> Figures | None:
    db = _postgres_database()
    if db is None:
        return None
    admin, name, url = db
    try:
        return run_floor(case, url)
    finally:
        _drop(admin, name)


# ---------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------


def report(label: str, runs: list[Figures]) -> None:
    """Medians (and each run) of every figure per transaction, peak memory per process."""
    rows: dict[str, list[float]] = {}
    for run in runs:
        for key, value in run.per_txn().items():
            rows.setdefault(key, []).append(value)
    print(f"  {label}")
    for key, values in rows.items():
        each = ", ".join(f"{v:.2f}" for v in values)
        print(f"    {key:<26} {statistics.median(values):9.2f}   ({each})")
    for proc in runs[0].hwm:
        print(f"    VmHWM {proc + ' MB':<20} {max(r.hwm[proc] for r in runs):9.1f}")
    if runs[0].stages:
        print("    per stage, per transaction (medians): CPU ms, statements, commits")
        for stage in runs[0].stages:
            cpu, statements, commits = (
                statistics.median(r.stages.get(stage, [0, 0, 0])[i] / r.txns for r in runs)
                for i in range(3)
            )
            print(f"      {stage:<12} {cpu * 1000:8.2f} {statements:8.2f} {commits:6.2f}")


def fresh(run: Callable[..., T], *args: Any) -> T:
    """``run(*args)`` in a new interpreter of its own (spawned, not forked), which is how
    every gateway process starts: it builds its runtime, settles its heap once
    (``gateway.heap.settle``) and works. Runs in one process would each inherit the
    earlier runs' heaps: ``settle`` freezes what is alive, so a second runtime in the
    same process carries the first one's objects for good (about 21,000 objects and
    5 MB more per embedded 856 run, and a slower run each time), and VmHWM would be the
    highest of every run so far."""
    with ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_fresh_setup
    ) as pool:
        return pool.submit(run, *args).result()


def _fresh_setup() -> None:
    """What every measured process counts and replaces (as :func:`main` did before)."""
    noop_delivery()
    install_counters()


def run_all(args: argparse.Namespace) -> None:
    cases = make_cases(args)
    for case in cases:
        size = sum(map(len, case.files)) / 1024
        print(f"\n{case.name}: {len(case.files)} files, {case.total} transactions, {size:.0f} KB")
        plans: list[tuple[str, Callable[..., Figures | None], tuple[Any, ...]]] = []
        if "embedded" in args.modes:
            plans += [
                ("embedded floor (engines + plain SQL, SQLite)", run_floor, (case, None)),
                ("embedded (SQLite, in-process)", run_embedded, (case, args.stages)),
            ]
        if "distributed" in args.modes:
            plans += [
                (
                    "distributed floor (engines + plain SQL, PostgreSQL)",
                    _floor_distributed,
                    (case,),
                ),
                (
                    f"distributed (PostgreSQL + Redis, "
                    f"{args.workers} workers x {args.threads} threads)",
                    run_distributed,
                    (case, args.workers, args.threads),
                ),
            ]
        if "run" in args.modes:
            plans.append(
                (
                    f"run (edi-gateway run, embedded default, {args.run_delivery} delivery, "
                    "fed by ingest --queue)",
                    run_run,
                    (case, args.run_delivery),
                )
            )
        scale = [
            (n, f"scale-out: distributed, {n} workers x {args.threads} threads") for n in args.scale
        ]
        if "scale-out" in args.modes:
            plans += [(label, run_distributed, (case, n, args.threads)) for n, label in scale]
        results: dict[str, list[Figures]] = {label: [] for label, _, _ in plans}
        for _ in range(args.repeat):  # interleaved: the machine's drift hits every set-up
            for label, plan, plan_args in plans:
                got = fresh(plan, *plan_args)
                if got is not None:
                    results[label].append(got)
        for label, runs in results.items():
            if runs:
                report(label, runs)
        if "scale-out" in args.modes:
            report_scale(case, [(n, results[label]) for n, label in scale])


def report_scale(case: Case, rows: list[tuple[int, list[Figures]]]) -> None:
    """Throughput and CPU per transaction against the worker processes (medians)."""
    print(f"  scale-out, {case.name}, {os.cpu_count()} CPUs (medians of the runs above)")
    print("    workers   txn/s  vs 1 worker   CPU ms/txn all   workers   postgres")
    base = None
    for n, runs in rows:
        if not runs:
            continue
        per = [r.per_txn() for r in runs]
        rate = statistics.median(p["txn/s"] for p in per)
        base = base or rate
        print(
            f"    {n:>7} {rate:7.1f} {rate / base:11.2f}x "
            f"{statistics.median(p['cpu total ms'] for p in per):16.2f} "
            f"{statistics.median(p['cpu workers ms'] for p in per):9.2f} "
            f"{statistics.median(p['cpu postgres ms'] for p in per):10.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=20, help="850 files (small-850)")
    parser.add_argument("--sets", type=int, default=25, help="850s per file")
    parser.add_argument("--files-856", type=int, default=6, help="856 files (856-500)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    parser.add_argument(
        "--threads", type=int, default=2, help="threads per celery worker process (distributed)"
    )
    parser.add_argument(
        "--cases", default="small-850,856-500", help="comma-separated: small-850, 856-500"
    )
    parser.add_argument(
        "--modes",
        default="embedded,distributed",
        help="comma-separated: embedded, distributed, run, scale-out",
    )
    parser.add_argument(
        "--run-delivery",
        choices=["noop", "dry-run"],
        default="noop",
        help="run mode: no-op delivery (as the other modes) or the default dry-run Odoo",
    )
    parser.add_argument(
        "--scale-workers", default="1,2,4", help="scale-out: comma-separated worker counts"
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="embedded: each stage's CPU ms, statements and commits per transaction",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main()
        return
    args.cases = args.cases.split(",")
    args.modes = args.modes.split(",")
    args.scale = [int(n) for n in args.scale_workers.split(",")]
    run_all(args)  # every measured run in a process of its own (fresh)


if __name__ == "__main__":
    main()

"""`edi-gateway run` under a steady stream: first-delivery latency and throughput.

What a single-machine user does (issue 18, finding 4): start ``edi-gateway run``, feed
N small 850s with ``edi-gateway ingest --queue``, and wait for the deliveries (the
dry-run Odoo outbox: no Odoo configured). Three modes on the same files, each on a
fresh data directory, all through the real commands:

* **inline**: ``edi-gateway ingest`` without ``--queue`` (stages run in the CLI process);
* **run, embedded default**: ``edi-gateway run`` with SQLite and kombu's filesystem broker;
* **run, PostgreSQL + Redis**: ``edi-gateway run`` with ``EDIGW_DATABASE_URL`` and
  ``EDIGW_BROKER_URL`` set (a fresh database, a queue of its own).

Latency = from the start of ``ingest`` to the first ``delivered`` event; throughput =
documents / (start of ``ingest`` → last ``delivered`` event). Run::

    .venv/bin/python bench/bench_run.py --docs 200 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

POSTGRES = os.environ.get(
    "EDIGW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("EDIGW_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
CLI = [sys.executable, "-m", "gateway.cli.main"]


def make_files(folder: Path, count: int) -> list[Path]:
    """``count`` Keystone 850s (one purchase order, 5 lines each), all distinct."""
    line = "PO1*{n}*{q}*EA*2.41**N4*00338004904*VP*KPW-338049~"
    paths = []
    for i in range(count):
        control = f"{500000000 + i:09d}"
        segs = [
            "ST*850*0001*005010~",
            f"BEG*00*SA*RUNBENCH-{i:05d}**20261116~",
            "N1*BY*MERIDIAN GENERAL HOSPITAL*92*MH~",
            *[line.format(n=n + 1, q=10 + n) for n in range(5)],
            "CTT*5~",
        ]
        segs.append(f"SE*{len(segs) + 1}*0001~")
        text = (
            f"ISA*00*          *00*          *ZZ*KEYSTONERX     *ZZ*MERIDIANHEALTH "
            f"*261116*0930*^*00501*{control}*0*P*>~"
            f"GS*PO*KEYSTONERX*MERIDIANHEALTH*20261116*0930*{i + 1}*X*005010~"
            + "".join(segs)
            + f"GE*1*{i + 1}~IEA*1*{control}~"
        )
        path = folder / f"po-{i:05d}.edi"
        path.write_text(text)
        paths.append(path)
    return paths


@dataclass
class Result:
    mode: str
    docs: int
    first: float  # seconds to the first delivery
    last: float  # seconds to the last delivery

    @property
    def per_second(self) -> float:
        return self.docs / self.last

    def line(self) -> str:
        return (
            f"{self.mode:<28} {self.docs:>5} docs  first delivery {self.first:6.1f} s  "
            f"all delivered {self.last:7.1f} s  {self.per_second:6.1f} docs/s"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def delivered_times(database_url: str) -> list[dt.datetime]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sqlalchemy.text("select at from events where kind = 'delivered' order by at")
            ).all()
    except sqlalchemy.exc.OperationalError:
        return []
    finally:
        engine.dispose()
    out = []
    for (stored,) in rows:
        at = dt.datetime.fromisoformat(stored) if isinstance(stored, str) else stored
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        out.append(at)
    return out


def wait_all(database_url: str, docs: int, timeout: float) -> list[dt.datetime]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        times = delivered_times(database_url)
        if len(times) >= docs:
            return times
        time.sleep(0.5)
    raise SystemExit(f"only {len(delivered_times(database_url))} of {docs} delivered")


def result(mode: str, docs: int, start: dt.datetime, times: list[dt.datetime]) -> Result:
    return Result(
        mode, docs, (times[0] - start).total_seconds(), (times[docs - 1] - start).total_seconds()
    )


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env.update(EDIGW_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


def run_inline(files: list[Path], tmp: Path) -> Result:
    data = tmp / "inline"
    env = env_for(data)
    subprocess.run([*CLI, "db-upgrade"], env=env, check=True, capture_output=True)
    start = dt.datetime.now(dt.UTC)
    subprocess.run(
        [*CLI, "ingest", "--quiet", *map(str, files)], env=env, check=True, capture_output=True
    )
    url = f"sqlite:///{data / 'gateway.db'}"
    return result("inline ingest (SQLite)", len(files), start, wait_all(url, len(files), 60))


def run_gateway(files: list[Path], tmp: Path, mode: str, **settings: str) -> Result:
    data = tmp / mode.replace(" ", "-").replace(",", "")
    env = env_for(
        data,
        EDIGW_HTTP_PORT=str(free_port()),
        EDIGW_SFTP_PORT=str(free_port()),
        EDIGW_WATCH_CONFIG="false",
        **settings,
    )
    url = settings.get("EDIGW_DATABASE_URL") or f"sqlite:///{data / 'gateway.db'}"
    log = open(tmp / f"{data.name}.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen([*CLI, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while b"ready." not in (tmp / f"{data.name}.log").read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{mode}: run did not start; see {log.name}")
            time.sleep(0.2)
        start = dt.datetime.now(dt.UTC)
        subprocess.run(
            [*CLI, "ingest", "--queue", "--quiet", *map(str, files)],
            env=env,
            check=True,
            capture_output=True,
        )
        times = wait_all(url, len(files), 60 + len(files) * 2.0)
        return result(mode, len(files), start, times)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


def postgres_database() -> tuple[str, str] | None:
    import sqlalchemy
    from sqlalchemy.engine import make_url

    name = f"edigw_runbench_{uuid.uuid4().hex[:8]}"
    try:
        admin = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:
        print(f"PostgreSQL not reachable ({exc}): skipping that mode")
        return None
    return name, make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    import sqlalchemy

    admin = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, nargs="+", default=[200, 2000])
    parser.add_argument(
        "--modes", nargs="+", default=["inline", "embedded", "postgres"], help="which set-ups"
    )
    args = parser.parse_args()
    results: list[Result] = []
    for docs in args.docs:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            (tmp / "files").mkdir()
            files = make_files(tmp / "files", docs)
            if "inline" in args.modes:
                results.append(run_inline(files, tmp))
                print(results[-1].line(), flush=True)
            if "embedded" in args.modes:
                results.append(run_gateway(files, tmp, "run, embedded default"))
                print(results[-1].line(), flush=True)
            if "postgres" in args.modes:
                db = postgres_database()
                if db is not None:
                    try:
                        results.append(
                            run_gateway(
                                files,
                                tmp,
                                "run, PostgreSQL + Redis",
                                EDIGW_DATABASE_URL=db[1],
                                EDIGW_BROKER_URL=REDIS,
                                EDIGW_QUEUE_NAME=f"runbench-{uuid.uuid4().hex[:8]}",
                            )
                        )
                        print(results[-1].line(), flush=True)
                    finally:
                        drop_database(db[0])
    print()
    for r in results:
        print(r.line())


if __name__ == "__main__":
    main()

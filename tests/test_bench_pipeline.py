"""The parts of bench/bench_pipeline.py's run mode that its figures rest on (not the bench).

The run mode counts SQL statements and commits inside ``edi-gateway run``'s processes
through a ``sitecustomize`` hook, and adds up CPU over every process under ``run``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import bench_pipeline

REPO = Path(__file__).resolve().parent.parent


def test_hook_counts_statements_and_commits_of_a_child_process(tmp_path: Path) -> None:
    # given the hook the run mode puts first on PYTHONPATH, and a child using SQLAlchemy
    hook, stats = tmp_path / "hook", tmp_path / "stats"
    hook.mkdir()
    stats.mkdir()
    (hook / "sitecustomize.py").write_text(bench_pipeline.HOOK)
    script = (
        "import sqlalchemy\n"
        f"engine = sqlalchemy.create_engine('sqlite:///{tmp_path / 'x.db'}')\n"
        "with engine.begin() as conn:\n"
        "    conn.execute(sqlalchemy.text('create table t (a integer)'))\n"
        "    conn.execute(sqlalchemy.text('insert into t values (1)'))\n"
        "    conn.execute(sqlalchemy.text('insert into t values (:a)'), [{'a': 2}, {'a': 3}])\n"
        "from celery.signals import before_task_publish\n"
        "before_task_publish.send(sender='bench')\n"
        "with engine.begin() as conn:\n"
        "    conn.execute(sqlalchemy.text('insert into t values (4)'))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hook), str(REPO)]),
        bench_pipeline.STATS_ENV: str(stats),
    }
    # when it runs and exits
    child = subprocess.run([sys.executable, "-c", script], env=env, check=True)
    # then its counters are on disk under its pid: four statements (an executemany
    # counts once), two commits, no Celery task run; and what it had done when it first
    # sent a task (where ``ingest --queue``'s start-up ends)
    (written,) = stats.glob("*.json")
    assert child.returncode == 0 and written.stem.isdigit()
    counts = json.loads(written.read_text())
    assert (counts["statements"], counts["commits"], counts["tasks"]) == (4, 2, 0)
    first = counts["first"]
    assert (first["statements"], first["commits"], first["tasks"]) == (3, 1, 0)
    assert 0 < first["cpu"] <= counts["cpu"]


def test_hook_does_nothing_without_a_stats_folder(tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(bench_pipeline.HOOK)
    env = {k: v for k, v in os.environ.items() if k != bench_pipeline.STATS_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(hook), str(REPO)])
    out = subprocess.run(
        [sys.executable, "-c", "import sys; print('sqlalchemy' in sys.modules)"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "False"


def test_descendants_include_grandchildren() -> None:
    # given a shell (our child) that starts a sleep (its child)
    shell = subprocess.Popen(["sh", "-c", "sleep 5 & wait"])
    try:
        deadline = time.monotonic() + 10
        while not bench_pipeline.descendants(shell.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        # then both are under this process, and only the sleep under the shell
        (sleep,) = bench_pipeline.descendants(shell.pid)
        assert {shell.pid, sleep} <= set(bench_pipeline.descendants(os.getpid()))
        assert "sleep" in Path(f"/proc/{sleep}/cmdline").read_text()
    finally:
        shell.kill()
        shell.wait()


def _process_and_counts() -> tuple[int, int, str]:
    """In the measured process: its pid, the statements counted after one, and the
    module of the deliver stage's Odoo side."""
    import sqlalchemy

    import gateway.pipeline.deliver as stage

    before = bench_pipeline.COUNTS["statements"]
    with sqlalchemy.create_engine("sqlite://").connect() as conn:
        conn.execute(sqlalchemy.text("select 1"))
    return os.getpid(), bench_pipeline.COUNTS["statements"] - before, stage.apply_plan.__module__


def test_each_measured_run_has_a_process_of_its_own() -> None:
    # when two runs go through fresh()
    first = bench_pipeline.fresh(_process_and_counts)
    second = bench_pipeline.fresh(_process_and_counts)
    # then each ran in a new process (not this one, not the same one twice), counting
    # its statements, with the no-op delivery in place
    assert len({os.getpid(), first[0], second[0]}) == 3
    assert first[1:] == second[1:] == (1, bench_pipeline.__name__)

"""``edi-gateway as2`` as an operator runs it: several processes on one port, messages
stored once, and nothing left behind when its parent stops or is killed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.deploy.test_topology import Site
from tests.ops.gateway_process import alive, descendants, free_port, gateway_env, running_gateway
from tests.pipeline.test_celery_workers import purchase_orders

pytestmark = pytest.mark.slow


def site_env(tmp_path: Path, site: Site, **extra: str) -> dict[str, str]:
    return gateway_env(
        tmp_path,
        EDIGW_IDENTITIES_FILE=str(site.identities),
        EDIGW_PROFILES_DIR=str(site.profiles),
        **extra,
    )


@dataclass
class Listener:
    """What a listener test starts from: the site, the listener's environment, its log
    file and its URL."""

    site: Site
    env: dict[str, str]
    log: Path
    url: str


def listener_site(tmp_path: Path, **extra: str) -> Listener:
    """A site whose partner sends over AS2, and the environment of a listener for it on a
    free port (``extra``: more settings)."""
    site = Site(tmp_path / "site")
    port = free_port()
    env = site_env(tmp_path, site, EDIGW_AS2_PORT=str(port), **extra)
    return Listener(site, env, tmp_path / "as2.log", f"http://127.0.0.1:{port}")


def wait_healthz(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"edi-gateway as2 exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"edi-gateway as2 did not come up:\n{log.read_text()}")


@contextmanager
def running_listener(
    env: dict[str, str], log: Path, *args: str
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli.main", "as2", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        # its processes, also those a failed test left without their parent
        leftover = listener_processes(env["EDIGW_DATA_DIR"])
        for pid in [*descendants(process.pid), *leftover, process.pid]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        process.wait(10)


def listener_processes(data_dir: str) -> set[int]:
    """Processes of a listener started on this data directory, its parent included (by
    the environment they were started with, which forked processes share)."""
    marker = f"EDIGW_DATA_DIR={data_dir}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def memory(pid: int) -> dict[str, int]:
    """The process's resident and proportional set sizes, kB (``smaps_rollup``)."""
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in lines)}


def stored_messages(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "gateway.db") as db:
        return int(db.execute("select count(*) from messages").fetchone()[0])


def test_processes_share_the_port_store_every_message_and_die_with_the_parent(
    tmp_path: Path,
) -> None:
    # given a site whose partner sends over AS2, and the listener with two processes
    given = listener_site(tmp_path, EDIGW_AS2_PROCESSES="2")
    site, env, log, url = given.site, given.env, given.log, given.url
    with running_listener(env, log) as process:
        wait_healthz(url, process, log)
        workers = set(descendants(process.pid))
        assert len(workers) == 2, log.read_text()
        assert listener_processes(env["EDIGW_DATA_DIR"]) == workers | {process.pid}
        # forked from the parent, not spawned: the same command line (no spawn_main), and
        # most of what they hold shared with it (spawned: Pss ~0.83 of Rss; forked ~0.5)
        for pid in workers:
            assert _cmd(pid) == _cmd(process.pid)
            held = memory(pid)
            assert held["Pss"] < 0.7 * held["Rss"], held
        # when the partner sends four purchase orders
        for n, data in enumerate(purchase_orders(4)):
            disposition = site.send_as2(url, data, f"po{n}.edi")
            # then each is answered with a signed MDN saying processed
            assert disposition.rstrip().endswith("processed"), disposition
        # and each is in the store once
        assert stored_messages(tmp_path / "var") == 4
        # and the port serves nothing but AS2, without naming the server it runs on
        other = httpx.get(f"{url}/api/v1/messages")
        assert other.status_code == 404 and "server" not in other.headers
        # and an MDN answer carries one Date (the server's), no Server either
        answer, _message, _ours = site.post_as2(url, purchase_orders(5)[4], "po4.edi")
        assert len(answer.headers.get_list("date")) == 1 and "server" not in answer.headers
        # and, by default, no access log line per request (the store records each message)
        assert '"POST /as2 HTTP/1.1"' not in log.read_text()
        # when the parent is killed outright, its processes stop too (gateway.lifeline)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in workers if alive(pid)] == [], log.read_text()


def test_a_process_that_dies_is_replaced_and_sighup_replaces_them_all(tmp_path: Path) -> None:
    # given the listener with two (forked) processes
    given = listener_site(tmp_path, EDIGW_AS2_PROCESSES="2")
    site, env, log, url = given.site, given.env, given.log, given.url
    orders = iter(purchase_orders(6))

    def serves_twice() -> None:
        for n in range(2):
            assert site.send_as2(url, next(orders), f"po{n}.edi").rstrip().endswith("processed")

    def two_new_workers(parent: int, old: set[int]) -> set[int]:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = set(descendants(parent))
            if len(now) == 2 and not now & old:
                return now
            time.sleep(0.2)
        raise AssertionError(f"processes {set(descendants(parent))}:\n{log.read_text()}")

    with running_listener(env, log) as process:
        wait_healthz(url, process, log)
        first = set(descendants(process.pid))
        assert len(first) == 2, log.read_text()
        # when one process is killed outright, another takes its place and serves
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        after_kill = two_new_workers(process.pid, {victim})
        serves_twice()
        # when the parent gets SIGHUP, every process is replaced and the new ones serve
        process.send_signal(signal.SIGHUP)
        two_new_workers(process.pid, after_kill)
        serves_twice()
        # and SIGTERM stops them all and the parent with them
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()
        assert listener_processes(env["EDIGW_DATA_DIR"]) == set()


def test_the_access_log_is_written_when_asked_for(tmp_path: Path) -> None:
    # given the listener started with EDIGW_AS2_ACCESS_LOG
    given = listener_site(tmp_path, EDIGW_AS2_ACCESS_LOG="true")
    env, log, url = given.env, given.log, given.url
    with running_listener(env, log, "--processes", "1") as process:
        wait_healthz(url, process, log)
        # when a probe and a stray request arrive
        assert httpx.get(f"{url}/nothing-here").status_code == 404
        # then each has its line, with its path and status
        deadline = time.monotonic() + 10
        while '"GET /nothing-here HTTP/1.1" 404' not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert '"GET /healthz HTTP/1.1" 200' in log.read_text()


def test_without_a_port_it_says_what_to_set(tmp_path: Path) -> None:
    env = gateway_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "as2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "give --port or set EDIGW_AS2_PORT" in result.stderr


def test_run_starts_the_listener_and_term_stops_it(tmp_path: Path) -> None:
    # given `run` with an AS2 port in its settings
    site = Site(tmp_path / "site")
    as2_port = free_port()
    env = site_env(tmp_path, site, EDIGW_AS2_PORT=str(as2_port), EDIGW_AS2_PROCESSES="1")
    with running_gateway(tmp_path, env=env) as gw:
        url = f"http://127.0.0.1:{as2_port}"
        wait_healthz(url, gw.process, gw.log)
        assert f"AS2 listener on http://127.0.0.1:{as2_port}/as2" in gw.output()
        children = descendants(gw.process.pid)
        # then a partner's message sent to the listener is taken in
        data = purchase_orders(1)[0]
        assert site.send_as2(url, data, "po.edi").rstrip().endswith("processed")
        assert stored_messages(tmp_path / "var") == 1
        # and the console's own port still answers AS2 too
        assert (
            site.send_as2(gw.url, purchase_orders(2)[1], "po2.edi").rstrip().endswith("processed")
        )
        # when run gets SIGTERM, the listener's processes stop with everything else
        gw.process.send_signal(signal.SIGTERM)
        assert gw.process.wait(timeout=30) == 0, gw.output()
        time.sleep(0.5)
        assert [pid for pid in children if alive(pid)] == []


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_reload_reaches_the_listener_processes(tmp_path: Path) -> None:
    # given a partner whose profile names another AS2 id than it sends with
    site = Site(tmp_path / "site")
    profile_file = site.profiles / "keystone-pharma.yaml"
    right = profile_file.read_text()
    profile_file.write_text(right.replace("as2_id: KEYSTONERX", "as2_id: KEYSTONE-OLD"))
    as2_port = free_port()
    env = site_env(tmp_path, site, EDIGW_AS2_PORT=str(as2_port), EDIGW_AS2_PROCESSES="2")
    with running_gateway(tmp_path, env=env) as gw:
        url = f"http://127.0.0.1:{as2_port}"
        wait_healthz(url, gw.process, gw.log)
        orders = purchase_orders(40)
        # its message is refused as from an unknown partner
        assert "unknown-trading-partner" in site.post_as2(url, orders[0], "po.edi")[0].text
        # when the profile is corrected and the running gateway reloads (SIGHUP to run)
        profile_file.write_text(right)
        gw.process.send_signal(signal.SIGHUP)
        # then the listener takes the partner's messages: eight in a row, each on a new
        # connection, which the kernel hands to either process (each process follows the
        # reload within EDIGW_RELOAD_CHECK_SECONDS, 0.5 here)
        deadline = time.monotonic() + 30
        answers: list[str] = []
        for data in orders[1:]:
            answers.append(site.post_as2(url, data, "po.edi")[0].text)
            if len(answers) >= 8 and all("; processed\r\n" in a for a in answers[-8:]):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert all("; processed\r\n" in a for a in answers[-8:]), answers[-1][:300]


def _image_health_check() -> str:
    """The shell command of the Dockerfile's HEALTHCHECK."""
    line = next(
        line
        for line in (Path(__file__).resolve().parents[2] / "Dockerfile").read_text().splitlines()
        if line.startswith("HEALTHCHECK ")
    )
    return line.split(" CMD ", 1)[1]


def test_the_image_health_check_finds_the_listener_on_its_port(tmp_path: Path) -> None:
    # given the image's health check, run as Docker runs it (sh -c) in a container whose
    # command is `as2` (nothing on the console's port)
    check = _image_health_check()
    site = Site(tmp_path / "site")
    port, idle = free_port(), free_port()
    env = site_env(tmp_path, site, EDIGW_AS2_PORT=str(port), EDIGW_HTTP_PORT=str(idle))
    # when nothing listens yet, it fails
    assert (
        subprocess.run(["sh", "-c", check], env=env, capture_output=True, check=False).returncode
        != 0
    )
    log = tmp_path / "as2.log"
    with running_listener(env, log, "--processes", "1") as process:
        wait_healthz(f"http://127.0.0.1:{port}", process, log)
        # then, once the listener is up, it passes on the AS2 port
        done = subprocess.run(
            ["sh", "-c", check], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert '"status":"ok"' in done.stdout

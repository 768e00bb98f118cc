"""AS2 receive by where the CPU goes: the listener against the crypto-only loop, per library.

``bench_as2.py`` gives CPU time per message and ``bench_as2_instructions.py`` the
instructions; neither says *where* the listener's time over the crypto-only loop goes,
and instructions mislead there: the crypto (big-number arithmetic in the ``cryptography``
wheel's OpenSSL) retires several instructions a cycle, the interpreter about one, so a
few per cent more instructions of Python can cost several times that share of the time.

This script samples both with ``perf record -e cpu-clock`` (a software clock: it works
on virtual machines without hardware counters) and splits each one's CPU per message by
the shared object the samples fell in:

* the AS2 listener - ``bench_as2``'s: its app in ``--processes`` forked uvicorn
  processes under ``bench_as2``'s socket load generator (another process, not sampled),
  CPU per message from ``/proc/<pid>/stat``;
* crypto-only - ``bench_as2``'s loop (unpack the message, build the signed MDN) in one
  forked process, ``--count`` messages, CPU per message from the thread's clock.

Each share is the measured CPU per message times the fraction of samples in that object;
rounds alternate the two, and the table gives each object's median.

Usage: ``.venv/bin/python bench/bench_as2_perf.py [--rounds 3] [--seconds 8]
[--count 6000] [--processes 1]`` (needs ``perf``, Debian's ``linux-perf``, and the right
to sample other processes: root, or ``kernel.perf_event_paranoid`` ≤ 1).
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_as2 as b  # noqa: E402  # after the path above; it sets up the gateway's own

# what the shared objects are (anything else is printed by its file name)
NAMES = {
    "_rust.abi3.so": "cryptography (its Rust and OpenSSL)",
    "libpython3": "Python interpreter",
    "python3": "Python interpreter",
    "[kernel.kallsyms]": "kernel",
    "libcrypto.so": "OpenSSL (hashlib's SHA-256)",
    "libc.so": "libc",
    "loop.cpython": "uvloop",
    "parser.cpython": "httptools",
    "url_parser.cpython": "httptools",
}
LINE = re.compile(r"^\s*([\d.]+)%\s+(\S.*?)\s*$")


def label(dso: str) -> str:
    """A shared object's name in the table."""
    for prefix, name in NAMES.items():
        if dso.startswith(prefix):
            return name
    return dso


def shares(data: Path) -> dict[str, float]:
    """Fraction of the samples in ``data`` per shared object (merged by :func:`label`)."""
    report = subprocess.run(
        ["perf", "report", "-i", str(data), "--sort", "dso", "--stdio", "-q"],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    found: dict[str, float] = {}
    for line in report.splitlines():
        if match := LINE.match(line):
            name = label(match.group(2))
            found[name] = found.get(name, 0.0) + float(match.group(1)) / 100
    return found


class Sampled:
    """``perf record`` on some processes while a ``with`` block runs."""

    def __init__(self, pids: list[int], out: Path) -> None:
        self.pids, self.out = pids, out

    def __enter__(self) -> Sampled:
        self.perf = subprocess.Popen(
            ["perf", "record", "-q", "-e", "cpu-clock", "-F", "2000", "-o", str(self.out),
             "-p", ",".join(map(str, self.pids))],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)  # attached before the work starts
        return self

    def __exit__(self, *exc: object) -> None:
        self.perf.send_signal(signal.SIGINT)
        self.perf.wait(60)


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="listener load per round")
    parser.add_argument("--count", type=int, default=6000, help="crypto-only messages per round")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--processes", type=int, default=1, help="listener processes")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if shutil.which("perf") is None:
        sys.exit("perf is not installed (Debian: apt-get install linux-perf)")
    setup = b.set_up()
    b.heap.settle()  # as the listener's processes run (gateway.as2_server)
    first = setup.messages[0]
    b.receive_directly(setup.receiver, first.headers, first.body, "<warm@acme>")
    listener = b.ListenerPhase(setup.receiver, args.processes)  # forks before any thread
    crypto = b.CryptoProcesses(setup.one_message, 1)
    crypto.cpu_ms(200)  # first-use caches
    load = functools.partial(
        b.run_load, messages_file=setup.messages_file,
        args=argparse.Namespace(seconds=args.seconds, clients=args.clients, load="socket",
                                pin=False),
    )  # fmt: skip
    work = Path(tempfile.mkdtemp())
    per_message: dict[str, list[dict[str, float]]] = {"listener": [], "crypto": []}
    cpu: dict[str, list[float]] = {"listener": [], "crypto": []}
    try:
        for n in range(args.rounds):
            with Sampled(listener.pids, work / f"listener{n}.data"):
                before, _ = b.processes_cpu(listener.pids)
                latencies, _rate = load(listener.url)
                after, _ = b.processes_cpu(listener.pids)
            ms = (after - before) * 1000 / (len(latencies) + b.WARM_UP)
            cpu["listener"].append(ms)
            split = shares(work / f"listener{n}.data")
            per_message["listener"].append({k: v * ms for k, v in split.items()})
            with Sampled(crypto.pids, work / f"crypto{n}.data"):
                ms = crypto.cpu_ms(args.count)
            cpu["crypto"].append(ms)
            split = shares(work / f"crypto{n}.data")
            per_message["crypto"].append({k: v * ms for k, v in split.items()})
            print(f"round {n + 1}: listener {cpu['listener'][-1]:.3f} ms, crypto-only "
                  f"{cpu['crypto'][-1]:.3f} ms per message", flush=True)  # fmt: skip
    finally:
        listener.stop()
        crypto.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(setup.tmp, ignore_errors=True)
    med = statistics.median
    names = {k for side in per_message.values() for r in side for k in r}
    rows = {
        name: (
            med(r.get(name, 0.0) for r in per_message["crypto"]),
            med(r.get(name, 0.0) for r in per_message["listener"]),
        )
        for name in names
    }
    listener_ms, crypto_ms = med(cpu["listener"]), med(cpu["crypto"])
    print(f"\ncpus={os.cpu_count()} rounds={args.rounds}, listener {args.processes} "
          f"process(es), {args.clients} clients for {args.seconds:g} s; crypto-only "
          f"{args.count} messages; perf cpu-clock at 2000 Hz")  # fmt: skip
    print(f"CPU ms per message: crypto-only {crypto_ms:.3f}, listener {listener_ms:.3f}; "
          f"crypto-only / listener {crypto_ms / listener_ms:.2f}\n")  # fmt: skip
    print("| where (ms per message) | crypto-only | listener | listener - crypto-only |")
    print("| --- | ---: | ---: | ---: |")
    for name, (c, li) in sorted(rows.items(), key=lambda kv: -max(kv[1])):
        if max(c, li) >= 0.001:
            print(f"| {name} | {c:.3f} | {li:.3f} | {li - c:+.3f} |")


if __name__ == "__main__":
    main()

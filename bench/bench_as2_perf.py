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

``--parts`` measures instead (no perf) what the listener's CPU per message is made of,
alternating in each round: the crypto-only loop; the receiver called directly
(``As2Receiver.handle``: the store's hashing, partner and key lookups, the receiver's
own Python); HTTP alone (the listener's app in one process whose receiver hands back a
ready answer, as long as a real MDN answer); the receiver behind a plain TCP socket
without HTTP (:class:`FramedServer`), waiting for each request or with three in flight;
the listener itself; and the crypto-only
loop again with a 0.2 ms sleep before each message, as a server waits between requests
(only the messages' own CPU time is counted). The parts summed against the whole say
how much running them together in one process costs.

Usage: ``.venv/bin/python bench/bench_as2_perf.py [--rounds 3] [--seconds 8]
[--count 6000] [--processes 1] [--parts]`` (needs ``perf``, Debian's ``linux-perf``, and the right
to sample other processes: root, or ``kernel.perf_event_paranoid`` ≤ 1).
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_as2 as b  # noqa: E402  # after the path above; it sets up the gateway's own

from gateway.as2.receiver import As2Receiver, As2Response  # noqa: E402

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
    parser.add_argument(
        "--parts", action="store_true",
        help="what the listener's CPU per message is made of (no perf; see above)",
    )  # fmt: skip
    return parser.parse_args()


class CannedReceiver:
    """A receiver that hands back one answer it was given, whatever comes: the listener
    with it costs what HTTP does."""

    def __init__(self, answer: As2Response) -> None:
        self.answer = answer

    def body_limit(self, headers: object) -> int:
        return 10 * 1024 * 1024

    def handle(self, headers: object, body: bytes) -> As2Response:
        return self.answer


class FramedServer:
    """The receiver behind a plain TCP socket, no HTTP: a forked process reads frames
    (message index, length, body) from one connection, hands each body to the receiver
    and writes back an answer as long as a signed MDN. :meth:`cpu_ms` feeds it ``window``
    frames ahead: with 1 it waits for every request, as a server whose client is slower
    does; with more it always has the next one. Call before any thread starts."""

    ANSWER = b"x" * 2700

    def __init__(self, setup: b.Setup) -> None:
        listening = socket.create_server(("127.0.0.1", 0))
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - serves until the connection closes
            code = 0
            try:
                conn, _ = listening.accept()
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                ids = iter(range(10**9))
                while head := _read(conn, 8):
                    index, length = struct.unpack("!II", head)
                    m = setup.messages[index]
                    message_id = f"<framed-{next(ids)}@acme>"
                    b.receive_directly(setup.receiver, m.headers, _read(conn, length), message_id)
                    conn.sendall(self.ANSWER)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        self.conn = socket.create_connection(listening.getsockname())
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listening.close()
        self.bodies = [m.body for m in setup.messages]

    def cpu_ms(self, count: int, window: int) -> float:
        """The server's CPU ms per message over ``count`` messages, ``window`` in flight."""

        def send(n: int) -> None:
            index = n % len(self.bodies)
            body = self.bodies[index]
            self.conn.sendall(struct.pack("!II", index, len(body)) + body)

        before, _ = b.processes_cpu([self.pid])
        for n in range(window):
            send(n)
        for n in range(count):
            _read(self.conn, len(self.ANSWER))
            if n + window < count:
                send(n + window)
        after, _ = b.processes_cpu([self.pid])
        return (after - before) * 1000 / count

    def stop(self) -> None:
        """Close the connection (the server then exits) and wait for it."""
        self.conn.close()
        os.waitpid(self.pid, 0)


def _read(conn: socket.socket, size: int) -> bytes:
    """Exactly ``size`` bytes (fewer only at the end of the stream)."""
    data = bytearray()
    while len(data) < size and (chunk := conn.recv(size - len(data))):
        data += chunk
    return bytes(data)


def listener_cpu_ms(pids: list[int], load: Callable[[str], tuple[list[float], float]],
                    url: str) -> float:  # fmt: skip
    """CPU ms per message of the listener's processes under one load run."""
    before, _ = b.processes_cpu(pids)
    latencies, _rate = load(url)
    after, _ = b.processes_cpu(pids)
    return (after - before) * 1000 / (len(latencies) + b.WARM_UP)


def make_load(
    setup: b.Setup, args: argparse.Namespace
) -> Callable[[str], tuple[list[float], float]]:
    """One load run against a listener's URL (``bench_as2``'s socket load generator):
    the latencies and the rate."""
    options = argparse.Namespace(seconds=args.seconds, clients=args.clients, load="socket",
                                 pin=False)  # fmt: skip
    return functools.partial(b.run_load, messages_file=setup.messages_file, args=options)


def parts(args: argparse.Namespace) -> None:
    """``--parts``: the listener's CPU per message against the sum of its parts."""
    setup = b.set_up()
    b.heap.settle()
    first = setup.messages[0]
    setup.one_direct(0)  # first-use caches, before anything forks
    answer = setup.receiver.handle(
        {**{k.lower(): v for k, v in first.headers.items()}, "message-id": "<canned@acme>"},
        first.body,
    )  # fmt: skip
    real = b.ListenerPhase(setup.receiver, args.processes)  # both fork before any thread
    canned = b.ListenerPhase(cast(As2Receiver, CannedReceiver(answer)), args.processes)
    framed = FramedServer(setup)
    load = make_load(setup, args)
    runs: dict[str, list[float]] = {}
    try:
        for n in range(args.rounds):
            measured = {
                "crypto-only loop": b.cpu_ms(setup.one_message, 300),
                "receiver, called directly": b.cpu_ms(setup.one_direct, 300),
                "HTTP alone (listener, ready answer)": listener_cpu_ms(
                    canned.pids, load, canned.url
                ),
                "receiver behind a plain socket, waiting for each request": framed.cpu_ms(300, 1),
                "receiver behind a plain socket, 3 requests in flight": framed.cpu_ms(300, 3),
                "the listener": listener_cpu_ms(real.pids, load, real.url),
                "crypto-only loop, 0.2 ms sleep before each message": b.cpu_ms(
                    setup.one_message, 300, 0.0002
                ),
            }
            for name, ms in measured.items():
                runs.setdefault(name, []).append(ms)
            print(f"round {n + 1}: " + ", ".join(f"{v:.3f}" for v in measured.values()),
                  flush=True)  # fmt: skip
    finally:
        real.stop()
        canned.stop()
        framed.stop()
        shutil.rmtree(setup.tmp, ignore_errors=True)
    med = {name: statistics.median(v) for name, v in runs.items()}
    crypto = med["crypto-only loop"]
    print(f"\ncpus={os.cpu_count()} rounds={args.rounds}, listener {args.processes} "
          f"process(es), {args.clients} clients for {args.seconds:g} s")  # fmt: skip
    print("| CPU ms per message (medians) | ms | / crypto-only loop |")
    print("| --- | ---: | ---: |")
    for name, ms in med.items():
        print(f"| {name} | {ms:.3f} | {ms / crypto:.2f} |")
    whole = med["the listener"]
    summed = med["receiver, called directly"] + med["HTTP alone (listener, ready answer)"]
    print(f"| receiver + HTTP, summed | {summed:.3f} | {summed / crypto:.2f} |")
    print(f"\ncrypto-only / listener {crypto / whole:.2f}; crypto-only / (receiver + HTTP) "
          f"{crypto / summed:.2f}; the listener over its parts: {whole - summed:+.3f} ms "
          f"({whole / summed - 1:+.0%})")  # fmt: skip


def main() -> None:
    args = parse_args()
    if args.parts:
        parts(args)
        return
    if shutil.which("perf") is None:
        sys.exit("perf is not installed (Debian: apt-get install linux-perf)")
    setup = b.set_up()
    b.heap.settle()  # as the listener's processes run (gateway.as2_server)
    setup.one_direct(0)  # first-use caches, before anything forks
    listener = b.ListenerPhase(setup.receiver, args.processes)  # forks before any thread
    crypto = b.CryptoProcesses(setup.one_message, 1)
    crypto.cpu_ms(200)  # first-use caches
    load = make_load(setup, args)
    work = Path(tempfile.mkdtemp())
    per_message: dict[str, list[dict[str, float]]] = {"listener": [], "crypto": []}
    cpu: dict[str, list[float]] = {"listener": [], "crypto": []}
    try:
        for n in range(args.rounds):
            with Sampled(listener.pids, work / f"listener{n}.data"):
                ms = listener_cpu_ms(listener.pids, load, listener.url)
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

"""AS2 receive benchmark: signed+encrypted 10 KB payloads answered with a signed sync MDN.

One run measures, in alternating rounds so machine noise hits both alike:

* raw calls - only the cryptographic primitives one message needs, on bytes taken out
  of the messages beforehand: RSA key-transport decrypt, AES-256-CBC decrypt, SHA-256 of
  the signed content, RSA verification of the signed attributes, SHA-256 of the MDN
  report and one RSA signature - the floor no CMS code can go under (1 thread);
* crypto-only ceiling - the per-message work of the endpoint without HTTP: decrypt
  (RSA + AES-256), verify the signature (SHA-256/RSA), compute the MIC, build and sign
  the MDN - in a tight loop, on 1 thread and on ``--clients`` threads;
* the receiver without HTTP - ``As2Receiver.handle`` called directly (store, partner and
  key lookups, unpack, intake, MDN), CPU per message, interleaved with the two above;
* both again on ``--clients`` threads at once (CPU per message of the process): what
  running that many messages together costs (the GIL changing hands whenever
  cryptography's RSA/AES calls, hashlib or the random source release it), as the
  endpoint's pool does; the ratios still use the one-thread figures;
* the real endpoint - uvicorn on 127.0.0.1 with the FastAPI router and an in-memory
  intake - under a load generator running in a separate process (``--clients``
  concurrent keep-alive connections, bounded by time; prepared requests on plain sockets,
  or httpx with ``--load httpx``), reporting msgs/s and p50/p99 latency, and the server's
  CPU per message (this process's CPU over the messages it took in: while the load runs
  the server's threads are all this process does), and how much of it was the event-loop
  thread's and the endpoint's pool threads';
* the AS2 listener (``edi-gateway as2``, :mod:`gateway.as2.listener`) - its app in
  ``--processes`` processes forked before any thread starts, uvicorn in each on one shared
  socket as uvicorn's own workers run, each taking one message at a time - under the same
  load, with the CPU of all its processes (``/proc/<pid>/stat``) per message; each of its
  load runs sits between two crypto-only samples (300 messages each), and the round's
  ratio uses their mean, so both sides of it are measured within seconds of each other;
  the samples are taken twice: one process alone, and the loop in as many processes at
  once as the listener has (forked at start, :class:`CryptoProcesses`), whose cores are
  then as busy as the listener's and share caches and memory bandwidth as they do.

The intake hashes the raw request and the payload as the store does and keeps nothing
(``--intake keep``: it keeps every payload and request in memory, as until 2026-12-06;
the heap growing by ~24 KB per message then costs the server page faults no store pays).

Rates swing with whatever else runs on the machine; CPU per message does much less, so
the ratios are also given as CPU: crypto-only / raw calls, crypto-only / receiver,
crypto-only / endpoint (the server's CPU less the receiver's is what HTTP costs).

Usage: ``.venv/bin/python bench/bench_as2.py [--rounds 3] [--seconds 8] [--clients 4]
[--processes 2] [--load socket|httpx] [--intake hash|keep] [--settle] [--pin]``
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import multiprocessing
import os
import pickle
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "as2"))
# this checkout's gateway (not an installed one), unless PYTHONPATH names the one to measure
sys.path.insert(
    1,
    os.environ.get("PYTHONPATH", "").split(os.pathsep)[0]
    or str(Path(__file__).resolve().parent.parent),
)
from as2_helpers import MemoryIntake, ServerThread, make_keys
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from gateway import heap
from gateway.as2 import cms
from gateway.as2.certs import KeyCache
from gateway.as2.http import make_router
from gateway.as2.inbound import UnpackPolicy, entity_from_http, unpack_message
from gateway.as2.listener import As2App
from gateway.as2.mdn import Disposition, build_mdn
from gateway.as2.mime import decode_body, parse_entity, split_multipart
from gateway.as2.outbound import EncryptOptions, OutboundMessage, SignOptions, build_message
from gateway.as2.receiver import As2Receiver
from gateway.identity import Identities
from gateway.intake import Receipt, ReceivedPayload
from gateway.partners.profile import PartnerProfile

try:
    from gateway.as2_server import UVICORN_OPTIONS
except ImportError:  # a checkout from before it (PYTHONPATH): as its listener ran then
    UVICORN_OPTIONS = {"ws": "none", "lifespan": "off"}

ALL_CPUS = frozenset(os.sched_getaffinity(0))
WARM_UP = 10  # requests per load generator before the timed part (counted as served)


class HashingIntake(MemoryIntake):
    """An intake that does what the store's does to the bytes (a SHA-256 of the raw
    request and of the payload) and keeps nothing but a count."""

    def store_raw(self, data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def receive(self, payload: ReceivedPayload) -> Receipt:
        sha = hashlib.sha256(payload.data).hexdigest()
        with self._lock:
            self.payloads.append(None)  # type: ignore[arg-type]  # counted, not kept
            return Receipt(len(self.payloads), sha)


def start_listener(receiver: As2Receiver, processes: int) -> tuple[str, list[int]]:
    """The AS2 listener's app in ``processes`` forked processes on one socket; its URL and
    the pids. Call before any thread starts (fork copies only the calling thread)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    pids = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child serves until TERM
            code = 0
            try:
                app = As2App(lambda: receiver, 10 * 1024 * 1024)
                config = uvicorn.Config(app, log_level="warning", **UVICORN_OPTIONS)
                uvicorn.Server(config).run(sockets=[sock])
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        pids.append(pid)
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}", pids


class ListenerPhase:
    """The AS2 listener's part of each round: its processes, rates and CPU per message."""

    def __init__(self, receiver: As2Receiver, processes: int) -> None:
        self.processes = processes
        self.url, self.pids = start_listener(receiver, processes) if processes else ("", [])
        self.rates: list[float] = []
        self.cpu: list[float] = []
        self.p50: list[float] = []
        # crypto-only CPU per message just before and just after each load run, averaged:
        # one process alone, and in as many processes at once as the listener runs
        self.crypto: list[float] = []
        self.crypto_all: list[float] = []
        self.system: list[float] = []  # of the listener's CPU, in the kernel

    def measure(
        self,
        load: Callable[[str], tuple[list[float], float]],
        crypto: Callable[[], float],
        crypto_all: Callable[[], float],
    ) -> None:
        """One load run against the listener (nothing when it does not run), between two
        crypto-only samples of each kind (``crypto``: one process alone, ``crypto_all``:
        in as many processes at once as the listener has; CPU ms per message), so that
        the round's ratios compare figures taken within seconds of each other: on a
        shared host the speed of both drifts by a fifth or more within a minute."""
        if not self.pids:
            return
        before, before_all = crypto(), crypto_all()
        cpu_before, system_before = processes_cpu(self.pids)
        latencies, rate = load(self.url)
        self.rates.append(rate)
        served = len(latencies) + WARM_UP
        cpu_after, system_after = processes_cpu(self.pids)
        self.cpu.append((cpu_after - cpu_before) * 1000 / served)
        self.system.append((system_after - system_before) * 1000 / served)
        self.p50.append(statistics.median(latencies) * 1000)
        self.crypto_all.append((before_all + crypto_all()) / 2)
        self.crypto.append((before + crypto()) / 2)

    def stop(self) -> None:
        """TERM every process and wait for it."""
        for pid in self.pids:
            os.kill(pid, signal.SIGTERM)
        for pid in self.pids:
            os.waitpid(pid, 0)

    def report(self, crypto_cpu: list[float]) -> None:
        """The listener's lines: rate, latency, CPU per message against crypto-only (the
        run's medians, and per round against the crypto-only samples around its load)."""
        if not self.pids:
            return
        med = statistics.median
        per_round = [c / x for c, x in zip(self.crypto, self.cpu, strict=True)]
        print(f"AS2 listener, {self.processes} processes : median {med(self.rates):7.1f} "
              f"msgs/s  p50 {med(self.p50):.1f} ms; CPU ms per message {med(self.cpu):.3f}; "
              f"crypto-only CPU / listener CPU {med(crypto_cpu) / med(self.cpu):.2f}; "
              f"of it in the kernel {med(self.system):.3f}")  # fmt: skip
        print(f"  paired with crypto-only around each load: crypto-only {med(self.crypto):.3f}"
              f" ms; crypto-only / listener median {med(per_round):.2f} (per round "
              f"{', '.join(f'{x:.2f}' for x in per_round)})")  # fmt: skip
        per_round = [c / x for c, x in zip(self.crypto_all, self.cpu, strict=True)]
        slower = [a / c for a, c in zip(self.crypto_all, self.crypto, strict=True)]
        print(f"  crypto-only in {self.processes} processes at once, around each load: "
              f"{med(self.crypto_all):.3f} ms ({med(slower):.2f}x one alone); "
              f"/ listener median {med(per_round):.2f} (per round "
              f"{', '.join(f'{x:.2f}' for x in per_round)})")  # fmt: skip


def pin_server_side(pin: bool) -> str:
    """With ``pin``, keep this process (and what it forks and starts later, which inherit
    it) off the first CPU, which the load generator takes; what the header then says
    (nothing is pinned on a single CPU)."""
    if not pin or len(ALL_CPUS) < 2:
        return ""
    rest = ALL_CPUS - {min(ALL_CPUS)}
    os.sched_setaffinity(0, rest)
    return f", pinned: load generator on CPU {min(ALL_CPUS)}, the rest on {sorted(rest)}"


def processes_cpu(pids: list[int]) -> tuple[float, float]:
    """CPU seconds so far of these processes (from ``/proc``): user + system, and of it
    system (in the kernel)."""
    user = system = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        user, system = user + int(fields[11]), system + int(fields[12])  # utime, stime
    tick = os.sysconf("SC_CLK_TCK")
    return (user + system) / tick, system / tick


class CryptoProcesses:
    """The crypto-only loop in ``processes`` forked processes at once, as many as the
    listener runs: each takes a count, runs that many messages and answers with its CPU
    ms per message (its own thread's). Their mean is crypto-only with every core busy
    with it, as the listener's cores are busy with the listener (and the load generator);
    a lone loop has the other core, the shared caches and memory bandwidth to itself.
    Call before any thread starts (fork copies only the calling thread)."""

    def __init__(self, work: Callable[[int], None], processes: int) -> None:
        self.conns: list[Pipe] = []
        self.pids: list[int] = []
        for slot in range(processes):
            ours, theirs = multiprocessing.Pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child measures until told to stop
                code = 0
                try:
                    ours.close()
                    n = slot
                    while (count := theirs.recv()) is not None:
                        t0 = time.thread_time()
                        for _ in range(count):
                            work(n)
                            n += processes
                        theirs.send((time.thread_time() - t0) * 1000 / count)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            theirs.close()
            self.conns.append(ours)
            self.pids.append(pid)

    def cpu_ms(self, count: int) -> float:
        """Mean CPU ms per message of ``count`` messages in every process at once."""
        for conn in self.conns:
            conn.send(count)
        return statistics.mean(float(conn.recv()) for conn in self.conns)

    def stop(self) -> None:
        """Tell every process to stop and wait for it."""
        for conn in self.conns:
            conn.send(None)
            conn.close()
        for pid in self.pids:
            os.waitpid(pid, 0)


def request_bytes(host: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    """One HTTP/1.1 POST as it goes on the wire (the socket load generator's request)."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    skip = ("host", "content-length")
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in skip]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """A keep-alive HTTP/1.1 connection that posts prepared requests: just enough of a
    client to read a Content-Length answer, so that the load generator costs the shared
    cores as little as possible (httpx spends about as much CPU per request as the
    server's HTTP layer; see bench/README.md)."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        self.buffer += chunk

    def post(self, request: bytes) -> tuple[int, bytes]:
        """Send one request; its status and body."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next(
            int(value) for name, _, value in (line.partition(b":") for line in lines[1:])
            if name.strip().lower() == b"content-length"
        )  # fmt: skip
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), body

    def close(self) -> None:
        self.sock.close()


def load_client(
    url: str, messages_file: str, seconds: float, clients: int, kind: str, cpu: int | None
) -> None:
    """Child process: post messages for ``seconds`` and print latencies as JSON (on CPU
    ``cpu`` alone when given)."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    # the parent process wrote this file a moment ago (see below), nobody else
    data = Path(messages_file).read_bytes()
    messages: list[tuple[dict[str, str], bytes]] = pickle.loads(data)  # noqa: S301
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = 0.0
    tag = os.getpid()
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    def poster() -> tuple[Callable[[dict[str, str], bytes], tuple[int, bytes]], Callable[[], None]]:
        """post(headers, body) -> (status, content) on a new keep-alive connection, and
        how to close it."""
        if kind == "httpx":
            http = httpx.Client(timeout=30)

            def post_httpx(headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
                r = http.post(url, headers=headers, content=body)
                return r.status_code, r.content

            return post_httpx, http.close
        conn = Connection(host, port)

        def post_socket(headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
            return conn.post(request_bytes(f"{host}:{port}", parts.path, headers, body))

        return post_socket, conn.close

    def one(post: Callable[[dict[str, str], bytes], tuple[int, bytes]], i: int, name: str) -> None:
        headers, body = messages[i % len(messages)]
        status, content = post({**headers, "Message-ID": f"<{name}-{tag}-{i}@acme>"}, body)
        if status != 200 or b"; processed\r\n" not in content:
            raise RuntimeError(f"unexpected answer {status}: {content[:200]!r}")

    def run() -> None:
        post, close = poster()
        try:
            while time.perf_counter() < stop_at:
                i = next(counter)
                t0 = time.perf_counter()
                one(post, i, "bench")
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
        finally:
            close()

    # warm-up (connections, first-use caches) outside the measurement
    post, close = poster()
    for i in range(WARM_UP):
        one(post, i, "warm")
    close()
    stop_at = time.perf_counter() + seconds
    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for f in [pool.submit(run) for _ in range(clients)]:
            f.result()
    print(json.dumps({"elapsed": time.perf_counter() - t0, "latencies": latencies}))


def run_load(
    url: str, *, messages_file: Path, args: argparse.Namespace
) -> tuple[list[float], float]:
    """Run the load generator (a process of its own) against ``url``: the latencies and
    the rate."""
    out = subprocess.run(
        [sys.executable, __file__, "--client", url + "/as2",
         "--messages-file", str(messages_file), "--seconds", str(args.seconds),
         "--clients", str(args.clients), "--load", args.load,
         *(["--pin-load", str(min(ALL_CPUS))] if args.pin and len(ALL_CPUS) > 1 else [])],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    result = json.loads(out)
    latencies: list[float] = result["latencies"]
    return latencies, len(latencies) / result["elapsed"]


def thread_cpu() -> dict[str, float]:
    """CPU seconds so far of this process's threads, summed by role: the server's event
    loop (the uvicorn thread), the endpoint's pool (threads named ``as2...``) and the
    rest (the main thread, idle crypto-only pools)."""
    roles = {"loop": 0.0, "pool": 0.0, "other": 0.0}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            seconds = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except (OSError, ProcessLookupError):  # the thread ended meanwhile
            continue
        if thread.name == "uvicorn":
            roles["loop"] += seconds
        else:
            roles["pool" if thread.name.startswith("as2") else "other"] += seconds
    return roles


def cpu_ms(work: Callable[[int], None], count: int, gap: float = 0.0) -> float:
    """CPU milliseconds per message of ``work`` on this thread (robust to a loaded
    machine, where rates swing with what else runs). With ``gap``, a sleep of that many
    seconds before each message, as a server waits between requests; not counted."""
    if not gap:
        t0 = time.thread_time()
        for n in range(count):
            work(n)
        return (time.thread_time() - t0) * 1000 / count
    total = 0.0
    for n in range(count):
        time.sleep(gap)
        t0 = time.thread_time()
        work(n)
        total += time.thread_time() - t0
    return total * 1000 / count


def threaded_cpu_ms(work: Callable[[int], None], threads: int, count: int) -> float:
    """This process's CPU milliseconds per message of ``work`` run on ``threads`` threads at
    once, as the endpoint's pool runs the receiver for concurrent clients (the idle server
    thread adds ~0.005 ms)."""

    def share(first: int) -> None:
        for n in range(first, count, threads):
            work(n)

    cpu0 = time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(share, k) for k in range(threads)]:
            f.result()
    return (time.process_time() - cpu0) * 1000 / count


def mount_endpoint(app: FastAPI, receiver: As2Receiver) -> None:
    """``POST /as2`` on ``app`` as the gateway's app mounts it (a checkout from before
    ``mount`` has only the router)."""
    try:
        from gateway.as2.http import mount
    except ImportError:
        app.include_router(make_router(lambda: receiver, 10 * 1024 * 1024))
    else:
        mount(app, lambda: receiver, 10 * 1024 * 1024)


def receive_directly(
    receiver: As2Receiver, headers: dict[str, str], body: bytes, message_id: str
) -> None:
    """``As2Receiver.handle`` as the HTTP layer calls it (lower-case names), checked."""
    lowered = {k.lower(): v for k, v in headers.items()}
    lowered["message-id"] = message_id
    if b"; processed\r\n" not in receiver.handle(lowered, body).body:
        raise RuntimeError("the receiver did not answer processed")


def raw_material(
    headers: dict[str, str], body: bytes, ours: cms.KeyPair
) -> tuple[bytes, bytes, bytes, bytes, bytes, bytes]:
    """What the raw calls work on, taken out of one message beforehand: the encrypted
    content key, IV and ciphertext, the signed part, the signed attributes (as signed)
    and the signature."""
    enveloped = decode_body(entity_from_http(headers, body))
    content = asn1_cms.ContentInfo.load(enveloped)["content"]
    ktri = content["recipient_infos"][0].chosen
    eci = content["encrypted_content_info"]
    inner = parse_entity(cms.decrypt(enveloped, [ours]))
    boundary = inner.content_type[1]["boundary"]
    signed_part, signature_part = split_multipart(inner.body, boundary)[:2]
    signer_info = asn1_cms.ContentInfo.load(decode_body(parse_entity(signature_part)))["content"][
        "signer_infos"
    ][0]
    return (
        ktri["encrypted_key"].native,
        eci["content_encryption_algorithm"]["parameters"].native,
        eci["encrypted_content"].native,
        signed_part,
        b"\x31" + signer_info["signed_attrs"].dump()[1:],
        signer_info["signature"].native,
    )


def parse_args() -> argparse.Namespace:
    """The command line (``--client``: this process is the load generator)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="endpoint phase per round")
    parser.add_argument("--crypto-seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--processes", type=int, default=2, help="processes of the AS2 listener (0: not run)"
    )
    parser.add_argument(
        "--intake", choices=("hash", "keep"), default="hash",
        help="the receiver's intake: hash the bytes as the store does and keep nothing "
        "(default), or keep every payload and request in memory (until 2026-12-06)",
    )  # fmt: skip
    parser.add_argument(
        "--load", choices=("socket", "httpx"), default="socket",
        help="load generator: prepared requests on plain sockets (default) or httpx",
    )  # fmt: skip
    parser.add_argument(
        "--settle", action="store_true",
        help="settle the garbage collector as the gateway's servers do at start-up "
        "(gateway.heap; by default it stays as Python starts it, as in earlier runs)",
    )  # fmt: skip
    parser.add_argument(
        "--pin", action="store_true",
        help="the load generator on the first CPU, everything else (the listener's and "
        "the crypto-only processes, this one) on the others: each side has cores of its "
        "own (on 2 cores use --processes 1)",
    )  # fmt: skip
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--pin-load", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--messages-file", help=argparse.SUPPRESS)
    return parser.parse_args()


@dataclass
class Setup:
    """What every AS2 benchmark here works on: our keys and the partner's, 200 signed and
    encrypted 10 KB messages (also pickled in ``messages_file`` for the load generator),
    and a receiver whose partner lookup always finds ACME."""

    tmp: Path
    ours: Any  # as2_helpers.KeyFiles
    partner: Any
    ours_pair: cms.KeyPair
    messages: list[OutboundMessage]
    messages_file: Path
    receiver: As2Receiver
    intake: MemoryIntake
    ids: Iterator[int] = field(default_factory=itertools.count)

    def one_direct(self, n: int) -> None:
        """The receiver alone (no HTTP) on message ``n``, with a fresh Message-ID."""
        m = self.messages[n % len(self.messages)]
        receive_directly(self.receiver, m.headers, m.body, f"<direct-{next(self.ids)}@acme>")

    def one_message(self, n: int) -> None:
        """What the endpoint does to message ``n`` without HTTP (the crypto-only loop)."""
        m = self.messages[n % len(self.messages)]
        msg = unpack_message(
            m.headers, m.body, our_keys=[self.ours_pair],
            partner_certs=[self.partner.certificate], policy=UnpackPolicy(),
        )  # fmt: skip
        build_mdn(
            original_message_id=m.message_id, original_recipient="GATEWAY",
            our_as2_id="GATEWAY", partner_as2_id="ACME", disposition=Disposition(),
            received_mic=msg.received_content_mic, signer=self.ours_pair,
            now=datetime.now(UTC),
        )  # fmt: skip


def set_up(intake_kind: str = "hash") -> Setup:
    """Keys, messages and the receiver in a new temporary directory (``intake_kind``: see
    ``--intake``)."""
    tmp = Path(tempfile.mkdtemp())
    ours, partner = make_keys(tmp, "gateway"), make_keys(tmp, "acme")
    identities = Identities.model_validate(
        {
            "default": "main",
            "identities": [
                {
                    "name": "main",
                    "x12_id": "GW",
                    "edifact_id": "GW",
                    "as2_id": "GATEWAY",
                    "as2_keys": [
                        {"certificate": str(ours.cert), "private_key": {"file": str(ours.key)}}
                    ],
                }
            ],
        }
    )
    profile = PartnerProfile.model_validate({
        "id": "acme", "name": "ACME", "x12": {"isa_qualifier": "ZZ", "isa_id": "ACME"},
        "as2": {"as2_id": "ACME", "certificates": [{"file": str(partner.cert)}]}})  # fmt: skip
    payload = (b"ST*850*0001~BEG*00*SA*PO-1**20241122~" * 300)[:10240]
    ours_pair = cms.KeyPair(ours.certificate, ours.private_key)
    partner_pair = cms.KeyPair(partner.certificate, partner.private_key)
    messages: list[OutboundMessage] = [
        build_message(
            payload, filename="po.x12", as2_from="ACME", as2_to="GATEWAY",
            sign=SignOptions(partner_pair, "sha256"),
            encrypt=EncryptOptions(ours.certificate, "aes256-cbc"),
        )
        for _ in range(200)
    ]  # fmt: skip
    messages_file = tmp / "messages.pickle"
    messages_file.write_bytes(pickle.dumps([(m.headers, m.body) for m in messages]))
    intake = {"keep": MemoryIntake, "hash": HashingIntake}[intake_kind]()
    receiver = As2Receiver(
        intake=intake, find_partner=lambda f, t: (profile, identities.get()),
        identities=KeyCache(identities), max_body_bytes=10 * 1024 * 1024,
        schedule_async_mdn=lambda job: None,
    )  # fmt: skip
    return Setup(tmp, ours, partner, ours_pair, messages, messages_file, receiver, intake)


def main(args: argparse.Namespace) -> None:
    setup = set_up(args.intake)
    ours, ours_pair, messages = setup.ours, setup.ours_pair, setup.messages
    messages_file, receiver, intake = setup.messages_file, setup.receiver, setup.intake
    one_message = setup.one_message

    def crypto_only(seconds: float, threads: int) -> float:
        count = [0] * threads
        stop_at = time.perf_counter() + seconds

        def loop(slot: int) -> None:
            n = slot
            while time.perf_counter() < stop_at:
                one_message(n)
                count[slot] += 1
                n += threads

        t0 = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            for f in [pool.submit(loop, i) for i in range(threads)]:
                f.result()
        return sum(count) / (time.perf_counter() - t0)

    raw_inputs = [raw_material(m.headers, m.body, ours_pair) for m in messages]
    mdn_report = build_mdn(
        original_message_id=messages[0].message_id, original_recipient="GATEWAY",
        our_as2_id="GATEWAY", partner_as2_id="ACME", disposition=Disposition(),
        received_mic="x" * 44, signer=None, now=datetime.now(UTC),
    ).body  # fmt: skip
    partner_public = setup.partner.certificate.public_key()

    pkcs1 = asym_padding.PKCS1v15()

    def one_raw(n: int) -> None:
        """The primitives alone for message ``n`` (see the module docstring)."""
        enc_key, iv, ciphertext, signed_part, signed_attrs, signature = raw_inputs[
            n % len(raw_inputs)
        ]
        cek = ours.private_key.decrypt(enc_key, pkcs1)
        decryptor = Cipher(algorithms.AES(cek), modes.CBC(iv)).decryptor()
        unpadder = sym_padding.PKCS7(128).unpadder()
        unpadder.update(decryptor.update(ciphertext) + decryptor.finalize())
        unpadder.finalize()
        cms.digest("sha256", signed_part)  # the signed digest, and the MIC
        partner_public.verify(signature, signed_attrs, pkcs1, hashes.SHA256())  # type: ignore[union-attr]
        cms.digest("sha256", mdn_report)
        ours.private_key.sign(signed_attrs, pkcs1, hashes.SHA256())

    def raw_calls(seconds: float) -> float:
        """Messages per second of :func:`one_raw`, one thread."""
        count = 0
        stop_at = time.perf_counter() + seconds
        t0 = time.perf_counter()
        while time.perf_counter() < stop_at:
            one_raw(count)
            count += 1
        return count / (time.perf_counter() - t0)

    one_direct = setup.one_direct

    app = FastAPI()
    mount_endpoint(app, receiver)
    raw, single, multi, endpoint, p50s, p99s = [], [], [], [], [], []
    raw_cpu, crypto_cpu, direct_cpu, endpoint_cpu = [], [], [], []
    # crypto-only and the receiver without HTTP on --clients threads at once
    crypto_multi_cpu: list[float] = []
    direct_multi_cpu: list[float] = []
    loop_cpu: list[float] = []
    pool_cpu: list[float] = []
    if args.settle:
        # as `edi-gateway api` and `run` do once set up (both sides of every ratio run
        # in this process, so both are measured with it)
        heap.settle()
    one_direct(0)  # the receiver's first-use caches, before the listener's processes copy it
    pinned = pin_server_side(args.pin)  # before anything forks or starts a thread
    listener = ListenerPhase(receiver, args.processes)
    crypto_all = CryptoProcesses(one_message, args.processes)
    load = functools.partial(run_load, messages_file=messages_file, args=args)

    with ServerThread(app) as server:
        server.thread.name = "uvicorn"
        for _ in range(args.rounds):
            for _ in range(3):  # A B C A B C A B C: CPU per message
                raw_cpu.append(cpu_ms(one_raw, 100))
                crypto_cpu.append(cpu_ms(one_message, 100))
                direct_cpu.append(cpu_ms(one_direct, 100))
            raw.append(raw_calls(args.crypto_seconds))
            single.append(crypto_only(args.crypto_seconds, 1))
            multi.append(crypto_only(args.crypto_seconds, args.clients))
            crypto_multi_cpu.append(threaded_cpu_ms(one_message, args.clients, 400))
            direct_multi_cpu.append(threaded_cpu_ms(one_direct, args.clients, 400))
            served_before, cpu_before = len(intake.payloads), time.process_time()
            threads_before = thread_cpu()
            lat, rate = load(server.url)
            endpoint.append(rate)
            # the server's own CPU per message (the load generator is another process)
            served = len(intake.payloads) - served_before
            endpoint_cpu.append((time.process_time() - cpu_before) * 1000 / served)
            threads_after = thread_cpu()
            loop_cpu.append((threads_after["loop"] - threads_before["loop"]) * 1000 / served)
            # pool threads started during the round count from zero
            pool_cpu.append((threads_after["pool"] - threads_before["pool"]) * 1000 / served)
            q = statistics.quantiles(lat, n=100)
            p50s.append(q[49] * 1000)
            p99s.append(q[98] * 1000)
            listener.measure(
                load,
                functools.partial(cpu_ms, one_message, 300),
                functools.partial(crypto_all.cpu_ms, 300),
            )
    listener.stop()
    crypto_all.stop()
    med = statistics.median
    print(f"cpus={os.cpu_count()} rounds={args.rounds} payload=10240 B, sha256 signature, "
          f"aes256-cbc + RSA-2048, signed sync MDN, load {args.load}, garbage collector "
          f"{'settled (gateway.heap)' if args.settle else 'as Python starts it'}"
          f"{pinned}")  # fmt: skip
    print(f"raw cryptography calls, 1 thread: median {med(raw):7.1f} msgs/s")
    print(f"crypto-only, 1 thread           : median {med(single):7.1f} msgs/s  {single}")
    per_round = [r / c for r, c in zip(raw, single, strict=True)]
    print(f"crypto-only / raw calls (rates) : {statistics.median(per_round):.2f} "
          f"(per round {', '.join(f'{x:.2f}' for x in per_round)})")  # fmt: skip
    cpu_ratio = [c / r for r, c in zip(raw_cpu, crypto_cpu, strict=True)]
    print(f"CPU ms per message              : raw {med(raw_cpu):.3f}, "
          f"crypto-only {med(crypto_cpu):.3f}; crypto-only / raw {med(cpu_ratio):.2f} "
          f"(min {min(cpu_ratio):.2f}, max {max(cpu_ratio):.2f}, "
          f"{len(cpu_ratio)} pairs)")  # fmt: skip
    print(f"crypto-only, {args.clients} threads         : median {med(multi):7.1f} msgs/s")
    print(f"endpoint, {args.clients} clients (other proc): median {med(endpoint):7.1f} msgs/s"
          f"  p50 {med(p50s):.1f} ms  p99 {med(p99s):.1f} ms")  # fmt: skip
    ceiling = max(med(single), med(multi))
    print(f"endpoint / crypto-only ceiling  : {med(endpoint) / ceiling:.2f}")
    print(f"receiver without HTTP, CPU ms   : {med(direct_cpu):.3f}; crypto-only CPU / "
          f"receiver CPU {med(crypto_cpu) / med(direct_cpu):.2f}")  # fmt: skip
    print(f"the same, {args.clients} threads at once   : crypto-only "
          f"{med(crypto_multi_cpu):.3f}, receiver without HTTP {med(direct_multi_cpu):.3f} "
          "CPU ms per message (the ratios use the 1-thread figures)")  # fmt: skip
    print(f"server CPU ms per message       : {med(endpoint_cpu):.3f}; crypto-only CPU / "
          f"server CPU {med(crypto_cpu) / med(endpoint_cpu):.2f}")  # fmt: skip
    print(f"  of it, event loop thread      : {med(loop_cpu):.3f}; endpoint pool threads "
          f"{med(pool_cpu):.3f}")  # fmt: skip
    listener.report(crypto_cpu)
    print("per round (raw/crypto 1/crypto N/endpoint): " + "; ".join(
        f"{r:.0f}/{s:.0f}/{m:.0f}/{e:.0f}"
        for r, s, m, e in zip(raw, single, multi, endpoint, strict=True)
    ))  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.client:
        load_client(
            arguments.client, arguments.messages_file, arguments.seconds, arguments.clients,
            arguments.load, arguments.pin_load,
        )  # fmt: skip
    else:
        main(arguments)

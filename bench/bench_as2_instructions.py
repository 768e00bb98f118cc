"""AS2 receive counted in instructions: crypto-only, the receiver and the listener.

``bench_as2.py`` measures CPU time per message, which on a shared host moves by a fifth
within a minute (both the crypto-only loop and the listener; see bench/README.md). The
instructions a message takes do not: this script counts them with valgrind's
cachegrind (``PYTHONHASHSEED=0``) for the same signed+encrypted 10 KB message answered
with a signed MDN, three ways:

* crypto-only - unpack the message and build the signed MDN (``bench_as2``'s loop);
* the receiver without HTTP - ``As2Receiver.handle`` with ``bench_as2``'s hashing intake
  (a SHA-256 of the raw request and of the payload, as the store takes);
* the AS2 listener - its app (:class:`gateway.as2.listener.As2App`) in one uvicorn
  process under valgrind, fed over one keep-alive connection by this process (whose
  instructions are not counted).

Each runs twice, on ``--few`` and on ``--many`` messages; the difference over the
difference in messages is the count per message, without start-up.

What the counts leave out: the kernel (system calls and the TCP stack: the listener's
system time, a few per cent of its CPU) and how fast the instructions run, which differs
by kind: the crypto's big-number arithmetic runs several times faster per instruction
than the Python interpreter, so the listener's ~8 % more instructions, mostly Python,
are a larger share of its time (``bench_as2_perf.py`` splits the time by library).
valgrind also hides the CPU's SHA extensions, so the hashing counts more instructions
than it runs natively.

Usage: ``.venv/bin/python bench/bench_as2_instructions.py [--few 10] [--many 40]``
(needs valgrind; about three minutes on two cores).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_as2 as b  # noqa: E402  # after the path above; it sets up the gateway's own

MODES = ("crypto", "receiver", "listener")
LABELS = {
    "crypto": "crypto-only",
    "receiver": "receiver without HTTP",
    "listener": "AS2 listener (1 process)",
}
DISTINCT = 10  # messages built; each run cycles through them


def prepare(work: Path) -> None:
    """Keys and messages for every child, written once (the children only read them)."""
    ours, partner = b.make_keys(work, "gateway"), b.make_keys(work, "acme")
    partner_pair = b.cms.KeyPair(partner.certificate, partner.private_key)
    payload = (b"ST*850*0001~BEG*00*SA*PO-1**20241122~" * 300)[:10240]
    messages = [
        b.build_message(
            payload, filename="po.x12", as2_from="ACME", as2_to="GATEWAY",
            sign=b.SignOptions(partner_pair, "sha256"),
            encrypt=b.EncryptOptions(ours.certificate, "aes256-cbc"),
        )
        for _ in range(DISTINCT)
    ]  # fmt: skip
    (work / "messages.pickle").write_bytes(
        pickle.dumps([(m.headers, m.body, m.message_id) for m in messages])
    )


def child(mode: str, count: int, work: Path) -> None:
    """Under valgrind: ``count`` messages of ``mode`` (the listener serves until SIGINT)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    def pair(name: str) -> b.cms.KeyPair:
        cert = x509.load_pem_x509_certificate((work / f"{name}.crt").read_bytes())
        key = serialization.load_pem_private_key((work / f"{name}.key").read_bytes(), None)
        return b.cms.KeyPair(cert, key)  # type: ignore[arg-type]

    ours, partner = pair("gateway"), pair("acme")
    # written by this script's parent a moment ago, nobody else
    messages = pickle.loads((work / "messages.pickle").read_bytes())  # noqa: S301
    identities = b.Identities.model_validate({
        "default": "main",
        "identities": [{
            "name": "main", "x12_id": "GW", "edifact_id": "GW", "as2_id": "GATEWAY",
            "as2_keys": [{"certificate": str(work / "gateway.crt"),
                          "private_key": {"file": str(work / "gateway.key")}}],
        }],
    })  # fmt: skip
    profile = b.PartnerProfile.model_validate({
        "id": "acme", "name": "ACME", "x12": {"isa_qualifier": "ZZ", "isa_id": "ACME"},
        "as2": {"as2_id": "ACME", "certificates": [{"file": str(work / "acme.crt")}]}})  # fmt: skip
    receiver = b.As2Receiver(
        intake=b.HashingIntake(), find_partner=lambda f, t: (profile, identities.get()),
        identities=b.KeyCache(identities), max_body_bytes=10 * 1024 * 1024,
        schedule_async_mdn=lambda job: None,
    )  # fmt: skip
    b.heap.settle()
    if mode == "listener":
        import socket

        import uvicorn

        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        (work / f"port.{os.getpid()}").write_text(str(sock.getsockname()[1]))
        app = b.As2App(lambda: receiver, 10 * 1024 * 1024)
        config = uvicorn.Config(app, log_level="warning", **b.UVICORN_OPTIONS)
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises it again once stopped
            uvicorn.Server(config).run(sockets=[sock])
        return
    for n in range(count):
        headers, body, message_id = messages[n % len(messages)]
        if mode == "crypto":
            msg = b.unpack_message(
                headers, body, our_keys=[ours], partner_certs=[partner.certificate],
                policy=b.UnpackPolicy(),
            )  # fmt: skip
            b.build_mdn(
                original_message_id=message_id, original_recipient="GATEWAY",
                our_as2_id="GATEWAY", partner_as2_id="ACME", disposition=b.Disposition(),
                received_mic=msg.received_content_mic, signer=ours, now=datetime.now(UTC),
            )  # fmt: skip
        else:
            b.receive_directly(receiver, headers, body, f"<direct-{n:08d}@acme>")


def feed(pid: int, count: int, work: Path) -> None:
    """Post ``count`` messages to the listener child ``pid`` once it listens, then stop it."""
    port_file = work / f"port.{pid}"
    deadline = time.monotonic() + 600
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline:
            raise RuntimeError("the listener under valgrind did not start")
        time.sleep(0.5)
    time.sleep(2)  # the port is written just before uvicorn starts serving it
    port = int(port_file.read_text())
    messages = pickle.loads((work / "messages.pickle").read_bytes())  # noqa: S301
    conn = b.Connection("127.0.0.1", port)
    try:
        for n in range(count):
            headers, body, _ = messages[n % len(messages)]
            headers = {**headers, "Message-ID": f"<listener-{n:08d}@acme>"}
            request = b.request_bytes(f"127.0.0.1:{port}", "/as2", headers, body)
            status, answer = conn.post(request)
            if status != 200 or b"; processed\r\n" not in answer:
                raise RuntimeError(f"unexpected answer {status}: {answer[:200]!r}")
    finally:
        conn.close()
    os.kill(pid, signal.SIGINT)


def count_instructions(mode: str, count: int, work: Path) -> int:
    """Instructions of one child run under cachegrind."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = work / f"cachegrind.{mode}.{count}"
    command = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}",
        sys.executable, __file__, "--child", mode, str(count), "--work", str(work),
    ]  # fmt: skip
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if mode == "listener":
        try:
            feed(proc.pid, count, work)  # valgrind runs the program in its own process
        except BaseException:
            proc.kill()  # a listener that does not serve would otherwise run on
            raise
    _, err = proc.communicate()
    found = re.search(rb"I\s+refs:\s+([\d,]+)", err)
    if proc.returncode != 0 or found is None:
        raise RuntimeError(f"{mode} x {count} under valgrind failed:\n{err[-2000:].decode()}")
    out.unlink(missing_ok=True)
    return int(found.group(1).replace(b",", b""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--few", type=int, default=10)
    parser.add_argument("--many", type=int, default=40)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), Path(args.work))
        return
    if args.many <= args.few:
        parser.error("--many must be larger than --few")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    work = Path(tempfile.mkdtemp(prefix="as2-instructions-"))
    try:
        prepare(work)
        runs = [(mode, n) for mode in MODES for n in (args.few, args.many)]
        with ThreadPoolExecutor(2) as pool:  # two valgrind runs at a time, one per core
            counts = dict(
                zip(runs, pool.map(lambda run: count_instructions(*run, work), runs), strict=True)
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per = {m: (counts[m, args.many] - counts[m, args.few]) / (args.many - args.few) for m in MODES}
    print(f"instructions per message (cachegrind, PYTHONHASHSEED=0, {args.many} - {args.few} "
          "messages; signed+encrypted 10 KB payload, signed sync MDN)")  # fmt: skip
    for mode in MODES:
        ratio = "" if mode == "crypto" else f"   crypto-only / this {per['crypto'] / per[mode]:.3f}"
        print(f"  {LABELS[mode]:<26} {per[mode] / 1e6:8.3f} M{ratio}")


if __name__ == "__main__":
    main()

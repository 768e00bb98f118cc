"""AS2 receive benchmark: signed+encrypted 10 KB payloads answered with a signed sync MDN.

One run measures, in alternating rounds so machine noise hits both alike:

* crypto-only ceiling - the per-message work of the endpoint without HTTP: decrypt
  (RSA + AES-256), verify the signature (SHA-256/RSA), compute the MIC, build and sign
  the MDN - in a tight loop, on 1 thread and on ``--clients`` threads;
* the real endpoint - uvicorn on 127.0.0.1 with the FastAPI router and an in-memory
  intake - under a load generator running in a separate process (httpx, ``--clients``
  concurrent connections, bounded by time), reporting msgs/s and p50/p99 latency.

Usage: ``.venv/bin/python bench/bench_as2.py [--rounds 3] [--seconds 8] [--clients 4]``
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "as2"))
from as2_helpers import MemoryIntake, ServerThread, make_keys

from gateway.as2 import cms
from gateway.as2.certs import KeyCache
from gateway.as2.http import make_router
from gateway.as2.inbound import UnpackPolicy, unpack_message
from gateway.as2.mdn import Disposition, build_mdn
from gateway.as2.outbound import EncryptOptions, OutboundMessage, SignOptions, build_message
from gateway.as2.receiver import As2Receiver
from gateway.identity import Identities
from gateway.partners.profile import PartnerProfile


def load_client(url: str, messages_file: str, seconds: float, clients: int) -> None:
    """Child process: post messages for ``seconds`` and print latencies as JSON."""
    # the parent process wrote this file a moment ago (see below), nobody else
    data = Path(messages_file).read_bytes()
    messages: list[tuple[dict[str, str], bytes]] = pickle.loads(data)  # noqa: S301
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = 0.0
    tag = os.getpid()

    def run() -> None:
        with httpx.Client(timeout=30) as http:
            while time.perf_counter() < stop_at:
                i = next(counter)
                headers, body = messages[i % len(messages)]
                headers = {**headers, "Message-ID": f"<bench-{tag}-{i}@acme>"}
                t0 = time.perf_counter()
                r = http.post(url, headers=headers, content=body)
                dt = time.perf_counter() - t0
                if r.status_code != 200 or b"; processed\r\n" not in r.content:
                    raise RuntimeError(f"unexpected answer {r.status_code}: {r.content[:200]!r}")
                with lock:
                    latencies.append(dt)

    # warm-up (connections, first-use caches) outside the measurement
    with httpx.Client(timeout=30) as http:
        for i in range(10):
            headers, body = messages[i]
            http.post(
                url, headers={**headers, "Message-ID": f"<warm-{tag}-{i}@acme>"}, content=body
            )
    stop_at = time.perf_counter() + seconds
    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for f in [pool.submit(run) for _ in range(clients)]:
            f.result()
    print(json.dumps({"elapsed": time.perf_counter() - t0, "latencies": latencies}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="endpoint phase per round")
    parser.add_argument("--crypto-seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--messages-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        load_client(args.client, args.messages_file, args.seconds, args.clients)
        return

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

    def crypto_only(seconds: float, threads: int) -> float:
        count = [0] * threads
        stop_at = time.perf_counter() + seconds

        def loop(slot: int) -> None:
            n = slot
            while time.perf_counter() < stop_at:
                m = messages[n % len(messages)]
                msg = unpack_message(
                    m.headers, m.body, our_keys=[ours_pair],
                    partner_certs=[partner.certificate], policy=UnpackPolicy(),
                )  # fmt: skip
                build_mdn(
                    original_message_id=m.message_id, original_recipient="GATEWAY",
                    our_as2_id="GATEWAY", partner_as2_id="ACME", disposition=Disposition(),
                    received_mic=msg.received_content_mic, signer=ours_pair,
                    now=datetime.now(UTC),
                )  # fmt: skip
                count[slot] += 1
                n += threads

        t0 = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            for f in [pool.submit(loop, i) for i in range(threads)]:
                f.result()
        return sum(count) / (time.perf_counter() - t0)

    intake = MemoryIntake()
    receiver = As2Receiver(
        intake=intake, find_partner=lambda f, t: (profile, identities.get()),
        identities=KeyCache(identities), max_body_bytes=10 * 1024 * 1024,
        schedule_async_mdn=lambda job: None,
    )  # fmt: skip
    app = FastAPI()
    app.include_router(make_router(lambda: receiver, 10 * 1024 * 1024))
    single, multi, endpoint, p50s, p99s = [], [], [], [], []
    with ServerThread(app) as server:
        for _ in range(args.rounds):
            single.append(crypto_only(args.crypto_seconds, 1))
            multi.append(crypto_only(args.crypto_seconds, args.clients))
            out = subprocess.run(
                [sys.executable, __file__, "--client", server.url + "/as2",
                 "--messages-file", str(messages_file), "--seconds", str(args.seconds),
                 "--clients", str(args.clients)],
                capture_output=True, check=True, text=True,
            ).stdout  # fmt: skip
            result = json.loads(out)
            lat = result["latencies"]
            endpoint.append(len(lat) / result["elapsed"])
            q = statistics.quantiles(lat, n=100)
            p50s.append(q[49] * 1000)
            p99s.append(q[98] * 1000)
    med = statistics.median
    print(f"cpus={os.cpu_count()} rounds={args.rounds} payload=10240 B, sha256 signature, "
          f"aes256-cbc + RSA-2048, signed sync MDN")  # fmt: skip
    print(f"crypto-only, 1 thread           : median {med(single):7.1f} msgs/s  {single}")
    print(f"crypto-only, {args.clients} threads         : median {med(multi):7.1f} msgs/s")
    print(f"endpoint, {args.clients} clients (other proc): median {med(endpoint):7.1f} msgs/s"
          f"  p50 {med(p50s):.1f} ms  p99 {med(p99s):.1f} ms")  # fmt: skip
    ceiling = max(med(single), med(multi))
    print(f"endpoint / crypto-only ceiling  : {med(endpoint) / ceiling:.2f}")
    print("per round: " + "; ".join(
        f"{s:.0f}/{m:.0f}/{e:.0f}" for s, m, e in zip(single, multi, endpoint, strict=True)
    ))  # fmt: skip
    assert len(intake.payloads) == sum(1 for _ in intake.payloads)


if __name__ == "__main__":
    main()

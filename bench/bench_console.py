"""Console read-path latency on a store with many documents (SQLite, in-process client).

Fills a temp store with N synthetic documents (ORM rows, no pipeline) across partners,
states and 30 days, then times the tracker, a business-key search, the file list, the
dashboard and a /metrics scrape through FastAPI's TestClient. Prints medians.

    .venv/bin/python bench/bench_console.py --documents 20000 --runs 15
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from gateway.api.app import create_app
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.settings import Settings
from gateway.store.db import session_scope
from gateway.store.models import (
    FunctionalGroup,
    Interchange,
    Message,
    Payload,
    StageAttempt,
    Transaction,
)

PARTNERS = ["keystone-pharma", "summit-medical", "nordlicht-medtech", "acme", "beta"]
STATES = ["delivered"] * 8 + ["business_exception", "failed"]


def fill(runtime, n: int) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    with session_scope(runtime.sessions) as session:
        session.add(Payload(sha256="0" * 64, size=0, storage="database", data=b""))
        session.flush()
        for i in range(n):
            at = now - dt.timedelta(minutes=(i * 30 * 24 * 60) // n)
            partner = PARTNERS[i % len(PARTNERS)]
            m = Message(
                transport="sftp",
                partner_id=partner,
                payload_sha256="0" * 64,
                state="split",
                correlation_id=f"c{i}",
                created_at=at,
                filename=f"f{i}",
            )
            session.add(m)
            session.flush()
            ic = Interchange(
                message_id=m.id,
                partner_id=partner,
                syntax="x12",
                sender_id="S",
                receiver_id="R",
                control_number=f"{i:09d}",
            )
            session.add(ic)
            session.flush()
            g = FunctionalGroup(interchange_id=ic.id, control_number=str(i))
            session.add(g)
            session.flush()
            session.add(
                Transaction(
                    group_id=g.id,
                    interchange_id=ic.id,
                    message_id=m.id,
                    partner_id=partner,
                    set_id="850",
                    document_type="purchase_order",
                    control_number="0001",
                    business_key=f"PO-{i}",
                    state=STATES[i % len(STATES)],
                    correlation_id=f"c{i}",
                    created_at=at,
                )
            )
            session.add(
                StageAttempt(
                    stage="translate",
                    subject_id=ic.id,
                    started_at=at,
                    finished_at=at + dt.timedelta(milliseconds=20 + i % 50),
                    outcome="ok",
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="edigw-bench-console-"))
    settings = Settings(data_dir=data_dir, admin_api_key=SecretStr("bench"))
    runtime = build_runtime(settings, dispatcher=InlineDispatcher())
    start = time.perf_counter()
    fill(runtime, args.documents)
    print(f"filled {args.documents} documents in {time.perf_counter() - start:.1f}s")
    client = TestClient(create_app(runtime))
    h = {"X-API-Key": "bench"}
    cases = {
        "tracker page of 50": "/api/v1/transactions?limit=50",
        "search by PO number": f"/api/v1/transactions?business_key=PO-{args.documents // 2}",
        "files page of 50": "/api/v1/messages?limit=50",
        "dashboard 30 days": "/api/v1/dashboard?days=30",
        "metrics scrape": "/metrics",
        "tracker HTML page": "/messages",
    }
    for name, path in cases.items():
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            response = client.get(path, headers=h)
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200, (path, response.status_code)
        print(
            f"{name:<22} median {statistics.median(times) * 1000:8.1f} ms "
            f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})"
        )


if __name__ == "__main__":
    main()

"""Health, readiness and the Prometheus metrics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.api.app import create_app
from gateway.store.db import session_scope
from gateway.store.models import Acknowledgement, StageAttempt
from tests.api.world import World, make_world


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_healthz_needs_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_everything_is_reachable(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": True, "detail": "sqlite"}
    assert checks["broker"]["ok"] is True
    assert checks["odoo"] == {"ok": True, "detail": "dry-run"}


def test_readyz_names_what_is_down(tmp_path: Path) -> None:
    # given a broker nobody listens on and an Odoo that cannot be reached
    def odoo_down() -> object:
        raise ConnectionError("odoo.example: connection refused")

    world = make_world(tmp_path, documents=False, broker_url="redis://127.0.0.1:1/0")
    world.runtime.odoo_factory = odoo_down
    with TestClient(create_app(world.runtime)) as c:
        response = c.get("/readyz")
    # then 503, with each failing part named
    assert response.status_code == 503
    result = response.json()
    assert result["ready"] is False
    assert result["checks"]["database"]["ok"] is True
    assert result["checks"]["broker"]["ok"] is False
    assert result["checks"]["odoo"]["ok"] is False
    assert "connection refused" in result["checks"]["odoo"]["detail"]


def test_metrics_report_documents_latency_and_queues(fresh: World) -> None:
    # given an ack queued for an hour, and one task waiting in the filesystem broker
    with session_scope(fresh.runtime.sessions) as session:
        session.add(
            Acknowledgement(
                direction="out",
                kind="999",
                partner_id="keystone-pharma",
                status="accepted",
                state="queued",
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
            )
        )
        session.add(
            Acknowledgement(
                direction="out",
                kind="999",
                partner_id="keystone-pharma",
                status="accepted",
                state="failed",
            )
        )
        session.add(
            StageAttempt(
                stage="deliver", subject_id=2, attempt=1, outcome="retry", error="Odoo unreachable"
            )
        )
    queue = fresh.runtime.settings.broker_dir / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    (queue / "task.msg").write_text("{}")
    with TestClient(create_app(fresh.runtime)) as c:
        assert c.get("/metrics").status_code == 401
        response = c.get("/metrics", headers=fresh.headers("viewer"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    docs = {k[1]: v for k, v in samples.items() if k[0] == "edigw_documents"}
    assert (
        docs[
            (
                ("direction", "in"),
                ("document_type", "purchase_order"),
                ("partner", "keystone-pharma"),
                ("state", "delivered"),
            )
        ]
        == 1
    )
    assert (
        docs[
            (
                ("direction", "in"),
                ("document_type", "invoice"),
                ("partner", "keystone-pharma"),
                ("state", "business_exception"),
            )
        ]
        == 1
    )
    # stage latency histograms from the stage attempts of the pipeline runs
    counts = {
        dict(k[1])["stage"]: v
        for k, v in samples.items()
        if k[0] == "edigw_stage_duration_seconds_count"
    }
    assert counts["split"] == 2 and counts["deliver"] == 2
    assert samples[("edigw_acknowledgements_overdue", (("partner", "keystone-pharma"),))] == 1
    assert samples[("edigw_dead_letters", (("kind", "acknowledgement"),))] == 1
    assert samples[("edigw_dead_letters", (("kind", "transaction"),))] == 0
    assert samples[("edigw_queue_depth", (("queue", "gateway"),))] == 1
    assert samples[("edigw_stage_retries_total", (("stage", "deliver"),))] == 1


def test_certificate_days_left(tmp_path: Path) -> None:
    from gateway.as2.certs import create_key_pair

    # given a partner whose AS2 certificate runs out in 20 days
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    create_key_pair("ACME AS2", 20, profiles / "acme.key", profiles / "acme.crt", key_size=1024)
    (profiles / "acme.yaml").write_text(
        "id: acme\nname: ACME\nx12: {isa_qualifier: ZZ, isa_id: ACMEAS2}\n"
        "as2:\n  as2_id: ACME-AS2\n  certificates:\n    - file: acme.crt\n"
    )
    world = make_world(tmp_path / "data", documents=False, profiles_dir=str(profiles))
    with TestClient(create_app(world.runtime)) as c:
        text = c.get("/metrics", headers=world.headers("viewer")).text
        detail = c.get("/api/v1/partners/acme", headers=world.headers("viewer")).json()
    days = _samples(text)[
        ("edigw_certificate_days_left", (("file", "acme.crt"), ("partner", "acme")))
    ]
    assert 18 <= days <= 20
    assert detail["certificates"][0]["status"] == "expires soon"


def test_as2_endpoint_is_mounted_without_api_keys(client: TestClient) -> None:
    # given no API key / when a partner posts to /as2 / then AS2 itself answers (here:
    # refusing a request without the AS2 headers), never the console's 401
    response = client.post(
        "/as2", content=b"garbage", headers={"AS2-From": "SUMMITMED", "AS2-To": "MERIDIAN-AS2"}
    )
    assert response.status_code not in (401, 404)
    assert response.status_code == 400


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/transactions" in spec["paths"]
    assert "/api/v1/partners/{partner_id}/test" in spec["paths"]
    assert not any(p.startswith("/documents") for p in spec["paths"])  # pages stay out
    docs = client.get("/docs")
    assert docs.status_code == 200
    # Swagger UI comes from the package, never from a CDN
    assert "/static/swagger/swagger-ui-bundle.js" in docs.text and "https://" not in docs.text
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/redoc").status_code == 404

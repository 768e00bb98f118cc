"""The production stack's compose file, checked offline with docker-compose 1.x."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.conftest import REPO, missing


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """docker-compose.yml as docker-compose itself resolves it, with .env.example as .env."""
    work = tmp_path_factory.mktemp("compose")
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(REPO / name, work / name)
    shutil.copytree(REPO / "deploy", work / "deploy")
    shutil.copy(REPO / ".env.example", work / ".env")
    try:
        out = subprocess.run(
            [str(REPO / "deploy" / "check-compose"), str(work)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        missing(f"docker-compose 1.x could not check the file: {detail[-500:]}")
    return yaml.safe_load(out.stdout)


def test_stack_has_every_service(rendered: dict) -> None:
    services = rendered["services"]
    assert {
        "postgres",
        "redis",
        "odoo",
        "odoo-init",
        "migrate",
        "api",
        "as2",
        "worker",
        "scheduler",
        "sftp",
    } <= set(services)


def test_gateway_services_share_database_broker_and_payload_volume(rendered: dict) -> None:
    services = rendered["services"]
    for name in ("api", "as2", "worker", "scheduler", "sftp"):
        svc = services[name]
        env = svc["environment"]
        assert env["EDIGW_DATABASE_URL"].startswith("postgresql+psycopg://"), name
        assert env["EDIGW_BROKER_URL"].startswith("redis://"), name
        assert any(str(v).startswith("payloads:/data") for v in svc["volumes"]), name
        assert svc["restart"] == "unless-stopped", name
        assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_workers_scale_and_services_have_health_checks(rendered: dict) -> None:
    services = rendered["services"]
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker  # --scale worker=N works
    for name in ("postgres", "redis", "odoo", "api", "as2", "worker", "sftp"):
        assert "healthcheck" in services[name], name


def test_odoo_init_installs_the_needed_modules(rendered: dict) -> None:
    command = rendered["services"]["odoo-init"]["command"]
    if isinstance(command, list):
        command = " ".join(command)
    for module in ("purchase", "stock", "account", "purchase_stock", "product_expiry"):
        assert module in command.split("-i", 1)[1]
    assert "--stop-after-init" in command


def test_image_runs_as_non_root_and_is_multi_stage() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") >= 2
    assert "\nUSER gateway" in dockerfile


def test_env_example_names_only_known_settings() -> None:
    from gateway.settings import Settings

    known = {f"EDIGW_{name.upper()}" for name in Settings.model_fields}
    names = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (REPO / ".env.example").read_text().splitlines()
        if line.strip() and "=" in line and line.lstrip("# ").startswith("EDIGW_")
    }
    assert names and names <= known, names - known
    assert yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]

"""Liveness and readiness: is the process up, and can it reach what it needs?"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from gateway.pipeline.runtime import Runtime


def check_database(runtime: Runtime) -> dict[str, Any]:
    """A ``SELECT 1`` on the store."""
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means not ready
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "detail": runtime.engine.url.get_backend_name()}


def check_broker(runtime: Runtime) -> dict[str, Any]:
    """One connection attempt to the Celery broker."""
    from kombu.connection import Connection

    url = runtime.settings.resolved_broker_url
    options: dict[str, Any] = {}
    if url.startswith("filesystem"):
        from gateway.celery_app import celery_config  # deferred: importing it builds the Celery app

        options = celery_config(runtime.settings).get("broker_transport_options", {})
    try:
        # kombu's Connection.__init__ has no annotations (the package is otherwise typed)
        with Connection(  # type: ignore[no-untyped-call]
            url, transport_options=options, connect_timeout=3
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=3)
    except Exception as exc:  # kombu raises many kinds (OperationalError, OSError...)
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "detail": url.split("://", 1)[0]}


def check_odoo(runtime: Runtime) -> dict[str, Any]:
    """Odoo answers its version call ("dry-run" when no Odoo is configured)."""
    if not runtime.settings.odoo_configured and runtime.odoo_factory is None:
        return {"ok": True, "detail": "dry-run"}
    try:
        dialect = runtime.odoo.dialect
    except Exception as exc:  # unreachable, auth, protocol: all mean not ready
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "detail": f"Odoo {getattr(dialect, 'server_version', '')}".strip()}


def readiness(runtime: Runtime) -> dict[str, Any]:
    """All checks and the overall verdict."""
    checks = {
        "database": check_database(runtime),
        "broker": check_broker(runtime),
        "odoo": check_odoo(runtime),
    }
    return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}

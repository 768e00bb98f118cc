"""The console application: REST API, pages, health, metrics and the AS2 endpoint.

``create_app(runtime)`` is a factory (``uvicorn --factory gateway.api.app:create_app``).
Without a runtime it builds one from :func:`gateway.settings.get_settings` that hands
work to the Celery workers; tests pass their own runtime with an inline dispatcher.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from gateway import heap
from gateway.api.auth import AuthError, Forbidden, SessionSigner, load_secret
from gateway.api.console_actions import ConsoleError, refuse_upload
from gateway.api.deps import ReaderDep, RuntimeDep
from gateway.api.health import readiness
from gateway.api.metrics import metrics_registry, render
from gateway.api.pages import router as pages_router
from gateway.api.pages_orders import router as order_pages_router
from gateway.api.pages_partners import router as partner_pages_router
from gateway.api.pages_reconcile import router as reconcile_pages_router
from gateway.api.routes_api import router as api_router
from gateway.api.security import SecurityHeaders
from gateway.api.uploads import FORM_OVERHEAD, BodySizeLimit
from gateway.as2.http import mount as mount_as2
from gateway.pipeline.dispatch import CeleryDispatcher
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.profile_audit import record_profile_versions
from gateway.pipeline.runtime import Runtime
from gateway.process import build_process_runtime
from gateway.reload import start_file_watcher
from gateway.settings import get_settings
from gateway.transports import make_as2_receiver

HERE = Path(__file__).resolve().parent
API_PREFIXES = ("/api/", "/metrics", "/readyz", "/healthz", "/docs", "/openapi.json")


def _default_runtime() -> Runtime:
    from gateway.celery_app import app as celery_app  # deferred: importing it builds the Celery app

    runtime = build_process_runtime(get_settings(), dispatcher=CeleryDispatcher(celery_app))
    start_file_watcher(runtime)  # `edi-gateway api`: this process announces file changes
    heap.settle()  # the configuration stays for the process's life (gateway.heap)
    return runtime


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """Build the FastAPI application around a runtime."""
    runtime = runtime or _default_runtime()
    settings = runtime.settings

    record_profile_versions(runtime)
    app = FastAPI(
        title="EDI gateway console",
        summary="Find any document, see what happened to it, fix and replay, onboard partners.",
        version="1",
        description="Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>`. "
        "Roles: admin, onboarding (partners), operator (replay, exceptions, upload), "
        "viewer (read only).",
        docs_url=None,  # served below from the vendored Swagger UI: no CDN at run time
        redoc_url=None,
    )
    bootstrap = settings.admin_api_key.get_secret_value() if settings.admin_api_key else None
    app.state.runtime = runtime
    app.state.signer = SessionSigner(load_secret(settings.data_dir), bootstrap)
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_payload_bytes + FORM_OVERHEAD,
        on_refused=lambda path, size: _record_too_large(runtime, path, size),
    )
    app.add_middleware(SecurityHeaders)
    # first of the routes: every request is matched against the routes in order, and
    # walking the console's routers cost an AS2 message ~0.1 ms of CPU (nothing else
    # answers POST /as2, so the order changes no answer)
    _mount_as2(app, runtime)

    @app.exception_handler(AuthError)
    async def _unauthenticated(request: Request, exc: AuthError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, f"Not allowed: {exc}.")

    @app.exception_handler(ConsoleError)
    async def _console_error(request: Request, exc: ConsoleError) -> Response:
        return _error(request, exc.status, exc.message)

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        """Swagger UI from the package's static files."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="EDI gateway console API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    @app.get("/healthz", tags=["operations"], summary="Alive")
    def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Database, broker and Odoo reachable")
    async def readyz(rt: RuntimeDep) -> JSONResponse:
        """503 when one of them is not."""
        result: dict[str, Any] = await run_in_threadpool(readiness, rt)
        return JSONResponse(result, status_code=200 if result["ready"] else 503)

    registry = metrics_registry(runtime)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics (viewer role)")
    async def metrics(_: ReaderDep) -> Response:
        """Documents by partner/type/state, stage latencies, queue depth, retries, dead
        letters, certificate expiry and overdue acknowledgements."""
        body = await run_in_threadpool(render, registry)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    app.include_router(api_router)
    app.include_router(pages_router)
    app.include_router(partner_pages_router)
    app.include_router(order_pages_router)
    app.include_router(reconcile_pages_router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app


def _record_too_large(runtime: Runtime, path: str, size: int) -> None:
    """A request body refused with 413: an event, and a refused message for uploads."""
    detail = f"request to {path[:200]} refused: body of {size} bytes is over the limit"
    if path.rstrip("/") in ("/api/v1/messages", "/messages/upload"):
        refuse_upload(runtime, filename=None, partner_id=None, actor="http",
                      reason=detail, size=size)  # fmt: skip
    else:
        StoreIntake(runtime).record_event("api.too_large", detail, data={"path": path[:200]})


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    principal = getattr(request.state, "principal", None)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message, "principal": principal, "csrf": "", "nav": ""},
        status_code=status,
    )


def _mount_as2(app: FastAPI, runtime: Runtime) -> None:
    """``POST /as2``, authenticated by AS2 itself (signatures)."""
    lock = threading.Lock()
    holder: list[Any] = []

    def get_receiver() -> Any:
        # built on first use: loading keys and profiles should not slow the app's start
        with lock:
            if not holder:
                holder.append(make_as2_receiver(runtime))
            return holder[0]

    mount_as2(app, get_receiver, runtime.settings.max_payload_bytes)

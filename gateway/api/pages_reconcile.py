"""The console's Reconciliation view: the last report, its CSV/JSON downloads, run now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import OperatorDep, ReaderDep, RuntimeDep
from gateway.api.page_common import back, check_csrf, render
from gateway.reconcile import load_report, reconcile

router = APIRouter(include_in_schema=False)


@router.get("/reconcile", response_class=HTMLResponse)
def reconcile_page(
    request: Request, principal: ReaderDep, runtime: RuntimeDep, kind: str = ""
) -> HTMLResponse:
    """The last reconciliation report (daily job, CLI or "run now"), filterable by kind."""
    report = load_report(runtime)
    findings = report.findings if report else []
    kinds = sorted({f.kind for f in findings})
    shown = [f for f in findings if not kind or f.kind == kind]
    return render(
        request, "reconcile.html", principal, "reconcile",
        report=report, findings=shown, kinds=kinds, kind=kind,
    )  # fmt: skip


@router.get("/reconcile.json")
def reconcile_json(principal: ReaderDep, runtime: RuntimeDep) -> Response:
    """The last report as JSON (a download)."""
    report = load_report(runtime)
    if report is None:
        return JSONResponse({"detail": "no reconciliation report yet"}, status_code=404)
    return JSONResponse(
        report.to_json(),
        headers={"Content-Disposition": 'attachment; filename="reconciliation.json"'},
    )


@router.get("/reconcile.csv")
def reconcile_csv(principal: ReaderDep, runtime: RuntimeDep) -> Response:
    """The last report's findings as CSV (a download)."""
    report = load_report(runtime)
    if report is None:
        return Response("no reconciliation report yet\n", status_code=404)
    return Response(
        report.to_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="reconciliation.csv"'},
    )


@router.post("/reconcile")
async def reconcile_now(
    request: Request,
    principal: OperatorDep,
    runtime: RuntimeDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Run the reconciliation now (it reads Odoo: seconds to minutes)."""
    check_csrf(request, csrf)
    try:
        report = await run_in_threadpool(reconcile, runtime)
    except Exception as exc:  # Odoo unreachable, a broken profile: say so on the page
        return back("/reconcile", error=f"reconciliation failed: {exc}")
    return back(
        "/reconcile",
        notice=f"{len(report.findings)} finding(s), {report.raised} new exception(s)",
    )

"""The console's Orders view: every order we sent, its cycle state, age and overdue answers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gateway.api.deps import ReaderDep, RuntimeDep, SessionDep
from gateway.api.page_common import render
from gateway.outbound.cycle import OrderCycle
from gateway.pipeline.outbound import list_orders

router = APIRouter(include_in_schema=False)


@router.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    runtime: RuntimeDep,
    partner: str = "",
    state: str = "",
    q: str = "",
) -> HTMLResponse:
    """Outbound orders, newest first, filterable by partner and state, searchable by PO."""
    chosen = state if state in {s.value for s in OrderCycle} else ""
    rows = list_orders(
        session, partner_id=partner or None, state=chosen or None, search=q.strip() or None
    )
    return render(
        request,
        "orders.html",
        principal,
        "orders",
        rows=rows,
        partner=partner,
        state=chosen,
        q=q,
        states=[s.value for s in OrderCycle],
        partners=sorted(p.id for p in runtime.registry.all() if p.outbound.purchase_order),
    )

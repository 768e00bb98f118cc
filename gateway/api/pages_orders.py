"""The console's Orders view: every document we sent (our purchase orders, and what we
owe customers: acknowledgements, ship notices, invoices), labelled from the document
registry, with its cycle state, age and overdue answers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gateway.api.deps import ReaderDep, RuntimeDep, SessionDep
from gateway.api.page_common import render
from gateway.api.partner_directions import type_label
from gateway.outbound.cycle import OrderCycle
from gateway.pipeline.outbound import list_orders
from gateway.pipeline.outbound_kinds import KINDS

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
    document_type: str = "",
) -> HTMLResponse:
    """Outbound documents, newest first, filterable by partner, kind and state,
    searchable by business key (PO, delivery or invoice number)."""
    chosen = state if state in {s.value for s in OrderCycle} else ""
    kinds = [(k.document_type, type_label(k.document_type)) for k in KINDS]
    kind = document_type if document_type in dict(kinds) else ""
    rows = list_orders(
        session,
        partner_id=partner or None,
        state=chosen or None,
        search=q.strip() or None,
        document_type=kind or None,
    )
    for row in rows:
        row["label"] = type_label(row["document_type"])
    return render(
        request,
        "orders.html",
        principal,
        "orders",
        rows=rows,
        partner=partner,
        state=chosen,
        q=q,
        document_type=kind,
        kinds=kinds,
        states=[s.value for s in OrderCycle],
        partners=sorted(
            p.id for p in runtime.registry.all() if any(k.settings(p) is not None for k in KINDS)
        ),
    )

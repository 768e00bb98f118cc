"""Operators' pages (Jinja2): login, dashboard, the message tracker, file and document
detail with replay and cancel, and the business exception queue.

Pages use the same role checks as the API. Forms post back here with a CSRF token bound
to the session cookie (the cookie is also ``SameSite=Strict``), and answer with a
redirect carrying a notice or an error, so a reload never repeats an action. Partner and
key pages are in :mod:`gateway.api.pages_partners`.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from gateway.api import charts, console_actions
from gateway.api.auth import SESSION_COOKIE, SESSION_MAX_AGE, AuthError, authenticate_key
from gateway.api.console_actions import ConsoleError
from gateway.api.deps import (
    MAX_BULK,
    DbId,
    OperatorDep,
    ReaderDep,
    RowId,
    RuntimeDep,
    SessionDep,
    get_signer,
)
from gateway.api.page_common import (
    back,
    check_csrf,
    parse_date,
    partner_ids,
    pretty,
    render,
    safe_next,
)
from gateway.api.queries_extra import (
    MessageFilter,
    dashboard,
    list_exceptions,
    list_messages,
)
from gateway.api.uploads import read_upload
from gateway.documents import filter_options
from gateway.pipeline.exception_actions import bulk_action
from gateway.pipeline.operations import cancel_transaction, replay_message, replay_transaction
from gateway.queries import TransactionFilter, list_transactions
from gateway.states import ExceptionState, can_cancel, can_replay
from gateway.store.audit import add_event
from gateway.store.models import MessageState, TransactionState

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
TRANSACTION_STATES = [s.value for s in TransactionState]
MESSAGE_STATES = [s.value for s in MessageState]
# the tracker's type filter: (value, label); a value is a stored document_type or set id
DOCUMENT_TYPES: list[tuple[str, str]] = filter_options()


# ---- login ------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    """The login form: paste an API key."""
    return render(request, "login.html", None, "", next=safe_next(next))


@router.post("/login")
def login(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the key and set the signed, HTTP-only session cookie."""
    bootstrap = runtime.settings.admin_api_key
    try:
        principal = authenticate_key(
            session, key.strip(), bootstrap.get_secret_value() if bootstrap else None
        )
    except AuthError:
        page = render(
            request,
            "login.html",
            None,
            "",
            next=safe_next(next),
            login_error="That key is not valid (or was revoked).",
        )
        page.status_code = 401
        return page
    add_event(
        session,
        "console_login",
        f"{principal.name} ({principal.role}) logged in",
        actor=principal.actor,
    )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        get_signer(request).sign(principal.key_id),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    """Forget the session cookie."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---- dashboard --------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=3660)] = 14,
) -> HTMLResponse:
    """Volumes per day per partner and error/exception rates."""
    days = max(1, min(days, 90))
    data = dashboard(session, days=days)
    volume = data["volume"]
    volume_chart = Markup(  # noqa: S704 - api/charts.py escapes every text it writes
        charts.stacked_bars(
            volume["days"], volume["partners"], title="Documents per day per partner"
        )
    )
    rate_chart = Markup(  # noqa: S704 - api/charts.py escapes every text it writes
        charts.rate_lines(
            volume["days"],
            volume["totals"],
            {"errors": volume["errors"], "exceptions": volume["exceptions"]},
            title="Error and exception rates",
        )
    )
    return render(
        request,
        "dashboard.html",
        principal,
        "dashboard",
        data=data,
        days=days,
        volume_chart=volume_chart,
        rate_chart=rate_chart,
    )


# ---- tracker ----------------------------------------------------------------------------
@router.get("/messages", response_class=HTMLResponse)
def tracker_page(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    view: str = "documents",
    partner: str = "",
    direction: str = "",
    document_type: str = "",
    state: str = "",
    since: str = "",
    until: str = "",
    control_number: str = "",
    business_key: str = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    """Find documents (or files) by partner, type, state, dates, control number or key."""
    page = max(1, page)
    offset = (page - 1) * PAGE_SIZE
    filters = {
        "partner": partner,
        "direction": direction,
        "document_type": document_type,
        "state": state,
        "since": since,
        "until": until,
        "control_number": control_number.strip(),
        "business_key": business_key.strip(),
    }
    if view == "files":
        mf = MessageFilter(
            partner_id=partner or None,
            direction=direction or None,
            state=state or None,
            since=parse_date(since),
            until=parse_date(until, end=True),
            document_type=document_type or None,
            control_number=filters["control_number"] or None,
            business_key=filters["business_key"] or None,
        )
        rows, total = list_messages(session, mf, limit=PAGE_SIZE, offset=offset)
    else:
        view = "documents"
        tf = TransactionFilter(
            partner_id=partner or None,
            direction=direction or None,
            document_type=document_type or None,
            state=state or None,
            since=parse_date(since),
            until=parse_date(until, end=True),
            control_number=filters["control_number"] or None,
            business_key=filters["business_key"] or None,
        )
        rows, total = list_transactions(session, tf, limit=PAGE_SIZE, offset=offset)
    query = {k: v for k, v in filters.items() if v}
    return render(
        request,
        "tracker.html",
        principal,
        "messages",
        view=view,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=filters,
        filtered=bool(query),
        query=urlencode({**query, "view": view}),
        partners=partner_ids(request),
        states=(MESSAGE_STATES if view == "files" else TRANSACTION_STATES),
        document_types=DOCUMENT_TYPES,
    )


@router.post("/messages/upload")
async def upload_page(
    request: Request,
    principal: OperatorDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
    partner_id: Annotated[str, Form()] = "",
) -> Response:
    """Upload a file from the tracker; shows the stored file."""
    check_csrf(request, csrf)
    try:
        data = await read_upload(file, runtime.settings.max_payload_bytes)
    except ConsoleError as exc:
        await run_in_threadpool(
            console_actions.refuse_upload, runtime, filename=file.filename,
            partner_id=partner_id or None, actor=principal.actor, reason=exc.message,
            size=exc.size,
        )  # fmt: skip
        return back("/messages", error=exc.message)
    try:
        receipt = await run_in_threadpool(
            console_actions.ingest_upload,
            runtime,
            data,
            filename=file.filename,
            partner_id=partner_id or None,
            actor=principal.actor,
        )
    except ConsoleError as exc:
        return back("/messages", error=exc.message)
    message_id = receipt.message_id
    return back(
        f"/messages/{message_id}", notice=f"Uploaded {file.filename} as message {message_id}."
    )


@router.get("/messages/{message_id}", response_class=HTMLResponse)
def message_page(
    message_id: DbId,
    request: Request,
    principal: ReaderDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> HTMLResponse:
    """One received file: envelopes, documents, acknowledgements and its timeline."""
    data = console_actions.message_view(runtime, session, message_id)
    return render(
        request,
        "message.html",
        principal,
        "messages",
        m=data,
        parsed_json=pretty(data.get("parsed")),
    )


@router.post("/messages/{message_id}/replay")
def replay_message_page(
    message_id: DbId,
    request: Request,
    principal: OperatorDep,
    runtime: RuntimeDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Replay a whole file as a new message."""
    check_csrf(request, csrf)
    try:
        new_id = console_actions.run_operation(
            runtime, lambda: replay_message(runtime, message_id, actor=principal.actor)
        )
    except ConsoleError as exc:
        return back(f"/messages/{message_id}", error=exc.message)
    return back(f"/messages/{new_id}", notice=f"Replayed message {message_id} as message {new_id}.")


# ---- document detail --------------------------------------------------------------------
@router.get("/documents/{transaction_id}", response_class=HTMLResponse)
def document_page(
    transaction_id: DbId,
    request: Request,
    principal: ReaderDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> HTMLResponse:
    """One document: timeline, raw/parsed/canonical tabs, acks, Odoo records, actions."""
    data = console_actions.document_view(runtime, session, transaction_id)
    return render(
        request,
        "document.html",
        principal,
        "messages",
        d=data,
        canonical_json=pretty(data.get("document")),
        # the actions replay_transaction / cancel_transaction accept (gateway/states.py)
        final=not can_cancel(data["state"]),
        replayable=can_replay(data["state"], data["issues"]),
    )


@router.post("/documents/{transaction_id}/{action}")
def document_action(
    transaction_id: DbId,
    action: str,
    request: Request,
    principal: OperatorDep,
    runtime: RuntimeDep,
    csrf: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    """Replay or cancel a document."""
    check_csrf(request, csrf)
    here = f"/documents/{transaction_id}"
    try:
        if action == "replay":
            console_actions.run_operation(
                runtime, lambda: replay_transaction(runtime, transaction_id, actor=principal.actor)
            )
        elif action == "cancel":
            console_actions.run_operation(
                runtime,
                lambda: cancel_transaction(
                    runtime,
                    transaction_id,
                    actor=principal.actor,
                    reason=comment.strip() or f"cancelled by {principal.name}",
                ),
            )
        else:
            raise ConsoleError(404, f"unknown action {action!r}")
    except ConsoleError as exc:
        return back(here, error=exc.message)
    done = "replayed" if action == "replay" else "cancelled"
    return back(here, notice=f"Document {transaction_id} {done}.")


# ---- exceptions -------------------------------------------------------------------------
@router.get("/exceptions", response_class=HTMLResponse)
def exceptions_page(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    state: str = ExceptionState.OPEN,
    partner: str = "",
    kind: str = "",
    mine: bool = False,
    group: str = "",
) -> HTMLResponse:
    """The queue procurement staff work: everyone's, a group's, or "my exceptions"."""
    rows, total = list_exceptions(
        session,
        state=None if state == "all" else state,
        partner_id=partner or None,
        kind=kind or None,
        assignee=principal.name if mine else None,
        owner_group=group or None,
        limit=200,
    )
    return render(
        request,
        "exceptions.html",
        principal,
        "exceptions",
        rows=rows,
        total=total,
        selected=state,
        partner=partner,
        kind=kind,
        mine=mine,
        group=group,
        partners=partner_ids(request),
    )


@router.post("/exceptions/bulk")
def exceptions_bulk(
    request: Request,
    principal: OperatorDep,
    runtime: RuntimeDep,
    action: Annotated[str, Form()],
    ids: Annotated[list[RowId] | None, Form()] = None,
    csrf: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
) -> Response:
    """One action on every ticked exception; says how many worked and why others did not."""
    check_csrf(request, csrf)
    if not ids:
        return back("/exceptions", error="Tick the exceptions to act on first.")
    if len(ids) > MAX_BULK:
        return back("/exceptions", error=f"At most {MAX_BULK} exceptions at once.")
    try:
        results = console_actions.run_operation(
            runtime,
            lambda: bulk_action(
                runtime,
                ids,
                action,
                actor=principal.actor,
                comment=comment.strip()[:2000],
                assignee=assignee.strip() or None,
            ),
        )
    except ConsoleError as exc:
        return back("/exceptions", error=exc.message)
    done = sum(r.ok for r in results)
    failed = [f"#{r.id}: {r.detail}" for r in results if not r.ok]
    notice = f"{action}: {done} of {len(results)} exception(s) done."
    return back("/exceptions", notice=notice, error="; ".join(failed)[:500] or None)


@router.post("/exceptions/{exception_id}")
def exception_action(
    exception_id: DbId,
    request: Request,
    principal: OperatorDep,
    runtime: RuntimeDep,
    action: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
) -> Response:
    """Resolve, retry or dismiss, with a comment; or assign to someone."""
    check_csrf(request, csrf)
    try:
        [result] = console_actions.run_operation(
            runtime,
            lambda: bulk_action(
                runtime,
                [exception_id],
                action,
                actor=principal.actor,
                comment=comment.strip()[:2000],
                assignee=assignee.strip() or None,
            ),
        )
    except ConsoleError as exc:
        return back("/exceptions", error=exc.message)
    if not result.ok:
        return back("/exceptions", error=result.detail)
    verb = {
        "resolve": "resolved",
        "retry": "sent for retry",
        "dismiss": "dismissed",
        "assign": f"assigned to {assignee.strip() or 'its group'}",
    }.get(action, action)
    return back("/exceptions", notice=f"Exception {exception_id} {verb}.")

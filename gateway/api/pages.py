"""Server-rendered console pages (Jinja2): dashboard, tracker, document and file detail,
exceptions, partners and keys.

Pages use the same role checks as the API. Forms post back here with a CSRF token bound
to the session cookie (the cookie is also ``SameSite=Strict``), and answer with a
redirect carrying a notice or an error, so a reload never repeats an action.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from gateway.api import charts, onboarding, services
from gateway.api.auth import (
    ROLES,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    AuthError,
    KeyManagementError,
    Principal,
    authenticate_key,
    create_key,
    list_keys,
    revoke_key,
)
from gateway.api.deps import (
    AdminDep,
    OnboardingDep,
    OperatorDep,
    ReaderDep,
    RuntimeDep,
    SessionDep,
    get_signer,
)
from gateway.api.queries_extra import (
    MessageFilter,
    dashboard,
    list_exceptions,
    list_messages_filtered,
)
from gateway.api.services import ConsoleError
from gateway.api.uploads import read_upload
from gateway.queries import TransactionFilter, list_transactions
from gateway.store.audit import add_event
from gateway.store.models import MessageState, TransactionState

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
TRANSACTION_STATES = [s.value for s in TransactionState]
MESSAGE_STATES = [s.value for s in MessageState]
DOCUMENT_TYPES = [
    "purchase_order",
    "order_ack",
    "ship_notice",
    "invoice",
    "850",
    "855",
    "856",
    "810",
    "997",
    "999",
    "ORDERS",
    "ORDRSP",
    "DESADV",
    "INVOIC",
    "CONTRL",
]


def _render(
    request: Request, template: str, principal: Principal | None, nav: str, **context: Any
) -> HTMLResponse:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    csrf = get_signer(request).csrf_token(cookie) if cookie else ""
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "csrf": csrf,
            "nav": nav,
            "notice": request.query_params.get("notice"),
            "error": request.query_params.get("error"),
            **context,
        },
    )
    return response


def _back(path: str, *, notice: str | None = None, error: str | None = None) -> RedirectResponse:
    query = urlencode({k: v for k, v in (("notice", notice), ("error", error)) if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def _check_csrf(request: Request, token: str) -> None:
    """Cookie-authenticated form posts must carry the session's token."""
    cookie = request.cookies.get(SESSION_COOKIE)
    by_header = request.headers.get("authorization") or request.headers.get("x-api-key")
    if cookie and not by_header and not get_signer(request).check_csrf(cookie, token):
        raise ConsoleError(403, "This form has expired; reload the page and try again.")


def _date(value: str | None, *, end: bool = False) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConsoleError(422, f"not a date: {value!r} (use YYYY-MM-DD)") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    if end and len(value) <= 10:
        parsed += dt.timedelta(days=1)  # "until 2024-05-01" includes that whole day
    return parsed


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


# ---- login ------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    """The login form: paste an API key."""
    return _render(request, "login.html", None, "", next=_safe_next(next))


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
        page = _render(
            request,
            "login.html",
            None,
            "",
            next=_safe_next(next),
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
    response = RedirectResponse(_safe_next(next), status_code=303)
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
    request: Request, principal: ReaderDep, session: SessionDep, days: int = 14
) -> HTMLResponse:
    """Volumes per day per partner and error/exception rates."""
    days = max(1, min(days, 90))
    data = dashboard(session, days=days)
    volume = data["volume"]
    volume_chart = Markup(
        charts.stacked_bars(
            volume["days"], volume["partners"], title="Documents per day per partner"
        )
    )
    rate_chart = Markup(
        charts.rate_lines(
            volume["days"],
            volume["totals"],
            {"errors": volume["errors"], "exceptions": volume["exceptions"]},
            title="Error and exception rates",
        )
    )
    return _render(
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
    page: int = 1,
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
            since=_date(since),
            until=_date(until, end=True),
            document_type=document_type or None,
            control_number=filters["control_number"] or None,
            business_key=filters["business_key"] or None,
        )
        rows, total = list_messages_filtered(session, mf, limit=PAGE_SIZE, offset=offset)
    else:
        view = "documents"
        tf = TransactionFilter(
            partner_id=partner or None,
            direction=direction or None,
            document_type=document_type or None,
            state=state or None,
            since=_date(since),
            until=_date(until, end=True),
            control_number=filters["control_number"] or None,
            business_key=filters["business_key"] or None,
        )
        rows, total = list_transactions(session, tf, limit=PAGE_SIZE, offset=offset)
    query = {k: v for k, v in filters.items() if v}
    return _render(
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
        partners=_partner_ids(request),
        states=(MESSAGE_STATES if view == "files" else TRANSACTION_STATES),
        document_types=DOCUMENT_TYPES,
    )


def _partner_ids(request: Request) -> list[str]:
    try:
        return list(onboarding.partner_profiles(request.app.state.runtime))
    except Exception:  # a profile directory that does not load must not break the tracker
        return []


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
    _check_csrf(request, csrf)
    data = await read_upload(file, runtime.settings.max_payload_bytes)
    try:
        message_id = await run_in_threadpool(
            services.ingest_upload,
            runtime,
            data,
            filename=file.filename,
            partner_id=partner_id or None,
            actor=principal.actor,
        )
    except ConsoleError as exc:
        return _back("/messages", error=exc.message)
    return _back(
        f"/messages/{message_id}", notice=f"Uploaded {file.filename} as message {message_id}."
    )


@router.get("/messages/{message_id}", response_class=HTMLResponse)
def message_page(
    message_id: int,
    request: Request,
    principal: ReaderDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> HTMLResponse:
    """One received file: envelopes, documents, acknowledgements and its timeline."""
    data = services.message_view(runtime, session, message_id)
    return _render(
        request,
        "message.html",
        principal,
        "messages",
        m=data,
        parsed_json=_pretty(data.get("parsed")),
    )


@router.post("/messages/{message_id}/replay")
def replay_message_page(
    message_id: int,
    request: Request,
    principal: OperatorDep,
    runtime: RuntimeDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Replay a whole file as a new message."""
    from gateway.pipeline.operations import replay_message

    _check_csrf(request, csrf)
    try:
        new_id = services.run_operation(
            runtime, lambda: replay_message(runtime, message_id, actor=principal.actor)
        )
    except ConsoleError as exc:
        return _back(f"/messages/{message_id}", error=exc.message)
    return _back(
        f"/messages/{new_id}", notice=f"Replayed message {message_id} as message {new_id}."
    )


# ---- document detail --------------------------------------------------------------------
@router.get("/documents/{transaction_id}", response_class=HTMLResponse)
def document_page(
    transaction_id: int,
    request: Request,
    principal: ReaderDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> HTMLResponse:
    """One document: timeline, raw/parsed/canonical tabs, acks, Odoo records, actions."""
    data = services.document_view(runtime, session, transaction_id)
    return _render(
        request,
        "document.html",
        principal,
        "messages",
        d=data,
        canonical_json=_pretty(data.get("document")),
        final=data["state"] in ("delivered", "acknowledged", "cancelled"),
    )


@router.post("/documents/{transaction_id}/{action}")
def document_action(
    transaction_id: int,
    action: str,
    request: Request,
    principal: OperatorDep,
    runtime: RuntimeDep,
    csrf: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    """Replay or cancel a document."""
    from gateway.pipeline.operations import cancel_transaction, replay_transaction

    _check_csrf(request, csrf)
    here = f"/documents/{transaction_id}"
    try:
        if action == "replay":
            services.run_operation(
                runtime, lambda: replay_transaction(runtime, transaction_id, actor=principal.actor)
            )
        elif action == "cancel":
            services.run_operation(
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
        return _back(here, error=exc.message)
    done = "replayed" if action == "replay" else "cancelled"
    return _back(here, notice=f"Document {transaction_id} {done}.")


# ---- exceptions -------------------------------------------------------------------------
@router.get("/exceptions", response_class=HTMLResponse)
def exceptions_page(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    state: str = "open",
    partner: str = "",
    kind: str = "",
) -> HTMLResponse:
    """The queue procurement staff work."""
    rows, total = list_exceptions(
        session,
        state=None if state == "all" else state,
        partner_id=partner or None,
        kind=kind or None,
        limit=200,
    )
    return _render(
        request,
        "exceptions.html",
        principal,
        "exceptions",
        rows=rows,
        total=total,
        selected=state,
        partner=partner,
        kind=kind,
        partners=_partner_ids(request),
    )


@router.post("/exceptions/{exception_id}")
def exception_action(
    exception_id: int,
    request: Request,
    principal: OperatorDep,
    runtime: RuntimeDep,
    action: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    """Resolve, retry or dismiss, with a comment."""
    from gateway.pipeline.operations import resolve_exception

    _check_csrf(request, csrf)
    try:
        services.run_operation(
            runtime,
            lambda: resolve_exception(
                runtime,
                exception_id,
                actor=principal.actor,
                action=action,
                comment=comment.strip()[:2000],
            ),
        )
    except ConsoleError as exc:
        return _back("/exceptions", error=exc.message)
    verb = {"resolve": "resolved", "retry": "sent for retry", "dismiss": "dismissed"}.get(
        action, action
    )
    return _back("/exceptions", notice=f"Exception {exception_id} {verb}.")


# ---- partners ---------------------------------------------------------------------------
@router.get("/partners", response_class=HTMLResponse)
def partners_page(request: Request, principal: ReaderDep, runtime: RuntimeDep) -> HTMLResponse:
    """Every partner with identifiers, transports and mode."""
    error = None
    try:
        partners = [
            onboarding.partner_summary(runtime, p)
            for p in onboarding.partner_profiles(runtime).values()
        ]
    except Exception as exc:  # show why profiles do not load instead of a blank 500
        partners, error = [], f"Profiles could not be loaded: {exc}"
    return _render(
        request, "partners.html", principal, "partners", partners=partners, load_error=error
    )


@router.get("/partners/validate", response_class=HTMLResponse)
def validate_page(request: Request, principal: OnboardingDep) -> HTMLResponse:
    """Paste a profile and see its errors with line and field."""
    return _render(request, "validate.html", principal, "partners", text="", result=None)


@router.post("/partners/validate", response_class=HTMLResponse)
def validate_submit(
    request: Request,
    principal: OnboardingDep,
    text: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Validate the pasted profile."""
    _check_csrf(request, csrf)
    result = onboarding.validate_profile_text(text)
    return _render(request, "validate.html", principal, "partners", text=text, result=result)


@router.get("/partners/{partner_id}", response_class=HTMLResponse)
def partner_page(
    partner_id: str,
    request: Request,
    principal: ReaderDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> HTMLResponse:
    """Profile, certificate status, traffic, and the sample-file test."""
    profile = onboarding.get_profile(runtime, partner_id)
    data = onboarding.partner_detail(runtime, session, profile)
    return _render(
        request,
        "partner.html",
        principal,
        "partners",
        p=data,
        profile_json=_pretty(data["profile"]),
        test=None,
    )


@router.post("/partners/{partner_id}/test", response_class=HTMLResponse)
async def partner_test(
    partner_id: str,
    request: Request,
    principal: OnboardingDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Translate a sample and show the canonical result and the acknowledgement."""
    _check_csrf(request, csrf)
    profile = onboarding.get_profile(runtime, partner_id)
    data = await read_upload(file, runtime.settings.max_payload_bytes)
    try:
        test = await run_in_threadpool(onboarding.test_sample, runtime, profile, data)
    except ConsoleError as exc:
        test = {
            "ok": False,
            "error": exc.message,
            "issues": [],
            "documents": [],
            "acknowledgements": [],
        }
    for doc in test["documents"]:
        doc["pretty"] = _pretty(doc.get("document"))
    with runtime.sessions() as session:
        detail = onboarding.partner_detail(runtime, session, profile)
    return _render(
        request,
        "partner.html",
        principal,
        "partners",
        p=detail,
        profile_json=_pretty(detail["profile"]),
        test=test,
        sample_name=file.filename,
    )


# ---- keys -------------------------------------------------------------------------------
@router.get("/keys", response_class=HTMLResponse)
def keys_page(request: Request, principal: AdminDep, session: SessionDep) -> HTMLResponse:
    """API keys and their roles (admin only)."""
    return _render(
        request, "keys.html", principal, "keys", keys=list_keys(session), roles=ROLES, new_key=None
    )


@router.post("/keys", response_class=HTMLResponse)
def keys_create(
    request: Request,
    principal: AdminDep,
    session: SessionDep,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Create a key and show it once."""
    _check_csrf(request, csrf)
    try:
        row, key = create_key(session, name, role)
    except KeyManagementError as exc:
        return _back("/keys", error=str(exc))
    add_event(session, "key_created", f"key {row.name!r} ({row.role})", actor=principal.actor)
    session.commit()
    return _render(
        request,
        "keys.html",
        principal,
        "keys",
        keys=list_keys(session),
        roles=ROLES,
        new_key={"name": row.name, "role": row.role, "key": key},
    )


@router.post("/keys/{name}/revoke")
def keys_revoke(
    name: str,
    request: Request,
    principal: AdminDep,
    session: SessionDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Revoke a key."""
    _check_csrf(request, csrf)
    try:
        revoke_key(session, name)
    except KeyManagementError as exc:
        return _back("/keys", error=str(exc))
    add_event(session, "key_revoked", f"key {name!r}", actor=principal.actor)
    return _back("/keys", notice=f"Key {name!r} revoked.")


def _pretty(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)

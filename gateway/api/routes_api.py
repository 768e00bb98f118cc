"""``/api/v1``: messages and documents, acknowledgements, exceptions, partners, keys.

Thin routes: each parses the request, calls one service function and shapes the answer.
Reading needs the ``read`` permission; replay, cancel, exceptions and uploads need
``operate``; partner tools need ``onboard``; keys need ``admin``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gateway.api import console_actions, onboarding
from gateway.api.auth import (
    PERMISSIONS,
    ROLES,
    KeyManagementError,
    create_key,
    list_keys,
    revoke_key,
)
from gateway.api.console_actions import ConsoleError
from gateway.api.deps import (
    MAX_BULK,
    AdminDep,
    DbId,
    OnboardingDep,
    OperatorDep,
    PrincipalDep,
    ReaderDep,
    RowId,
    RuntimeDep,
    SessionDep,
)
from gateway.api.queries_extra import (
    MessageFilter,
    dashboard,
    list_exceptions,
    list_messages,
)
from gateway.api.security import MAX_DB_INT
from gateway.api.uploads import read_upload
from gateway.pipeline import operations
from gateway.pipeline.exception_actions import assign_exception, bulk_action
from gateway.pipeline.operations import resolve_exception
from gateway.queries import TransactionFilter, exception_json, list_transactions
from gateway.reload import reload_everywhere
from gateway.states import ExceptionState
from gateway.store.audit import add_event
from gateway.store.models import BusinessException

router = APIRouter(prefix="/api/v1")

Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=MAX_DB_INT, description="Rows to skip.")]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _download(data: bytes, filename: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)[:120]
    return Response(
        content=data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )


class Page(BaseModel):
    """A page of results."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class Comment(BaseModel):
    """An operator's reason, kept in the audit trail."""

    comment: str = Field(default="", max_length=2000)


class Done(BaseModel):
    """An action's outcome."""

    ok: bool = True
    detail: str = ""
    id: int | None = None


# ---- who am I ---------------------------------------------------------------------------
@router.get("/me", tags=["access"], summary="The calling key's name and role")
def me(principal: PrincipalDep) -> dict[str, Any]:
    """Who the credentials belong to and what they may do."""
    return {
        "name": principal.name,
        "role": principal.role,
        "permissions": sorted(PERMISSIONS[principal.role]),
    }


@router.get("/dashboard", tags=["operations"], summary="Volumes, error and exception rates")
def get_dashboard(
    _: ReaderDep, session: SessionDep, days: Annotated[int, Query(ge=1, le=90)] = 14
) -> dict[str, Any]:
    """Documents per day per partner and the rates the dashboard charts."""
    return dashboard(session, days=days)


# ---- messages (files) -------------------------------------------------------------------
@router.get(
    "/messages", tags=["messages"], response_model=Page, summary="Find received and sent files"
)
def get_messages(
    _: ReaderDep,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    partner: str | None = None,
    direction: Literal["in", "out"] | None = None,
    state: str | None = None,
    document_type: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    control_number: str | None = None,
    business_key: Annotated[str | None, Query(description="PO, shipment or invoice number")] = None,
) -> Page:
    """Files newest first; document-level filters match files containing such a document."""
    f = MessageFilter(
        partner_id=partner,
        direction=direction,
        state=state,
        since=_utc(since),
        until=_utc(until),
        document_type=document_type,
        control_number=control_number,
        business_key=business_key,
    )
    items, total = list_messages(session, f, limit=limit, offset=offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/messages",
    tags=["messages"],
    status_code=201,
    response_model=Done,
    summary="Upload a file into the pipeline",
    responses={202: {"description": "Stored; queued once the broker is reachable again."}},
)
async def upload_message(
    principal: OperatorDep,
    runtime: RuntimeDep,
    response: Response,
    file: Annotated[UploadFile, File(description="An X12 or EDIFACT file.")],
    partner_id: Annotated[str | None, Form(description="Partner (else from the envelope).")] = None,
) -> Done:
    """Feed a file in as if a partner had sent it (like ``edi-gateway ingest``).

    201 when stored and queued; 202 when stored while the broker is down (stall
    recovery queues it); 413 and 422 refusals are recorded as ``refused`` messages.
    """
    try:
        data = await read_upload(file, runtime.settings.max_payload_bytes)
    except ConsoleError as exc:
        await run_in_threadpool(
            console_actions.refuse_upload, runtime, filename=file.filename, partner_id=partner_id,
            actor=principal.actor, reason=exc.message, size=exc.size,
        )  # fmt: skip
        raise
    receipt = await run_in_threadpool(
        console_actions.ingest_upload,
        runtime,
        data,
        filename=file.filename,
        partner_id=partner_id,
        actor=principal.actor,
    )
    if not receipt.queued and receipt.duplicate_of is None:
        response.status_code = 202
        return Done(
            id=receipt.message_id,
            detail=f"stored as message {receipt.message_id}; queued when the broker is back",
        )
    return Done(id=receipt.message_id, detail=f"stored as message {receipt.message_id}")


@router.get("/messages/{message_id}", tags=["messages"], summary="Everything about one file")
def get_message(
    message_id: DbId, _: ReaderDep, runtime: RuntimeDep, session: SessionDep, parsed: bool = True
) -> dict[str, Any]:
    """Envelopes, documents with canonical JSON, acknowledgements, Odoo records, timeline
    and (``parsed=true``) the segments as the engine read them."""
    return console_actions.message_view(runtime, session, message_id, with_parsed=parsed)


@router.get("/messages/{message_id}/raw", tags=["messages"], summary="Download the raw bytes")
def get_message_raw(
    message_id: DbId, _: ReaderDep, runtime: RuntimeDep, session: SessionDep
) -> Response:
    """The file exactly as received."""
    return _download(*console_actions.message_bytes(runtime, session, message_id))


@router.post(
    "/messages/{message_id}/replay",
    tags=["messages"],
    response_model=Done,
    summary="Feed a stored file through the pipeline again",
)
def replay_message(message_id: DbId, principal: OperatorDep, runtime: RuntimeDep) -> Done:
    """Replays the stored bytes as a new message (the original stays as it was)."""
    new_id = console_actions.run_operation(
        runtime, lambda: operations.replay_message(runtime, message_id, actor=principal.actor)
    )
    return Done(id=new_id, detail=f"message {message_id} replayed as message {new_id}")


# ---- documents (transactions) -----------------------------------------------------------
@router.get(
    "/transactions",
    tags=["documents"],
    response_model=Page,
    summary="Message tracker: find documents",
)
def get_transactions(
    _: ReaderDep,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    partner: str | None = None,
    direction: Literal["in", "out"] | None = None,
    document_type: str | None = None,
    state: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    control_number: str | None = None,
    business_key: Annotated[str | None, Query(description="PO, shipment or invoice number")] = None,
    message_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
) -> Page:
    """Documents newest first, by partner, direction, type, state, dates, control
    numbers (interchange, group or transaction) or business key."""
    f = TransactionFilter(
        partner_id=partner,
        direction=direction,
        document_type=document_type,
        state=state,
        since=_utc(since),
        until=_utc(until),
        control_number=control_number,
        business_key=business_key,
        message_id=message_id,
    )
    items, total = list_transactions(session, f, limit=limit, offset=offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/transactions/{transaction_id}", tags=["documents"], summary="Everything about one document"
)
def get_transaction(
    transaction_id: DbId,
    _: ReaderDep,
    runtime: RuntimeDep,
    session: SessionDep,
    parsed: bool = True,
) -> dict[str, Any]:
    """Canonical JSON, parsed segments, acknowledgements, Odoo records, exceptions, events."""
    return console_actions.document_view(runtime, session, transaction_id, with_parsed=parsed)


@router.get(
    "/transactions/{transaction_id}/raw",
    tags=["documents"],
    summary="Download the document's interchange",
)
def get_transaction_raw(
    transaction_id: DbId, _: ReaderDep, runtime: RuntimeDep, session: SessionDep
) -> Response:
    """The raw bytes of the interchange the document came in."""
    return _download(*console_actions.transaction_bytes(runtime, session, transaction_id))


@router.post(
    "/transactions/{transaction_id}/replay",
    tags=["documents"],
    response_model=Done,
    summary="Translate and deliver a document again",
)
def replay_transaction(transaction_id: DbId, principal: OperatorDep, runtime: RuntimeDep) -> Done:
    """Runs translate and deliver again from the stored bytes (never delivers twice)."""
    console_actions.run_operation(
        runtime,
        lambda: operations.replay_transaction(runtime, transaction_id, actor=principal.actor),
    )
    return Done(id=transaction_id, detail=f"transaction {transaction_id} replayed")


@router.post(
    "/transactions/{transaction_id}/cancel",
    tags=["documents"],
    response_model=Done,
    summary="Stop a document that is not delivered",
)
def cancel_transaction(
    transaction_id: DbId, principal: OperatorDep, runtime: RuntimeDep, body: Comment | None = None
) -> Done:
    """Cancels with the given reason (kept in the audit trail)."""
    reason = (body.comment if body else "") or f"cancelled by {principal.name}"
    console_actions.run_operation(
        runtime,
        lambda: operations.cancel_transaction(
            runtime, transaction_id, actor=principal.actor, reason=reason
        ),
    )
    return Done(id=transaction_id, detail=f"transaction {transaction_id} cancelled")


@router.get(
    "/acknowledgements/{ack_id}/raw", tags=["documents"], summary="Download an acknowledgement"
)
def get_ack_raw(ack_id: DbId, _: ReaderDep, runtime: RuntimeDep, session: SessionDep) -> Response:
    """The 997/999/TA1/CONTRL bytes we sent or received."""
    return _download(*console_actions.ack_bytes(runtime, session, ack_id))


# ---- business exceptions ----------------------------------------------------------------
@router.get(
    "/exceptions", tags=["exceptions"], response_model=Page, summary="The business exception queue"
)
def get_exceptions(
    principal: ReaderDep,
    session: SessionDep,
    limit: Limit = 100,
    offset: Offset = 0,
    state: Annotated[
        str | None, Query(description="open (default), resolved, dismissed, retried, or all")
    ] = ExceptionState.OPEN,
    partner: str | None = None,
    kind: str | None = None,
    assignee: Annotated[
        str | None, Query(description="who it is assigned to; `me` for the caller's own")
    ] = None,
    group: Annotated[str | None, Query(description="owner group, e.g. ap-team")] = None,
) -> Page:
    """Unknown items, price mismatches, over-shipments and rejected lines, each with what
    was expected and what came, its owner group, assignee, due time and age."""
    items, total = list_exceptions(
        session,
        state=None if state == "all" else state,
        partner_id=partner,
        kind=kind,
        assignee=principal.name if assignee == "me" else assignee,
        owner_group=group,
        limit=limit,
        offset=offset,
    )
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/exceptions/{exception_id}", tags=["exceptions"], summary="One business exception")
def get_exception(exception_id: DbId, _: ReaderDep, session: SessionDep) -> dict[str, Any]:
    """The exception with its document's state."""
    row = session.get(BusinessException, exception_id)
    if row is None:
        raise ConsoleError(404, f"no business exception {exception_id}")
    return exception_json(row)


class Assignment(BaseModel):
    """Who an exception goes to (empty: back to its owner group)."""

    assignee: str | None = Field(default=None, max_length=128)


class BulkRequest(BaseModel):
    """One action on many exceptions."""

    ids: list[RowId] = Field(min_length=1, max_length=MAX_BULK)
    action: Literal["resolve", "retry", "dismiss", "assign"]
    comment: str = Field(default="", max_length=2000)
    assignee: str | None = Field(default=None, max_length=128)


@router.post(
    "/exceptions/bulk",
    tags=["exceptions"],
    summary="Resolve, retry, dismiss or assign many exceptions at once",
)
def bulk_exceptions(
    body: BulkRequest, principal: OperatorDep, runtime: RuntimeDep
) -> list[dict[str, Any]]:
    """Each exception succeeds or fails on its own; the answer says which and why."""
    results = console_actions.run_operation(
        runtime,
        lambda: bulk_action(
            runtime,
            body.ids,
            body.action,
            actor=principal.actor,
            comment=body.comment,
            assignee=body.assignee,
        ),
    )
    return [{"id": r.id, "ok": r.ok, "detail": r.detail} for r in results]


@router.post(
    "/exceptions/{exception_id}/assign",
    tags=["exceptions"],
    response_model=Done,
    summary="Assign an exception to someone",
)
def assign_exception_route(
    exception_id: DbId, body: Assignment, principal: OperatorDep, runtime: RuntimeDep
) -> Done:
    """Give an open exception to a person (their console user name), or back to its group."""
    console_actions.run_operation(
        runtime,
        lambda: assign_exception(
            runtime, exception_id, assignee=body.assignee, actor=principal.actor
        ),
    )
    return Done(id=exception_id, detail=f"exception {exception_id} assigned to {body.assignee}")


@router.post(
    "/exceptions/{exception_id}/{action}",
    tags=["exceptions"],
    response_model=Done,
    summary="Resolve, retry or dismiss an exception",
)
def act_on_exception(
    exception_id: DbId,
    action: Literal["resolve", "retry", "dismiss"],
    principal: OperatorDep,
    runtime: RuntimeDep,
    body: Comment | None = None,
) -> Done:
    """``resolve`` (handled, with a comment), ``retry`` (deliver again after fixing master
    data in Odoo) or ``dismiss``."""
    comment = body.comment if body else ""
    console_actions.run_operation(
        runtime,
        lambda: resolve_exception(
            runtime, exception_id, actor=principal.actor, action=action, comment=comment
        ),
    )
    return Done(id=exception_id, detail=f"exception {exception_id}: {action} done")


# ---- partners ---------------------------------------------------------------------------
@router.get("/partners", tags=["partners"], summary="Trading partners")
def get_partners(_: ReaderDep, runtime: RuntimeDep) -> list[dict[str, Any]]:
    """Every loaded partner profile in short."""
    return [
        onboarding.partner_summary(runtime, p)
        for p in onboarding.partner_profiles(runtime).values()
    ]


@router.get("/partners/errors", tags=["partners"], summary="Profile files that did not load")
def get_partner_errors(_: ReaderDep, runtime: RuntimeDep) -> list[dict[str, Any]]:
    """Each with file, line, field and reason; those partners are not trading."""
    return onboarding.profile_errors(runtime)


@router.post("/partners/reload", tags=["partners"], summary="Reload profiles and maps everywhere")
async def reload_partners(principal: OnboardingDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Re-read every profile and map directory in this process and tell every other
    process of the gateway (workers, SFTP) to do the same. Files that do not load are
    listed in ``problems`` (file, line, field, reason); each keeps its previous good
    version when there was one, otherwise its partner is disabled (``disabled``)."""
    report = await run_in_threadpool(reload_everywhere, runtime, actor=principal.actor)
    return report.as_dict()


@router.post("/partners/validate", tags=["partners"], summary="Validate a profile (YAML)")
def validate_partner(
    _: OnboardingDep,
    body: Annotated[
        bytes,
        Body(media_type="application/yaml", description="The profile file's text (UTF-8)."),
    ],
) -> dict[str, Any]:
    """Every error with its line and field; nothing is saved."""
    return onboarding.validate_profile_text(body)


@router.get("/partners/{partner_id}", tags=["partners"], summary="One partner")
def get_partner(
    partner_id: str, _: ReaderDep, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """Profile, certificate status and traffic counts."""
    profile = onboarding.get_profile(runtime, partner_id)
    return onboarding.partner_detail(runtime, session, profile)


@router.post(
    "/partners/{partner_id}/test",
    tags=["partners"],
    summary="Test a sample file against the partner's profile and maps",
)
async def test_partner_sample(
    partner_id: str,
    _: OnboardingDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File(description="A sample X12 or EDIFACT file.")],
) -> dict[str, Any]:
    """The canonical documents and the acknowledgement that would be sent; nothing is
    delivered and nothing is stored."""
    profile = onboarding.get_profile(runtime, partner_id)
    data = await read_upload(file, runtime.settings.max_payload_bytes)
    result: dict[str, Any] = await run_in_threadpool(onboarding.test_sample, runtime, profile, data)
    return result


# ---- keys -------------------------------------------------------------------------------
class NewKey(BaseModel):
    """A key to create."""

    name: str = Field(min_length=1, max_length=128)
    role: Literal["admin", "onboarding", "operator", "viewer"]


def _key_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "prefix": row.prefix,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


@router.get("/keys", tags=["access"], summary="API keys (never the secrets)")
def get_keys(_: AdminDep, session: SessionDep) -> list[dict[str, Any]]:
    """Every key with its role and when it was last used."""
    return [_key_json(k) for k in list_keys(session)]


@router.post("/keys", tags=["access"], status_code=201, summary="Create an API key")
def post_key(new: NewKey, principal: AdminDep, session: SessionDep) -> dict[str, Any]:
    """Creates a key; the answer holds the key itself, shown this once only."""
    try:
        row, key = create_key(session, new.name, new.role)
    except KeyManagementError as exc:
        raise ConsoleError(409, str(exc)) from exc
    add_event(session, "key_created", f"key {row.name!r} ({row.role})", actor=principal.actor)
    session.commit()
    return {**_key_json(row), "key": key}


@router.delete("/keys/{name}", tags=["access"], response_model=Done, summary="Revoke a key")
def delete_key(name: str, principal: AdminDep, session: SessionDep) -> Done:
    """Revokes at once; the row stays for the audit trail."""
    try:
        row = revoke_key(session, name)
    except KeyManagementError as exc:
        raise ConsoleError(404, str(exc)) from exc
    add_event(session, "key_revoked", f"key {row.name!r}", actor=principal.actor)
    session.commit()
    return Done(id=row.id, detail=f"key {name!r} revoked")


__all__ = ["ROLES", "router"]

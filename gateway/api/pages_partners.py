"""Onboarding and admin pages: partners (profile, certificates, sample-file test),
the profile checker, and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway.api import onboarding, profile_editor
from gateway.api.auth import ROLES, KeyManagementError, create_key, list_keys, revoke_key
from gateway.api.console_actions import ConsoleError
from gateway.api.deps import AdminDep, OnboardingDep, ReaderDep, RuntimeDep, SessionDep
from gateway.api.page_common import back, check_csrf, pretty, render
from gateway.api.uploads import read_upload
from gateway.store.audit import add_event

router = APIRouter(include_in_schema=False)


# ---- partners ---------------------------------------------------------------------------
@router.get("/partners", response_class=HTMLResponse)
def partners_page(request: Request, principal: ReaderDep, runtime: RuntimeDep) -> HTMLResponse:
    """Every partner with identifiers, transports and mode."""
    partners = [
        onboarding.partner_summary(runtime, p)
        for p in onboarding.partner_profiles(runtime).values()
    ]
    return render(
        request,
        "partners.html",
        principal,
        "partners",
        partners=partners,
        profile_errors=onboarding.profile_errors(runtime),
    )


@router.get("/partners/validate", response_class=HTMLResponse)
def validate_page(request: Request, principal: OnboardingDep) -> HTMLResponse:
    """Paste a profile and see its errors with line and field."""
    return render(request, "validate.html", principal, "partners", text="", result=None)


@router.post("/partners/validate", response_class=HTMLResponse)
def validate_submit(
    request: Request,
    principal: OnboardingDep,
    text: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Validate the pasted profile."""
    check_csrf(request, csrf)
    result = onboarding.validate_profile_text(text)
    return render(request, "validate.html", principal, "partners", text=text, result=result)


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
    return render(
        request,
        "partner.html",
        principal,
        "partners",
        p=data,
        profile_json=pretty(data["profile"]),
        test=None,
    )


@router.get("/partners/{partner_id}/edit", response_class=HTMLResponse)
def partner_edit_page(
    partner_id: str, request: Request, principal: OnboardingDep, runtime: RuntimeDep
) -> HTMLResponse:
    """The profile's YAML in an editor (onboarding and admin roles)."""
    text = profile_editor.current_text(runtime, partner_id)
    return render(
        request,
        "profile_edit.html",
        principal,
        "partners",
        partner_id=partner_id,
        text=text,
        errors=[],
        target=profile_editor.site_profiles_dir(runtime),
    )


@router.post("/partners/{partner_id}/edit", response_class=HTMLResponse)
def partner_edit_submit(
    partner_id: str,
    request: Request,
    principal: OnboardingDep,
    runtime: RuntimeDep,
    text: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Validate, save to the site's profiles directory, reload; errors keep the text."""
    check_csrf(request, csrf)
    onboarding.get_profile(runtime, partner_id)
    result = profile_editor.save_profile(runtime, partner_id, text, actor=principal.actor)
    if result["saved"]:
        problems = len(result["reload"]["problems"])
        extra = f"; {problems} other file(s) still do not load" if problems else ""
        return back(
            f"/partners/{partner_id}",
            notice=f"Profile saved to {result['path']} and reloaded{extra}.",
        )
    return render(
        request,
        "profile_edit.html",
        principal,
        "partners",
        partner_id=partner_id,
        text=text,
        errors=result["errors"],
        target=profile_editor.site_profiles_dir(runtime),
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
    check_csrf(request, csrf)
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
        doc["pretty"] = pretty(doc.get("document"))
    with runtime.sessions() as session:
        detail = onboarding.partner_detail(runtime, session, profile)
    return render(
        request,
        "partner.html",
        principal,
        "partners",
        p=detail,
        profile_json=pretty(detail["profile"]),
        test=test,
        sample_name=file.filename,
    )


# ---- keys -------------------------------------------------------------------------------
@router.get("/keys", response_class=HTMLResponse)
def keys_page(request: Request, principal: AdminDep, session: SessionDep) -> HTMLResponse:
    """API keys and their roles (admin only)."""
    return render(
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
    check_csrf(request, csrf)
    try:
        row, key = create_key(session, name, role)
    except KeyManagementError as exc:
        return back("/keys", error=str(exc))
    add_event(session, "key_created", f"key {row.name!r} ({row.role})", actor=principal.actor)
    session.commit()
    return render(
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
    check_csrf(request, csrf)
    try:
        revoke_key(session, name)
    except KeyManagementError as exc:
        return back("/keys", error=str(exc))
    add_event(session, "key_revoked", f"key {name!r}", actor=principal.actor)
    return back("/keys", notice=f"Key {name!r} revoked.")

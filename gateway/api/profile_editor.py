"""Editing a partner profile from the console: validate, save to the site's profiles
directory, reload every process, and record who changed what in the audit trail.

Profiles are saved only to the site's own directory (the last one in
``EDIGW_PROFILES_DIR``): the shipped samples are never edited in place; saving one writes
the site's copy, which overrides the shipped file by ``id``. The file is written to a
temporary name and renamed, so a process reloading at that moment never reads half a
file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from gateway.api.console_actions import ConsoleError
from gateway.api.onboarding import MAX_PROFILE_BYTES, validate_profile_text
from gateway.partners.loader import ProfileError, load_profile_file
from gateway.partners.registry import check_identifiers
from gateway.pipeline.runtime import Runtime
from gateway.reload import reload_everywhere
from gateway.store.audit import add_event
from gateway.store.db import session_scope


def site_profiles_dir(runtime: Runtime) -> Path | None:
    """Where the console saves profiles: the last ``EDIGW_PROFILES_DIR`` entry, or None."""
    dirs = [Path(p) for p in runtime.settings.profiles_dir.split(":") if p]
    return dirs[-1] if dirs else None


def current_text(runtime: Runtime, partner_id: str) -> str:
    """The YAML text the partner's profile was loaded from."""
    profile = runtime.registry.get(partner_id)
    if profile is None:
        raise ConsoleError(404, f"no partner {partner_id!r}")
    if profile.source is None or not profile.source.is_file():
        raise ConsoleError(404, f"the profile file of {partner_id!r} is not readable")
    return profile.source.read_text(encoding="utf-8")


def save_profile(runtime: Runtime, partner_id: str, text: str, *, actor: str) -> dict[str, Any]:
    """Validate and save a profile, then reload everywhere.

    ``{"saved": bool, "errors": [{"line", "field", "reason"}], "path": str | None,
    "reload": {...}}``; nothing is written when there is an error.
    """
    target_dir = site_profiles_dir(runtime)
    if target_dir is None:
        raise ConsoleError(
            409,
            "profiles can be saved from the console once the site has its own profiles "
            "directory: set EDIGW_PROFILES_DIR",
        )
    if len(text.encode()) > MAX_PROFILE_BYTES:
        raise ConsoleError(413, f"a profile is at most {MAX_PROFILE_BYTES} bytes")
    result = validate_profile_text(text)
    errors: list[dict[str, Any]] = list(result["errors"])
    if not errors and result.get("partner_id") != partner_id:
        errors.append(
            {
                "line": 1,
                "field": "id",
                "reason": f"the id must stay {partner_id!r} (a new id is a new partner)",
            }
        )
    target = target_dir / f"{partner_id}.yaml"
    if not errors:
        # the same check a reload makes: no identifier of another partner
        draft = target_dir / f".{partner_id}.yaml.draft"
        target_dir.mkdir(parents=True, exist_ok=True)
        draft.write_text(text, encoding="utf-8")
        try:
            profile = load_profile_file(draft)
            others = [p for p in runtime.registry.all() if p.id != partner_id]
            errors += [
                {"line": e.line, "field": e.field, "reason": e.reason}
                for e in check_identifiers(profile, others)
            ]
        except ProfileError as exc:
            errors += [{"line": e.line, "field": e.field, "reason": e.reason} for e in exc.every()]
        if errors:
            draft.unlink(missing_ok=True)
    if errors:
        return {"saved": False, "errors": errors, "path": None, "reload": None}
    before = target.read_bytes() if target.is_file() else b""
    os.replace(draft, target)
    report = reload_everywhere(runtime, actor=actor, reason=f"profile {partner_id} saved")
    with session_scope(runtime.sessions) as session:
        add_event(
            session,
            "profile_saved",
            f"profile {partner_id} saved to {target}",
            actor=actor,
            partner_id=partner_id,
            data={
                "path": str(target),
                "sha256_before": hashlib.sha256(before).hexdigest() if before else None,
                "sha256_after": hashlib.sha256(text.encode()).hexdigest(),
                "reload_generation": report.generation,
            },
        )
    return {"saved": True, "errors": [], "path": str(target), "reload": report.as_dict()}

"""Profile edits in the audit trail.

Partner profiles are files (edited in git or on disk, not in the console), so the gateway
records what it actually runs with: when a process starts (API, worker) it hashes each
loaded profile's file and appends a ``profile_loaded`` event for a partner seen the first
time and a ``profile_changed`` event when the file differs from the last one recorded
(SHA-256 before and after). Who edited the file is the file's business (git); when the
gateway started using it, and which version, is in the hash-chained trail.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import select

from gateway.pipeline.runtime import Runtime
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import Event

log = logging.getLogger(__name__)
KINDS = ("profile_loaded", "profile_changed")


def record_profile_versions(runtime: Runtime, *, actor: str = "system") -> int:
    """Append an event per new or changed profile file; how many were appended.

    Never raises: a profile directory that does not load is reported elsewhere (the
    partners page, ``partners validate``), and the process must start anyway.
    """
    try:
        profiles = runtime.registry.all()
        current: dict[str, tuple[Path, str]] = {}
        for profile in profiles:
            if profile.source is not None and profile.source.is_file():
                digest = hashlib.sha256(profile.source.read_bytes()).hexdigest()
                current[profile.id] = (profile.source, digest)
        if not current:
            return 0
        recorded = 0
        with session_scope(runtime.sessions) as session:
            last: dict[str, str] = {}
            rows = session.execute(
                select(Event.partner_id, Event.data)
                .where(Event.kind.in_(KINDS), Event.partner_id.in_(sorted(current)))
                .order_by(Event.id)
            )
            for partner_id, data in rows:
                last[str(partner_id)] = str((data or {}).get("sha256", ""))
            for partner_id, (path, digest) in sorted(current.items()):
                before = last.get(partner_id)
                if before == digest:
                    continue
                add_event(
                    session,
                    "profile_loaded" if before is None else "profile_changed",
                    f"profile {path.name}: {digest[:12]}"
                    + (f" (was {before[:12]})" if before else ""),
                    actor=actor,
                    partner_id=partner_id,
                    data={"file": str(path), "sha256": digest, "previous_sha256": before},
                )
                recorded += 1
        return recorded
    except Exception:
        log.exception("could not record the partner profiles' versions in the audit trail")
        return 0

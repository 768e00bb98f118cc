"""Partner pages' services: profiles, certificate status, profile validation and the
sample-file test (translate and build the acknowledgement, deliver and store nothing)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select

from gateway.api.console_actions import ConsoleError, issue_json, parse_bytes
from gateway.api.partner_directions import partner_directions
from gateway.as2.certs import load_certificates
from gateway.as2.errors import As2Error
from gateway.customer_items import list_items
from gateway.mapping import DocumentError, TranslationError, translate
from gateway.outbound.advice import Rejection
from gateway.partners.loader import YamlReadError, describe_validation, read_yaml
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.acks import build_acks
from gateway.pipeline.advice import AdviceNotWritten, batches, write_advice
from gateway.pipeline.runtime import Runtime
from gateway.states import ExceptionState
from gateway.store.models import BusinessException, Transaction

MAX_PROFILE_BYTES = 256 * 1024


def partner_profiles(runtime: Runtime) -> dict[str, PartnerProfile]:
    """Every loaded partner profile by id (sorted by id)."""
    return {p.id: p for p in runtime.registry.all()}


def profile_errors(runtime: Runtime) -> list[dict[str, Any]]:
    """Profile and map files that did not load, each with file, line, field and reason
    (and the partner it disables, or whether its previous good version is kept)."""
    return [p.as_dict() for p in runtime.config.problems]


def get_profile(runtime: Runtime, partner_id: str) -> PartnerProfile:
    """One profile; :class:`ConsoleError` 404 when unknown."""
    profile = partner_profiles(runtime).get(partner_id)
    if profile is None:
        raise ConsoleError(404, f"no partner {partner_id!r}")
    return profile


def certificate_status(
    profile: PartnerProfile, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Each AS2 certificate of the partner with its validity and days left."""
    if profile.as2 is None:
        return []

    now = now or dt.datetime.now(dt.UTC)
    out: list[dict[str, Any]] = []
    for entry in profile.as2.certificates:
        path = (
            entry.file
            if entry.file.is_absolute() or profile.base_dir is None
            else (profile.base_dir / entry.file)
        )
        item: dict[str, Any] = {"file": str(entry.file), "uses": list(entry.use)}
        try:
            cert = load_certificates(path)[0]
        except (As2Error, OSError, ValueError) as exc:
            item.update(status="error", detail=str(exc), days_left=None)
            out.append(item)
            continue
        not_after = cert.not_valid_after_utc
        days = (not_after - now).days
        status = (
            "expired"
            if now > not_after
            else "not yet valid"
            if now < cert.not_valid_before_utc
            else "expires soon"
            if days <= 30
            else "valid"
        )
        item.update(
            status=status,
            subject=cert.subject.rfc4514_string(),
            not_after=not_after.isoformat(),
            days_left=days,
        )
        out.append(item)
    return out


def partner_summary(runtime: Runtime, profile: PartnerProfile) -> dict[str, Any]:
    """A profile as the partner list shows it."""
    ids = []
    if profile.x12:
        ids.append(f"ISA {profile.x12.isa_qualifier}/{profile.x12.isa_id} ({profile.x12.version})")
    if profile.edifact:
        q = f"{profile.edifact.unb_qualifier}/" if profile.edifact.unb_qualifier else ""
        ids.append(f"UNB {q}{profile.edifact.unb_id} ({profile.edifact.directory})")
    transports = [name for name in ("as2", "sftp") if getattr(profile, name) is not None]
    return {
        "id": profile.id,
        "name": profile.name,
        "enabled": profile.enabled,
        "mode": profile.mode.usage,
        "roles": list(profile.roles),  # supplier, customer or both
        "identifiers": ids,
        "transports": transports,
        "source": str(profile.source) if profile.source else None,
    }


def partner_detail(runtime: Runtime, session: Any, profile: PartnerProfile) -> dict[str, Any]:
    """Profile, certificate status and traffic counts of one partner, both directions per
    role (:mod:`gateway.api.partner_directions`); for a customer, its
    part numbers for our items (``edi-gateway xref import``)."""
    states = {
        s: int(n)
        for s, n in session.execute(
            select(Transaction.state, func.count())
            .where(Transaction.partner_id == profile.id)
            .group_by(Transaction.state)
        )
    }
    open_exceptions = (
        session.scalar(
            select(func.count())
            .select_from(BusinessException)
            .where(
                BusinessException.partner_id == profile.id,
                BusinessException.state == ExceptionState.OPEN,
            )
        )
        or 0
    )
    data = partner_summary(runtime, profile)
    data["profile"] = profile.model_dump(mode="json")
    data["certificates"] = certificate_status(profile)
    data["states"] = states
    data["open_exceptions"] = int(open_exceptions)
    data["directions"] = partner_directions(session, profile)
    data["customer_items"] = (
        [vars(item) for item in list_items(session, profile.id)] if profile.is_customer else None
    )
    return data


# ---- validation -------------------------------------------------------------------------
def validate_profile_text(text: str | bytes) -> dict[str, Any]:
    """Validate a profile's YAML text (or the bytes of a file, which must be UTF-8);
    every error with its line and field.

    ``{"valid": bool, "errors": [{"line", "field", "reason"}], "partner_id": ...}``
    """
    data = text.encode() if isinstance(text, str) else text
    if len(data) > MAX_PROFILE_BYTES:
        raise ConsoleError(413, f"a profile is at most {MAX_PROFILE_BYTES} bytes")
    with tempfile.TemporaryDirectory(prefix="edigw-profile-") as tmp:
        path = Path(tmp) / "profile.yaml"
        path.write_bytes(data)  # read back as a profile file is: not UTF-8 is its error
        try:
            doc = read_yaml(path)
        except YamlReadError as exc:
            return {
                "valid": False,
                "partner_id": None,
                "errors": [{"line": exc.line, "field": "", "reason": exc.reason}],
            }
        if not isinstance(doc.data, dict):
            return {
                "valid": False,
                "partner_id": None,
                "errors": [
                    {
                        "line": 1,
                        "field": "",
                        "reason": "a profile must be a YAML mapping (key: value)",
                    }
                ],
            }
        try:
            profile = PartnerProfile.model_validate(doc.data)
        except ValidationError as exc:
            errors = [
                {"line": line, "field": fld, "reason": reason}
                for _file, line, fld, reason in describe_validation(exc, [(path, doc.root)])
            ]
            pid = doc.data.get("id")
            return {
                "valid": False,
                "partner_id": pid if isinstance(pid, str) else None,
                "errors": errors,
            }
    return {
        "valid": True,
        "partner_id": profile.id,
        "errors": [],
        "summary": {
            "name": profile.name,
            "maps": profile.maps,
            "acknowledgements": profile.acknowledgements.model_dump(mode="json"),
        },
    }


# ---- sample test ------------------------------------------------------------------------
def test_sample(runtime: Runtime, profile: PartnerProfile, data: bytes) -> dict[str, Any]:
    """Translate a sample file with the partner's maps and build the acknowledgement it
    would get. Nothing is delivered or stored (counters are rolled back).
    """
    if not data:
        raise ConsoleError(422, "the sample file is empty")
    if len(data) > runtime.settings.max_payload_bytes:
        raise ConsoleError(
            413, f"sample of {len(data)} bytes exceeds {runtime.settings.max_payload_bytes}"
        )
    parsed = parse_bytes(data)
    if isinstance(parsed, str):
        return {"ok": False, "error": parsed, "issues": [], "documents": [], "acknowledgements": []}
    result: dict[str, Any] = {
        "ok": True,
        "error": None,
        "syntax": parsed.syntax,
        "issues": [issue_json(i) for i in parsed.issues],
        "documents": [],
        "acknowledgements": [],
    }
    if not parsed.interchanges:
        result["ok"] = False
        result["error"] = "no interchange found in the sample"
        return result
    for edi in parsed.interchanges:
        result["issues"].extend(issue_json(i) for i in edi.issues)
        rejected: list[Rejection] = []
        for group in edi.groups:
            result["issues"].extend(issue_json(i) for i in group.issues)
            for txn in group.transactions:
                result["documents"].append(
                    _translate_one(runtime, profile, edi, group, txn, rejected)
                )
        result["acknowledgements"].extend(_acks_for(runtime, profile, edi))
        result["acknowledgements"].extend(_advice_for(runtime, profile, edi, rejected))
    result["ok"] = all(d["ok"] for d in result["documents"]) and not any(
        i["fatal"] for i in result["issues"]
    )
    return result


def _translate_one(
    runtime: Runtime,
    profile: PartnerProfile,
    edi: Any,
    group: Any,
    txn: Any,
    rejected: list[Rejection],
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "set_id": txn.set_id,
        "control_number": txn.control_number,
        "version": txn.version,
        "status": txn.status.value,
        "issues": [issue_json(i) for i in txn.issues],
        "ok": False,
        "document": None,
        "error": None,
        "map": None,
        "explain": [],
        "warnings": [],
    }
    if txn.status.value == "rejected":
        item["error"] = "the transaction would be rejected (see its issues)"
        return item
    try:
        mapping = runtime.maps.map_for(profile, edi.syntax.value, txn.version, txn.set_id)
        item["map"] = getattr(mapping, "name", None)
        translation = translate(
            txn, interchange=edi, group=group, map=mapping, profile=profile, explain=True
        )
    except TranslationError as exc:
        item["error"] = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, DocumentError):
            rejected.append(Rejection(txn, group, exc))  # the partner's: advice material
        return item
    except Exception as exc:  # a map bug must show up on the page, not as a 500
        item["error"] = f"map failed ({type(exc).__name__}: {exc})"
        return item
    item["ok"] = True
    item["document"] = translation.document.model_dump(mode="json")
    item["warnings"] = list(translation.warnings)
    item["explain"] = [
        {
            "field": t.field_path,
            "segment": t.segment_tag,
            "position": t.segment_position,
            "element": t.element,
            "component": t.component,
            "value": t.raw_value,
        }
        for t in translation.explain[:500]
    ]
    return item


def _acks_for(runtime: Runtime, profile: PartnerProfile, edi: Any) -> list[dict[str, Any]]:
    """Acknowledgements the partner would get, built in a session that is rolled back."""
    stand_in = SimpleNamespace(partner_id=profile.id, receiver_id=edi.receiver_id)
    session = runtime.sessions()
    try:
        built = build_acks(runtime, session, stand_in, edi, profile)  # type: ignore[arg-type]
    except Exception as exc:  # identities missing, builder bug: say so on the page
        return [
            {
                "kind": None,
                "error": f"cannot build the acknowledgement ({type(exc).__name__}: {exc})",
            }
        ]
    finally:
        session.rollback()
        session.close()
    return [
        {
            "kind": b.kind,
            "status": b.status,
            "control_number": b.control_number,
            "acknowledges": b.acknowledges,
            "text": b.data.decode("latin-1"),
            "error": None,
        }
        for b in built
    ]


def _advice_for(
    runtime: Runtime, profile: PartnerProfile, edi: Any, rejected: list[Rejection]
) -> list[dict[str, Any]]:
    """The 824 / APERAK the partner would get for documents whose data cannot be
    translated (when its profile asks for application advice), written in a session
    that is rolled back."""
    if not rejected or not profile.acknowledgements.application_advice:
        return []
    session = runtime.sessions()
    out: list[dict[str, Any]] = []
    try:
        for batch in batches(edi.syntax, rejected):
            try:
                written = write_advice(
                    runtime,
                    session,
                    profile,
                    edi.syntax,
                    edi.receiver_id,
                    batch,
                    when=dt.datetime.now(dt.UTC),
                )
            except AdviceNotWritten as exc:
                out.append({"kind": None, "error": f"cannot write the advice: {exc}"})
                continue
            out.append(
                {
                    "kind": written.kind,
                    "status": "rejected",
                    "control_number": written.control_number,
                    "acknowledges": edi.control_number,
                    "text": written.data.decode("latin-1"),
                    "error": None,
                }
            )
    finally:
        session.rollback()
        session.close()
    return out

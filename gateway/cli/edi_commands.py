"""``edi-gateway parse`` and ``edi-gateway validate``: look inside an EDI file.

Thin edges over :func:`gateway.engines.parse_payload` (content-detected, so X12 and
EDIFACT both work) and the engines' acknowledgement builders
(:func:`gateway.engines.engine_for`). ``validate`` prints every finding in plain words
with its position, then the acknowledgements the gateway would send (997/999/TA1 for
X12, CONTRL for EDIFACT); control numbers in the preview are 1.
Exit code 1 when anything in the file is rejected.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from gateway.edi import (
    AckControlNumbers,
    BuiltAck,
    EdiInterchange,
    EdiPayload,
    Issue,
    OwnIdentity,
)
from gateway.engines import FixedAckPolicy, engine_for, parse_payload
from gateway.identity import IdentityError, load_identities
from gateway.partners.registry import PartnerRegistry
from gateway.settings import get_settings

if TYPE_CHECKING:
    from gateway.partners.profile import PartnerProfile

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True)
MAX_FILE_BYTES = 512 * 1024 * 1024
DEFAULT_OURS = OwnIdentity(qualifier="ZZ", id="GATEWAY")
PREVIEW_NUMBERS = AckControlNumbers(interchange=1, group=1, transaction=1)


def register(app: typer.Typer) -> None:
    """Add ``parse`` and ``validate`` to the main CLI."""
    app.command("parse")(parse_command)
    app.command("validate")(validate_command)


def _read(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        err.print(f"[red]{path} is {size} bytes; the limit here is {MAX_FILE_BYTES}[/]")
        raise typer.Exit(2)
    return path.read_bytes()


def _issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "level": issue.level.value,
        "code": issue.code,
        "fatal": issue.fatal,
        "message": issue.message,
        "where": issue.where(),
        "segment": issue.segment_tag,
        "segment_position": issue.segment_position,
        "element": issue.element_position,
        "component": issue.component_position,
        "byte_offset": issue.byte_offset,
        "bad_value": issue.bad_value,
    }


def _segment_json(segment: Any) -> dict[str, Any]:
    elements = [list(segment.components(n)) for n in range(1, segment.element_count() + 1)]
    return {"position": segment.position, "tag": segment.tag, "elements": elements}


def payload_json(payload: EdiPayload, *, segments: bool = True) -> dict[str, Any]:
    """The parse result as plain JSON-able data."""
    return {
        "syntax": payload.syntax.value if payload.syntax else None,
        "encoding": payload.encoding,
        "issues": [_issue_json(i) for i in payload.issues],
        "interchanges": [
            {
                "sender": [ix.sender_qualifier, ix.sender_id],
                "receiver": [ix.receiver_qualifier, ix.receiver_id],
                "control_number": ix.control_number,
                "version": ix.version,
                "test": ix.test,
                "date": ix.date,
                "time": ix.time,
                "ack_requested": ix.ack_requested,
                "start": ix.start,
                "end": ix.end,
                "rejected": ix.rejected,
                "issues": [_issue_json(i) for i in ix.issues],
                "groups": [
                    {
                        "functional_id": g.functional_id,
                        "sender": g.sender_id,
                        "receiver": g.receiver_id,
                        "control_number": g.control_number,
                        "version": g.version,
                        "issues": [_issue_json(i) for i in g.issues],
                        "transactions": [
                            {
                                "set_id": t.set_id,
                                "control_number": t.control_number,
                                "version": t.version,
                                "status": t.status.value,
                                "start": t.start,
                                "end": t.end,
                                "implementation_reference": t.implementation_reference,
                                "issues": [_issue_json(i) for i in t.issues],
                                **(
                                    {"segments": [_segment_json(s) for s in t.segments]}
                                    if segments
                                    else {}
                                ),
                            }
                            for t in g.transactions
                        ],
                    }
                    for g in ix.groups
                ],
            }
            for ix in payload.interchanges
        ],
    }


def parse_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="EDI file (X12 or EDIFACT).", exists=True, dir_okay=False, readable=True
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Envelopes and segments as JSON.")
    ] = False,
) -> None:
    """Parse a file and show its envelopes and transactions (segments with --json)."""
    payload = parse_payload(_read(file))
    if as_json:
        console.print_json(json.dumps(payload_json(payload)))
        return
    console.print(
        f"{file.name}: {payload.syntax.value if payload.syntax else 'not EDI'}, "
        f"{len(payload.interchanges)} interchange(s)"
    )
    for ix in payload.interchanges:
        console.print(
            f"  interchange {ix.control_number} {ix.sender_qualifier}:{ix.sender_id}"
            f" -> {ix.receiver_qualifier}:{ix.receiver_id} version {ix.version}"
        )
        for g in ix.groups:
            console.print(f"    group {g.functional_id or '-'} {g.control_number} {g.version}")
            for t in g.transactions:
                console.print(
                    f"      {t.set_id} {t.control_number}: {len(t.segments)} "
                    f"segments, {t.status.value}"
                )
    _print_issues(payload)


def _print_issues(payload: EdiPayload) -> int:
    count = 0

    def show(prefix: str, issue: Issue) -> None:
        nonlocal count
        count += 1
        kind = "error" if issue.fatal else "warning"
        style = "red" if issue.fatal else "yellow"
        console.print(f"[{style}]{kind}[/] {escape(prefix)}{escape(issue.describe())}")

    for issue in payload.issues:
        show("file: ", issue)
    for ix in payload.interchanges:
        for issue in ix.issues:
            show(f"interchange {ix.control_number}: ", issue)
        for g in ix.groups:
            for issue in g.issues:
                show(f"group {g.control_number}: ", issue)
            for t in g.transactions:
                for issue in t.issues:
                    show(f"{t.set_id} {t.control_number}: ", issue)
    return count


def _partner_profile(partner: str) -> PartnerProfile:
    settings = get_settings()
    profile = PartnerRegistry.from_dirs(settings.profile_dirs(), settings.map_dirs()).get(partner)
    if profile is None:
        print(f"error: no partner profile {partner!r}", file=sys.stderr)
        raise typer.Exit(2)
    return profile


def _policy(ix: EdiInterchange, profile: PartnerProfile | None) -> FixedAckPolicy:
    """997/999/none and the TA1 policy from the partner profile, else from GS08; the
    preview always shows the CONTRL an EDIFACT interchange would get."""
    if profile is not None:
        return FixedAckPolicy(
            x12=profile.acknowledgements.x12, ta1=profile.acknowledgements.ta1, contrl=True
        )
    version = ix.groups[0].version if ix.groups else ""
    return FixedAckPolicy(x12="999" if version.startswith("005") else "997")


def _ours(ix: EdiInterchange, profile: PartnerProfile | None) -> OwnIdentity:
    """Who the acknowledgement comes from: the identity of ours the interchange is
    addressed to, else the partner's ``our_identity``, else our default identity — as
    the pipeline does. ``GATEWAY`` only when no identities file can be read."""
    try:
        identities = load_identities(get_settings().identities_file)
    except IdentityError:
        return DEFAULT_OURS
    receiver = ix.receiver_id.strip().upper()
    chosen = next(
        (i for i in identities.identities if receiver in (i.x12_id.upper(), i.edifact_id.upper())),
        None,
    )
    if chosen is None:
        chosen = identities.get(profile.our_identity if profile is not None else None)
    return engine_for(ix.syntax).own_identity(chosen)


def _acks(payload: EdiPayload, partner: str | None) -> list[BuiltAck]:
    profile = _partner_profile(partner) if partner else None
    acks: list[BuiltAck] = []
    for ix in payload.interchanges:
        acks.extend(
            engine_for(ix.syntax).build_acks(
                ix,
                policy=_policy(ix, profile),
                ours=_ours(ix, profile),
                numbers=lambda: PREVIEW_NUMBERS,
            )
        )
    return acks


def validate_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="EDI file (X12 or EDIFACT).", exists=True, dir_okay=False, readable=True
        ),
    ],
    partner: Annotated[
        str | None,
        typer.Option(help="Partner id: its profile picks 997 or 999 and the TA1 policy."),
    ] = None,
    ack_out: Annotated[
        Path | None,
        typer.Option(
            "--ack-out", help="Write the acknowledgements that would be sent to this file."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Findings as JSON.")] = False,
) -> None:
    """Validate a file: every error with its position, and the acknowledgements we'd send."""
    payload = parse_payload(_read(file))
    acks = _acks(payload, partner)
    rejected = (
        any(i.fatal for i in payload.issues)
        or any(
            ix.rejected
            or any(g.issues and any(i.fatal for i in g.issues) for g in ix.groups)
            or any(t.status.value == "rejected" for t in ix.transactions)
            for ix in payload.interchanges
        )
        or not payload.interchanges
    )
    if ack_out is not None:
        ack_out.write_bytes(b"".join(a.data for a in acks))
    if as_json:
        data = payload_json(payload, segments=False)
        data["acknowledgements"] = [
            {
                "kind": a.kind,
                "status": a.status,
                "acknowledges": a.acknowledges,
                "text": a.data.decode("latin-1"),
            }
            for a in acks
        ]
        console.print_json(json.dumps(data))
    else:
        count = _print_issues(payload)
        if not count:
            console.print(f"[green]{file.name}: no findings[/]")
        for ack in acks:
            console.print(f"[bold]{ack.kind}[/] ({ack.status}) for {ack.acknowledges}:")
            console.print(
                escape(ack.data.decode("latin-1")), end="" if ack.data.endswith(b"\n") else "\n"
            )
        if ack_out is not None:
            console.print(f"[dim]acknowledgements written to {ack_out}[/]")
    if rejected:
        raise typer.Exit(1)

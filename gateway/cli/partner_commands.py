"""Onboarding commands: ``partners validate|list|show`` and ``translate``.

Thin edges over :mod:`gateway.partners` and :mod:`gateway.mapping`: they read the
settings (profile and map directories), call one service function and print. Exit code
1 means something did not load or translate; warnings (certificates, key files) print
but do not fail.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.as2.certs import check_certificates
from gateway.cli.outbound_commands import translate_outbound
from gateway.documents import EDIFACT_MESSAGES, X12_SETS
from gateway.engines import parse_payload
from gateway.identity import IdentityError, load_identities
from gateway.mapping import MapLibrary, MapLoadError, TransactionResult, translate_payload
from gateway.mapping.library import normalize_version
from gateway.partners.loader import ProfileError, load_profile_file, load_profiles
from gateway.partners.profile import PartnerProfile
from gateway.partners.registry import PartnerRegistry, check_identifiers
from gateway.settings import get_settings

console = Console()
err = Console(stderr=True)
MAX_TRANSLATE_BYTES = 50 * 1024 * 1024

partners_app = typer.Typer(help="Partner profiles: validate, list, show.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Mount ``partners`` and ``translate`` on the main CLI."""
    app.add_typer(partners_app, name="partners")
    app.command("translate")(translate_command)


# ---- helpers -----------------------------------------------------------------------


def _dirs(profiles: list[Path] | None, maps: list[Path] | None) -> tuple[list[Path], list[Path]]:
    settings = get_settings()
    return settings.profile_dirs() + list(profiles or []), settings.map_dirs() + list(maps or [])


def file_warnings(profile: PartnerProfile) -> list[str]:
    """Missing certificate and key files a profile names (paths relative to the profile)."""
    base = profile.base_dir or Path(".")
    out: list[str] = []

    def check(kind: str, path: Path) -> None:
        full = path if path.is_absolute() else base / path
        if not full.is_file():
            out.append(f"{profile.id}: {kind} file {full} does not exist (yet)")

    if profile.as2 is not None:
        for cert in profile.as2.certificates:
            check("AS2 certificate", cert.file)
    if profile.sftp is not None:
        hosted = profile.sftp.hosted
        if hosted is not None:
            for key in hosted.authorized_keys:
                if not key.lstrip().startswith(("ssh-", "ecdsa-", "sk-")):
                    check("SFTP authorized key", Path(key))
            if hosted.password is not None and hosted.password.file is not None:
                check("SFTP password", hosted.password.file)
        poll = profile.sftp.poll
        if poll is not None:
            for ref in (poll.private_key, poll.password):
                if ref is not None and ref.file is not None:
                    check("SFTP poll secret", ref.file)
    return out


def cert_warnings(profile: PartnerProfile) -> list[str]:
    """Certificate expiry findings, when the AS2 package provides the check."""
    try:
        return [f"{profile.id}: {w.level}: {w.message}" for w in check_certificates(profile)]
    except Exception as exc:  # a broken check must not hide the rest of the report
        return [f"{profile.id}: certificate check failed: {exc}"]


def identity_problems(
    profiles: list[PartnerProfile], identities_file: Path, warnings: list[str]
) -> list[str]:
    """Profiles naming an identity of ours that the identities file does not have
    (``our_identity``, and ``customer_identity`` for what we send a customer)."""
    wanted = [
        (p, key, name)
        for p in profiles
        for key, name in (
            ("our_identity", p.our_identity),
            ("customer_identity", p.customer_identity),
        )
        if name
    ]
    if not wanted:
        return []
    try:
        identities = load_identities(identities_file)
    except IdentityError as exc:
        warnings.append(f"our identities could not be checked: {exc}")
        return []
    names = {i.name for i in identities.identities}
    return [
        f"{p.source}: {key}: no identity named {name!r} in {identities_file} "
        f"(known: {', '.join(sorted(names))})"
        for p, key, name in wanted
        if name not in names
    ]


# ---- partners validate -------------------------------------------------------------


@partners_app.command("validate")
def validate_command(
    path: Annotated[
        Path | None,
        typer.Argument(help="A profile file or a directory of profiles (default: configured)."),
    ] = None,
    maps: Annotated[
        list[Path] | None, typer.Option("--maps", help="Extra map directory (repeatable).")
    ] = None,
) -> None:
    """Check that every profile and map loads; name file, line, field and reason if not.

    PATH may be a profile file (checked together with the configured partners, as the
    gateway would load it: a partner id or envelope id another partner already uses is
    an error), a directory of profiles, or a map file (checked with the map directory
    it sits in, layered on the configured ones; only that map's errors are reported).
    Output is plain text, one line per error.
    """
    if path is not None and not path.exists():
        _plain_error(f"{path}: no such file or directory")
        raise typer.Exit(1)
    extra = [path] if path is not None and path.is_dir() else []
    map_root = _map_root(path) if path is not None and path.is_file() else None
    profile_dirs, map_dirs = _dirs(extra, [*(maps or []), *([map_root] if map_root else [])])
    problems: list[str] = []
    warnings: list[str] = []
    library = MapLibrary.load(map_dirs, collect=True)
    profiles: list[PartnerProfile] = []
    if path is not None and map_root is not None:
        own = path.resolve()
        problems += [str(e) for e in library.errors if e.file and e.file.resolve() == own]
    elif path is not None and path.is_file():
        profiles, found = _validate_one_profile(path, profile_dirs, library)
        problems += found
    else:
        problems += [str(e) for e in library.errors]
        registry = PartnerRegistry(profile_dirs, map_dirs)
        problems += [str(one) for e in registry.errors for one in e.every()]
        profiles = registry.all()
    problems += identity_problems(profiles, get_settings().identities_file, warnings)
    for profile in profiles:
        warnings += file_warnings(profile) + cert_warnings(profile)
    for line in warnings:
        print(f"warning {line}", file=sys.stderr)
    for line in problems:
        print(f"error {line}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} error(s)", file=sys.stderr)
        raise typer.Exit(1)
    what = f"{len(profiles)} profile(s)" if map_root is None else "map"
    print(
        f"OK {what}, {len(library.maps)} map(s) "
        f"from {', '.join(str(d) for d in [*profile_dirs, *map_dirs])}"
    )


def _validate_one_profile(
    path: Path, profile_dirs: list[Path], library: MapLibrary
) -> tuple[list[PartnerProfile], list[str]]:
    """One profile file, loaded against the configured partners (it replaces the
    configured profile with the same id or file, as a reload would)."""
    problems: list[str] = []
    try:
        one = load_profile_file(path)
    except ProfileError as exc:
        return [], [str(e) for e in exc.every()]
    for set_id, name in one.maps.items():
        clean = name.removesuffix(".yaml").removesuffix(".yml")
        if clean not in library.maps:
            problems.append(f"{path}: maps.{set_id}: no map named {clean!r}")
    for map_name in _maps_used(one):
        broken = [e for e in library.errors if _names_map(e, map_name, library)]
        problems += [f"{path}: maps: {map_name} does not load: {e}" for e in broken]
    others = load_profiles(profile_dirs).profiles
    rest = {
        pid: p
        for pid, p in others.items()
        if pid != one.id and (p.source is None or p.source.resolve() != path.resolve())
    }
    problems += [str(e) for e in check_identifiers(one, rest.values())]
    return [one], problems


def _maps_used(profile: PartnerProfile) -> list[str]:
    """The map names a profile's documents go through (its own and the defaults)."""
    names = {n.removesuffix(".yaml").removesuffix(".yml") for n in profile.maps.values()}
    if profile.x12 is not None:
        version = normalize_version("x12", profile.x12.version)
        names |= {f"x12/{version}/{s}" for s in X12_SETS if s not in profile.maps}
    if profile.edifact is not None:
        directory = normalize_version("edifact", profile.edifact.directory)
        names |= {f"edifact/{directory}/{s}" for s in EDIFACT_MESSAGES if s not in profile.maps}
    return sorted(names)


def _names_map(error: MapLoadError, name: str, library: MapLibrary) -> bool:
    if error.file is None:
        return False
    file = error.file.resolve()
    for directory in library.dirs:
        try:
            return file.relative_to(directory.resolve()).with_suffix("").as_posix() == name
        except ValueError:
            continue
    return False


def _map_root(path: Path) -> Path | None:
    """The map directory a map file sits in (``.../maps`` for ``.../maps/x12/004010/850.yaml``),
    or None when the file is not laid out as a map."""
    resolved = path.resolve()
    for parent in resolved.parents:
        parts = resolved.relative_to(parent).parts
        if len(parts) == 3 and parts[0] in ("x12", "edifact", "overrides"):
            return parent
    return None


# ---- partners list / show ----------------------------------------------------------


def _summary(profile: PartnerProfile) -> dict[str, Any]:
    ids: list[str] = []
    if profile.x12 is not None:
        ids.append(f"X12 {profile.x12.isa_qualifier}/{profile.x12.isa_id} {profile.x12.version}")
    if profile.edifact is not None:
        ids.append(
            f"EDIFACT {profile.edifact.unb_qualifier}/{profile.edifact.unb_id} "
            f"{profile.edifact.directory}"
        )
    transports = []
    if profile.as2 is not None:
        transports.append(f"AS2 {profile.as2.as2_id}")
    if profile.sftp is not None and profile.sftp.hosted is not None:
        transports.append(f"SFTP hosted {profile.sftp.hosted.username}")
    if profile.sftp is not None and profile.sftp.poll is not None:
        transports.append(f"SFTP poll {profile.sftp.poll.host}")
    acks = profile.acknowledgements
    return {
        "id": profile.id,
        "name": profile.name,
        "enabled": profile.enabled,
        "identifiers": ids,
        "transports": transports,
        "acknowledgements": acks.x12
        + (" + CONTRL" if acks.contrl else "")
        + (" + 824/APERAK" if acks.application_advice else ""),
        "roles": list(profile.roles),
        "odoo_vendor": profile.odoo.vendor_ref if profile.odoo else None,
        "odoo_customer": (profile.odoo.customer()[1] if profile.odoo else None)
        if profile.is_customer
        else None,
        "mode": profile.mode.usage,
        "source": str(profile.source) if profile.source else None,
    }


def _registry() -> PartnerRegistry:
    profile_dirs, map_dirs = _dirs(None, None)
    registry = PartnerRegistry(profile_dirs, map_dirs)
    for problem in registry.errors:
        print(f"warning not loaded: {problem}", file=sys.stderr)
    return registry


@partners_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the configured partners."""
    rows = [_summary(p) for p in _registry().all()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="Trading partners")
    for column in ("id", "name", "role", "identifiers", "transports", "acks", "Odoo", "mode"):
        table.add_column(column)
    for row in rows:
        odoo = [f"vendor {row['odoo_vendor']}"] if row["odoo_vendor"] else []
        odoo += [f"customer {row['odoo_customer']}"] if row["odoo_customer"] else []
        table.add_row(
            row["id"],
            row["name"],
            ", ".join(row["roles"]),
            "\n".join(row["identifiers"]),
            "\n".join(row["transports"]),
            row["acknowledgements"],
            "\n".join(odoo),
            row["mode"],
        )
    console.print(table)


def _resolved_maps(profile: PartnerProfile) -> dict[str, str]:
    out: dict[str, str] = {}
    if profile.x12:
        for set_id in X12_SETS:
            out[set_id] = profile.maps.get(set_id, f"x12/{profile.x12.version}/{set_id}")
    if profile.edifact:
        for set_id in EDIFACT_MESSAGES:
            default = f"edifact/{profile.edifact.directory}/{set_id}"
            out[set_id] = profile.maps.get(set_id, default)
    return out


@partners_app.command("show")
def show_command(
    partner_id: Annotated[str, typer.Argument(help="Partner id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one partner's profile and the maps its documents go through."""
    profile = _registry().get(partner_id)
    if profile is None:
        print(f"no partner {partner_id!r} (see `edi-gateway partners list`)", file=sys.stderr)
        raise typer.Exit(1)
    data = profile.model_dump(mode="json", exclude_none=True)
    data["_source"] = str(profile.source) if profile.source else None
    data["_maps"] = _resolved_maps(profile)
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        console.print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), markup=False)


# ---- translate ---------------------------------------------------------------------


def _result_json(result: TransactionResult, explain: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "transaction_set": result.transaction.set_id,
        "control_number": result.transaction.control_number,
        "partner": result.profile.id if result.profile else None,
    }
    if result.translation is not None:
        out["document"] = result.translation.document.model_dump(mode="json", exclude_none=True)
        if result.translation.warnings:
            out["warnings"] = result.translation.warnings
        if explain:
            out["explain"] = [
                {
                    "field": t.field_path,
                    "segment": t.segment_tag,
                    "position": t.segment_position,
                    "element": t.element,
                    "component": t.component,
                    "value": t.raw_value,
                }
                for t in result.translation.explain
            ]
    if result.error is not None:
        out["error"] = {"kind": type(result.error).__name__, "message": str(result.error)}
    if result.skipped:
        out["skipped"] = result.skipped
    return out


def translate_command(
    file: Annotated[Path, typer.Argument(help="An X12 or EDIFACT file.")],
    partner: Annotated[
        str | None, typer.Option("--partner", help="Partner id (default: from the envelope).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show where each canonical field came from.")
    ] = False,
    include_rejected: Annotated[
        bool, typer.Option("--include-rejected", help="Translate sets that failed validation.")
    ] = False,
    outbound: Annotated[
        bool,
        typer.Option(
            "--outbound", help="FILE is a canonical order (JSON): show the EDI we would send."
        ),
    ] = False,
) -> None:
    """Validate an EDI file and print the canonical documents its partner's maps make.

    With ``--outbound``, the other way: a canonical document becomes what we would send.
    """
    if outbound:
        translate_outbound(file, partner, explain, as_json)
        return
    try:
        if file.stat().st_size > MAX_TRANSLATE_BYTES:
            print(f"{file}: larger than {MAX_TRANSLATE_BYTES} bytes", file=sys.stderr)
            raise typer.Exit(1)
        data = file.read_bytes()
    except OSError as exc:
        print(f"{file}: {exc.strerror}", file=sys.stderr)
        raise typer.Exit(1) from exc
    profile_dirs, map_dirs = _dirs(None, None)
    try:
        library = MapLibrary.load(map_dirs)
    except MapLoadError as exc:
        print(f"map error {exc}", file=sys.stderr)
        raise typer.Exit(1) from exc
    registry = PartnerRegistry(profile_dirs, map_dirs)
    forced = None
    if partner is not None:
        forced = registry.get(partner)
        if forced is None:
            print(f"no partner {partner!r} (see `edi-gateway partners list`)", file=sys.stderr)
            raise typer.Exit(1)
    payload = parse_payload(data)
    for issue in payload.issues:
        print(f"{file}: {issue.describe()}", file=sys.stderr)
    results = translate_payload(
        payload,
        library=library,
        find_partner=registry.find_for_interchange,
        explain=explain,
        include_rejected=include_rejected,
        partner=forced,
    )
    failed = bool(payload.issues) or not results or any(not r.ok for r in results)
    if as_json:
        print(json.dumps([_result_json(r, explain) for r in results], indent=2))
        raise typer.Exit(1 if failed else 0)
    for result in results:
        _print_result(result, explain)
    if not results and not payload.issues:
        print("no transactions found", file=sys.stderr)
    raise typer.Exit(1 if failed else 0)


def _print_result(result: TransactionResult, explain: bool) -> None:
    tx = result.transaction
    who = result.profile.id if result.profile else "unknown partner"
    console.rule(f"{tx.set_id} {tx.control_number} ({tx.version}) from {who}")
    for issue in tx.issues:
        colour = "red" if issue.fatal else "yellow"
        console.print(f"[{colour}]{escape(issue.describe())}[/{colour}]")
    if result.skipped:
        console.print(f"[red]not translated: {escape(str(result.skipped))}[/red]")
    if result.error is not None:
        kind = type(result.error).__name__
        console.print(f"[red]{kind}: {escape(str(result.error))}[/red]")
    if result.translation is None:
        return
    document = result.translation.document.model_dump(mode="json", exclude_none=True)
    console.print_json(json.dumps(document))
    for warning in result.translation.warnings:
        console.print(f"[yellow]warning: {escape(warning)}[/yellow]")
    if explain:
        table = Table(title="Where each field came from")
        for column in ("field", "segment", "pos", "element", "value"):
            table.add_column(column)
        for trace in result.translation.explain:
            element = "" if trace.element is None else f"{trace.element:02d}"
            if trace.component and trace.component > 1 and element:
                element += f".{trace.component}"
            table.add_row(
                trace.field_path,
                trace.segment_tag or "(default)",
                "" if trace.segment_position is None else str(trace.segment_position),
                element,
                trace.raw_value,
            )
        console.print(table)


# ---- partners reload ---------------------------------------------------------------


@partners_app.command("reload")
def reload_command(
    url: Annotated[
        str | None,
        typer.Option(
            help="The running gateway.", show_default="http://EDIGW_HTTP_HOST:EDIGW_HTTP_PORT"
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="EDIGW_API_KEY",
            help="An admin or onboarding key.",
            show_default="$EDIGW_API_KEY, else EDIGW_ADMIN_API_KEY",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's answer.")] = False,
) -> None:
    """Tell the running gateway to reload profiles and maps (every process picks it up).

    Exit code 1 when a file did not load (each is listed; its previous good version
    stays in use, or its partner is disabled), 2 when the gateway cannot be reached.
    """
    import httpx

    settings = get_settings()
    any_address = ("0.0.0.0", "::", "")  # noqa: S104 - compared with, not bound to
    host = "127.0.0.1" if settings.http_host in any_address else settings.http_host
    base = (url or f"http://{host}:{settings.http_port}").rstrip("/")
    key = api_key or (settings.admin_api_key.get_secret_value() if settings.admin_api_key else None)
    if not key:
        _plain_error("no API key: pass --api-key or set EDIGW_API_KEY (admin or onboarding role)")
        raise typer.Exit(2)
    try:
        response = httpx.post(
            f"{base}/api/v1/partners/reload",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
    except httpx.HTTPError as exc:
        _plain_error(f"cannot reach the gateway at {base}: {exc}")
        raise typer.Exit(2) from exc
    if response.status_code != 200:
        detail = (
            response.json().get("detail")
            if response.headers.get("content-type", "").startswith("application/json")
            else response.text[:200]
        )
        _plain_error(f"{base}: HTTP {response.status_code}: {detail}")
        raise typer.Exit(2)
    report = response.json()
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"reloaded: {report['partners']} partner(s), {report['maps']} map(s) "
            f"(generation {report['generation']})"
        )
        for problem in report["problems"]:
            kept = " (previous version kept)" if problem.get("kept_previous") else ""
            print(f"error {problem['text']}{kept}", file=sys.stderr)
        for partner_id, reason in sorted(report["disabled"].items()):
            print(f"disabled {partner_id}: {reason}", file=sys.stderr)
    if report["problems"]:
        raise typer.Exit(1)


def _plain_error(text: str) -> None:
    print(f"error: {text}", file=sys.stderr)

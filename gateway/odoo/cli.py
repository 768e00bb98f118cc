"""The ``edi-gateway odoo ...`` commands (mounted by the main CLI with :func:`register`).

``check`` (everything delivery needs, with the fix for what is missing), ``prepare``
(creates vendors and units that may be created safely) and ``import-catalog`` (a
supplier's item list into products and vendor prices).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from gateway.odoo.api import OdooApi
from gateway.odoo.catalog import CatalogError, import_catalog
from gateway.odoo.check import PartnerOdoo, check_odoo
from gateway.odoo.client import OdooClient
from gateway.odoo.errors import OdooError
from gateway.odoo.factory import make_odoo
from gateway.odoo.prepare import prepare_odoo
from gateway.partners.loader import load_profiles
from gateway.settings import Settings, get_settings

_NOT_CONFIGURED = (
    "Odoo is not configured (set EDIGW_ODOO_URL, EDIGW_ODOO_DB, EDIGW_ODOO_USER and "
    "EDIGW_ODOO_API_KEY or EDIGW_ODOO_PASSWORD): deliveries are a dry run written to {where}"
)


def load_partners(settings: Settings, console: Console) -> list[PartnerOdoo]:
    """The enabled partner profiles with an ``odoo`` section (load errors are printed)."""
    result = load_profiles(settings.profile_dirs())
    for error in result.errors:
        console.print(f"[yellow]profile not loaded:[/yellow] {error}")
    partners = []
    for profile in result.profiles.values():
        partner = PartnerOdoo.from_profile(profile) if profile.enabled else None
        if partner is not None:
            partners.append(partner)
    return partners


@contextmanager
def _odoo(settings: Settings, console: Console) -> Iterator[OdooApi]:
    if not settings.odoo_configured:
        console.print(_NOT_CONFIGURED.format(where=settings.dry_run_dir))
        raise typer.Exit(code=2)
    odoo = make_odoo(settings)
    try:
        yield odoo
    finally:
        if isinstance(odoo, OdooClient):
            odoo.close()


def _pick(partners: list[PartnerOdoo], partner_id: str, console: Console) -> PartnerOdoo:
    for partner in partners:
        if partner.id == partner_id:
            return partner
    known = ", ".join(p.id for p in partners) or "none"
    console.print(f"no enabled partner {partner_id!r} with an odoo section (known: {known})")
    raise typer.Exit(code=2)


def register(app: typer.Typer) -> None:
    """Add the ``odoo`` command group to ``app``."""
    odoo_app = typer.Typer(
        help="Odoo connection: check, prepare and load what delivery needs.",
        no_args_is_help=True,
    )

    @odoo_app.command("check")
    def check() -> None:
        """Check the configured Odoo against every loaded partner profile; names the fix."""
        settings = get_settings()
        console = Console(width=200)
        partners = load_partners(settings, console)
        with _odoo(settings, console) as odoo:
            results = check_odoo(odoo, partners)
        table = Table("check", "result", "detail", "fix")
        for result in results:
            state = "warning" if result.warning else ("ok" if result.ok else "FAILED")
            table.add_row(result.name, state, result.detail, result.fix)
        console.print(table)
        failed = [r for r in results if not r.ok]
        if failed:
            console.print(f"{len(failed)} check(s) failed")
            for result in failed:
                console.print(f"  {result.name}: {result.fix or result.detail}")
            raise typer.Exit(code=1)
        checked = ", ".join(p.id for p in partners) or "no partner profiles"
        console.print(f"Odoo is ready for EDI delivery ({checked})")

    @odoo_app.command("prepare")
    def prepare(
        partner: str | None = typer.Option(None, "--partner", help="Only this partner id."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be done."),
    ) -> None:
        """Create the vendors and units the partner profiles need; list what must be done
        by hand (products, prices, e-mail address, currencies)."""
        settings = get_settings()
        console = Console(width=200)
        partners = load_partners(settings, console)
        if partner is not None:
            partners = [_pick(partners, partner, console)]
        with _odoo(settings, console) as odoo:
            try:
                steps = prepare_odoo(odoo, partners, dry_run=dry_run)
            except OdooError as exc:
                console.print(f"prepare failed: {exc}")
                raise typer.Exit(code=1) from exc
        table = Table("partner", "what", "done" if not dry_run else "would be", "detail")
        for step in steps:
            table.add_row(step.partner, step.what, step.outcome, step.detail)
        console.print(table)
        manual = [s for s in steps if s.outcome == "manual"]
        console.print(
            f"{len(manual)} thing(s) to do by hand; then run `edi-gateway odoo check`"
            if manual
            else "nothing left to do by hand; run `edi-gateway odoo check`"
        )

    @odoo_app.command("import-catalog")
    def import_catalog_command(
        partner: str = typer.Argument(..., help="Partner id (its profile names the vendor)."),
        file: Path = typer.Argument(..., help="The supplier's item list (CSV).", exists=True),
        dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be done."),
    ) -> None:
        """Load a supplier's item list into products and the vendor's prices (idempotent)."""
        settings = get_settings()
        console = Console(width=200)
        chosen = _pick(load_partners(settings, console), partner, console)
        with _odoo(settings, console) as odoo:
            try:
                report = import_catalog(odoo, chosen, file, dry_run=dry_run)
            except (CatalogError, OdooError) as exc:
                console.print(f"{file}: {exc}")
                raise typer.Exit(code=1) from exc
        table = Table("line", "vendor part", "result", "detail")
        for row in report.rows:
            table.add_row(str(row.line), row.vendor_part, row.outcome, row.detail)
        console.print(table)
        console.print(f"{file}: {report.summary}")
        if report.count("refused"):
            raise typer.Exit(code=1)

    app.add_typer(odoo_app, name="odoo")

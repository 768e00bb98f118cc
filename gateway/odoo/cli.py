"""The ``edi-gateway odoo ...`` commands (mounted by the main CLI with :func:`register`)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from gateway.odoo.check import check_odoo
from gateway.odoo.client import OdooClient
from gateway.odoo.factory import make_odoo
from gateway.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add the ``odoo`` command group to ``app``."""
    odoo_app = typer.Typer(help="Odoo connection: check what delivery needs.", no_args_is_help=True)

    @odoo_app.command("check")
    def check() -> None:
        """Check the configured Odoo: version, login, modules, fields and access rights."""
        settings = get_settings()
        console = Console()
        if not settings.odoo_configured:
            console.print(
                "Odoo is not configured (set EDIGW_ODOO_URL, EDIGW_ODOO_DB, EDIGW_ODOO_USER and "
                "EDIGW_ODOO_PASSWORD or EDIGW_ODOO_API_KEY): deliveries are a dry run written to "
                f"{settings.dry_run_dir}"
            )
            raise typer.Exit(code=2)
        odoo = make_odoo(settings)
        try:
            results = check_odoo(odoo)
        finally:
            if isinstance(odoo, OdooClient):
                odoo.close()
        table = Table("check", "result", "detail")
        for result in results:
            table.add_row(result.name, "ok" if result.ok else "FAILED", result.detail)
        console.print(table)
        failed = [r for r in results if not r.ok]
        if failed:
            console.print(f"{len(failed)} check(s) failed")
            raise typer.Exit(code=1)
        console.print("Odoo is ready for EDI delivery")

    app.add_typer(odoo_app, name="odoo")

"""``edi-gateway reconcile``: what we sent and received, per partner, against Odoo.

``reconcile [--since DATE] [--partner ID] [--json|--csv] [--no-exceptions]`` prints the
findings (a table, or the report as JSON / CSV on stdout), raises a business exception
per finding that needs one (once per finding) and keeps the report for the console.
Exits 1 when there are findings that need action.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.cli.runtime import cli_runtime

console = Console()


def register(app: typer.Typer) -> None:
    """Add the ``reconcile`` command."""

    @app.command("reconcile")
    def reconcile_command(
        since: Annotated[
            str | None,
            typer.Option(help="First day (YYYY-MM-DD); default EDIGW_RECONCILE_DAYS ago."),
        ] = None,
        partner: Annotated[str | None, typer.Option(help="Only this partner.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
        as_csv: Annotated[bool, typer.Option("--csv", help="The findings as CSV.")] = False,
        exceptions: Annotated[
            bool, typer.Option(help="Raise business exceptions for what needs action.")
        ] = True,
    ) -> None:
        """Compare orders, ship notices, receipts and bills with what Odoo holds now."""
        from gateway.reconcile import reconcile  # deferred: CLI start-up

        if as_json and as_csv:
            raise typer.BadParameter("give --json or --csv, not both")
        try:
            day = dt.date.fromisoformat(since) if since else None
        except ValueError as exc:
            raise typer.BadParameter(f"--since {since!r} is not a date (YYYY-MM-DD)") from exc
        runtime = cli_runtime()
        try:
            report = reconcile(runtime, since=day, partner=partner, raise_exceptions=exceptions)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        finally:
            runtime.engine.dispose()
        if as_json:
            typer.echo(json.dumps(report.to_json(), indent=2, default=str))
        elif as_csv:
            typer.echo(report.to_csv(), nl=False)
        else:
            table = Table(title=f"reconciliation since {report.since}")
            for column in ("partner", "kind", "PO", "finding", "exception"):
                table.add_column(column)
            for f in report.findings:
                table.add_row(
                    f.partner_id,
                    f.kind,
                    escape(f.po_number or ""),
                    escape(f.message),
                    str(f.exception_id or ("-" if not f.action else "")),
                )
            console.print(table)
            checked = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.checked.items())
            console.print(
                f"{len(report.findings)} finding(s), {report.raised} new exception(s); "
                f"checked {checked}"
            )
        if any(f.action for f in report.findings):
            raise typer.Exit(1)

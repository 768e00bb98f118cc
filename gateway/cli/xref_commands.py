"""``edi-gateway xref``: a customer's own item numbers for our products.

``xref import PARTNER FILE.csv`` checks every row (errors name their line; any error
stores nothing, exit 1) and replaces the partner's table; ``xref list PARTNER`` prints it.
The CSV format is described in :mod:`gateway.customer_items`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gateway.cli.audit_commands import _engine
from gateway.partners.registry import PartnerRegistry
from gateway.settings import get_settings
from gateway.store.audit import add_event
from gateway.store.db import make_session_factory, session_scope

console = Console()
err = Console(stderr=True)

xref_app = typer.Typer(
    help="Customers' part numbers for our products (the gateway's cross-reference table).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Mount the ``xref`` group on the main CLI."""
    app.add_typer(xref_app, name="xref")


def _known_partner(partner: str) -> None:
    settings = get_settings()
    profile = PartnerRegistry(settings.profile_dirs(), settings.map_dirs()).get(partner)
    if profile is None:
        err.print(f"no partner {partner!r} (see `edi-gateway partners list`)", markup=False)
        raise typer.Exit(1)
    if not profile.is_customer:
        err.print(
            f"note: {partner} is not a customer (role: {', '.join(profile.roles)}); its "
            "cross-references are used once its profile says role: customer",
            markup=False,
        )


@xref_app.command("import")
def import_command(
    partner: Annotated[str, typer.Argument(help="Partner id (its profile's id).")],
    file: Annotated[
        Path, typer.Argument(help="CSV: customer part number, our default_code or GTIN.")
    ],
) -> None:
    """Replace the partner's cross-reference table with the rows of FILE."""
    from gateway.customer_items import parse_csv, replace_items  # deferred: CLI start-up

    _known_partner(partner)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"{file}: cannot read: {exc}", markup=False)
        raise typer.Exit(1) from exc
    parsed = parse_csv(text)
    if parsed.errors:
        for error in parsed.errors:
            err.print(f"{file}: {error}", markup=False)
        err.print(f"nothing imported ({len(parsed.errors)} errors)", markup=False)
        raise typer.Exit(1)
    engine = _engine()
    try:
        with session_scope(make_session_factory(engine)) as session:
            count = replace_items(session, partner, parsed.items)
            add_event(
                session,
                "xref_import",
                f"{count} customer item numbers imported from {file.name}",
                partner_id=partner,
                actor=f"cli:{os.environ.get('USER', 'operator')}",
                data={"file": str(file), "rows": count},
            )
    finally:
        engine.dispose()
    console.print(f"{partner}: {count} customer item numbers (the table was replaced)")


@xref_app.command("list")
def list_command(
    partner: Annotated[str, typer.Argument(help="Partner id.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Show the partner's cross-reference table."""
    from gateway.customer_items import list_items  # deferred: CLI start-up

    engine = _engine()
    try:
        with session_scope(make_session_factory(engine)) as session:
            items = list_items(session, partner)
    finally:
        engine.dispose()
    if as_json:
        for item in items:
            line = {"customer_part": item.customer_part, "our_item": item.our_item}
            print(json.dumps({**line, "kind": item.kind}))
        return
    if not items:
        console.print(f"{partner}: no customer item numbers (import them with `xref import`)")
        return
    table = Table(title=f"{partner}: customer item numbers")
    table.add_column("customer part")
    table.add_column("our item")
    table.add_column("kind")
    for item in items:
        table.add_row(item.customer_part, item.our_item, item.kind)
    console.print(table)

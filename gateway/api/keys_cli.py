"""``edi-gateway keys`` (and its alias ``edi-gateway users``): console API keys.

``keys create NAME --role ROLE`` prints the key once (only its hash is stored),
``keys list`` shows names, roles and last use, ``keys revoke NAME`` ends a key at once.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from gateway.api.auth import ROLES, KeyManagementError, create_key, list_keys, revoke_key
from gateway.settings import get_settings
from gateway.store.audit import add_event
from gateway.store.db import make_session_factory, open_store, session_scope

console = Console()
err = Console(stderr=True)


def _sessions() -> sessionmaker[Session]:
    return make_session_factory(open_store(get_settings()))


def _actor() -> str:
    return f"cli:{os.environ.get('USER', 'admin')}"


def _group(help_text: str) -> typer.Typer:
    group = typer.Typer(help=help_text, no_args_is_help=True)

    @group.command("create")
    def create(
        name: Annotated[str, typer.Argument(help="Who or what the key is for.")],
        role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "viewer",
    ) -> None:
        """Create a key and print it (once: only its hash is kept)."""
        try:
            with session_scope(_sessions()) as session:
                row, key = create_key(session, name, role)
                add_event(session, "key_created", f"key {row.name!r} ({row.role})", actor=_actor())
        except KeyManagementError as exc:
            err.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from exc
        err.print(f"key [bold]{name}[/] ({role}) created; store it now, it is not shown again:")
        console.print(key, markup=False, highlight=False)

    @group.command("list")
    def list_() -> None:
        """Every key with its role, last use and status (never the key itself)."""
        with session_scope(_sessions()) as session:
            rows = list_keys(session)
            if not rows:
                console.print(
                    "no keys yet — create one with `edi-gateway keys create NAME --role admin`"
                )
                return
            table = Table(title="API keys")
            for col in ("name", "role", "prefix", "created", "last used", "status"):
                table.add_column(col)
            for k in rows:
                table.add_row(
                    k.name,
                    k.role,
                    f"egw_{k.prefix}_…",
                    k.created_at.isoformat()[:19] if k.created_at else "",
                    k.last_used_at.isoformat()[:19] if k.last_used_at else "never",
                    "revoked" if k.revoked_at else "active",
                )
        console.print(table)

    @group.command("revoke")
    def revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
        """Revoke a key at once (its row stays for the audit trail)."""
        try:
            with session_scope(_sessions()) as session:
                revoke_key(session, name)
                add_event(session, "key_revoked", f"key {name!r}", actor=_actor())
        except KeyManagementError as exc:
            err.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from exc
        console.print(f"key {name} revoked")

    return group


def register(app: typer.Typer) -> None:
    """Add the ``keys`` group and its ``users`` alias to the main CLI."""
    app.add_typer(
        _group("Console and API keys with roles (admin, onboarding, operator, viewer)."),
        name="keys",
    )
    app.add_typer(_group("Console users: the same as `keys` (one key per person)."), name="users")

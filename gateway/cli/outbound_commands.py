"""``edi-gateway outbound``: the orders we send, from Odoo to the partner and back.

``outbound poll`` runs one scheduler round now (queue confirmed orders, resend stalled
ones, raise overdue exceptions, post chatter notes); ``outbound send PO_NAME`` sends one
order now; ``outbound list [--json]`` shows every order with its cycle state and age.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from gateway.pipeline.runtime import Runtime

console = Console()
err = Console(stderr=True)
outbound_app = typer.Typer(
    help="Documents we send: our purchase orders and their cycle.", no_args_is_help=True
)


def _runtime(queue: bool) -> Runtime:
    from gateway.cli.main import _runtime as make

    return make(queue=queue)


@outbound_app.command("poll")
def poll_command(
    queue: Annotated[bool, typer.Option(help="Hand the sends to the workers.")] = False,
) -> None:
    """Look in Odoo for confirmed orders to send (and check overdue answers) now."""
    from gateway.pipeline.outbound import run_scheduled

    counts = run_scheduled(_runtime(queue))
    console.print(", ".join(f"{name} {count}" for name, count in counts.items()))


@outbound_app.command("send")
def send_command(
    po_name: Annotated[str, typer.Argument(help="The Odoo purchase order name, e.g. P00042.")],
    queue: Annotated[bool, typer.Option(help="Hand the send to the workers.")] = False,
) -> None:
    """Send one confirmed purchase order now."""
    from gateway.pipeline.errors import PermanentError
    from gateway.pipeline.outbound import send_now

    runtime = _runtime(queue)
    try:
        order = send_now(runtime, po_name)
    except PermanentError as exc:
        err.print(escape(str(exc)), markup=True)
        raise typer.Exit(1) from exc
    from gateway.pipeline.outbound import list_orders
    from gateway.store.db import session_scope

    with session_scope(runtime.sessions) as session:
        rows = [r for r in list_orders(session, search=order.business_key) if r["id"] == order.id]
    state = rows[0]["state"] if rows else order.state
    console.print(f"{escape(order.business_key)} to {escape(order.partner_id)}: {state}")
    if state == "failed":
        raise typer.Exit(1)


@outbound_app.command("list")
def list_command(
    partner: Annotated[str | None, typer.Option(help="Only this partner.")] = None,
    state: Annotated[str | None, typer.Option(help="Only orders in this cycle state.")] = None,
    search: Annotated[str | None, typer.Option(help="PO number contains this.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines for scripts.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
) -> None:
    """Every order we sent, newest first, with its cycle state and age."""
    from gateway.pipeline.outbound import list_orders
    from gateway.settings import get_settings
    from gateway.store.db import make_engine, make_session_factory, migrate, session_scope

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    with session_scope(make_session_factory(engine)) as session:
        rows = list_orders(session, partner_id=partner, state=state, search=search, limit=limit)
    if as_json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
        return
    table = Table("PO", "partner", "state", "sent as", "age h", "overdue", "error")
    for row in rows:
        table.add_row(
            escape(row["po_number"]),
            escape(row["partner_id"]),
            row["state"],
            f"{row['set']} {row['interchange_control']}",
            str(row["age_hours"]),
            ", ".join(row["overdue"]),
            escape(row["error"] or ""),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Mount the ``outbound`` group on the main CLI."""
    app.add_typer(outbound_app, name="outbound")

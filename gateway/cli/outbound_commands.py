"""``edi-gateway outbound``: the orders we send, from Odoo to the partner and back.

``outbound poll`` runs one scheduler round now (queue confirmed orders, resend stalled
ones, raise overdue exceptions, post chatter notes, send the inventory advices due and
the catalogs whose pricelist changed); ``outbound send PO_NAME`` sends one order now;
``outbound catalog PARTNER`` sends a customer's price catalog now; ``outbound list
[--json]`` shows every order with its cycle state and age.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.canonical import PurchaseOrder, Purpose
from gateway.cli.runtime import cli_runtime
from gateway.identity import load_identities
from gateway.partners.outbound import OutboundDocumentSettings
from gateway.partners.registry import PartnerRegistry
from gateway.pipeline.errors import PermanentError
from gateway.settings import get_settings
from gateway.states import OrderCycle
from gateway.store.db import make_session_factory, open_store, session_scope

if TYPE_CHECKING:
    pass

console = Console()
err = Console(stderr=True)
outbound_app = typer.Typer(
    help="Documents we send: our purchase orders and their cycle.", no_args_is_help=True
)


@outbound_app.command("poll")
def poll_command(
    queue: Annotated[bool, typer.Option(help="Hand the sends to the workers.")] = False,
) -> None:
    """Look in Odoo for confirmed orders to send (and check overdue answers) now."""
    from gateway.pipeline.outbound import run_scheduled  # deferred: CLI start-up
    from gateway.pipeline.outbound_publish import publish_due  # deferred: CLI start-up

    runtime = cli_runtime(queue=queue)
    counts = run_scheduled(runtime)
    counts.update(publish_due(runtime).counts())  # inventory advices due, changed catalogs
    console.print(", ".join(f"{name} {count}" for name, count in counts.items()))


@outbound_app.command("send")
def send_command(
    po_name: Annotated[str, typer.Argument(help="The Odoo purchase order name, e.g. P00042.")],
    queue: Annotated[bool, typer.Option(help="Hand the send to the workers.")] = False,
) -> None:
    """Send one confirmed purchase order now."""
    from gateway.pipeline.outbound import send_now  # deferred: CLI start-up

    runtime = cli_runtime(queue=queue)
    try:
        order = send_now(runtime, po_name)
    except PermanentError as exc:
        err.print(escape(str(exc)), markup=True)
        raise typer.Exit(1) from exc
    from gateway.pipeline.outbound import list_orders  # deferred: CLI start-up

    with session_scope(runtime.sessions) as session:
        rows = [r for r in list_orders(session, search=order.business_key) if r["id"] == order.id]
    state = rows[0]["state"] if rows else order.state
    console.print(f"{escape(order.business_key)} to {escape(order.partner_id)}: {state}")
    if state == OrderCycle.FAILED:
        raise typer.Exit(1)


@outbound_app.command("catalog")
def catalog_command(
    partner: Annotated[str, typer.Argument(help="The customer's partner id.")],
    queue: Annotated[bool, typer.Option(help="Hand the send to the workers.")] = False,
) -> None:
    """Send a customer their price catalog (832 / PRICAT) from their Odoo pricelist now."""
    from gateway.pipeline.outbound_publish import send_catalog  # deferred: CLI start-up

    try:
        row = send_catalog(cli_runtime(queue=queue), partner)
    except PermanentError as exc:
        err.print(escape(str(exc)), markup=True)
        raise typer.Exit(1) from exc
    state = row.state if row.state != OrderCycle.FAILED else f"failed: {row.error}"
    console.print(
        f"{escape(row.business_key)} ({row.set_id}) to {escape(partner)}: {escape(str(state))}"
    )
    if row.state == OrderCycle.FAILED:
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
    from gateway.pipeline.outbound import list_orders  # deferred: CLI start-up

    engine = open_store(get_settings())
    with session_scope(make_session_factory(engine)) as session:
        rows = list_orders(session, partner_id=partner, state=state, search=search, limit=limit)
    if as_json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
        return
    table = Table("PO", "partner", "state", "sent as", "changes", "age h", "overdue", "error")
    for row in rows:
        changes = [
            f"{c['set']} {c['interchange_control']} {c['purpose']}: {c['state']}"
            for c in row.get("changes") or []
        ]
        table.add_row(
            escape(row["po_number"]),
            escape(row["partner_id"]),
            row["state"],
            f"{row['set']} {row['interchange_control']}",
            escape("\n".join(changes)),
            str(row["age_hours"]),
            ", ".join(row["overdue"]),
            escape(row["error"] or ""),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Mount the ``outbound`` group on the main CLI."""
    app.add_typer(outbound_app, name="outbound")


def translate_outbound(path: Path, partner: str | None, explain: bool, as_json: bool) -> None:
    """``translate --outbound ORDER.json --partner ID``: what we would send, and from where."""
    from gateway.outbound import (  # deferred: CLI start-up
        OutboundInvalid,
        OutboundLibrary,
        render,
        write,
    )
    from gateway.pipeline.outbound_kinds import outbound_map_name  # deferred: CLI start-up
    from gateway.pipeline.outbound_records import envelope_for  # deferred: CLI start-up

    settings = get_settings()
    if partner is None:
        err.print("--outbound needs --partner ID (who the document is for)", markup=False)
        raise typer.Exit(2)
    profile = PartnerRegistry(settings.profile_dirs(), settings.map_dirs()).get(partner)
    if profile is None:
        err.print(f"no partner {partner!r} (see `edi-gateway partners list`)", markup=False)
        raise typer.Exit(1)
    try:
        document = PurchaseOrder.model_validate_json(path.read_bytes())
    except (OSError, ValueError) as exc:
        err.print(f"{path}: not a canonical purchase order: {exc}", markup=False)
        raise typer.Exit(1) from exc
    if profile.outbound.purchase_order is None:
        profile = profile.model_copy(
            update={
                "outbound": profile.outbound.model_copy(
                    update={"purchase_order": OutboundDocumentSettings()}
                )
            }
        )
    change = document.purpose is not Purpose.ORIGINAL  # a change order: 860 / ORDCHG
    syntax, _, map_name = outbound_map_name(profile, change=change)
    map_ = OutboundLibrary.load(settings.map_dirs()).get(map_name)
    ident = load_identities(settings.identities_file).get(profile.our_identity)
    try:
        rendered = render(map_, document)
        written = write(map_, rendered, envelope_for(ident, profile, syntax, lambda *_a, **_k: 1))
    except OutboundInvalid as exc:
        for finding in exc.findings:
            err.print(f"not sendable: {finding}", markup=False)
        raise typer.Exit(1) from exc
    if as_json:
        out = {
            "map": map_name,
            "document": written.data.decode("latin-1"),
            "explain": [
                {"position": t.position, "tag": t.tag, "rule": t.rule, "fields": list(t.fields)}
                for t in rendered.traces
            ]
            if explain
            else None,
        }
        print(json.dumps(out, indent=2))
        return
    print(written.data.decode("latin-1"))
    if explain:
        table = Table("pos", "segment", "map rule", "canonical fields", title=f"map {map_name}")
        for t in rendered.traces:
            table.add_row(str(t.position), t.tag, t.rule, ", ".join(t.fields))
        console.print(table)

"""The ``edi-gateway`` command line.

Gateway processes (``run``, ``api``, ``worker``, ``scheduler``, ``sftp``), feeding and
inspecting the pipeline (``ingest``, ``messages``, ``replay``, ``cancel``), the demo, and
the command groups contributed by the packages (``parse``/``validate``, ``partners``,
``translate``, ``xref``, ``certs``, ``odoo``, ``keys``, ``dev``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gateway.api import keys_cli
from gateway.cli import (
    audit_commands,
    dev_commands,
    edi_commands,
    outbound_commands,
    partner_commands,
    reconcile_commands,
    xref_commands,
)
from gateway.cli import cert_commands as as2_cli
from gateway.cli.config_errors import describe
from gateway.cli.input_files import InputRefused, read_input_file
from gateway.cli.runtime import cli_runtime
from gateway.intake import ReceivedPayload
from gateway.odoo import cli as odoo_cli
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.intake import StoreIntake
from gateway.queries import MessageFilter, list_messages, message_detail, message_outcomes
from gateway.reload import start_file_watcher
from gateway.settings import get_settings
from gateway.store.db import open_store, session_scope

app = typer.Typer(
    name="edi-gateway",
    help="EDI and B2B partner gateway for Odoo: X12 and EDIFACT over AS2 and SFTP.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
messages_app = typer.Typer(
    help="Inspect received messages and their transactions.", no_args_is_help=True
)
app.add_typer(messages_app, name="messages")
console = Console()
err = Console(stderr=True)


# ---------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------
def _celery_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "gateway.celery_app", *args]


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker threads/processes.")] = 2,
    pool: Annotated[str, typer.Option(help="Celery pool: prefork, threads, solo.")] = "prefork",
) -> None:
    """Run a pipeline worker (Celery) against the configured broker."""
    os.execv(  # noqa: S606 - our own interpreter, a fixed argv (no shell)
        sys.executable,
        _celery_cmd(
            "worker",
            "--loglevel",
            "INFO",
            "-Q",
            get_settings().queue_name,
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            # no peer chatter: the store, not the workers' view of each other, drives the
            # scheduler and stall recovery (docs/operations.md)
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ),
    )


@app.command()
def scheduler() -> None:
    """Run the scheduler (Celery beat): stall recovery and SFTP polls."""
    settings = get_settings()
    schedule = settings.data_dir / "celerybeat-schedule"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    beat = _celery_cmd("beat", "--loglevel", "INFO", "-s", str(schedule))
    os.execv(sys.executable, beat)  # noqa: S606 - our own interpreter, a fixed argv (no shell)


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    http_port: Annotated[int | None, typer.Option(help="HTTP port.")] = None,
) -> None:
    """Run the HTTP server only: REST API, console pages and the AS2 endpoint."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "gateway.api.app:create_app",
        factory=True,
        host=host or settings.http_host,
        port=http_port or settings.http_port,
        log_level="info",
        access_log=settings.http_access_log,
    )


@app.command("as2")
def as2_listener(
    host: Annotated[
        str | None,
        typer.Option(help="Bind address.", show_default="EDIGW_AS2_HOST, else EDIGW_HTTP_HOST"),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port.", show_default="EDIGW_AS2_PORT", min=1, max=65535),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            help="Processes, each unpacking one message at a time; 0: one per usable CPU.",
            show_default="EDIGW_AS2_PROCESSES",
            min=0,
        ),
    ] = None,
) -> None:
    """Run the AS2 listener: POST /as2 (and GET /healthz) only, on a port of its own.

    For a port that faces partners while the console stays internal, and for more AS2
    messages per CPU than the console's server; see docs/operations.md.
    """
    from gateway import as2_server as listener  # deferred: uvicorn and the app: only this command

    settings = get_settings()
    chosen = port or settings.as2_port
    if not chosen:
        raise typer.BadParameter("give --port or set EDIGW_AS2_PORT", param_hint="--port")
    listener.serve(
        settings,
        host=host or settings.as2_host or settings.http_host,
        port=chosen,
        processes=listener.process_count(processes, settings),
    )


@app.command()
def sftp(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    sftp_port: Annotated[int | None, typer.Option(help="SFTP port.")] = None,
) -> None:
    """Run the hosted SFTP server for partners."""
    from gateway.transports import make_sftp_server  # deferred: paramiko: only sftp

    settings = get_settings()
    runtime = cli_runtime(queue=True)
    server = make_sftp_server(
        runtime,
        host=host or settings.sftp_host,
        port=sftp_port if sftp_port is not None else settings.sftp_port,
    )

    start_file_watcher(runtime, announce=False)
    console.print(f"SFTP server listening on {server.host}:{server.port}")
    server.serve_forever()


@app.command()
def run(
    host: Annotated[
        str | None,
        typer.Option(
            help="Bind address of HTTP and SFTP.", show_default="EDIGW_HTTP_HOST/SFTP_HOST"
        ),
    ] = None,
    http_port: Annotated[
        int | None,
        typer.Option(help="HTTP port (API, pages, /as2).", show_default="EDIGW_HTTP_PORT"),
    ] = None,
    sftp_host: Annotated[
        str | None,
        typer.Option(help="Bind address of SFTP.", show_default="--host or EDIGW_SFTP_HOST"),
    ] = None,
    sftp_port: Annotated[
        int | None, typer.Option(help="SFTP port.", show_default="EDIGW_SFTP_PORT")
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker threads.")] = 2,
    as2_port: Annotated[
        int | None,
        typer.Option(
            help="Also run the AS2 listener (`edi-gateway as2`) on this port; 0: not.",
            show_default="EDIGW_AS2_PORT",
            min=0,
            max=65535,
        ),
    ] = None,
) -> None:
    """Run everything on one machine: API + AS2, SFTP server, worker and scheduler.

    SIGTERM/SIGINT stop every part (the worker is killed after
    EDIGW_SHUTDOWN_TIMEOUT_SECONDS); SIGHUP reloads partner profiles and maps.
    """
    from gateway.supervisor import Binding, Supervisor  # deferred: API + Celery: only run

    settings = get_settings()
    binding = Binding.resolve(
        settings,
        host=host,
        http_port=http_port,
        sftp_host=sftp_host,
        sftp_port=sftp_port,
        as2_port=as2_port,
    )
    raise typer.Exit(Supervisor(settings, binding, workers=workers).serve())


# ---------------------------------------------------------------------------------------
# feeding and inspecting the pipeline
# ---------------------------------------------------------------------------------------
@app.command()
def ingest(
    files: Annotated[
        list[Path],
        typer.Argument(help="EDI files to feed in.", exists=True, dir_okay=False, readable=True),
    ],
    partner: Annotated[
        str | None, typer.Option(help="Partner id (else from the envelope).")
    ] = None,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue", help="Hand to the workers via the broker instead of processing here and now."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar or per-file lines: totals only.")
    ] = False,
) -> None:
    """Feed files into the pipeline as if received from a partner.

    Prints one line per file and, at the end, the totals per state (``--quiet``: only
    the totals). A file over the payload cap is refused unread (a ``refused`` message,
    as the API records one); anything that is not a regular file (a FIFO, a device) is
    named and skipped. Exit code 1 when a file was refused or skipped, or ended
    rejected or failed.
    """
    runtime = cli_runtime(queue=queue)
    intake = StoreIntake(runtime)
    limit = runtime.settings.max_payload_bytes
    actor = f"cli:{os.environ.get('USER', 'operator')}"
    receipts = []
    unread: list[str] = []  # files that are not files: nothing to record
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=as_json or quiet,
    ) as progress:
        task = progress.add_task("ingesting", total=len(files))
        for path in files:
            progress.update(task, description=f"ingesting {path.name}")
            metadata = {"path": str(path.resolve())}
            try:
                data = read_input_file(path, limit)
            except InputRefused as exc:
                progress.advance(task)
                if exc.size is None:
                    unread.append(f"{path}: {exc.reason}")
                    continue
                # too large: a refused message, as the API and SFTP record one
                receipts.append(intake.refuse(
                    transport="cli", filename=path.name, partner_id=partner, actor=actor,
                    reason=exc.reason, size=exc.size, metadata=metadata,
                ))  # fmt: skip
                continue
            receipt = intake.receive(
                ReceivedPayload(
                    data=data,
                    transport="cli",
                    partner_id=partner,
                    filename=path.name,
                    metadata=metadata,
                    actor=actor,
                )
            )
            if isinstance(runtime.dispatcher, InlineDispatcher):
                runtime.dispatcher.drain()
            receipts.append(receipt)
            progress.advance(task)
    for problem in unread:
        err.print(f"[red]not ingested[/red] {problem}", highlight=False)
    with session_scope(runtime.sessions) as session:
        if as_json:
            details = [message_detail(session, r.message_id) for r in receipts]
            console.print_json(json.dumps(details, default=str))
            if unread:
                raise typer.Exit(1)
            return
        # the lines and totals need states only: two queries, not a detail per file
        found = message_outcomes(session, [r.message_id for r in receipts])
    if not quiet:
        for detail in found:
            print(_one_line(detail))
    print(ingest_totals(found))
    if queue:
        print("queued for the workers; follow with `edi-gateway messages list`")
    if unread or any(
        d["state"] in ("rejected", "failed", "refused")
        or any(t["state"] in ("rejected", "failed") for t in d["transaction_list"])
        for d in found
    ):
        raise typer.Exit(1)


def _one_line(detail: dict[str, Any]) -> str:
    """``message 12 po.edi: split; 1 delivered`` (plain text, no markup)."""
    counts: dict[str, int] = {}
    for t in detail["transaction_list"]:
        counts[t["state"]] = counts.get(t["state"], 0) + 1
    txns = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    error = f" - {detail['error']}" if detail.get("error") else ""
    return (
        f"message {detail['id']} {detail.get('filename') or ''}: {detail['state']}"
        + (f"; {txns}" if txns else "")
        + error
    )


def ingest_totals(details: list[dict[str, Any]]) -> str:
    """``200 file(s): 200 split; 200 transaction(s): 198 delivered, 2 rejected``."""
    messages: dict[str, int] = {}
    txns: dict[str, int] = {}
    for detail in details:
        messages[detail["state"]] = messages.get(detail["state"], 0) + 1
        for t in detail["transaction_list"]:
            txns[t["state"]] = txns.get(t["state"], 0) + 1

    def words(counts: dict[str, int]) -> str:
        return ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"

    total_txns = sum(txns.values())
    return (
        f"total: {len(details)} file(s): {words(messages)}; "
        f"{total_txns} transaction(s): {words(txns)}"
    )


def _state_style(state: str | None) -> str:
    return {
        "delivered": "green",
        "acknowledged": "green",
        "translated": "cyan",
        "parsed": "cyan",
        "split": "cyan",
        "sent": "green",
        "rejected": "red",
        "failed": "bold red",
        "business_exception": "yellow",
        "duplicate": "magenta",
        "cancelled": "dim",
    }.get(state or "", "white")


def _print_message(detail: dict[str, Any], *, brief: bool = False) -> None:
    state = detail["state"]
    console.print(
        f"[bold]message {detail['id']}[/] {detail.get('filename') or ''} "
        f"({detail['size']} bytes, {detail['transport']}, "
        f"{detail.get('syntax') or 'unknown syntax'}) "
        f"[{_state_style(state)}]{state}[/]"
    )
    if detail.get("error"):
        console.print(f"  [red]{detail['error']}[/]")
    for ic in detail["interchanges"]:
        console.print(
            f"  interchange {ic['control_number']} {ic['sender']} → {ic['receiver']} "
            f"partner={ic['partner_id'] or '?'} [{_state_style(ic['state'])}]{ic['state']}[/]"
            + (f" ack={ic['ack_status']}" if ic["ack_status"] else "")
        )
        for issue in ic["issues"]:
            console.print(f"    [red]• {issue.get('text')}[/]")
    table = Table(show_edge=False, pad_edge=False)
    for col in ("txn", "set", "control", "key", "state", "ack", "detail"):
        table.add_column(col)
    for t in detail["transaction_list"]:
        table.add_row(
            str(t["id"]),
            t["set_id"],
            t["control_number"],
            t["business_key"] or "",
            f"[{_state_style(t['state'])}]{t['state']}[/]",
            t["ack_status"] or "",
            (t["error"] or "")[:80],
        )
    if detail["transaction_list"]:
        console.print(table)
    for ack in detail["acknowledgements"]:
        console.print(
            f"  {ack['direction']} {ack['kind']} {ack['control_number']} "
            f"for {ack['acknowledges']}: {ack['status']} ({ack['state']})"
        )
    if not brief:
        console.print("[bold]events[/]")
        for e in detail["events"]:
            console.print(f"  {e['at'][:19]} {e['actor']:<12} {e['kind']:<14} {e['detail']}")


@messages_app.command("list")
def messages_list(
    limit: Annotated[int, typer.Option(help="How many.")] = 20,
    partner: Annotated[str | None, typer.Option(help="Only this partner.")] = None,
    state: Annotated[str | None, typer.Option(help="Only messages in this state.")] = None,
    correlation_id: Annotated[
        str | None,
        typer.Option(help="The file or document with this correlation id (as noted in Odoo)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """List received messages, newest first."""
    runtime = cli_runtime()
    with session_scope(runtime.sessions) as session:
        rows, _ = list_messages(
            session,
            MessageFilter(partner_id=partner, state=state, correlation_id=correlation_id),
            limit=limit,
        )
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    if not rows:
        given = {
            k: v
            for k, v in (("partner", partner), ("state", state), ("correlation id", correlation_id))
            if v
        }
        if given:
            words = ", ".join(f"{k}={v}" for k, v in given.items())
            print(f"no messages match these filters ({words})")
        else:
            print("no messages yet - feed one with `edi-gateway ingest FILE`")
        return
    table = Table(title="messages")
    for col in ("id", "received", "transport", "partner", "file", "state", "transactions"):
        table.add_column(col)
    for r in rows:
        txns = ", ".join(f"{n} {s}" for s, n in sorted(r["transactions"].items()))
        table.add_row(
            str(r["id"]),
            r["created_at"][:19],
            r["transport"],
            ",".join(r["partners"]) or (r["partner_id"] or "?"),
            r["filename"] or "",
            f"[{_state_style(r['state'])}]{r['state']}[/]",
            txns,
        )
    console.print(table)


@messages_app.command("show")
def messages_show(
    message_id: Annotated[int, typer.Argument(help="Message id.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Show one message: envelopes, transactions, acknowledgements, errors and events."""
    runtime = cli_runtime()
    with session_scope(runtime.sessions) as session:
        detail = message_detail(session, message_id)
    if detail is None:
        err.print(f"no message {message_id}")
        raise typer.Exit(1)
    if as_json:
        console.print_json(json.dumps(detail, default=str))
    else:
        _print_message(detail)


@app.command()
def replay(
    transaction_id: Annotated[
        int, typer.Argument(help="Transaction id (or message id with --message).")
    ],
    message: Annotated[bool, typer.Option("--message", help="Replay a whole message.")] = False,
    queue: Annotated[bool, typer.Option("--queue", help="Hand to the workers.")] = False,
) -> None:
    """Replay a transaction (or a message) from its stored raw bytes."""
    from gateway.pipeline import operations  # deferred: CLI start-up (AS2 stack, ~0.15 s)

    runtime = cli_runtime(queue=queue)
    actor = f"cli:{os.environ.get('USER', 'operator')}"
    try:
        if message:
            new_id = operations.replay_message(runtime, transaction_id, actor=actor)
        else:
            operations.replay_transaction(runtime, transaction_id, actor=actor)
    except operations.OperationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from exc
    if isinstance(runtime.dispatcher, InlineDispatcher):
        runtime.dispatcher.drain()
    if not message:
        print(f"transaction {transaction_id} replayed")
        return
    if queue:
        print(f"message {transaction_id} queued for replay as message {new_id}")
        return

    with session_scope(runtime.sessions) as session:
        detail = message_detail(session, new_id)
    if detail is not None and detail["state"] == "duplicate":
        first = detail.get("duplicate_of")
        print(
            f"message {transaction_id} replayed as message {new_id}: a duplicate of message "
            f"{first} (its interchange control number was already received), so nothing "
            "was processed again; replay its transactions instead "
            "(`edi-gateway replay TRANSACTION_ID`)"
        )
        raise typer.Exit(1)
    print(f"message {transaction_id} replayed as message {new_id}")
    if detail is not None:
        print(_one_line(detail))


@app.command()
def cancel(
    transaction_id: Annotated[int, typer.Argument(help="Transaction id.")],
    reason: Annotated[str, typer.Option(help="Why.")] = "cancelled by operator",
) -> None:
    """Cancel a transaction that has not been delivered."""
    from gateway.pipeline import operations  # deferred: CLI start-up (AS2 stack, ~0.15 s)

    runtime = cli_runtime()
    try:
        operations.cancel_transaction(
            runtime,
            transaction_id,
            actor=f"cli:{os.environ.get('USER', 'operator')}",
            reason=reason,
        )
    except operations.OperationError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(f"transaction {transaction_id} cancelled")


@app.command("db-upgrade")
def db_upgrade() -> None:
    """Create or migrate the message store schema."""
    open_store(get_settings()).dispose()
    console.print("store schema is up to date")


@app.command()
def demo(
    keep: Annotated[bool, typer.Option(help="Keep the demo's data directory.")] = False,
) -> None:
    """Play the sample partners' documents end to end and show what happened to each."""
    from gateway.demo import run_demo  # deferred: CLI start-up

    start = time.monotonic()
    ok = run_demo(console, keep=keep)
    console.print(f"[dim]demo finished in {time.monotonic() - start:.1f}s[/]")
    if not ok:
        raise typer.Exit(1)


def _mount_contributed() -> None:
    """Add the command groups the packages contribute."""
    edi_commands.register(app)
    partner_commands.register(app)
    xref_commands.register(app)
    audit_commands.register(app)
    outbound_commands.register(app)
    reconcile_commands.register(app)

    certs = typer.Typer(help="AS2 certificates: create and inspect.", no_args_is_help=True)
    as2_cli.register(certs)
    app.add_typer(certs, name="certs")

    odoo_cli.register(app)

    keys_cli.register(app)
    dev_commands.register(app)


_mount_contributed()


def main() -> None:
    """Console script entry point.

    A configuration mistake (wrong database URL, bad setting value, unreachable broker)
    prints one line naming the setting and the cause and exits 2; ``--debug`` anywhere
    on the command line shows the full traceback instead.
    """
    debug = "--debug" in sys.argv[1:]
    if debug:
        sys.argv.remove("--debug")
    try:
        app()
    except Exception as exc:
        line = None if debug else describe(exc)
        if line is None:
            raise
        print(f"edi-gateway: {line} (--debug for the traceback)", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()

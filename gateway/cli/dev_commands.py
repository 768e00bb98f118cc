"""``edi-gateway dev``: commands for people working on the gateway itself.

``dev depgraph`` prints the package dependency graph read from the source, lowest layer
first, exactly as ``python -m gateway.depgraph`` does, with the same exit codes (1 when a
package or module cycle, an import pointing up the layers, or a package in no layer is
found); ``--deferred`` lists the function-level imports and their reasons instead.
"""

from __future__ import annotations

from typing import Annotated

import typer

from gateway import depgraph


def register(app: typer.Typer) -> None:
    """Add the ``dev`` command group to the ``edi-gateway`` app."""
    dev = typer.Typer(help="For contributors: the gateway's own structure.", no_args_is_help=True)

    @dev.command("depgraph")
    def depgraph_command(
        deferred: Annotated[
            bool, typer.Option("--deferred", help="List the function-level imports instead.")
        ] = False,
    ) -> None:
        """Print the package dependency graph, lowest layer first (exit 1 on a cycle, an
        import pointing up the layers, or a package in no layer)."""
        code = depgraph.main(["--deferred"] if deferred else [])
        if code:
            raise typer.Exit(code)

    app.add_typer(dev, name="dev")

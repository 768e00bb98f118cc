"""``edi-gateway certs``: create AS2 key pairs and show certificates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.as2.certs import create_key_pair, describe_certificate, load_certificates
from gateway.as2.errors import As2Error
from gateway.cli.audit_commands import record_operator_action


def register(app: typer.Typer) -> None:
    """Add ``new`` and ``show`` to ``app`` (the lead mounts it as ``edi-gateway certs``)."""

    @app.command("new")
    def new(
        common_name: Annotated[str, typer.Argument(help="Subject CN, e.g. our AS2 id")],
        out_key: Annotated[Path, typer.Option("--key", help="Where to write the private key")],
        out_cert: Annotated[Path, typer.Option("--cert", help="Where to write the certificate")],
        days: Annotated[int, typer.Option(help="Validity in days")] = 730,
        force: Annotated[bool, typer.Option(help="Overwrite existing files")] = False,
    ) -> None:
        """Create an RSA-2048 key and a self-signed certificate for AS2."""
        for path in (out_key, out_cert):
            if path.exists() and not force:
                typer.echo(f"{path} exists (use --force to overwrite)", err=True)
                raise typer.Exit(1)
        try:
            cert = create_key_pair(common_name, days, out_key, out_cert)
        except (OSError, ValueError) as exc:
            typer.echo(f"cannot create key pair: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"key: {out_key}\ncertificate: {out_cert}")
        described = describe_certificate(cert)
        for name, value in described.items():
            typer.echo(f"{name}: {value}")

        record_operator_action(
            "certificate_created",
            f"AS2 key pair for {common_name!r}: {out_cert}",
            {"key": str(out_key), "certificate": str(out_cert), **described},
        )

    @app.command("show")
    def show(file: Annotated[Path, typer.Argument(help="PEM or DER certificate file")]) -> None:
        """Print subject, issuer, validity and fingerprint of each certificate in FILE."""
        try:
            certificates = load_certificates(file)
        except As2Error as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        for index, cert in enumerate(certificates):
            if index:
                typer.echo("")
            for name, value in describe_certificate(cert).items():
                typer.echo(f"{name}: {value}")

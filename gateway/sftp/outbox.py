"""Delivering files to partners through the hosted server's ``outbox/`` folders."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from gateway.intake import Intake, PermanentSendError, TransientSendError
from gateway.sftp.events import record
from gateway.sftp.jail import STAGING, ensure_partner_dirs


def check_filename(filename: str) -> str:
    """Refuse names that are not a single plain path component."""
    if (
        not filename
        or filename in (".", "..")
        or "/" in filename
        or "\\" in filename
        or "\x00" in filename
        or len(filename.encode()) > 255
    ):
        raise ValueError(f"unusable file name {filename!r}")
    return filename


class HostedOutbox:
    """An :class:`~gateway.intake.OutboundSender` writing to ``<root>/<partner>/outbox/``.

    The file is written under the partner's private ``.staging/`` folder and renamed
    into ``outbox/`` when complete, so a partner listing its outbox never sees (or
    downloads) half a file. An existing file of the same name is replaced.
    """

    def __init__(self, root: Path, *, intake: Intake | None = None) -> None:
        self.root = Path(root)
        self.intake = intake

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        """Write the file; return its path as the partner sees it (``/outbox/<name>``)."""
        try:
            check_filename(filename)
            base = ensure_partner_dirs(self.root, partner_id)
        except ValueError as exc:
            raise PermanentSendError(str(exc)) from exc
        except OSError as exc:
            raise TransientSendError(f"cannot prepare outbox of {partner_id}: {exc}") from exc
        temp = base / STAGING / f"{uuid.uuid4().hex}.tmp"
        try:
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, base / "outbox" / filename)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise TransientSendError(f"cannot write outbox file {filename}: {exc}") from exc
        reference = f"/outbox/{filename}"
        if self.intake is not None:
            record(
                self.intake,
                "sftp.outbox",
                f"{kind} {filename} placed in the outbox ({len(data)} bytes)",
                partner_id=partner_id,
                data={"path": reference, "kind": kind, "size": len(data)},
            )
        return reference

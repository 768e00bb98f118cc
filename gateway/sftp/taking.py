"""Taking uploaded files: hand the bytes to the intake, then move the file to archive/.

A file is first claimed by renaming it into the partner's private ``.taking/`` folder,
so a second close, a sweep, or a partner overwriting the same name cannot hand over
the same bytes twice or mix two uploads. Only after :meth:`Intake.receive` returned
(the bytes are stored) is the file linked into ``archive/``; when the intake raises,
the file goes back to ``inbox/`` and the error is recorded, so nothing is lost and
:func:`take_pending` retries it later. An empty file is refused, as the API refuses an
empty upload: a ``refused`` message and an ``sftp.refused`` event name it, and the file
(no bytes to keep) is removed from the inbox.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from gateway.intake import EMPTY_FILE, Intake, Receipt, ReceivedPayload
from gateway.sftp.events import log, record
from gateway.sftp.jail import QUARANTINE, TAKING, UPLOADING


@dataclass(frozen=True, slots=True)
class TakeResult:
    """What happened to one uploaded file."""

    filename: str
    receipt: Receipt | None = None
    archived_as: Path | None = None
    error: str | None = None
    refused: str | None = None  # why the file was refused (its ``refused`` message)

    @property
    def ok(self) -> bool:
        """True when the intake stored the file for processing."""
        return self.receipt is not None and self.refused is None


def link_unique(source: Path, directory: Path, name: str) -> Path:
    """Hard-link ``source`` into ``directory`` under ``name`` or a free variant of it.

    ``os.link`` never replaces an existing file, which makes the choice of name atomic
    without a lock (``os.rename`` would silently overwrite).
    """
    stem, dot, suffix = name.partition(".")
    for attempt in range(1000):
        candidate = name if attempt == 0 else f"{stem}~{attempt}{dot}{suffix}"
        target = directory / candidate
        try:
            os.link(source, target)
        except FileExistsError:
            continue
        return target
    raise FileExistsError(f"no free name for {name} in {directory}")


def move_unique(source: Path, directory: Path, name: str) -> Path:
    """Move ``source`` into ``directory`` without overwriting anything there."""
    target = link_unique(source, directory, name)
    source.unlink()
    return target


def archive_name(stamp: str, name: str) -> str:
    """``<stamp>-<name>``, the name shortened so the result (and a ``~n``) fits 255 bytes."""
    encoded = name.encode()
    if len(encoded) > 220:
        name = encoded[-220:].decode(errors="ignore")  # keep the end: it has the extension
    return f"{stamp}-{name}"


def take_file(
    base: Path,
    partner_id: str,
    real: Path,
    *,
    virtual: str,
    username: str,
    intake: Intake,
    max_bytes: int,
) -> TakeResult | None:
    """Hand one inbox file to the intake and archive it. None if it was already taken."""
    name = real.name
    # one folder per claim keeps the original name (up to 255 bytes) for recovery
    claim_dir = base / TAKING / uuid.uuid4().hex
    claim_dir.mkdir(parents=True)
    claimed = claim_dir / name
    try:
        os.rename(real, claimed)
    except FileNotFoundError:
        claim_dir.rmdir()
        return None  # another close or a sweep got there first
    actor = f"partner:{partner_id}"
    try:
        size = claimed.stat().st_size
        if size == 0:
            return _refuse_empty(claimed, partner_id, virtual=virtual, username=username,
                                 intake=intake)  # fmt: skip
        if size > max_bytes:
            raise ValueError(f"{size} bytes is over the limit of {max_bytes}")
        data = claimed.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        receipt = intake.receive(
            ReceivedPayload(
                data,
                transport="sftp",
                partner_id=partner_id,
                filename=name,
                metadata={
                    "path": virtual,
                    "username": username,
                    "size": str(len(data)),
                    "sha256": sha256,
                },
                actor=actor,
            )
        )
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        try:
            returned = move_unique(claimed, base / "inbox", name)
            claim_dir.rmdir()
        except OSError:
            log.exception("could not put %s back into the inbox of %s", claimed, partner_id)
            returned = claimed
        record(
            intake,
            "sftp.take_failed",
            f"{virtual} was not taken ({error}); kept as {returned.name}",
            partner_id=partner_id,
            actor=actor,
            data={"path": virtual, "error": error, "kept_as": str(returned)},
        )
        return TakeResult(name, error=error)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    try:
        archived: Path | None = move_unique(claimed, base / "archive", archive_name(stamp, name))
        claim_dir.rmdir()
    except OSError as exc:
        # the bytes are stored; a file left in .taking is only disk space
        log.exception("could not archive %s for %s", claimed, partner_id)
        archived = None
        error_text: str | None = f"archive failed: {exc}"
    else:
        error_text = None
    record(
        intake,
        "sftp.upload",
        f"{virtual} received ({len(data)} bytes)",
        partner_id=partner_id,
        actor=actor,
        message_id=receipt.message_id,
        data={
            "path": virtual,
            "username": username,
            "size": len(data),
            "sha256": sha256,
            "archived_as": archived.name if archived else None,
            "duplicate_of": receipt.duplicate_of,
        },
    )
    return TakeResult(name, receipt=receipt, archived_as=archived, error=error_text)


def _refuse_empty(
    claimed: Path, partner_id: str, *, virtual: str, username: str, intake: Intake
) -> TakeResult:
    """Refuse a claimed empty file: a ``refused`` message, an event, the file removed.

    The refused message is stored first; if that raises, the caller's error path puts
    the file back for the sweep, like any intake failure.
    """
    actor = f"partner:{partner_id}"
    receipt = intake.receive(
        ReceivedPayload(
            b"",
            transport="sftp",
            partner_id=partner_id,
            filename=claimed.name,
            metadata={"path": virtual, "username": username, "size": "0"},
            actor=actor,
            refused=EMPTY_FILE,
        )
    )
    claimed.unlink(missing_ok=True)  # zero bytes: nothing is lost
    with contextlib.suppress(OSError):
        claimed.parent.rmdir()
    record(
        intake,
        "sftp.refused",
        f"upload {virtual!r} refused: {EMPTY_FILE} (0 bytes); not processed, removed",
        partner_id=partner_id,
        actor=actor,
        message_id=receipt.message_id,
        data={"username": username, "operation": "upload", "path": virtual, "reason": EMPTY_FILE},
    )
    return TakeResult(claimed.name, receipt=receipt, error=EMPTY_FILE, refused=EMPTY_FILE)


def upload_marker(base: Path, name: str) -> Path:
    """The marker of an inbox file being written under its final name."""
    return base / UPLOADING / name


def quarantine_unfinished(
    base: Path, partner_id: str, *, intake: Intake, busy: frozenset[Path] = frozenset()
) -> list[Path]:
    """Move inbox files whose upload never closed cleanly (a crash) to ``quarantine/``.

    A marker left in ``.uploading/`` names a file the server saw opened for writing but
    never saw closed; its bytes may be cut short, so it is never ingested: an operator
    decides (event ``sftp.quarantined``). Files still open (``busy``) are left alone.
    """
    moved: list[Path] = []
    folder = base / UPLOADING
    if not folder.is_dir():
        return moved
    for marker in sorted(folder.iterdir()):
        source = base / "inbox" / marker.name
        if source in busy:
            continue
        try:
            if source.is_file() and not source.is_symlink():
                target = move_unique(source, base / QUARANTINE, marker.name)
                moved.append(target)
                size = target.stat().st_size
                record(
                    intake,
                    "sftp.quarantined",
                    f"/inbox/{marker.name} was being uploaded when the server stopped "
                    f"({size} bytes, maybe cut short): moved to quarantine/{target.name}, "
                    "not processed",
                    partner_id=partner_id,
                    data={"path": f"/inbox/{marker.name}", "size": size,
                          "quarantined_as": str(target)},
                )  # fmt: skip
            marker.unlink(missing_ok=True)
        except OSError:
            log.exception("cannot quarantine %s for %s", source, partner_id)
    return moved


def take_pending(
    base: Path,
    partner_id: str,
    *,
    username: str,
    temp_suffix: str,
    intake: Intake,
    max_bytes: int,
    busy: frozenset[Path] = frozenset(),
    quarantine: bool = False,
) -> list[TakeResult]:
    """Take every finished file left in a partner's inbox (after errors or a crash).

    Files half-way through a take when the process died go back to the inbox first.
    ``busy`` names files some session still has open for writing; they are left alone,
    as are files with an upload marker. With ``quarantine`` (the sweep at start-up, when
    no session can be writing) marked files are moved to ``quarantine/`` first.
    """
    for claim_dir in sorted((base / TAKING).glob("*")):
        try:
            for leftover in claim_dir.iterdir():
                move_unique(leftover, base / "inbox", leftover.name)
            claim_dir.rmdir()
        except OSError:
            log.exception("cannot recover %s for %s", claim_dir, partner_id)
    if quarantine:
        quarantine_unfinished(base, partner_id, intake=intake, busy=busy)
    results = []
    for path in sorted((base / "inbox").iterdir()):
        if path in busy or not path.is_file() or path.is_symlink():
            continue
        if upload_marker(base, path.name).exists():
            continue  # being uploaded (or, before the start-up sweep, left unfinished)
        if temp_suffix and path.name.endswith(temp_suffix):
            continue
        try:
            result = take_file(
                base,
                partner_id,
                path,
                virtual=f"/inbox/{path.name}",
                username=username,
                intake=intake,
                max_bytes=max_bytes,
            )
        except OSError:
            log.exception("cannot take %s for %s", path, partner_id)
            continue
        if result is not None:
            results.append(result)
    return results

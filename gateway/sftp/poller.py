"""Polling partner-hosted SFTP servers: fetch what they have for us.

For each partner with an ``sftp.poll`` section: connect (host key pinned), list the
inbound folder, and for every finished file read it, hand it to the intake with its
name, size, mtime and SHA-256, and only then delete it or move it to the archive
folder. A file is finished when it has no temporary or hidden name and is stable: its
size and mtime are the same in the listing and in a stat after the read, at least
``settle_seconds`` later, and the bytes read are that size; a file still being written
in place is left for the next poll. A file that cannot be read (permission denied) or
is gone by the time we read it is recorded and passed over; the poll goes on with the
next one, and only a broken session ends it. A finished file that is empty is refused,
as the API and the hosted server refuse an empty upload: a ``refused`` message names it,
and it is then deleted or moved like a fetched file (``after_fetch``), with an
``sftp.poll.refused`` event saying so, so it is reported once rather than at every poll.
A crash between storing and removing fetches the file again next time; the intake's
duplicate check (``dedupe_key``: path, mtime and content hash) keeps that from being a
second delivery. Transient failures are retried
with exponential backoff; wrong host keys and refused logins are not. :func:`poll_all`
isolates partners from each other; Celery beat runs :func:`poll_partner` per partner
(see :func:`beat_schedule`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.intake import EMPTY_FILE, Intake, ReceivedPayload
from gateway.partners.profile import PartnerProfile
from gateway.partners.sftp import PollSettings
from gateway.sftp.errors import (
    FileTooLarge,
    HostKeyRefused,
    RemoteError,
    RemoteFileUnavailable,
    SftpError,
)
from gateway.sftp.events import log, record
from gateway.sftp.remote import RemoteFile, RemoteFolder, connect

POLL_TASK = "gateway.sftp.poll"
ACTOR = "system:sftp-poll"
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class FetchedFile:
    """One file taken from the partner's server."""

    path: str
    size: int
    mtime: int
    sha256: str
    message_id: int
    duplicate_of: int | None
    disposal: str  # "deleted", "moved to <path>", or "left: <reason>"


@dataclass(slots=True)
class PollResult:
    """What one poll of one partner did."""

    partner_id: str
    fetched: list[FetchedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # remote paths left there, with reason
    refused: list[str] = field(default_factory=list)  # remote paths refused (empty files)
    error: str | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """True when the poll ran to the end."""
        return self.error is None


class _IntakeFailed(Exception):
    """The intake raised: stop this poll, leave the file on the server."""


class _NotStable(Exception):
    """The file changed while we looked at it: leave it for the next poll."""

    def __init__(self, listed: RemoteFile, now: RemoteFile, read: int) -> None:
        super().__init__(
            f"{listed.path} is still being written (listed {listed.size} bytes, "
            f"mtime {listed.mtime}; read {read} bytes; now {now.size} bytes, mtime {now.mtime})"
        )
        self.listed = listed
        self.now = now
        self.read = read


class _Empty(Exception):
    """The file is finished (stable) and has no bytes: refuse it."""


def _settings(profile: PartnerProfile) -> PollSettings | None:
    return profile.sftp.poll if profile.sftp is not None else None


def _fetch_one(
    remote: RemoteFolder,
    remote_file: RemoteFile,
    settings: PollSettings,
    profile: PartnerProfile,
    intake: Intake,
) -> FetchedFile:
    data = remote.read(remote_file.path, settings.max_file_bytes)
    # the partner may still be writing under the final name: take the bytes only when
    # nothing moved between the listing and now (settle_seconds apart at least)
    now = remote.stat(remote_file.path)
    if (now.size, now.mtime) != (remote_file.size, remote_file.mtime) or len(data) != now.size:
        raise _NotStable(remote_file, now, len(data))
    if not data:
        raise _Empty(remote_file.path)
    sha256 = hashlib.sha256(data).hexdigest()
    payload = ReceivedPayload(
        data,
        transport="sftp-poll",
        partner_id=profile.id,
        filename=remote_file.name,
        metadata={
            "host": settings.host,
            "path": remote_file.path,
            "size": str(len(data)),
            "mtime": str(remote_file.mtime),
            "sha256": sha256,
        },
        actor=ACTOR,
        dedupe_key=f"{remote_file.path}:{remote_file.mtime}:{sha256}",
    )
    try:
        receipt = intake.receive(payload)
    except Exception as exc:
        raise _IntakeFailed(f"{type(exc).__name__}: {exc}") from exc
    # stored: only now may the remote copy go
    disposal = _dispose(remote, remote_file, settings)
    fetched = FetchedFile(
        remote_file.path,
        len(data),
        remote_file.mtime,
        sha256,
        receipt.message_id,
        receipt.duplicate_of,
        disposal,
    )
    record(
        intake,
        "sftp.poll.fetched",
        f"{remote_file.path} fetched from {settings.host} ({len(data)} bytes, {disposal})",
        partner_id=profile.id,
        actor=ACTOR,
        message_id=receipt.message_id,
        data={
            "host": settings.host,
            "path": remote_file.path,
            "size": len(data),
            "mtime": remote_file.mtime,
            "sha256": sha256,
            "disposal": disposal,
            "duplicate_of": receipt.duplicate_of,
        },
    )
    return fetched


def _dispose(remote: RemoteFolder, remote_file: RemoteFile, settings: PollSettings) -> str:
    """Delete or archive a remote file we have recorded; what became of it."""
    try:
        if settings.after_fetch == "move" and settings.archive_path:
            return f"moved to {remote.move(remote_file.path, settings.archive_path)}"
        remote.remove(remote_file.path)
        return "deleted"
    except RemoteError as exc:
        return f"left: {exc}"  # fetched again next time; the dedupe key stops it


def _refuse_empty(
    remote: RemoteFolder,
    remote_file: RemoteFile,
    settings: PollSettings,
    profile: PartnerProfile,
    intake: Intake,
) -> str:
    """An empty finished file: a ``refused`` message, then deleted or moved as a fetched
    file would be (it holds no bytes to lose), and an event naming file, partner and
    what became of it; its remote path."""
    try:
        receipt = intake.receive(
            ReceivedPayload(
                b"",
                transport="sftp-poll",
                partner_id=profile.id,
                filename=remote_file.name,
                metadata={
                    "host": settings.host,
                    "path": remote_file.path,
                    "size": "0",
                    "mtime": str(remote_file.mtime),
                },
                actor=ACTOR,
                refused=EMPTY_FILE,
            )
        )
    except Exception as exc:  # as for a fetched file: it stays on the server
        raise _IntakeFailed(f"{type(exc).__name__}: {exc}") from exc
    disposal = _dispose(remote, remote_file, settings)
    record(
        intake,
        "sftp.poll.refused",
        f"{remote_file.path} on {settings.host} refused: {EMPTY_FILE} (0 bytes), not processed; "
        f"{disposal}",
        partner_id=profile.id,
        actor=ACTOR,
        message_id=receipt.message_id,
        data={
            "host": settings.host,
            "path": remote_file.path,
            "mtime": remote_file.mtime,
            "reason": EMPTY_FILE,
            "disposal": disposal,
        },
    )
    return remote_file.path


def _poll_once(
    settings: PollSettings,
    profile: PartnerProfile,
    intake: Intake,
    base_dir: Path | None,
    result: PollResult,
    max_files: int,
    max_seconds: float,
) -> None:
    def skip(remote_file: RemoteFile, detail: str, **data: object) -> None:
        """Leave one file on the server this poll: ``sftp.poll.skipped`` says why."""
        result.skipped.append(remote_file.path)
        record(intake, "sftp.poll.skipped", detail, partner_id=profile.id, actor=ACTOR,
               data={"path": remote_file.path, "size": remote_file.size,
                     "mtime": remote_file.mtime, **data})  # fmt: skip

    with connect(settings, base_dir, max_seconds=max_seconds) as remote:
        listed_at = time.monotonic()
        for remote_file in remote.list_files(settings.inbound_path):
            if remote_file.name.startswith(".") or (
                settings.temp_suffix and remote_file.name.endswith(settings.temp_suffix)
            ):
                continue  # still being written by the partner (temporary or hidden name)
            if remote_file.path in result.skipped or remote_file.path in result.refused:
                continue
            if len(result.fetched) >= max_files:
                break  # the rest next time: one poll must not run for hours
            remote.check_deadline("polling")
            try:
                if remote_file.size > settings.max_file_bytes:
                    raise FileTooLarge(remote_file.path, settings.max_file_bytes)
                # one wait per poll: files further down the listing have settled meanwhile
                settle = listed_at + settings.settle_seconds - time.monotonic()
                if settle > 0:
                    time.sleep(settle)
                result.fetched.append(_fetch_one(remote, remote_file, settings, profile, intake))
            except _Empty:
                result.refused.append(_refuse_empty(remote, remote_file, settings, profile, intake))
            except FileTooLarge as exc:
                skip(remote_file, str(exc), reason="too large")
            except _NotStable as exc:
                skip(remote_file, str(exc), reason="still being written", read=exc.read,
                     size_now=exc.now.size, mtime_now=exc.now.mtime)  # fmt: skip
            except RemoteFileUnavailable as exc:
                # this file only (unreadable, or taken by someone else since the listing):
                # the files after it, oldest first, must not wait behind it for ever.
                # Recorded once per poll: result.skipped keeps a retry from reading it again
                skip(remote_file, f"{exc}; left there, the poll goes on",
                     reason="gone" if exc.missing else "unreadable", error=str(exc))  # fmt: skip


def poll_partner(
    profile: PartnerProfile,
    intake: Intake,
    *,
    base_dir: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_files: int = 500,
    max_seconds: float = 1800.0,
) -> PollResult:
    """Fetch the finished files (oldest first, at most ``max_files``) from one partner's
    server. Never raises for the partner's errors: they are in the result and events.

    ``base_dir`` resolves relative key paths (default: the profile's directory).
    ``max_seconds`` bounds each attempt's transfers; what is left waits for the next poll.
    """
    result = PollResult(profile.id)
    settings = _settings(profile)
    if settings is None:
        result.error = "the profile has no sftp.poll section"
        return result
    base_dir = base_dir if base_dir is not None else profile.base_dir
    delay = 1.0
    while True:
        result.attempts += 1
        result.error = None  # a retry that runs to the end is a poll that worked
        try:
            _poll_once(settings, profile, intake, base_dir, result, max_files, max_seconds)
            return result
        except HostKeyRefused as exc:
            result.error = str(exc)
            record(
                intake,
                "sftp.poll.host_key_mismatch",
                f"ALERT: {exc}",
                partner_id=profile.id,
                actor=ACTOR,
                data={"host": settings.host, "port": settings.port, "alert": True},
            )
            return result
        except _IntakeFailed as exc:
            result.error = f"intake failed: {exc}"
        except SftpError as exc:
            result.error = str(exc)
            if exc.transient and result.attempts <= settings.retries:
                log.info("poll of %s failed (%s); retry in %.0fs", profile.id, exc, delay)
                sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                continue
        record(
            intake,
            "sftp.poll.failed",
            f"poll of {settings.host} failed after {result.attempts} attempt(s): {result.error}",
            partner_id=profile.id,
            actor=ACTOR,
            data={"host": settings.host, "error": result.error, "attempts": result.attempts},
        )
        return result


def poll_all(
    profiles: Iterable[PartnerProfile],
    intake: Intake,
    *,
    max_workers: int = 4,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, PollResult]:
    """Poll every enabled partner with ``sftp.poll``, each on its own, in parallel.

    One partner's dead or slow server costs that partner's thread only; an unexpected
    exception becomes that partner's ``error``.
    """
    chosen = [p for p in profiles if p.enabled and _settings(p) is not None]
    results: dict[str, PollResult] = {}
    if not chosen:
        return results
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(chosen)))) as pool:
        futures = {p.id: pool.submit(poll_partner, p, intake, sleep=sleep) for p in chosen}
        for partner_id, future in futures.items():
            try:
                results[partner_id] = future.result()
            except Exception as exc:
                log.exception("poll of %s crashed", partner_id)
                results[partner_id] = PollResult(partner_id, error=f"{type(exc).__name__}: {exc}")
    return results


def beat_schedule(profiles: Iterable[PartnerProfile]) -> dict[str, dict[str, Any]]:
    """Celery beat entries: one ``gateway.sftp.poll`` task per polled partner.

    Each entry expires after its own interval so a backlog (worker down) does not pile
    up polls of the same partner.
    """
    schedule: dict[str, dict[str, Any]] = {}
    for profile in profiles:
        settings = _settings(profile)
        if not profile.enabled or settings is None:
            continue
        schedule[f"sftp-poll-{profile.id}"] = {
            "task": POLL_TASK,
            "schedule": float(settings.interval_seconds),
            "args": (profile.id,),
            "options": {"expires": float(settings.interval_seconds)},
        }
    return schedule

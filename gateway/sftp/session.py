"""One partner's SFTP session on the hosted server: paramiko's SFTP callbacks.

Every request is resolved through the partner's :class:`~gateway.sftp.jail.PartnerJail`
first. Writes are allowed only directly in ``inbox/``; the partner may read anywhere in
its three areas and remove files from ``inbox/`` and ``outbox/``. Creating directories
or symlinks is refused. A file written to ``inbox/`` is taken (handed to the intake)
when the client closes it, unless its name ends in the account's temporary suffix; a
rename of such a file to its final name takes it then. One name has one writer at a
time, server-wide (:class:`OpenWrites`): opening, renaming or removing a file another
handle is still writing is refused, so two uploads never mix and none is cut short or
replaced unseen. OS errors become SFTP status codes here, once; a refusal is also an
``sftp.refused`` event.
"""

from __future__ import annotations

import errno
import os
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
from paramiko.sftp import (
    CMD_CLOSE,
    CMD_NAME,
    CMD_REALPATH,
    SFTP_FAILURE,
    SFTP_NO_SUCH_FILE,
    SFTP_OK,
    SFTP_PERMISSION_DENIED,
    SFTPError,
)

from gateway.intake import Intake, ReceivedPayload
from gateway.partners.sftp import HostedAccount
from gateway.sftp.errors import PathRefused
from gateway.sftp.events import log, record
from gateway.sftp.jail import AREAS, PartnerJail, Resolved
from gateway.sftp.taking import TakeResult, take_file, upload_marker

# OpenSSH's own server refuses SFTP packets over 256 KiB; paramiko would accept 16 MiB
# per packet and per session, which a hostile client could use to pin memory.
MAX_PACKET_BYTES = 256 * 1024 + 1024
RECENTLY_TAKEN = 64  # per session
# open files per session: each holds a descriptor of the whole gateway process
MAX_OPEN_FILES = 64
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_BUSY = "the file is open for writing (an upload in progress); try again when it is closed"


class OpenWrites:
    """Inbox files some session holds for writing, server-wide: one writer per name.

    A name is claimed before the file is opened for writing (so a second session cannot
    truncate or interleave with an upload in progress), and while a rename moves a file
    in or out of it; the claim is released only after a finished upload has been taken,
    so neither a sweep nor another session ever sees the file between its close and its
    take.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: set[Path] = set()

    def claim(self, *paths: Path) -> bool:
        """Claim every one of ``paths`` at once; False (nothing claimed) if any is held."""
        with self._lock:
            if any(path in self._paths for path in paths):
                return False
            self._paths.update(paths)
            return True

    def release(self, *paths: Path) -> None:
        """Give up the claim on ``paths``."""
        with self._lock:
            self._paths.difference_update(paths)

    def snapshot(self) -> frozenset[Path]:
        """The paths claimed right now."""
        with self._lock:
            return frozenset(self._paths)


@dataclass(slots=True)
class SessionContext:
    """Who is logged in and what the session may use."""

    partner_id: str
    username: str
    account: HostedAccount
    base: Path
    intake: Intake
    open_writes: OpenWrites = field(default_factory=OpenWrites)
    jail: PartnerJail = field(init=False)
    open_files: int = 0
    # inbox path -> archived file, for clients that stat a file right after uploading
    # it (paramiko's put(confirm=True)) when it has already been taken
    recently_taken: OrderedDict[str, Path] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self.jail = PartnerJail(self.base)

    @property
    def actor(self) -> str:
        """The actor named in events."""
        return f"partner:{self.partner_id}"

    def event(self, kind: str, detail: str, **data: object) -> None:
        """Record an event for this partner."""
        record(
            self.intake,
            kind,
            detail,
            partner_id=self.partner_id,
            actor=self.actor,
            data={"username": self.username, **data},
        )

    def refused(self, operation: str, path: str, reason: str) -> int:
        """Record a refusal and return the status the client gets."""
        self.event(
            "sftp.refused",
            f"{operation} {path!r} refused: {reason}",
            operation=operation,
            path=path,
            reason=reason,
        )
        return SFTP_PERMISSION_DENIED

    def refuse_upload(self, path: str, reason: str, size: int) -> None:
        """An upload refused (size, name, area): a ``refused`` message an operator sees."""
        try:
            self.intake.receive(
                ReceivedPayload(
                    b"",
                    transport="sftp",
                    partner_id=self.partner_id,
                    filename=path.rsplit("/", 1)[-1][:255] or None,
                    metadata={"path": path[:1000], "username": self.username, "size": str(size)},
                    actor=self.actor,
                    refused=reason,
                )
            )
        except Exception:  # the event is already written; never fail the session for it
            log.exception("could not record the refused upload %s", path)

    def is_temporary(self, name: str) -> bool:
        """True for names of unfinished uploads (rename-into-place)."""
        suffix = self.account.temp_suffix
        return bool(suffix) and name.endswith(suffix)

    def take(self, resolved: Resolved) -> TakeResult | None:
        """Hand a finished inbox file to the intake."""
        try:
            result = take_file(
                self.base,
                self.partner_id,
                resolved.real,
                virtual=resolved.virtual,
                username=self.username,
                intake=self.intake,
                max_bytes=self.account.max_file_bytes,
            )
        except OSError as exc:
            # our disk, not the partner's fault: the file stays for the sweep to retry
            log.exception("cannot take %s for %s", resolved.real, self.partner_id)
            self.event(
                "sftp.take_failed",
                f"{resolved.virtual} was not taken ({exc})",
                path=resolved.virtual,
                error=str(exc),
            )
            return None
        if result is not None and result.archived_as is not None:
            self.recently_taken[resolved.virtual] = result.archived_as
            while len(self.recently_taken) > RECENTLY_TAKEN:
                self.recently_taken.popitem(last=False)
        return result


def _status(exc: OSError) -> int:
    return int(paramiko.SFTPServer.convert_errno(exc.errno or errno.EIO))


class GatewayHandle(paramiko.SFTPHandle):
    """An open file: positional reads and writes on a raw descriptor, size-limited."""

    def __init__(
        self, sftp: JailedSftp, fd: int, resolved: Resolved, *, writing: bool, reading: bool
    ) -> None:
        super().__init__()
        self.sftp = sftp
        self.fd: int | None = fd
        self.resolved = resolved
        self.writing = writing
        self.reading = reading
        self.failed = False
        self.refused: str | None = None  # why the finished upload was refused (empty)
        self.marked = False  # an upload marker says this file is not finished yet
        self.claimed = writing  # the name is ours (OpenWrites) until released
        self.bytes_read = 0
        self.bytes_written = 0

    def read(self, offset: int, length: int) -> bytes | int:
        """Read up to ``length`` bytes at ``offset``."""
        if self.fd is None or not self.reading:
            return SFTP_PERMISSION_DENIED
        try:
            data = os.pread(self.fd, min(length, MAX_PACKET_BYTES), offset)
        except OSError as exc:
            return _status(exc)
        self.bytes_read += len(data)
        return data

    def write(self, offset: int, data: bytes) -> int:  # type: ignore[override]
        """Write at ``offset``; past the partner's size limit the upload is dropped."""
        if self.fd is None or not self.writing or self.failed:
            return SFTP_FAILURE
        ctx = self.sftp.ctx
        limit = ctx.account.max_file_bytes
        if offset + len(data) > limit:
            self.failed = True
            self._discard()
            reason = f"file larger than {limit} bytes"
            ctx.refused("write", self.resolved.virtual, reason)
            ctx.refuse_upload(self.resolved.virtual, reason, offset + len(data))
            return SFTP_FAILURE
        try:
            os.pwrite(self.fd, data, offset)
        except OSError as exc:
            return _status(exc)
        self.bytes_written += len(data)
        return SFTP_OK

    def stat(self) -> paramiko.SFTPAttributes | int:
        """Attributes of the open file."""
        if self.fd is None:
            return SFTP_FAILURE
        try:
            return paramiko.SFTPAttributes.from_stat(os.fstat(self.fd))
        except OSError as exc:
            return _status(exc)

    def chattr(self, attr: paramiko.SFTPAttributes) -> int:
        """Accepted and ignored: the gateway owns modes and times of partner files."""
        return SFTP_OK

    def _discard(self) -> None:
        """Drop a refused upload: close and remove the partial file."""
        self._close_fd()
        self.resolved.real.unlink(missing_ok=True)
        self._clear_marker()
        self._release()

    def _release(self) -> None:
        """Let other sessions write this name again (after the take, if any)."""
        if self.claimed:
            self.sftp.ctx.open_writes.release(self.resolved.real)
            self.claimed = False

    def _clear_marker(self) -> None:
        if self.marked:
            upload_marker(self.sftp.ctx.base, self.resolved.real.name).unlink(missing_ok=True)
            self.marked = False

    def _close_fd(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            self.sftp.ctx.open_files -= 1

    def close(self) -> None:
        """Close; a finished inbox upload is taken, a download is recorded."""
        was_open = self.fd is not None
        ctx = self.sftp.ctx
        name = self.resolved.real.name
        clean = self.writing and was_open and not self.failed and not self.sftp.ending
        if clean:
            self._clear_marker()  # before the file stops being busy: a sweep never sees
            # it unmarked-but-open or marked-but-closed
        self._close_fd()
        try:
            if self.writing and was_open and not self.failed:
                if self.sftp.ending:
                    # the connection dropped with the file open: it may be incomplete
                    if not ctx.is_temporary(name):
                        self.resolved.real.unlink(missing_ok=True)
                    self._clear_marker()
                    ctx.event(
                        "sftp.upload_aborted",
                        f"{self.resolved.virtual} left open when the session ended",
                        path=self.resolved.virtual,
                        size=self.bytes_written,
                    )
                elif not ctx.is_temporary(name):
                    taken = ctx.take(self.resolved)
                    if taken is not None and taken.refused is not None:
                        self.refused = taken.refused  # the CLOSE fails with it
            elif self.reading and not self.writing and was_open:
                ctx.event(
                    "sftp.download",
                    f"{self.resolved.virtual} downloaded",
                    path=self.resolved.virtual,
                    size=self.bytes_read,
                )
        finally:
            self._release()  # only now may another session write this name


class JailedSftp(paramiko.SFTPServerInterface):
    """paramiko's SFTP callbacks over one partner's root."""

    def __init__(self, server: Any, *args: object, **kwargs: object) -> None:
        super().__init__(server, *args, **kwargs)
        context = getattr(server, "context", None)
        if not isinstance(context, SessionContext):
            raise TypeError("SFTP subsystem started without an authenticated partner")
        self.ctx = context
        self.ending = False

    def session_ended(self) -> None:
        """Mark the end so handles closed now are treated as aborted uploads."""
        self.ending = True

    def _resolve(self, operation: str, path: str) -> Resolved | int:
        try:
            return self.ctx.jail.resolve(path)
        except PathRefused as exc:
            return self.ctx.refused(operation, path, exc.reason)

    # ---- files -------------------------------------------------------------
    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> Any:
        """Open a file: read in any area, write only directly in ``inbox/``."""
        resolved = self._resolve("open", path)
        if isinstance(resolved, int):
            return resolved
        writing = bool(flags & _WRITE_FLAGS)
        reading = not (flags & os.O_WRONLY)
        if resolved.is_root:
            return self.ctx.refused("open", path, "the root is not a file")
        if writing and (
            resolved.area != "inbox" or resolved.real.parent != self.ctx.jail.base / "inbox"
        ):
            self.ctx.refuse_upload(path, "uploads go directly into inbox/", 0)
            return self.ctx.refused("write", path, "uploads go directly into inbox/")
        if self.ctx.open_files >= MAX_OPEN_FILES:
            return self.ctx.refused("open", path, f"more than {MAX_OPEN_FILES} files open")
        # before the open, which may truncate: never two writers of one name
        if writing and not self.ctx.open_writes.claim(resolved.real):
            return self.ctx.refused("write", path, _BUSY)
        try:
            fd = os.open(resolved.real, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
        except OSError as exc:
            if writing:
                self.ctx.open_writes.release(resolved.real)
            return _status(exc)
        self.ctx.open_files += 1
        handle = GatewayHandle(self, fd, resolved, writing=writing, reading=reading)
        if writing and not self.ctx.is_temporary(resolved.real.name):
            # until a clean close removes it, the marker says "not finished": after a
            # crash the sweep quarantines the file instead of taking it
            try:
                upload_marker(self.ctx.base, resolved.real.name).touch()
                handle.marked = True
            except OSError as exc:
                handle.failed = True  # nothing uploaded yet: closed, not taken
                handle.close()
                return _status(exc)
        return handle

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        """List a folder; the root shows the three areas only."""
        resolved = self._resolve("list", path)
        if isinstance(resolved, int):
            return resolved
        names: list[str] | None = list(AREAS) if resolved.is_root else None
        try:
            if names is None:
                names = sorted(os.listdir(resolved.real))
            return [
                paramiko.SFTPAttributes.from_stat(os.lstat(resolved.real / name), name)
                for name in names
                if (resolved.real / name).exists() or (resolved.real / name).is_symlink()
            ]
        except OSError as exc:
            return _status(exc)

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        """Attributes of a path (symlinks already resolved inside the jail)."""
        resolved = self._resolve("stat", path)
        if isinstance(resolved, int):
            return resolved
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(resolved.real))
        except FileNotFoundError as exc:
            taken = self.ctx.recently_taken.get(resolved.virtual)
            if taken is not None and taken.exists():
                return paramiko.SFTPAttributes.from_stat(os.stat(taken))
            return _status(exc)
        except OSError as exc:
            return _status(exc)

    lstat = stat

    def remove(self, path: str) -> int:
        """Remove a file from ``inbox/`` or ``outbox/`` (not from ``archive/``)."""
        resolved = self._resolve("remove", path)
        if isinstance(resolved, int):
            return resolved
        if resolved.area not in ("inbox", "outbox"):
            return self.ctx.refused("remove", path, "only inbox/ and outbox/ files")
        if not self.ctx.open_writes.claim(resolved.real):
            return self.ctx.refused("remove", path, _BUSY)
        try:
            os.unlink(resolved.real)
        except OSError as exc:
            return _status(exc)
        finally:
            self.ctx.open_writes.release(resolved.real)
        self.ctx.event("sftp.remove", f"{resolved.virtual} removed", path=resolved.virtual)
        return SFTP_OK

    def rename(self, oldpath: str, newpath: str) -> int:
        """SFTP v3 rename: inside ``inbox/`` only, never over an existing file."""
        return self._rename(oldpath, newpath, replace=False)

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        """OpenSSH's posix-rename: like rename, but replaces an existing target."""
        return self._rename(oldpath, newpath, replace=True)

    def _rename(self, oldpath: str, newpath: str, *, replace: bool) -> int:
        old = self._resolve("rename", oldpath)
        if isinstance(old, int):
            return old
        new = self._resolve("rename", newpath)
        if isinstance(new, int):
            return new
        inbox = self.ctx.jail.base / "inbox"
        if old.real.parent != inbox or new.real.parent != inbox:
            return self.ctx.refused("rename", f"{oldpath} -> {newpath}", "only within inbox/")
        # neither name may be mid-upload (a rename of an open file would hand over a
        # part of it; one over it would drop another session's upload), nor become so
        # before the renamed file is taken
        names = {old.real, new.real}
        if not self.ctx.open_writes.claim(*names):
            return self.ctx.refused("rename", f"{oldpath} -> {newpath}", _BUSY)
        try:
            try:
                if replace:
                    os.rename(old.real, new.real)
                else:
                    os.link(old.real, new.real)  # fails if the target exists, atomically
                    os.unlink(old.real)
            except FileNotFoundError:
                return SFTP_NO_SUCH_FILE
            except FileExistsError:
                return SFTP_FAILURE
            except OSError as exc:
                return _status(exc)
            if not self.ctx.is_temporary(new.real.name):
                taken = self.ctx.take(new)
                if taken is not None and taken.refused is not None:
                    return SFTP_FAILURE  # renamed into place, then refused (empty)
            return SFTP_OK
        finally:
            self.ctx.open_writes.release(*names)

    def canonicalize(self, path: str) -> str | int:  # type: ignore[override]
        """The normalised path as the partner sees it; refused when it leaves the root."""
        resolved = self._resolve("realpath", path)
        return resolved if isinstance(resolved, int) else resolved.virtual

    # ---- refused outright ---------------------------------------------------
    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        """Partners cannot create folders."""
        return self.ctx.refused("mkdir", path, "folders are fixed")

    def rmdir(self, path: str) -> int:
        """Partners cannot remove folders."""
        return self.ctx.refused("rmdir", path, "folders are fixed")

    def symlink(self, target_path: str, path: str) -> int:
        """Partners cannot create symlinks."""
        return self.ctx.refused("symlink", f"{path} -> {target_path}", "symlinks are not allowed")

    def readlink(self, path: str) -> str | int:
        """Link targets are not shown (they are server paths)."""
        return self.ctx.refused("readlink", path, "symlinks are not shown")

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        """Accepted and ignored (``put -p``): the gateway owns modes and times."""
        resolved = self._resolve("setstat", path)
        return resolved if isinstance(resolved, int) else SFTP_OK


class GatewaySftpServer(paramiko.SFTPServer):
    """paramiko's SFTP subsystem with a packet-size cap and refusable realpath."""

    def _read_packet(self) -> tuple[int, bytes]:
        header = self._read_all(4)  # type: ignore[attr-defined]
        (size,) = struct.unpack(">I", header)
        if size > MAX_PACKET_BYTES:
            raise SFTPError(f"SFTP packet of {size} bytes refused")
        data = self._read_all(size)  # type: ignore[attr-defined]
        return (data[0], data[1:]) if size else (0, b"")

    def _process(self, t: int, request_number: int, msg: paramiko.Message) -> None:
        if t == CMD_CLOSE:
            # paramiko answers every CLOSE with OK; an upload dropped for its size, or
            # refused when closed (empty), must fail there too, or clients that
            # pipeline writes (put) report success
            raw = msg.get_binary()
            handle = self.file_table.get(raw)
            if isinstance(handle, GatewayHandle):
                too_large = handle.failed
                handle.close()
                del self.file_table[raw]
                if too_large or handle.refused is not None:
                    why = "file too large" if too_large else handle.refused
                    self._send_status(  # type: ignore[attr-defined]
                        request_number, SFTP_FAILURE, f"upload refused: {why}"
                    )
                else:
                    self._send_status(request_number, SFTP_OK)  # type: ignore[attr-defined]
                return
            msg = paramiko.Message()  # the handle again, for paramiko's own CLOSE
            msg.add_string(raw)
            msg.rewind()
        if t == CMD_REALPATH:
            # paramiko expects a string back; a refusal must reach the client as a status
            result = self.server.canonicalize(msg.get_text())
            if isinstance(result, int):
                self._send_status(request_number, result)
            else:
                attrs = paramiko.SFTPAttributes()
                self._response(request_number, CMD_NAME, 1, result, "", attrs)  # type: ignore[attr-defined]
            return
        super()._process(t, request_number, msg)  # type: ignore[misc]

"""Client side: a connection to a partner-hosted SFTP server, errors mapped once.

The server's host key must be the one pinned in the profile. The SSH client gets no
known_hosts of its own, so every key reaches :class:`PinnedHostKeyPolicy`, which accepts
only the pinned key and raises otherwise: nothing is ever added automatically. All
paramiko, socket and OS errors leave this module as :mod:`gateway.sftp.errors` types.
"""

from __future__ import annotations

import posixpath
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import paramiko
from paramiko.ssh_exception import IncompatiblePeer
from paramiko.transport import Transport

from gateway.partners.sftp import PollSettings
from gateway.sftp.errors import (
    AuthenticationFailed,
    ConnectFailed,
    FileTooLarge,
    HostKeyRefused,
    RemoteError,
    RemoteFileError,
    RemoteFileUnavailable,
    SftpConfigError,
)
from gateway.sftp.keys import PinnedHostKey, key_fingerprint, load_private_key

_CHUNK = 32768


class PinnedHostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Accept the pinned server key and nothing else; never add keys anywhere."""

    def __init__(self, pinned: PinnedHostKey) -> None:
        self.pinned = pinned
        self.presented: str | None = None

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        self.presented = key_fingerprint(key)
        if not self.pinned.matches(key):
            raise HostKeyRefused(
                f"host key of {hostname} is {self.presented}, "
                f"but the profile pins {self.pinned.fingerprint}"
            )


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A regular file in a remote folder."""

    path: str
    name: str
    size: int
    mtime: int


def _io_error(action: str, path: str, exc: OSError) -> RemoteFileError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, FileNotFoundError | PermissionError):
        # ENOENT/EACCES from the server will not change on retry; anything else may
        missing = isinstance(exc, FileNotFoundError)
        return RemoteFileUnavailable(f"{action} {path}: {reason}", path=path, missing=missing)
    return RemoteFileError(f"{action} {path}: {reason}", transient=True)


class RemoteFolder:
    """The SFTP operations the poller and sender use, with mapped errors."""

    def __init__(
        self, sftp: paramiko.SFTPClient, host: str, *, deadline: float | None = None
    ) -> None:
        self.sftp = sftp
        self.host = host
        # time.monotonic() after which a transfer stops: a server that drips bytes just
        # under the socket timeout must not hold a worker for hours
        self.deadline = deadline

    def check_deadline(self, doing: str) -> None:
        """Raise when the session's time is up."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            # not retried at once: the next scheduled poll carries on
            raise RemoteFileError(f"{self.host}: time limit reached while {doing}")

    def list_files(self, folder: str) -> list[RemoteFile]:
        """Regular files directly in ``folder``, oldest first."""
        try:
            entries = self.sftp.listdir_attr(folder)
        except OSError as exc:
            raise _io_error("list", folder, exc) from exc
        except (paramiko.SSHException, EOFError) as exc:
            raise ConnectFailed(f"{self.host}: connection lost listing {folder}: {exc}") from exc
        files = [
            RemoteFile(
                posixpath.join(folder, entry.filename),
                entry.filename,
                entry.st_size or 0,
                int(entry.st_mtime or 0),
            )
            for entry in entries
            if entry.st_mode is not None and stat.S_ISREG(entry.st_mode)
        ]
        return sorted(files, key=lambda f: (f.mtime, f.name))

    def stat(self, path: str) -> RemoteFile:
        """Size and modification time of one remote file, as the listing gives them."""
        try:
            attrs = self.sftp.stat(path)
        except OSError as exc:
            raise _io_error("stat", path, exc) from exc
        except (paramiko.SSHException, EOFError) as exc:
            raise ConnectFailed(f"{self.host}: connection lost on stat {path}: {exc}") from exc
        return RemoteFile(
            path, posixpath.basename(path), attrs.st_size or 0, int(attrs.st_mtime or 0)
        )

    def read(self, path: str, limit: int) -> bytes:
        """The whole file, refusing more than ``limit`` bytes (it may grow while read)."""
        chunks: list[bytes] = []
        total = 0
        try:
            with self.sftp.open(path, "rb") as handle:
                handle.prefetch()
                while True:
                    chunk = handle.read(_CHUNK)
                    if not chunk:
                        break
                    total += len(chunk)
                    self.check_deadline(f"reading {path}")
                    if total > limit:
                        raise FileTooLarge(path, limit)
                    chunks.append(chunk)
        except OSError as exc:
            raise _io_error("read", path, exc) from exc
        except (paramiko.SSHException, EOFError) as exc:
            raise ConnectFailed(f"{self.host}: connection lost reading {path}: {exc}") from exc
        return b"".join(chunks)

    def remove(self, path: str) -> None:
        """Remove a remote file."""
        self._call("remove", path, lambda: self.sftp.remove(path))

    def move(self, path: str, folder: str) -> str:
        """Move a remote file into ``folder`` (replacing a file of that name); new path."""
        target = posixpath.join(folder, posixpath.basename(path))
        self._call("move", path, lambda: self._rename(path, target, replace=True))
        return target

    def put_atomic(self, folder: str, name: str, data: bytes, temp_suffix: str) -> str:
        """Upload under a temporary name, then rename into place; the final path."""
        final = posixpath.join(folder, name)
        temp = final + (temp_suffix or ".part")

        def upload() -> None:
            try:
                with self.sftp.open(temp, "wb") as handle:
                    handle.set_pipelined(True)
                    handle.write(data)
                self._rename(temp, final, replace=True)
            except BaseException:
                # best effort: do not leave a half file behind for the partner to wonder at
                with suppress(OSError, paramiko.SSHException, EOFError):
                    self.sftp.remove(temp)
                raise

        self._call("upload", final, upload)
        return final

    def _rename(self, source: str, target: str, *, replace: bool) -> None:
        try:
            self.sftp.posix_rename(source, target)
        except OSError:
            # servers without posix-rename: plain rename refuses an existing target
            if replace:
                try:
                    self.sftp.stat(target)
                except OSError:
                    pass
                else:
                    self.sftp.remove(target)
            self.sftp.rename(source, target)

    def _call(self, action: str, path: str, operation: Callable[[], object]) -> None:
        try:
            operation()
        except OSError as exc:
            raise _io_error(action, path, exc) from exc
        except (paramiko.SSHException, EOFError) as exc:
            raise ConnectFailed(
                f"{self.host}: connection lost during {action} {path}: {exc}"
            ) from exc


def _credentials(settings: PollSettings, base_dir: Path | None) -> dict[str, object]:
    found: dict[str, object] = {}
    try:
        if settings.private_key is not None:
            data = settings.private_key.resolve(base_dir)
            found["pkey"] = load_private_key(data, name=settings.private_key.describe())
        if settings.password is not None:
            found["password"] = settings.password.resolve(base_dir).decode().rstrip("\r\n")
    except LookupError as exc:
        raise SftpConfigError(str(exc)) from exc
    if not found:
        raise SftpConfigError("the poll settings give neither private_key nor password")
    return found


@contextmanager
def connect(
    settings: PollSettings, base_dir: Path | None = None, *, max_seconds: float | None = None
) -> Iterator[RemoteFolder]:
    """Open an SFTP session to the partner's server, host key checked against the pin.

    ``max_seconds`` bounds the whole session's transfers (checked between chunks).
    """
    deadline = time.monotonic() + max_seconds if max_seconds is not None else None
    pinned = PinnedHostKey.parse(settings.host_key)
    credentials = _credentials(settings, base_dir)
    client = paramiko.SSHClient()
    policy = PinnedHostKeyPolicy(pinned)
    client.set_missing_host_key_policy(policy)
    algorithms = pinned.host_key_algorithms()
    disabled = None
    if algorithms is not None:
        offered: tuple[str, ...] = Transport._preferred_keys  # type: ignore[attr-defined]
        others = [k for k in offered if k not in algorithms]
        disabled = {"keys": others}
    try:
        client.connect(
            settings.host,
            port=settings.port,
            username=settings.username,
            timeout=settings.timeout_seconds,
            banner_timeout=settings.timeout_seconds,
            auth_timeout=settings.timeout_seconds,
            channel_timeout=settings.timeout_seconds,
            allow_agent=False,
            look_for_keys=False,
            disabled_algorithms=disabled,
            **credentials,  # type: ignore[arg-type]
        )
        sftp = client.open_sftp()
        channel = sftp.get_channel()
        if channel is not None:
            channel.settimeout(settings.timeout_seconds)
    except RemoteError:
        client.close()
        raise
    except IncompatiblePeer as exc:
        client.close()
        if algorithms is not None and "host key" in str(exc):
            # we only offered the pinned key type: the server does not have that key
            refused = f"{settings.host} has no {pinned.key_type} host key (the pinned type)"
            raise HostKeyRefused(refused) from exc
        raise ConnectFailed(f"{settings.host}:{settings.port}: {exc}") from exc
    except paramiko.AuthenticationException as exc:
        client.close()
        raise AuthenticationFailed(
            f"{settings.host}: login as {settings.username} refused"
        ) from exc
    except (paramiko.SSHException, EOFError, OSError) as exc:
        client.close()
        raise ConnectFailed(
            f"{settings.host}:{settings.port}: {exc or type(exc).__name__}"
        ) from exc
    try:
        yield RemoteFolder(sftp, settings.host, deadline=deadline)
    except TimeoutError as exc:
        raise ConnectFailed(f"{settings.host}: timed out: {exc}") from exc
    finally:
        client.close()

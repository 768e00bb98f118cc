"""The SFTP package's exception tree.

::

    SftpError                      base of everything raised by gateway.sftp
    ├── SftpConfigError            profile or key material unusable (ours to fix; permanent)
    ├── PathRefused                a partner path leaves its root or touches a closed area
    ├── FileTooLarge               a file exceeds the partner's max_file_bytes
    └── RemoteError                talking to a partner-hosted server failed
        ├── ConnectFailed          socket, timeout, SSH negotiation (transient: retry)
        ├── HostKeyRefused         the server's key is not the pinned one (permanent, alert)
        ├── AuthenticationFailed   our key/password was refused (permanent)
        └── RemoteFileError        an SFTP operation on the remote side failed
            └── RemoteFileUnavailable  one remote file gone or unreadable (skipped)

paramiko, socket and OS errors are mapped into this tree once, where they happen
(:mod:`gateway.sftp.remote` for the client side, :mod:`gateway.sftp.session` for the
server side), always with ``raise ... from exc``. Every class carries ``transient``
(whether a retry may succeed) and ``sftp_status`` (the SFTP status code a partner sees
when the error ends one of its requests on our server).
"""

from __future__ import annotations

from paramiko.sftp import SFTP_FAILURE, SFTP_PERMISSION_DENIED


class SftpError(Exception):
    """Base of the SFTP package's errors."""

    transient: bool = False
    sftp_status: int = SFTP_FAILURE


class SftpConfigError(SftpError):
    """The profile's SFTP section or a key it names cannot be used."""


class PathRefused(SftpError):
    """A partner asked for a path outside its root or in an area it may not touch."""

    sftp_status = SFTP_PERMISSION_DENIED

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"path {path!r} refused: {reason}")
        self.path = path
        self.reason = reason


class FileTooLarge(SftpError):
    """A file is larger than the partner's ``max_file_bytes``."""

    def __init__(self, path: str, limit: int) -> None:
        super().__init__(f"file {path!r} exceeds the limit of {limit} bytes")
        self.path = path
        self.limit = limit


class RemoteError(SftpError):
    """Talking to a partner-hosted SFTP server failed."""


class ConnectFailed(RemoteError):
    """The server could not be reached or the SSH session broke; a retry may succeed."""

    transient = True


class HostKeyRefused(RemoteError):
    """The server presented a host key other than the one pinned in the profile."""


class AuthenticationFailed(RemoteError):
    """The server refused our credentials."""


class RemoteFileError(RemoteError):
    """An SFTP operation (list, read, write, rename, remove) failed on the server."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class RemoteFileUnavailable(RemoteFileError):
    """One remote path is gone (no such file) or may not be read (permission denied).

    Permanent, and about that path only: the session is fine, so the poller records it
    and goes on with the next file (raised by :mod:`gateway.sftp.remote`).
    """

    def __init__(self, message: str, *, path: str, missing: bool) -> None:
        super().__init__(message, transient=False)
        self.path = path
        self.missing = missing  # True: no such file; False: permission denied

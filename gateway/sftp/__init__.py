"""SFTP transport: the hosted server partners log in to, and the poller for
partner-hosted servers.

Modules: :mod:`.server` (listener, logins), :mod:`.session` (a partner's SFTP requests),
:mod:`.jail` (path confinement), :mod:`.taking` (uploads to the intake, archive),
:mod:`.outbox` (files for partners to download), :mod:`.accounts` (accounts from
profiles), :mod:`.keys` (key parsing, host key, pins), :mod:`.remote` (client
connection with pinned host key), :mod:`.poller` (fetch schedule), :mod:`.sender`
(upload to partner servers), :mod:`.events` (event kinds). Errors: :mod:`.errors`
documents the exception tree; paramiko and socket errors are mapped there once.
"""

from gateway.sftp.accounts import hosted_accounts
from gateway.sftp.errors import (
    AuthenticationFailed,
    ConnectFailed,
    FileTooLarge,
    HostKeyRefused,
    PathRefused,
    RemoteError,
    RemoteFileError,
    SftpConfigError,
    SftpError,
)
from gateway.sftp.jail import ensure_partner_dirs
from gateway.sftp.outbox import HostedOutbox
from gateway.sftp.poller import FetchedFile, PollResult, beat_schedule, poll_all, poll_partner
from gateway.sftp.sender import RemoteSftpSender
from gateway.sftp.server import SftpServer

__all__ = [
    "AuthenticationFailed",
    "ConnectFailed",
    "FetchedFile",
    "FileTooLarge",
    "HostKeyRefused",
    "HostedOutbox",
    "PathRefused",
    "PollResult",
    "RemoteError",
    "RemoteFileError",
    "RemoteSftpSender",
    "SftpConfigError",
    "SftpError",
    "SftpServer",
    "beat_schedule",
    "ensure_partner_dirs",
    "hosted_accounts",
    "poll_all",
    "poll_partner",
]

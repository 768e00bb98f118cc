"""Building the hosted server from the gateway's settings and profiles."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from gateway.intake import Intake
from gateway.partners.profile import PartnerProfile
from gateway.settings import Settings
from gateway.sftp.accounts import hosted_accounts
from gateway.sftp.outbox import HostedOutbox
from gateway.sftp.server import SftpServer


def host_key_path(settings: Settings) -> Path:
    """Where the hosted server's host key is kept (created on first start)."""
    return settings.data_dir / "sftp_host_ed25519"


def build_server(
    settings: Settings,
    profiles: Callable[[], Iterable[PartnerProfile]],
    intake: Intake,
) -> SftpServer:
    """The hosted server on ``EDIGW_SFTP_HOST``/``EDIGW_SFTP_PORT`` over ``sftp_root``.

    ``profiles`` returns the current profiles; it is read on every login, so reloads
    apply to the next login.
    """
    return SftpServer(
        settings.sftp_host,
        settings.sftp_port,
        settings.sftp_root,
        host_key_path(settings),
        lambda: hosted_accounts(profiles()),
        intake,
    )


def build_outbox(settings: Settings, intake: Intake | None = None) -> HostedOutbox:
    """The outbound sender that drops files in partners' ``outbox/`` folders."""
    return HostedOutbox(settings.sftp_root, intake=intake)

"""Sending files to partner-hosted SFTP servers (acknowledgements, documents)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gateway.intake import Intake, PermanentSendError, TransientSendError
from gateway.partners.profile import PartnerProfile
from gateway.sftp.errors import HostKeyRefused, SftpError
from gateway.sftp.events import record
from gateway.sftp.outbox import check_filename
from gateway.sftp.remote import connect


class RemoteSftpSender:
    """An :class:`~gateway.intake.OutboundSender` uploading into the partner's
    ``sftp.poll.outbound_path``: written under a temporary name, then renamed, so the
    partner never picks up half a file.

    ``profiles`` looks a partner up by id (the current profiles, so reloads apply).
    Transient errors raise :class:`TransientSendError` (the pipeline retries); a wrong
    host key, refused login, missing configuration or refused path raise
    :class:`PermanentSendError`.
    """

    def __init__(
        self,
        profiles: Callable[[str], PartnerProfile | None],
        intake: Intake | None = None,
        *,
        base_dir: Path | None = None,
    ) -> None:
        self.profiles = profiles
        self.intake = intake
        self.base_dir = base_dir

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        """Upload the file; return its remote path."""
        profile = self.profiles(partner_id)
        settings = profile.sftp.poll if profile and profile.sftp else None
        if profile is None or settings is None:
            raise PermanentSendError(f"partner {partner_id!r} has no sftp.poll settings")
        try:
            check_filename(filename)
        except ValueError as exc:
            raise PermanentSendError(str(exc)) from exc
        base_dir = self.base_dir if self.base_dir is not None else profile.base_dir
        try:
            with connect(settings, base_dir) as remote:
                path = remote.put_atomic(
                    settings.outbound_path, filename, data, settings.temp_suffix
                )
        except HostKeyRefused as exc:
            self._event(
                partner_id,
                "sftp.poll.host_key_mismatch",
                f"ALERT: {exc}",
                {"host": settings.host, "alert": True},
            )
            raise PermanentSendError(str(exc)) from exc
        except SftpError as exc:
            error = TransientSendError if exc.transient else PermanentSendError
            raise error(f"SFTP upload of {filename} to {settings.host}: {exc}") from exc
        self._event(
            partner_id,
            "sftp.sent",
            f"{kind} {filename} uploaded to {settings.host}:{path} ({len(data)} bytes)",
            {"host": settings.host, "path": path, "kind": kind, "size": len(data)},
        )
        return path

    def _event(self, partner_id: str, kind: str, detail: str, data: dict[str, object]) -> None:
        if self.intake is not None:
            record(self.intake, kind, detail, partner_id=partner_id, data=data)

"""The SFTP section of a partner profile: hosted account and/or partner-hosted server."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gateway.partners.common import SecretRef, StrictModel


class HostedAccount(StrictModel):
    """The partner logs in to our SFTP server."""

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    authorized_keys: list[str] = Field(default_factory=list)  # OpenSSH public key lines
    password: SecretRef | None = None  # off unless given
    temp_suffix: str = ".part"
    max_file_bytes: int = Field(default=100 * 1024 * 1024, gt=0)


class PollSettings(StrictModel):
    """We log in to the partner's SFTP server on a schedule."""

    host: str
    port: int = Field(default=22, ge=1, le=65535)
    username: str
    private_key: SecretRef | None = None
    password: SecretRef | None = None
    host_key: str  # pinned: a known_hosts line, or a SHA256:... fingerprint
    inbound_path: str = "outbound"  # remote directory we fetch from
    outbound_path: str = "inbound"  # remote directory we upload to
    interval_seconds: int = Field(default=300, ge=5)
    after_fetch: Literal["delete", "move"] = "delete"
    archive_path: str | None = None  # remote directory when after_fetch == "move"
    temp_suffix: str = ".part"
    timeout_seconds: float = 30.0
    retries: int = Field(default=3, ge=0, le=20)
    max_file_bytes: int = Field(default=100 * 1024 * 1024, gt=0)


class SftpSettings(StrictModel):
    """Either or both ways of exchanging files with this partner over SFTP."""

    hosted: HostedAccount | None = None
    poll: PollSettings | None = None

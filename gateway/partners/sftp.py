"""The SFTP section of a partner profile: hosted account and/or partner-hosted server."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from gateway.partners.common import SecretRef, StrictModel

_HOST_KEY_TYPES = frozenset(
    {"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"}
)


class HostedAccount(StrictModel):
    """The partner logs in to our SFTP server."""

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    # OpenSSH public key lines ("ssh-ed25519 AAAA... comment") or paths to .pub files
    # (relative to the profile's directory; a missing file only disables that key)
    authorized_keys: list[str] = Field(default_factory=list)
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
    # a file is taken only when its size and mtime stayed the same for this long (from
    # the listing to a stat after reading it): partners writing in place are not cut short
    settle_seconds: float = Field(default=2.0, ge=0, le=300)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=3, ge=0, le=20)
    max_file_bytes: int = Field(default=100 * 1024 * 1024, gt=0)

    @field_validator("host_key")
    @classmethod
    def _pinned(cls, value: str) -> str:
        # the full check (base64, key blob) is gateway.sftp.keys.PinnedHostKey; here
        # only the shape, so a profile without a usable pin fails at load
        text = value.strip()
        if text.startswith("SHA256:") and len(text) >= 50:
            return text
        if any(part in _HOST_KEY_TYPES for part in text.split()[:2]):
            return text
        raise ValueError(
            "give a known_hosts line ('host ssh-ed25519 AAAA...') or a 'SHA256:...' "
            "fingerprint (ssh-keygen -lf key.pub); host keys are never trusted on first use"
        )

    @model_validator(mode="after")
    def _archive_named(self) -> PollSettings:
        if self.after_fetch == "move":
            if not self.archive_path:
                raise ValueError("after_fetch: move needs archive_path")
            if self.archive_path.rstrip("/") == self.inbound_path.rstrip("/"):
                raise ValueError("archive_path must differ from inbound_path")
        return self


class SftpSettings(StrictModel):
    """Either or both ways of exchanging files with this partner over SFTP."""

    hosted: HostedAccount | None = None
    poll: PollSettings | None = None

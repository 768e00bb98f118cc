"""The AS2 section of a partner profile (owned by the AS2 package's needs)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, HttpUrl, model_validator

from gateway.partners.common import StrictModel

SignatureAlgorithm = Literal["sha1", "sha224", "sha256", "sha384", "sha512"]
EncryptionAlgorithm = Literal["tripledes-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc"]


CertificateUse = Literal["signature", "encryption"]

#: how long a message sent with ``mdn: async`` waits for its MDN before it is an
#: exception (``as2.mdn_wait_seconds``; gateway/pipeline/as2_mdn_overdue.py)
DEFAULT_MDN_WAIT_SECONDS = 3600.0


def _both_uses() -> list[CertificateUse]:
    return ["signature", "encryption"]


class As2Certificate(StrictModel):
    """One partner certificate (PEM or DER file); several allow rollover."""

    file: Path
    use: list[CertificateUse] = Field(default_factory=_both_uses)


class As2Settings(StrictModel):
    """How the partner talks AS2 with us (RFC 4130)."""

    as2_id: str = Field(min_length=1, max_length=128)
    url: HttpUrl | None = None  # where we send to; None = receive only
    our_identity: str | None = None  # name of our identity; None = the default one
    certificates: list[As2Certificate] = Field(default_factory=list)
    # what we do when sending
    sign: SignatureAlgorithm | None = "sha256"
    encrypt: EncryptionAlgorithm | None = "aes256-cbc"
    key_encryption: Literal["rsaes-pkcs1-v1_5", "rsaes-oaep"] = "rsaes-pkcs1-v1_5"
    signature_scheme: Literal["pkcs1v15", "pss"] = "pkcs1v15"
    compress: bool = False
    mdn: Literal["sync", "async", "none"] = "sync"
    mdn_signed: bool = True
    mdn_url: HttpUrl | None = None  # our async MDN URL when mdn == "async"
    # how long an async MDN may take before the message is an ``mdn_overdue`` exception
    # (a later MDN still settles it); not timeout_seconds, which bounds one POST
    mdn_wait_seconds: float = Field(default=DEFAULT_MDN_WAIT_SECONDS, ge=60, le=7 * 86400)
    # what we require when receiving
    require_signature: bool = True
    require_encryption: bool = True
    # sending policy
    timeout_seconds: float = 60.0
    retries: int = Field(default=5, ge=0, le=50)
    max_body_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    # cap on decompressed content (RFC 5402 compression bombs); never above the
    # gateway's EDIGW_MAX_PAYLOAD_BYTES, whichever is lower applies
    max_decompressed_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    # hosts a Receipt-Delivery-Option URL may name; None = the host of ``url``
    async_mdn_hosts: list[str] | None = None
    # allow async MDNs to loopback/link-local/private addresses (partners on a VPN)
    async_mdn_allow_private: bool = False

    def allowed_async_mdn_hosts(self) -> list[str]:
        """Hosts a Receipt-Delivery-Option URL may name (lower case)."""
        if self.async_mdn_hosts is not None:
            return [h.lower() for h in self.async_mdn_hosts]
        return [self.url.host.lower()] if self.url is not None and self.url.host else []

    @model_validator(mode="after")
    def _async_mdn_needs_url(self) -> As2Settings:
        if self.mdn == "async" and self.mdn_url is None:
            raise ValueError("mdn: async needs mdn_url (where the partner posts the MDN)")
        return self

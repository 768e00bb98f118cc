"""SSH key material: partners' authorized keys, our host key, pinned server keys.

Keys are compared by their public blob (the SSH wire encoding), never by name, so an
RSA key matches whatever signature algorithm (rsa-sha2-256/512) the peer negotiates.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.sftp.errors import SftpConfigError

_KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
    }
)
# host key algorithms paramiko may negotiate for each key type (for pinning by type)
_HOST_KEY_ALGORITHMS = {
    "ssh-ed25519": ("ssh-ed25519",),
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
}


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An SSH public key as its type name and wire blob."""

    key_type: str
    blob: bytes
    comment: str = ""

    @property
    def fingerprint(self) -> str:
        """OpenSSH's ``SHA256:...`` fingerprint."""
        return fingerprint(self.blob)


def fingerprint(blob: bytes) -> str:
    """The OpenSSH SHA-256 fingerprint of a public key blob (unpadded base64)."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def key_fingerprint(key: paramiko.PKey) -> str:
    """The OpenSSH SHA-256 fingerprint of a paramiko key."""
    return fingerprint(key.asbytes())


def parse_public_key(text: str) -> PublicKey:
    """Parse ``"<type> <base64> [comment]"``. Raises ``ValueError`` naming the problem.

    Options in front of the key (``from=...``, ``command=...``) are refused rather than
    ignored: silently dropping a restriction someone wrote down would widen access.
    """
    fields = text.strip().split(None, 2)
    if len(fields) < 2:
        raise ValueError("expected '<key type> <base64 key> [comment]'")
    key_type, encoded = fields[0], fields[1]
    if key_type not in _KEY_TYPES:
        raise ValueError(f"unsupported or misplaced key type {key_type[:40]!r}")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("key is not valid base64") from exc
    # the blob starts with its own type name; a mismatch means a mangled line
    if len(blob) < 4 or blob[4 : 4 + int.from_bytes(blob[:4], "big")] != key_type.encode():
        raise ValueError(f"key blob does not hold a {key_type} key")
    return PublicKey(key_type, blob, fields[2].strip() if len(fields) > 2 else "")


def looks_like_key_line(entry: str) -> bool:
    """True when a profile entry is an inline key rather than a path to a ``.pub`` file."""
    return entry.strip().split(None, 1)[0] in _KEY_TYPES if entry.strip() else False


@dataclass(frozen=True, slots=True)
class AuthorizedKeys:
    """The usable keys of one account and what was wrong with the unusable entries."""

    keys: tuple[PublicKey, ...]
    warnings: tuple[str, ...]

    def allows(self, key: paramiko.PKey) -> bool:
        """True when ``key`` is one of the authorized keys."""
        blob = key.asbytes()
        return any(k.blob == blob for k in self.keys)


def load_authorized_keys(entries: Iterable[str], base_dir: Path | None = None) -> AuthorizedKeys:
    """Read profile entries: inline key lines or paths to ``.pub`` files.

    Relative paths are resolved against ``base_dir`` (the profile's directory). A
    missing or unreadable file is not an error here, only a warning: the account just
    has one key fewer (sample partners' keys are generated later by the demo).
    """
    keys: list[PublicKey] = []
    warnings: list[str] = []
    for entry in entries:
        if looks_like_key_line(entry):
            try:
                keys.append(parse_public_key(entry))
            except ValueError as exc:
                warnings.append(f"authorized key {entry[:40]!r}...: {exc}")
            continue
        path = Path(entry).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        try:
            text = path.read_text(encoding="ascii", errors="strict")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not ASCII"
            warnings.append(f"authorized key file {path}: {reason}")
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                keys.append(parse_public_key(line))
            except ValueError as exc:
                warnings.append(f"authorized key file {path}, line {number}: {exc}")
    return AuthorizedKeys(tuple(keys), tuple(warnings))


def load_or_create_host_key(path: Path) -> paramiko.PKey:
    """Load the server's host key, creating an Ed25519 key there on first use.

    The key is written once (mode 0600, exclusive create) and kept, so partners'
    known_hosts entries stay valid across restarts. An existing RSA or ECDSA key in
    OpenSSH or PEM format is loaded as is.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: load theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    try:
        return paramiko.PKey.from_path(path)
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise SftpConfigError(f"cannot load SFTP host key {path}: {exc}") from exc


def load_private_key(data: bytes, *, passphrase: str | None = None, name: str) -> paramiko.PKey:
    """Load a private key (OpenSSH or PEM; Ed25519, ECDSA or RSA) from bytes."""
    text = data.decode("ascii", errors="replace")
    errors: list[str] = []
    key_classes: tuple[type[paramiko.PKey], ...] = (
        paramiko.Ed25519Key,
        paramiko.ECDSAKey,
        paramiko.RSAKey,
    )
    for cls in key_classes:
        try:
            return cls.from_private_key(io.StringIO(text), password=passphrase)
        except (paramiko.SSHException, ValueError) as exc:
            errors.append(f"{cls.__name__}: {exc}")
    raise SftpConfigError(f"cannot load private key {name}: " + "; ".join(errors))


@dataclass(frozen=True, slots=True)
class PinnedHostKey:
    """The server key a profile pins: a whole key, or only its SHA-256 fingerprint."""

    fingerprint: str
    key_type: str | None = None  # known when pinned by key line

    @classmethod
    def parse(cls, text: str) -> PinnedHostKey:
        """Parse a known_hosts line (``host keytype base64``), a bare key, or ``SHA256:``.

        The host field of a known_hosts line is ignored: the pin belongs to the profile,
        so the key is what counts. Markers (``@revoked``, ``@cert-authority``) are refused.
        """
        text = text.strip()
        if text.startswith("SHA256:"):
            digest = text.removeprefix("SHA256:").rstrip("=")
            try:
                raw = base64.b64decode(digest + "=" * (-len(digest) % 4), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise SftpConfigError(f"pinned host key {text!r} is not valid base64") from exc
            if len(raw) != 32:
                raise SftpConfigError(f"pinned host key {text!r} is not a SHA-256 digest")
            return cls(fingerprint=f"SHA256:{digest}")
        if text.startswith("@"):
            raise SftpConfigError(
                "known_hosts markers (@revoked, @cert-authority) are not supported"
            )
        fields = text.split()
        if fields and fields[0] not in _KEY_TYPES:
            fields = fields[1:]  # drop the host pattern
        try:
            key = parse_public_key(" ".join(fields))
        except ValueError as exc:
            raise SftpConfigError(f"pinned host key is not usable: {exc}") from exc
        return cls(fingerprint=key.fingerprint, key_type=key.key_type)

    def matches(self, key: paramiko.PKey) -> bool:
        """True when ``key`` is the pinned key."""
        return key_fingerprint(key) == self.fingerprint

    def host_key_algorithms(self) -> tuple[str, ...] | None:
        """Algorithms to offer so the server presents the pinned key type (None = any)."""
        return _HOST_KEY_ALGORITHMS.get(self.key_type) if self.key_type else None

"""API keys, roles and the console's signed session cookie.

A key looks like ``egw_<prefix>_<secret>``: the 8-character prefix finds the row, the
secret (32 random bytes) is checked against a salted SHA-256 with a constant-time
compare. A fast hash is enough because the secret is random and long (nothing to
brute-force from a dictionary); the salt keeps two rows from ever sharing a hash.
The key itself is shown once, when created, and never stored.

Roles nest: ``admin`` may do everything; ``operator`` and ``onboarding`` may read and
each do their own kind of change; ``viewer`` only reads.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import ApiKey, utcnow

Role = Literal["admin", "onboarding", "operator", "viewer"]
Permission = Literal["read", "operate", "onboard", "admin"]

ROLES: tuple[Role, ...] = ("admin", "onboarding", "operator", "viewer")
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "operate", "onboard", "admin"}),
    "operator": frozenset({"read", "operate"}),
    "onboarding": frozenset({"read", "onboard"}),
    "viewer": frozenset({"read"}),
}
KEY_PREFIX = "egw_"
SESSION_COOKIE = "edigw_session"
SESSION_MAX_AGE = 12 * 3600  # a console login lasts one working day
BOOTSTRAP_KEY_ID = 0
_LAST_USED_EVERY = dt.timedelta(minutes=1)  # don't write on every request


class AuthError(Exception):
    """No credentials, or credentials that are not valid (HTTP 401)."""


class Forbidden(Exception):
    """Valid credentials whose role lacks the permission (HTTP 403)."""


class KeyManagementError(ValueError):
    """A key management request that cannot be done (duplicate name, unknown role)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's id and name and its role."""

    key_id: int
    name: str
    role: str

    @property
    def actor(self) -> str:
        """How this caller appears in the audit trail."""
        return f"key:{self.name}"

    def can(self, permission: str) -> bool:
        """True when the role grants the permission."""
        return permission in PERMISSIONS.get(self.role, frozenset())

    def require(self, permission: str) -> None:
        """Raise :class:`Forbidden` unless the role grants the permission."""
        if not self.can(permission):
            raise Forbidden(f"role {self.role!r} may not {permission}")


# ---- keys -------------------------------------------------------------------------------
def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """``sha256$<salt hex>$<digest hex>`` of a key's secret part."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.sha256(salt + secret.encode()).hexdigest()
    return f"sha256${salt.hex()}${digest}"


def check_secret(secret: str, stored: str) -> bool:
    """Constant-time check of a secret against its stored hash."""
    try:
        scheme, salt_hex, digest = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    if scheme != "sha256":
        return False
    candidate = hashlib.sha256(salt + secret.encode()).hexdigest()
    return hmac.compare_digest(candidate, digest)


def split_key(key: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed key, else None."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    rest = key[len(KEY_PREFIX) :]
    prefix, sep, secret = rest.partition("_")
    if not sep or len(prefix) != 8 or not secret:
        return None
    return prefix, secret


def create_key(session: Session, name: str, role: str) -> tuple[ApiKey, str]:
    """Create a key row; return it and the key text (shown once, never stored)."""
    name = name.strip()
    if role not in ROLES:
        raise KeyManagementError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if not name or len(name) > 128:
        raise KeyManagementError("a key needs a name of 1 to 128 characters")
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise KeyManagementError(
            f"a key named {name!r} already exists (revoked keys keep their name)"
        )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(name=name, role=role, prefix=prefix, key_hash=hash_secret(secret))
    session.add(row)
    session.flush()
    return row, f"{KEY_PREFIX}{prefix}_{secret}"


def revoke_key(session: Session, name: str) -> ApiKey:
    """Revoke a key by name (the row stays, for the audit trail)."""
    row = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if row is None:
        raise KeyManagementError(f"no key named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, active and revoked, oldest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def authenticate_key(session: Session, key: str, bootstrap: str | None) -> Principal:
    """The principal a key stands for; raises :class:`AuthError`."""
    if bootstrap and hmac.compare_digest(key.encode(), bootstrap.encode()):
        return Principal(BOOTSTRAP_KEY_ID, "bootstrap-admin", "admin")
    parts = split_key(key)
    if parts is None:
        raise AuthError("malformed API key")
    prefix, secret = parts
    for row in session.scalars(
        select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
    ):
        if check_secret(secret, row.key_hash):
            _touch(row)
            return Principal(row.id, row.name, row.role)
    raise AuthError("unknown or revoked API key")


def principal_for_id(session: Session, key_id: int, bootstrap: str | None) -> Principal:
    """The principal of a logged-in session (the key must still be active)."""
    if key_id == BOOTSTRAP_KEY_ID:
        if not bootstrap:
            raise AuthError("the bootstrap admin key is no longer configured")
        return Principal(BOOTSTRAP_KEY_ID, "bootstrap-admin", "admin")
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        raise AuthError("this key was revoked; log in again")
    _touch(row)
    return Principal(row.id, row.name, row.role)


def _touch(row: ApiKey) -> None:
    now = utcnow()
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    if last is None or now - last > _LAST_USED_EVERY:
        row.last_used_at = now


# ---- session cookie ---------------------------------------------------------------------
def load_secret(data_dir: Path) -> bytes:
    """The console's signing secret, created in the data dir on first use (mode 0600)."""
    path = data_dir / "console-secret"
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return data


class SessionSigner:
    """Signs and checks ``<key id>.<issued at>.<mac>`` session cookies and CSRF tokens.

    The bootstrap admin's sessions are also bound to the bootstrap key itself, so
    changing ``EDIGW_ADMIN_API_KEY`` ends them.
    """

    def __init__(self, secret: bytes, bootstrap: str | None) -> None:
        self._secret = secret
        self._bootstrap_fp = hashlib.sha256((bootstrap or "").encode()).hexdigest()

    def _mac(self, text: str) -> str:
        mac = hmac.new(self._secret, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def _bound(self, key_id: int, issued: int) -> str:
        extra = self._bootstrap_fp if key_id == BOOTSTRAP_KEY_ID else ""
        return f"{key_id}.{issued}.{extra}"

    def sign(self, key_id: int, now: float | None = None) -> str:
        """A cookie value for a logged-in key."""
        issued = int(now if now is not None else time.time())
        return f"{key_id}.{issued}.{self._mac(self._bound(key_id, issued))}"

    def verify(self, value: str, now: float | None = None) -> int:
        """The key id of a valid, unexpired cookie; raises :class:`AuthError`."""
        try:
            key_text, issued_text, mac = value.split(".")
            key_id, issued = int(key_text), int(issued_text)
        except ValueError as exc:
            raise AuthError("malformed session") from exc
        if not hmac.compare_digest(mac, self._mac(self._bound(key_id, issued))):
            raise AuthError("session signature does not match")
        current = now if now is not None else time.time()
        if current - issued > SESSION_MAX_AGE or issued - current > 60:
            raise AuthError("session expired; log in again")
        return key_id

    def csrf_token(self, cookie: str) -> str:
        """The form token that goes with a session cookie."""
        return self._mac("csrf:" + cookie)[:32]

    def check_csrf(self, cookie: str, token: str) -> bool:
        """True when a submitted form token belongs to the session."""
        return hmac.compare_digest(self.csrf_token(cookie), token or "")

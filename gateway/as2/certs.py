"""Certificates and keys: loading, validity windows for rollover, expiry warnings, new pairs.

A partner may list several certificates (current and next); verification tries every
one valid now, encryption uses the newest valid one. Our own key pairs roll over the same
way: the newest valid one signs, every one may decrypt (a partner may still encrypt to
the previous certificate for a while).
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from gateway.as2.cms import KeyPair
from gateway.as2.errors import As2LocalError
from gateway.identity import Identities, OurIdentity
from gateway.partners.profile import PartnerProfile

EXPIRY_WARNING = timedelta(days=30)
#: seconds between two looks at the modification times of cached key and certificate files
STAT_INTERVAL = 1.0
_T = TypeVar("_T")
# files, when they were last stat'ed (monotonic), their modification times, what was loaded
_Cached = tuple[list[Path], float, tuple[float, ...], list[_T]]
CertUse = Literal["signature", "encryption"]


@dataclass(frozen=True, slots=True)
class PartnerCertificate:
    """One partner certificate with the uses the profile allows."""

    certificate: x509.Certificate
    uses: frozenset[str]
    file: Path


@dataclass(frozen=True, slots=True)
class OurKey:
    """One of our key pairs with the file its certificate came from."""

    pair: KeyPair
    file: Path


@dataclass(frozen=True, slots=True)
class CertWarning:
    """A certificate that expires soon (warning) or has expired / cannot be read (error)."""

    level: Literal["warning", "error"]
    partner_id: str | None
    file: Path
    message: str
    not_after: datetime | None = None


def is_valid(cert: x509.Certificate, now: datetime) -> bool:
    """Whether ``now`` lies inside the certificate's validity window."""
    not_before, not_after = _window(cert)
    return not_before <= now <= not_after


@functools.lru_cache(maxsize=256)  # asked per message of the same few certificates
def _window(cert: x509.Certificate) -> tuple[datetime, datetime]:
    return cert.not_valid_before_utc, cert.not_valid_after_utc


def _not_before(cert: x509.Certificate) -> datetime:
    return _window(cert)[0]


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file, or the one in a DER file. Raises As2LocalError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise As2LocalError(f"cannot read certificate {path}: {exc.strerror}") from exc
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        # cryptography's reason is a Rust parser's debug text: say what the file is instead
        raise As2LocalError(f"{path}: not a certificate: {_what_it_is(data)}") from exc


def _what_it_is(data: bytes) -> str:
    """Plain words about a file that did not load as a certificate."""
    import re

    if b"-----BEGIN CERTIFICATE-----" in data:
        return "its CERTIFICATE block does not decode as an X.509 certificate (damaged or cut)"
    found = re.search(rb"-----BEGIN ([A-Z0-9 ]+)-----", data)
    if found:
        kind = found.group(1).decode("ascii")
        return f"it holds a PEM {kind} block; expected a CERTIFICATE block (PEM) or DER data"
    if not data:
        return "the file is empty"
    return "expected PEM text with a CERTIFICATE block or binary DER X.509 data"


def load_private_key(data: bytes, passphrase: bytes | None, where: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM or DER bytes. Raises As2LocalError naming ``where``."""
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, passphrase)
        else:
            key = serialization.load_der_private_key(data, passphrase)
    except (ValueError, TypeError) as exc:
        raise As2LocalError(f"{where}: cannot load private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise As2LocalError(f"{where}: AS2 needs an RSA private key")
    return key


def _resolve(path: Path, base_dir: Path | None) -> Path:
    return path if path.is_absolute() or base_dir is None else base_dir / path


def partner_certificates(profile: PartnerProfile) -> list[PartnerCertificate]:
    """The certificates named in the profile's AS2 section (first one of each file)."""
    if profile.as2 is None:
        return []
    out: list[PartnerCertificate] = []
    for entry in profile.as2.certificates:
        path = _resolve(entry.file, profile.base_dir)
        out.append(PartnerCertificate(load_certificates(path)[0], frozenset(entry.use), path))
    return out


def our_keys(identity: OurIdentity, identities: Identities) -> list[OurKey]:
    """Our key pairs for one identity, with relative paths resolved."""
    keys: list[OurKey] = []
    base = identities.base_dir
    for entry in identity.as2_keys:
        cert_path = identities.resolve_path(entry.certificate)
        cert = load_certificates(cert_path)[0]
        try:
            key_bytes = entry.private_key.resolve(base)
            passphrase = entry.passphrase.resolve(base).strip() if entry.passphrase else None
        except LookupError as exc:
            raise As2LocalError(f"identity {identity.name}: {exc}") from exc
        key = load_private_key(key_bytes, passphrase or None, entry.private_key.describe())
        keys.append(OurKey(KeyPair(cert, key), cert_path))
    return keys


def valid_certificates(
    certs: Sequence[PartnerCertificate], use: CertUse, now: datetime
) -> list[x509.Certificate]:
    """Certificates allowed for ``use`` and valid at ``now``, newest first."""
    usable = [c.certificate for c in certs if use in c.uses and is_valid(c.certificate, now)]
    return sorted(usable, key=_not_before, reverse=True)


def encryption_certificate(
    certs: Sequence[PartnerCertificate], now: datetime
) -> x509.Certificate | None:
    """The newest valid encryption certificate, or None."""
    usable = valid_certificates(certs, "encryption", now)
    return usable[0] if usable else None


def signing_key(keys: Sequence[OurKey], now: datetime) -> KeyPair | None:
    """Our newest valid key pair, or None."""
    usable = [k.pair for k in keys if is_valid(k.pair.certificate, now)]
    usable.sort(key=lambda p: _not_before(p.certificate), reverse=True)
    return usable[0] if usable else None


_FAR_PAST = datetime.min.replace(tzinfo=UTC)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
# (a, b, c, d): every certificate is valid or not at any t with a <= t <= b and c < t < d
# as it was at the moment the span was made
_Span = tuple[datetime, datetime, datetime, datetime]
_Valid = tuple[list[Any], _Span, list[Any]]


def _steady_span(certs: Sequence[x509.Certificate], now: datetime) -> _Span:
    """How long around ``now`` the validity of each of ``certs`` stays what it is now."""
    a, b, c, d = _FAR_PAST, _FAR_FUTURE, _FAR_PAST, _FAR_FUTURE
    for cert in certs:
        not_before, not_after = _window(cert)
        if now < not_before:  # not yet valid: until its window opens
            d = min(d, not_before)
        elif now > not_after:  # expired: stays expired after its end
            c = max(c, not_after)
        else:  # valid: within its window
            a, b = max(a, not_before), min(b, not_after)
    return a, b, c, d


def _unchanged(span: _Span, now: datetime) -> bool:
    a, b, c, d = span
    return a <= now <= b and c < now < d


class KeyCache:
    """Loads partner certificates and our keys once, reloading when a file changes.

    Parsing an encrypted PEM key costs milliseconds; doing it per request would cap
    throughput, so the receiver and sender share one cache. Thread-safe. The files'
    modification times are looked at again at most every :data:`STAT_INTERVAL` seconds
    (a message takes three lookups; the ``stat`` calls were a tenth of the receiver's own
    cost): a key or certificate replaced in place is picked up within that time, a
    profile or identity naming other files at once.
    """

    def __init__(self, identities: Identities) -> None:
        self._identities = identities
        self._lock = threading.Lock()
        # key -> (files, when last stat'ed (monotonic), their modification times, loaded)
        self._partners: dict[str, _Cached[PartnerCertificate]] = {}
        self._ours: dict[str, _Cached[OurKey]] = {}
        # (id of a list above, use) -> (that list, when its validity stays as it was, valid)
        self._valid: dict[tuple[int, str], _Valid] = {}
        # id of a profile or identity -> (it, its key above, the files it names)
        self._named: dict[int, tuple[object, str, list[Path]]] = {}

    @property
    def identities(self) -> Identities:
        """The identities the keys come from."""
        return self._identities

    @staticmethod
    def _stamp(paths: Sequence[Path]) -> tuple[float, ...]:
        stamps = []
        for path in paths:
            try:
                stamps.append(path.stat().st_mtime)
            except OSError:
                stamps.append(-1.0)
        return tuple(stamps)

    def _get(
        self,
        cache: dict[str, _Cached[_T]],
        key: str,
        paths: list[Path],
        load: Callable[[], list[_T]],
    ) -> list[_T]:
        now = time.monotonic()
        with self._lock:
            hit = cache.get(key)
        if hit is not None and hit[0] == paths and now - hit[1] < STAT_INTERVAL:
            return hit[3]
        stamp = self._stamp(paths)
        unchanged = hit is not None and hit[0] == paths and hit[2] == stamp
        loaded = hit[3] if hit is not None and unchanged else load()
        with self._lock:
            cache[key] = (paths, now, stamp, loaded)
        return loaded

    def valid_certificates(
        self, certs: list[PartnerCertificate], use: CertUse, now: datetime
    ) -> list[x509.Certificate]:
        """:func:`valid_certificates` of a list this cache returned, worked out again only
        when a validity window of one of them opens or closes (or the list is reloaded)."""
        key = (id(certs), use)
        hit = self._valid.get(key)
        if hit is not None and hit[0] is certs and _unchanged(hit[1], now):
            return list(hit[2])
        found = valid_certificates(certs, use, now)
        self._remember(key, (certs, _steady_span([c.certificate for c in certs], now), found))
        return found

    def signing_key(self, identity: OurIdentity, now: datetime) -> KeyPair | None:
        """:func:`signing_key` of the identity's keys, remembered as
        :meth:`valid_certificates` is."""
        keys = self.ours(identity)
        key = (id(keys), "signing")
        hit = self._valid.get(key)
        if hit is not None and hit[0] is keys and _unchanged(hit[1], now):
            return hit[2][0] if hit[2] else None
        pair = signing_key(keys, now)
        span = _steady_span([k.pair.certificate for k in keys], now)
        self._remember(key, (keys, span, [] if pair is None else [pair]))
        return pair

    def _remember(self, key: tuple[int, str], entry: _Valid) -> None:
        # an entry holds its list, so no other list can take its id while it is here;
        # reloads leave old entries behind: few, and dropped all at once past a bound
        if len(self._valid) >= 256:
            self._valid.clear()
        self._valid[key] = entry

    def partner(self, profile: PartnerProfile) -> list[PartnerCertificate]:
        """The partner's certificates (cached)."""
        named = self._named.get(id(profile))
        if named is None or named[0] is not profile:
            base_dir = profile.base_dir  # a pydantic private attribute: read once (~3 us)
            paths = (
                [_resolve(c.file, base_dir) for c in profile.as2.certificates]
                if profile.as2
                else []
            )
            named = self._name(profile, f"{profile.id}:{base_dir}", paths)
        return self._get(self._partners, named[1], named[2], lambda: partner_certificates(profile))

    def ours(self, identity: OurIdentity) -> list[OurKey]:
        """Our key pairs of one identity (cached)."""
        named = self._named.get(id(identity))
        if named is None or named[0] is not identity:
            paths = [self._identities.resolve_path(k.certificate) for k in identity.as2_keys]
            named = self._name(identity, identity.name, paths)
        return self._get(
            self._ours, named[1], named[2], lambda: our_keys(identity, self._identities)
        )

    def _name(self, owner: object, key: str, paths: list[Path]) -> tuple[object, str, list[Path]]:
        """Remember which cache key and files a profile or identity names: both are frozen
        models and a reload brings new ones, so this is worked out once per object rather
        than per message (reading the profile's base directory and joining paths cost
        ~50,000 instructions a message, a fifth of the receiver's own time inside the AS2
        listener). Bounded as :meth:`_remember`."""
        named = (owner, key, paths)
        with self._lock:
            if len(self._named) >= 256:
                self._named.clear()
            self._named[id(owner)] = named
        return named


def _warn_for(
    cert: x509.Certificate, file: Path, partner_id: str | None, now: datetime
) -> CertWarning | None:
    subject = cert.subject.rfc4514_string()
    not_after = cert.not_valid_after_utc
    if now > not_after:
        return CertWarning(
            "error",
            partner_id,
            file,
            f"certificate {subject} expired on {not_after:%Y-%m-%d}",
            not_after,
        )
    if now < cert.not_valid_before_utc:
        return None  # a 'next' certificate waiting for its start date is fine
    if not_after - now <= EXPIRY_WARNING:
        days = (not_after - now).days
        return CertWarning(
            "warning",
            partner_id,
            file,
            f"certificate {subject} expires on {not_after:%Y-%m-%d} (in {days} days)",
            not_after,
        )
    return None


def check_certificates(profile: PartnerProfile, now: datetime | None = None) -> list[CertWarning]:
    """Warnings 30 days before a partner certificate expires, errors once expired or unreadable.

    When every certificate of a use is expired or missing the partner cannot trade, which
    is reported as an error too.
    """
    now = now or datetime.now(UTC)
    if profile.as2 is None:
        return []
    out: list[CertWarning] = []
    valid_uses: set[str] = set()
    for entry in profile.as2.certificates:
        path = _resolve(entry.file, profile.base_dir)
        try:
            cert = load_certificates(path)[0]
        except As2LocalError as exc:
            out.append(CertWarning("error", profile.id, path, str(exc)))
            continue
        warning = _warn_for(cert, path, profile.id, now)
        if warning:
            out.append(warning)
        if is_valid(cert, now):
            valid_uses.update(entry.use)
    needed = set()
    if profile.as2.require_signature:
        needed.add("signature")
    if profile.as2.encrypt and profile.as2.url is not None:
        needed.add("encryption")
    for use in sorted(needed - valid_uses):
        out.append(
            CertWarning(
                "error",
                profile.id,
                profile.source or Path(profile.id),
                f"no valid certificate for {use}",
            )
        )
    return out


def create_key_pair(
    common_name: str,
    days: int,
    out_key: Path,
    out_cert: Path,
    *,
    key_size: int = 2048,
    not_before: datetime | None = None,
) -> x509.Certificate:
    """A new RSA key and self-signed certificate for AS2 (PEM files; key mode 0600)."""
    if days <= 0:
        raise ValueError("days must be positive")
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    start = (not_before or datetime.now(UTC)).replace(microsecond=0)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(out_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem_key)
    out_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert


def describe_certificate(cert: x509.Certificate) -> dict[str, str]:
    """Human-readable facts about a certificate (for ``certs show``)."""
    fp = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    public_key = cert.public_key()
    key_text = f"{type(public_key).__name__} {getattr(public_key, 'key_size', '')}".strip()
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "X"),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "public_key": key_text,
        "sha256_fingerprint": fp,
    }

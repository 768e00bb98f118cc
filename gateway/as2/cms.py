"""CMS (RFC 5652) for AS2: sign/verify detached SignedData, EnvelopedData, CompressedData.

Where cryptography's ``pkcs7`` module has the API, it builds and parses the whole
structure (in Rust, several times faster than building it field by field): signing with
SHA-2 (PKCS #1 v1.5 or PSS), encrypting and decrypting AES-128/256-CBC with RSA PKCS #1
v1.5 key transport - what AS2 partners send almost always. The rest is read and written
with asn1crypto, every cryptographic operation still done by ``cryptography``: verifying
(cryptography has no SignedData verification), SHA-1 signatures, 3DES, AES-192, RSA-OAEP,
recipients named by subject key identifier, and compressed data; and every message that
cryptography refuses is read again that way, so its errors name what is wrong. Inputs
are DER/BER bytes from partners: any parse failure becomes an :mod:`gateway.as2.errors`
exception carrying the MDN disposition modifier.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from gateway.as2.errors import (
    As2Error,
    As2LocalError,
    AuthenticationFailed,
    DecompressionFailed,
    DecryptionFailed,
    IntegrityCheckFailed,
    MalformedMessage,
)

DigestName = Literal["sha1", "sha224", "sha256", "sha384", "sha512"]
CipherName = Literal["tripledes-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc"]
KeyEncryption = Literal["rsaes-pkcs1-v1_5", "rsaes-oaep"]
SignatureScheme = Literal["pkcs1v15", "pss"]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
#: the digests cryptography's PKCS7SignatureBuilder signs with (not SHA-1)
_BUILDER_HASHES = frozenset({"sha224", "sha256", "sha384", "sha512"})
#: detached, over the bytes as given (no MIME canonicalization), attributes as before
_SIGN_OPTIONS = [
    pkcs7.PKCS7Options.DetachedSignature,
    pkcs7.PKCS7Options.Binary,
    pkcs7.PKCS7Options.NoCapabilities,
]
#: the content ciphers cryptography's PKCS7EnvelopeBuilder / pkcs7_decrypt_der handle
_BUILDER_CIPHERS: dict[str, type[algorithms.AES128 | algorithms.AES256]] = {
    "aes128-cbc": algorithms.AES128,
    "aes256-cbc": algorithms.AES256,
}
# profile cipher name -> (asn1crypto algorithm id, key length)
_CIPHERS: dict[str, tuple[str, int]] = {
    "tripledes-cbc": ("tripledes_3key", 24),
    "aes128-cbc": ("aes128_cbc", 16),
    "aes192-cbc": ("aes192_cbc", 24),
    "aes256-cbc": ("aes256_cbc", 32),
}
#: SignerInfos read in one SignedData. AS2 messages and MDNs carry one (two while a
#: partner rolls its key over); each is read before any signature has verified, so
#: copies of one would each cost a verification: more is refused unread.
MAX_SIGNER_INFOS = 4
#: RecipientInfos read in one EnvelopedData. Partners sometimes encrypt to several
#: certificates (ours, old and new, and their own archive's); every one naming our
#: certificate could cost a private-key operation before anything is authenticated.
MAX_RECIPIENT_INFOS = 16
#: The longest object identifier read, in bytes (registered ones are under 40; a UUID
#: arc, 2.25.<128 bits>, takes 20). asn1crypto turns an identifier into text with
#: arithmetic that grows with the square of its length (a 100 KB "identifier" in a
#: stranger's CMS took 3 s), so a longer one is refused as malformed before that.
MAX_OID_BYTES = 64
_ASN1_DOTTED = core.ObjectIdentifier.dotted.fget


def _bounded_dotted(self: core.ObjectIdentifier) -> str:
    """asn1crypto's ``ObjectIdentifier.dotted``, refusing identifiers over the bound."""
    if self._dotted is None and len(self.contents or b"") > MAX_OID_BYTES:
        raise ValueError(f"object identifier of {len(self.contents)} bytes")
    return str(_ASN1_DOTTED(self))


# every identifier asn1crypto reads in this process goes through ``dotted`` (``native``
# and the named lookups use it): bounded once, here, for every CMS structure we parse
core.ObjectIdentifier.dotted = property(_bounded_dotted)


def digest_name(name: str) -> DigestName:
    """Normalize ``SHA-256``, ``sha256``, ``SHA256`` ... to ``sha256``; ValueError if unknown."""
    norm = name.strip().lower().replace("-", "").replace("_", "")
    if norm not in _HASHES:
        raise ValueError(f"unsupported digest algorithm {name!r}")
    return norm  # type: ignore[return-value]


def micalg_name(name: DigestName) -> str:
    """The RFC 5751 ``micalg`` spelling (``sha-256``) of a digest name."""
    return "sha1" if name == "sha1" else "sha-" + name[3:]


def _hash(name: str, error: type[As2Error] = AuthenticationFailed) -> hashes.HashAlgorithm:
    """The hash called ``name``; ``error`` (the layer's) when it is not one we support."""
    try:
        return _HASHES[name]()
    except KeyError:
        raise error(f"unsupported digest algorithm {name!r}") from None


def digest(name: DigestName, data: bytes) -> bytes:
    """Digest of ``data`` (hashlib: faster than cryptography for one-shot hashing)."""
    return hashlib.new(name, data).digest()


@dataclass(frozen=True, slots=True)
class KeyPair:
    """One of our RSA keys and its certificate."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """What a successful verification established."""

    certificate: x509.Certificate  # the partner certificate that verified
    digest_algorithm: DigestName
    content: bytes  # the candidate content whose digest matched
    # ``digest_algorithm``'s digest of ``content`` when the signed attributes carried one
    # (checked equal to it), so that a MIC over the same bytes need not hash them again
    content_digest: bytes | None = None


@functools.lru_cache(maxsize=256)
def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    # cached: converting a certificate costs more than the RSA verification it serves
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


@functools.lru_cache(maxsize=256)
def _issuer_der(cert: x509.Certificate) -> bytes:
    return bytes(_asn1_cert(cert).issuer.dump())


@functools.lru_cache(maxsize=256)
def _ski(cert: x509.Certificate) -> bytes | None:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return None
    return ext.value.digest


def _matches(
    identifier: cms.SignerIdentifier | cms.RecipientIdentifier, cert: x509.Certificate
) -> bool:
    """Whether a CMS signer/recipient identifier names ``cert``."""
    if identifier.name == "issuer_and_serial_number":
        ias = identifier.chosen
        return bool(
            ias["serial_number"].native == cert.serial_number
            and ias["issuer"].dump() == _issuer_der(cert)
        )
    if identifier.name == "subject_key_identifier":
        return bool(identifier.chosen.native == _ski(cert))
    return False


def _describe_rid(rid: cms.RecipientIdentifier) -> str:
    if rid.name == "issuer_and_serial_number":
        ias = rid.chosen
        return f"issuer {ias['issuer'].human_friendly}, serial {ias['serial_number'].native:X}"
    return f"subject key identifier {rid.chosen.native.hex()}"


def _content_info(der: bytes, expected: str) -> cms.ContentInfo:
    try:
        info = cms.ContentInfo.load(der)
        kind = info["content_type"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedMessage(f"not a readable CMS {expected}: {exc}") from exc
    if kind != expected:
        raise MalformedMessage(f"CMS content is {kind!r}, expected {expected!r}")
    return info


@contextlib.contextmanager
def _reading(error: type[As2Error], what: str) -> Iterator[None]:
    """asn1crypto parses lazily: a truncated or malformed structure raises on first access,
    wherever that is; turn those into the layer's error."""
    try:
        yield
    except As2Error:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise error(f"malformed {what}: {exc}") from exc


def content_kind(der: bytes) -> str:
    """The CMS content type (``signed_data``, ``enveloped_data``, ``compressed_data``)."""
    try:
        return str(cms.ContentInfo.load(der)["content_type"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedMessage(f"not a readable CMS structure: {exc}") from exc


_SIGNED_DATA_OID = cms.ContentType("signed_data").dump()


def begins_signed_data(prefix: bytes) -> bool:
    """Whether ``prefix``, the first bytes of a DER/BER structure, begins a ContentInfo
    holding a SignedData: SEQUENCE, the signed-data identifier, [0], SEQUENCE, INTEGER.

    Reads tags and lengths only, so it can judge content not (yet) wholly at hand.
    """
    pos = _after_header(prefix, 0, 0x30)
    if pos is None or not prefix.startswith(_SIGNED_DATA_OID, pos):
        return False
    pos = _after_header(prefix, pos + len(_SIGNED_DATA_OID), 0xA0)
    pos = None if pos is None else _after_header(prefix, pos, 0x30)
    return pos is not None and prefix[pos : pos + 1] == b"\x02"


def _after_header(data: bytes, pos: int, tag: int) -> int | None:
    """Where the contents start when a ``tag`` header is at ``pos`` (None when not)."""
    if len(data) < pos + 2 or data[pos] != tag:
        return None
    length = data[pos + 1]
    if length <= 0x80:  # short form, or BER's indefinite length
        return pos + 2
    count = length & 0x7F
    return pos + 2 + count if count <= 8 and len(data) >= pos + 2 + count else None


# --------------------------------------------------------------------------- signing


def _pss_params(hash_name: str) -> algos.RSASSAPSSParams:
    return algos.RSASSAPSSParams(
        {
            "hash_algorithm": {"algorithm": hash_name},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": hash_name}},
            "salt_length": _HASHES[hash_name].digest_size,
        }
    )


def sign_detached(
    content: bytes,
    signer: KeyPair,
    digest_alg: DigestName = "sha256",
    *,
    scheme: SignatureScheme = "pkcs1v15",
) -> bytes:
    """A detached CMS SignedData (DER) over ``content``, with signed attributes
    (content type, signing time: now, message digest) and the signer's certificate."""
    hash_alg = _hash(digest_alg)
    if digest_alg not in _BUILDER_HASHES:
        return _sign_detached_asn1(content, signer, digest_alg, scheme=scheme)
    pad: asym_padding.PSS | asym_padding.PKCS1v15 = (
        asym_padding.PSS(mgf=asym_padding.MGF1(hash_alg), salt_length=hash_alg.digest_size)
        if scheme == "pss"
        else asym_padding.PKCS1v15()
    )
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content)
    builder = builder.add_signer(
        signer.certificate,
        signer.private_key,
        hash_alg,  # type: ignore[arg-type]  # SHA-2 only, checked above
        rsa_padding=pad,
    )
    return builder.sign(Encoding.DER, _SIGN_OPTIONS)


def _sign_detached_asn1(
    content: bytes, signer: KeyPair, digest_alg: DigestName, *, scheme: SignatureScheme
) -> bytes:
    """:func:`sign_detached` for the digests cryptography does not sign with (SHA-1)."""
    signing_time = datetime.now(UTC).replace(microsecond=0)
    attrs = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute(
            {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}
        ),
        cms.CMSAttribute({"type": "message_digest", "values": [digest(digest_alg, content)]}),
    ]
    # DER orders SET OF by encoding; OpenSSL re-encodes before verifying, so we must too
    attrs.sort(key=lambda a: a.dump())
    signed_attrs = cms.CMSAttributes(attrs)
    hash_alg = _hash(digest_alg)
    if scheme == "pss":
        pad: asym_padding.AsymmetricPadding = asym_padding.PSS(
            mgf=asym_padding.MGF1(hash_alg), salt_length=hash_alg.digest_size
        )
        sig_alg = algos.SignedDigestAlgorithm(
            {"algorithm": "rsassa_pss", "parameters": _pss_params(digest_alg)}
        )
    else:
        pad = asym_padding.PKCS1v15()
        sig_alg = algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"})
    signature = signer.private_key.sign(signed_attrs.dump(), pad, hash_alg)
    cert = _asn1_cert(signer.certificate)
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value=cms.IssuerAndSerialNumber(
                    {"issuer": cert.issuer, "serial_number": cert.serial_number}
                ),
            ),
            "digest_algorithm": {"algorithm": digest_alg},
            "signed_attrs": signed_attrs,
            "signature_algorithm": sig_alg,
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": digest_alg}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cert],
            "signer_infos": [signer_info],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


# ---------------------------------------------------------------------- verification


#: names of object identifiers already read, by their encoding (reading an OID's name
#: in asn1crypto parses its dotted form every time: a third of a verification)
_OID_NAMES: dict[bytes, str] = {}
_MESSAGE_DIGEST = cms.CMSAttributeType("message_digest").contents


def _oid_name(oid: core.ObjectIdentifier) -> str:
    """``oid.native`` (its name, or its dotted form when unknown), remembered."""
    key = bytes(oid.contents or b"")
    name = _OID_NAMES.get(key)
    if name is None:
        name = str(oid.native)
        # partners send few algorithms, all short: never grows unbounded, nor holds a
        # partner's megabyte-long "identifier"
        if len(_OID_NAMES) < 1024 and len(key) <= 64:
            _OID_NAMES[key] = name
    return name


def _signature_padding(
    signer_info: cms.SignerInfo, digest_alg: str
) -> tuple[asym_padding.AsymmetricPadding, hashes.HashAlgorithm]:
    sig_alg = signer_info["signature_algorithm"]
    name = _oid_name(sig_alg["algorithm"])
    if name == "rsassa_pss":
        params = sig_alg["parameters"]
        hash_name = params["hash_algorithm"]["algorithm"].native
        mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
        return (
            asym_padding.PSS(
                mgf=asym_padding.MGF1(_hash(mgf_hash)), salt_length=params["salt_length"].native
            ),
            _hash(hash_name),
        )
    if name.endswith("_rsa") or name in ("rsassa_pkcs1v15", "rsa"):
        return asym_padding.PKCS1v15(), _hash(digest_alg)
    raise AuthenticationFailed(f"unsupported signature algorithm {name!r}")


def verify_detached(
    signature_der: bytes,
    candidates: Iterable[bytes],
    certificates: Sequence[x509.Certificate],
) -> VerifiedSignature:
    """Verify a detached SignedData over the first candidate content whose digest matches.

    ``candidates`` are the signed bytes as received and any canonical variants (some
    products sign before or without canonicalizing line endings), iterable more than
    once and tried in order (a lazy iterable makes a variant only when it is needed).
    ``certificates`` are the partner's currently valid certificates; certificates
    inside the message are never trusted. Raises :class:`IntegrityCheckFailed` when no
    candidate matches the signed digest and :class:`AuthenticationFailed` when no
    certificate verifies.
    """
    info = _signed_content_info(signature_der)
    with _reading(IntegrityCheckFailed, "signature"):
        return _verify_signed_data(info["content"], candidates, certificates)


def verify_opaque(der: bytes, certificates: Sequence[x509.Certificate]) -> VerifiedSignature:
    """Verify an encapsulating SignedData (smime-type=signed-data); content is returned."""
    info = _signed_content_info(der)
    with _reading(IntegrityCheckFailed, "signed-data"):
        encap = info["content"]["encap_content_info"]["content"]
        if encap.native is None:
            raise MalformedMessage("signed-data without encapsulated content")
        content = encap.native if isinstance(encap.native, bytes) else encap.contents
        return _verify_signed_data(info["content"], [content], certificates)


def _signed_content_info(der: bytes) -> cms.ContentInfo:
    """A SignedData's ContentInfo; a signature cut short or damaged in transit is not
    intact (integrity-check-failed, RFC 4130 7.5.3), as its content would not be."""
    try:
        return _content_info(der, "signed_data")
    except MalformedMessage as exc:
        raise IntegrityCheckFailed(str(exc)) from exc


def _verify_signed_data(
    signed_data: cms.SignedData,
    candidates: Iterable[bytes],
    certificates: Sequence[x509.Certificate],
) -> VerifiedSignature:
    if not certificates:
        raise AuthenticationFailed("no valid partner certificate to verify the signature with")
    signer_infos = signed_data["signer_infos"]
    count = len(signer_infos)
    if not count:
        raise AuthenticationFailed("signed-data has no signer")
    if count > MAX_SIGNER_INFOS:
        raise AuthenticationFailed(
            f"signed-data has {count} signers; more than {MAX_SIGNER_INFOS} are refused unread"
        )
    digests = _Digests(candidates)
    failures: list[str] = []
    for signer_info in signer_infos:
        try:
            digest_alg = digest_name(_oid_name(signer_info["digest_algorithm"]["algorithm"]))
        except ValueError as exc:
            failures.append(str(exc))
            continue
        pad, hash_alg = _signature_padding(signer_info, digest_alg)
        attrs = signer_info["signed_attrs"]
        content: bytes | None
        to_verify: list[tuple[bytes, bytes, hashes.HashAlgorithm | Prehashed]]
        if not isinstance(attrs, core.Void) and len(attrs) > 0:
            wanted = None
            for attr in attrs:
                if attr["type"].contents == _MESSAGE_DIGEST:
                    wanted = attr["values"][0].native
            content = next((c for c, d in digests.of(digest_alg) if d == wanted), None)
            if content is None:
                raise IntegrityCheckFailed(
                    f"content does not match the signed {digest_alg} digest (altered in transit?)"
                )
            # the signature covers the DER of the attributes as a SET (tag 0x31)
            signed_bytes = b"\x31" + attrs.dump()[1:]
            to_verify = [(content, signed_bytes, hash_alg)]
        else:
            # the signature covers the content itself: verified against its digest, so
            # that neither another signer nor another certificate hashes it again
            content = wanted = None
            prehashed = Prehashed(hash_alg)
            to_verify = [(c, d, prehashed) for c, d in digests.of(hash_alg.name)]
        signature = signer_info["signature"].native
        # the certificate the signer info names first (with one, nothing to order)
        ordered = (
            sorted(certificates, key=lambda c: not _matches(signer_info["sid"], c))
            if len(certificates) > 1
            else certificates
        )
        for cert in ordered:
            public_key = cert.public_key()
            if not isinstance(public_key, rsa.RSAPublicKey):
                continue
            for matched, data, algorithm in to_verify:
                try:
                    public_key.verify(signature, data, pad, algorithm)
                except (InvalidSignature, ValueError):
                    continue
                return VerifiedSignature(cert, digest_alg, matched, wanted)
        failures.append("signature does not verify with any valid partner certificate")
    raise AuthenticationFailed("; ".join(failures))


class _Digests:
    """Digests of the candidate contents, each made at most once per algorithm: several
    signers (or certificates) over the same content must not hash it again each."""

    __slots__ = ("_candidates", "_made")

    def __init__(self, candidates: Iterable[bytes]) -> None:
        self._candidates = candidates
        self._made: dict[tuple[str, int], bytes] = {}

    def of(self, name: str) -> Iterator[tuple[bytes, bytes]]:
        """Each candidate (in order, made as needed) with its ``name`` digest."""
        made = self._made
        for index, content in enumerate(self._candidates):
            value = made.get((name, index))
            if value is None:
                value = made[name, index] = hashlib.new(name, content).digest()
            yield content, value


# ------------------------------------------------------------------------ encryption


def encrypt(
    content: bytes,
    recipient: x509.Certificate,
    cipher: CipherName = "aes256-cbc",
    *,
    key_encryption: KeyEncryption = "rsaes-pkcs1-v1_5",
) -> bytes:
    """A CMS EnvelopedData (DER) of ``content`` for one RSA recipient."""
    if not isinstance(recipient.public_key(), rsa.RSAPublicKey):
        raise As2LocalError("partner encryption certificate does not hold an RSA key")
    content_cipher = _BUILDER_CIPHERS.get(cipher)
    if content_cipher is not None and key_encryption == "rsaes-pkcs1-v1_5":
        builder = pkcs7.PKCS7EnvelopeBuilder().set_data(content).add_recipient(recipient)
        builder = builder.set_content_encryption_algorithm(content_cipher)
        return builder.encrypt(Encoding.DER, [pkcs7.PKCS7Options.Binary])
    return _encrypt_asn1(content, recipient, cipher, key_encryption=key_encryption)


def _encrypt_asn1(
    content: bytes,
    recipient: x509.Certificate,
    cipher: CipherName,
    *,
    key_encryption: KeyEncryption,
) -> bytes:
    """:func:`encrypt` for what cryptography does not build (3DES, AES-192, RSA-OAEP)."""
    algo_id, key_len = _CIPHERS[cipher]
    cek = os.urandom(key_len)
    block = 8 if cipher == "tripledes-cbc" else 16
    iv = os.urandom(block)
    padder = padding.PKCS7(block * 8).padder()
    padded = padder.update(content) + padder.finalize()
    encryptor = _cipher(cipher, cek, iv).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    public_key = recipient.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise As2LocalError("partner encryption certificate does not hold an RSA key")
    if key_encryption == "rsaes-oaep":
        enc_key = public_key.encrypt(
            cek,
            asym_padding.OAEP(
                mgf=asym_padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None
            ),
        )
        kea = cms.KeyEncryptionAlgorithm(
            {
                "algorithm": "rsaes_oaep",
                "parameters": algos.RSAESOAEPParams(
                    {
                        "hash_algorithm": {"algorithm": "sha256"},
                        "mask_gen_algorithm": {
                            "algorithm": "mgf1",
                            "parameters": {"algorithm": "sha256"},
                        },
                    }
                ),
            }
        )
    else:
        enc_key = public_key.encrypt(cek, asym_padding.PKCS1v15())
        kea = cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_pkcs1v15"})
    cert = _asn1_cert(recipient)
    ktri = cms.KeyTransRecipientInfo(
        {
            "version": "v0",
            "rid": cms.RecipientIdentifier(
                name="issuer_and_serial_number",
                value=cms.IssuerAndSerialNumber(
                    {"issuer": cert.issuer, "serial_number": cert.serial_number}
                ),
            ),
            "key_encryption_algorithm": kea,
            "encrypted_key": enc_key,
        }
    )
    enveloped = cms.EnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [cms.RecipientInfo(name="ktri", value=ktri)],
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {"algorithm": algo_id, "parameters": iv},
                "encrypted_content": ciphertext,
            },
        }
    )
    return bytes(cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump())


def _cipher(name: str, key: bytes, iv: bytes) -> Cipher[modes.CBC]:
    if name == "tripledes-cbc":
        return Cipher(TripleDES(key), modes.CBC(iv))
    return Cipher(algorithms.AES(key), modes.CBC(iv))


_CIPHER_BY_OID = {v[0]: k for k, v in _CIPHERS.items()}


def _unwrap_key(ktri: cms.KeyTransRecipientInfo, key: rsa.RSAPrivateKey) -> bytes:
    kea = ktri["key_encryption_algorithm"]
    name = kea["algorithm"].native
    encrypted_key = ktri["encrypted_key"].native
    if name == "rsaes_oaep":
        params = kea["parameters"]
        hash_name = params["hash_algorithm"]["algorithm"].native
        mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
        label = params["p_source_algorithm"]["parameters"].native or None
        # a digest we do not support is a decryption problem, not an authentication one
        pad: asym_padding.AsymmetricPadding = asym_padding.OAEP(
            mgf=asym_padding.MGF1(_hash(mgf_hash, DecryptionFailed)),
            algorithm=_hash(hash_name, DecryptionFailed),
            label=label,
        )
    elif name in ("rsaes_pkcs1v15", "rsa"):
        pad = asym_padding.PKCS1v15()
    else:
        raise DecryptionFailed(f"unsupported key transport algorithm {name!r}")
    return key.decrypt(encrypted_key, pad)


def decrypt(der: bytes, keys: Sequence[KeyPair]) -> bytes:
    """The content of a CMS EnvelopedData, decrypted with whichever of our keys it names.

    Raises :class:`DecryptionFailed` when no key opens it or the ciphertext is corrupt.
    """
    for pair in keys:
        # cryptography tries only a key whose certificate a recipient info names (by
        # issuer and serial number), as the asn1crypto path below does
        try:
            return pkcs7.pkcs7_decrypt_der(der, pair.certificate, pair.private_key, [])
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue  # not for this key, or not what cryptography reads: see below
    with _reading(DecryptionFailed, "enveloped-data"):
        return _decrypt(der, keys)


def _decrypt(der: bytes, keys: Sequence[KeyPair]) -> bytes:
    try:
        info = _content_info(der, "enveloped_data")
    except MalformedMessage as exc:
        raise DecryptionFailed(str(exc)) from exc
    enveloped = info["content"]
    eci = enveloped["encrypted_content_info"]
    algo = eci["content_encryption_algorithm"]
    cipher_name = _CIPHER_BY_OID.get(algo["algorithm"].native)
    if cipher_name is None:
        raise DecryptionFailed(f"unsupported content encryption {algo['algorithm'].native!r}")
    ciphertext = eci["encrypted_content"].native
    if not isinstance(ciphertext, bytes):
        raise DecryptionFailed("enveloped-data without encrypted content")
    iv = algo["parameters"].native
    recipient_infos = enveloped["recipient_infos"]
    if len(recipient_infos) > MAX_RECIPIENT_INFOS:
        raise DecryptionFailed(
            f"enveloped-data has {len(recipient_infos)} recipients; more than "
            f"{MAX_RECIPIENT_INFOS} are refused unread"
        )
    # Only keys whose certificate the recipient info names are tried: with RSA PKCS#1
    # v1.5 "implicit rejection" a wrong key yields a random content key instead of an
    # error, and its garbage would pass the padding check one time in 256. Each key is
    # tried once, with the first recipient info naming it: copies naming the same
    # certificate would each cost a private-key operation.
    attempts: list[tuple[cms.KeyTransRecipientInfo, KeyPair]] = []
    untried = list(keys)
    named: list[str] = []
    for recipient in recipient_infos:
        if recipient.name != "ktri":
            named.append(f"unsupported recipient type {recipient.name}")
            continue
        ktri = recipient.chosen
        named.append(_describe_rid(ktri["rid"]))
        for pair in [p for p in untried if _matches(ktri["rid"], p.certificate)]:
            attempts.append((ktri, pair))
            untried.remove(pair)
    if not attempts:
        raise DecryptionFailed(
            "the message is encrypted for a certificate we hold no key for: " + "; ".join(named)
        )
    _, key_len = _CIPHERS[cipher_name]
    block = 8 if cipher_name == "tripledes-cbc" else 16
    if not isinstance(iv, bytes) or len(iv) != block or len(ciphertext) % block:
        raise DecryptionFailed("ciphertext or IV has the wrong length (truncated?)")
    for ktri, pair in attempts:
        try:
            cek = _unwrap_key(ktri, pair.private_key)
        except ValueError:
            continue
        if len(cek) != key_len:
            continue
        decryptor = _cipher(cipher_name, cek, iv).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = padding.PKCS7(block * 8).unpadder()
        try:
            return unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            continue
    raise DecryptionFailed("the message cannot be decrypted with any of our keys")


# ----------------------------------------------------------------------- compression


def compress(content: bytes) -> bytes:
    """A CMS CompressedData (RFC 3274, zlib) of ``content``."""
    compressed = cms.CompressedData(
        {
            "version": "v0",
            "compression_algorithm": {"algorithm": "zlib"},
            "encap_content_info": {"content_type": "data", "content": zlib.compress(content)},
        }
    )
    return bytes(cms.ContentInfo({"content_type": "compressed_data", "content": compressed}).dump())


def decompress(der: bytes, max_size: int, reserve: Callable[[int], None] | None = None) -> bytes:
    """The content of a CMS CompressedData, refusing to expand beyond ``max_size`` bytes.

    Inflates in steps of at most 1 MiB; ``reserve`` is told the size of each step before
    it is kept (a shared memory budget may make it wait or refuse).
    """
    with _reading(DecompressionFailed, "compressed-data"):
        return _decompress(der, max_size, reserve=reserve)


def decompress_head(der: bytes, length: int) -> bytes:
    """The first ``length`` bytes of a CMS CompressedData's content (or all of a shorter one).

    Inflates no more than that, so a receiver can look at the inner headers (is the
    content signed?) before it spends memory on the whole content.
    """
    with _reading(DecompressionFailed, "compressed-data"):
        return _decompress(der, length, head=True)


def _decompress(
    der: bytes,
    max_size: int,
    *,
    head: bool = False,
    reserve: Callable[[int], None] | None = None,
) -> bytes:
    try:
        info = _content_info(der, "compressed_data")
    except MalformedMessage as exc:
        raise DecompressionFailed(str(exc)) from exc
    data = info["content"]
    if data["compression_algorithm"]["algorithm"].native != "zlib":
        raise DecompressionFailed("unsupported compression algorithm (only zlib is defined)")
    packed = data["encap_content_info"]["content"].native
    if not isinstance(packed, bytes):
        raise DecompressionFailed("compressed-data without content")
    inflater = zlib.decompressobj()
    out = bytearray()
    pending = packed
    try:
        # inflate in 1 MiB steps so a bomb is stopped at the cap, not after expanding
        while pending and not inflater.eof:
            step = inflater.decompress(pending, min(1 << 20, max_size + 1 - len(out)))
            if reserve is not None:
                reserve(len(step))
            out += step
            if head and len(out) >= max_size:
                return bytes(out[:max_size])
            if len(out) > max_size:
                raise DecompressionFailed(f"compressed content expands beyond {max_size} bytes")
            pending = inflater.unconsumed_tail
        if not inflater.eof:
            out += inflater.flush()
    except zlib.error as exc:
        raise DecompressionFailed(f"corrupt zlib data: {exc}") from exc
    if len(out) > max_size:
        raise DecompressionFailed(f"compressed content expands beyond {max_size} bytes")
    if not inflater.eof:
        raise DecompressionFailed("compressed content is truncated")
    return bytes(out)

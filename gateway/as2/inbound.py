"""Unpacking a received AS2 message: decrypt, verify, decompress, compute the MIC.

Pure: headers and body in, an :class:`InboundMessage` out (or an
:mod:`gateway.as2.errors` exception carrying the MDN disposition modifier). Keys and
certificates are passed in, already filtered for validity by the caller.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509

from gateway.as2 import cms
from gateway.as2.errors import (
    As2RemoteError,
    DecompressionFailed,
    DecryptionFailed,
    InsufficientSecurity,
    IntegrityCheckFailed,
    MalformedMessage,
)
from gateway.as2.mime import (
    Entity,
    Headers,
    decode_body,
    parse_content_type,
    parse_entity,
    short_value_cache,
    signed_content_candidates,
    split_multipart,
)

HEAD_BYTES = 64 * 1024  # inflated to read a compressed layer's inner headers
MAX_LAYERS = 8  # nested signed/compressed/encrypted layers; real messages use up to three
_CMS_TYPES = ("application/pkcs7-mime", "application/x-pkcs7-mime")
_SMIME_KINDS = {
    "enveloped-data": "enveloped_data",
    "compressed-data": "compressed_data",
    "signed-data": "signed_data",
}
_LAYER_ERRORS: dict[str, type[As2RemoteError]] = {
    "enveloped_data": DecryptionFailed,
    "compressed_data": DecompressionFailed,
    "signed_data": IntegrityCheckFailed,
}


@dataclass(frozen=True, slots=True)
class UnpackPolicy:
    """What the partner's profile requires, and the size cap for decompressed content."""

    require_signature: bool = True
    require_encryption: bool = True
    max_content_bytes: int = 100 * 1024 * 1024
    # told the size of each inflated step (a shared memory budget; may wait or raise)
    reserve: Callable[[int], None] | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A received message with its security layers removed."""

    payload: bytes
    content_type: str
    filename: str | None
    signed: bool
    encrypted: bool
    compressed: bool
    mic: str  # base64 digest, as returned in Received-Content-MIC
    mic_algorithm: cms.DigestName
    signer: x509.Certificate | None = None
    layers: tuple[str, ...] = field(default=())  # outermost first, for the audit trail

    @property
    def received_content_mic(self) -> str:
        """The ``Received-Content-MIC`` field value (``base64, sha-256``)."""
        return f"{self.mic}, {cms.micalg_name(self.mic_algorithm)}"


# a partner sends the same options with every message (long ones are not remembered)
@short_value_cache(64)
def requested_mic_algorithm(options: str | None) -> cms.DigestName | None:
    """The first supported algorithm of ``signed-receipt-micalg`` in
    Disposition-Notification-Options, or None when none is asked for."""
    for algs in _dno_values(options or "", "signed-receipt-micalg"):
        try:
            return cms.digest_name(algs)
        except ValueError:
            continue
    return None


@short_value_cache(64)
def signed_receipt_requested(options: str | None) -> bool:
    """Whether Disposition-Notification-Options asks for a pkcs7-signature receipt."""
    return any(
        v.lower() == "pkcs7-signature"
        for v in _dno_values(options or "", "signed-receipt-protocol")
    )


def _dno_values(options: str, name: str) -> list[str]:
    """Values of one parameter (after its importance) in Disposition-Notification-Options."""
    for item in options.split(";"):
        key, _, value = item.partition("=")
        if key.strip().lower() == name:
            values = [v.strip() for v in value.split(",")]
            return [v for v in values[1:] if v]  # the first is optional/required
    return []


def entity_from_http(headers: Mapping[str, str], body: bytes) -> Entity:
    """The top-level MIME entity of an HTTP request (its headers are the HTTP headers)."""
    wanted = ("content-type", "content-transfer-encoding", "content-disposition")
    items = [(k.lower(), v) for k, v in headers.items() if k.lower() in wanted]
    return Entity(headers=Headers(items), body=body, raw=body)


def _looks_like_mime(data: bytes) -> Entity | None:
    """Parse ``data`` as a MIME entity only when it has a Content-Type header."""
    try:
        entity = parse_entity(data)
    except MalformedMessage:
        return None
    return entity if "content-type" in entity.headers else None


def unpack_message(
    headers: Mapping[str, str],
    body: bytes,
    *,
    our_keys: Sequence[cms.KeyPair],
    partner_certs: Sequence[x509.Certificate],
    policy: UnpackPolicy,
    mic_algorithm: cms.DigestName | None = None,
) -> InboundMessage:
    """Remove encryption, signature and compression layers in whatever order they come.

    The MIC follows RFC 4130 section 7.3.1: over the signed entity when signed, over the
    decrypted entity with its headers when only encrypted, over the content otherwise.
    ``mic_algorithm`` is what the sender asked for; by default the signature's digest
    (SHA-1 when unsigned, as RFC 3335 prescribes).
    """
    entity = entity_from_http(headers, body)
    signed = encrypted = compressed = False
    signer: x509.Certificate | None = None
    # the first signature checked: the MIC covers the content it verified
    first_signature: cms.VerifiedSignature | None = None
    sig_digest: cms.DigestName | None = None
    layers: list[str] = []
    budget = policy.max_content_bytes
    for _ in range(MAX_LAYERS):
        media, params = entity.content_type
        smime = params.get("smime-type", "").lower()
        if media in _CMS_TYPES:
            kind = _SMIME_KINDS.get(smime, "")
            try:
                der = decode_body(entity)
                kind = kind or cms.content_kind(der)
            except MalformedMessage as exc:
                # a damaged layer is reported as that layer's failure
                raise _LAYER_ERRORS.get(kind, MalformedMessage)(str(exc)) from exc
            if kind == "enveloped_data":
                content = cms.decrypt(der, our_keys)
                encrypted = True
                layers.append("encrypted")
            elif kind == "compressed_data":
                _check_before_inflating(der, policy, encrypted=encrypted, signed=signed)
                content = cms.decompress(der, budget, policy.reserve)
                compressed = True
                layers.append("compressed")
            elif kind == "signed_data":
                verified = cms.verify_opaque(der, partner_certs)
                content = verified.content
                signed, signer, sig_digest = True, verified.certificate, verified.digest_algorithm
                first_signature = first_signature or verified
                layers.append("signed")
            else:
                raise MalformedMessage(f"unsupported CMS content {kind!r}")
            inner = _looks_like_mime(content)
            if inner is None:
                # some products (mendelson) encrypt the bare payload without MIME headers
                entity = Entity(headers=Headers(), body=content, raw=content)
                media = "application/octet-stream"
                break
            entity = inner
            continue
        if media == "multipart/signed":
            try:
                parts = split_multipart(entity.body, params.get("boundary", ""))
                if len(parts) < 2:
                    raise MalformedMessage("multipart/signed needs a content part and a signature")
                signed_part = parts[0]
                signature = decode_body(parse_entity(parts[1]))
            except MalformedMessage as exc:
                # cut short or damaged in transit: the signed structure is not intact
                raise IntegrityCheckFailed(f"signed message is not intact: {exc}") from exc
            candidates = signed_content_candidates(signed_part)
            verified = cms.verify_detached(signature, candidates, partner_certs)
            signed, signer, sig_digest = True, verified.certificate, verified.digest_algorithm
            first_signature = first_signature or verified
            layers.append("signed")
            entity = parse_entity(signed_part)
            continue
        break
    else:
        raise MalformedMessage(f"more than {MAX_LAYERS} nested security layers")

    if policy.require_encryption and not encrypted:
        raise InsufficientSecurity("partner profile requires encryption; message is not encrypted")
    if policy.require_signature and not signed:
        raise InsufficientSecurity("partner profile requires a signature; message is not signed")

    media, _params = entity.content_type if entity.headers else ("application/octet-stream", {})
    payload = decode_body(entity)
    alg: cms.DigestName = mic_algorithm or sig_digest or "sha1"
    if first_signature is not None:
        mic_digest = _signed_content_digest(first_signature, alg)
    else:
        mic_digest = cms.digest(alg, entity.raw if encrypted else entity.body)
    mic = base64.b64encode(mic_digest).decode("ascii")
    return InboundMessage(
        payload=payload,
        content_type=media,
        filename=_filename(entity),
        signed=signed,
        encrypted=encrypted,
        compressed=compressed,
        mic=mic,
        mic_algorithm=alg,
        signer=signer,
        layers=tuple(layers),
    )


def _signed_content_digest(verified: cms.VerifiedSignature, alg: cms.DigestName) -> bytes:
    """``alg``'s digest of the content a signature verified: the one the check compared
    when it used the same algorithm (the usual case), so the content is hashed once."""
    if verified.content_digest is not None and verified.digest_algorithm == alg:
        return verified.content_digest
    return cms.digest(alg, verified.content)


def _check_before_inflating(
    der: bytes, policy: UnpackPolicy, *, encrypted: bool, signed: bool
) -> None:
    """Refuse a compressed layer the profile's requirements already rule out, unread.

    Encryption is always the outermost layer, so a compressed layer reached without it
    fails a profile that requires encryption. When a signature is required and none was
    verified yet (sign-then-compress, one of RFC 5402's two orders), the compressed
    content must itself be a signed layer: only its first :data:`HEAD_BYTES` are
    inflated to find out, and they are judged by their structure, not by what their
    headers claim (see :func:`_begins_signed_layer`).
    """
    if policy.require_encryption and not encrypted:
        raise InsufficientSecurity(
            "partner profile requires encryption; message is not encrypted "
            "(refused before decompressing)"
        )
    if not policy.require_signature or signed:
        return
    if not _begins_signed_layer(cms.decompress_head(der, HEAD_BYTES)):
        raise InsufficientSecurity(
            "partner profile requires a signature; the compressed content is not signed "
            "(refused before decompressing it whole)"
        )


def _begins_signed_layer(head: bytes) -> bool:
    """Whether ``head``, the start of inflated content, starts a signed layer.

    Headers alone are not believed (a bomb can claim anything): a multipart/signed must
    go on with its first boundary delimiter, an S/MIME entity with a SignedData's DER.
    Another compressed layer (or an encrypted one) is not a signed layer: a compressed
    layer directly in an unverified one is refused rather than inflated whole.
    """
    inner = _looks_like_mime(head)
    if inner is None:
        return False
    media, params = inner.content_type
    if media == "multipart/signed":
        delimiter = b"--" + params.get("boundary", "").encode("latin-1")
        body = inner.body
        return len(delimiter) > 2 and (body.startswith(delimiter) or b"\n" + delimiter in body)
    if media in _CMS_TYPES and params.get("smime-type", "signed-data").lower() == "signed-data":
        return cms.begins_signed_data(_decoded_start(inner))
    return False


def _decoded_start(entity: Entity) -> bytes:
    """The first bytes (a few kilobytes at most) of a body whose end may be cut off."""
    cte = entity.headers.get("content-transfer-encoding", "binary").strip().lower()
    start = entity.body[:4096]
    if cte != "base64":
        return start
    text = re.sub(rb"\s+", b"", start)
    try:
        return base64.b64decode(text[: len(text) // 4 * 4], validate=True)
    except (binascii.Error, ValueError):
        return b""


def _filename(entity: Entity) -> str | None:
    disposition = entity.headers.get("content-disposition")
    if disposition:
        _, params = parse_content_type(disposition)
        if params.get("filename"):
            return params["filename"]
    _, params = entity.content_type if entity.headers else ("", {})
    return params.get("name")

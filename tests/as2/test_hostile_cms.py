"""AS2 audit: what a stranger could make the receiver spend before any signature verified.

Copies of one SignerInfo or RecipientInfo (CPU on the listener's event loop), header
values of megabytes (memory held by module caches), a compressed layer whose inflated
headers only claim to be signed (memory), and the modifiers a cut-short signature or an
unsupported RSA-OAEP digest get (RFC 4130 section 7.5.3).
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from asn1crypto import algos, core
from asn1crypto import cms as acms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from gateway.as2 import cms, inbound, mdn, mime
from gateway.as2.certs import KeyCache
from gateway.as2.errors import DecryptionFailed, IntegrityCheckFailed
from gateway.as2.http import MAX_REQUEST_HEADER_BYTES
from gateway.as2.limits import BODY_FACTOR, MemoryBudget
from gateway.as2.receiver import As2Receiver, As2Response

from .as2_helpers import MemoryIntake, openssl, split_smime
from .conftest import Endpoint, World
from .test_openssl_inbound import as2_headers, openssl_encrypt, payload_entity

CONTENT = b"Content-Type: application/edi-x12\r\n\r\nISA*" + b"A" * (1 << 20)
MULTIPART_SIGNED = (
    'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b"'
)


def make_receiver(world: World) -> tuple[As2Receiver, MemoryIntake]:
    intake = MemoryIntake()
    receiver = As2Receiver(
        intake=intake, find_partner=world.find_partner, identities=KeyCache(world.identities),
        max_body_bytes=16 * 1024 * 1024, schedule_async_mdn=lambda job: None,
        memory=MemoryBudget(1 << 30),
    )  # fmt: skip
    return receiver, intake


def modifier(response: As2Response) -> str:
    match = re.search(rb"Disposition: [^;]+; (.+)", response.body)
    assert match, response.body[:500]
    return match.group(1).decode().strip()


def pair(keys: Any) -> cms.KeyPair:
    return cms.KeyPair(keys.certificate, keys.private_key)


def with_signer_infos(signature: bytes, signer_infos: list[acms.SignerInfo]) -> bytes:
    info = acms.ContentInfo.load(signature)
    signed_data = info["content"].copy()
    signed_data["signer_infos"] = acms.SignerInfos(signer_infos)
    return acms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump(
        force=True
    )


def detached(entity: bytes, signature_der: bytes) -> bytes:
    return (
        b"--b\r\n" + entity + b"\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\n"
        + signature_der + b"\r\n--b--\r\n"
    )  # fmt: skip


@pytest.fixture
def big_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The algorithms of every digest cms takes of (at least) the 1 MiB content."""
    made: list[str] = []
    real = hashlib.new

    def counting(name: str, data: bytes = b"", **kwargs: Any) -> Any:
        if len(data) >= len(CONTENT) - 64:
            made.append(name)
        return real(name, data, **kwargs)

    monkeypatch.setattr(cms.hashlib, "new", counting)
    yield made


# ---- copies of one SignerInfo --------------------------------------------------------------
def test_thousands_of_signer_copies_are_refused_unread(world: World, big_hashes: list[str]) -> None:
    # given: a stranger's signature over 1 MiB with its SignerInfo copied 2,500 times
    # (before the fix each copy hashed the whole content again and tried RSA: seconds)
    signature = cms.sign_detached(CONTENT, pair(world.stranger))
    one = acms.ContentInfo.load(signature)["content"]["signer_infos"][0]
    der = with_signer_infos(signature, [one.copy() for _ in range(2500)])
    receiver, intake = make_receiver(world)
    # when it arrives
    headers = {**as2_headers("LENIENT"), "Content-Type": MULTIPART_SIGNED}
    response = receiver.handle(headers, detached(CONTENT, der))
    # then: authentication-failed (as for no signer at all), without hashing the content
    assert modifier(response) == "processed/Error: authentication-failed"
    assert big_hashes == []
    assert [kind for kind, _, _ in intake.events] == ["as2.rejected"]
    assert "2500 signers" in intake.events[0][1]
    assert intake.payloads == []


def test_signers_up_to_the_bound_hash_the_content_once_and_any_may_verify(
    world: World, big_hashes: list[str]
) -> None:
    # given: three copies of a stranger's SignerInfo, then the partner's own
    stranger = cms.sign_detached(CONTENT, pair(world.stranger))
    partner = cms.sign_detached(CONTENT, pair(world.partner))
    theirs = acms.ContentInfo.load(stranger)["content"]["signer_infos"][0]
    ours = acms.ContentInfo.load(partner)["content"]["signer_infos"][0]
    der = with_signer_infos(stranger, [theirs.copy() for _ in range(3)] + [ours])
    # when verified against the partner's certificate
    verified = cms.verify_detached(der, [CONTENT], [world.partner.certificate])
    # then the partner's signer verifies, and the content was hashed once for all four
    assert verified.certificate == world.partner.certificate
    assert big_hashes == ["sha256"]
    # and one more copy is past the bound
    too_many = with_signer_infos(stranger, [theirs.copy() for _ in range(4)] + [ours])
    with pytest.raises(cms.AuthenticationFailed, match="5 signers"):
        cms.verify_detached(too_many, [CONTENT], [world.partner.certificate])
    assert cms.MAX_SIGNER_INFOS == 4


def _bare_signer(keys: Any, signature: bytes) -> acms.SignerInfo:
    """A SignerInfo without signed attributes: its signature covers the content itself."""
    cert = keys.certificate
    return acms.SignerInfo({
        "version": "v1",
        "sid": acms.SignerIdentifier(name="issuer_and_serial_number", value={
            "issuer": acms.Name.load(cert.issuer.public_bytes()),
            "serial_number": cert.serial_number}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
        "signature": signature,
    })  # fmt: skip


def test_signers_without_attributes_hash_the_content_once_per_algorithm(
    world: World, big_hashes: list[str]
) -> None:
    # given: two SignerInfos whose signature is garbage, then the partner's, none with
    # signed attributes
    real = world.partner.private_key.sign(CONTENT, padding.PKCS1v15(), hashes.SHA256())
    signers = [_bare_signer(world.stranger, bytes(256)), _bare_signer(world.stranger, bytes(256)),
               _bare_signer(world.partner, real)]  # fmt: skip
    der = with_signer_infos(cms.sign_detached(b"x", pair(world.stranger)), signers)
    # when verified with two certificates
    verified = cms.verify_detached(
        der, [CONTENT], [world.stranger.certificate, world.partner.certificate]
    )
    # then it verifies, three signers by two certificates hashing the content once
    assert verified.certificate == world.partner.certificate
    assert verified.content == CONTENT
    assert big_hashes == ["sha256"]


# ---- copies of one RecipientInfo -----------------------------------------------------------
def _enveloped(world: World, copies: int) -> bytes:
    """Enveloped data whose ``copies`` recipient infos all name our certificate, each
    with a random encrypted key (issuer and serial number are public)."""
    info = acms.ContentInfo.load(cms.encrypt(payload_entity(), world.ours.certificate))
    recipient = info["content"]["recipient_infos"][0]
    copied = []
    for _ in range(copies):
        one = recipient.copy()
        one.chosen["encrypted_key"] = acms.OctetString(os.urandom(256))
        copied.append(one)
    enveloped = info["content"].copy()
    enveloped["recipient_infos"] = acms.RecipientInfos(copied)
    return acms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump(
        force=True
    )


def test_thousands_of_recipient_copies_are_refused_unread(world: World) -> None:
    # given: 1,600 recipient infos naming our certificate (one RSA private-key operation
    # each before the fix: most of a second, minutes at the body cap)
    body = _enveloped(world, 1600)
    receiver, intake = make_receiver(world)
    headers = {
        **as2_headers("ACME"),
        "Content-Type": "application/pkcs7-mime; smime-type=enveloped-data",
    }
    # when it arrives
    response = receiver.handle(headers, body)
    # then decryption-failed, with an event saying why
    assert modifier(response) == "processed/Error: decryption-failed"
    assert [kind for kind, _, _ in intake.events] == ["as2.rejected"]
    assert "1600 recipients" in intake.events[0][1]
    assert cms.MAX_RECIPIENT_INFOS == 16


class CountingKey:
    """One of our private keys, counting its private-key operations."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key
        self.calls = 0

    def decrypt(self, data: bytes, pad: Any) -> bytes:
        self.calls += 1
        return self.key.decrypt(data, pad)


def test_each_of_our_keys_is_tried_once_however_many_recipients_name_it(world: World) -> None:
    # given: the bound's worth of recipient infos naming our current certificate
    der = _enveloped(world, cms.MAX_RECIPIENT_INFOS)
    current, old = CountingKey(world.ours.private_key), CountingKey(world.ours_old.private_key)
    keys = [
        cms.KeyPair(world.ours_old.certificate, cast(rsa.RSAPrivateKey, old)),
        cms.KeyPair(world.ours.certificate, cast(rsa.RSAPrivateKey, current)),
    ]
    # when it is decrypted (none of the random keys opens it)
    with pytest.raises(DecryptionFailed):
        cms.decrypt(der, keys)
    # then our current key did one private-key operation, the other none
    assert (current.calls, old.calls) == (1, 0)


# ---- header values of megabytes ------------------------------------------------------------
def test_long_header_values_are_parsed_but_not_remembered() -> None:
    long_type = "application/edi-x12; charset=x; pad=" + "a" * 5000
    long_options = "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg" \
        "=optional, sha-384; pad=" + "b" * 5000  # fmt: skip
    caches: list[Callable[[], Any]] = [
        mime._parse_content_type.cache.cache_info,
        inbound.requested_mic_algorithm.cache.cache_info,
        inbound.signed_receipt_requested.cache.cache_info,
        mdn._id_part.cache.cache_info,
    ]
    before = [info() for info in caches]
    # when long values are parsed: the same answers as ever
    assert mime.parse_content_type(long_type) == (
        "application/edi-x12",
        {"charset": "x", "pad": "a" * 5000},
    )
    assert inbound.requested_mic_algorithm(long_options) == "sha384"
    assert inbound.signed_receipt_requested(long_options) is True
    assert mdn.new_message_id("X" * 5000).endswith("@" + "X" * 5000 + ">")
    # then no cache was asked (nor holds them)
    assert [info() for info in caches] == before
    # while short values still are remembered
    mime.parse_content_type(f"text/plain; n={os.urandom(4).hex()}")
    assert mime._parse_content_type.cache.cache_info().misses == before[0].misses + 1
    # and an object identifier of a hundred bytes is not remembered by name
    long_oid = core.ObjectIdentifier("1.2." + ".".join(["200"] * 60))
    cms._oid_name(long_oid)
    assert bytes(long_oid.contents) not in cms._OID_NAMES


def test_request_headers_over_the_bound_are_431_and_recorded(endpoint: Endpoint) -> None:
    # given: a message whose headers are 80 KiB together, and one of 32 KiB
    entity = b"ISA*00*PO-1~"
    big = {**as2_headers("LENIENT"), "Content-Type": "application/edi-x12; x=" + "a" * 80_000}
    fits = {**as2_headers("LENIENT"), "Content-Type": "application/edi-x12; x=" + "a" * 32_000}
    # when they are posted to the real app (console and listener alike)
    refused = httpx.post(endpoint.url, headers=big, content=entity, timeout=30)
    taken = httpx.post(endpoint.url, headers=fits, content=entity, timeout=30)
    # then the first is 431, unread, with an event and a refused record of cut headers
    assert refused.status_code == 431
    assert refused.text == f"request headers exceed {MAX_REQUEST_HEADER_BYTES} bytes"
    assert refused.headers["connection"] == "close"
    events = [(k, d) for k, d, _ in endpoint.intake.events if k == "as2.refused"]
    assert len(events) == 1 and "answered 431" in events[0][1]
    [record] = endpoint.intake.refused
    assert record.refused is not None and record.refused.startswith("request headers of")
    assert len(record.metadata["content-type"]) == 512
    # and the second is processed as ever
    assert taken.status_code == 200
    assert [p.data for p in endpoint.intake.payloads] == [entity]


# ---- compressed layers that only claim to be signed ----------------------------------------
def _bomb(head: bytes, zeros: int = 8 << 20) -> bytes:
    packer = zlib.compressobj(9)
    block = bytes(1 << 20)
    packed = packer.compress(head) + b"".join(packer.compress(block) for _ in range(zeros >> 20))
    return acms.ContentInfo({"content_type": "compressed_data", "content": acms.CompressedData({
        "version": "v0", "compression_algorithm": {"algorithm": "zlib"},
        "encap_content_info": {"content_type": "data", "content": packed + packer.flush()}})}
    ).dump()  # fmt: skip


def _compressed_entity(der: bytes) -> bytes:
    return b"Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n\r\n" + der


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Type: application/edi-x12\r\n\r\n",
        b"Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n\r\n",
        b"Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n\r\n",
        b"Content-Type: application/pkcs7-mime\r\n\r\n",
        b'Content-Type: multipart/signed; boundary="x"\r\n\r\n',
        _compressed_entity(cms.compress(b"Content-Type: application/edi-x12\r\n\r\nISA*")),
    ],
    ids=[
        "plain", "claims-compressed", "claims-signed-data", "claims-cms", "claims-multipart",
        "really-compressed",
    ],
)  # fmt: skip
def test_a_compressed_layer_is_inflated_whole_only_when_it_really_starts_signed(
    tmp_path: Path, world: World, head: bytes
) -> None:
    # given: 8 KiB that inflate to 8 MiB, behind headers claiming a signed (or another
    # compressed) layer, encrypted to our public certificate: anyone can send it
    headers, body = split_smime(
        openssl_encrypt(tmp_path, _compressed_entity(_bomb(head)), world.ours, "aes256")
    )
    receiver, intake = make_receiver(world)
    # when it reaches a partner that requires a signature
    response = receiver.handle({**as2_headers("ACME"), **headers}, body)
    # then it is refused having inflated its first 64 KiB only: nothing was reserved
    # beyond what every request reserves for its body
    assert modifier(response) == "processed/Error: insufficient-message-security"
    assert receiver.memory.peak == BODY_FACTOR * len(body)
    assert intake.payloads == []


def test_opaque_signed_data_compressed_then_encrypted_is_read(tmp_path: Path, world: World) -> None:
    # given: sign (opaque signed-data, base64), then compress, then encrypt
    source = tmp_path / "entity"
    source.write_bytes(payload_entity())
    signer = ["-signer", str(world.partner.cert), "-inkey", str(world.partner.key)]
    signed = openssl("cms", "-sign", "-nodetach", "-binary", "-in", str(source), *signer)
    assert b"smime-type=signed-data" in signed
    entity = _compressed_entity(cms.compress(signed))
    headers, body = split_smime(openssl_encrypt(tmp_path, entity, world.ours, "aes256"))
    receiver, intake = make_receiver(world)
    # when it reaches a partner requiring signature and encryption
    response = receiver.handle({**as2_headers("ACME"), **headers}, body)
    # then it is processed
    assert modifier(response) == "processed", response.body[:300]
    assert intake.payloads[0].metadata["as2.layers"] == "encrypted,compressed,signed"


def test_signed_data_is_recognised_from_its_first_bytes(world: World) -> None:
    signature = cms.sign_detached(b"x", pair(world.partner))
    assert cms.begins_signed_data(signature)
    assert cms.begins_signed_data(signature[:40])
    assert not cms.begins_signed_data(signature[:12])
    assert not cms.begins_signed_data(cms.compress(b"x"))
    assert not cms.begins_signed_data(cms.encrypt(b"x", world.ours.certificate))
    assert not cms.begins_signed_data(b"")


# ---- disposition modifiers -----------------------------------------------------------------
def test_a_signature_cut_short_is_an_integrity_failure(world: World) -> None:
    inner = payload_entity()
    signature = cms.sign_detached(inner, pair(world.partner))
    receiver, intake = make_receiver(world)
    # a detached signature whose DER is cut in half
    headers = {**as2_headers("LENIENT"), "Content-Type": MULTIPART_SIGNED}
    response = receiver.handle(headers, detached(inner, signature[: len(signature) // 2]))
    assert modifier(response) == "processed/Error: integrity-check-failed"
    # an opaque signed-data cut in half
    info = acms.ContentInfo.load(signature)
    info["content"]["encap_content_info"] = acms.ContentInfo(
        {"content_type": "data", "content": inner}
    )
    opaque = info.dump(force=True)
    headers = {**as2_headers("LENIENT"),
               "Content-Type": "application/pkcs7-mime; smime-type=signed-data"}  # fmt: skip
    response = receiver.handle(headers, opaque[: len(opaque) // 2])
    assert modifier(response) == "processed/Error: integrity-check-failed"
    with pytest.raises(IntegrityCheckFailed):
        cms.verify_opaque(opaque[:100], [world.partner.certificate])
    assert [kind for kind, _, _ in intake.events] == ["as2.rejected", "as2.rejected"]


def test_oaep_naming_a_digest_we_do_not_support_is_a_decryption_failure(world: World) -> None:
    der = cms.encrypt(b"x", world.ours.certificate, "aes128-cbc", key_encryption="rsaes-oaep")
    info = acms.ContentInfo.load(der)
    info["content"]["recipient_infos"][0].chosen["key_encryption_algorithm"]["parameters"] = (
        algos.RSAESOAEPParams({
            "hash_algorithm": {"algorithm": "md5"},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "md5"}},
        })
    )  # fmt: skip
    with pytest.raises(DecryptionFailed, match="md5"):
        cms.decrypt(info.dump(force=True), [pair(world.ours)])


# ---- object identifiers ---------------------------------------------------------------------
def _content_info_with_oid(length: int) -> bytes:
    """A ContentInfo whose content type is one object identifier ``length`` bytes long
    (a single arc of continuation bytes: asn1crypto's text conversion of it grows with
    the square of its length)."""
    arcs = b"\x2a" + b"\x81" * (length - 2) + b"\x01"
    oid = b"\x06\x83" + len(arcs).to_bytes(3, "big") + arcs
    inner = oid + b"\xa0\x02\x05\x00"
    return b"\x30\x83" + len(inner).to_bytes(3, "big") + inner


@pytest.mark.parametrize(
    ("smime_type", "expected"),
    [("enveloped-data", "decryption-failed"), ("signed-data", "integrity-check-failed")],
)
def test_an_object_identifier_of_100_kb_is_malformed_not_seconds_of_cpu(
    world: World, smime_type: str, expected: str
) -> None:
    # given a stranger's CMS whose content type is a 100 KB "identifier" (3 s of CPU on
    # the listener's event loop before the bound; minutes at a megabyte)
    body = _content_info_with_oid(100_000)
    with pytest.raises(cms.MalformedMessage, match="object identifier of 100000 bytes"):
        cms.content_kind(body)
    receiver, intake = make_receiver(world)
    headers = {**as2_headers("ACME"),
               "Content-Type": f"application/pkcs7-mime; smime-type={smime_type}"}  # fmt: skip
    # when it arrives, then it is the layer's failure, with an event naming the identifier
    response = receiver.handle(headers, body)
    assert modifier(response) == f"processed/Error: {expected}"
    [(kind, detail, _)] = intake.events
    assert kind == "as2.rejected" and "object identifier of 100000 bytes" in detail
    # and identifiers up to the bound still read
    signed = acms.ContentType.load(b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02")
    assert signed.native == "signed_data"

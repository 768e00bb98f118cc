"""CMS built and read by cryptography where it can, by asn1crypto for the rest.

Signing with SHA-2, encrypting and decrypting AES-128/256 with RSA PKCS #1 v1.5 go
through cryptography's ``pkcs7`` module; SHA-1, 3DES, AES-192 and RSA-OAEP through the
asn1crypto code. Both must give structures the other side reads (openssl is the peer in
test_openssl_inbound.py and test_sending.py); here: every combination round-trips, the
signature carries the same attributes either way, several keys (a certificate
rollover) are tried in turn, and what cryptography refuses gets the layer's own error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

import pytest
from asn1crypto import cms as asn1_cms

from gateway.as2 import cms, mime
from gateway.as2.errors import DecryptionFailed, IntegrityCheckFailed

from .as2_helpers import KeyFiles, make_keys


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[KeyFiles, KeyFiles]:
    folder = tmp_path_factory.mktemp("cms-paths")
    return make_keys(folder, "ours"), make_keys(folder, "other")


def _pair(files: KeyFiles) -> cms.KeyPair:
    return cms.KeyPair(files.certificate, files.private_key)


CONTENT = b"Content-Type: application/edi-x12\r\n\r\nISA*00*~GS*PO~ST*850*0001~\n" * 20


@pytest.mark.parametrize("digest", get_args(cms.DigestName))
@pytest.mark.parametrize("scheme", ["pkcs1v15", "pss"])
def test_every_digest_and_scheme_signs_what_verifies(
    keys: tuple[KeyFiles, KeyFiles], digest: cms.DigestName, scheme: cms.SignatureScheme
) -> None:
    # given our key
    ours, _ = keys
    # when signing with each digest and scheme
    signature = cms.sign_detached(CONTENT, _pair(ours), digest, scheme=scheme)
    # then it verifies over the content, with that digest, and names our certificate
    verified = cms.verify_detached(signature, [CONTENT], [ours.certificate])
    assert verified.digest_algorithm == digest and verified.content == CONTENT
    signed_data = asn1_cms.ContentInfo.load(signature)["content"]
    [signer] = signed_data["signer_infos"]
    assert signer["sid"].chosen["serial_number"].native == ours.certificate.serial_number
    assert signed_data["encap_content_info"]["content"].native is None  # detached
    assert len(signed_data["certificates"]) == 1
    # with the attributes the asn1crypto path writes: content type, signing time, digest
    attrs = {a["type"].native: a["values"][0].native for a in signer["signed_attrs"]}
    assert set(attrs) == {"content_type", "signing_time", "message_digest"}
    assert attrs["content_type"] == "data"
    assert abs(attrs["signing_time"] - datetime.now(UTC)) < timedelta(minutes=2)
    assert attrs["message_digest"] == cms.digest(digest, CONTENT)


def test_a_signature_over_other_bytes_does_not_verify(keys: tuple[KeyFiles, KeyFiles]) -> None:
    ours, _ = keys
    signature = cms.sign_detached(CONTENT, _pair(ours), "sha256")
    with pytest.raises(IntegrityCheckFailed):
        cms.verify_detached(signature, [CONTENT + b" "], [ours.certificate])


@pytest.mark.parametrize("cipher", get_args(cms.CipherName))
@pytest.mark.parametrize("key_encryption", get_args(cms.KeyEncryption))
def test_every_cipher_and_key_transport_round_trips(
    keys: tuple[KeyFiles, KeyFiles], cipher: cms.CipherName, key_encryption: cms.KeyEncryption
) -> None:
    # given a message encrypted for our certificate
    ours, other = keys
    der = cms.encrypt(CONTENT, ours.certificate, cipher, key_encryption=key_encryption)
    # then it names the cipher asked for
    eci = asn1_cms.ContentInfo.load(der)["content"]["encrypted_content_info"]
    wanted = {"tripledes-cbc": "tripledes_3key"}.get(cipher, cipher.replace("-", "_"))
    assert eci["content_encryption_algorithm"]["algorithm"].native == wanted
    # and decrypts with our key, also when another key (an older certificate) comes first
    assert cms.decrypt(der, [_pair(ours)]) == CONTENT
    assert cms.decrypt(der, [_pair(other), _pair(ours)]) == CONTENT


def test_a_message_for_another_certificate_names_it(keys: tuple[KeyFiles, KeyFiles]) -> None:
    ours, other = keys
    der = cms.encrypt(CONTENT, other.certificate, "aes256-cbc")
    with pytest.raises(DecryptionFailed, match="no key for: issuer Common Name: other, serial"):
        cms.decrypt(der, [_pair(ours)])


def test_a_damaged_ciphertext_is_a_decryption_failure(keys: tuple[KeyFiles, KeyFiles]) -> None:
    # given an AES-256 message (cryptography's path) cut short
    ours, _ = keys
    der = cms.encrypt(CONTENT, ours.certificate, "aes256-cbc")
    # then neither path lets a ValueError through
    with pytest.raises(DecryptionFailed):
        cms.decrypt(der[:-40], [_pair(ours)])
    # nor does a changed byte in the padding: the ciphertext ends the DER, and flipping
    # the last byte of the last block but one flips the last plaintext byte, so the pad
    # length (1-16) becomes 239-254 every time. (Flipping the last byte itself garbles
    # the whole last block, whose garbage ends in a valid pad about once in 300 runs:
    # CBC has no integrity check, the signature inside is what proves the content.)
    ciphertext = asn1_cms.ContentInfo.load(der)["content"]["encrypted_content_info"][
        "encrypted_content"
    ].native
    assert der.endswith(ciphertext)
    damaged = der[:-17] + bytes([der[-17] ^ 0xFF]) + der[-16:]
    with pytest.raises(DecryptionFailed):
        cms.decrypt(damaged, [_pair(ours)])


def test_no_key_at_all_is_a_decryption_failure(tmp_path: Path) -> None:
    ours = make_keys(tmp_path, "lonely")
    der = cms.encrypt(CONTENT, ours.certificate, "aes128-cbc")
    with pytest.raises(DecryptionFailed):
        cms.decrypt(der, [])


def test_canonical_variants_are_made_only_when_the_bytes_as_received_do_not_match(
    keys: tuple[KeyFiles, KeyFiles], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given content with bare LF line endings, signed as received and signed canonical
    ours, _ = keys
    bare = b"Content-Type: text/plain\n\nline one\nline two\n"
    made: list[bytes] = []
    original = mime.canonicalize
    monkeypatch.setattr(mime, "canonicalize", lambda data: made.append(data) or original(data))
    as_received = cms.sign_detached(bare, _pair(ours), "sha256")
    canonical = cms.sign_detached(mime.canonicalize(bare), _pair(ours), "sha256")
    made.clear()
    # when the signature is over the bytes as received: no variant is made
    candidates = mime.signed_content_candidates(bare)
    assert cms.verify_detached(as_received, candidates, [ours.certificate]).content == bare
    assert made == []
    # when it is over the canonical form: the variants are made, once, and it verifies
    verified = cms.verify_detached(canonical, candidates, [ours.certificate])
    assert verified.content == original(bare)
    assert list(candidates) == [bare, b"Content-Type: text/plain\r\n\r\nline one\nline two\n",
                                original(bare)]  # fmt: skip
    assert len(made) == 2  # the header block, then the whole entity: not again


@pytest.mark.parametrize("signed_with", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("mic_asked", [None, "sha1", "sha256", "sha384"])
@pytest.mark.parametrize("encrypted", [False, True])
def test_the_mic_is_the_senders_whether_or_not_the_signature_hashed_it_already(
    keys: tuple[KeyFiles, KeyFiles],
    signed_with: cms.DigestName,
    mic_asked: cms.DigestName | None,
    encrypted: bool,
) -> None:
    # given a signed (and maybe encrypted) message asking for a MIC in some algorithm
    from gateway.as2.inbound import UnpackPolicy, requested_mic_algorithm, unpack_message
    from gateway.as2.outbound import EncryptOptions, SignOptions, build_message

    ours, other = keys
    message = build_message(
        CONTENT, filename="po.x12", as2_from="A", as2_to="B",
        sign=SignOptions(_pair(other), signed_with),
        encrypt=EncryptOptions(ours.certificate) if encrypted else None,
        mic_algorithm=mic_asked,
    )  # fmt: skip
    # when it is unpacked with the algorithm the headers ask for
    headers = {k.lower(): v for k, v in message.headers.items()}
    received = unpack_message(
        headers, message.body, our_keys=[_pair(ours)], partner_certs=[other.certificate],
        policy=UnpackPolicy(require_encryption=encrypted),
        mic_algorithm=requested_mic_algorithm(headers.get("disposition-notification-options")),
    )  # fmt: skip
    # then the MIC is the one the sender computed on its own: the signature's digest reused
    # when the algorithms agree, a fresh digest when they do not
    assert (received.mic, received.mic_algorithm) == (message.mic, message.mic_algorithm)


def test_a_verified_signature_carries_the_digest_it_checked(
    keys: tuple[KeyFiles, KeyFiles],
) -> None:
    # given a detached signature with signed attributes
    ours, _ = keys
    signature = cms.sign_detached(CONTENT, _pair(ours), "sha384")
    # when it verifies
    verified = cms.verify_detached(signature, [CONTENT], [ours.certificate])
    # then the digest it compared is the content's, in the signature's algorithm
    assert verified.content_digest == cms.digest("sha384", CONTENT)

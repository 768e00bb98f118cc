"""openssl as the sending partner: messages built with ``openssl cms`` are posted over
real HTTP to the running endpoint, and the signed MDNs are verified with openssl."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi import Response as FastResponse

from gateway.as2 import cms
from gateway.as2.async_mdn import post_async_mdn

from .as2_helpers import KeyFiles, ServerThread, openssl, split_smime
from .conftest import Endpoint, World

PAYLOAD = (
    b"ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAY        *241122*2109*U*00401"
    b"*000000001*0*P*>~\nGS*PO*ACME*GATEWAY*20241122*2109*1*X*004010~\nST*850*0001~\n"
    b"BEG*00*SA*PO-1**20241122~\nSE*3*0001~\nGE*1*1~\nIEA*1*000000001~\n"
)


def payload_entity(payload: bytes = PAYLOAD) -> bytes:
    return (
        b"Content-Type: application/EDI-X12\r\n"
        b'Content-Disposition: attachment; filename="po-1.x12"\r\n\r\n' + payload
    )


def first_part(smime_body: bytes, boundary: str) -> bytes:
    """The signed entity of a multipart/signed body, cut out independently of gateway code."""
    delim = re.escape(b"--" + boundary.encode())
    match = re.search(delim + rb"\r?\n(.*?)\r?\n" + delim, smime_body, re.DOTALL)
    assert match
    return match.group(1)


def boundary_of(content_type: str) -> str:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    assert match
    return match.group(1)


def openssl_sign(tmp: Path, entity: bytes, signer: KeyFiles, md: str, *, binary: bool = True,
                 pss: bool = False) -> bytes:  # fmt: skip
    src = tmp / f"in-{secrets.token_hex(4)}"
    src.write_bytes(entity)
    args = ["cms", "-sign", "-in", str(src), "-signer", str(signer.cert), "-inkey",
            str(signer.key), "-md", md]  # fmt: skip
    if binary:
        args.append("-binary")
    else:
        args.append("-crlfeol")
    if pss:
        args += ["-keyopt", "rsa_padding_mode:pss"]
    return openssl(*args)


def openssl_encrypt(tmp: Path, entity: bytes, recipient: KeyFiles, cipher: str, *,
                    oaep: bool = False) -> bytes:  # fmt: skip
    src = tmp / f"in-{secrets.token_hex(4)}"
    src.write_bytes(entity)
    args = ["cms", "-encrypt", "-in", str(src), "-binary", f"-{cipher}", "-recip",
            str(recipient.cert)]  # fmt: skip
    if oaep:
        args += ["-keyopt", "rsa_padding_mode:oaep"]
    return openssl(*args)


def as2_headers(as2_from: str = "ACME", micalg: str = "sha-256", **extra: str) -> dict[str, str]:
    return {
        "AS2-Version": "1.2",
        "AS2-From": as2_from,
        "AS2-To": "GATEWAY",
        "Message-ID": f"<{secrets.token_hex(8)}@acme.example>",
        "Disposition-Notification-To": "edi@acme.example",
        "Disposition-Notification-Options": "signed-receipt-protocol=optional, pkcs7-signature; "
        f"signed-receipt-micalg=optional, {micalg}",
        **extra,
    }


def post(endpoint: Endpoint, headers: dict[str, str], body: bytes) -> httpx.Response:
    return httpx.post(endpoint.url, headers=headers, content=body, timeout=30)


def verify_mdn_with_openssl(tmp: Path, response: httpx.Response, world: World) -> str:
    """openssl checks the MDN's signature against our certificate; returns the report."""
    assert response.headers["content-type"].startswith("multipart/signed")
    smime = (
        b"MIME-Version: 1.0\r\nContent-Type: "
        + response.headers["content-type"].encode()
        + b"\r\n\r\n"
        + response.content
    )
    path = tmp / f"mdn-{secrets.token_hex(4)}.eml"
    path.write_bytes(smime)
    out = openssl("cms", "-verify", "-in", str(path), "-CAfile", str(world.ours.cert),
                  "-purpose", "any")  # fmt: skip
    # the older S/MIME command (what many partners' scripts use) agrees
    legacy = openssl("smime", "-verify", "-in", str(path), "-CAfile", str(world.ours.cert),
                     "-purpose", "any")  # fmt: skip
    assert legacy == out
    return out.decode()


def mic_field(report: str) -> str:
    match = re.search(r"Received-Content-MIC:\s*(.+)", report)
    assert match, report
    return match.group(1).strip()


CASES = [
    # (id, sign md, pss, binary, cipher, oaep, mic alg asked)
    ("signed-sha256", "sha256", False, True, None, False, "sha-256"),
    ("signed-sha1-canonical", "sha1", False, False, None, False, "sha1"),
    ("signed-sha512-pss", "sha512", True, True, None, False, "sha-512"),
    ("signed-sha224", "sha224", False, True, None, False, "sha-224"),
    ("encrypted-3des-signed-sha256", "sha256", False, True, "des3", False, "sha-256"),
    ("encrypted-aes128-signed-sha384", "sha384", False, True, "aes128", False, "sha-384"),
    ("encrypted-aes256-oaep-signed-pss", "sha256", True, False, "aes256", True, "sha-256"),
    ("encrypted-aes192-signed-sha1", "sha1", False, True, "aes192", False, "sha1"),
]


@pytest.mark.parametrize(
    ("md", "pss", "binary", "cipher", "oaep", "micalg"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_openssl_signed_and_encrypted_messages_get_a_signed_processed_mdn(
    tmp_path: Path, world: World, endpoint: Endpoint,
    md: str, pss: bool, binary: bool, cipher: str | None, oaep: bool, micalg: str,
) -> None:  # fmt: skip
    # given: a message signed (and maybe encrypted) by openssl with the partner's key
    signed = openssl_sign(tmp_path, payload_entity(), world.partner, md, binary=binary, pss=pss)
    sig_headers, sig_body = split_smime(signed)
    expected_mic = base64.b64encode(
        hashlib.new(
            cms.digest_name(micalg), first_part(sig_body, boundary_of(sig_headers["Content-Type"]))
        ).digest()
    ).decode()
    profile_headers = as2_headers("ACME" if cipher else "LENIENT", micalg)
    if cipher:
        headers, body = split_smime(
            openssl_encrypt(tmp_path, signed, world.ours, cipher, oaep=oaep)
        )
    else:
        headers, body = sig_headers, sig_body
    # when: it is posted to /as2
    response = post(endpoint, {**profile_headers, **headers}, body)
    # then: openssl verifies our signed MDN, which reports processed and the right MIC
    assert response.status_code == 200, response.text
    report = verify_mdn_with_openssl(tmp_path, response, world)
    assert re.search(r"Disposition: automatic-action/MDN-sent-automatically; processed\s", report)
    assert mic_field(report) == f"{expected_mic}, {micalg}"
    assert profile_headers["Message-ID"] in report
    # and the payload reached the intake exactly once, with its raw request stored first
    # (openssl's text mode sends the payload with canonical CRLF line endings)
    sent = PAYLOAD if binary else PAYLOAD.replace(b"\n", b"\r\n")
    assert [p.data for p in endpoint.intake.payloads] == [sent]
    stored = endpoint.intake.payloads[0]
    assert stored.filename == "po-1.x12"
    assert stored.dedupe_key == profile_headers["Message-ID"]
    assert stored.raw_sha256 in endpoint.intake.raw


def test_encrypted_only_message_mic_covers_the_decrypted_entity(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    # given: an unsigned message to a partner that does not require signatures
    entity = payload_entity()
    headers, body = split_smime(openssl_encrypt(tmp_path, entity, world.ours, "aes256"))
    # when
    response = post(endpoint, {**as2_headers("LENIENT"), **headers}, body)
    # then: RFC 4130 7.3.1: MIC over the decrypted entity including its MIME headers
    report = verify_mdn_with_openssl(tmp_path, response, world)
    expected = base64.b64encode(hashlib.sha256(entity).digest()).decode()
    assert mic_field(report) == f"{expected}, sha-256"
    assert endpoint.intake.payloads[0].data == PAYLOAD


def test_compressed_before_signing_and_after_signing_are_both_read(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    # openssl on this system has no zlib, so the compression layer is built by the
    # gateway's cms.compress; signing and encryption around it are openssl's
    compressed_entity = (
        b"Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n"
        b"Content-Transfer-Encoding: binary\r\n\r\n" + cms.compress(payload_entity())
    )
    # given: compress, then sign, then encrypt
    signed = openssl_sign(tmp_path, compressed_entity, world.partner, "sha256")
    headers, body = split_smime(openssl_encrypt(tmp_path, signed, world.ours, "aes256"))
    first = post(endpoint, {**as2_headers(), **headers}, body)
    # given: sign, then compress, then encrypt
    inner = openssl_sign(tmp_path, payload_entity(), world.partner, "sha256")
    compressed_signed = (
        b"Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n\r\n"
        + cms.compress(inner)
    )
    headers2, body2 = split_smime(
        openssl_encrypt(tmp_path, compressed_signed, world.ours, "aes128")
    )
    second = post(endpoint, {**as2_headers(), **headers2}, body2)
    # then: both are processed and both payloads arrive intact
    for response in (first, second):
        assert "processed\r\n" in verify_mdn_with_openssl(tmp_path, response, world)
    assert [p.data for p in endpoint.intake.payloads] == [PAYLOAD, PAYLOAD]
    assert endpoint.intake.payloads[0].metadata["as2.layers"] == "encrypted,signed,compressed"
    assert endpoint.intake.payloads[1].metadata["as2.layers"] == "encrypted,compressed,signed"


def test_unsigned_mdn_when_no_signature_is_requested(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    headers, body = split_smime(openssl_encrypt(tmp_path, payload_entity(), world.ours, "aes256"))
    h = as2_headers("LENIENT")
    del h["Disposition-Notification-Options"]
    response = post(endpoint, {**h, **headers}, body)
    assert response.headers["content-type"].startswith("multipart/report")
    assert b"; processed" in response.content
    assert response.headers["as2-from"] == "GATEWAY"
    assert response.headers["as2-to"] == "LENIENT"


def test_an_mdn_answer_carries_one_date_in_http_s_format(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    # given: a signed message asking for a signed MDN, posted to the console's /as2 and the
    # listener's (the endpoint fixture runs both under uvicorn, which dates every answer)
    signed = openssl_sign(tmp_path, payload_entity(), world.partner, "sha256")
    headers, body = split_smime(signed)
    # uvicorn renews its date once a second, from its loop: a busy host can delay that
    before = datetime.now(UTC) - timedelta(seconds=30)
    response = post(endpoint, {**as2_headers("LENIENT"), **headers}, body)
    # then: one Date header (the MDN's own is not added to the server's), an IMF-fixdate
    assert response.status_code == 200 and b"; processed" in response.content
    (date,) = response.headers.get_list("date")
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", date)
    assert before <= email.utils.parsedate_to_datetime(date) <= datetime.now(UTC)


def test_async_mdn_is_posted_to_the_receipt_delivery_option_and_verifies_with_openssl(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    app = FastAPI()

    @app.post("/mdn")
    async def take(request: Request) -> FastResponse:
        received.append((dict(request.headers), await request.body()))
        return FastResponse(status_code=200)

    with ServerThread(app) as partner_server:
        # given: an openssl-built message asking for an asynchronous signed MDN
        signed = openssl_sign(tmp_path, payload_entity(), world.partner, "sha256")
        headers, body = split_smime(openssl_encrypt(tmp_path, signed, world.ours, "aes256"))
        h = as2_headers("ACME", **{"Receipt-Delivery-Option": partner_server.url + "/mdn"})
        # when
        response = post(endpoint, {**h, **headers}, body)
        # then: the HTTP answer carries no MDN; the job does, and it is delivered
        assert response.status_code == 200 and b"asynchronously" in response.content
        (job,) = endpoint.async_jobs
        assert job.url == partner_server.url + "/mdn" and job.partner_id == "acme"
        assert post_async_mdn(job.url, job.headers, job.body) == 200
    ((mdn_headers, mdn_body),) = received
    as_response = httpx.Response(200, headers=mdn_headers, content=mdn_body)
    report = verify_mdn_with_openssl(tmp_path, as_response, world)
    assert re.search(r"; processed\s", report) and h["Message-ID"] in report
    assert mdn_headers["as2-to"] == "ACME" and mdn_headers["as2-from"] == "GATEWAY"
    # the MDN's own Date (the request's here) is an IMF-fixdate, as HTTP wants it
    assert mdn_headers["date"].endswith(" GMT"), mdn_headers["date"]


def test_rollover_partner_next_certificate_and_our_previous_key_both_work(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    # given: the partner already signs with its next certificate, and still encrypts to
    # our previous certificate (both are listed and valid: no downtime during rollover)
    signed = openssl_sign(tmp_path, payload_entity(), world.partner_next, "sha256")
    headers, body = split_smime(openssl_encrypt(tmp_path, signed, world.ours_old, "aes256"))
    # when
    response = post(endpoint, {**as2_headers("ACME"), **headers}, body)
    # then
    report = verify_mdn_with_openssl(tmp_path, response, world)
    assert re.search(r"; processed\s", report)
    assert endpoint.intake.payloads[0].data == PAYLOAD
    assert endpoint.intake.payloads[0].metadata["as2.signer"] == "CN=acme-next"

"""The sender: what it posts is opened by openssl, and MDNs are checked properly."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from asn1crypto import cms as acms
from fastapi import FastAPI, Request, Response

from gateway.as2.async_mdn import MdnPostError, post_async_mdn
from gateway.as2.certs import KeyCache
from gateway.as2.client import As2Sender, PendingMdn, SendAttempt, async_mdn_handler
from gateway.intake import PermanentSendError, TransientSendError

from .as2_helpers import ServerThread, openssl
from .conftest import Endpoint, World, make_profile

PAYLOAD = (
    b"UNA:+.? 'UNB+UNOC:3+GATEWAY:14+ACME:14+241122:2200+42'UNH+1+ORDRSP:D:96A:UN'UNT+2+1'UNZ+1+42'"
)


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[Recorder, str]]:
    rec = Recorder()
    app = FastAPI()

    @app.post("/in")
    async def record(request: Request) -> Response:
        rec.requests.append((dict(request.headers), await request.body()))
        return Response(status_code=200)

    with ServerThread(app) as server:
        yield rec, server.url + "/in"


def sender_for(
    world: World,
    profile_id: str,
    as2: dict[str, object],
    transport: httpx.BaseTransport | None = None,
) -> tuple[As2Sender, list[SendAttempt]]:
    world.profiles[profile_id] = make_profile(profile_id, as2)
    attempts: list[SendAttempt] = []
    sender = As2Sender(
        get_partner=world.get_partner,
        keys=KeyCache(world.identities),
        record_attempt=attempts.append,
        http=httpx.Client(transport=transport) if transport else httpx.Client(),
    )
    return sender, attempts


SEND_CASES = [
    ("aes256-sha256", {"encrypt": "aes256-cbc", "sign": "sha256"}),
    (
        "3des-oaep-sha512-pss",
        {
            "encrypt": "tripledes-cbc",
            "key_encryption": "rsaes-oaep",
            "sign": "sha512",
            "signature_scheme": "pss",
        },
    ),
    ("aes128-sha1-compressed", {"encrypt": "aes128-cbc", "sign": "sha1", "compress": True}),
    ("aes192-unsigned", {"encrypt": "aes192-cbc", "sign": None}),
]


@pytest.mark.parametrize("options", [c[1] for c in SEND_CASES], ids=[c[0] for c in SEND_CASES])
def test_openssl_decrypts_and_verifies_what_the_sender_posts(
    tmp_path: Path, world: World, recorder: tuple[Recorder, str], options: dict[str, object]
) -> None:
    rec, url = recorder
    rec.requests.clear()
    sender, attempts = sender_for(
        world,
        "outbound",
        {
            "as2_id": "ACME",
            "url": url,
            "mdn": "none",
            "certificates": [{"file": str(world.partner.cert)}],
            **options,
        },
    )
    # when
    message_id = sender.send("outbound", "ordrsp-42.edi", PAYLOAD, kind="ORDRSP")
    # then: the partner (openssl, with the partner's key) decrypts ...
    ((headers, body),) = rec.requests
    assert headers["message-id"] == message_id and headers["as2-to"] == "ACME"
    assert headers["content-type"].startswith("application/pkcs7-mime; smime-type=enveloped-data")
    (tmp_path / "msg.der").write_bytes(body)
    decrypted = openssl(
        "cms",
        "-decrypt",
        "-inform",
        "DER",
        "-in",
        str(tmp_path / "msg.der"),
        "-recip",
        str(world.partner.cert),
        "-inkey",
        str(world.partner.key),
    )
    if options.get("sign"):
        # ... and verifies our signature against our certificate
        (tmp_path / "signed.eml").write_bytes(decrypted)
        inner = openssl(
            "cms",
            "-verify",
            "-in",
            str(tmp_path / "signed.eml"),
            "-CAfile",
            str(world.ours.cert),
            "-purpose",
            "any",
        )
    else:
        inner = decrypted
    if options.get("compress"):
        der = inner.split(b"\r\n\r\n", 1)[1]
        inner = acms.ContentInfo.load(der)["content"].decompressed  # asn1crypto's own zlib path
    head, _, content = inner.partition(b"\r\n\r\n")
    assert content == PAYLOAD
    assert b"application/EDIFACT" in head and b'filename="ordrsp-42.edi"' in head
    assert [a.outcome for a in attempts] == ["delivered"]


@pytest.fixture
def loopback(world: World, endpoint: Endpoint) -> dict[str, object]:
    """A profile whose partner is this gateway itself (our own keys both ways)."""
    return {
        "as2_id": "GATEWAY",
        "url": endpoint.url,
        "certificates": [{"file": str(world.ours.cert)}],
    }


def test_sync_signed_mdn_is_verified_and_its_mic_matches(
    world: World, endpoint: Endpoint, loopback: dict[str, object]
) -> None:
    sender, attempts = sender_for(world, "self", loopback)
    message_id = sender.send("self", "po.x12", PAYLOAD, kind="850")
    assert [a.outcome for a in attempts] == ["delivered"]
    assert endpoint.intake.payloads[0].data == PAYLOAD
    assert endpoint.intake.payloads[0].dedupe_key == message_id


def _via_receiver(
    endpoint: Endpoint, mangle: bytes | None = None, status: int | None = None
) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if status is not None:
            return httpx.Response(status)
        body = request.content
        if mangle is not None:
            body = body[:200] + bytes([body[200] ^ 1]) + body[201:]
        result = endpoint.receiver.handle(dict(request.headers), body)
        return httpx.Response(result.status, headers=result.headers, content=result.body)

    return httpx.MockTransport(handler)


def test_negative_mdn_is_a_permanent_error(
    world: World, endpoint: Endpoint, loopback: dict[str, object]
) -> None:
    sender, attempts = sender_for(world, "self", loopback, _via_receiver(endpoint, mangle=b"x"))
    with pytest.raises(PermanentSendError, match="negative MDN"):
        sender.send("self", "po.x12", PAYLOAD, kind="850")
    assert attempts[-1].outcome == "permanent-error"


def test_server_errors_are_transient_and_client_errors_permanent(
    world: World, endpoint: Endpoint, loopback: dict[str, object]
) -> None:
    sender, attempts = sender_for(world, "self", loopback, _via_receiver(endpoint, status=503))
    with pytest.raises(TransientSendError):
        sender.send("self", "po.x12", PAYLOAD, kind="850")
    sender, attempts = sender_for(world, "self", loopback, _via_receiver(endpoint, status=403))
    with pytest.raises(PermanentSendError):
        sender.send("self", "po.x12", PAYLOAD, kind="850")
    down = {**loopback, "url": "http://127.0.0.1:9/as2", "timeout_seconds": 2}
    sender, attempts = sender_for(world, "self", down)
    with pytest.raises(TransientSendError):
        sender.send("self", "po.x12", PAYLOAD, kind="850")
    assert attempts[-1].outcome == "transient-error"


def test_mdn_with_a_different_mic_is_refused(
    world: World, endpoint: Endpoint, loopback: dict[str, object]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # the receiver computes its MIC with a different algorithm than we asked for
        headers = dict(request.headers)
        headers["disposition-notification-options"] = (
            "signed-receipt-protocol=optional, pkcs7-signature; "
            "signed-receipt-micalg=optional, sha1"
        )
        result = endpoint.receiver.handle(headers, request.content)
        return httpx.Response(result.status, headers=result.headers, content=result.body)

    sender, _ = sender_for(world, "self", loopback, httpx.MockTransport(handler))
    with pytest.raises(PermanentSendError, match="MIC"):
        sender.send("self", "po.x12", PAYLOAD, kind="850")


def test_async_mdn_is_delivered_matched_and_settled(
    world: World, endpoint: Endpoint, loopback: dict[str, object]
) -> None:
    pending: dict[str, PendingMdn] = {}
    options = {**loopback, "mdn": "async", "mdn_url": endpoint.url}
    sender, attempts = sender_for(world, "self", options, _via_receiver(endpoint))
    sender.on_pending_mdn = lambda p: pending.__setitem__(p.message_id, p)
    # when: sent; the receiver answers 200 and schedules the MDN
    message_id = sender.send("self", "po.x12", PAYLOAD, kind="850")
    assert attempts[-1].outcome == "pending-mdn"
    (job,) = endpoint.async_jobs
    # and the MDN is posted (real HTTP) to /as2
    assert post_async_mdn(job.url, job.headers, job.body) == 200
    # then: the endpoint recognised an MDN, verified it, and handed it over
    (event,) = endpoint.mdns
    assert event.verified and event.mdn.original_message_id == message_id
    async_mdn_handler(sender, pending.get)(event)
    assert attempts[-1].outcome == "delivered" and attempts[-1].message_id == message_id
    # the same MDN claimed by another partner, or for a message we never sent, is refused
    claimed = replace(event, partner_id="acme")
    assert sender.settle_async_mdn(claimed, pending[message_id]) == "ignored"
    assert sender.settle_async_mdn(event, None) == "ignored"
    assert len(endpoint.intake.payloads) == 1  # the MDN itself is not a payload


@pytest.mark.parametrize(
    ("answer", "transient"), [(503, True), (408, True), (429, True), (404, False), (403, False)]
)
def test_async_mdn_post_says_whether_a_retry_may_help(answer: int, transient: bool) -> None:
    # retries themselves are the runner's (tests/pipeline/test_async_mdn_stage.py)
    calls: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.content)
        return httpx.Response(answer)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    with pytest.raises(MdnPostError) as raised:
        post_async_mdn("http://partner.invalid/mdn", {}, b"x", client=client)
    assert raised.value.transient is transient and calls == [b"x"]
    with pytest.raises(MdnPostError) as refused:
        post_async_mdn("mailto:mdn@partner.invalid", {}, b"x", client=client)
    assert not refused.value.transient and calls == [b"x"]
    ok = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(202)))
    assert post_async_mdn("https://partner.invalid/mdn", {}, b"x", client=ok) == 202


def test_unique_message_ids() -> None:
    from gateway.as2.mdn import new_message_id

    ids = {new_message_id("GATEWAY") for _ in range(100)}
    assert len(ids) == 100 and all(i.startswith("<") for i in ids)
    assert secrets  # used by helpers above


def test_as2_ids_with_spaces_are_quoted_and_read_back(world: World) -> None:
    from gateway.as2 import cms
    from gateway.as2.outbound import build_message
    from gateway.as2.receiver import unquote_id

    message = build_message(PAYLOAD, filename="f", as2_from='ACME "EU" HQ', as2_to="GATEWAY",
                            mdn="none")  # fmt: skip
    assert message.headers["AS2-From"] == '"ACME \\"EU\\" HQ"'
    assert unquote_id(message.headers["AS2-From"]) == 'ACME "EU" HQ'
    assert message.headers["AS2-To"] == "GATEWAY"
    assert cms.micalg_name("sha1") == "sha1"


def test_a_message_and_an_mdn_are_dated_as_http_dates_them() -> None:
    """RFC 9110's IMF-fixdate ("... GMT"), also a valid RFC 5322 date; ``+0000`` is what
    HTTP only tolerates."""
    from datetime import UTC, datetime, timedelta, timezone

    from gateway.as2.mdn import Disposition, build_mdn
    from gateway.as2.outbound import build_message

    # a moment given in another zone is written in GMT
    moment = datetime(2026, 12, 7, 5, 58, 51, tzinfo=timezone(timedelta(hours=2)))
    message = build_message(PAYLOAD, filename="f", as2_from="ACME", as2_to="GATEWAY",
                            mdn="none", now=moment)  # fmt: skip
    assert message.headers["Date"] == "Mon, 07 Dec 2026 03:58:51 GMT"
    mdn = build_mdn(
        original_message_id="<m@acme>", original_recipient="GATEWAY", our_as2_id="GATEWAY",
        partner_as2_id="ACME", disposition=Disposition(), received_mic=None, signer=None,
        now=moment.astimezone(UTC),
    )  # fmt: skip
    assert dict(mdn.headers)["Date"] == "Mon, 07 Dec 2026 03:58:51 GMT"

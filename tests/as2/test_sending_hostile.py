"""The sender against partners that misbehave: retries, trickles, floods, redirects."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from gateway.as2 import mdn
from gateway.as2.async_mdn import MAX_RESPONSE_BYTES, MdnPostError, post_async_mdn
from gateway.as2.certs import KeyCache
from gateway.as2.client import As2Sender, SendAttempt, check_mdn
from gateway.intake import PermanentSendError, TransientSendError

from .conftest import World, make_profile

PAYLOAD = b"ISA*00*          *00*          *ZZ*A*ZZ*B*240101*1200*U*00401*000000001*0*P*>~"
Handler = Callable[[httpx.Request], httpx.Response]


def hostile(
    world: World, handler: Handler | None, **as2: object
) -> tuple[As2Sender, list[SendAttempt], list[httpx.Request]]:
    """A sender to partner ``hostile``: answered by ``handler`` in memory, or over the
    network at the profile's ``url`` when ``handler`` is None."""
    world.profiles["hostile"] = make_profile(
        "hostile",
        {
            "as2_id": "HOSTILE",
            "url": "https://partner.invalid/as2",
            "certificates": [{"file": str(world.partner.cert)}],
            **as2,
        },
    )
    attempts: list[SendAttempt] = []
    requests: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return handler(request)

    sender = As2Sender(
        get_partner=world.get_partner,
        keys=KeyCache(world.identities),
        record_attempt=attempts.append,
        http=httpx.Client(transport=httpx.MockTransport(recording)) if handler else None,
    )
    return sender, attempts, requests


@pytest.fixture
def header_trickler() -> Iterator[str]:
    """A real HTTP server that reads the request, then sends its status line and headers
    one byte every 0.25 s (about 8 s in all, each byte well within any read timeout);
    its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"s" * 10 + b"\r\nContent-Length: 0\r\n\r\n"

    def serve_one(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(1 << 20)  # the request (its size does not matter here)
                for byte in answer:
                    if stop.wait(0.25):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return  # the client hung up: what the deadline is for

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/as2"
    stop.set()
    thread.join(5)
    listener.close()


def trickle(pause: float) -> Iterator[bytes]:
    for _ in range(10_000):
        time.sleep(pause)
        yield b"x"


def endless() -> Iterator[bytes]:
    chunk = b"y" * 65536
    while True:
        yield chunk


def test_a_retry_carries_the_same_message_id_and_other_bytes_another(world: World) -> None:
    # given: a partner that stores the message but whose proxy answers 502 the first time
    answers = iter([502, 200])
    sender, attempts, requests = hostile(world, lambda r: httpx.Response(next(answers)), mdn="none")
    # when: the runner retries the same bytes
    with pytest.raises(TransientSendError):
        sender.send("hostile", "po.x12", PAYLOAD, kind="850")
    mid = sender.send("hostile", "po.x12", PAYLOAD, kind="850")
    # then: the partner sees one Message-ID twice, and it is the one we recorded
    ids = [r.headers["message-id"] for r in requests]
    assert ids == [mid, mid]
    assert [a.message_id for a in attempts] == [mid, mid]
    assert mid.startswith("<") and mid.endswith("@GATEWAY>")
    # and: another interchange (other bytes) or another partner gets another id
    other = PAYLOAD.replace(b"000000001", b"000000002")
    assert mdn.content_message_id("GATEWAY", "HOSTILE", other) != mid
    assert mdn.content_message_id("GATEWAY", "ACME", PAYLOAD) != mid
    assert mdn.content_message_id("GATEWAY", "HOSTILE", PAYLOAD) == mid


def test_a_trickling_answer_is_cut_at_the_total_deadline(world: World) -> None:
    # given: a partner answering one byte every 0.2 s (each read is well within timeout)
    sender, attempts, _ = hostile(
        world,
        lambda r: httpx.Response(200, content=trickle(0.2)),
        mdn="none",
        timeout_seconds=1,
    )
    started = time.monotonic()
    with pytest.raises(TransientSendError, match="within 1 s"):
        sender.send("hostile", "po.x12", PAYLOAD, kind="850")
    # then: the attempt ends at the deadline, as a transient error like any timeout
    assert time.monotonic() - started < 3
    assert attempts[-1].outcome == "transient-error"
    assert attempts[-1].detail.startswith("DeadlineExceeded")


def test_trickled_response_headers_are_cut_at_the_total_deadline(
    world: World, header_trickler: str
) -> None:
    # given: a partner (a real socket) that sends its status line and headers one byte
    # every 0.25 s, and our own HTTP client (the one production uses)
    sender, attempts, _ = hostile(world, None, url=header_trickler, mdn="none", timeout_seconds=1)
    # when: we send to it with a total deadline of 1 s
    started = time.monotonic()
    with pytest.raises(TransientSendError, match="within 1 s"):
        sender.send("hostile", "po.x12", PAYLOAD, kind="850")
    # then: the attempt ends at the deadline, not when the headers are complete (~8 s)
    assert time.monotonic() - started < 1.8
    assert attempts[-1].outcome == "transient-error"
    assert attempts[-1].detail.startswith("DeadlineExceeded")


def test_an_async_mdn_post_to_a_header_trickler_is_cut_at_the_deadline(
    header_trickler: str,
) -> None:
    # given the same partner, and the MDN poster's own client
    started = time.monotonic()
    # when an MDN is posted with a 1 s deadline
    with pytest.raises(MdnPostError, match="within 1 s") as slow:
        post_async_mdn(header_trickler, {}, b"mdn", timeout=1.0)
    # then it fails as a transient error (retried by the runner) at the deadline
    assert slow.value.transient and time.monotonic() - started < 1.8


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_oversized_answer_is_refused_unread(world: World, declared: bool) -> None:
    def flood(request: httpx.Request) -> httpx.Response:
        if declared:
            headers = {"Content-Length": str(600 << 20)}
            return httpx.Response(200, headers=headers, content=endless())
        return httpx.Response(200, content=endless())

    sender, attempts, _ = hostile(world, flood, mdn="sync", mdn_signed=False)
    with pytest.raises(PermanentSendError, match=str(MAX_RESPONSE_BYTES)) as raised:
        sender.send("hostile", "po.x12", PAYLOAD, kind="850")
    assert (str(600 << 20) in str(raised.value)) is declared
    assert attempts[-1].outcome == "permanent-error"
    assert attempts[-1].detail.startswith("answer too large")


@pytest.mark.parametrize("mode", ["none", "async", "sync"])
def test_a_redirect_is_not_a_delivery(world: World, mode: str) -> None:
    pending: list[object] = []
    extra = {"mdn_url": "https://gw.example/as2"} if mode == "async" else {}
    sender, attempts, _ = hostile(
        world,
        lambda r: httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"}),
        mdn=mode,
        **extra,
    )
    sender.on_pending_mdn = pending.append
    with pytest.raises(PermanentSendError, match=r"169\.254\.169\.254"):
        sender.send("hostile", "po.x12", PAYLOAD, kind="850")
    assert [a.outcome for a in attempts] == ["permanent-error"]
    assert len(pending) == (mode == "async")  # stored before the POST, never settled


def test_an_mdn_without_original_message_id_proves_nothing() -> None:
    disposition = "automatic-action/MDN-sent-automatically; processed"
    status, modifier = mdn.parse_disposition(disposition)
    received = mdn.Mdn(
        None, disposition, status, modifier, "mic=", "sha256", True, None, "", "<m@x>",
        "HOSTILE", "GATEWAY",
    )  # fmt: skip
    with pytest.raises(PermanentSendError, match="no Original-Message-ID"):
        check_mdn(received, message_id="<a@GATEWAY>", mic="mic=", require_signature=True)


def test_posting_an_async_mdn_is_bounded_too() -> None:
    def client(handler: Handler) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(handler))

    started = time.monotonic()
    with pytest.raises(MdnPostError) as slow:
        post_async_mdn(
            "https://partner.invalid/mdn", {}, b"mdn", timeout=1.0,
            client=client(lambda r: httpx.Response(200, content=trickle(0.2))),
        )  # fmt: skip
    assert slow.value.transient and time.monotonic() - started < 3
    with pytest.raises(MdnPostError, match="at most") as flood:
        post_async_mdn(
            "https://partner.invalid/mdn", {}, b"mdn",
            client=client(lambda r: httpx.Response(200, content=endless())),
        )  # fmt: skip
    assert not flood.value.transient
    with pytest.raises(MdnPostError, match=r"redirect to 'https://elsewhere'") as moved:
        post_async_mdn(
            "https://partner.invalid/mdn", {}, b"mdn",
            client=client(lambda r: httpx.Response(301, headers={"Location": "https://elsewhere"})),
        )  # fmt: skip
    assert not moved.value.transient


def test_the_pending_mdn_is_stored_before_the_post(world: World) -> None:
    # a partner may post its asynchronous MDN before our POST has its answer
    pending: dict[str, object] = {}
    seen_at_post: list[bool] = []

    def partner(request: httpx.Request) -> httpx.Response:
        seen_at_post.append(request.headers["message-id"] in pending)
        return httpx.Response(502 if len(seen_at_post) == 1 else 200)

    sender, attempts, _ = hostile(world, partner, mdn="async", mdn_url="https://gw.example/as2")
    sender.on_pending_mdn = lambda p: pending.__setitem__(p.message_id, p)
    with pytest.raises(TransientSendError):
        sender.send("hostile", "po.x12", PAYLOAD, kind="850")
    mid = sender.send("hostile", "po.x12", PAYLOAD, kind="850")
    # the retry is the same message: one pending row, present at both POSTs
    assert seen_at_post == [True, True] and list(pending) == [mid]
    assert [a.outcome for a in attempts] == ["transient-error", "pending-mdn"]

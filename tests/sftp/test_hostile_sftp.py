"""Issue #17, SFTP findings: each attack reproduced against the hosted server.

3 pre-authentication slot exhaustion and slots kept after close; 4 a partial upload
ingested after a crash; 5 unthrottled password guessing and telling allowed methods;
6 a size refusal reported to the client as success.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import paramiko
import pytest

from gateway.partners.common import SecretRef
from gateway.partners.sftp import HostedAccount
from gateway.sftp.limits import SftpLimits
from gateway.sftp.server import SftpServer
from tests.conftest import REPO
from tests.sftp.conftest import Hosted, MemoryIntake, free_port

PASSWORD_ENV = "EDIGW_TEST_SFTP_PASSWORD"


def accounts_for(keys_dir: Path) -> dict[str, tuple[str, HostedAccount]]:
    os.environ[PASSWORD_ENV] = "s3cret-right"
    return {
        "acme": ("acme", HostedAccount(username="acme",
                                       authorized_keys=[str(keys_dir / "acme.pub")])),
        "pw": ("pwco", HostedAccount(username="pw", authorized_keys=[],
                                     password=SecretRef(env=PASSWORD_ENV))),
    }  # fmt: skip


def start_server(tmp_path: Path, keys_dir: Path, limits: SftpLimits) -> SftpServer:
    server = SftpServer(
        "127.0.0.1", 0, tmp_path / "sftp", tmp_path / "host_key", lambda: accounts_for(keys_dir),
        MemoryIntake(), limits=limits, sweep_interval=None,
    )  # fmt: skip
    server.start()
    return server


def key_login(server: SftpServer, keys_dir: Path, *, timeout: float = 10) -> paramiko.Transport:
    transport = paramiko.Transport(("127.0.0.1", server.port))
    transport.banner_timeout = timeout
    transport.connect(
        hostkey=server.host_key, username="acme", pkey=paramiko.PKey.from_path(keys_dir / "acme")
    )
    return transport


# ---- 3 -------------------------------------------------------------------------------------
def test_3_idle_strangers_cannot_take_partner_slots_and_are_dropped(
    tmp_path: Path, keys_dir: Path
) -> None:
    server = start_server(
        tmp_path, keys_dir,
        SftpLimits(auth_timeout=2.0, max_preauth=16, max_preauth_per_address=4, max_sessions=64),
    )  # fmt: skip
    try:
        # given: 64 idle TCP connections from one stranger's address (127.0.0.2)
        idle = []
        for _ in range(64):
            sock = socket.socket()
            sock.bind(("127.0.0.2", 0))
            sock.connect(("127.0.0.1", server.port))
            idle.append(sock)
        time.sleep(0.3)
        assert server.slots.preauth <= 4  # only 4 held for that address, the rest closed
        # when: the partner logs in six times, then: every login works at once
        started = time.monotonic()
        for _ in range(6):
            key_login(server, keys_dir).close()
        assert time.monotonic() - started < 10
        # and: the strangers held are dropped after the authentication timeout
        held = [s for s in idle if _still_open(s)]
        assert len(held) <= 4
        time.sleep(3.0)
        assert not any(_still_open(s) for s in held)
        for sock in idle:
            sock.close()
    finally:
        server.stop()


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        data = sock.recv(4096)
        while data:
            data = sock.recv(4096)
        return False  # orderly close
    except BlockingIOError:
        return True
    except OSError:
        return False


def test_3_fifty_concurrent_sessions_all_get_in_and_release_their_slots(
    tmp_path: Path, keys_dir: Path
) -> None:
    server = start_server(
        tmp_path, keys_dir,
        SftpLimits(auth_timeout=20.0, max_preauth=64, max_preauth_per_address=64,
                   max_sessions=64),
    )  # fmt: skip
    try:
        ok: list[bool] = []
        lock = threading.Lock()

        def session() -> None:
            try:
                transport = key_login(server, keys_dir, timeout=30)
                client = paramiko.SFTPClient.from_transport(transport)
                assert client is not None
                client.listdir("/inbox")
                transport.close()
                result = True
            except Exception:
                result = False
            with lock:
                ok.append(result)

        threads = [threading.Thread(target=session) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert ok.count(True) == 50
        deadline = time.monotonic() + 10
        while (server.slots.sessions or server.slots.preauth) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (server.slots.sessions, server.slots.preauth) == (0, 0)
    finally:
        server.stop()


# ---- 4 -------------------------------------------------------------------------------------
_CRASH_SERVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from gateway.partners.sftp import HostedAccount
    from gateway.sftp.server import SftpServer
    from tests.sftp.conftest import MemoryIntake
    root, host_key, pub, port = sys.argv[1:5]
    accounts = {"acme": ("acme", HostedAccount(username="acme", authorized_keys=[pub]))}
    server = SftpServer("127.0.0.1", int(port), Path(root), Path(host_key), lambda: accounts,
                        MemoryIntake(), sweep_interval=None)
    server.start()
    print("ready", flush=True)
    time.sleep(600)
""")


def test_4_partial_upload_after_a_crash_is_quarantined_not_ingested(
    tmp_path: Path, keys_dir: Path
) -> None:
    root, host_key, port = tmp_path / "sftp", tmp_path / "host_key", free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CRASH_SERVER, str(root), str(host_key),
         str(keys_dir / "acme.pub"), str(port)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        # given: 150 bytes written to inbox/x.edi under its final name (no temporary name)
        transport = paramiko.Transport(("127.0.0.1", port))
        transport.connect(username="acme", pkey=paramiko.PKey.from_path(keys_dir / "acme"))
        client = paramiko.SFTPClient.from_transport(transport)
        assert client is not None
        handle = client.open("/inbox/x.edi", "wb")
        handle.write(b"ISA*" + b"x" * 146)
        handle.flush()
        assert (root / "acme" / "inbox" / "x.edi").stat().st_size == 150
        # when: the server is killed (SIGKILL: no clean-up runs) and started again
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        transport.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    intake = MemoryIntake()
    account = HostedAccount(username="acme", authorized_keys=[str(keys_dir / "acme.pub")])
    accounts = {"acme": ("acme", account)}
    # a finished upload from before the crash, which the intake had refused, is retried
    (root / "acme" / "inbox" / "done.edi").write_bytes(b"ISA*complete~")
    restarted = SftpServer("127.0.0.1", 0, root, host_key, lambda: accounts, intake,
                           sweep_interval=None)  # fmt: skip
    restarted.start()
    restarted.stop()
    # then: the truncated file is not ingested; it waits in quarantine/ with an event
    assert [p.filename for p in intake.payloads] == ["done.edi"]
    assert not (root / "acme" / "inbox" / "x.edi").exists()
    assert (root / "acme" / "quarantine" / "x.edi").read_bytes() == b"ISA*" + b"x" * 146
    (event,) = [e for e in intake.events if e.kind == "sftp.quarantined"]
    assert event.partner_id == "acme" and "not processed" in event.detail


def test_4_clean_uploads_under_the_final_name_still_go_through(hosted: Hosted) -> None:
    transport = paramiko.Transport(("127.0.0.1", hosted.server.port))
    transport.connect(username="acme", pkey=paramiko.PKey.from_path(hosted.keys / "acme"))
    client = paramiko.SFTPClient.from_transport(transport)
    assert client is not None
    client.putfo(io.BytesIO(b"ISA*whole~"), "/inbox/whole.edi")
    transport.close()
    assert [p.data for p in hosted.intake.payloads] == [b"ISA*whole~"]
    assert list((hosted.root / "acme" / ".uploading").iterdir()) == []


# ---- 5 -------------------------------------------------------------------------------------
def _password_attempt(server: SftpServer, user: str, password: str) -> bool:
    transport = paramiko.Transport(("127.0.0.1", server.port))
    try:
        transport.start_client(timeout=10)
        try:
            transport.auth_password(user, password)
        except paramiko.AuthenticationException:
            return False
        return transport.is_authenticated()
    finally:
        transport.close()


def test_5_password_guessing_backs_off_then_locks_out_user_and_address(
    tmp_path: Path, keys_dir: Path
) -> None:
    limits = SftpLimits(lockout_failures=5, lockout_seconds=60, backoff_base=0.1, backoff_max=2)
    server = start_server(tmp_path, keys_dir, limits)
    intake = server.intake
    assert isinstance(intake, MemoryIntake)
    try:
        # given: guesses at pw's password, each on a new connection
        started = time.monotonic()
        for guess in range(5):
            assert not _password_attempt(server, "pw", f"guess-{guess}")
        # then: each failure made the next answer slower (0.1 + 0.2 + 0.4 + 0.8 + 1.6 s)
        assert time.monotonic() - started >= 3.0
        # and now the user is locked: the right password fails too, at once
        assert not _password_attempt(server, "pw", "s3cret-right")
        lockouts = [e for e in intake.events if e.kind == "sftp.lockout"]
        assert {e.data["key"] for e in lockouts if e.data} == {
            "user:pw", "address:127.0.0.1"
        }  # fmt: skip
        refused = [e for e in intake.events if e.kind == "sftp.login_refused"]
        assert "locked out" in refused[-1].detail
        # and the address is locked for other names too
        assert not _password_attempt(server, "someone-else", "x")
        assert "locked out (address:127.0.0.1)" in intake.events[-1].detail
    finally:
        server.stop()


def test_5_allowed_methods_are_the_same_for_every_user(tmp_path: Path, keys_dir: Path) -> None:
    server = start_server(tmp_path, keys_dir, SftpLimits())
    try:
        answers = []
        for user in ("pw", "acme", "nobody-here"):
            transport = paramiko.Transport(("127.0.0.1", server.port))
            transport.start_client(timeout=10)
            with pytest.raises(paramiko.BadAuthenticationType) as caught:
                transport.auth_none(user)
            answers.append(sorted(caught.value.allowed_types))
            transport.close()
        assert answers[0] == answers[1] == answers[2] == ["password", "publickey"]
        # a password for a key-only user is simply wrong
        assert not _password_attempt(server, "acme", "anything")
    finally:
        server.stop()


# ---- 6 -------------------------------------------------------------------------------------
def test_6_upload_over_the_size_limit_fails_for_the_client(hosted: Hosted, tmp_path: Path) -> None:
    # given: beta's limit is 1000 bytes
    transport = paramiko.Transport(("127.0.0.1", hosted.server.port))
    transport.connect(username="beta", pkey=paramiko.PKey.from_path(hosted.keys / "beta"))
    client = paramiko.SFTPClient.from_transport(transport)
    assert client is not None
    # when: paramiko's put (pipelined writes, then CLOSE) sends 5000 bytes
    with pytest.raises(OSError):
        client.putfo(io.BytesIO(b"x" * 5000), "/inbox/big.edi")
    transport.close()
    # and OpenSSH's sftp client does the same
    big = tmp_path / "big2.edi"
    big.write_bytes(b"y" * 50_000)
    result = hosted.sftp("beta", "beta", [f"put {big} /inbox/big2.edi"], cwd=tmp_path)
    # then: both are told it failed, nothing is ingested, and each refusal is a message
    assert result.returncode != 0, result.stdout + result.stderr
    assert hosted.intake.payloads == []
    assert [p.filename for p in hosted.intake.refused] == ["big.edi", "big2.edi"]
    assert all("larger than 1000" in (p.refused or "") for p in hosted.intake.refused)
    assert not (hosted.inbox("beta") / "big.edi").exists()

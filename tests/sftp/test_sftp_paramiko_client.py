"""Hosted-server behaviour that OpenSSH's sftp client cannot provoke (paramiko client)."""

from __future__ import annotations

import time
from pathlib import Path

import paramiko
import pytest

from gateway.partners.common import SecretRef
from gateway.partners.sftp import HostedAccount
from gateway.sftp.limits import SftpLimits


def _connect(hosted, user: str, **auth: object) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
    transport = paramiko.Transport(("127.0.0.1", hosted.server.port))
    transport.connect(hostkey=hosted.server.host_key, username=user, **auth)  # type: ignore[arg-type]
    client = paramiko.SFTPClient.from_transport(transport)
    assert client is not None
    return transport, client


def test_connection_lost_mid_upload_leaves_nothing_to_take(hosted) -> None:
    # given a partner writing a file
    transport, client = _connect(hosted, "acme", pkey=paramiko.PKey.from_path(hosted.keys / "acme"))
    handle = client.open("/inbox/half.edi", "wb")
    handle.write(b"ISA*only the first half")
    handle.flush()
    # when the connection drops before the file is closed
    transport.close()
    deadline = time.monotonic() + 5
    while "sftp.upload_aborted" not in hosted.intake.kinds() and time.monotonic() < deadline:
        time.sleep(0.05)
    # then the partial file is removed and never handed over
    assert "sftp.upload_aborted" in hosted.intake.kinds()
    assert list(hosted.inbox("acme").iterdir()) == []
    assert hosted.intake.payloads == []


def test_password_login_only_when_the_profile_turns_it_on(hosted, tmp_path: Path) -> None:
    # given acme without a password and a second account with one
    (tmp_path / "pw").write_text("s3cret\n")
    hosted.accounts["gamma"] = (
        "gamma",
        HostedAccount(username="gamma", password=SecretRef(file=tmp_path / "pw")),
    )
    # then acme cannot log in by password, gamma can, and a wrong password fails
    with pytest.raises(paramiko.AuthenticationException):
        _connect(hosted, "acme", password="anything")
    with pytest.raises(paramiko.AuthenticationException):
        _connect(hosted, "gamma", password="wrong")
    transport, client = _connect(hosted, "gamma", password="s3cret")
    assert sorted(client.listdir("/")) == ["archive", "inbox", "outbox"]
    transport.close()
    reasons = [e.data["reason"] for e in hosted.intake.of_kind("sftp.login_refused")]
    assert "password login is off" in reasons and "wrong password" in reasons


def test_account_with_missing_key_file_warns_once(hosted) -> None:
    # given an account whose .pub file does not exist (yet)
    hosted.accounts["delta"] = (
        "delta",
        HostedAccount(username="delta", authorized_keys=["/nonexistent/delta.pub"]),
    )
    key = paramiko.PKey.from_path(hosted.keys / "acme")
    # when someone tries to log in twice
    for _ in range(2):
        with pytest.raises(paramiko.AuthenticationException):
            _connect(hosted, "delta", pkey=key)
    # then the login is refused and the unusable key is reported once
    [warning] = hosted.intake.of_kind("sftp.account_warning")
    assert "delta.pub" in warning.detail and warning.partner_id == "delta"


def test_shell_and_exec_are_refused(hosted) -> None:
    transport, _client = _connect(
        hosted, "acme", pkey=paramiko.PKey.from_path(hosted.keys / "acme")
    )
    channel = transport.open_session()
    with pytest.raises(paramiko.SSHException):
        channel.exec_command("cat /etc/passwd")
    transport.close()


def test_server_built_from_settings_and_profiles(
    tmp_path: Path, keys_dir: Path, make_runtime_for_sftp
) -> None:
    from gateway.transports import make_sftp_server

    # given the gateway's own builder, a runtime and a profile whose key is a path
    # relative to the profile file
    site = tmp_path / "profiles"
    (site / "keys").mkdir(parents=True)
    (site / "keys" / "acme.pub").write_text((keys_dir / "acme.pub").read_text())
    (site / "acme.yaml").write_text(
        "id: acme\nname: Acme\nx12: {isa_qualifier: ZZ, isa_id: ACME}\n"
        "sftp: {hosted: {username: acme-edi, authorized_keys: [keys/acme.pub]}}\n"
    )
    runtime = make_runtime_for_sftp(profiles_dir=str(site), sftp_auth_timeout_seconds=3.0)
    server = make_sftp_server(runtime, host="127.0.0.1", port=0)
    # when the server is started and the partner uploads
    with server:
        transport = paramiko.Transport(("127.0.0.1", server.port))
        transport.connect(username="acme-edi", pkey=paramiko.PKey.from_path(keys_dir / "acme"))
        client = paramiko.SFTPClient.from_transport(transport)
        assert client is not None
        client.putfo(__import__("io").BytesIO(b"ISA*x~"), "/inbox/a.edi")
        transport.close()
    # then the upload reached the store as a message of partner acme, under the data dir,
    # and the limits came from the settings
    from gateway.store.models import Message

    with runtime.sessions() as s:
        (message,) = s.query(Message).all()
        assert (message.partner_id, message.transport, message.size) == ("acme", "sftp", 6)
    assert server.limits.auth_timeout == 3.0
    assert server.host_key_path.parent == runtime.settings.data_dir
    assert server.host_key_path.exists()
    assert (runtime.settings.sftp_root / "acme" / "archive").is_dir()


def test_open_files_per_session_are_limited(hosted) -> None:
    from gateway.sftp.session import MAX_OPEN_FILES

    key = paramiko.PKey.from_path(hosted.keys / "acme")
    transport, client = _connect(hosted, "acme", pkey=key)
    handles = [client.open(f"/inbox/f{n}.part", "wb") for n in range(MAX_OPEN_FILES)]
    with pytest.raises(PermissionError):
        client.open("/inbox/one-too-many.part", "wb")
    handles[0].close()
    client.open("/inbox/now-fine.part", "wb").close()
    transport.close()


def test_long_names_are_taken_and_archived(hosted) -> None:
    import io

    key = paramiko.PKey.from_path(hosted.keys / "acme")
    transport, client = _connect(hosted, "acme", pkey=key)
    name = "n" * 240 + ".x12"
    client.putfo(io.BytesIO(b"ISA*long~"), f"/inbox/{name}")
    transport.close()
    [payload] = hosted.intake.payloads
    assert payload.filename == name
    [archived] = list(hosted.archive("acme").iterdir())
    assert archived.name.endswith(".x12") and len(archived.name.encode()) <= 255


def test_sweep_recovers_a_take_interrupted_by_a_crash(hosted) -> None:
    from gateway.sftp.jail import TAKING, ensure_partner_dirs

    # given a file left half-way through a take (process died after the claim)
    base = ensure_partner_dirs(hosted.root, "acme")
    claim = base / TAKING / "0123abcd"
    claim.mkdir()
    (claim / "po.x12").write_bytes(b"ISA*crash~")
    # when the server sweeps (it does on start)
    results = hosted.server.sweep()
    # then the file is delivered and archived, and the claim folder is gone
    assert [r.filename for r in results] == ["po.x12"]
    assert [p.data for p in hosted.intake.payloads] == [b"ISA*crash~"]
    assert list((base / TAKING).iterdir()) == []
    assert len(list(hosted.archive("acme").iterdir())) == 1


def test_profile_reload_applies_to_the_next_login(hosted) -> None:
    from gateway.sftp.server import ACCOUNTS_TTL

    key = paramiko.PKey.from_path(hosted.keys / "acme")
    transport, _ = _connect(hosted, "acme", pkey=key)
    transport.close()
    # when acme's account disappears from the profiles
    del hosted.accounts["acme"]
    time.sleep(ACCOUNTS_TTL + 0.1)
    # then its next login is refused
    with pytest.raises(paramiko.AuthenticationException):
        _connect(hosted, "acme", pkey=key)
    assert hosted.intake.of_kind("sftp.login_refused")[-1].data["reason"] == "unknown user"


def test_connections_over_the_limit_are_closed(hosted) -> None:
    import socket

    # given a server allowing two unauthenticated connections, both taken by idle clients
    hosted.server.slots.limits = SftpLimits(max_preauth=2, max_preauth_per_address=2)
    idle = [socket.create_connection(("127.0.0.1", hosted.server.port)) for _ in range(2)]
    try:
        for sock in idle:
            assert sock.recv(4) == b"SSH-"
        # when a third connects, it is closed without a banner
        extra = socket.create_connection(("127.0.0.1", hosted.server.port))
        extra.settimeout(5)
        assert extra.recv(64) == b""
        extra.close()
    finally:
        for sock in idle:
            sock.close()
    # and once they are gone, connections are served again
    deadline = time.monotonic() + 5
    while hosted.server.slots.preauth and time.monotonic() < deadline:
        time.sleep(0.05)
    key = paramiko.PKey.from_path(hosted.keys / "acme")
    transport, _ = _connect(hosted, "acme", pkey=key)
    transport.close()


# ---- one writer per name ---------------------------------------------------------------
def _acme(hosted) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
    return _connect(hosted, "acme", pkey=paramiko.PKey.from_path(hosted.keys / "acme"))


def _refusals(hosted, operation: str) -> list[str]:
    return [
        e.detail for e in hosted.intake.of_kind("sftp.refused") if e.data["operation"] == operation
    ]


def test_a_second_session_cannot_open_a_name_being_uploaded(hosted) -> None:
    # given one session uploading order.edi (a retry while a stale session still writes)
    t1, first = _acme(hosted)
    t2, second = _acme(hosted)
    handle = first.open("/inbox/order.edi", "wb")
    handle.write(b"A" * 100)
    handle.flush()
    # when a second session opens the same name for writing
    # then it is refused, and what the first wrote is not truncated or mixed
    with pytest.raises(PermissionError):
        second.open("/inbox/order.edi", "wb")
    assert "open for writing" in _refusals(hosted, "write")[0]
    handle.write(b"A" * 50)
    handle.close()
    hosted.intake.wait_for(1)
    [payload] = hosted.intake.payloads
    assert payload.data == b"A" * 150
    # and once the first upload is taken, the name is free again
    with second.open("/inbox/order.edi", "wb") as again:
        again.write(b"B" * 10)
    hosted.intake.wait_for(2)
    assert [p.data for p in hosted.intake.payloads] == [b"A" * 150, b"B" * 10]
    t1.close()
    t2.close()


def test_a_file_still_being_written_cannot_be_renamed_into_place(hosted) -> None:
    # given an upload under a temporary name whose handle is still open
    transport, client = _acme(hosted)
    handle = client.open("/inbox/x.edi.part", "wb")
    handle.write(b"ISA*first-half*")
    handle.flush()
    # when the client renames it to its final name before closing it
    # then the rename is refused and nothing is taken
    with pytest.raises(PermissionError):
        client.rename("/inbox/x.edi.part", "/inbox/x.edi")
    assert hosted.intake.payloads == []
    # and after the close the same rename takes the whole file
    handle.write(b"second-half~")
    handle.close()
    client.rename("/inbox/x.edi.part", "/inbox/x.edi")
    hosted.intake.wait_for(1)
    assert [p.data for p in hosted.intake.payloads] == [b"ISA*first-half*second-half~"]
    transport.close()


def test_a_rename_cannot_replace_or_remove_another_sessions_upload(hosted) -> None:
    # given session B uploading y.edi, and session A with a finished y.edi.part
    ta, a = _acme(hosted)
    tb, b = _acme(hosted)
    upload = b.open("/inbox/y.edi", "wb")
    upload.write(b"B-partial")
    upload.flush()
    with a.open("/inbox/y.edi.part", "wb") as temp:
        temp.write(b"A-complete")
    # when A posix-renames its file over B's, or removes B's
    # then both are refused
    with pytest.raises(PermissionError):
        a.posix_rename("/inbox/y.edi.part", "/inbox/y.edi")
    with pytest.raises(PermissionError):
        a.remove("/inbox/y.edi")
    assert len(_refusals(hosted, "rename")) == 1 and len(_refusals(hosted, "remove")) == 1
    # and B's upload arrives whole, while A's file waits under its temporary name
    upload.write(b"-B-rest")
    upload.close()
    hosted.intake.wait_for(1)
    assert [p.data for p in hosted.intake.payloads] == [b"B-partial-B-rest"]
    assert (hosted.inbox("acme") / "y.edi.part").read_bytes() == b"A-complete"
    ta.close()
    tb.close()

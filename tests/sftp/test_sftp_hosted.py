"""The hosted SFTP server, driven by OpenSSH's sftp client."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from gateway.partners.sftp import HostedAccount
from gateway.sftp.jail import ensure_partner_dirs
from gateway.sftp.outbox import HostedOutbox

# a small purchase order; the transport does not parse it, only moves its bytes
X12_850 = (
    b"ISA*00*          *00*          *ZZ*ACME           *ZZ*HOSPITAL       *240101*1200*U*00401"
    b"*000000001*0*P*>~GS*PO*ACME*HOSPITAL*20240101*1200*1*X*004010~ST*850*0001~"
    b"BEG*00*SA*PO-1**20240101~PO1*1*10*EA*9.5**VP*ABC-1~CTT*1~SE*5*0001~GE*1*1~IEA*1*000000001~"
)


def test_upload_is_handed_to_intake_and_archived(hosted, tmp_path: Path) -> None:
    # given a partner file on the partner's machine
    (tmp_path / "po1.x12").write_bytes(X12_850)
    # when the partner uploads it into inbox/
    result = hosted.sftp("acme", "acme", ["put po1.x12 inbox/po1.x12"], cwd=tmp_path)
    # then the intake got the exact bytes with the partner and path
    assert result.returncode == 0, result.stderr
    hosted.intake.wait_for(1)
    [payload] = hosted.intake.payloads
    assert payload.data == X12_850
    assert payload.transport == "sftp"
    assert payload.partner_id == "acme"
    assert payload.filename == "po1.x12"
    assert payload.metadata["path"] == "/inbox/po1.x12"
    assert payload.metadata["username"] == "acme"
    assert payload.actor == "partner:acme"
    # and the file moved from inbox/ to archive/
    assert list(hosted.inbox("acme").iterdir()) == []
    [archived] = list(hosted.archive("acme").iterdir())
    assert archived.name.endswith("-po1.x12")
    assert archived.read_bytes() == X12_850
    kinds = hosted.intake.kinds("acme")
    assert "sftp.login" in kinds and "sftp.upload" in kinds


def test_same_name_twice_gets_two_archive_files(hosted, tmp_path: Path) -> None:
    # given two uploads of the same name in one session
    (tmp_path / "a").write_bytes(b"first")
    (tmp_path / "b").write_bytes(b"second")
    result = hosted.sftp("acme", "acme", ["put a inbox/x.edi", "put b inbox/x.edi"], cwd=tmp_path)
    # then both were taken and archived under distinct names
    assert result.returncode == 0, result.stderr
    hosted.intake.wait_for(2)
    assert [p.data for p in hosted.intake.payloads] == [b"first", b"second"]
    archived = sorted(p.read_bytes() for p in hosted.archive("acme").iterdir())
    assert archived == [b"first", b"second"]


def test_partner_downloads_ack_from_outbox(hosted, tmp_path: Path) -> None:
    # given a 997 placed in the partner's outbox by the pipeline
    ack = b"ISA*00*...~ST*997*0001~AK1*PO*1~AK9*A*1*1*1~SE*4*0001~"
    reference = HostedOutbox(hosted.root).send("acme", "997_0001.x12", ack, kind="997")
    assert reference == "/outbox/997_0001.x12"
    # when the partner lists and downloads it
    result = hosted.sftp(
        "acme", "acme", ["ls outbox", "get outbox/997_0001.x12 got.x12"], cwd=tmp_path
    )
    # then it has exactly those bytes, and the download is an event
    assert result.returncode == 0, result.stderr
    assert "997_0001.x12" in result.stdout
    assert (tmp_path / "got.x12").read_bytes() == ack
    [download] = hosted.intake.of_kind("sftp.download")
    assert download.partner_id == "acme" and download.data["path"] == "/outbox/997_0001.x12"
    # and no temporary file is visible anywhere in the partner's areas
    assert os.listdir(hosted.root / "acme" / "outbox") == ["997_0001.x12"]


def test_wrong_key_is_denied(hosted, tmp_path: Path) -> None:
    # when someone logs in as acme with another key (beta's, and an unknown one)
    for key in ("beta", "intruder"):
        result = hosted.sftp("acme", key, ["ls"], cwd=tmp_path)
        # then the login fails and is recorded; nobody logged in
        assert result.returncode != 0
        assert "Permission denied" in result.stderr
    refused = hosted.intake.of_kind("sftp.login_refused")
    assert len(refused) >= 2 and all(e.partner_id == "acme" for e in refused)
    assert "sftp.login" not in hosted.intake.kinds()


def test_unknown_user_is_denied(hosted, tmp_path: Path) -> None:
    result = hosted.sftp("nobody", "acme", ["ls"], cwd=tmp_path)
    assert result.returncode != 0
    [refused] = hosted.intake.of_kind("sftp.login_refused")
    assert refused.data["reason"] == "unknown user"


def _refused(hosted, tmp_path: Path, command: str) -> str:
    result = hosted.sftp("acme", "acme", [command], cwd=tmp_path)
    assert result.returncode != 0, f"{command!r} was allowed: {result.stdout}"
    return result.stderr


def test_paths_cannot_leave_the_root(hosted, tmp_path: Path) -> None:
    # given a local file and a secret just outside the partner root
    (tmp_path / "f").write_bytes(b"data")
    (hosted.root / "beta").mkdir(parents=True, exist_ok=True)
    (hosted.root / "secret.txt").write_text("not yours")
    # when the partner tries to climb out or use server paths, each is refused
    for command in (
        "cd ..",
        "cd /inbox/../..",
        "put f ../x",
        "put f inbox/../../x",
        "put f /tmp/escaped",
        "get /etc/passwd stolen",
        "get ../secret.txt stolen",
        "ls ../beta",
        "mkdir inbox/sub",
        "put f outbox/not-mine",
        "symlink /etc/passwd inbox/link",
    ):
        before = len(hosted.intake.of_kind("sftp.refused"))
        _refused(hosted, tmp_path, command)
        # and each attempt is recorded as a refusal
        assert len(hosted.intake.of_kind("sftp.refused")) > before, command
    # then nothing was written outside and nothing was read
    assert not (tmp_path / "stolen").exists()
    assert not Path("/tmp/escaped").exists()
    assert not (hosted.root / "x").exists() and not (hosted.root / "acme" / "x").exists()
    assert hosted.intake.payloads == []
    assert all(e.partner_id == "acme" for e in hosted.intake.of_kind("sftp.refused"))


def test_root_shows_only_the_three_areas(hosted, tmp_path: Path) -> None:
    result = hosted.sftp("acme", "acme", ["ls -1 /"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = {line.strip().strip("/").split("/")[-1] for line in result.stdout.splitlines()
             if line.strip() and not line.startswith("sftp>")}  # fmt: skip
    assert names == {"inbox", "outbox", "archive"}


def test_symlinks_out_of_the_area_are_refused(hosted, tmp_path: Path) -> None:
    # given symlinks placed in the inbox (by anyone) pointing outside the partner root
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    ensure_partner_dirs(hosted.root, "acme")
    (hosted.inbox("acme") / "file-link").symlink_to(outside / "secret")
    (hosted.inbox("acme") / "dir-link").symlink_to(outside)
    (tmp_path / "f").write_bytes(b"overwrite")
    # when the partner reads or writes through them, it is refused
    _refused(hosted, tmp_path, "get inbox/file-link stolen")
    _refused(hosted, tmp_path, "ls inbox/dir-link")
    _refused(hosted, tmp_path, "get inbox/dir-link/secret stolen")
    _refused(hosted, tmp_path, "put f inbox/dir-link/secret")
    _refused(hosted, tmp_path, "cd inbox/dir-link")
    # then the target is untouched and nothing was read
    assert (outside / "secret").read_text() == "secret"
    assert not (tmp_path / "stolen").exists()
    reasons = {e.data["reason"] for e in hosted.intake.of_kind("sftp.refused")}
    assert any("symlink" in r for r in reasons)


def test_rename_into_place_takes_the_file_once(hosted, tmp_path: Path) -> None:
    # given an upload under the temporary suffix
    (tmp_path / "po.x12").write_bytes(X12_850)
    result = hosted.sftp(
        "acme", "acme",
        ["put po.x12 inbox/po.x12.part", "ls inbox", "rename inbox/po.x12.part inbox/po.x12"],
        cwd=tmp_path,
    )  # fmt: skip
    # then the .part file was not taken when closed; the rename took it once
    assert result.returncode == 0, result.stderr
    assert "po.x12.part" in result.stdout
    hosted.intake.wait_for(1)
    assert [p.filename for p in hosted.intake.payloads] == ["po.x12"]
    assert hosted.intake.payloads[0].data == X12_850
    assert list(hosted.inbox("acme").iterdir()) == []


def test_oversized_upload_is_refused_and_removed(hosted, tmp_path: Path) -> None:
    # given partner beta with a 1000-byte limit and a 5000-byte file
    (tmp_path / "big").write_bytes(b"x" * 5000)
    (tmp_path / "small").write_bytes(b"y" * 1000)
    # when it uploads the big file
    result = hosted.sftp("beta", "beta", ["put big inbox/big.edi"], cwd=tmp_path)
    # then the upload fails, no partial file is left and nothing reached the intake
    assert result.returncode != 0
    assert list(hosted.inbox("beta").iterdir()) == []
    assert hosted.intake.payloads == []
    [refused] = hosted.intake.of_kind("sftp.refused")
    assert "1000 bytes" in refused.data["reason"]
    # and a file at the limit still goes through
    result = hosted.sftp("beta", "beta", ["put small inbox/small.edi"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    hosted.intake.wait_for(1)
    assert [len(p.data) for p in hosted.intake.payloads] == [1000]


def test_empty_upload_is_refused_like_the_apis(hosted, tmp_path: Path) -> None:
    # given an empty file on the partner's machine, and a good one
    (tmp_path / "empty.edi").write_bytes(b"")
    (tmp_path / "po.x12").write_bytes(X12_850)
    # when the partner uploads the empty file under its name, then under a temporary
    # name renamed into place, then the good one
    first = hosted.sftp("acme", "acme", ["put empty.edi inbox/empty.edi"], cwd=tmp_path)
    second = hosted.sftp(
        "acme", "acme",
        ["put empty.edi inbox/later.edi.part", "rename inbox/later.edi.part inbox/later.edi"],
        cwd=tmp_path,
    )  # fmt: skip
    third = hosted.sftp("acme", "acme", ["put po.x12 inbox/po.x12"], cwd=tmp_path)
    # then the client is told each empty upload failed; nothing empty reached the
    # pipeline, and the good file did
    assert first.returncode != 0 and "close remote: Failure" in first.stderr
    assert second.returncode != 0 and "rename" in second.stderr
    assert third.returncode == 0, third.stderr
    hosted.intake.wait_for(1)
    assert [p.filename for p in hosted.intake.payloads] == ["po.x12"]
    # and each refusal is a refused message (as the API's "the uploaded file is empty")
    # and an sftp.refused event naming the file and the partner
    assert [(r.filename, r.refused, r.partner_id) for r in hosted.intake.refused] == [
        ("empty.edi", "the uploaded file is empty", "acme"),
        ("later.edi", "the uploaded file is empty", "acme"),
    ]
    events = hosted.intake.of_kind("sftp.refused")
    assert [(e.partner_id, e.data["path"], e.data["operation"]) for e in events] == [
        ("acme", "/inbox/empty.edi", "upload"),
        ("acme", "/inbox/later.edi", "upload"),
    ]
    assert "empty" in events[0].detail and "/inbox/empty.edi" in events[0].detail
    # and no empty file is left in the inbox or the archive, nor waits for the sweep
    assert list(hosted.inbox("acme").iterdir()) == []
    assert [p.name.split("-", 1)[1] for p in hosted.archive("acme").iterdir()] == ["po.x12"]
    assert hosted.server.sweep() == []


def test_two_partners_upload_at_once_and_see_only_their_root(hosted, tmp_path: Path) -> None:
    # given five files for each of two partners
    for partner in ("acme", "beta"):
        folder = tmp_path / partner
        folder.mkdir()
        for n in range(5):
            (folder / f"{partner}-{n}.edi").write_bytes(f"{partner} file {n}".encode())
    results = {}

    def upload(partner: str) -> None:
        commands = [f"put {partner}-{n}.edi inbox/" for n in range(5)] + ["ls -1 /inbox"]
        results[partner] = hosted.sftp(partner, partner, commands, cwd=tmp_path / partner)

    # when both upload at the same time
    threads = [threading.Thread(target=upload, args=(p,)) for p in ("acme", "beta")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then each partner's files reached the intake under its own id only
    assert all(r.returncode == 0 for r in results.values()), results
    hosted.intake.wait_for(10)
    by_partner: dict[str, set[str]] = {"acme": set(), "beta": set()}
    for payload in hosted.intake.payloads:
        assert payload.data.startswith(payload.partner_id.encode())
        by_partner[payload.partner_id].add(payload.filename)
    assert by_partner == {p: {f"{p}-{n}.edi" for n in range(5)} for p in ("acme", "beta")}
    # and neither saw the other's files
    assert "beta-" not in results["acme"].stdout and "acme-" not in results["beta"].stdout


def test_intake_failure_keeps_file_in_inbox_until_sweep(hosted, tmp_path: Path) -> None:
    # given an intake that is down
    hosted.intake.fail_with = RuntimeError("store unavailable")
    (tmp_path / "po.x12").write_bytes(X12_850)
    # when the partner uploads
    result = hosted.sftp("acme", "acme", ["put po.x12 inbox/po.x12"], cwd=tmp_path)
    # then the upload itself succeeded, the file stays in inbox, the error is recorded
    assert result.returncode == 0, result.stderr
    assert (hosted.inbox("acme") / "po.x12").read_bytes() == X12_850
    [failed] = hosted.intake.of_kind("sftp.take_failed")
    assert "store unavailable" in failed.detail
    assert list(hosted.archive("acme").iterdir()) == []
    # when the intake is back and the server sweeps
    hosted.intake.fail_with = None
    [taken] = hosted.server.sweep()
    # then the file is delivered and archived
    assert taken.ok and hosted.intake.payloads[0].data == X12_850
    assert list(hosted.inbox("acme").iterdir()) == []
    assert len(list(hosted.archive("acme").iterdir())) == 1


def test_host_key_is_kept_across_restarts(hosted, tmp_path: Path) -> None:
    # given the running server's key
    first = hosted.server.host_key.asbytes()
    # when a new server starts with the same key path
    from gateway.sftp.server import SftpServer

    again = SftpServer("127.0.0.1", 0, hosted.root, hosted.server.host_key_path,
                       lambda: hosted.accounts, hosted.intake)  # fmt: skip
    # then it presents the same key
    assert again.host_key.asbytes() == first
    assert oct(hosted.server.host_key_path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("key_type", ["rsa", "ecdsa"])
def test_rsa_and_ecdsa_partner_keys_log_in(hosted, tmp_path: Path, key_type: str) -> None:
    # given a partner key of another type made by ssh-keygen (RSA signs with rsa-sha2-*)
    key = tmp_path / f"id_{key_type}"
    bits = ["-b", "2048"] if key_type == "rsa" else []
    subprocess.run(["ssh-keygen", "-q", "-t", key_type, *bits, "-N", "", "-f", str(key)],
                   check=True, capture_output=True)  # fmt: skip
    hosted.accounts["gamma"] = (
        "gamma",
        HostedAccount(username="gamma", authorized_keys=[key.with_suffix(".pub").read_text()]),
    )
    shutil.copy(key, hosted.keys / f"gamma-{key_type}")
    # when it uploads with OpenSSH
    (tmp_path / "f").write_bytes(b"ISA*k~")
    result = hosted.sftp("gamma", f"gamma-{key_type}", ["put f inbox/f.x12"], cwd=tmp_path)
    # then the login and the upload work
    assert result.returncode == 0, result.stderr
    hosted.intake.wait_for(1)
    assert [p.partner_id for p in hosted.intake.payloads] == ["gamma"]

"""The poller and sender against a real OpenSSH sshd (internal-sftp, chrooted user)."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import paramiko
import pytest

from gateway.intake import PermanentSendError, TransientSendError
from gateway.sftp.poller import beat_schedule, poll_all, poll_partner
from gateway.sftp.sender import RemoteSftpSender


def test_poll_fetches_stores_then_deletes(clean_sshd, intake) -> None:
    # given two finished files and one still being written on the partner's server
    first = clean_sshd.put("po-1.x12", b"ISA*first~")
    os.utime(first, (1_700_000_000, 1_700_000_000))
    clean_sshd.put("po-2.x12", b"ISA*second~")
    clean_sshd.put("po-3.x12.part", b"ISA*unfinished")
    clean_sshd.put(".po-4.x12", b"ISA*hidden, being written")
    # when we poll
    result = poll_partner(clean_sshd.profile(), intake)
    # then both finished files were stored with name, size, mtime and hash
    assert result.ok, result.error
    assert [p.filename for p in intake.payloads] == ["po-1.x12", "po-2.x12"]
    payload = intake.payloads[0]
    assert payload.transport == "sftp-poll" and payload.partner_id == "medsupply"
    assert payload.data == b"ISA*first~"
    assert payload.metadata["path"] == "/outbound/po-1.x12"
    assert payload.metadata["size"] == "10"
    assert payload.metadata["mtime"] == "1700000000"
    assert payload.metadata["sha256"] == hashlib.sha256(b"ISA*first~").hexdigest()
    # and removed from the server afterwards; the unfinished one is left alone
    assert sorted(os.listdir(clean_sshd.chroot / "outbound")) == [".po-4.x12", "po-3.x12.part"]
    assert [f.disposal for f in result.fetched] == ["deleted", "deleted"]
    assert len(intake.of_kind("sftp.poll.fetched")) == 2


def test_poll_moves_to_archive_and_pins_by_fingerprint(clean_sshd, intake) -> None:
    # given a profile pinning the server by its SHA256 fingerprint, moving after fetch
    clean_sshd.put("asn.x12", b"ISA*856~")
    profile = clean_sshd.profile(
        host_key=clean_sshd.host_fingerprint, after_fetch="move", archive_path="/archive"
    )
    # when we poll
    result = poll_partner(profile, intake)
    # then the file was stored and moved to the archive folder
    assert result.ok, result.error
    assert [p.data for p in intake.payloads] == [b"ISA*856~"]
    assert os.listdir(clean_sshd.chroot / "outbound") == []
    assert (clean_sshd.chroot / "archive" / "asn.x12").read_bytes() == b"ISA*856~"
    assert result.fetched[0].disposal == "moved to /archive/asn.x12"


def test_wrong_pinned_host_key_refuses_and_alerts(clean_sshd, intake, keys_dir) -> None:
    # given a profile pinning some other key (the poller's own public key, say)
    clean_sshd.put("po.x12", b"ISA*x~")
    other = (keys_dir / "intruder.pub").read_text().split()
    rsa = paramiko.RSAKey.generate(2048)  # a key type the server does not have at all
    for pin in (
        f"127.0.0.1 {other[0]} {other[1]}",
        "SHA256:" + "A" * 43,
        f"[127.0.0.1]:{clean_sshd.port} ssh-rsa {rsa.get_base64()}",
    ):
        # when we poll
        result = poll_partner(clean_sshd.profile(host_key=pin, retries=3), intake)
        # then nothing is fetched, no retry is made, and an alert is recorded
        assert not result.ok and "pin" in (result.error or "")
        assert result.attempts == 1
    assert intake.payloads == []
    assert os.listdir(clean_sshd.chroot / "outbound") == ["po.x12"]
    alerts = intake.of_kind("sftp.poll.host_key_mismatch")
    assert len(alerts) == 3 and alerts[0].data["alert"] is True


def test_refused_login_is_permanent(clean_sshd, intake, keys_dir) -> None:
    from gateway.partners.common import SecretRef

    profile = clean_sshd.profile(private_key=SecretRef(file=keys_dir / "intruder"), retries=3)
    slept: list[float] = []
    result = poll_partner(profile, intake, sleep=slept.append)
    assert not result.ok and "refused" in (result.error or "")
    assert result.attempts == 1 and slept == []
    assert intake.of_kind("sftp.poll.failed")


def test_crash_between_store_and_remove_is_not_a_second_delivery(clean_sshd, intake) -> None:
    # given an intake that stores the file and then fails (as if we crashed right after)
    clean_sshd.put("inv.x12", b"ISA*810~")
    intake.fail_with = RuntimeError("worker died")
    intake.fail_after_store = True
    first = poll_partner(clean_sshd.profile(), intake)
    # then the file is still on the server
    assert not first.ok
    assert os.listdir(clean_sshd.chroot / "outbound") == ["inv.x12"]
    # when the next poll fetches it again
    intake.fail_with = None
    second = poll_partner(clean_sshd.profile(), intake)
    # then the intake sees the same dedupe key and names the first message
    assert second.ok, second.error
    assert intake.payloads[0].dedupe_key == intake.payloads[1].dedupe_key
    assert second.fetched[0].duplicate_of == 1
    assert os.listdir(clean_sshd.chroot / "outbound") == []


def test_oversized_remote_file_is_left_with_an_event(clean_sshd, intake) -> None:
    clean_sshd.put("huge.x12", b"x" * 2048)
    clean_sshd.put("ok.x12", b"ISA*ok~")
    result = poll_partner(clean_sshd.profile(max_file_bytes=1024), intake)
    assert result.ok
    assert [p.filename for p in intake.payloads] == ["ok.x12"]
    assert result.skipped == ["/outbound/huge.x12"]
    assert os.listdir(clean_sshd.chroot / "outbound") == ["huge.x12"]
    assert intake.of_kind("sftp.poll.skipped")


@pytest.mark.parametrize("after_fetch", ["delete", "move"])
def test_empty_remote_file_is_refused_once_and_not_dropped_silently(
    clean_sshd, intake, after_fetch: str
) -> None:
    # given an empty finished file beside a real one on the partner's server
    clean_sshd.put("empty.x12", b"")
    clean_sshd.put("po.x12", b"ISA*po~")
    extra = {"archive_path": "/archive"} if after_fetch == "move" else {}
    profile = clean_sshd.profile(after_fetch=after_fetch, **extra)
    # when we poll twice
    first = poll_partner(profile, intake)
    second = poll_partner(profile, intake)
    # then only the real file went to the pipeline
    assert first.ok and second.ok, (first.error, second.error)
    assert [p.filename for p in intake.payloads] == ["po.x12"]
    # and the empty one is a refused message (as the API's) and one event naming file,
    # partner, host and what became of it: reported once, not at every poll
    assert [(r.filename, r.refused, r.partner_id) for r in intake.refused] == [
        ("empty.x12", "the uploaded file is empty", "medsupply")
    ]
    assert first.refused == ["/outbound/empty.x12"] and second.refused == []
    [event] = intake.of_kind("sftp.poll.refused")
    assert event.partner_id == "medsupply" and event.data["path"] == "/outbound/empty.x12"
    assert "/outbound/empty.x12" in event.detail and "empty" in event.detail
    assert os.listdir(clean_sshd.chroot / "outbound") == []
    if after_fetch == "move":
        assert event.data["disposal"] == "moved to /archive/empty.x12"
        assert (clean_sshd.chroot / "archive" / "empty.x12").read_bytes() == b""
    else:
        assert event.data["disposal"] == "deleted" and "deleted" in event.detail


def test_empty_file_still_being_created_is_left_for_the_next_poll(
    clean_sshd, intake, monkeypatch
) -> None:
    # given a file created empty that the partner fills in place after our listing
    path = clean_sshd.put("growing.x12", b"")
    from gateway.sftp import remote as remote_module

    real_read = remote_module.RemoteFolder.read

    def read_then_partner_writes(self, remote_path, max_bytes):  # type: ignore[no-untyped-def]
        data = real_read(self, remote_path, max_bytes)
        path.write_bytes(b"ISA*now complete~")
        return data

    monkeypatch.setattr(remote_module.RemoteFolder, "read", read_then_partner_writes)
    # when we poll
    result = poll_partner(clean_sshd.profile(settle_seconds=0), intake)
    # then it is neither refused nor taken: it is left to settle
    assert result.ok and result.refused == [] and intake.refused == []
    assert result.skipped == ["/outbound/growing.x12"]
    assert os.listdir(clean_sshd.chroot / "outbound") == ["growing.x12"]


def test_sender_uploads_ack_under_temp_name_then_renames(clean_sshd, intake) -> None:
    # given the sender for a partner-hosted server
    profile = clean_sshd.profile()
    sender = RemoteSftpSender(lambda pid: profile if pid == profile.id else None, intake)
    ack = b"ISA*997~" * 100
    # when an acknowledgement is sent
    reference = sender.send("medsupply", "997_0001.x12", ack, kind="997")
    # then it is in the partner's inbound folder under its final name only
    assert reference == "/inbound/997_0001.x12"
    assert os.listdir(clean_sshd.chroot / "inbound") == ["997_0001.x12"]
    assert (clean_sshd.chroot / "inbound" / "997_0001.x12").read_bytes() == ack
    # and sending again replaces it (retries are safe)
    sender.send("medsupply", "997_0001.x12", b"ISA*again~", kind="997")
    assert (clean_sshd.chroot / "inbound" / "997_0001.x12").read_bytes() == b"ISA*again~"
    assert len(intake.of_kind("sftp.sent")) == 2


def test_sender_errors_are_permanent_or_transient(clean_sshd, intake) -> None:
    profile = clean_sshd.profile(host_key="SHA256:" + "B" * 43)
    sender = RemoteSftpSender(lambda pid: profile, intake)
    with pytest.raises(PermanentSendError, match="pins"):
        sender.send("medsupply", "997.x12", b"x", kind="997")
    with pytest.raises(PermanentSendError, match=r"no sftp\.poll"):
        RemoteSftpSender(lambda pid: None).send("nobody", "997.x12", b"x", kind="997")
    down = clean_sshd.profile(port=1, timeout_seconds=2.0)
    with pytest.raises(TransientSendError):
        RemoteSftpSender(lambda pid: down).send("medsupply", "997.x12", b"x", kind="997")
    with pytest.raises(PermanentSendError, match="file name"):
        RemoteSftpSender(lambda pid: profile).send("medsupply", "../x", b"x", kind="997")


def test_one_broken_partner_does_not_block_another(clean_sshd, intake) -> None:
    # given a partner whose server is down (retried with backoff) and a working one
    clean_sshd.put("good.x12", b"ISA*good~")
    broken = clean_sshd.profile("broken", port=1, retries=2, timeout_seconds=2.0)
    good = clean_sshd.profile("good")
    slept: list[float] = []
    # when all partners are polled
    started = time.monotonic()
    results = poll_all([broken, good], intake, sleep=slept.append)
    # then the good partner's file arrived and the broken one reports its error
    assert results["good"].ok and [p.partner_id for p in intake.payloads] == ["good"]
    assert not results["broken"].ok and results["broken"].attempts == 3
    assert slept == [1.0, 2.0]  # exponential backoff between attempts
    assert time.monotonic() - started < 30
    [failed] = intake.of_kind("sftp.poll.failed")
    assert failed.partner_id == "broken"


def test_beat_schedule_has_one_entry_per_polled_partner(sshd) -> None:
    # given two polled partners (one disabled) and one without polling
    polled = sshd.profile("acme", interval_seconds=60)
    disabled = sshd.profile("old").model_copy(update={"enabled": False})
    plain = polled.model_copy(update={"id": "plain", "sftp": None})
    # then beat gets one task per enabled polled partner, with its interval
    schedule = beat_schedule([polled, disabled, plain])
    assert schedule == {
        "sftp-poll-acme": {
            "task": "gateway.sftp.poll",
            "schedule": 60.0,
            "args": ("acme",),
            "options": {"expires": 60.0},
        }
    }


def test_poll_takes_at_most_max_files_oldest_first(clean_sshd, intake) -> None:
    for n in range(3):
        path = clean_sshd.put(f"f{n}.x12", f"ISA*{n}~".encode())
        os.utime(path, (1_700_000_000 - n, 1_700_000_000 - n))  # f2 is the oldest
    result = poll_partner(clean_sshd.profile(), intake, max_files=2)
    assert result.ok
    assert [p.filename for p in intake.payloads] == ["f2.x12", "f1.x12"]
    assert os.listdir(clean_sshd.chroot / "outbound") == ["f0.x12"]


def test_failed_upload_leaves_no_temporary_file(clean_sshd, intake) -> None:
    from gateway.intake import SendError

    # given a folder sitting where the acknowledgement should go (rename must fail)
    (clean_sshd.chroot / "inbound" / "997.x12").mkdir()
    profile = clean_sshd.profile()
    sender = RemoteSftpSender(lambda pid: profile, intake)
    try:
        # when the upload cannot be renamed into place
        with pytest.raises(SendError):
            sender.send("medsupply", "997.x12", b"ISA*997~", kind="997")
        # then the temporary file was cleaned up and nothing claims to be sent
        assert os.listdir(clean_sshd.chroot / "inbound") == ["997.x12"]
        assert not intake.of_kind("sftp.sent")
    finally:
        (clean_sshd.chroot / "inbound" / "997.x12").rmdir()


def test_poll_stops_at_its_time_limit_and_leaves_the_rest(clean_sshd, intake) -> None:
    clean_sshd.put("a.x12", b"ISA*a~")
    result = poll_partner(clean_sshd.profile(retries=3), intake, max_seconds=0.0)
    assert not result.ok and "time limit" in (result.error or "")
    assert result.attempts == 1 and intake.payloads == []
    assert os.listdir(clean_sshd.chroot / "outbound") == ["a.x12"]


def test_file_grown_after_the_listing_is_left_for_the_next_poll(
    clean_sshd, intake, monkeypatch
) -> None:
    from gateway.sftp.remote import RemoteFile, RemoteFolder

    # given a partner writing po.x12 in place: more bytes arrive after our listing
    path = clean_sshd.put("po.x12", b"ISA*first half")
    listed = RemoteFolder.list_files

    def list_then_write(self: RemoteFolder, folder: str) -> list[RemoteFile]:
        files = listed(self, folder)
        path.write_bytes(b"ISA*first half, second half~")
        return files

    monkeypatch.setattr(RemoteFolder, "list_files", list_then_write)
    # when we poll (no settling time: the listing and the read disagree)
    result = poll_partner(clean_sshd.profile(settle_seconds=0.0), intake)
    # then nothing was taken: the file stays for the next poll, with an event saying why
    assert result.ok, result.error
    assert intake.payloads == [] and result.fetched == []
    assert result.skipped == ["/outbound/po.x12"]
    assert os.listdir(clean_sshd.chroot / "outbound") == ["po.x12"]
    [skipped] = intake.of_kind("sftp.poll.skipped")
    assert skipped.data is not None and skipped.data["reason"] == "still being written"
    assert skipped.data["size"] == 14 and skipped.data["size_now"] == 28
    # and once the partner has finished, the next poll takes the whole file
    monkeypatch.setattr(RemoteFolder, "list_files", listed)
    second = poll_partner(clean_sshd.profile(settle_seconds=0.0), intake)
    assert second.ok and [p.data for p in intake.payloads] == [b"ISA*first half, second half~"]
    assert os.listdir(clean_sshd.chroot / "outbound") == []


@pytest.mark.parametrize("change", ["append", "touch"])
def test_file_changed_while_read_is_not_taken(clean_sshd, intake, monkeypatch, change) -> None:
    from gateway.sftp.remote import RemoteFolder

    # given a file that changes just after we read it (more bytes, or only a new mtime)
    path = clean_sshd.put("inv.x12", b"ISA*810~")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    read = RemoteFolder.read

    def read_then_change(self: RemoteFolder, remote_path: str, limit: int) -> bytes:
        data = read(self, remote_path, limit)
        if change == "append":
            with path.open("ab") as handle:
                handle.write(b"GS*more~")
        else:
            os.utime(path, (1_700_000_100, 1_700_000_100))
        return data

    monkeypatch.setattr(RemoteFolder, "read", read_then_change)
    # when we poll without any settling time
    result = poll_partner(clean_sshd.profile(settle_seconds=0.0), intake)
    # then the re-stat after the read catches it and the file stays
    assert result.ok, result.error
    assert intake.payloads == [] and result.skipped == ["/outbound/inv.x12"]
    assert os.listdir(clean_sshd.chroot / "outbound") == ["inv.x12"]
    assert intake.of_kind("sftp.poll.skipped")[0].data["reason"] == "still being written"


def test_partner_writing_in_place_is_never_cut_short(clean_sshd, intake) -> None:
    # given a partner writing po.x12 in place, slowly, with the default settling time
    path = clean_sshd.chroot / "outbound" / "po.x12"
    full = b"ISA*" + b"A" * 4000 + b"~IEA*1*000000001~"
    handle = path.open("wb")
    handle.write(full[:500])
    handle.flush()

    def write_the_rest() -> None:
        for start in range(500, len(full), 250):
            time.sleep(0.25)
            handle.write(full[start : start + 250])
            handle.flush()
        handle.close()

    writer = threading.Thread(target=write_the_rest)
    writer.start()
    try:
        # when we poll while it writes
        result = poll_partner(clean_sshd.profile(), intake)
    finally:
        writer.join()
    # then the half-written file was left alone
    assert result.ok, result.error
    assert intake.payloads == [] and result.skipped == ["/outbound/po.x12"]
    assert path.read_bytes() == full
    # and the next poll, after the partner finished, takes all of it
    second = poll_partner(clean_sshd.profile(), intake)
    assert second.ok and [p.data for p in intake.payloads] == [full]
    assert os.listdir(clean_sshd.chroot / "outbound") == []


def test_unreadable_file_is_reported_and_the_poll_goes_on(clean_sshd, intake) -> None:
    # given the oldest file unreadable to the poller's login (root's, mode 000)
    bad = clean_sshd.put("a-old.x12", b"ISA*unreadable~")
    os.utime(bad, (1_600_000_000, 1_600_000_000))
    bad.chmod(0o000)
    clean_sshd.put("b.x12", b"ISA*b~")
    clean_sshd.put("c.x12", b"ISA*c~")
    # when we poll twice
    first = poll_partner(clean_sshd.profile(settle_seconds=0.0, retries=2), intake)
    second = poll_partner(clean_sshd.profile(settle_seconds=0.0, retries=2), intake)
    # then the other files were taken by the first poll, and the poll did not fail
    assert first.ok and second.ok, (first.error, second.error)
    assert first.attempts == 1
    assert [p.filename for p in intake.payloads] == ["b.x12", "c.x12"]
    assert first.skipped == second.skipped == ["/outbound/a-old.x12"]
    assert os.listdir(clean_sshd.chroot / "outbound") == ["a-old.x12"]
    # and the unreadable file is reported once per poll, by name and error
    events = intake.of_kind("sftp.poll.skipped")
    assert len(events) == 2 and not intake.of_kind("sftp.poll.failed")
    assert events[0].data is not None and events[0].data["reason"] == "unreadable"
    assert events[0].data["path"] == "/outbound/a-old.x12"
    assert "ermission denied" in str(events[0].data["error"])


def test_file_gone_between_listing_and_read_is_passed_over(clean_sshd, intake, monkeypatch) -> None:
    from gateway.sftp.remote import RemoteFile, RemoteFolder

    # given a file another consumer takes right after our listing
    gone = clean_sshd.put("a.x12", b"ISA*a~")
    os.utime(gone, (1_600_000_000, 1_600_000_000))
    clean_sshd.put("b.x12", b"ISA*b~")
    listed = RemoteFolder.list_files

    def list_then_vanish(self: RemoteFolder, folder: str) -> list[RemoteFile]:
        files = listed(self, folder)
        gone.unlink()
        return files

    monkeypatch.setattr(RemoteFolder, "list_files", list_then_vanish)
    # when we poll
    result = poll_partner(clean_sshd.profile(settle_seconds=0.0), intake)
    # then the vanished file is recorded and the next one is taken
    assert result.ok, result.error
    assert [p.filename for p in intake.payloads] == ["b.x12"]
    assert result.skipped == ["/outbound/a.x12"]
    [event] = intake.of_kind("sftp.poll.skipped")
    assert event.data is not None and event.data["reason"] == "gone"
    assert os.listdir(clean_sshd.chroot / "outbound") == []


def test_broken_session_mid_poll_still_ends_the_poll(clean_sshd, intake, monkeypatch) -> None:
    from gateway.sftp.remote import RemoteFolder

    # given a session that breaks when the first file is read
    clean_sshd.put("a.x12", b"ISA*a~")
    read = RemoteFolder.read
    broken: list[str] = []

    def break_once(self: RemoteFolder, path: str, limit: int) -> bytes:
        if not broken:
            broken.append(path)
            self.sftp.get_channel().close()  # type: ignore[union-attr]
        return read(self, path, limit)

    monkeypatch.setattr(RemoteFolder, "read", break_once)
    slept: list[float] = []
    # when we poll with one retry
    result = poll_partner(
        clean_sshd.profile(settle_seconds=0.0, retries=1), intake, sleep=slept.append
    )
    # then that attempt ended (not passed over as one bad file) and the retry took the file
    assert result.ok, result.error
    assert result.attempts == 2 and slept == [1.0]
    assert result.skipped == [] and [p.filename for p in intake.payloads] == ["a.x12"]
    assert not intake.of_kind("sftp.poll.skipped")

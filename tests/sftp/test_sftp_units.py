"""Path confinement, key handling and accounts, without a network peer."""

from __future__ import annotations

import os
from pathlib import Path

import paramiko
import pytest

from gateway.partners.common import SecretRef
from gateway.partners.profile import PartnerProfile, X12Ids
from gateway.partners.sftp import HostedAccount, SftpSettings
from gateway.sftp.accounts import hosted_accounts
from gateway.sftp.errors import PathRefused, SftpConfigError
from gateway.sftp.jail import PartnerJail, ensure_partner_dirs
from gateway.sftp.keys import PinnedHostKey, load_authorized_keys, parse_public_key
from gateway.sftp.outbox import HostedOutbox


@pytest.fixture
def jail(tmp_path: Path) -> PartnerJail:
    return PartnerJail(ensure_partner_dirs(tmp_path, "acme"))


@pytest.mark.parametrize(
    ("path", "virtual"),
    [
        ("/", "/"),
        ("", "/"),
        ("inbox", "/inbox"),
        ("/inbox/./a.edi", "/inbox/a.edi"),
        ("/inbox/../outbox/x", "/outbox/x"),
        ("//archive//", "/archive"),
    ],
)
def test_paths_inside_the_root_resolve(jail: PartnerJail, path: str, virtual: str) -> None:
    resolved = jail.resolve(path)
    assert resolved.virtual == virtual
    assert resolved.real.is_relative_to(jail.base)


@pytest.mark.parametrize(
    "path",
    ["..", "/..", "/inbox/../..", "../acme/inbox", "/etc/passwd", "/.taking/x", "/.staging",
     "inbox\x00/x", "/x"],
)  # fmt: skip
def test_paths_leaving_the_areas_are_refused(jail: PartnerJail, path: str) -> None:
    with pytest.raises(PathRefused):
        jail.resolve(path)


def test_a_name_longer_than_the_file_system_takes_is_refused_by_name(jail: PartnerJail) -> None:
    assert jail.resolve("/inbox/" + "a" * 255).virtual == "/inbox/" + "a" * 255
    with pytest.raises(PathRefused, match="longer than 255 bytes"):
        jail.resolve("/inbox/" + "a" * 256)
    with pytest.raises(PathRefused, match="longer than 255 bytes"):
        jail.resolve("/inbox/" + "\u00e9" * 128)  # 256 bytes in UTF-8


def test_symlink_to_another_area_or_outside_is_refused(jail: PartnerJail, tmp_path: Path) -> None:
    (jail.base / "inbox" / "to-outbox").symlink_to(jail.base / "outbox")
    (jail.base / "inbox" / "to-root").symlink_to(tmp_path)
    (jail.base / "inbox" / "inside").symlink_to(jail.base / "inbox" / "real.edi")
    with pytest.raises(PathRefused, match="symlink"):
        jail.resolve("/inbox/to-outbox/x")
    with pytest.raises(PathRefused, match="symlink"):
        jail.resolve("/inbox/to-root")
    assert jail.resolve("/inbox/inside").real == jail.base / "inbox" / "real.edi"


def test_authorized_keys_from_lines_and_files(tmp_path: Path, keys_dir: Path) -> None:
    # given one inline key, one relative .pub path, one missing file and one broken line
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "beta.pub").write_text((keys_dir / "beta.pub").read_text())
    entries = [
        (keys_dir / "acme.pub").read_text(),
        "keys/beta.pub",
        "keys/missing.pub",
        "ssh-ed25519 not-base64!",
    ]
    # when loaded relative to the profile's directory
    loaded = load_authorized_keys(entries, tmp_path)
    # then the two real keys are usable and the two bad entries are warnings
    assert [k.comment for k in loaded.keys] == ["acme", "beta"]
    assert len(loaded.warnings) == 2
    assert "missing.pub" in loaded.warnings[0] and "base64" in loaded.warnings[1]
    acme = paramiko.PKey.from_path(keys_dir / "acme")
    intruder = paramiko.PKey.from_path(keys_dir / "intruder")
    assert loaded.allows(acme) and not loaded.allows(intruder)


def test_public_key_lines_are_checked() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        parse_public_key('from="10.0.0.1" ssh-ed25519 AAAA')
    with pytest.raises(ValueError, match="does not hold"):
        # an RSA blob labelled as Ed25519
        blob = paramiko.RSAKey.generate(1024).get_base64()
        parse_public_key(f"ssh-ed25519 {blob}")


def test_pinned_host_key_forms(keys_dir: Path) -> None:
    line = (keys_dir / "acme.pub").read_text().split()
    key = paramiko.PKey.from_path(keys_dir / "acme")
    by_line = PinnedHostKey.parse(f"|1|hashed= {line[0]} {line[1]}")
    assert by_line.matches(key) and by_line.host_key_algorithms() == ("ssh-ed25519",)
    by_fingerprint = PinnedHostKey.parse(by_line.fingerprint)
    assert by_fingerprint.matches(key) and by_fingerprint.host_key_algorithms() is None
    for bad in ("SHA256:short", "@revoked host ssh-ed25519 AAAA", "host nonsense"):
        with pytest.raises(SftpConfigError):
            PinnedHostKey.parse(bad)


def _profile(partner_id: str, source: Path, **hosted: object) -> PartnerProfile:
    profile = PartnerProfile(
        id=partner_id,
        name=partner_id,
        x12=X12Ids(isa_qualifier="ZZ", isa_id=partner_id.upper()),
        sftp=SftpSettings(hosted=HostedAccount(**hosted)),  # type: ignore[arg-type]
    )
    profile._source = source  # what the profile loader sets
    return profile


def test_hosted_accounts_resolve_paths_and_drop_ambiguous_users(tmp_path: Path) -> None:
    # given profiles in a directory, with relative key and password paths
    source = tmp_path / "profiles" / "acme.yaml"
    acme = _profile("acme", source, username="acme", authorized_keys=["keys/acme.pub"],
                    password=SecretRef(file=Path("secrets/acme.pw")))  # fmt: skip
    twin_a = _profile("twin-a", source, username="twin")
    twin_b = _profile("twin-b", source, username="twin")
    warnings: list[tuple[str, str]] = []
    # when the accounts are built
    accounts = hosted_accounts(
        [acme, twin_a, twin_b], on_warning=lambda p, m: warnings.append((p, m))
    )
    # then paths are absolute against the profile directory
    partner_id, account = accounts["acme"]
    assert partner_id == "acme"
    assert account.authorized_keys == [str(tmp_path / "profiles" / "keys" / "acme.pub")]
    assert account.password is not None
    assert account.password.file == tmp_path / "profiles" / "secrets" / "acme.pw"
    # and a user name claimed twice logs in as nobody
    assert "twin" not in accounts
    assert sorted(p for p, _ in warnings) == ["twin-a", "twin-b"]


def test_outbox_refuses_bad_names_and_replaces_atomically(tmp_path: Path) -> None:
    from gateway.intake import PermanentSendError

    outbox = HostedOutbox(tmp_path)
    for name in ("../x", "a/b", "", ".."):
        with pytest.raises(PermanentSendError):
            outbox.send("acme", name, b"x", kind="997")
    outbox.send("acme", "997.x12", b"one", kind="997")
    outbox.send("acme", "997.x12", b"two", kind="997")
    assert os.listdir(tmp_path / "acme" / "outbox") == ["997.x12"]
    assert (tmp_path / "acme" / "outbox" / "997.x12").read_bytes() == b"two"
    assert os.listdir(tmp_path / "acme" / ".staging") == []


def test_poll_settings_refuse_unpinned_hosts_and_unnamed_archives() -> None:
    from pydantic import ValidationError

    from gateway.partners.sftp import PollSettings

    base = {"host": "sftp.example.com", "username": "us"}
    with pytest.raises(ValidationError, match="never trusted on first use"):
        PollSettings(**base, host_key="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="archive_path"):
        PollSettings(**base, host_key="SHA256:" + "A" * 43, after_fetch="move")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="differ"):
        PollSettings(**base, host_key="SHA256:" + "A" * 43, after_fetch="move",  # type: ignore[arg-type]
                     inbound_path="out", archive_path="out/")  # fmt: skip
    ok = PollSettings(**base, host_key="sftp.example.com ssh-ed25519 AAAAC3Nza")  # type: ignore[arg-type]
    assert ok.after_fetch == "delete"

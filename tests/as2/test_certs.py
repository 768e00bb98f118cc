"""Certificate rollover, expiry warnings, key creation and the certs CLI."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gateway.as2 import certs
from gateway.cli.cert_commands import register
from gateway.partners.profile import PartnerProfile

from .as2_helpers import make_keys, openssl
from .conftest import World, make_profile


def test_verification_tries_every_valid_certificate_and_encryption_uses_the_newest(
    world: World,
) -> None:
    now = datetime.now(UTC)
    loaded = certs.partner_certificates(world.profile("acme"))
    valid = certs.valid_certificates(loaded, "signature", now)
    assert {c.serial_number for c in valid} == {
        world.partner.certificate.serial_number,
        world.partner_next.certificate.serial_number,
    }
    assert certs.encryption_certificate(loaded, now) == world.partner_next.certificate
    # before the next certificate starts, the current one is used
    assert (
        certs.encryption_certificate(loaded, now - timedelta(hours=2)) == world.partner.certificate
    )


def test_our_newest_valid_key_signs(world: World) -> None:
    keys = certs.our_keys(world.identities.get(), world.identities)
    assert len(keys) == 2
    assert certs.signing_key(keys, datetime.now(UTC)).certificate == world.ours.certificate  # type: ignore[union-attr]


def test_check_certificates_warns_30_days_ahead_and_errors_on_expired(
    tmp_path: Path, world: World
) -> None:
    now = datetime.now(UTC)
    soon = make_keys(tmp_path, "soon", start=now - timedelta(days=340), days=350)
    profile = make_profile(
        "warned",
        {
            "as2_id": "W",
            "certificates": [{"file": str(soon.cert)}, {"file": str(world.expired.cert)}],
        },
    )
    warnings = certs.check_certificates(profile, now)
    levels = {(w.level, w.file.name) for w in warnings}
    assert ("warning", "soon.crt") in levels
    assert ("error", "acme-expired.crt") in levels
    assert not certs.check_certificates(world.profile("acme"), now)
    missing = make_profile("gone", {"as2_id": "G", "certificates": [{"file": "/nope.pem"}]})
    assert [w.level for w in certs.check_certificates(missing, now)] == ["error", "error"]


def test_cli_creates_a_pair_openssl_accepts_and_shows_it(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    result = runner.invoke(
        app, ["new", "GATEWAY", "--key", str(key), "--cert", str(cert), "--days", "30"]
    )
    assert result.exit_code == 0, result.output
    assert (key.stat().st_mode & 0o777) == 0o600
    assert b"CN=GATEWAY" in openssl("x509", "-in", str(cert), "-noout", "-subject").replace(
        b" ", b""
    )
    assert b"RSA key ok" in openssl("rsa", "-in", str(key), "-check", "-noout")
    shown = runner.invoke(app, ["show", str(cert)])
    assert shown.exit_code == 0 and "subject: CN=GATEWAY" in shown.output
    again = runner.invoke(app, ["new", "X", "--key", str(key), "--cert", str(cert)])
    assert again.exit_code == 1
    bad = runner.invoke(app, ["show", str(tmp_path / "missing.pem")])
    assert bad.exit_code == 1


def test_key_cache_picks_up_a_certificate_replaced_in_place_within_the_stat_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, world: World
) -> None:
    """The files' modification times are looked at again at most every STAT_INTERVAL
    seconds; a profile naming other files is read again at once."""
    first, second = make_keys(tmp_path, "first"), make_keys(tmp_path, "second")
    cert = tmp_path / "partner.crt"
    cert.write_bytes(first.cert.read_bytes())
    profile = make_profile("acme", {"as2_id": "ACME", "certificates": [{"file": str(cert)}]})
    clock = [1000.0]
    monkeypatch.setattr(certs.time, "monotonic", lambda: clock[0])
    cache = certs.KeyCache(world.identities)
    assert cache.partner(profile)[0].certificate == first.certificate

    cert.write_bytes(second.cert.read_bytes())
    os.utime(cert, (cert.stat().st_mtime + 5, cert.stat().st_mtime + 5))
    clock[0] += certs.STAT_INTERVAL / 2
    assert cache.partner(profile)[0].certificate == first.certificate  # not looked at yet
    clock[0] += certs.STAT_INTERVAL
    assert cache.partner(profile)[0].certificate == second.certificate

    other = make_profile("acme", {"as2_id": "ACME", "certificates": [{"file": str(first.cert)}]})
    assert cache.partner(other)[0].certificate == first.certificate  # other files: at once


def test_key_cache_works_out_the_files_a_profile_names_once_per_profile_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, world: World
) -> None:
    """Which files a profile or identity names is worked out on its first lookup only;
    two profiles of one partner naming the same relative file from different directories
    (a reload from another place) each get their own file, also past the memo's bound."""
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    first_dir.mkdir()
    second_dir.mkdir()
    first, second = make_keys(first_dir, "partner"), make_keys(second_dir, "partner")

    def loaded_from(directory: Path) -> PartnerProfile:
        as2 = {"as2_id": "ACME", "certificates": [{"file": "partner.crt"}]}
        profile = make_profile("acme", as2)
        profile._source = directory / "acme.yaml"  # as the loader sets it
        return profile

    resolved: list[Path] = []
    resolve = certs._resolve

    def counting(path: Path, base_dir: Path | None) -> Path:
        resolved.append(path)
        return resolve(path, base_dir)

    monkeypatch.setattr(certs, "_resolve", counting)
    cache = certs.KeyCache(world.identities)
    one, two = loaded_from(first_dir), loaded_from(second_dir)
    for _ in range(3):
        assert cache.partner(one)[0].certificate == first.certificate
        assert cache.partner(two)[0].certificate == second.certificate
    # once per profile for the memo, once per profile for loading its certificates
    assert len(resolved) == 4

    identity = world.identities.get()
    keys = cache.ours(identity)
    assert cache.ours(identity) is keys
    assert cache.ours(identity.model_copy()) == keys  # another object: worked out again

    many = [loaded_from(second_dir if i % 2 else first_dir) for i in range(300)]
    for i, profile in enumerate(many):
        assert cache.partner(profile)[0].certificate == (second if i % 2 else first).certificate
    assert cache.partner(one)[0].certificate == first.certificate
    assert cache.partner(two)[0].certificate == second.certificate


def test_key_cache_remembers_which_certificates_are_valid_only_while_no_window_moves(
    tmp_path: Path, world: World
) -> None:
    """KeyCache.valid_certificates and signing_key give what the plain functions give at
    every moment, at and around each window's start and end, in any order of moments."""
    now = datetime.now(UTC)
    future = make_keys(tmp_path, "acme-future", start=now + timedelta(days=2))
    profile = make_profile(
        "rolling",
        {
            "as2_id": "R",
            "certificates": [
                {"file": str(k.cert)}
                for k in (world.partner, world.partner_next, world.expired, future)
            ],
        },
    )
    cache = certs.KeyCache(world.identities)
    loaded = cache.partner(profile)
    keys = cache.ours(world.identities.get())
    edges = [
        moment
        for c in [p.certificate for p in loaded] + [k.pair.certificate for k in keys]
        for moment in (c.not_valid_before_utc, c.not_valid_after_utc)
    ]
    tick = timedelta(microseconds=1)
    moments = sorted({e + d for e in edges for d in (-tick, timedelta(0), tick)} | {now})
    # forwards, backwards and shuffled: a remembered answer must never outlive its span
    order = moments + moments[::-1] + moments[::3] + moments[1::2][::-1]
    seen = set()
    for moment in order:
        for use in ("signature", "encryption"):
            expected = certs.valid_certificates(loaded, use, moment)  # type: ignore[arg-type]
            assert cache.valid_certificates(loaded, use, moment) == expected, (use, moment)  # type: ignore[arg-type]
            seen.add(len(expected))
        assert cache.signing_key(world.identities.get(), moment) == certs.signing_key(
            keys, moment
        ), moment
    assert seen == {0, 1, 2, 3}  # the moments do cross windows

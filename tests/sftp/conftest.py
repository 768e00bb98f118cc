"""Fixtures for the SFTP tests: an in-memory intake, keys made by OpenSSH's ssh-keygen,
the hosted server on a free port, the OpenSSH ``sftp`` client, and a real ``sshd``
(Debian's openssh-server) standing in for a partner-hosted server.

Tests that need OpenSSH skip with a message when it is missing, and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway.intake import Receipt, ReceivedPayload
from gateway.partners.common import SecretRef
from gateway.partners.profile import PartnerProfile, X12Ids
from gateway.partners.sftp import HostedAccount, PollSettings, SftpSettings
from gateway.sftp.server import SftpServer
from tests.conftest import missing

SSHD_USER = "edipartner"


def require_tool(name: str, *candidates: str) -> str:
    """Path of an OpenSSH program, or skip (fail under CI) when it is not installed."""
    found = shutil.which(name) or next((c for c in candidates if Path(c).exists()), None)
    if found is None:
        missing(f"OpenSSH '{name}' not found (apt-get install openssh-client openssh-server)")
    return found


# ---- intake double -----------------------------------------------------------------
@dataclass
class Event:
    kind: str
    detail: str
    partner_id: str | None
    actor: str
    message_id: int | None
    data: Mapping[str, object] | None


@dataclass
class MemoryIntake:
    """Records what transports hand over; dedupes like the real intake (dedupe_key)."""

    payloads: list[ReceivedPayload] = field(default_factory=list)
    refused: list[ReceivedPayload] = field(default_factory=list)  # "refused" messages
    events: list[Event] = field(default_factory=list)
    fail_with: Exception | None = None
    fail_after_store: bool = False  # store, then raise (a crash after storing)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _keys: dict[tuple[str | None, str, str], int] = field(default_factory=dict)

    def store_raw(self, data: bytes) -> str:
        import hashlib

        return hashlib.sha256(data).hexdigest()

    def receive(self, payload: ReceivedPayload) -> Receipt:
        import hashlib

        with self.lock:
            if self.fail_with is not None and not self.fail_after_store:
                raise self.fail_with
            if payload.refused is not None:
                self.refused.append(payload)
                return Receipt(5000 + len(self.refused), "")
            self.payloads.append(payload)
            message_id = len(self.payloads)
            duplicate_of = None
            if payload.dedupe_key is not None:
                key = (payload.partner_id, payload.transport, payload.dedupe_key)
                duplicate_of = self._keys.get(key)
                self._keys.setdefault(key, message_id)
            if self.fail_with is not None:
                raise self.fail_with
            return Receipt(message_id, hashlib.sha256(payload.data).hexdigest(), duplicate_of)

    def record_event(
        self,
        kind: str,
        detail: str,
        *,
        partner_id: str | None = None,
        actor: str = "system",
        message_id: int | None = None,
        data: Mapping[str, object] | None = None,
    ) -> None:
        with self.lock:
            self.events.append(Event(kind, detail, partner_id, actor, message_id, data))

    def kinds(self, partner_id: str | None = None) -> list[str]:
        with self.lock:
            return [e.kind for e in self.events if partner_id is None or e.partner_id == partner_id]

    def of_kind(self, kind: str) -> list[Event]:
        with self.lock:
            return [e for e in self.events if e.kind == kind]

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Wait until ``count`` payloads arrived (takes happen on the server's threads)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.payloads) >= count:
                    return
            time.sleep(0.02)


@pytest.fixture
def intake() -> MemoryIntake:
    return MemoryIntake()


# ---- keys --------------------------------------------------------------------------
def make_key(path: Path, comment: str = "test") -> Path:
    """An Ed25519 key pair from OpenSSH's ssh-keygen; returns the private key path."""
    keygen = require_tool("ssh-keygen")
    subprocess.run(
        [keygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    for name in ("acme", "beta", "intruder", "poller"):
        make_key(directory / name, name)
    return directory


# ---- hosted server and the OpenSSH client -------------------------------------------
@dataclass
class Hosted:
    server: SftpServer
    root: Path
    intake: MemoryIntake
    known_hosts: Path
    keys: Path
    accounts: dict[str, tuple[str, HostedAccount]]

    def inbox(self, partner: str) -> Path:
        return self.root / partner / "inbox"

    def archive(self, partner: str) -> Path:
        return self.root / partner / "archive"

    def sftp(
        self, user: str, key: str, commands: list[str], *, cwd: Path, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run OpenSSH ``sftp -b`` with ``commands``; strict host key checking."""
        client = require_tool("sftp")
        batch = cwd / f"batch-{time.monotonic_ns()}"
        batch.write_text("\n".join(commands) + "\n")
        return subprocess.run(
            [
                client, "-F", "/dev/null", "-b", str(batch), "-i", str(self.keys / key),
                "-P", str(self.server.port),
                "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}",
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "PasswordAuthentication=no", "-o", "ConnectTimeout=10",
                f"{user}@127.0.0.1",
            ],
            cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip


@pytest.fixture
def hosted(tmp_path: Path, keys_dir: Path, intake: MemoryIntake) -> Iterator[Hosted]:
    """The hosted server with partners acme (user acme) and beta (user beta, 1000-byte limit)."""
    require_tool("sftp")
    root = tmp_path / "sftp"
    accounts = {
        "acme": ("acme", HostedAccount(username="acme",
                                       authorized_keys=[str(keys_dir / "acme.pub")])),
        "beta": ("beta", HostedAccount(username="beta",
                                       authorized_keys=[(keys_dir / "beta.pub").read_text()],
                                       max_file_bytes=1000)),
    }  # fmt: skip
    server = SftpServer(
        "127.0.0.1", 0, root, tmp_path / "host_ed25519", lambda: accounts, intake,
        sweep_interval=None,
    )  # fmt: skip
    server.start()
    key = server.host_key
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{server.port} {key.get_name()} {key.get_base64()}\n")
    try:
        yield Hosted(server, root, intake, known_hosts, keys_dir, accounts)
    finally:
        server.stop()


# ---- a real sshd as the partner-hosted server ----------------------------------------
@dataclass
class Sshd:
    port: int
    chroot: Path
    host_key_line: str  # "ssh-ed25519 AAAA..."
    host_fingerprint: str
    client_key: Path

    def profile(self, partner_id: str = "medsupply", **poll: object) -> PartnerProfile:
        settings: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.port,
            "username": SSHD_USER,
            "private_key": SecretRef(file=self.client_key),
            "host_key": f"[127.0.0.1]:{self.port} {self.host_key_line}",
            "inbound_path": "/outbound",
            "outbound_path": "/inbound",
            "timeout_seconds": 10.0,
            "retries": 0,
        }
        settings.update(poll)
        return PartnerProfile(
            id=partner_id,
            name=partner_id,
            x12=X12Ids(isa_qualifier="ZZ", isa_id=partner_id.upper()),
            sftp=SftpSettings(poll=PollSettings(**settings)),  # type: ignore[arg-type]
        )

    def put(self, name: str, data: bytes, folder: str = "outbound") -> Path:
        path = self.chroot / folder / name
        path.write_bytes(data)
        return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_user() -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam(SSHD_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             SSHD_USER],
            check=True, capture_output=True,
        )  # fmt: skip
        # "!" in shadow means locked to sshd without PAM; "*" means no password
        subprocess.run(["usermod", "-p", "*", SSHD_USER], check=True, capture_output=True)
        entry = pwd.getpwnam(SSHD_USER)
    return entry.pw_uid, entry.pw_gid


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory, keys_dir: Path) -> Iterator[Sshd]:
    """OpenSSH sshd with internal-sftp, the test user chrooted to a fresh directory."""
    binary = require_tool("sshd", "/usr/sbin/sshd")
    keygen = require_tool("ssh-keygen")
    if os.geteuid() != 0:
        missing("sshd fixture needs root (chroot, useradd)")
    uid, gid = _ensure_user()
    work = tmp_path_factory.mktemp("sshd")
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(work / "host_key")],
                   check=True, capture_output=True)  # fmt: skip
    # ChrootDirectory and every folder above it must be root-owned and not writable by
    # others, which rules out /tmp (mode 1777): use a folder under /var/lib
    base = Path("/var/lib/edigw-test-sshd")
    base.mkdir(mode=0o755, exist_ok=True)
    chroot = Path(tempfile.mkdtemp(prefix="chroot-", dir=base))
    chroot.chmod(0o755)
    # sshd reads authorized_keys as the user, who cannot enter pytest's tmp (0700)
    authorized_keys = chroot.with_name(chroot.name + ".authorized_keys")
    authorized_keys.write_text((keys_dir / "poller.pub").read_text())
    authorized_keys.chmod(0o644)
    for folder in ("outbound", "inbound", "archive"):
        (chroot / folder).mkdir()
        os.chown(chroot / folder, uid, gid)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port = free_port()
    config = work / "sshd_config"
    config.write_text(
        f"""ListenAddress 127.0.0.1
HostKey {work / "host_key"}
PidFile {work / "sshd.pid"}
AuthorizedKeysFile {authorized_keys}
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowUsers {SSHD_USER}
Subsystem sftp internal-sftp
LogLevel VERBOSE
Match User {SSHD_USER}
    ChrootDirectory {chroot}
    ForceCommand internal-sftp
    AllowTcpForwarding no
    X11Forwarding no
"""
    )
    log = (work / "sshd.log").open("w")
    process = subprocess.Popen(
        [binary, "-D", "-e", "-f", str(config), "-p", str(port)], stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                pytest.fail(f"sshd exited: {(work / 'sshd.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    if probe.recv(64).startswith(b"SSH-"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"sshd did not start: {(work / 'sshd.log').read_text()}")
                time.sleep(0.1)
        public = (work / "host_key.pub").read_text().split()
        fingerprint = subprocess.run(
            [keygen, "-l", "-E", "sha256", "-f", str(work / "host_key.pub")],
            check=True, capture_output=True, text=True,
        ).stdout.split()[1]  # fmt: skip
        yield Sshd(port, chroot, f"{public[0]} {public[1]}", fingerprint, keys_dir / "poller")
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        shutil.rmtree(chroot, ignore_errors=True)
        authorized_keys.unlink(missing_ok=True)


@pytest.fixture
def clean_sshd(sshd: Sshd) -> Sshd:
    """The sshd with its folders emptied before the test."""
    for folder in ("outbound", "inbound", "archive"):
        for path in (sshd.chroot / folder).iterdir():
            path.unlink()
    return sshd


# ---- a gateway runtime (store, profiles) for the server built by the gateway ----------
@pytest.fixture
def make_runtime_for_sftp(tmp_path: Path) -> Iterator[Any]:
    """Build runtimes on a temp data dir (SQLite, inline dispatcher, no shipped partners)."""
    from gateway.pipeline.build import build_runtime
    from gateway.settings import Settings

    made: list[Any] = []

    def make(**overrides: Any) -> Any:
        settings = Settings(data_dir=tmp_path / "var", shipped_profiles=False, **overrides)
        runtime = build_runtime(settings, dispatcher=_NoPipeline())
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.engine.dispose()


class _NoPipeline:
    """Stages queued after intake are not run: these tests look at what was received."""

    def dispatch(self, items: list[Any]) -> None:
        return None

"""The hosted SFTP server: partners log in with their keys and exchange files.

One listening socket, one thread per connection (paramiko's ``Transport`` adds its own
threads), and a sweeper thread that retries inbox files the intake could not take. The
server only allows the ``sftp`` subsystem on session channels: no shell, exec, or port
forwarding. Accounts are read through a callable on every login, so a profile reload
takes effect for the next login without a restart.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)

from gateway.intake import Intake
from gateway.partners.sftp import HostedAccount
from gateway.sftp.events import record
from gateway.sftp.jail import ensure_partner_dirs, partner_dir
from gateway.sftp.keys import (
    AuthorizedKeys,
    key_fingerprint,
    load_authorized_keys,
    load_or_create_host_key,
)
from gateway.sftp.limits import LoginThrottle, SftpLimits, Slots
from gateway.sftp.session import GatewaySftpServer, JailedSftp, OpenWrites, SessionContext
from gateway.sftp.taking import TakeResult, take_pending

log = logging.getLogger("gateway.sftp.server")

Accounts = Callable[[], Mapping[str, tuple[str, HostedAccount]]]
MAX_AUTH_FAILURES = 10  # per connection, like OpenSSH's MaxAuthTries
MAX_CHANNELS = 8  # session channels opened per connection
ACCOUNTS_TTL = 1.0  # seconds an answer of the accounts callable is reused


class _PartnerAuth(paramiko.ServerInterface):
    """Authentication and channel policy for one connection."""

    def __init__(self, owner: SftpServer, transport: paramiko.Transport, peer: str) -> None:
        self.owner = owner
        self.transport = transport
        self.peer = peer
        self.address = peer.rsplit(":", 1)[0]
        self.failures = 0
        self.channels = 0
        self.method = ""
        self.context: SessionContext | None = None

    # ---- authentication ------------------------------------------------------
    def get_allowed_auths(self, username: str) -> str:
        # the same answer for every name: it must not tell which users exist or which
        # have password login (a password for a key-only user simply fails)
        return "publickey,password"

    def check_auth_none(self, username: str) -> int:
        return AUTH_FAILED

    def _refuse(self, username: str, partner_id: str | None, reason: str) -> int:
        self.failures += 1
        record(
            self.owner.intake,
            "sftp.login_refused",
            f"login as {username!r} from {self.peer} refused: {reason}",
            partner_id=partner_id,
            actor=f"sftp:{self.peer}",
            data={"username": username, "peer": self.peer, "reason": reason},
        )
        return AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if self.failures >= MAX_AUTH_FAILURES:
            return AUTH_FAILED
        entry = self.owner.lookup(username)
        if entry is None:
            return self._refuse(username, None, "unknown user")
        partner_id, account = entry
        if self.owner.authorized_keys(partner_id, account).allows(key):
            # paramiko verifies the signature after this check; the session is only
            # built once the transport says the user is authenticated
            self.method = f"publickey {key_fingerprint(key)}"
            return AUTH_SUCCESSFUL
        return self._refuse(username, partner_id, f"key {key_fingerprint(key)} not authorized")

    def check_auth_password(self, username: str, password: str) -> int:
        if self.failures >= MAX_AUTH_FAILURES:
            return AUTH_FAILED
        throttle = self.owner.throttle
        entry = self.owner.lookup(username)
        partner_id = entry[0] if entry else None
        locked = throttle.locked(username, self.address)
        if locked is not None:
            # not even checked: during a lockout the right password fails too
            return self._refuse(username, partner_id, f"locked out ({locked})")
        outcome = self._check_password(username, password, entry)
        if outcome == AUTH_SUCCESSFUL:
            throttle.succeeded(username, self.address)
            return outcome
        delay, newly_locked = throttle.failed(username, self.address)
        for key in newly_locked:
            record(
                self.owner.intake,
                "sftp.lockout",
                f"{key} locked out for {self.owner.limits.lockout_seconds:.0f}s after "
                f"{self.owner.limits.lockout_failures} failed passwords (last from {self.peer})",
                partner_id=partner_id,
                actor=f"sftp:{self.peer}",
                data={"key": key, "username": username, "peer": self.peer},
            )
        self.owner.stop_event.wait(delay)  # back-off: this connection answers later
        return outcome

    def _check_password(
        self, username: str, password: str, entry: tuple[str, HostedAccount] | None
    ) -> int:
        if entry is None:
            return self._refuse(username, None, "unknown user")
        partner_id, account = entry
        if account.password is None:
            return self._refuse(username, partner_id, "password login is off")
        try:
            expected = account.password.resolve().rstrip(b"\r\n")
        except LookupError as exc:
            return self._refuse(username, partner_id, f"password not available: {exc}")
        if hmac.compare_digest(expected, password.encode()):
            self.method = "password"
            return AUTH_SUCCESSFUL
        return self._refuse(username, partner_id, "wrong password")

    # ---- channels ---------------------------------------------------------------
    def check_channel_request(self, kind: str, chanid: int) -> int:
        # each session channel runs an SFTP server thread: a few per connection suffice
        if kind == "session" and self.channels < MAX_CHANNELS:
            self.channels += 1
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_subsystem_request(self, channel: paramiko.Channel, name: str) -> bool:
        if name != "sftp" or not self.transport.is_authenticated():
            return False
        username = self.transport.get_username()
        entry = self.owner.lookup(username) if username else None
        if entry is None or username is None:
            return False  # account removed since login
        partner_id, account = entry
        try:
            base = ensure_partner_dirs(self.owner.root, partner_id)
        except (OSError, ValueError):
            log.exception("cannot prepare the SFTP folders of %s", partner_id)
            return False
        self.context = SessionContext(
            partner_id, username, account, base, self.owner.intake, self.owner.open_writes
        )
        record(
            self.owner.intake,
            "sftp.login",
            f"{username} logged in from {self.peer} ({self.method})",
            partner_id=partner_id,
            actor=f"partner:{partner_id}",
            data={"username": username, "peer": self.peer, "method": self.method},
        )
        return bool(super().check_channel_subsystem_request(channel, name))


class SftpServer:
    """The hosted SFTP server for partners.

    ``accounts`` maps SSH user names to ``(partner_id, HostedAccount)``; it is called on
    every login (see :func:`gateway.sftp.accounts.hosted_accounts` to build it from
    profiles, which also resolves relative key paths).
    """

    def __init__(
        self,
        host: str,
        port: int,
        root: Path,
        host_key_path: Path,
        accounts: Accounts,
        intake: Intake,
        *,
        limits: SftpLimits | None = None,
        sweep_interval: float | None = 60.0,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.root = Path(root)
        self.host_key_path = Path(host_key_path)
        self.accounts = accounts
        self.intake = intake
        self.limits = limits or SftpLimits()
        self.slots = Slots(self.limits)
        self.throttle = LoginThrottle(self.limits)
        self.sweep_interval = sweep_interval
        self.open_writes = OpenWrites()
        self._socket: socket.socket | None = None
        self._host_key: paramiko.PKey | None = None
        self._stop = threading.Event()
        self.stop_event = self._stop
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._transports: set[paramiko.Transport] = set()
        self._warned: set[str] = set()
        self._accounts_cache: tuple[float, Mapping[str, tuple[str, HostedAccount]]] | None = None

    # ---- lifecycle --------------------------------------------------------------
    @property
    def port(self) -> int:
        """The port listened on (the real one when 0 was asked for)."""
        if self._socket is None:
            return self._requested_port
        return int(self._socket.getsockname()[1])

    @property
    def host_key(self) -> paramiko.PKey:
        """The server's host key (loaded or created on first use)."""
        if self._host_key is None:
            self._host_key = load_or_create_host_key(self.host_key_path)
        return self._host_key

    def start(self) -> None:
        """Load the host key, take leftovers, listen; returns once accepting."""
        if self._socket is not None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        _ = self.host_key
        self.sweep(quarantine=True)  # nothing is being written: unfinished files are known
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        sock.listen(64)
        sock.settimeout(0.5)
        self._socket = sock
        self._stop.clear()
        self._spawn(self._accept_loop, "sftp-accept")
        if self.sweep_interval:
            self._spawn(self._sweep_loop, "sftp-sweep")
        log.info("SFTP server listening on %s:%s", self.host, self.port)

    def serve_forever(self) -> None:
        """Start (if needed) and block until :meth:`stop` is called from elsewhere."""
        self.start()
        try:
            while not self._stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            self.stop()

    def stop(self) -> None:
        """Stop accepting, close every connection, wait for the threads."""
        self._stop.set()
        if self._socket is not None:
            self._socket.close()
        with self._lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self._socket = None

    def __enter__(self) -> SftpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- accounts ---------------------------------------------------------------
    def lookup(self, username: str) -> tuple[str, HostedAccount] | None:
        """The partner and account of a user name, from the current profiles."""
        return self.lookup_all().get(username)

    def authorized_keys(self, partner_id: str, account: HostedAccount) -> AuthorizedKeys:
        """The account's usable keys; unusable entries are reported once each."""
        keys = load_authorized_keys(account.authorized_keys)
        for warning in keys.warnings:
            marker = f"{partner_id}\x00{warning}"
            with self._lock:
                if marker in self._warned:
                    continue
                self._warned.add(marker)
            record(
                self.intake,
                "sftp.account_warning",
                f"account {account.username}: {warning}",
                partner_id=partner_id,
                data={"username": account.username, "warning": warning},
            )
        return keys

    def sweep(self, *, quarantine: bool = False) -> list[TakeResult]:
        """Take files left in any partner's inbox (intake errors, crash, restart).

        ``quarantine`` (at start-up) first moves files whose upload never closed to
        ``quarantine/``: after a crash they may be cut short.
        """
        results: list[TakeResult] = []
        for username, (partner_id, account) in dict(self.lookup_all()).items():
            base = partner_dir(self.root, partner_id)
            if not (base / "inbox").is_dir():
                continue
            try:
                results.extend(
                    take_pending(
                        base,
                        partner_id,
                        username=username,
                        temp_suffix=account.temp_suffix,
                        intake=self.intake,
                        max_bytes=account.max_file_bytes,
                        busy=self.open_writes.snapshot(),
                        quarantine=quarantine,
                    )
                )
            except OSError:
                log.exception("sweep of %s failed", partner_id)
        return results

    def lookup_all(self) -> Mapping[str, tuple[str, HostedAccount]]:
        """All accounts (empty when they cannot be read).

        One login asks several times (allowed methods, key query, signature, subsystem);
        the answer is kept for ``ACCOUNTS_TTL`` seconds so that is one profile read,
        while a reload still applies within that time.
        """
        now = time.monotonic()
        with self._lock:
            cached = self._accounts_cache
        if cached is not None and now - cached[0] < ACCOUNTS_TTL:
            return cached[1]
        try:
            accounts = self.accounts()
        except Exception:
            log.exception("cannot read SFTP accounts")
            return {}
        with self._lock:
            self._accounts_cache = (now, accounts)
        return accounts

    # ---- threads ----------------------------------------------------------------
    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _sweep_loop(self) -> None:
        interval = self.sweep_interval
        if not interval:
            return  # no sweeping (start() does not run this loop then)
        while not self._stop.wait(interval):
            try:
                self.sweep()
            except Exception:
                log.exception("SFTP inbox sweep failed")

    def _accept_loop(self) -> None:
        sock = self._socket
        if sock is None:
            return  # stopped before this thread began
        while not self._stop.is_set():
            try:
                conn, address = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                log.exception("accept failed")
                continue
            address_text = str(address[0])
            refusal = self.slots.enter_preauth(address_text)
            if refusal is not None:
                # counted before any byte is read: idle strangers cannot exhaust the
                # partners' slots, which are a separate pool (sessions)
                log.warning("SFTP connection from %s refused: %s", address_text, refusal)
                conn.close()
                continue
            threading.Thread(
                target=self._serve_connection,
                args=(conn, address_text, f"{address[0]}:{address[1]}"),
                name=f"sftp-{address[0]}:{address[1]}",
                daemon=True,
            ).start()

    def _serve_connection(self, conn: socket.socket, address: str, peer: str) -> None:
        state = {"preauth": True, "session": False}
        try:
            self._serve_transport(conn, address, peer, state)
        except Exception:
            log.exception("SFTP connection from %s failed", peer)
        finally:
            conn.close()
            if state["preauth"]:
                self.slots.leave_preauth(address)
            if state["session"]:
                self.slots.leave_session()

    def _serve_transport(
        self, conn: socket.socket, address: str, peer: str, state: dict[str, bool]
    ) -> None:
        conn.settimeout(None)
        # SFTP is request/response: without NODELAY, Nagle and delayed ACKs add ~40 ms
        # to exchanges of small packets (measured: 100 KB uploads ran at a third of the
        # speed of OpenSSH's sshd)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        deadline = time.monotonic() + self.limits.auth_timeout
        transport = paramiko.Transport(conn)
        # under our logger, so port probes (banner errors) can be quieted by config
        transport.set_log_channel("gateway.sftp.ssh")
        transport.banner_timeout = self.limits.auth_timeout
        transport.handshake_timeout = self.limits.auth_timeout
        transport.auth_timeout = self.limits.auth_timeout
        with self._lock:
            self._transports.add(transport)
        try:
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler("sftp", GatewaySftpServer, JailedSftp)
            auth = _PartnerAuth(self, transport, peer)
            try:
                transport.start_server(server=auth)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                log.info("SSH negotiation with %s failed: %s", peer, exc)
                return
            # the whole login (banner, key exchange, authentication) within the timeout
            while not transport.is_authenticated():
                if not transport.is_active() or self._stop.is_set():
                    return
                if time.monotonic() > deadline:
                    log.info("SFTP connection from %s: no login within %.0fs",
                             peer, self.limits.auth_timeout)  # fmt: skip
                    return
                time.sleep(0.05)
            self.slots.leave_preauth(address)
            state["preauth"] = False
            if not self.slots.enter_session():
                record(
                    self.intake,
                    "sftp.sessions_full",
                    f"login of {transport.get_username()!r} from {peer} refused: "
                    f"{self.limits.max_sessions} sessions open",
                    actor=f"sftp:{peer}",
                    data={"peer": peer},
                )
                return
            state["session"] = True
            channel = transport.accept(timeout=self.limits.auth_timeout)
            if channel is None:
                return  # no session channel in time
            while transport.is_active() and not self._stop.is_set():
                transport.join(timeout=1.0)
        finally:
            transport.close()
            with self._lock:
                self._transports.discard(transport)

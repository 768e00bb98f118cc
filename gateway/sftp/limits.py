"""Limits of the hosted SFTP server against hostile clients, and the login throttle.

:class:`SftpLimits` holds the numbers (from ``EDIGW_SFTP_*`` settings). Connections are
counted in two pools: *pre-authentication* (per source address and in total) and
*sessions* (authenticated), so strangers holding sockets open cannot take the slots of
partners. :class:`LoginThrottle` slows and then locks out password guessing per user
and per source address, across connections.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SftpLimits:
    """What one hosted SFTP server allows (defaults are the settings' defaults)."""

    auth_timeout: float = 10.0  # seconds from TCP accept to a successful login
    max_preauth: int = 32  # unauthenticated connections, in total
    max_preauth_per_address: int = 4  # unauthenticated connections per source address
    max_sessions: int = 64  # authenticated connections
    lockout_failures: int = 5  # failed passwords (per user, per address) before lockout
    lockout_seconds: float = 900.0
    backoff_base: float = 0.5  # delay after the first failure; doubles with each one
    backoff_max: float = 8.0


class Slots:
    """Thread-safe counters of the two connection pools."""

    def __init__(self, limits: SftpLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self.preauth = 0
        self.preauth_by_address: dict[str, int] = {}
        self.sessions = 0

    def enter_preauth(self, address: str) -> str | None:
        """Count a new connection; why it is refused (None when it is taken)."""
        with self._lock:
            if self.preauth >= self.limits.max_preauth:
                return f"{self.preauth} unauthenticated connections open"
            mine = self.preauth_by_address.get(address, 0)
            if mine >= self.limits.max_preauth_per_address:
                return f"{mine} unauthenticated connections open from {address}"
            self.preauth += 1
            self.preauth_by_address[address] = mine + 1
            return None

    def leave_preauth(self, address: str) -> None:
        """A connection authenticated or went away."""
        with self._lock:
            self.preauth -= 1
            left = self.preauth_by_address.get(address, 1) - 1
            if left > 0:
                self.preauth_by_address[address] = left
            else:
                self.preauth_by_address.pop(address, None)

    def enter_session(self) -> bool:
        """Take a session slot (False when all are in use)."""
        with self._lock:
            if self.sessions >= self.limits.max_sessions:
                return False
            self.sessions += 1
            return True

    def leave_session(self) -> None:
        """A session ended."""
        with self._lock:
            self.sessions -= 1


@dataclass(slots=True)
class _Failures:
    count: int = 0
    locked_until: float = 0.0


@dataclass
class LoginThrottle:
    """Failed-password counts per user and per address: back-off, then a lockout.

    Each failure doubles the delay before the server answers the next attempt; at
    ``lockout_failures`` the user (or address) is locked for ``lockout_seconds``, during
    which even the right password is refused. A success clears both counts.
    """

    limits: SftpLimits
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _failures: dict[str, _Failures] = field(default_factory=dict)

    def locked(self, user: str, address: str) -> str | None:
        """Which of user/address is locked out now (None when neither)."""
        now = self.clock()
        with self._lock:
            for key in (f"user:{user}", f"address:{address}"):
                entry = self._failures.get(key)
                if entry is not None and entry.locked_until > now:
                    return key
        return None

    def failed(self, user: str, address: str) -> tuple[float, list[str]]:
        """Record a failure: the delay to apply, and the keys locked out just now."""
        now = self.clock()
        newly_locked: list[str] = []
        delay = 0.0
        with self._lock:
            if len(self._failures) > 100_000:  # a spray of names must not grow this forever
                self._failures = {k: v for k, v in self._failures.items() if v.locked_until > now}
            for key in (f"user:{user}", f"address:{address}"):
                entry = self._failures.setdefault(key, _Failures())
                if entry.locked_until and entry.locked_until <= now:
                    entry.count, entry.locked_until = 0, 0.0  # lockout over: start again
                entry.count += 1
                delay = max(
                    delay,
                    min(self.limits.backoff_max, self.limits.backoff_base * 2 ** (entry.count - 1)),
                )
                if entry.count >= self.limits.lockout_failures and entry.locked_until <= now:
                    entry.locked_until = now + self.limits.lockout_seconds
                    newly_locked.append(key)
        return delay, newly_locked

    def succeeded(self, user: str, address: str) -> None:
        """A successful login clears the counts of the user and the address."""
        with self._lock:
            self._failures.pop(f"user:{user}", None)
            self._failures.pop(f"address:{address}", None)

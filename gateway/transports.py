"""Wiring the transports (AS2, SFTP) to the pipeline's runtime.

The transport packages know nothing about the store or the queue: they get an
:class:`~gateway.intake.Intake` and lookups. This module builds those from a runtime:
the AS2 receiver for ``POST /as2``, the hosted SFTP server, the outbound senders the
``send_ack`` stage uses, and the SFTP poll run by the scheduler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from gateway.as2.certs import KeyCache
from gateway.as2.client import As2Sender
from gateway.as2.limits import MemoryBudget
from gateway.as2.receiver import As2Receiver
from gateway.identity import OurIdentity
from gateway.intake import OutboundSender, PermanentSendError
from gateway.partners.profile import PartnerProfile
from gateway.pipeline import as2_mdns
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.sftp import (
    HostedOutbox,
    PollResult,
    RemoteSftpSender,
    SftpServer,
    hosted_accounts,
    poll_partner,
)
from gateway.sftp.limits import SftpLimits

log = logging.getLogger(__name__)


class _LazySender:
    """Builds a sender on first use, so loading keys never blocks start-up."""

    def __init__(self, build: Callable[[], OutboundSender]) -> None:
        self._build = build
        self._sender: OutboundSender | None = None
        self._lock = threading.Lock()

    def get(self) -> OutboundSender:
        """The sender, built now if it was not yet."""
        with self._lock:
            if self._sender is None:
                try:
                    self._sender = self._build()
                except (OSError, ValueError, LookupError) as exc:
                    raise PermanentSendError(f"transport not usable: {exc}") from exc
            return self._sender

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        return self.get().send(partner_id, filename, data, kind=kind)


def as2_partner(runtime: Runtime, partner_id: str) -> tuple[PartnerProfile, OurIdentity]:
    """A partner profile with AS2 and the identity of ours it trades with."""
    profile = runtime.registry.get(partner_id)
    if profile is None:
        raise KeyError(partner_id)
    name = (profile.as2.our_identity if profile.as2 else None) or profile.our_identity
    return profile, runtime.identities.get(name)


def find_as2_partner(
    runtime: Runtime, as2_from: str, as2_to: str
) -> tuple[PartnerProfile, OurIdentity] | None:
    """The partner for an incoming AS2 message, if AS2-To is one of our identities."""
    profile = runtime.registry.find_as2(as2_from)
    if profile is None or profile.as2 is None:
        return None
    for identity in runtime.identities.identities:
        if identity.as2_id.lower() == as2_to.lower():
            wanted = profile.as2.our_identity or profile.our_identity
            if wanted is None or wanted == identity.name:
                return profile, identity
    return None


def _as2_sender(runtime: Runtime) -> As2Sender | None:
    """The runtime's AS2 sender, built now if needed (None when AS2 sending is not set up)."""

    lazy = runtime.senders.get("as2")
    sender = lazy.get() if isinstance(lazy, _LazySender) else lazy
    return sender if isinstance(sender, As2Sender) else None


def make_as2_receiver(runtime: Runtime) -> As2Receiver:
    """The AS2 receiver for ``POST /as2``, on this runtime's store and profiles."""

    return As2Receiver(
        intake=StoreIntake(runtime),
        find_partner=lambda f, t: find_as2_partner(runtime, f, t),
        identities=runtime.identities,
        max_body_bytes=runtime.settings.max_payload_bytes,
        schedule_async_mdn=lambda job: as2_mdns.queue_async_mdn(runtime, job),
        on_mdn_received=lambda received: as2_mdns.settle_async_mdn(
            runtime, received, _as2_sender(runtime)
        ),
        memory=MemoryBudget(runtime.settings.as2_memory_budget_bytes),
    )


def attach_senders(runtime: Runtime) -> None:
    """Give the runtime its outbound senders: AS2, hosted SFTP outbox, remote SFTP."""

    def as2() -> OutboundSender:

        return As2Sender(
            get_partner=lambda pid: as2_partner(runtime, pid),
            keys=KeyCache(runtime.identities),
            record_attempt=lambda attempt: as2_mdns.record_send_attempt(runtime, attempt),
            on_pending_mdn=lambda pending: as2_mdns.store_pending_mdn(runtime, pending),
        )

    def hosted() -> OutboundSender:

        return HostedOutbox(runtime.settings.sftp_root, intake=StoreIntake(runtime))

    def remote() -> OutboundSender:

        return RemoteSftpSender(runtime.registry.get, StoreIntake(runtime))

    runtime.senders.update(
        {"as2": _LazySender(as2), "sftp": _LazySender(hosted), "sftp-poll": _LazySender(remote)}
    )


def make_sftp_server(runtime: Runtime, *, host: str, port: int) -> SftpServer:
    """The hosted SFTP server on this runtime's store, accounts from the profiles."""

    settings = runtime.settings
    intake = StoreIntake(runtime)
    return SftpServer(
        host,
        port,
        settings.sftp_root,
        settings.data_dir / "sftp_host_key",
        accounts=lambda: hosted_accounts(
            runtime.registry.all(),
            on_warning=lambda pid, msg: intake.record_event("sftp_config", msg, partner_id=pid),
        ),
        intake=intake,
        limits=SftpLimits(
            auth_timeout=settings.sftp_auth_timeout_seconds,
            max_preauth=settings.sftp_max_preauth,
            max_preauth_per_address=settings.sftp_max_preauth_per_address,
            max_sessions=settings.sftp_max_sessions,
            lockout_failures=settings.sftp_lockout_failures,
            lockout_seconds=settings.sftp_lockout_seconds,
        ),
    )


def poll_partner_now(runtime: Runtime, partner_id: str) -> PollResult | None:
    """Poll one partner's SFTP server (run by the scheduler's beat entries)."""

    profile = runtime.registry.get(partner_id)
    if profile is None:
        log.warning("poll for unknown partner %s skipped", partner_id)
        return None
    return poll_partner(profile, StoreIntake(runtime))

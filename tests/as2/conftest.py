"""Fixtures for the AS2 tests: our keys, partner keys, profiles, a live endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from gateway.as2.certs import KeyCache
from gateway.as2.http import make_router
from gateway.as2.listener import As2App
from gateway.as2.receiver import As2Receiver, AsyncMdnJob, ReceivedMdn
from gateway.identity import Identities, OurIdentity
from gateway.partners.profile import PartnerProfile

from .as2_helpers import KeyFiles, MemoryIntake, ServerThread, make_keys

GLOBAL_CAP = 8 * 1024 * 1024


@dataclass
class World:
    """Keys and profiles shared by the AS2 tests."""

    dir: Path
    ours: KeyFiles
    ours_old: KeyFiles
    partner: KeyFiles
    partner_next: KeyFiles
    expired: KeyFiles
    stranger: KeyFiles
    identities: Identities
    profiles: dict[str, PartnerProfile]

    def profile(self, pid: str) -> PartnerProfile:
        return self.profiles[pid]

    def find_partner(self, as2_from: str, as2_to: str) -> tuple[PartnerProfile, OurIdentity] | None:
        ident = self.identities.get()
        if as2_to != ident.as2_id:
            return None
        for profile in self.profiles.values():
            if profile.as2 and profile.as2.as2_id == as2_from:
                return profile, ident
        return None

    def get_partner(self, pid: str) -> tuple[PartnerProfile, OurIdentity]:
        return self.profiles[pid], self.identities.get()


def make_profile(pid: str, as2: dict[str, object]) -> PartnerProfile:
    return PartnerProfile.model_validate(
        {"id": pid, "name": pid.upper(), "x12": {"isa_qualifier": "ZZ", "isa_id": pid.upper()},
         "as2": as2}
    )  # fmt: skip


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    d = tmp_path_factory.mktemp("as2keys")
    now = datetime.now(UTC)
    ours = make_keys(d, "gateway")
    ours_old = make_keys(d, "gateway-old", start=now - timedelta(days=300), days=330)
    partner = make_keys(d, "acme")
    partner_next = make_keys(d, "acme-next", start=now - timedelta(hours=1))
    expired = make_keys(d, "acme-expired", start=now - timedelta(days=400), days=30)
    stranger = make_keys(d, "stranger")
    identities = Identities.model_validate(
        {
            "default": "main",
            "identities": [
                {"name": "main", "x12_id": "GATEWAY", "edifact_id": "GATEWAY", "as2_id": "GATEWAY",
                 "as2_keys": [
                     {"certificate": str(ours_old.cert),
                      "private_key": {"file": str(ours_old.key)}},
                     {"certificate": str(ours.cert), "private_key": {"file": str(ours.key)}},
                 ]},
            ],
        }
    )  # fmt: skip
    profiles = {
        "acme": make_profile("acme", {
            "as2_id": "ACME", "url": "http://127.0.0.1:1/as2",
            "certificates": [{"file": str(partner.cert)}, {"file": str(partner_next.cert)}],
        }),
        "lenient": make_profile("lenient", {
            "as2_id": "LENIENT", "require_signature": False, "require_encryption": False,
            "max_decompressed_bytes": 32 * 1024 * 1024,
            "certificates": [{"file": str(partner.cert)}],
        }),
        "expiredco": make_profile("expiredco", {
            "as2_id": "EXPIREDCO", "certificates": [{"file": str(expired.cert)}],
        }),
        "small": make_profile("small", {
            "as2_id": "SMALL", "require_signature": False, "require_encryption": False,
            "max_body_bytes": 4096, "certificates": [{"file": str(partner.cert)}],
        }),
    }  # fmt: skip
    return World(d, ours, ours_old, partner, partner_next, expired, stranger, identities, profiles)


@dataclass
class Endpoint:
    """A live ``POST /as2`` with an in-memory intake."""

    url: str
    receiver: As2Receiver
    intake: MemoryIntake
    async_jobs: list[AsyncMdnJob]
    mdns: list[ReceivedMdn]


class _Holder:
    receiver: As2Receiver | None = None


@pytest.fixture(scope="session", params=["console", "listener"])
def _server(request: pytest.FixtureRequest) -> Iterator[tuple[ServerThread, _Holder]]:
    """``POST /as2`` as the console's app serves it (the receiver on a thread pool) and as
    the AS2 listener's processes do (``edi-gateway as2``: inline, one at a time)."""
    holder = _Holder()

    def get_receiver() -> As2Receiver:
        assert holder.receiver is not None
        return holder.receiver

    app: Any
    if request.param == "console":
        app = FastAPI()
        app.include_router(make_router(get_receiver, GLOBAL_CAP))
    else:
        app = As2App(get_receiver, GLOBAL_CAP)
    with ServerThread(app) as server:
        yield server, holder


@pytest.fixture
def endpoint(world: World, _server: tuple[ServerThread, _Holder]) -> Endpoint:
    server, holder = _server
    intake = MemoryIntake()
    jobs: list[AsyncMdnJob] = []
    mdns: list[ReceivedMdn] = []
    holder.receiver = As2Receiver(
        intake=intake,
        find_partner=world.find_partner,
        identities=KeyCache(world.identities),
        max_body_bytes=GLOBAL_CAP,
        schedule_async_mdn=jobs.append,
        on_mdn_received=mdns.append,
    )
    return Endpoint(server.url + "/as2", holder.receiver, intake, jobs, mdns)

"""Acknowledgements going back over AS2, with the partner's MDN checked.

The partner's side is an AS2 server of its own (the gateway's receiver code configured
with the partner's keys, on real HTTP); our side is the console app with ``/as2`` on
real HTTP. The 997 we send must arrive, and the partner's asynchronous MDN, posted to
our ``/as2``, must be matched to what we sent and settle it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI
from sqlalchemy import select

from gateway.as2.async_mdn import post_async_mdn
from gateway.as2.certs import create_key_pair
from gateway.as2.http import make_router
from gateway.as2.receiver import As2Receiver, AsyncMdnJob
from gateway.demo import serve_http
from gateway.identity import As2KeyPair, Identities, OurIdentity
from gateway.intake import Receipt, ReceivedPayload
from gateway.partners.as2 import As2Certificate, As2Settings
from gateway.partners.common import SecretRef
from gateway.partners.profile import PartnerProfile, X12Ids
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.store.models import Acknowledgement, Event, PendingMdn
from gateway.transports import attach_senders
from tests.conftest import REPO
from tests.pipeline.conftest import fixture_bytes


class PartnerInbox:
    """What the partner's AS2 server received."""

    def __init__(self) -> None:
        self.payloads: list[bytes] = []

    def store_raw(self, data: bytes) -> str:
        return ""

    def receive(self, payload: ReceivedPayload) -> Receipt:
        self.payloads.append(payload.data)
        return Receipt(message_id=len(self.payloads), sha256="")

    def record_event(self, *args: Any, **kwargs: Any) -> None:
        return None


def partner_server(keys: Path, inbox: PartnerInbox, jobs: list[AsyncMdnJob]) -> FastAPI:
    summit = OurIdentity(
        name="summit",
        x12_id="SUMMITMED",
        edifact_id="SUMMITMED",
        as2_id="SUMMITMED",
        as2_keys=[
            As2KeyPair(
                certificate=keys / "summit.crt", private_key=SecretRef(file=keys / "summit.key")
            )
        ],
    )
    us = PartnerProfile(
        id="meridian",
        name="Meridian",
        x12=X12Ids(isa_qualifier="ZZ", isa_id="MERIDIANHEALTH"),
        as2=As2Settings(
            as2_id="MERIDIAN-AS2",
            certificates=[As2Certificate(file=keys / "us.crt")],
            async_mdn_hosts=["127.0.0.1"],  # where Meridian's async MDN URL points
        ),
    )
    receiver = As2Receiver(
        intake=inbox,
        identities=Identities(default="summit", identities=[summit]),
        max_body_bytes=10_000_000,
        schedule_async_mdn=jobs.append,
        find_partner=lambda f, t: (us, summit) if (f, t) == ("MERIDIAN-AS2", "SUMMITMED") else None,
    )
    app = FastAPI()
    app.include_router(make_router(lambda: receiver, 10_000_000))
    return app


def test_997_goes_back_over_as2_and_the_async_mdn_settles_it(
    tmp_path: Path, make_runtime: Callable[..., Runtime]
) -> None:
    from gateway.api.app import create_app

    keys = tmp_path / "keys"
    keys.mkdir()
    create_key_pair("MERIDIAN-AS2", 30, keys / "us.key", keys / "us.crt")
    create_key_pair("SUMMITMED", 30, keys / "summit.key", keys / "summit.crt")
    ids = yaml.safe_load((REPO / "identities.yaml").read_text())
    ids["identities"][0]["as2_keys"] = [
        {"certificate": str(keys / "us.crt"), "private_key": {"file": str(keys / "us.key")}}
    ]
    (tmp_path / "identities.yaml").write_text(yaml.safe_dump(ids))
    inbox, jobs = PartnerInbox(), []
    with serve_http(partner_server(keys, inbox, jobs)) as partner_url:
        site = tmp_path / "site"
        site.mkdir()
        profile = yaml.safe_load((REPO / "partner_profiles" / "summit-medical.yaml").read_text())
        runtime = make_runtime(identities_file=tmp_path / "identities.yaml", profiles_dir=str(site))
        # our endpoint runs first: the profile names it as the address for async MDNs
        with serve_http(create_app(runtime)) as our_url:
            profile["as2"].update(
                {
                    "url": f"{partner_url}/as2",
                    "mdn": "async",
                    "mdn_url": f"{our_url}/as2",
                    "certificates": [{"file": str(keys / "summit.crt")}],
                }
            )
            profile["acknowledgements"]["transport"] = "as2"
            (site / "summit-medical.yaml").write_text(yaml.safe_dump(profile))
            runtime.reload()
            attach_senders(runtime)
            # when Summit's ship notice comes in
            StoreIntake(runtime).receive(
                ReceivedPayload(
                    data=fixture_bytes("summit-medical", "856_ship_notice.edi"), transport="cli"
                )
            )
            runtime.dispatcher.drain()  # type: ignore[attr-defined]
            # then our 997 reached Summit's AS2 server, signed and encrypted
            assert len(inbox.payloads) == 1 and b"ST*997*" in inbox.payloads[0]
            with runtime.sessions() as s:
                ack = s.scalars(select(Acknowledgement).where(Acknowledgement.kind == "997")).one()
                assert (ack.state, ack.transport) == ("sent", "as2")
                pending = s.get(PendingMdn, (ack.transport_ref or "").strip("<>"))
                assert pending is not None and pending.settled_at is None
            # and Summit's asynchronous MDN, posted to our /as2, settles it
            assert len(jobs) == 1 and jobs[0].url == f"{our_url}/as2"
            assert post_async_mdn(jobs[0].url, jobs[0].headers, jobs[0].body) == 200
            with runtime.sessions() as s:
                settled = s.get(PendingMdn, pending.message_id)
                assert settled is not None and settled.outcome == "delivered"
                kinds = s.scalars(select(Event.kind)).all()
                assert "ack_mdn" in kinds and "as2_mdn_received" in kinds

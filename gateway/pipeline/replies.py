"""Where our answers to a received interchange come from and go back on.

Shared by the functional acknowledgements (:mod:`gateway.pipeline.acks`) and the
application advice (:mod:`gateway.pipeline.advice`): the identity of ours the partner
addressed, and the transport the answers take.
"""

from __future__ import annotations

from gateway.identity import OurIdentity
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.runtime import Runtime


def our_identity(runtime: Runtime, profile_identity: str | None, receiver_id: str) -> OurIdentity:
    """The identity an interchange was addressed to (or the profile's, or the default)."""
    for ident in runtime.identities.identities:
        if receiver_id.strip().upper() in (ident.x12_id.upper(), ident.edifact_id.upper()):
            return ident
    return runtime.identities.get(profile_identity)


def ack_transport(profile: PartnerProfile, inbound_transport: str) -> str:
    """The transport acknowledgements (and application advice) go back on."""
    wanted = profile.acknowledgements.transport
    if wanted == "inbound":
        return {"sftp-poll": "sftp-poll", "sftp": "sftp", "as2": "as2"}.get(
            inbound_transport, "none"
        )
    return wanted

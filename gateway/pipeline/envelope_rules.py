"""Envelope rules applied to interchanges against the partner profile: who sent it, is
it for us, test or production, duplicates and supported transaction sets. Each finding is
an :class:`Issue` carrying the code the partner will see in its TA1 or CONTRL (X12 TA105
note codes, EDIFACT 0085).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.documents import FUNCTIONAL_ACK_SETS, SET_TO_DOCUMENT
from gateway.edi.model import EdiInterchange, Issue, Level
from gateway.engines import engine_for
from gateway.mapping.errors import MappingError, UnsupportedDocument
from gateway.store.models import Interchange, Transaction

if TYPE_CHECKING:
    from sqlalchemy import Row

    from gateway.partners.profile import PartnerProfile
    from gateway.pipeline.runtime import Runtime

# the codes themselves (X12 TA105 / AK5, EDIFACT 0085) are the engine's RefusalCodes
ACK_SETS = frozenset(FUNCTIONAL_ACK_SETS)


def identify(
    runtime: Runtime, edi: EdiInterchange, transport_partner: str | None
) -> PartnerProfile | None:
    """The partner profile for an interchange, from its envelope sender.

    When the transport already knows the partner (AS2 From, SFTP login), the envelope
    must name the same partner; otherwise the interchange stays unattributed and is
    rejected by :func:`interchange_rules` (a partner cannot send as another).
    """
    profile = runtime.registry.find_for_interchange(edi)
    if transport_partner and profile is not None and profile.id != transport_partner:
        return None
    if profile is not None and not profile.enabled:
        return None
    return profile


def duplicate_issue(edi: EdiInterchange) -> Issue:
    """The interchange-level finding for a duplicate control number (policy: reject)."""
    engine = engine_for(edi.syntax)
    return Issue(
        level=Level.INTERCHANGE,
        code=engine.refusals.duplicate,
        message=f"duplicate interchange control number {edi.control_number}",
        segment_tag=engine.envelope_tag,
    )


def interchange_rules(
    runtime: Runtime, ic: Interchange | Row[Any], profile: PartnerProfile | None
) -> list[Issue]:
    """Gateway findings about an interchange's envelope against the partner profile."""
    issues: list[Issue] = []
    engine = engine_for(ic.syntax)
    tag, refusals = engine.envelope_tag, engine.refusals
    if profile is None:
        issues.append(
            Issue(
                level=Level.INTERCHANGE,
                code=refusals.unknown_sender,
                segment_tag=tag,
                message=f"unknown sender {ic.sender_qualifier}/{ic.sender_id}: no partner profile "
                "lists it (or the transport account belongs to another partner)",
            )
        )
        return issues
    ours = {i.x12_id.upper() for i in runtime.identities.identities} | {
        i.edifact_id.upper() for i in runtime.identities.identities
    }
    if ic.receiver_id.strip().upper() not in ours:
        issues.append(
            Issue(
                level=Level.INTERCHANGE,
                code=refusals.unknown_receiver,
                segment_tag=tag,
                message=f"receiver {ic.receiver_qualifier}/{ic.receiver_id} is not one of our "
                "identities",
            )
        )
    expected_test = profile.mode.usage == "test"
    if ic.test != expected_test and profile.mode.on_mismatch != "accept":
        words = "test" if ic.test else "production"
        issues.append(
            Issue(
                level=Level.INTERCHANGE,
                code=refusals.test_indicator,
                segment_tag=tag,
                message=f"{words} interchange from a partner in {profile.mode.usage} mode",
                fatal=profile.mode.on_mismatch == "reject",
            )
        )
    return issues


def transaction_rules(
    txn: Transaction,
    syntax: str,
    runtime: Runtime | None = None,
    profile: PartnerProfile | None = None,
) -> list[Issue]:
    """Gateway findings about one transaction: sets we have no use for, and (given the
    runtime and profile) a set in a version or directory the partner is not set up for
    or that no map covers, so that it is rejected in the acknowledgement (AK5/IK5 1,
    CONTRL 17) instead of being accepted and then dropped at translation."""
    engine = engine_for(syntax)
    code, tag = engine.refusals.set_not_supported, engine.message_tag
    if txn.set_id in ACK_SETS:
        return []
    if txn.set_id not in SET_TO_DOCUMENT:
        return [
            Issue(
                level=Level.TRANSACTION,
                code=code,
                segment_tag=tag,
                segment_position=1,
                message=f"transaction set {txn.set_id} is not supported",
            )
        ]
    if runtime is None or profile is None:
        return []

    try:
        runtime.maps.map_for(profile, syntax, txn.version, txn.set_id)
    except UnsupportedDocument as exc:
        return [
            Issue(
                level=Level.TRANSACTION,
                code=code,
                segment_tag=tag,
                segment_position=1,
                message=str(exc),
            )
        ]
    except MappingError:
        return []  # our configuration: translation alerts an operator, no reject
    return []


def group_version_issue(
    profile: PartnerProfile | None, set_ids: list[str], version: str
) -> Issue | None:
    """AK905 2 (functional group version not supported) for an X12 group whose GS08
    release the profile lists for none of the sets in it."""
    if profile is None or profile.x12 is None or not set_ids:
        return None
    if any(profile.x12.accepts(s, version) for s in set_ids if s not in ACK_SETS):
        return None
    if all(s in ACK_SETS for s in set_ids):
        return None
    return Issue(
        level=Level.GROUP,
        code="2",
        segment_tag="GS",
        message=f"group version {version} is not one partner {profile.id!r} is set up for "
        f"({', '.join(profile.x12.all_versions)})",
    )

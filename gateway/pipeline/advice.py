"""Application advice: the 824 / APERAK for transactions rejected at translation.

The translate stage hands over the transactions of one interchange whose data could not
become a document (a :class:`~gateway.mapping.errors.DocumentError`: the partner's
error). When the partner's profile sets ``acknowledgements.application_advice``, they
are answered the way functional acknowledgements are: the advice is written through
the outbound map ``x12/<release>/824`` (one 824, one OTI loop per transaction) or
``edifact/<directory>/APERAK`` (one APERAK interchange per message), validated by our
own engine, stored as an ``acknowledgements`` row (kind ``824`` / ``APERAK``, state
``queued``) with its bytes, and queued for ``send_ack`` over the partner's
acknowledgement transport. Each transaction (and its business exception) gets an
``advice_built`` event naming the acknowledgement.

An advice we cannot write (a broken site override of the map, a value our validator
refuses) is our fault: an ``advice_failed`` event for an operator; the transactions
stay rejected with their exceptions, nothing half-built is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from gateway.edi.model import EdiGroup, EdiTransaction, Syntax
from gateway.mapping.errors import DocumentError
from gateway.outbound.advice import Rejection, build_advice
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.dispatch import Next
from gateway.pipeline.runtime import Runtime
from gateway.store.audit import add_event, next_counter
from gateway.store.models import (
    Acknowledgement,
    BusinessException,
    Interchange,
    Message,
    Transaction,
)

# acknowledgements rows of these kinds are application advice, not functional acks
ADVICE_KINDS = frozenset({"824", "APERAK"})
# releases / directories we have advice maps for, newest last
X12_RELEASES = ("004010", "005010")
EDIFACT_DIRECTORIES = {"D93A": "D96A", "D96A": "D96A", "D01B": "D01B"}


@dataclass
class Rejected:
    """One transaction the translate stage rejected for its data."""

    row: Transaction
    transaction: EdiTransaction
    group: EdiGroup
    error: DocumentError
    exception: BusinessException | None = None


def advice_map(profile: PartnerProfile, syntax: Syntax, version: str) -> str:
    """The outbound map for an advice answering a transaction of this release/directory.

    A profile may name its own (``maps: {"out:824": ...}`` / ``"out:APERAK"``).
    """
    if syntax is Syntax.X12:
        own = profile.maps.get("out:824")
        release = version.strip()[:6]
        chosen = X12_RELEASES[0]
        for known in X12_RELEASES:
            if known <= release:
                chosen = known
        return own or f"x12/{chosen}/824"
    own = profile.maps.get("out:APERAK")
    directory = EDIFACT_DIRECTORIES.get(version.strip().upper().replace(":", ""), "D96A")
    return own or f"edifact/{directory}/APERAK"


def advise(
    runtime: Runtime,
    session: Session,
    ic: Interchange,
    profile: PartnerProfile,
    rejected: Sequence[Rejected],
    *,
    now: dt.datetime | None = None,
) -> list[Next]:
    """Write, store and queue the advice for these rejected transactions, if asked for."""
    if not rejected or not profile.acknowledgements.application_advice:
        return []
    syntax = Syntax(ic.syntax)
    if syntax is Syntax.X12 and profile.x12 is None:
        return []
    if syntax is Syntax.EDIFACT and profile.edifact is None:
        return []
    from gateway.outbound import OutboundInvalid, RenderError, render, write
    from gateway.outbound.template import OutboundLibrary
    from gateway.pipeline.acks import ack_transport, our_identity
    from gateway.pipeline.outbound import envelope_for

    library = OutboundLibrary.load(runtime.settings.map_dirs(), collect=True)
    ident = our_identity(runtime, profile.our_identity, ic.receiver_id)
    message = session.get(Message, ic.message_id)
    transport = ack_transport(profile, message.transport if message else "none")
    kind = "824" if syntax is Syntax.X12 else "APERAK"
    # one 824 answers every rejected transaction of the interchange; APERAK one message
    batches = [list(rejected)] if syntax is Syntax.X12 else [[r] for r in rejected]
    when = now or dt.datetime.now(dt.UTC)
    follow: list[Next] = []

    def number(counter: str, modulo: int = 999_999_999) -> int:
        return next_counter(session, profile.id, counter, modulo=modulo)

    for batch in batches:
        name = advice_map(profile, syntax, batch[0].row.version or batch[0].group.version)
        try:
            map_ = library.get(name)
            env = envelope_for(ident, profile, syntax.value, number)
            advice = build_advice(
                [Rejection(r.transaction, r.group, r.error) for r in batch],
                number=str(env.interchange_control),
                when=when,
                edifact=syntax is Syntax.EDIFACT,
            )
            written = write(map_, render(map_, advice), replace(env, when=when))
        except (KeyError, OutboundInvalid, RenderError, ValueError) as exc:
            for r in batch:
                add_event(
                    session,
                    "advice_failed",
                    f"{kind} for {r.row.set_id} {r.row.control_number} not written "
                    f"(operator action needed): {exc}",
                    partner_id=ic.partner_id,
                    message_id=ic.message_id,
                    interchange_id=ic.id,
                    transaction_id=r.row.id,
                    correlation_id=r.row.correlation_id,
                )
            continue
        sha = runtime.payloads.put(session, written.data)
        row = Acknowledgement(
            direction="out",
            kind=kind,
            partner_id=ic.partner_id,
            interchange_id=ic.id,
            acknowledged_control_number=ic.control_number,
            control_number=written.control_number,
            status="rejected",
            payload_sha256=sha,
            state="queued",
            transport=transport,
            detail={
                "application_advice": True,
                "map": name,
                "transactions": [
                    {
                        "id": r.row.id,
                        "set_id": r.row.set_id,
                        "control_number": r.row.control_number,
                        "error": str(r.error),
                    }
                    for r in batch
                ],
            },
        )
        session.add(row)
        session.flush()
        for r in batch:
            add_event(
                session,
                "advice_built",
                f"{kind} {row.control_number} tells the partner {r.row.set_id} "
                f"{r.row.control_number} was rejected: {r.error}",
                partner_id=ic.partner_id,
                message_id=ic.message_id,
                interchange_id=ic.id,
                transaction_id=r.row.id,
                correlation_id=r.row.correlation_id,
                data={"acknowledgement_id": row.id, "kind": kind},
            )
            if r.exception is not None:
                r.exception.detail = {
                    **(r.exception.detail or {}),
                    "application_advice": {"kind": kind, "acknowledgement_id": row.id},
                }
        follow.append(Next("send_ack", (row.id,)))
    return follow

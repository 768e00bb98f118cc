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
from typing import Any, TypeVar

from sqlalchemy import Row
from sqlalchemy.orm import Session

from gateway.edi.model import EdiGroup, EdiTransaction, Syntax
from gateway.engines import engine_for
from gateway.mapping.errors import DocumentError
from gateway.outbound import OutboundInvalid, RenderError, render, write
from gateway.outbound.advice import Rejection, build_advice
from gateway.outbound.template import OutboundLibrary
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.dispatch import Next
from gateway.pipeline.outbound_records import envelope_for
from gateway.pipeline.replies import ack_transport, our_identity
from gateway.pipeline.runtime import Runtime
from gateway.states import AckState
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


_R = TypeVar("_R")


@dataclass
class Rejected:
    """One transaction the translate stage rejected for its data."""

    row: Transaction | Row[Any]
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


class AdviceNotWritten(Exception):
    """Our side could not write the advice (a missing or broken map, a value our own
    validator refuses): an operator's problem, never sent half-built."""


@dataclass(frozen=True)
class WrittenAdvice:
    """One 824 / APERAK interchange, written and validated."""

    kind: str  # "824" | "APERAK"
    map_name: str
    data: bytes
    control_number: str  # its ISA13 / UNB 0020


def batches(syntax: Syntax, rejected: Sequence[_R]) -> list[list[_R]]:
    """One 824 answers every rejected transaction of an interchange; APERAK one message."""
    if engine_for(syntax).advice_per_interchange:
        return [list(rejected)]
    return [[r] for r in rejected]


def write_advice(
    runtime: Runtime,
    session: Session,
    profile: PartnerProfile,
    syntax: Syntax,
    receiver_id: str,
    batch: Sequence[Rejection],
    *,
    when: dt.datetime,
) -> WrittenAdvice:
    """Write the advice for one batch with control numbers from the partner's counters
    (in ``session``: roll it back for a preview). Raises :class:`AdviceNotWritten`."""
    if not batch:
        raise ValueError("an advice needs at least one rejected transaction")
    if (profile.x12 if syntax is Syntax.X12 else profile.edifact) is None:
        raise AdviceNotWritten(f"partner {profile.id!r} has no {syntax.value} identifiers")

    def number(counter: str, modulo: int = 999_999_999) -> int:
        return next_counter(session, profile.id, counter, modulo=modulo)

    kind = engine_for(syntax).advice_kind
    name = advice_map(profile, syntax, batch[0].transaction.version or batch[0].group.version)
    try:
        map_ = OutboundLibrary.load(runtime.settings.map_dirs(), collect=True).get(name)
        ident = our_identity(runtime, profile.our_identity, receiver_id)
        env = replace(envelope_for(ident, profile, syntax.value, number), when=when)
        advice = build_advice(
            batch,
            number=str(env.interchange_control),
            when=when,
            edifact=syntax is Syntax.EDIFACT,
        )
        written = write(map_, render(map_, advice), env)
    except (KeyError, OutboundInvalid, RenderError, ValueError) as exc:
        raise AdviceNotWritten(f"{kind} ({name}): {exc}") from exc
    return WrittenAdvice(kind, name, written.data, written.control_number)


def advise(
    runtime: Runtime,
    session: Session,
    ic: Interchange | Row[Any],
    profile: PartnerProfile,
    rejected: Sequence[Rejected],
    *,
    now: dt.datetime | None = None,
) -> list[Next]:
    """Write, store and queue the advice for these rejected transactions, if asked for."""
    if not rejected or not profile.acknowledgements.application_advice:
        return []
    syntax = Syntax(ic.syntax)
    message = session.get(Message, ic.message_id)
    transport = ack_transport(profile, message.transport if message else "none")
    kind = engine_for(syntax).advice_kind
    when = now or dt.datetime.now(dt.UTC)
    follow: list[Next] = []
    for batch in batches(syntax, rejected):
        try:
            written = write_advice(
                runtime,
                session,
                profile,
                syntax,
                ic.receiver_id,
                [Rejection(r.transaction, r.group, r.error) for r in batch],
                when=when,
            )
        except AdviceNotWritten as exc:
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
            state=AckState.QUEUED,
            transport=transport,
            detail={
                "application_advice": True,
                "map": written.map_name,
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

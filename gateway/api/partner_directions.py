"""Both directions of one partner, per role, for its console page.

A partner that is our supplier sends us acknowledgements, ship notices and invoices and
gets our purchase orders; one that is our customer sends us purchase orders and gets our
acknowledgements, ship notices and invoices; a partner may be both. For each of its roles
this module says which document types travel each way (the registry decides who sends
what, the profile which outbound kinds are on) and counts the traffic so far by state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.documents import REGISTRY, DocumentType
from gateway.partners.profile import PartnerProfile, Role
from gateway.pipeline.outbound_kinds import KINDS
from gateway.store.models import OutboundOrder, Transaction

TITLES: dict[Role, str] = {"supplier": "As our supplier", "customer": "As our customer"}


def type_label(name: str | None) -> str:
    """The console label of a stored document type (its name when not registered)."""
    found = next((t for t in REGISTRY if t.name == name), None)
    return found.label if found is not None else str(name or "unknown")


def _counts(rows: Iterable[Any]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name, state, count in rows:
        out.setdefault(str(name or ""), {})[str(state)] = int(count)
    return out


def _flow(names: list[str], counts: dict[str, dict[str, int]], link: str) -> list[dict[str, Any]]:
    return [
        {
            "type": name,
            "label": type_label(name),
            "states": counts.get(name, {}),
            "total": sum(counts.get(name, {}).values()),
            "href": f"{link}&document_type={name}",
        }
        for name in names
    ]


def partner_directions(session: Session, profile: PartnerProfile) -> list[dict[str, Any]]:
    """Per role of the partner: what we receive from it and send it, with counts."""
    received = _counts(
        session.execute(
            select(Transaction.document_type, Transaction.state, func.count())
            .where(Transaction.partner_id == profile.id, Transaction.direction == "in")
            .group_by(Transaction.document_type, Transaction.state)
        )
    )
    sent = _counts(
        session.execute(
            select(OutboundOrder.document_type, OutboundOrder.state, func.count())
            .where(OutboundOrder.partner_id == profile.id)
            .group_by(OutboundOrder.document_type, OutboundOrder.state)
        )
    )
    roles = profile.roles
    out = []
    for role in roles:
        inbound: list[DocumentType] = [
            t for t in REGISTRY if t.planners and t.sender_role(roles) == role
        ]
        outbound = [k for k in KINDS if k.role == role]
        out.append(
            {
                "role": role,
                "title": TITLES.get(role, role),
                "received": _flow(
                    [t.name for t in inbound], received, f"/messages?partner={profile.id}"
                ),
                "sent": [
                    {**row, "enabled": kind.settings(profile) is not None}
                    for kind, row in zip(
                        outbound,
                        _flow(
                            [k.document_type for k in outbound],
                            sent,
                            f"/orders?partner={profile.id}",
                        ),
                        strict=True,
                    )
                ],
            }
        )
    return out

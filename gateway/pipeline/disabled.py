"""Holding the traffic of a partner whose configuration does not load.

A partner is disabled when its profile, or the override map it names, does not load
(:mod:`gateway.partner_config`). That is our fault, not the partner's, so nothing
negative is sent to them: each of its transactions stops in ``business_exception`` with
the reason, and a business exception in the queue tells the staff what to fix. Once the
file is fixed and reloaded, the transactions are replayed from their stored bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from gateway.partner_config import PartnerConfig
from gateway.pipeline.transitions import set_state
from gateway.store.models import BusinessException, Interchange, Transaction, TransactionState

KIND = "partner_disabled"


def disabled_reason(config: object, ic: Interchange | Row[Any]) -> tuple[str, str] | None:
    """``(partner id, reason)`` when the interchange's partner is disabled, else None."""
    if not isinstance(config, PartnerConfig):
        return None
    if ic.partner_id:
        reason = config.disabled_reason(ic.partner_id)
        return (ic.partner_id, reason) if reason else None
    partner_id = config.disabled_sender(ic.syntax, ic.sender_id)
    if partner_id:
        reason = config.disabled_reason(partner_id)
        return (partner_id, reason) if reason else None
    return None


def hold(
    session: Session, ic: Interchange, txns: Sequence[Transaction], partner_id: str, reason: str
) -> None:
    """Stop every transaction of the interchange with the reason, one exception each."""
    ic.partner_id = partner_id
    text = f"partner {partner_id!r} is disabled: {reason}"
    for txn in txns:
        txn.partner_id = partner_id
        session.add(
            BusinessException(
                transaction_id=txn.id,
                partner_id=partner_id,
                kind=KIND,
                message=text + " (fix the file, reload, then replay)",
                detail={"reason": reason},
            )
        )
        set_state(session, txn, TransactionState.BUSINESS_EXCEPTION, text, error=text)

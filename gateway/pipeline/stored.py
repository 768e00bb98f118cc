"""A received interchange as split recorded it: rebuilt from rows, never parsed again.

Split parses a payload once (:func:`gateway.engines.parse_payload`) and records each
interchange, group and transaction as a row with its byte offsets and findings, plus
the interchange's compact envelope record (``interchanges.envelope``: delimiters,
service characters, group dates, what else the rows do not hold). The acknowledge stage
answers from :func:`stored_interchange` alone; the translate stage reads each
transaction's own bytes (:func:`read_transaction`) with the delimiters the record keeps.

Findings come back in the order a fresh parse merged them: the engine's first, then the
ones the gateway added (unknown partner, duplicate, test mode, unsupported sets).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from gateway.edi.model import EdiGroup, EdiInterchange, EdiTransaction, Issue, Syntax
from gateway.edifact.tokenizer import Data
from gateway.engines import engine_for
from gateway.pipeline.issues import GATEWAY, issue_from_json
from gateway.store.models import FunctionalGroup, Interchange, Transaction

# built once, columns only (no ORM objects): what rebuilding an interchange reads; of
# the tables (Core), not the mapped classes: no ORM compile step when executed
_G = cast(Table, FunctionalGroup.__table__).c
_X = cast(Table, Transaction.__table__).c
_GROUPS: Select[Any] = select(
    _G.id,
    _G.functional_id,
    _G.sender_id,
    _G.receiver_id,
    _G.control_number,
    _G.version,
    _G.issues,
).where(_G.interchange_id == bindparam("ic_id"))
_TRANSACTIONS = select(
    _X.group_id,
    _X.set_id,
    _X.control_number,
    _X.version,
    _X.start,
    _X.end,
    _X.issues,
).where(_X.interchange_id == bindparam("ic_id"))


_INTERCHANGES = cast(Table, Interchange.__table__)
_INTERCHANGE = select(_INTERCHANGES).where(_INTERCHANGES.c.id == bindparam("ic_id"))
_INTERCHANGE_LOCKED = _INTERCHANGE.with_for_update()


def interchange_row(
    session: Session, interchange_id: int, *, lock: bool = False
) -> Row[Any] | None:
    """An interchange's columns, by name, as a stage reads its subject: no ORM object
    (a stage writes what it changes with a statement of its own). ``lock``: FOR UPDATE."""
    query = _INTERCHANGE_LOCKED if lock else _INTERCHANGE
    return session.execute(query, {"ic_id": interchange_id}).first()


def group_rows(session: Session, interchange_id: int) -> list[Row[Any]]:
    """The interchange's groups' columns, as :func:`stored_interchange` reads them."""
    return list(session.execute(_GROUPS, {"ic_id": interchange_id}).all())


def envelope_record(edi: EdiInterchange, data: Data, versions: Sequence[str]) -> dict[str, Any]:
    """The record split keeps with an interchange (see the module docstring)."""
    return engine_for(edi.syntax).envelope_record(edi, data, list(versions))


def _issues(stored: Sequence[dict[str, Any]]) -> list[Issue]:
    engine = [issue_from_json(d) for d in stored if d.get("source") != GATEWAY]
    return engine + [issue_from_json(d) for d in stored if d.get("source") == GATEWAY]


def stored_interchange(
    session: Session,
    ic: Interchange | Row[Any],
    *,
    groups: Sequence[Any] | None = None,
    transactions: Sequence[Any] | None = None,
) -> EdiInterchange | None:
    """The interchange as split found it (segments not read); None for a row recorded
    before split kept envelope records (the caller parses its bytes again).

    ``groups`` (all of the interchange's) and ``transactions`` (all, or the ones the
    caller works on) are the rows when the caller has read them already (ORM rows or
    column rows with the same names); else their columns are read here.
    """
    if ic.envelope is None:
        return None
    edi = EdiInterchange(
        syntax=Syntax(ic.syntax),
        sender_qualifier=ic.sender_qualifier,
        sender_id=ic.sender_id,
        receiver_qualifier=ic.receiver_qualifier,
        receiver_id=ic.receiver_id,
        control_number=ic.control_number,
        version=ic.version,
        test=ic.test,
        start=ic.start,
        end=ic.end,
        issues=_issues(ic.issues),
    )
    if groups is None:
        groups = group_rows(session, ic.id)
    if transactions is None:
        transactions = session.execute(_TRANSACTIONS, {"ic_id": ic.id}).all()
    rows: dict[int, list[Any]] = defaultdict(list)
    for txn in sorted(transactions, key=lambda t: t.start):
        rows[txn.group_id].append(txn)
    for group in sorted(groups, key=lambda g: g.id):
        edi_group = EdiGroup(
            functional_id=group.functional_id,
            sender_id=group.sender_id,
            receiver_id=group.receiver_id,
            control_number=group.control_number,
            version=group.version,
            issues=_issues(group.issues),
        )
        edi_group.transactions = [
            EdiTransaction(
                set_id=txn.set_id,
                control_number=txn.control_number,
                version=txn.version,
                segments=(),
                start=txn.start,
                end=txn.end,
                issues=_issues(txn.issues),
            )
            for txn in rows.get(group.id, [])
        ]
        edi.groups.append(edi_group)
    engine_for(ic.syntax).restore(edi, ic.envelope)
    return edi


def read_transaction(
    data: Data, edi: EdiInterchange, transaction: EdiTransaction, *, split: bool = False
) -> None:
    """Fill ``transaction.segments`` from its own bytes (payload offsets) in ``data``
    (``split``: in the form the mapping engine reads, see the engines' read_segments)."""
    transaction.segments = engine_for(edi.syntax).read_segments(data, edi, transaction, split=split)

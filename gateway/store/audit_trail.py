"""Reading the audit trail back: verifying its hash chains and exporting it for auditors.

``verify_chains`` walks every chain in ``seq`` order (streaming, constant memory) and
recomputes each row's hash from its content and its predecessor; it reports the first
break of each chain and compares each chain's end with its head row (which catches rows
removed from the end of a chain). ``export_events`` writes a time range as JSON lines with
the chain fields, so an auditor can recompute every hash without database access and keep
the hashes as an outside record of what the trail held.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import Connection, Engine, and_, exists, func, select
from sqlalchemy.orm import aliased

from gateway.store.chain import CONTENT_FIELDS, GENESIS, canonical_time, row_hash
from gateway.store.models import AuditChainHead, Event

_COLUMNS = [Event.id, Event.prev_hash, Event.hash, *(getattr(Event, f) for f in CONTENT_FIELDS)]


@dataclass(frozen=True)
class ChainBreak:
    """Where a chain stops being intact, and why."""

    chain: str
    event_id: int | None  # None: the break is at the chain's end (rows missing)
    seq: int | None
    reason: str

    def describe(self) -> str:
        """One line for people."""
        where = f"event {self.event_id} (seq {self.seq})" if self.event_id else "its end"
        return f"chain {self.chain}: {where}: {self.reason}"


@dataclass
class VerifyReport:
    """What ``audit verify`` found."""

    events: int = 0
    chains: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """No break anywhere."""
        return not self.breaks

    @property
    def first_break(self) -> ChainBreak | None:
        """The earliest break (by event id; breaks at a chain's end come last)."""
        if not self.breaks:
            return None
        return min(self.breaks, key=lambda b: (b.event_id is None, b.event_id or 0, b.chain))


def _stream(conn: Connection, statement: Any) -> Iterator[Any]:
    result = conn.execution_options(stream_results=True, yield_per=2000).execute(statement)
    yield from result


def verify_chains(engine: Engine) -> VerifyReport:
    """Walk every chain and recompute every hash; see the module docstring."""
    report = VerifyReport()
    broken: set[str] = set()
    with engine.connect() as conn:
        current: str | None = None
        expected_seq, prev = 1, GENESIS
        rows = _stream(conn, select(*_COLUMNS).order_by(Event.chain, Event.seq))
        for row in rows:
            report.events += 1
            data = row._mapping
            if row.chain != current:
                current, expected_seq, prev = row.chain, 1, GENESIS
                report.chains += 1
            if current in broken:
                continue
            reason = None
            if row.seq != expected_seq:
                reason = (
                    f"sequence jumps from {expected_seq - 1} to {row.seq}: "
                    "a row was removed or inserted"
                )
            elif row.prev_hash != prev:
                reason = "its link to the previous row does not match: a row was replaced"
            elif row_hash(row.prev_hash, data) != row.hash:
                reason = "its content does not match its hash: the row was changed"
            if reason is not None:
                report.breaks.append(ChainBreak(str(current), row.id, row.seq, reason))
                broken.add(str(current))
                continue
            expected_seq, prev = row.seq + 1, row.hash
        report.breaks.extend(_head_breaks(conn, broken))
    return report


def _head_breaks(conn: Connection, broken: set[str]) -> list[ChainBreak]:
    """Chains whose last row is not the row their head names (rows removed at the end)."""
    last = aliased(Event)
    newest = (
        select(func.max(Event.seq)).where(Event.chain == AuditChainHead.chain).scalar_subquery()
    )
    mismatched = conn.execute(
        select(AuditChainHead.chain, AuditChainHead.seq, last.seq.label("last_seq"))
        .outerjoin(last, and_(last.chain == AuditChainHead.chain, last.seq == newest))
        .where(
            (last.id.is_(None))
            | (last.seq != AuditChainHead.seq)
            | (last.hash != AuditChainHead.hash)
        )
    )
    found = [
        ChainBreak(
            row.chain,
            None,
            row.seq,
            f"its head says {row.seq} row(s) but the chain ends at "
            f"{row.last_seq or 0}: rows were removed from its end",
        )
        for row in mismatched
        if row.chain not in broken
    ]
    headless = conn.execute(
        select(Event.chain)
        .where(~exists().where(AuditChainHead.chain == Event.chain))
        .group_by(Event.chain)
    )
    found.extend(ChainBreak(row.chain, None, None, "the chain has no head row") for row in headless)
    return found


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def export_events(
    engine: Engine, out: IO[str], *, start: dt.datetime | None, end: dt.datetime | None
) -> int:
    """Write the events with ``start <= at < end`` as JSON lines in id order; their count.

    Each line holds the row's id, its content (the fields the hash covers, time in UTC
    with ``Z``), ``prev_hash`` and ``hash``.
    """
    statement = select(*_COLUMNS).order_by(Event.id)
    if start is not None:
        statement = statement.where(Event.at >= _utc(start))
    if end is not None:
        statement = statement.where(Event.at < _utc(end))
    count = 0
    with engine.connect() as conn:
        for row in _stream(conn, statement):
            line = {name: row._mapping[name] for name in ("id", *CONTENT_FIELDS)}
            line["at"] = canonical_time(row.at)
            line["prev_hash"], line["hash"] = row.prev_hash, row.hash
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count

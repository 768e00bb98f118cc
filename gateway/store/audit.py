"""Writing the audit trail and per-partner control number counters.

Events are chained by hash as they are written (:mod:`gateway.store.chain` defines the
chain and the hash). The chain is appended at flush time, in the unit of work that adds
the event: the first event of a chain in a database transaction takes the chain's head
row (one upsert, which locks that row on PostgreSQL and takes the write lock on SQLite)
and so serialises writers of the same chain until commit; later events of that chain in
the same transaction only hash, and each flush ends with one UPDATE of the heads it moved.

:func:`add_events` writes many events at once without ORM objects (one INSERT, one
UPDATE of the heads), linked the same way and sharing the transaction's chain heads with
the ORM path: the stages' hot paths use it (issue 21). On SQLite, where one process
usually writes all of a document's stages, it first tries the head this process stored
last for the chain: the events are linked from it and the head moved from it to the new
one with one compare-and-set UPDATE, no upsert to read it first. The UPDATE finds
nothing when anyone else moved the head since (another process, or a transaction that
rolled back); then the head is taken as always. So what was remembered is only ever
used when it is what the database holds.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    case,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapper, Session, SessionTransaction, UOWTransaction, object_session

from gateway.store.bulk import insert_rows
from gateway.store.chain import GENESIS, chain_key, row_hash
from gateway.store.models import AuditChainHead, Counter, Event, utcnow

_HEADS = "edigw_audit_heads"  # session.info: chain -> (seq, hash) locked in this transaction
_MOVED = "edigw_audit_moved"  # session.info: chains whose head moved in the current flush
_DOCUMENTS = "edigw_audit_documents"  # session.info: (column, id) -> correlation id

_TAKE_HEAD = text(
    "INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (:chain, 1, :genesis) "
    "ON CONFLICT (chain) DO UPDATE SET seq = audit_chain_heads.seq + 1 "
    "RETURNING seq, hash"
)
_MOVE_HEAD = (
    update(AuditChainHead)
    .where(AuditChainHead.chain == bindparam("k"))
    .values(seq=bindparam("s"), hash=bindparam("h"))
)
_MOVE_HEAD_FROM = _MOVE_HEAD.where(  # compare and set: only from the head given
    AuditChainHead.seq == bindparam("s0"), AuditChainHead.hash == bindparam("h0")
)
_NEW_HEAD = insert(AuditChainHead).values(
    chain=bindparam("k"), seq=bindparam("s"), hash=bindparam("h")
)


class _LastHeads:
    """The heads this process last stored on one SQLite database, newest chains kept."""

    LIMIT = 4096  # chains (one per document): the recent ones are the ones still moving

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._heads: OrderedDict[str, tuple[int, str]] = OrderedDict()

    def get(self, key: str) -> tuple[int, str] | None:
        with self._lock:
            return self._heads.get(key)

    def put(self, heads: Mapping[str, tuple[int, str]], keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                self._heads[key] = heads[key]
                self._heads.move_to_end(key)
            while len(self._heads) > self.LIMIT:
                self._heads.popitem(last=False)


_LAST_HEADS: weakref.WeakKeyDictionary[Engine, _LastHeads] = weakref.WeakKeyDictionary()
_LAST_HEADS_LOCK = threading.Lock()


def _last_heads(connection: Connection) -> _LastHeads | None:
    """What this process remembers of the heads of the connection's database: SQLite
    only (on PostgreSQL the stages of a document run in several worker processes)."""
    if connection.dialect.name != "sqlite":
        return None
    with _LAST_HEADS_LOCK:
        found = _LAST_HEADS.get(connection.engine)
        if found is None:
            found = _LAST_HEADS[connection.engine] = _LastHeads()
        return found


def add_event(
    session: Session,
    kind: str,
    detail: str = "",
    *,
    actor: str = "system",
    partner_id: str | None = None,
    message_id: int | None = None,
    interchange_id: int | None = None,
    transaction_id: int | None = None,
    state_from: str | None = None,
    state_to: str | None = None,
    correlation_id: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Event:
    """Append one event (in the caller's unit of work, so it commits with the change)."""
    row = Event(
        kind=kind,
        detail=detail,
        actor=actor,
        partner_id=partner_id,
        message_id=message_id,
        interchange_id=interchange_id,
        transaction_id=transaction_id,
        state_from=state_from,
        state_to=state_to,
        correlation_id=correlation_id,
        data=dict(data or {}),
    )
    session.add(row)
    return row


_GIVEN = (
    "kind",
    "detail",
    "actor",
    "partner_id",
    "message_id",
    "interchange_id",
    "transaction_id",
    "state_from",
    "state_to",
    "correlation_id",
    "data",
)
_EVENTS = cast(Table, Event.__table__)


def add_events(
    session: Session, events: Sequence[Mapping[str, Any]], *, new_chain: bool = False
) -> None:
    """Append many events with one INSERT, now, in the session's transaction.

    Each mapping names :func:`add_event`'s fields (``kind`` required, the rest optional).
    No ORM objects: nothing to flush, no ids read back; the rows are linked into their
    chains exactly as :func:`add_event`'s are, and the heads they moved are stored at
    once (one UPDATE). ``new_chain``: the events are the first of their one chain (a
    correlation id just made): its head row is inserted as they leave it, not taken
    first (should the chain exist after all, the INSERT fails and nothing is written).
    """
    if not events:
        return
    connection = session.connection()
    info = session.info
    rows = []
    for given in events:
        row = {name: given.get(name) for name in _GIVEN}
        row["at"] = given.get("at") or utcnow()
        row["actor"] = row["actor"] or "system"
        row["detail"] = row["detail"] or ""
        row["data"] = dict(row["data"] or {})
        if row["correlation_id"] is None:
            row["correlation_id"] = _document_of(connection, info, row.get)
        rows.append(row)
    if new_chain:
        _start_chain(connection, info, rows)
    elif not _link_from_last(connection, info, rows):
        moved = {_link(connection, info, row) for row in rows}
        _store_heads(connection, info, sorted(moved))
    insert_rows(session, _EVENTS, rows)


def _store_heads(connection: Connection, info: dict[str, Any], keys: Sequence[str]) -> None:
    """Store the newest link of each of these chains (one statement)."""
    heads: dict[str, tuple[int, str]] = info[_HEADS]
    connection.execute(
        _MOVE_HEAD, [{"k": key, "s": heads[key][0], "h": heads[key][1]} for key in keys]
    )
    last = _last_heads(connection)
    if last is not None:
        last.put(heads, keys)


def _link_from_last(
    connection: Connection, info: dict[str, Any], rows: list[dict[str, Any]]
) -> bool:
    """Link rows of one chain this transaction has not taken yet from the head this
    process stored last, and move the head from that one with one compare-and-set
    UPDATE (see the module docstring); False, with nothing done, where that does not
    apply or the head is not that one any more."""
    last = _last_heads(connection)
    if last is None:
        return False
    key = _one_untaken_chain(info, rows)
    if key is None:
        return False
    heads: dict[str, tuple[int, str]] = info[_HEADS]
    known = last.get(key)
    if known is None:
        return False
    heads[key] = known
    for row in rows:
        _link(connection, info, row)  # from the head in hand: no statement
    seq, newest = heads[key]
    moved = connection.execute(
        _MOVE_HEAD_FROM, {"k": key, "s": seq, "h": newest, "s0": known[0], "h0": known[1]}
    )
    if moved.rowcount != 1:  # moved by someone else since: taken as always
        del heads[key]
        return False
    last.put(heads, [key])
    return True


def _start_chain(connection: Connection, info: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Link rows that start their one chain, and insert its head."""
    key = _one_untaken_chain(info, rows)
    if key is None:
        raise ValueError("new_chain: the events must start one chain of their own")
    heads: dict[str, tuple[int, str]] = info[_HEADS]
    heads[key] = (0, GENESIS)
    for row in rows:
        _link(connection, info, row)  # from the genesis: no statement
    connection.execute(_NEW_HEAD, {"k": key, "s": heads[key][0], "h": heads[key][1]})
    last = _last_heads(connection)
    if last is not None:
        last.put(heads, [key])


def _one_untaken_chain(info: dict[str, Any], rows: list[dict[str, Any]]) -> str | None:
    """The chain of rows that all belong to one chain this transaction has not taken a
    head of yet; None otherwise."""
    keys = {_chain_of(row) for row in rows}
    if len(keys) != 1:
        return None
    (key,) = keys
    return None if key in info.setdefault(_HEADS, {}) else key


def _chain_of(row: Mapping[str, Any]) -> str:
    return chain_key(
        correlation_id=row["correlation_id"],
        transaction_id=row["transaction_id"],
        message_id=row["message_id"],
        partner_id=row["partner_id"],
    )


def _link(connection: Connection, info: dict[str, Any], row: dict[str, Any]) -> str:
    """Fill in ``chain``, ``seq``, ``prev_hash`` and ``hash`` of a row; its chain."""
    key = _chain_of(row)
    heads: dict[str, tuple[int, str]] = info.setdefault(_HEADS, {})
    if key in heads:
        last_seq, prev = heads[key]
        seq = last_seq + 1
    else:
        taken = connection.execute(_TAKE_HEAD, {"chain": key, "genesis": GENESIS}).one()
        seq, prev = int(taken.seq), str(taken.hash)
    row["chain"], row["seq"], row["prev_hash"] = key, seq, prev
    row["hash"] = row_hash(prev, row)
    heads[key] = (seq, row["hash"])
    return key


@sa_event.listens_for(Event, "before_insert")
def _link_event(_mapper: Mapper[Event], connection: Connection, target: Event) -> None:
    """Give the new row its place in its chain and its hash."""
    session = object_session(target)
    info: dict[str, Any] = session.info if session is not None else {}
    if target.at is None:
        target.at = utcnow()
    if target.actor is None:
        target.actor = "system"
    if target.detail is None:
        target.detail = ""
    if target.data is None:
        target.data = {}
    if target.correlation_id is None:
        target.correlation_id = _document_of(connection, info, lambda name: getattr(target, name))
    row = {name: getattr(target, name) for name in (*_GIVEN, "at")}
    key = _link(connection, info, row)
    target.chain, target.seq, target.prev_hash = key, row["seq"], row["prev_hash"]
    target.hash = row["hash"]
    info.setdefault(_MOVED, set()).add(key)


_CORRELATION_OF = {
    "message_id": text("SELECT correlation_id FROM messages WHERE id = :id"),
    "interchange_id": text(
        "SELECT m.correlation_id FROM interchanges i JOIN messages m ON m.id = i.message_id "
        "WHERE i.id = :id"
    ),
    "transaction_id": text("SELECT correlation_id FROM transactions WHERE id = :id"),
}


def _document_of(
    connection: Connection, info: dict[str, Any], field: Callable[[str], Any]
) -> str | None:
    """The correlation id of the document an event is about, when the caller gave none.

    Acknowledgement and validation events name only their interchange; looking up its
    message's correlation id (one primary-key read, remembered for the transaction) puts
    them in their document's chain and makes them findable by that id.
    """
    for column, query in _CORRELATION_OF.items():
        subject = field(column)
        if subject is None:
            continue
        cache: dict[tuple[str, int], str | None] = info.setdefault(_DOCUMENTS, {})
        if (column, subject) not in cache:
            cache[(column, subject)] = connection.execute(query, {"id": subject}).scalar()
        return cache[(column, subject)]
    return None


@sa_event.listens_for(Session, "after_flush")
def _move_heads(session: Session, _flush: UOWTransaction) -> None:
    """Store each moved chain's newest link (one statement per flush)."""
    moved: set[str] | None = session.info.pop(_MOVED, None)
    if not moved:
        return
    _store_heads(session.connection(), session.info, sorted(moved))


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_heads(session: Session, transaction: SessionTransaction) -> None:
    """A commit releases the chains' locks and a rollback undoes their links: forget them.

    The flush's own inner transaction is neither (``parent`` set, not ``nested``).
    """
    if transaction.parent is None or transaction.nested:
        session.info.pop(_HEADS, None)
        session.info.pop(_MOVED, None)
        session.info.pop(_DOCUMENTS, None)


@sa_event.listens_for(Event, "before_update")
def _events_are_append_only(_mapper: Any, _connection: Any, target: Event) -> None:
    raise RuntimeError(f"events are append-only (tried to update event {target.id})")


@sa_event.listens_for(Event, "before_delete")
def _events_are_never_deleted(_mapper: Any, _connection: Any, target: Event) -> None:
    raise RuntimeError(f"events are append-only (tried to delete event {target.id})")


_COUNTERS = cast(Table, Counter.__table__)
# built once: acknowledge takes three numbers per interchange (statements built per
# call cost more than executing them)
_NEXT_COUNTER = (
    update(_COUNTERS)
    .where(
        _COUNTERS.c.partner_id == bindparam("c_partner"),
        _COUNTERS.c.name == bindparam("c_name"),
    )
    .values(value=_COUNTERS.c.value % bindparam("c_modulo") + 1)
    .returning(_COUNTERS.c.value)
)
_COUNTER_VALUE = select(_COUNTERS.c.value).where(
    _COUNTERS.c.partner_id == bindparam("c_partner"), _COUNTERS.c.name == bindparam("c_name")
)


def next_counter(session: Session, partner_id: str, name: str, *, modulo: int = 999_999_999) -> int:
    """Increment and return a per-partner counter, safely under concurrency.

    The UPDATE takes the row lock (PostgreSQL) or the database write lock (SQLite), so
    two workers never get the same number. Numbers wrap after ``modulo`` back to 1.
    """
    key = {"c_partner": partner_id, "c_name": name}
    for _ in range(3):
        result = session.execute(_NEXT_COUNTER, {**key, "c_modulo": modulo}).scalar()
        if result is not None:
            return int(result)
        try:
            with session.begin_nested():
                session.add(Counter(partner_id=partner_id, name=name, value=0))
        except IntegrityError:
            pass  # created concurrently; the UPDATE above will now find it
    value = session.execute(_COUNTER_VALUE, key).scalar_one()
    return int(value)


@cache
def _next_counters(count: int) -> Any:
    """``count`` counters of one partner incremented by one statement (each wrapping at
    its own modulo); their names and new values."""
    names: list[Any] = [bindparam(f"c_name{i}") for i in range(count)]
    modulo = case(
        *((_COUNTERS.c.name == names[i], bindparam(f"c_modulo{i}")) for i in range(count))
    )
    return (
        update(_COUNTERS)
        .where(_COUNTERS.c.partner_id == bindparam("c_partner"), _COUNTERS.c.name.in_(names))
        .values(value=_COUNTERS.c.value % modulo + 1)
        .returning(_COUNTERS.c.name, _COUNTERS.c.value)
    )


def next_counters(
    session: Session, partner_id: str, counters: Sequence[tuple[str, int]]
) -> list[int]:
    """Increment several per-partner counters (name, modulo) at once: their new values,
    in order; as :func:`next_counter` does for each, with one statement when they all
    exist (acknowledge takes three numbers per interchange, issue 21)."""
    params: dict[str, Any] = {"c_partner": partner_id}
    for i, (name, modulo) in enumerate(counters):
        params[f"c_name{i}"], params[f"c_modulo{i}"] = name, modulo
    taken = {
        row.name: int(row.value) for row in session.execute(_next_counters(len(counters)), params)
    }
    return [
        taken[name] if name in taken else next_counter(session, partner_id, name, modulo=modulo)
        for name, modulo in counters
    ]

"""The tamper-evident audit trail on SQLite and PostgreSQL.

Given events written the way the gateway writes them, the database itself refuses a raw
UPDATE, DELETE (and on PostgreSQL TRUNCATE) of the events table; with the triggers
dropped (as someone with full database rights could), ``audit verify`` finds the planted
change, removal or truncation and names the first broken event. The hashes are
recomputed here independently from the documented format (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from gateway.store.audit import add_event, add_events
from gateway.store.audit_trail import verify_chains
from gateway.store.db import make_engine, make_session_factory, migrate, session_scope
from gateway.store.models import AuditChainHead, Event, Message, Payload

DROP_TRIGGERS = {
    "sqlite": ["DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete"],
    "postgresql": [
        "DROP TRIGGER events_append_only ON events",
        "DROP TRIGGER events_no_truncate ON events",
    ],
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated store on SQLite or on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    made = make_engine(url)
    migrate(made)
    yield made
    made.dispose()


def write_history(engine: Engine, documents: int = 3, per_document: int = 4) -> list[str]:
    """Events of a few documents (one unit of work per event, like stages) plus operator
    actions without a document; returns the documents' correlation ids."""
    sessions = make_session_factory(engine)
    ids = [str(uuid.uuid4()) for _ in range(documents)]
    for step in range(per_document):
        for n, cid in enumerate(ids):
            with session_scope(sessions) as session:
                add_event(
                    session,
                    "parsed" if step else "received",
                    f"step {step} of document {n}",
                    message_id=n + 1,
                    transaction_id=10 + n,
                    state_from="received",
                    state_to="parsed",
                    correlation_id=cid,
                    data={"step": step, "lines": [1, 2], "note": "ünïcode"},
                )
    with session_scope(sessions) as session:
        add_event(session, "key_created", "key 'ops' (operator)", actor="cli:admin")
        add_event(session, "key_revoked", "key 'ops'", actor="cli:admin")
    return ids


def rows(engine: Engine) -> list[sa.Row[tuple[object, ...]]]:
    with engine.connect() as conn:
        return list(conn.execute(select(Event).order_by(Event.chain, Event.seq)))


def independent_hash(prev: str, row: dict[str, object]) -> str:
    """The documented format, written out again: SHA-256 of prev_hash, a newline and the
    canonical JSON (sorted keys, no spaces) of the content fields."""
    content = {
        key: row[key]
        for key in (
            "chain",
            "seq",
            "at",
            "actor",
            "kind",
            "partner_id",
            "message_id",
            "interchange_id",
            "transaction_id",
            "state_from",
            "state_to",
            "detail",
            "data",
            "correlation_id",
        )
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()


# ---------------------------------------------------------------------------------------
def test_events_are_chained_per_document(engine: Engine) -> None:
    ids = write_history(engine)
    chains: dict[str, list[sa.Row[tuple[object, ...]]]] = {}
    for row in rows(engine):
        chains.setdefault(row.chain, []).append(row)
    assert set(chains) == {f"doc:{cid}" for cid in ids} | {"gateway"}
    for chain in chains.values():
        assert [r.seq for r in chain] == list(range(1, len(chain) + 1))
        assert chain[0].prev_hash == "0" * 64
        for before, after in itertools.pairwise(chain):
            assert after.prev_hash == before.hash
    with engine.connect() as conn:
        heads = {h.chain: (h.seq, h.hash) for h in conn.execute(select(AuditChainHead))}
    assert heads == {k: (v[-1].seq, v[-1].hash) for k, v in chains.items()}
    report = verify_chains(engine)
    assert report.intact and report.events == 3 * 4 + 2 and report.chains == 4


def test_bulk_events_share_the_chain_with_orm_events(engine: Engine) -> None:
    """Given ORM events and bulk-inserted ones interleaved in one transaction (and a
    second transaction appending to the same chain), when verified, then each chain
    runs 1, 2, 3, ... without a gap, every link and head is right, and a bulk event
    naming only its message lands in its document's chain."""
    sessions = make_session_factory(engine)
    cid = str(uuid.uuid4())
    with session_scope(sessions) as session:
        session.add(Payload(sha256="0" * 64, size=1, storage="database", data=b"x"))
        session.flush()
        session.add(
            Message(id=7, transport="cli", payload_sha256="0" * 64, size=1, correlation_id=cid)
        )
    for round_ in range(2):
        with session_scope(sessions) as session:
            add_event(session, "split", "orm first", message_id=7, correlation_id=cid)
            add_events(
                session,
                [
                    {
                        "kind": "parsed",
                        "transaction_id": 20 + n,
                        "correlation_id": cid,
                        "state_from": "received",
                        "state_to": "parsed",
                        "data": {"n": n},
                    }
                    for n in range(3)
                ]
                + [{"kind": "validated", "message_id": 7, "detail": f"round {round_}"}],
            )
            add_event(session, "note", "orm after", correlation_id=cid, data={"r": round_})
            add_events(session, [{"kind": "orphan", "partner_id": "acme"}])
    chains: dict[str, list[sa.Row[tuple[object, ...]]]] = {}
    for row in rows(engine):
        chains.setdefault(row.chain, []).append(row)
    assert set(chains) == {f"doc:{cid}", "partner:acme"}
    assert len(chains[f"doc:{cid}"]) == 2 * 6
    for chain in chains.values():
        assert [r.seq for r in chain] == list(range(1, len(chain) + 1))
        for before, after in itertools.pairwise(chain):
            assert after.prev_hash == before.hash
    with engine.connect() as conn:
        heads = {h.chain: (h.seq, h.hash) for h in conn.execute(select(AuditChainHead))}
    assert heads == {k: (v[-1].seq, v[-1].hash) for k, v in chains.items()}
    report = verify_chains(engine)
    assert report.intact and report.events == 2 * 7 and report.chains == 2


def test_a_new_chain_starts_with_its_head_inserted(engine: Engine) -> None:
    """Given events that start a new document's chain (a correlation id just made), when
    added as a new chain, then its head is inserted as they leave it and the chain
    verifies; a chain that exists is refused, not forked."""
    sessions = make_session_factory(engine)
    cid = str(uuid.uuid4())
    events = [{"kind": "received", "correlation_id": cid, "detail": f"{n}"} for n in range(2)]
    with session_scope(sessions) as session:
        add_events(session, events, new_chain=True)
    with session_scope(sessions) as session:  # and later events follow on as always
        add_events(session, [{"kind": "split", "correlation_id": cid}])
    chain = [r for r in rows(engine) if r.chain == f"doc:{cid}"]
    assert [(r.seq, r.kind) for r in chain] == [(1, "received"), (2, "received"), (3, "split")]
    assert chain[0].prev_hash == "0" * 64
    with engine.connect() as conn:
        head = conn.execute(select(AuditChainHead.seq, AuditChainHead.hash)).one()
    assert tuple(head) == (3, chain[-1].hash)
    assert verify_chains(engine).intact
    with pytest.raises(sa.exc.IntegrityError), session_scope(sessions) as session:
        add_events(session, events, new_chain=True)
    with pytest.raises(ValueError, match="new_chain"), session_scope(sessions) as session:
        add_events(session, [*events, {"kind": "other", "partner_id": "acme"}], new_chain=True)
    assert len([r for r in rows(engine) if r.chain == f"doc:{cid}"]) == 3


def test_sqlite_moves_a_head_it_stored_last_without_reading_it(tmp_path: Path) -> None:
    """Given one SQLite database written by two engines (two processes) and a rolled-back
    transaction, when each appends to the same document's chain in turn, then an engine
    that stored the head last moves it with two statements (no upsert to read it), one
    that did not (or whose last head was rolled back) takes it as always, and the chain
    stays whole."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    first, second = make_engine(url), make_engine(url)
    migrate(first)
    cid = str(uuid.uuid4())
    statements: list[str] = []

    def count(_c: object, _cur: object, statement: str, *_: object) -> None:
        statements.append(statement.split(maxsplit=1)[0])

    def append(engine: Engine, detail: str, *, fail: bool = False) -> list[str]:
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            with session_scope(make_session_factory(engine)) as session:
                add_events(session, [{"kind": "note", "detail": detail, "correlation_id": cid}])
                if fail:
                    raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return list(statements)

    assert append(first, "1") == ["INSERT", "UPDATE", "INSERT"]  # a new chain: taken
    assert append(first, "2") == ["UPDATE", "INSERT"]  # its own head: moved at once
    assert append(second, "3") == ["INSERT", "UPDATE", "INSERT"]  # another process's
    # the first engine's last head is not the database's: tried, then taken as always
    assert append(first, "4") == ["UPDATE", "INSERT", "UPDATE", "INSERT"]
    append(first, "rolled back", fail=True)
    assert append(first, "5") == ["UPDATE", "INSERT", "UPDATE", "INSERT"]
    assert append(first, "6") == ["UPDATE", "INSERT"]
    chain = [r for r in rows(first) if r.chain == f"doc:{cid}"]
    assert [(r.seq, r.detail) for r in chain] == list(enumerate("123456", start=1))
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
    with first.connect() as conn:
        head = conn.execute(select(AuditChainHead.seq, AuditChainHead.hash)).one()
    assert tuple(head) == (6, chain[-1].hash)
    assert verify_chains(first).intact
    first.dispose()
    second.dispose()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET detail = 'nothing happened'", "DELETE FROM events WHERE kind = 'parsed'"],
)
def test_the_database_refuses_to_change_events(engine: Engine, statement: str) -> None:
    write_history(engine, documents=1, per_document=2)
    before = rows(engine)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert rows(engine) == before


@pytest.mark.postgres
def test_postgresql_refuses_truncate(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    migrate(engine)
    write_history(engine, documents=1, per_document=1)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE events")
    assert len(rows(engine)) == 3
    engine.dispose()


def plant(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for drop in DROP_TRIGGERS[engine.dialect.name]:
            conn.exec_driver_sql(drop)
        for statement in statements:
            conn.exec_driver_sql(statement)


def test_verify_finds_a_changed_row(engine: Engine) -> None:
    ids = write_history(engine)
    target = next(r for r in rows(engine) if r.chain == f"doc:{ids[1]}" and r.seq == 3)
    plant(engine, f"UPDATE events SET detail = 'quietly edited' WHERE id = {target.id}")
    report = verify_chains(engine)
    assert not report.intact
    first = report.first_break
    assert first is not None
    assert (first.event_id, first.chain, first.seq) == (target.id, f"doc:{ids[1]}", 3)
    assert "content does not match its hash" in first.reason
    assert len(report.breaks) == 1  # the other chains are intact


def test_verify_finds_a_changed_row_whose_hash_was_recomputed(engine: Engine) -> None:
    ids = write_history(engine)
    chain = [r for r in rows(engine) if r.chain == f"doc:{ids[0]}"]
    victim = chain[1]
    forged = dict(victim._mapping)
    forged["detail"] = "forged"
    forged["at"] = chain[1].at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    forged_hash = independent_hash(victim.prev_hash, forged)
    plant(
        engine,
        f"UPDATE events SET detail = 'forged', hash = '{forged_hash}' WHERE id = {victim.id}",
    )
    first = verify_chains(engine).first_break
    assert first is not None and first.event_id == chain[2].id
    assert "link to the previous row" in first.reason


def test_verify_finds_a_removed_row_and_a_cut_tail(engine: Engine) -> None:
    ids = write_history(engine)
    middle = next(r for r in rows(engine) if r.chain == f"doc:{ids[0]}" and r.seq == 2)
    tail = next(r for r in rows(engine) if r.chain == f"doc:{ids[2]}" and r.seq == 4)
    plant(engine, f"DELETE FROM events WHERE id IN ({middle.id}, {tail.id})")
    report = verify_chains(engine)
    by_chain = {b.chain: b for b in report.breaks}
    assert set(by_chain) == {f"doc:{ids[0]}", f"doc:{ids[2]}"}
    gap = by_chain[f"doc:{ids[0]}"]
    assert gap.seq == 3 and "sequence jumps from 1 to 3" in gap.reason
    cut = by_chain[f"doc:{ids[2]}"]
    assert cut.event_id is None and "ends at 3" in cut.reason
    assert report.first_break == gap


@pytest.mark.postgres
def test_concurrent_writers_keep_one_chain_consistent(postgres_url: str) -> None:
    """Four writers with their own connections append to the same document's chain and
    to their own at once; every chain stays gap-free and verifies."""
    engine = make_engine(postgres_url)
    migrate(engine)
    sessions = make_session_factory(engine)
    shared = str(uuid.uuid4())
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        own = str(uuid.uuid4())
        try:
            start.wait()
            for step in range(20):
                with session_scope(sessions) as session:
                    add_event(session, "shared", f"w{n} s{step}", correlation_id=shared)
                    add_event(session, "own", f"w{n} s{step}", correlation_id=own)
                    add_event(session, "shared", f"w{n} s{step}b", correlation_id=shared)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    seqs = [r.seq for r in rows(engine) if r.chain == f"doc:{shared}"]
    assert seqs == list(range(1, 4 * 20 * 2 + 1))
    report = verify_chains(engine)
    assert report.intact and report.chains == 5 and report.events == 4 * 20 * 3
    engine.dispose()


def test_migration_backfills_existing_events(tmp_path: Path) -> None:
    """Events written before the chain existed get their chain when 0003 runs."""
    from alembic import command

    from gateway.store.db import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        for n in range(5):
            conn.exec_driver_sql(
                "INSERT INTO events (at, actor, kind, detail, data, correlation_id, message_id)"
                f" VALUES ('2026-11-30 10:00:0{n}.000000', 'system', 'received', 'old {n}',"
                f" '{{\"n\": {n}}}', '{'a' if n % 2 else 'b'}', {n})"
            )
    migrate(engine)
    report = verify_chains(engine)
    assert report.intact and report.events == 5 and report.chains == 2
    write_history(engine, documents=1, per_document=1)
    assert verify_chains(engine).intact
    engine.dispose()


# ---------------------------------------------------------------------------------------
# the commands
# ---------------------------------------------------------------------------------------
def cli(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    from gateway.cli.main import app
    from gateway.settings import get_settings

    runner = CliRunner()
    env = {"EDIGW_DATA_DIR": str(tmp_path / "var"), "EDIGW_DATABASE_URL": ""}
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, list(args), env=env)
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.stdout, result.stderr


def test_audit_verify_and_export_commands(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'gateway.db'}")
    migrate(engine)
    write_history(engine)
    code, out, _ = cli(tmp_path, "audit", "verify")
    assert code == 0 and "intact: 14 event(s) in 4 chain(s)" in out

    # export: every line's hash recomputes from the line alone, links run per chain
    code, out, err = cli(tmp_path, "audit", "export", "--from", "2000-01-01", "--to", "2999-12-31")
    assert code == 0 and "14 event(s) exported" in err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == sorted(line["id"] for line in lines)
    last: dict[str, str] = {}
    for line in lines:
        assert line["hash"] == independent_hash(line["prev_hash"], line)
        assert line["prev_hash"] == last.get(line["chain"], "0" * 64)
        last[line["chain"]] = line["hash"]
    code, out, err = cli(tmp_path, "audit", "export", "--from", "2000-01-01", "--to", "2000-01-02")
    assert code == 0 and out == "" and "0 event(s) exported" in err
    code, _, err = cli(tmp_path, "audit", "export", "--from", "yesterday")
    assert code == 2 and "not a date" in err

    victim = rows(engine)[5]
    plant(engine, f"UPDATE events SET actor = 'someone else' WHERE id = {victim.id}")
    code, _, err = cli(tmp_path, "audit", "verify")
    assert code == 1
    assert f"first break: chain {victim.chain}: event {victim.id} (seq {victim.seq})" in err
    engine.dispose()


def test_a_new_as2_key_pair_is_an_audit_event(tmp_path: Path) -> None:
    code, _, err = cli(
        tmp_path,
        "certs",
        "new",
        "OURAS2ID",
        "--key",
        str(tmp_path / "our.key"),
        "--cert",
        str(tmp_path / "our.pem"),
    )
    assert code == 0, err
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'gateway.db'}")
    (event,) = [r for r in rows(engine) if r.kind == "certificate_created"]
    assert event.chain == "gateway" and event.actor.startswith("cli:")
    assert event.data["certificate"] == str(tmp_path / "our.pem")
    assert len(event.data["sha256_fingerprint"]) == 95  # 32 bytes as XX:XX:...
    assert verify_chains(engine).intact
    engine.dispose()


def test_profile_edits_are_recorded_when_a_process_starts(tmp_path: Path) -> None:
    from gateway.pipeline.build import build_runtime
    from gateway.pipeline.dispatch import InlineDispatcher
    from gateway.pipeline.profile_audit import record_profile_versions
    from gateway.settings import Settings

    profiles = tmp_path / "profiles"
    profiles.mkdir()
    profile = profiles / "acme.yaml"
    profile.write_text("id: acme\nname: ACME\nx12: {isa_qualifier: ZZ, isa_id: ACME}\n")

    def start() -> int:
        settings = Settings(
            data_dir=tmp_path / "var",
            database_url=None,
            profiles_dir=str(profiles),
            shipped_profiles=False,
        )
        runtime = build_runtime(settings, dispatcher=InlineDispatcher())
        try:
            return record_profile_versions(runtime)
        finally:
            runtime.engine.dispose()

    # given a first start, a restart without changes and one after an edit
    assert start() == 1
    assert start() == 0
    first = hashlib.sha256(profile.read_bytes()).hexdigest()
    profile.write_text(profile.read_text() + "mode: {usage: test}\n")
    assert start() == 1
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'gateway.db'}")
    events = [r for r in rows(engine) if r.kind.startswith("profile_")]
    assert [e.kind for e in events] == ["profile_loaded", "profile_changed"]
    assert events[1].data == {
        "file": str(profile),
        "sha256": hashlib.sha256(profile.read_bytes()).hexdigest(),
        "previous_sha256": first,
    }
    assert events[1].chain == "partner:acme" and verify_chains(engine).intact
    engine.dispose()

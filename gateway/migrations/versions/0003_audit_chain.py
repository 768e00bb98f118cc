"""Tamper-evident audit trail: events chained by hash, UPDATE/DELETE refused by triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

Existing events are back-filled into their chains in id order (the same chain and hash
as gateway/store/chain.py gives new rows), then the columns become NOT NULL and the
triggers are created. The downgrade drops the triggers and the chain columns.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from gateway.store.chain import GENESIS, chain_key, row_hash

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_REFUSE = "events are append-only: {op} refused by the audit trail"

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION edigw_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'events are append-only: ' || TG_OP || ' refused by the audit trail',
        ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""
POSTGRES_TRIGGERS = (
    "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION edigw_events_append_only()",
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION edigw_events_append_only()",
)
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER events_no_{op.lower()} BEFORE {op} ON events "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSE.format(op=op)}'); END"
    for op in ("UPDATE", "DELETE")
)


def create_triggers(bind: sa.Connection) -> None:
    """The database refuses to change or remove an event (used by tests, too)."""
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(POSTGRES_FUNCTION)
        for statement in POSTGRES_TRIGGERS:
            bind.exec_driver_sql(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            bind.exec_driver_sql(statement)


def drop_triggers(bind: sa.Connection) -> None:
    """Remove the triggers (downgrade, and tests that plant a break)."""
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS events_append_only ON events")
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS edigw_events_append_only()")
    else:
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS events_no_update")
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS events_no_delete")


def _backfill(bind: sa.Connection) -> None:
    events = sa.table(
        "events",
        *(
            sa.column(name)
            for name in (
                "id",
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
                "correlation_id",
                "chain",
                "seq",
                "prev_hash",
                "hash",
            )
        ),
        sa.column("data", sa.JSON()),
    )
    heads: dict[str, tuple[int, str]] = {}
    batch: list[dict[str, Any]] = []
    update = (
        events.update()
        .where(events.c.id == sa.bindparam("_id"))
        .values(
            chain=sa.bindparam("_chain"),
            seq=sa.bindparam("_seq"),
            prev_hash=sa.bindparam("_prev"),
            hash=sa.bindparam("_hash"),
        )
    )
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for row in rows:
        key = chain_key(
            correlation_id=row["correlation_id"],
            transaction_id=row["transaction_id"],
            message_id=row["message_id"],
            partner_id=row["partner_id"],
        )
        last_seq, prev = heads.get(key, (0, GENESIS))
        content = dict(row)
        content.update(chain=key, seq=last_seq + 1)
        digest = row_hash(prev, content)
        heads[key] = (last_seq + 1, digest)
        batch.append(
            {"_id": row["id"], "_chain": key, "_seq": last_seq + 1, "_prev": prev, "_hash": digest}
        )
        if len(batch) >= 1000:
            bind.execute(update, batch)
            batch.clear()
    if batch:
        bind.execute(update, batch)
    if heads:
        bind.execute(
            sa.table("audit_chain_heads", sa.column("chain"), sa.column("seq"), sa.column("hash"))
            .insert()
            .values(),
            [{"chain": k, "seq": seq, "hash": digest} for k, (seq, digest) in heads.items()],
        )


def upgrade() -> None:
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.String(length=128), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("chain", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    _backfill(bind)
    with op.batch_alter_table("events") as batch:
        batch.alter_column("chain", existing_type=sa.String(length=128), nullable=False)
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("uq_events_chain_seq", ["chain", "seq"])
    create_triggers(bind)


def downgrade() -> None:
    bind = op.get_bind()
    drop_triggers(bind)
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_chain_seq", type_="unique")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
        batch.drop_column("chain")
    op.drop_table("audit_chain_heads")

"""Asynchronous MDNs we owe partners, sent by the send_mdn stage

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "as2_async_mdns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("original_message_id", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.ForeignKeyConstraint(["body_sha256"], ["payloads.sha256"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("as2_async_mdns") as batch:
        batch.create_index("ix_as2_async_mdns_message_id", ["message_id"], unique=False)
        batch.create_index("ix_as2_async_mdns_partner_id", ["partner_id"], unique=False)
        batch.create_index("ix_as2_async_mdns_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("as2_async_mdns") as batch:
        batch.drop_index("ix_as2_async_mdns_state")
        batch.drop_index("ix_as2_async_mdns_partner_id")
        batch.drop_index("ix_as2_async_mdns_message_id")
    op.drop_table("as2_async_mdns")

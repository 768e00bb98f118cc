"""AS2 messages waiting for an asynchronous MDN

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "as2_pending_mdns",
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("mic", sa.String(length=255), nullable=False),
        sa.Column("mic_algorithm", sa.String(length=16), nullable=False),
        sa.Column("mdn_signed", sa.Boolean(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("message_id"),
    )
    with op.batch_alter_table("as2_pending_mdns") as batch:
        batch.create_index("ix_as2_pending_mdns_partner_id", ["partner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("as2_pending_mdns") as batch:
        batch.drop_index("ix_as2_pending_mdns_partner_id")
    op.drop_table("as2_pending_mdns")

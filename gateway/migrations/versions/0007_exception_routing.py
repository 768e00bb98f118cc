"""Business exceptions routed to people: owner group, assignee, severity, due time;
notifications (e-mail, webhook, Odoo activity)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("business_exceptions") as batch:
        batch.add_column(sa.Column("owner_group", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("assignee", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("severity", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_business_exceptions_owner_group", ["owner_group"], unique=False)
        batch.create_index("ix_business_exceptions_assignee", ["assignee"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exception_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=512), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["exception_id"], ["business_exceptions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.create_index("ix_notifications_exception_id", ["exception_id"], unique=False)
        batch.create_index("ix_notifications_state", ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("notifications")
    with op.batch_alter_table("business_exceptions") as batch:
        batch.drop_index("ix_business_exceptions_assignee")
        batch.drop_index("ix_business_exceptions_owner_group")
        batch.drop_column("due_at")
        batch.drop_column("severity")
        batch.drop_column("assignee")
        batch.drop_column("owner_group")

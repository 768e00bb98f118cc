"""Interchanges keep a compact envelope record from split (parse once, issue 21)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interchanges") as batch:
        batch.add_column(sa.Column("envelope", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interchanges") as batch:
        batch.drop_column("envelope")

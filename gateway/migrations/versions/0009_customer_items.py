"""Customers' own item numbers for our products (``edi-gateway xref import``)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("customer_part", sa.String(length=64), nullable=False),
        sa.Column("our_item", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner_id", "customer_part", name="uq_customer_item_part"),
    )
    with op.batch_alter_table("customer_items") as batch:
        batch.create_index("ix_customer_items_partner_id", ["partner_id"], unique=False)


def downgrade() -> None:
    op.drop_table("customer_items")

"""Outbound orders: documents we send and their cycle; exceptions about them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

``outbound_orders`` holds each Odoo record we send (written bytes, control numbers,
cycle state, timeline); ``outbound_cursors`` the poll's ``write_date`` per partner and
model. A business exception may now be about an order we sent instead of a received
transaction (``transaction_id`` nullable, ``outbound_order_id`` added).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbound_orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.Column("document_type", sa.String(32), nullable=False),
        sa.Column("odoo_model", sa.String(64), nullable=False),
        sa.Column("odoo_id", sa.Integer(), nullable=False),
        sa.Column("odoo_write_date", sa.String(32), nullable=True),
        sa.Column("business_key", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("syntax", sa.String(8), nullable=False),
        sa.Column("set_id", sa.String(8), nullable=False),
        sa.Column("map_name", sa.String(128), nullable=False),
        sa.Column("transport", sa.String(16), nullable=False),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.Column("interchange_control", sa.String(16), nullable=False),
        sa.Column("group_control", sa.String(16), nullable=False),
        sa.Column("transaction_control", sa.String(16), nullable=False),
        sa.Column("payload_sha256", sa.String(64), sa.ForeignKey("payloads.sha256"), nullable=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("document_hash", sa.String(64), nullable=False),
        sa.Column("transport_ref", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("timeline", sa.JSON(), nullable=False),
        sa.Column("overdue_raised", sa.JSON(), nullable=False),
        sa.Column("notes_pending", sa.JSON(), nullable=False),
        sa.Column("correlation_id", sa.String(36), nullable=False),
        sa.Column("requested_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("partner_id", "odoo_model", "odoo_id", name="uq_outbound_odoo_record"),
    )
    op.create_index("ix_outbound_orders_partner_id", "outbound_orders", ["partner_id"])
    op.create_index("ix_outbound_orders_business_key", "outbound_orders", ["business_key"])
    op.create_index("ix_outbound_orders_state", "outbound_orders", ["state"])
    op.create_index("ix_outbound_orders_correlation_id", "outbound_orders", ["correlation_id"])
    op.create_index(
        "ix_outbound_orders_controls", "outbound_orders", ["partner_id", "interchange_control"]
    )
    op.create_table(
        "outbound_cursors",
        sa.Column("partner_id", sa.String(64), primary_key=True),
        sa.Column("odoo_model", sa.String(64), primary_key=True),
        sa.Column("write_date", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("business_exceptions") as batch:
        batch.alter_column("transaction_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("outbound_order_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_business_exceptions_outbound_order",
            "outbound_orders",
            ["outbound_order_id"],
            ["id"],
        )
        batch.create_index("ix_business_exceptions_outbound_order_id", ["outbound_order_id"])


def downgrade() -> None:
    with op.batch_alter_table("business_exceptions") as batch:
        batch.drop_index("ix_business_exceptions_outbound_order_id")
        batch.drop_constraint("fk_business_exceptions_outbound_order", type_="foreignkey")
        batch.drop_column("outbound_order_id")
        batch.alter_column("transaction_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("outbound_cursors")
    op.drop_table("outbound_orders")

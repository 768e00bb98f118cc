"""Outbound changes: 860/ORDCHG change orders and cancellations of orders we sent

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

``outbound_changes`` holds each change or cancellation of an order in
``outbound_orders`` that was sent to the partner: its revision number, the written
bytes and control numbers (fixed before sending, as for the order), the change order
as canonical JSON, what changed in words, and where it stands (queued, sent, accepted,
rejected, failed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbound_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "outbound_order_id", sa.Integer(), sa.ForeignKey("outbound_orders.id"), nullable=False
        ),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("syntax", sa.String(8), nullable=False),
        sa.Column("set_id", sa.String(8), nullable=False),
        sa.Column("map_name", sa.String(128), nullable=False),
        sa.Column("interchange_control", sa.String(16), nullable=False),
        sa.Column("group_control", sa.String(16), nullable=False),
        sa.Column("transaction_control", sa.String(16), nullable=False),
        sa.Column("payload_sha256", sa.String(64), sa.ForeignKey("payloads.sha256"), nullable=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("transport_ref", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("outbound_order_id", "revision", name="uq_outbound_change_revision"),
    )
    op.create_index(
        "ix_outbound_changes_outbound_order_id", "outbound_changes", ["outbound_order_id"]
    )
    op.create_index("ix_outbound_changes_partner_id", "outbound_changes", ["partner_id"])
    op.create_index("ix_outbound_changes_state", "outbound_changes", ["state"])
    op.create_index(
        "ix_outbound_changes_controls", "outbound_changes", ["partner_id", "interchange_control"]
    )


def downgrade() -> None:
    op.drop_table("outbound_changes")

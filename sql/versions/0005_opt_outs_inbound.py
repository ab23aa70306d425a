"""opt-outs and inbound message de-duplication move into the core

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opt_outs",
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("phone_number"),
    )
    op.create_table(
        "inbound_messages",
        sa.Column("message_sid", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("route", sa.String(length=40), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("message_sid"),
    )
    op.create_index("ix_inbound_messages_received", "inbound_messages", ["received_at"])
    # Helpers who texted STOP before: their opt-out now binds every text the product sends.
    op.execute(
        "INSERT INTO opt_outs (phone_number, opted_out_at, source) "
        "SELECT phone, created_at, 'sms' FROM dispatch_helpers WHERE status = 'opted_out'"
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_messages_received", table_name="inbound_messages")
    op.drop_table("inbound_messages")
    op.drop_table("opt_outs")

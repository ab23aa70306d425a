"""inbound texts are de-duplicated by the core (inbound_messages); dispatch's own table goes

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Helpers' texts handled before keep their stored reply: a redelivery across the upgrade
    # still acts only once.
    op.execute(
        "INSERT INTO inbound_messages (message_sid, received_at, route, reply) "
        "SELECT d.message_sid, d.created_at, 'helpers', d.reply FROM dispatch_inbound d "
        "WHERE NOT EXISTS (SELECT 1 FROM inbound_messages m WHERE m.message_sid = d.message_sid)"
    )
    op.drop_table("dispatch_inbound")


def downgrade() -> None:
    op.create_table(
        "dispatch_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_sid", sa.String(length=64), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["helper_id"], ["dispatch_helpers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_sid"),
    )

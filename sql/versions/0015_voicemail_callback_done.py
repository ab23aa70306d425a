"""voicemails called back: when and by whom a voicemail was marked done

Revision ID: 0015
Revises: 0023

The Today page lists voicemails still to call back; a coordinator marks one done, and the
call keeps when and by which account (emptied if the account is deleted).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("callback_done_at", sa.DateTime()))
        batch.add_column(sa.Column("callback_done_by_id", sa.Integer()))
        batch.create_foreign_key(
            "fk_calls_callback_done_by",
            "roster_users",
            ["callback_done_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint("fk_calls_callback_done_by", type_="foreignkey")
        batch.drop_column("callback_done_by_id")
        batch.drop_column("callback_done_at")

"""calls are bridged in a conference and can be escalated to a third person

Revision ID: 0021
Revises: 0018

``calls.conference_at``: when the accepting operator's leg was moved into the call's
conference (``call-<id>``), so the caller's ``<Dial>`` action puts the caller there too.
``calls.escalated_at`` / ``escalation_target`` / ``escalation_joined_at``: the operator asked
for a third person (another operator, the coordination, the emergency number) and when that
person joined. ``lines.emergency_number``: where a line may escalate to the emergency
services; unset (the default) means it may not.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("conference_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("escalation_target", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("escalation_joined_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("lines") as batch:
        batch.add_column(sa.Column("emergency_number", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.drop_column("emergency_number")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("escalation_joined_at")
        batch.drop_column("escalation_target")
        batch.drop_column("escalated_at")
        batch.drop_column("conference_at")

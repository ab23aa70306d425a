"""lines carry a service-level target for staffing from demand

Revision ID: 0012
Revises: 0007

Each line says which share of its callers should be answered within how many seconds
(80 % within 20 s unless changed); the week view sizes staffing against it with Erlang C.
A line setting, not an environment variable, because a night line with three volunteers
and a busy daytime line promise their callers different things.

The chain on this branch ends at 0007; 0008–0011 come from other branches and are put in
order when they are merged.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.add_column(
            sa.Column("service_level_percent", sa.Integer(), nullable=False, server_default="80")
        )
        batch.add_column(
            sa.Column("service_level_seconds", sa.Integer(), nullable=False, server_default="20")
        )


def downgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.drop_column("service_level_seconds")
        batch.drop_column("service_level_percent")

"""sessions are revocable: a per-account session generation

Revision ID: 0007
Revises: 0006

Every signed-in session carries its account's generation; signing out, a password change
or deactivation raise it, which ends every session of that account.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roster_users") as batch:
        batch.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("roster_users") as batch:
        batch.drop_column("session_generation")

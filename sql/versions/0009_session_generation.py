"""sessions are revocable: a per-account session generation

Revision ID: 0009
Revises: 0008

Every signed-in session carries its account's generation; signing out, a password change
or deactivation raise it, which ends every session of that account.
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0009"
# The revision before this one is 0008. Until 0006–0008 (developed alongside) are merged,
# the newest of them present here is revised instead, so the chain stays whole either way.
down_revision = next(
    (
        previous
        for previous in ("0008", "0007", "0006")
        if any(Path(__file__).parent.glob(f"{previous}_*.py"))
    ),
    "0005",
)
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

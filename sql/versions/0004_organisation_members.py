"""organisation members are roster accounts (no more organisation tokens); rejections

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatch_organisation_members",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["roster_users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["dispatch_organisations.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index(
        op.f("ix_dispatch_organisation_members_organisation_id"),
        "dispatch_organisation_members",
        ["organisation_id"],
        unique=False,
    )
    # Sign-in is by member accounts now; the interim organisation tokens go away.
    with op.batch_alter_table("dispatch_organisations") as batch:
        batch.add_column(sa.Column("rejected_at", sa.DateTime(), nullable=True))
        batch.drop_column("token_hash")


def downgrade() -> None:
    with op.batch_alter_table("dispatch_organisations") as batch:
        batch.drop_column("rejected_at")
        # Old organisations get a random placeholder; their members need new tokens.
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE dispatch_organisations SET token_hash = 'revoked-' || CAST(id AS VARCHAR(20))"
    )
    with op.batch_alter_table("dispatch_organisations") as batch:
        batch.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("dispatch_organisations_token_hash_key", ["token_hash"])
    op.drop_index(
        op.f("ix_dispatch_organisation_members_organisation_id"),
        table_name="dispatch_organisation_members",
    )
    op.drop_table("dispatch_organisation_members")

"""blocked callers: per line, by salted caller hash, with expiry and an audit trail

Revision ID: 0013
Revises: 0008

Operators block an abusive caller by SMS; coordinators lift and extend blocks. Blocks name
the caller only by the salted hash of their number, so they outlive number retention.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "caller_blocks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "line_id", sa.Integer(), sa.ForeignKey("lines.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("caller_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("lifted_at", sa.DateTime()),
        sa.Column("created_by", sa.String(160), nullable=False),
    )
    op.create_index("ix_caller_blocks_line_caller", "caller_blocks", ["line_id", "caller_hash"])
    op.create_index("ix_caller_blocks_until", "caller_blocks", ["until"])
    op.create_table(
        "caller_block_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("block_id", sa.Integer(), sa.ForeignKey("caller_blocks.id", ondelete="SET NULL")),
        sa.Column("line_id", sa.Integer(), sa.ForeignKey("lines.id", ondelete="SET NULL")),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("roster_users.id", ondelete="SET NULL")),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_caller_block_audit_block_id", "caller_block_audit", ["block_id"])


def downgrade() -> None:
    op.drop_index("ix_caller_block_audit_block_id", "caller_block_audit")
    op.drop_table("caller_block_audit")
    op.drop_index("ix_caller_blocks_until", "caller_blocks")
    op.drop_index("ix_caller_blocks_line_caller", "caller_blocks")
    op.drop_table("caller_blocks")

"""shift confirmations by SMS; declined shifts become open shifts offered with a code

Revision ID: 0018
Revises: 0015

A shift a planner assigns is texted to its operator, who answers ``OK`` or ``NEIN``; a
declined shift becomes an open shift with a short code that suitable operators text back
(``NEHMEN <code>``) to take it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_shift_confirmations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shift_id", sa.Integer(), sa.ForeignKey("shifts.id", ondelete="SET NULL")),
        sa.Column(
            "operator_id",
            sa.Integer(),
            sa.ForeignKey("operators.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "declined",
                name="confirmation_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime()),
        sa.Column("declined_at", sa.DateTime()),
        sa.UniqueConstraint("shift_id", "operator_id"),
    )
    op.create_index(
        "ix_roster_shift_confirmations_operator",
        "roster_shift_confirmations",
        ["operator_id", "status"],
    )
    with op.batch_alter_table("roster_open_shifts") as batch:
        batch.add_column(sa.Column("code", sa.String(8)))
        batch.add_column(sa.Column("declined_by_id", sa.Integer()))
        batch.create_unique_constraint("uq_roster_open_shifts_code", ["code"])
        batch.create_foreign_key(
            "fk_roster_open_shifts_declined_by",
            "operators",
            ["declined_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("roster_open_shifts") as batch:
        batch.drop_constraint("fk_roster_open_shifts_declined_by", type_="foreignkey")
        batch.drop_constraint("uq_roster_open_shifts_code", type_="unique")
        batch.drop_column("declined_by_id")
        batch.drop_column("code")
    op.drop_index("ix_roster_shift_confirmations_operator", "roster_shift_confirmations")
    op.drop_table("roster_shift_confirmations")

"""walk-home line: accompaniments, call-backs through the hotline, call notes

Revision ID: 0020
Revises: 0022

A bridged call on a walk-home line is accompanied until the person has arrived (or the call
dropped, was reconnected or escalated); operators call their last caller back through the
line (the caller's number is read from the call record while it is retained, never copied);
operators note a category and a short text after a call.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0022"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "accompaniments",
        sa.Column(
            "call_id",
            sa.Integer(),
            sa.ForeignKey("calls.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("operators.id", ondelete="SET NULL")),
        sa.Column(
            "state",
            _enum(
                "accompaniment_state",
                "accompanying",
                "arrived",
                "dropped",
                "dropped_reconnected",
                "escalated",
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime()),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("arrived_at", sa.DateTime()),
    )
    op.create_index("ix_accompaniments_operator_id", "accompaniments", ["operator_id"])
    op.create_index("ix_accompaniments_state_changed", "accompaniments", ["state", "changed_at"])
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "call_id", sa.Integer(), sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "operator_id",
            sa.Integer(),
            sa.ForeignKey("operators.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "state",
            _enum(
                "callback_state",
                "queued",
                "screening",
                "connecting",
                "bridged",
                "ended",
                "declined",
                "no_answer",
            ),
            nullable=False,
        ),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("operator_call_sid", sa.String(64)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("bridged_at", sa.DateTime()),
        sa.Column("ended_at", sa.DateTime()),
    )
    op.create_index("ix_callbacks_call_created", "callbacks", ["call_id", "created_at"])
    op.create_table(
        "call_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "call_id", sa.Integer(), sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("operators.id", ondelete="SET NULL")),
        sa.Column(
            "category",
            _enum("note_category", "heimweg", "gespraech", "info", "krise", "technik", "sonstiges"),
            nullable=False,
        ),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_call_notes_call_id", "call_notes", ["call_id"])
    op.create_index("ix_call_notes_created_at", "call_notes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_call_notes_created_at", "call_notes")
    op.drop_index("ix_call_notes_call_id", "call_notes")
    op.drop_table("call_notes")
    op.drop_index("ix_callbacks_call_created", "callbacks")
    op.drop_table("callbacks")
    op.drop_index("ix_accompaniments_state_changed", "accompaniments")
    op.drop_index("ix_accompaniments_operator_id", "accompaniments")
    op.drop_table("accompaniments")

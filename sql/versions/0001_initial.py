"""initial schema

Revision ID: 0001
Revises:

"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("flow", sa.String(length=80), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("fallback_number", sa.String(length=20), nullable=True),
        sa.Column("partner", sa.String(length=120), nullable=True),
        sa.Column(
            "ring_strategy",
            sa.Enum(
                "simultaneous", "sequential", name="ring_strategy", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("ring_timeout", sa.Integer(), nullable=False),
        sa.Column("show_caller_number", sa.Boolean(), nullable=False),
        sa.Column("queue_timeout", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("language_codes", sa.String(length=60), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "paused", name="operator_status", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("last_call_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone_number"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["done_at", "created_at"], unique=False)

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("caller_hash", sa.String(length=64), nullable=False),
        sa.Column("caller_number", sa.String(length=20), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("menu_path", sa.Text(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("wait_seconds", sa.Integer(), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "answered",
                "abandoned",
                "voicemail",
                "after_hours",
                "fallback",
                name="call_outcome",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("twilio_status", sa.String(length=20), nullable=True),
        sa.Column("ring_round", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=True),
        sa.Column("queue_left_at", sa.DateTime(), nullable=True),
        sa.Column("fallback_at", sa.DateTime(), nullable=True),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("recording_seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["operators.id"],
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["lines.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_sid"),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_caller_hash"), ["caller_hash"], unique=False)
        batch_op.create_index("ix_calls_line_started", ["line_id", "started_at"], unique=False)
        batch_op.create_index("ix_calls_open_answered", ["ended_at", "answered_at"], unique=False)

    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("line_id", "date"),
    )
    op.create_table(
        "coordinators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("coordinators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coordinators_line_id"), ["line_id"], unique=False)

    op.create_table(
        "opening_spans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opening_spans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opening_spans_line_id"), ["line_id"], unique=False)

    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("local_start", sa.DateTime(), nullable=False),
        sa.Column("local_end", sa.DateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="shift_positive"),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shifts_line_start", ["line_id", "starts_at", "ends_at"], unique=False
        )
        batch_op.create_index(
            "ix_shifts_operator_start", ["operator_id", "starts_at"], unique=False
        )

    op.create_table(
        "call_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "ringing", "accepted", "declined", name="leg_state", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_id", "operator_id", "round"),
    )
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_legs_call_id"), ["call_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_legs_call_id"))

    op.drop_table("call_legs")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_shifts_operator_start")
        batch_op.drop_index("ix_shifts_line_start")

    op.drop_table("shifts")
    with op.batch_alter_table("opening_spans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opening_spans_line_id"))

    op.drop_table("opening_spans")
    with op.batch_alter_table("coordinators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coordinators_line_id"))

    op.drop_table("coordinators")
    op.drop_table("closures")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_open_answered")
        batch_op.drop_index("ix_calls_line_started")
        batch_op.drop_index(batch_op.f("ix_calls_caller_hash"))

    op.drop_table("calls")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    op.drop_table("operators")
    op.drop_table("lines")

"""dispatch (helpers, organisations, tickets, offers)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatch_helpers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("radius_km", sa.Integer(), nullable=False),
        sa.Column("activity_codes", sa.String(length=200), nullable=False),
        sa.Column("language_codes", sa.String(length=100), nullable=False),
        sa.Column("availability", sa.JSON(), nullable=False),
        sa.Column("max_per_week", sa.Integer(), nullable=False),
        sa.Column("preferred_language", sa.String(length=8), nullable=False),
        sa.Column("consent_at", sa.DateTime(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active", "paused", "opted_out", name="helper_status", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("last_asked_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone"),
    )
    op.create_table(
        "dispatch_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "dispatch_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("contact_email", sa.String(length=200), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "dispatch_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "phone",
                "operator",
                "organisation",
                name="ticket_source",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column(
            "activity",
            sa.Enum(
                "shopping",
                "errands",
                "phone_company",
                "accompaniment",
                "translation",
                "other",
                name="activity",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("language_codes", sa.String(length=100), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("requester_first_name", sa.String(length=120), nullable=False),
        sa.Column("requester_phone", sa.String(length=20), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "filled", "closed", name="ticket_status", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("waves_sent", sa.Integer(), nullable=False),
        sa.Column("max_waves", sa.Integer(), nullable=False),
        sa.Column("next_wave_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("filled_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["dispatch_organisations.id"], ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_sid"),
        sa.UniqueConstraint("reference"),
    )
    op.create_table(
        "dispatch_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_sid", sa.String(length=64), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["helper_id"], ["dispatch_helpers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_sid"),
    )
    op.create_table(
        "dispatch_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                "too_late",
                "withdrawn",
                "stood_down",
                "unreachable",
                name="offer_state",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["helper_id"], ["dispatch_helpers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["dispatch_tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "helper_id"),
        sa.UniqueConstraint("token"),
    )
    op.create_table(
        "dispatch_intakes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.String(length=20), nullable=False),
        sa.Column("caller_number", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("on_failure", sa.String(length=80), nullable=True),
        sa.Column("activity", sa.String(length=20), nullable=True),
        sa.Column("postal_code", sa.String(length=5), nullable=True),
        sa.Column("when", sa.String(length=10), nullable=True),
        sa.Column("callback", sa.String(length=20), nullable=True),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["dispatch_tickets.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_sid"),
    )
    op.create_table(
        "dispatch_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("to", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                "skipped",
                name="dispatch_message_state",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=True),
        sa.Column("sid", sa.String(length=64), nullable=True),
        sa.Column("delivery_status", sa.String(length=20), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["helper_id"], ["dispatch_helpers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["offer_id"], ["dispatch_offers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["dispatch_tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sa.UniqueConstraint("sid"),
    )
    op.create_index("ix_dispatch_helpers_geo", "dispatch_helpers", ["lat", "lon"], unique=False)
    op.create_index(op.f("ix_dispatch_signups_phone"), "dispatch_signups", ["phone"], unique=False)
    op.create_index(
        "ix_dispatch_tickets_status_wave",
        "dispatch_tickets",
        ["status", "next_wave_at"],
        unique=False,
    )
    op.create_index(
        "ix_dispatch_offers_helper_created",
        "dispatch_offers",
        ["helper_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dispatch_offers_ticket_id"), "dispatch_offers", ["ticket_id"], unique=False
    )
    op.create_index(
        "ix_dispatch_messages_ticket_state",
        "dispatch_messages",
        ["ticket_id", "state"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("dispatch_messages")
    op.drop_table("dispatch_intakes")
    op.drop_table("dispatch_offers")
    op.drop_table("dispatch_inbound")
    op.drop_table("dispatch_tickets")
    op.drop_table("dispatch_organisations")
    op.drop_table("dispatch_signups")
    op.drop_table("dispatch_helpers")

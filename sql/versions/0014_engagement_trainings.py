"""trainings, long-term engagement profiles and matches, the helpers' time budget

Revision ID: 0014
Revises: 0013

Helpers' trainings and the trainings an activity requires (waves skip helpers without
them); organisations' requirement profiles for regular engagement and the helpers matched
to them; the hours per week a helper can give.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ACTIVITIES = ("shopping", "errands", "phone_company", "accompaniment", "translation", "other")


def _activity() -> sa.Enum:
    return sa.Enum(*ACTIVITIES, name="activity", native_enum=False, length=20)


def upgrade() -> None:
    with op.batch_alter_table("dispatch_helpers") as batch:
        batch.add_column(sa.Column("hours_per_week", sa.Float(), nullable=True))
    op.create_table(
        "dispatch_helper_trainings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["helper_id"], ["dispatch_helpers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_dispatch_helper_trainings_helper_id", "dispatch_helper_trainings", ["helper_id"]
    )
    op.create_table(
        "dispatch_activity_trainings",
        sa.Column("activity", _activity(), nullable=False),
        sa.Column("training_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("activity", "training_name"),
    )
    op.create_table(
        "dispatch_engagement_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("activity", _activity(), nullable=False),
        sa.Column("skill_names", sa.String(length=300), nullable=False),
        sa.Column("language_codes", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("radius_km", sa.Integer(), nullable=False),
        sa.Column("hours_per_week", sa.Float(), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "closed", name="engagement_profile_status", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["dispatch_organisations.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_dispatch_engagement_profiles_organisation_id",
        "dispatch_engagement_profiles",
        ["organisation_id"],
    )
    op.create_table(
        "dispatch_engagement_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "active",
                "paused",
                "ended",
                name="engagement_match_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.Column("hours_per_week", sa.Float(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("paused_on", sa.Date(), nullable=True),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["dispatch_engagement_profiles.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["helper_id"], ["dispatch_helpers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("profile_id", "helper_id"),
    )
    op.create_index(
        "ix_dispatch_engagement_matches_profile_id", "dispatch_engagement_matches", ["profile_id"]
    )
    op.create_index(
        "ix_dispatch_engagement_matches_helper_id", "dispatch_engagement_matches", ["helper_id"]
    )


def downgrade() -> None:
    op.drop_table("dispatch_engagement_matches")
    op.drop_table("dispatch_engagement_profiles")
    op.drop_table("dispatch_activity_trainings")
    op.drop_table("dispatch_helper_trainings")
    with op.batch_alter_table("dispatch_helpers") as batch:
        batch.drop_column("hours_per_week")

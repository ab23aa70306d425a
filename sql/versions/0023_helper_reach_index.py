"""the helpers' location index covers what matching reads

Revision ID: 0023
Revises: 0014

Matching a ticket reads, for every helper in the ticket's bounding box, the status,
radius, weekly cap, last time asked, activities and languages. With these columns in the
index beside (lat, lon), PostgreSQL answers from the index alone instead of visiting
thousands of rows scattered over the table (helpers lie in sign-up order, not by place).
SQLite keeps the plain (lat, lon) index.
"""

from alembic import op

revision = "0023"
down_revision = "0014"
branch_labels = None
depends_on = None

REACH_COLUMNS = [
    "id",
    "status",
    "radius_km",
    "max_per_week",
    "last_asked_at",
    "activity_codes",
    "language_codes",
]


def upgrade() -> None:
    op.drop_index("ix_dispatch_helpers_geo", table_name="dispatch_helpers")
    op.create_index(
        "ix_dispatch_helpers_reach",
        "dispatch_helpers",
        ["lat", "lon"],
        postgresql_include=REACH_COLUMNS,
    )


def downgrade() -> None:
    op.drop_index("ix_dispatch_helpers_reach", table_name="dispatch_helpers")
    op.create_index("ix_dispatch_helpers_geo", "dispatch_helpers", ["lat", "lon"])

"""helpers carry a grid cell, and matching reads the cells of a ticket's radius box

Revision ID: 0026
Revises: 0017

The (lat, lon) index of 0023 narrows latitude only: for a 50 km box around Berlin
PostgreSQL reads every helper in a band of latitude across the whole country and drops the
ones outside the box's longitudes. ``cell`` (0.1° × 0.1°, ``dispatch.models.CELL_SQL``) is a
generated column, so every insert, COPY and move keeps it right; its index carries what
matching reads, keyed (cell, radius_km): a ticket's box is an index-only scan of its cells
alone, a far cell only from the radius that reaches the ticket from there. It replaces the
(lat, lon) index, which nothing else reads: with both, PostgreSQL combined the two into a
bitmap scan that visited tens of thousands of rows (it takes cell and box for independent).

PostgreSQL stores the column (its generated columns are stored); SQLite computes it on
read (ALTER TABLE may add only virtual generated columns there) and indexes it all the same.
Building the column and the index on a big table takes longer than the app's statement
timeout, which is lifted for this migration's transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0017"
branch_labels = None
depends_on = None

CELL_SQL = "CAST(floor(lat * 10) AS INTEGER) * 10000 + CAST(floor(lon * 10) AS INTEGER)"
CELL_INCLUDE = [
    "lat",
    "lon",
    "id",
    "status",
    "max_per_week",
    "last_asked_at",
    "activity_codes",
    "language_codes",
]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("SET LOCAL statement_timeout = 0")
    op.add_column(
        "dispatch_helpers",
        sa.Column("cell", sa.Integer(), sa.Computed(CELL_SQL, persisted=postgresql)),
    )
    op.drop_index("ix_dispatch_helpers_reach", table_name="dispatch_helpers")
    op.create_index(
        "ix_dispatch_helpers_cell",
        "dispatch_helpers",
        ["cell", "radius_km"],
        postgresql_include=CELL_INCLUDE,
    )


def downgrade() -> None:
    op.drop_index("ix_dispatch_helpers_cell", table_name="dispatch_helpers")
    op.create_index(
        "ix_dispatch_helpers_reach",
        "dispatch_helpers",
        ["lat", "lon"],
        postgresql_include=["id", "status", "radius_km", *CELL_INCLUDE[4:]],
    )
    with op.batch_alter_table("dispatch_helpers") as batch:
        batch.drop_column("cell")

"""lines may close on the public holidays of a German federal state

Revision ID: 0017
Revises: 0020

A coordinator picks a federal state ("NI", "BY" …) on the line's settings page; the
opening-hours check then treats that state's public holidays (from the ``holidays``
package) like closures, so nobody has to type in every Christmas. NULL keeps only the
listed closures, as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.add_column(sa.Column("holiday_state", sa.String(8)))


def downgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.drop_column("holiday_state")

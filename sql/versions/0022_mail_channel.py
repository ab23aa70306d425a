"""e-mail as a channel: addresses in the outbound pipeline, the e-mail opt-out and bounce
list, the helpers' channel preference

Revision ID: 0022
Revises: 0021

Outbound messages get a subject and room for e-mail addresses (``to``, ``sender``) and
Message-IDs (``sid``); ``mail_addresses`` keeps unsubscribed and bounced addresses; a
helper chooses SMS, e-mail or both (``channel_codes``, comma-wrapped like the activities,
so a further channel needs no migration).
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.alter_column("to", type_=sa.String(254), existing_type=sa.String(20))
        batch.alter_column("sender", type_=sa.String(254), existing_type=sa.String(20))
        batch.alter_column("sid", type_=sa.String(255), existing_type=sa.String(64))
        batch.add_column(sa.Column("subject", sa.String(200), nullable=True))
    op.create_table(
        "mail_addresses",
        sa.Column("address", sa.String(254), primary_key=True),
        sa.Column("opted_out_at", sa.DateTime(), nullable=True),
        sa.Column("opt_out_source", sa.String(20), nullable=True),
        sa.Column("unreachable_at", sa.DateTime(), nullable=True),
        sa.Column("bounce_status", sa.String(20), nullable=True),
        sa.Column("soft_bounces", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_bounce_at", sa.DateTime(), nullable=True),
    )
    with op.batch_alter_table("dispatch_helpers") as batch:
        batch.add_column(
            sa.Column("channel_codes", sa.String(40), nullable=False, server_default=",sms,")
        )


def downgrade() -> None:
    with op.batch_alter_table("dispatch_helpers") as batch:
        batch.drop_column("channel_codes")
    op.drop_table("mail_addresses")
    op.execute("UPDATE outbound_messages SET channel = 'sms' WHERE channel = 'email'")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("subject")
        batch.alter_column("sid", type_=sa.String(64), existing_type=sa.String(255))
        batch.alter_column("sender", type_=sa.String(20), existing_type=sa.String(254))
        batch.alter_column("to", type_=sa.String(20), existing_type=sa.String(254))

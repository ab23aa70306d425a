"""one outbound message table for every text and call (dispatch_messages moves into it)

Revision ID: 0008
Revises: 0012

Existing dispatch texts are carried over with their keys, states, provider ids and delivery
statuses, so nothing already sent is sent again and pending ones go out. Their kind and
priority follow from the key (``offer:`` → a bulk offer, ``call:requester:`` → a call …),
their ticket, offer and helper ids move into ``refs``, their batch is their ticket, and their
sender is ``DISPATCH_SMS_FROM`` from the environment of the migration (``Rufbereit`` when
unset), which is what they would have been sent from.
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0012"
branch_labels = None
depends_on = None

STATES = ("pending", "sending", "sent", "failed", "skipped")
#: Key prefix → (kind, priority, channel) of the texts dispatch stored before.
KINDS = (
    ("offer:", "dispatch_offer", "bulk", "sms"),
    ("standdown:", "dispatch_stand_down", "bulk", "sms"),
    ("signup:", "dispatch_signup_code", "bulk", "sms"),
    ("details:", "dispatch_details", "default", "sms"),
    ("requester:", "dispatch_requester", "default", "sms"),
    ("call:requester:", "dispatch_requester_call", "default", "call"),
    ("coordinator-", "dispatch_coordinator", "default", "sms"),
)
CHUNK = 1000


def _kind(key: str) -> tuple[str, str, str]:
    for prefix, kind, priority, channel in KINDS:
        if key.startswith(prefix):
            return kind, priority, channel
    return "dispatch_coordinator", "default", "sms"


def _times(*names: str) -> list[sa.ColumnClause]:
    """Typed, so SQLite hands back datetimes rather than their text."""
    return [sa.column(name, sa.DateTime()) for name in names]


def _state_enum(name: str) -> sa.Enum:
    return sa.Enum(*STATES, name=name, native_enum=False, length=20)


def upgrade() -> None:
    outbound = op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("sms", "call", name="message_channel", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("to", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("ring_seconds", sa.Integer(), nullable=True),
        sa.Column("batch", sa.String(length=40), nullable=True),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.Column("state", _state_enum("outbound_message_state"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sid", sa.String(length=64), nullable=True),
        sa.Column("delivery_status", sa.String(length=20), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sa.UniqueConstraint("sid"),
    )
    op.create_index(
        "ix_outbound_messages_due", "outbound_messages", ["state", "priority", "not_before"]
    )
    op.create_index("ix_outbound_messages_batch", "outbound_messages", ["batch", "claimed_at"])

    bind = op.get_bind()
    old = sa.table(
        "dispatch_messages",
        *(
            sa.column(name)
            for name in (
                "id",
                "key",
                "ticket_id",
                "offer_id",
                "helper_id",
                "to",
                "body",
                "state",
                "attempts",
                "sid",
                "delivery_status",
                "error_code",
            )
        ),
        *_times("not_before", "created_at", "sent_at"),
    )
    sender = (os.environ.get("DISPATCH_SMS_FROM") or "Rufbereit")[:20]
    rows = bind.execute(sa.select(old).order_by(old.c.id)).mappings().all()
    for start in range(0, len(rows), CHUNK):
        batch = []
        for row in rows[start : start + CHUNK]:
            kind, priority, channel = _kind(row["key"])
            refs = {
                name: row[name]
                for name in ("ticket_id", "offer_id", "helper_id")
                if row[name] is not None
            }
            batch.append(
                {
                    "id": row["id"],
                    "key": row["key"],
                    "kind": kind,
                    "channel": channel,
                    "priority": priority,
                    "sender": sender,
                    "to": row["to"],
                    "body": row["body"],
                    "batch": f"ticket:{row['ticket_id']}" if row["ticket_id"] else None,
                    "refs": refs,
                    "state": row["state"],
                    "attempts": row["attempts"],
                    "not_before": row["not_before"],
                    "claimed_at": row["sent_at"],
                    "sid": row["sid"],
                    "delivery_status": row["delivery_status"],
                    "error_code": row["error_code"],
                    "created_at": row["created_at"],
                    "sent_at": row["sent_at"],
                }
            )
        op.bulk_insert(outbound, batch)
    if rows and bind.dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('outbound_messages', 'id'), "
            "(SELECT max(id) FROM outbound_messages))"
        )
    op.drop_index("ix_dispatch_messages_ticket_state", table_name="dispatch_messages")
    op.drop_table("dispatch_messages")


def downgrade() -> None:
    """Dispatch's texts go back to ``dispatch_messages`` (references to rows that no longer
    exist are dropped); every other feature's messages are lost."""
    old = op.create_table(
        "dispatch_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("to", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", _state_enum("dispatch_message_state"), nullable=False),
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
    op.create_index(
        "ix_dispatch_messages_ticket_state", "dispatch_messages", ["ticket_id", "state"]
    )
    bind = op.get_bind()
    existing = {
        table: set(bind.execute(sa.text(f"SELECT id FROM {table}")).scalars())
        for table in ("dispatch_tickets", "dispatch_offers", "dispatch_helpers")
    }
    ref_tables = {
        "ticket_id": "dispatch_tickets",
        "offer_id": "dispatch_offers",
        "helper_id": "dispatch_helpers",
    }
    outbound = sa.table(
        "outbound_messages",
        sa.column("refs", sa.JSON()),
        *(
            sa.column(name)
            for name in (
                "id",
                "key",
                "kind",
                "to",
                "body",
                "state",
                "attempts",
                "sid",
                "delivery_status",
                "error_code",
            )
        ),
        *_times("not_before", "created_at", "sent_at"),
    )
    rows = (
        bind.execute(
            sa.select(outbound)
            .where(outbound.c.kind.like("dispatch_%"), sa.func.length(outbound.c.key) <= 80)
            .order_by(outbound.c.id)
        )
        .mappings()
        .all()
    )
    copied = []
    for row in rows:
        refs = row["refs"] or {}
        copied.append(
            {
                **{
                    name: row[name]
                    for name in (
                        "id",
                        "key",
                        "to",
                        "body",
                        "state",
                        "attempts",
                        "not_before",
                        "sid",
                        "delivery_status",
                        "error_code",
                        "created_at",
                        "sent_at",
                    )
                },
                **{
                    name: refs.get(name) if refs.get(name) in existing[table] else None
                    for name, table in ref_tables.items()
                },
            }
        )
    for start in range(0, len(copied), CHUNK):
        op.bulk_insert(old, copied[start : start + CHUNK])
    if copied and bind.dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('dispatch_messages', 'id'), "
            "(SELECT max(id) FROM dispatch_messages))"
        )
    op.drop_index("ix_outbound_messages_batch", table_name="outbound_messages")
    op.drop_index("ix_outbound_messages_due", table_name="outbound_messages")
    op.drop_table("outbound_messages")

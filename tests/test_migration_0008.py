"""Migration 0008 carries dispatch's stored texts into the one outbound table and back."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Connection, create_engine, inspect, text

from hotline.core.migrations import alembic_config

SCHEMA = "migration_0007"
BEFORE = "0012"


def _seed(conn: Connection) -> None:
    conn.execute(
        text(
            "INSERT INTO dispatch_helpers (id, name, phone, postal_code, lat, lon, radius_km, "
            "activity_codes, language_codes, availability, max_per_week, preferred_language, "
            "status, created_at) VALUES (1, 'Ada', '+4916000000001', '10115', 52.5, 13.4, 5, "
            "',shopping,', ',de,', '{}', 3, 'de', 'active', '2026-03-11 09:00:00')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO dispatch_tickets (id, reference, source, activity, postal_code, place, "
            "lat, lon, window_start, window_end, needed, description, language_codes, urgent, "
            "requester_first_name, address, status, waves_sent, max_waves, created_at) VALUES "
            "(1, '1234', 'operator', 'shopping', '10115', 'Berlin', 52.5, 13.4, "
            "'2026-03-11 10:00:00', '2026-03-11 12:00:00', 1, '', ',de,', false, 'Erika', '', "
            "'filled', 1, 3, '2026-03-11 09:00:00')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO dispatch_offers (id, ticket_id, helper_id, wave, token, state, "
            "created_at) VALUES (1, 1, 1, 1, 'tok', 'stood_down', '2026-03-11 09:00:00')"
        )
    )
    rows = [
        (1, "offer:1", 1, 1, 1, "+4916000000001", "Hilfe gesucht", "sent", "SM1", "delivered"),
        (2, "standdown:1", 1, 1, 1, "+4916000000001", "Danke", "pending", None, None),
        (3, "call:requester:1", 1, None, None, "+49301234567", "https://x/notify", "pending")
        + (None, None),
        (4, "signup:7", None, None, None, "+4915123456789", "Code 123456", "sent", "SM4", None),
        (5, "coordinator-filled:1:0:1", 1, None, None, "+4915111110000", "Besetzt", "failed")
        + (None, "failed"),
    ]
    for row in rows:
        conn.execute(
            text(
                'INSERT INTO dispatch_messages (id, key, ticket_id, offer_id, helper_id, "to", '
                "body, state, attempts, sid, delivery_status, created_at) VALUES (:id, :key, "
                ":ticket, :offer, :helper, :to, :body, :state, 1, :sid, :status, "
                "'2026-03-11 09:00:00')"
            ),
            dict(
                zip(
                    ["id", "key", "ticket", "offer", "helper", "to", "body", "state", "sid"]
                    + ["status"],
                    row,
                    strict=True,
                )
            ),
        )


def _outbound(conn: Connection) -> dict[str, dict]:
    result = conn.execute(
        text(
            "SELECT key, kind, channel, priority, sender, state, sid, delivery_status, batch, "
            "refs FROM outbound_messages ORDER BY id"
        )
    ).mappings()
    return {
        row["key"]: {
            **row,
            "refs": row["refs"] if isinstance(row["refs"], dict) else json.loads(row["refs"]),
        }
        for row in result
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch(request, tmp_path, database_url) -> Iterator[tuple[str, Connection]]:
    """A connection to an empty database (a SQLite file, or a schema of its own)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
        engine = create_engine(url)
        conn = engine.connect()
    else:
        if not database_url.startswith("postgresql"):
            pytest.skip("needs PostgreSQL")
        url = database_url
        engine = create_engine(url)
        conn = engine.connect()
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        conn.execute(text(f"SET search_path TO {SCHEMA}"))
        conn.commit()
    yield url, conn
    conn.rollback()
    if request.param == "postgresql":
        conn.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
        conn.commit()
    conn.close()
    engine.dispose()


def _migrate(url: str, conn: Connection, revision: str, down: bool = False) -> None:
    config = alembic_config(url, conn)
    (command.downgrade if down else command.upgrade)(config, revision)
    conn.commit()


def test_0008_moves_dispatch_texts_into_outbound_messages_and_back(scratch, monkeypatch):
    url, conn = scratch
    monkeypatch.setenv("DISPATCH_SMS_FROM", "+4915799990000")
    _migrate(url, conn, BEFORE)
    _seed(conn)
    conn.commit()

    _migrate(url, conn, "0008")
    assert not inspect(conn).has_table("dispatch_messages")
    moved = _outbound(conn)
    assert {k: (m["kind"], m["priority"], m["channel"]) for k, m in moved.items()} == {
        "offer:1": ("dispatch_offer", "bulk", "sms"),
        "standdown:1": ("dispatch_stand_down", "bulk", "sms"),
        "call:requester:1": ("dispatch_requester_call", "default", "call"),
        "signup:7": ("dispatch_signup_code", "bulk", "sms"),
        "coordinator-filled:1:0:1": ("dispatch_coordinator", "default", "sms"),
    }
    offer = moved["offer:1"]
    assert (offer["state"], offer["sid"], offer["delivery_status"]) == ("sent", "SM1", "delivered")
    assert offer["refs"] == {"ticket_id": 1, "offer_id": 1, "helper_id": 1}
    assert offer["batch"] == "ticket:1" and offer["sender"] == "+4915799990000"
    assert moved["standdown:1"]["state"] == "pending"  # still goes out
    assert moved["signup:7"]["batch"] is None and moved["signup:7"]["refs"] == {}
    # new rows continue after the carried-over ids
    conn.execute(
        text(
            'INSERT INTO outbound_messages (key, kind, channel, priority, sender, "to", body, '
            "refs, state, attempts, created_at) VALUES ('reminder:1', 'shift_reminder', 'sms', "
            "'default', '+4930120000', '+4915100000001', 'Erinnerung', '{}', 'pending', 0, "
            "'2026-03-11 09:00:00')"
        )
    )
    new_id = conn.execute(text("SELECT id FROM outbound_messages WHERE key = 'reminder:1'"))
    assert new_id.scalar() == 6
    conn.commit()

    _migrate(url, conn, BEFORE, down=True)
    assert not inspect(conn).has_table("outbound_messages")
    back = conn.execute(
        text(
            "SELECT key, ticket_id, offer_id, helper_id, state, sid FROM dispatch_messages "
            "ORDER BY id"
        )
    ).all()
    assert [tuple(r) for r in back] == [
        ("offer:1", 1, 1, 1, "sent", "SM1"),
        ("standdown:1", 1, 1, 1, "pending", None),
        ("call:requester:1", 1, None, None, "pending", None),
        ("signup:7", None, None, None, "sent", "SM4"),
        ("coordinator-filled:1:0:1", 1, None, None, "failed", None),
    ]  # the reminder belonged to no dispatch table and is gone

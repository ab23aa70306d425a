"""Rows written in one statement come back exactly as written, whatever their types."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hotline.core.bulk import among, insert_rows
from hotline.core.messaging import Channel, MessageState, OutboundMessage

WHEN = dt.datetime(2026, 3, 12, 9, 30, 15, 123456, tzinfo=dt.UTC)


def row(key: str, **values) -> dict:  # noqa: ANN003
    return {
        "kind": "test_text",
        "key": key,
        "to": "+4915112345678",
        "body": 'Hallo "Welt", {a,b} \\ null; Grüße ✓',
        "subject": None,
        "sender": "+4930120000",
        "channel": Channel.SMS,
        "priority": "bulk",
        "batch": "ticket:1",
        "refs": {"ticket_id": 1, "offer_id": 7, "note": 'ein "Zitat"'},
        "state": MessageState.PENDING,
        "attempts": 0,
        "ring_seconds": None,
        "not_before": WHEN,
        "created_at": WHEN,
        **values,
    }


def test_inserted_rows_read_back_as_written(session):
    [(new_id, key)] = insert_rows(
        session, OutboundMessage.__table__, [row("bulk:1")], returning=("id", "key")
    )
    stored = session.get(OutboundMessage, new_id)
    assert key == "bulk:1"
    written = row("bulk:1")
    assert {name: getattr(stored, name) for name in written} == written


def test_every_row_is_written_and_returned_once(session):
    rows = [row(f"bulk:{n}", attempts=n, ring_seconds=n or None) for n in range(500)]
    written = insert_rows(session, OutboundMessage.__table__, rows, returning=("key", "attempts"))
    assert sorted(written) == sorted((f"bulk:{n}", n) for n in range(500))
    stored = session.scalars(select(OutboundMessage).where(OutboundMessage.key.like("bulk:%")))
    assert sorted((m.key, m.ring_seconds) for m in stored) == sorted(
        (f"bulk:{n}", n or None) for n in range(500)
    )


def test_rows_whose_key_is_taken_are_skipped_and_not_returned(session):
    insert_rows(session, OutboundMessage.__table__, [row("bulk:1", body="erste")])
    written = insert_rows(
        session,
        OutboundMessage.__table__,
        [row("bulk:1", body="zweite"), row("bulk:2")],
        returning=("key",),
        skip_conflicts_on=("key",),
    )
    assert written == [("bulk:2",)]
    first = session.scalar(select(OutboundMessage).where(OutboundMessage.key == "bulk:1"))
    assert first.body == "erste"


def test_among_matches_the_ids_given(session):
    written = insert_rows(
        session,
        OutboundMessage.__table__,
        [row(f"bulk:{n}") for n in range(5)],
        returning=("id",),
    )
    ids = sorted(i for (i,) in written)
    found = session.scalars(
        select(OutboundMessage.id).where(among(session, OutboundMessage.id, ids[1:4]))
    )
    assert sorted(found) == ids[1:4]


def test_a_value_every_row_shares_is_converted_once_and_a_row_of_its_own_each_time(
    session, monkeypatch
):
    from hotline.core import bulk

    converted: list[dt.datetime] = []
    plain = bulk._plain

    def counted(value):  # noqa: ANN001, ANN202
        if isinstance(value, dt.datetime):  # what UTCDateTime made of a value
            converted.append(value)
        return plain(value)

    monkeypatch.setattr(bulk, "_plain", counted)
    later = WHEN + dt.timedelta(minutes=5)
    rows = [row(f"once:{i}", not_before=later if i == 3 else WHEN) for i in range(50)]
    written = insert_rows(session, OutboundMessage.__table__, rows, returning=("key",))
    assert len(written) == 50
    if session.get_bind().dialect.name == "postgresql":  # elsewhere SQLAlchemy converts
        # created_at: one value for all; not_before: two
        assert len(converted) == 3
    stored = session.scalar(select(OutboundMessage).where(OutboundMessage.key == "once:3"))
    assert (stored.not_before, stored.created_at) == (later, WHEN)

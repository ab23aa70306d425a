"""The message pipeline with real workers: priorities, the rate limit and retries, measured
where they matter, at the local Twilio-compatible server (its receive times).

Workers run in threads on committed data (no rolled-back test transaction), so every job
has its own database session as in production; the tables are emptied afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hotline import create_app
from hotline.core import messaging
from hotline.core.extensions import db, jobs
from hotline.core.messaging import Draft, MessageState, OutboundMessage, Priority
from hotline.core.models import Base, utcnow
from hotline.core.outbox import add_message, enqueue_ids
from hotline.core.worker import set_app
from hotline.voice.models import Call
from tests.conftest import make_line, make_operator, make_shift, test_config
from tests.messaging_support import SchedulerThread, WorkerThread, running, wait_for

SENDER = "+4915799990000"


@pytest.fixture
def live(request, engine, database_url, redis_url, redis, twilio_server) -> Iterator:
    """An app on the real database, talking REST to the local Twilio-compatible server."""
    if engine.dialect.name != "postgresql":
        pytest.skip("workers in threads need real row locks (CI runs PostgreSQL)")
    settings = getattr(request, "param", {})
    app = create_app(
        test_config(
            database_url,
            redis_url,
            TELEPHONY_BACKEND="twilio",
            TWILIO_API_BASE_URL=twilio_server.base_url,
            **settings,
        )
    )
    set_app(app)
    with app.app_context():
        yield app
    set_app(None)
    db.engine.dispose()
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def queue_texts(
    count: int, priority: Priority, batch: str | None = "ticket:1", first: int = 0
) -> list[int]:
    """``count`` texts to +4916000000000, …01, … (numbered from ``first``), committed."""
    session = db.new_session()
    numbers = range(first, first + count)
    ids = messaging.queue_many(
        session,
        [Draft(f"test:{batch}:{n}", f"+49160{n:08d}", f"Text {n}") for n in numbers],
        kind="test_text",
        sender=SENDER,
        priority=priority,
        batch=batch,
    )
    session.commit()  # the send jobs are enqueued after this commit
    session.close()
    return ids


def states(ids: list[int]) -> list[MessageState]:
    session = db.new_session()
    try:
        stmt = select(OutboundMessage.state).where(OutboundMessage.id.in_(ids))
        return list(session.scalars(stmt))
    finally:
        session.close()


@pytest.mark.parametrize("live", [{"SMS_PER_SECOND": 5}], indirect=True)
def test_a_queued_callers_operator_call_out_reaches_the_provider_within_2_s_behind_500_bulk_texts(
    live, redis, twilio_server
):
    session: Session = db.new_session()
    line = make_line(session, ring_timeout=25)
    operator = make_operator(session)
    make_shift(session, operator, line)
    call = Call(call_sid="CA" + "7" * 32, line_id=line.id, caller_hash="h", queued_at=utcnow())
    session.add(call)
    session.commit()
    bulk = queue_texts(500, Priority.BULK)

    with running(WorkerThread(redis)):
        wait_for(lambda: len(twilio_server.messages) >= 10, what="bulk texts going out")
        # The entry webhook puts the caller in the queue: one outbox row, then its job.
        row = add_message(session, "queue_callout", {"call_sid": call.call_sid, "round": 1})
        session.commit()
        queued_at = time.time()
        enqueue_ids(jobs, [row.id], {row.id: row.kind})
        wait_for(lambda: twilio_server.calls, what="the operator's call-out")
    session.close()

    [placed] = [r for r in twilio_server.received if r.is_call]
    assert placed.to == operator.phone_number
    assert placed.at - queued_at < 2.0
    assert placed.form["Timeout"] == "25"
    assert placed.form["StatusCallback"] == "https://hotline.example.org/twilio/calls/status"
    # the bulk texts were still being sent: the call-out did not wait for them
    assert states(bulk).count(MessageState.PENDING) > 400


@pytest.mark.parametrize("live", [{"SMS_PER_SECOND": 20}], indirect=True)
def test_no_second_at_the_provider_carries_more_texts_than_the_rate_with_two_workers(
    live, redis, twilio_server
):
    ids = queue_texts(60, Priority.BULK)
    with running(WorkerThread(redis), WorkerThread(redis)):
        wait_for(lambda: len(twilio_server.messages) == 60, timeout=30, what="60 texts")

    times = sorted(r.at for r in twilio_server.received)
    assert len(times) == 60  # each text once
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 20
    # 60 texts at 20 per second cannot take less than two seconds from first to last
    assert times[-1] - times[0] >= 2.0
    assert states(ids) == [MessageState.SENT] * 60


@pytest.mark.parametrize(
    "live", [{"MESSAGE_BACKOFF_SECONDS": 2, "SMS_PER_SECOND": 0}], indirect=True
)
@pytest.mark.parametrize("priority", [Priority.DEFAULT, Priority.BULK])
def test_a_text_refused_with_429_goes_out_again_at_its_backoff_time(
    live, redis, twilio_server, priority
):
    twilio_server.fail("+4916000000000", status=429, times=1)
    [message_id] = queue_texts(1, priority)
    with running(WorkerThread(redis), SchedulerThread(redis)):
        wait_for(lambda: twilio_server.messages, timeout=10, what="the retried text")

    refused, sent = twilio_server.received
    assert (refused.status, sent.status) == (429, 201)
    # The backoff, not the next sweep (60 s away): RQ schedules by the whole second and the
    # scheduler moves due jobs once per tick, so the retry comes within a second before the
    # backoff time and a second plus one tick after it.
    tick = 1.0  # SchedulerThread's interval
    assert refused.at + 2.0 - 1.0 <= sent.at <= refused.at + 2.0 + 1.0 + tick
    assert states([message_id]) == [MessageState.SENT]


@pytest.mark.parametrize("live", [{"SMS_PER_SECOND": 0}], indirect=True)
def test_a_worker_sends_bulk_texts_round_robin_over_tickets_newest_first(
    live, redis, twilio_server
):
    older = queue_texts(3, Priority.BULK, batch="ticket:1", first=100)
    newer = queue_texts(3, Priority.BULK, batch="ticket:2", first=200)
    with running(WorkerThread(redis)):
        wait_for(lambda: len(twilio_server.messages) == 6, what="six texts")
    tickets = [int(m["To"][-3]) for m in twilio_server.messages]  # +4916000000[12]0n
    assert tickets == [2, 1, 2, 1, 2, 1]
    within = [int(m["To"][-1]) for m in twilio_server.messages]
    assert within == [0, 0, 1, 1, 2, 2]  # each ticket's own texts in order
    assert states(older + newer) == [MessageState.SENT] * 6

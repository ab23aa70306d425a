"""Bulk texts go out in send jobs of fifty: each text once, never twice, the worker given back
to urgent work and after a slice of time, and nothing lost when a worker dies mid-batch."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from hotline.core import messaging, sending
from hotline.core.extensions import jobs
from hotline.core.messaging import Draft, MessageState, OutboundMessage, Priority
from hotline.core.models import utcnow
from hotline.core.sending import send_messages, sends_of

SENDER = "+4930120000"


@pytest.fixture
def ctx(app):
    app.config.update(SMS_PER_SECOND=0)
    with app.app_context():
        yield app


def wave(session, count: int) -> list[int]:  # noqa: ANN001
    """``count`` committed bulk texts of one ticket, to numbers ending in 000, 001, …,
    queued a minute ago (older than the sweep's grace)."""
    ids = messaging.queue_many(
        session,
        [Draft(f"wave:{n}", f"+4916000000{n:03d}", f"Hallo {n}") for n in range(count)],
        kind="test_text",
        sender=SENDER,
        priority=Priority.BULK,
        batch="ticket:1",
        now=utcnow() - dt.timedelta(minutes=1),
    )
    session.commit()
    return ids


def states(session, ids: list[int]) -> list[MessageState]:  # noqa: ANN001
    session.expire_all()
    rows = session.execute(
        select(OutboundMessage.id, OutboundMessage.state).where(OutboundMessage.id.in_(ids))
    )
    return [state for _, state in sorted(rows)]


def bulk_jobs() -> list[str]:
    return jobs.queue_named(Priority.BULK).job_ids


def test_a_batch_job_sends_each_of_its_texts_once(ctx, session, phone):
    ids = wave(session, 5)
    assert send_messages(ids) == "5 bulk send(s): 5 sent"
    assert sorted(m["to"] for m in phone.sms) == [f"+4916000000{n:03d}" for n in range(5)]
    assert states(session, ids) == [MessageState.SENT] * 5


def test_the_same_batch_job_run_again_sends_nothing(ctx, session, phone):
    ids = wave(session, 5)
    send_messages(ids)
    assert send_messages(ids) == "5 bulk send(s): 5 nothing"
    assert len(phone.sms) == 5


def test_a_batch_job_gives_the_worker_back_when_urgent_work_waits(ctx, session, phone):
    ids = wave(session, 4)
    jobs.queue_named(Priority.BULK).empty()
    jobs.queue_named(Priority.URGENT).enqueue(print, "a caller waits", job_id="urgent-1")
    assert send_messages(ids) == "4 bulk send(s): nothing; 4 put back"
    assert phone.sms == []
    [again] = bulk_jobs()  # at the end of the bulk queue, owing all four sends
    assert again.startswith(f"message-{ids[0]}-n4-again-") and sends_of(again) == 4


def test_a_batch_job_puts_the_rest_back_after_its_slice_of_time(ctx, session, phone, monkeypatch):
    ids = wave(session, 5)
    jobs.queue_named(Priority.BULK).empty()
    clock = itertools.count(0, sending.BATCH_SECONDS / 2)  # each look at the clock: half a slice
    monkeypatch.setattr(sending, "batch_clock", lambda: next(clock))
    assert send_messages(ids) == "5 bulk send(s): 1 sent; 4 put back"
    [again] = bulk_jobs()
    assert again.startswith(f"message-{ids[1]}-n4-again-")
    assert len(phone.sms) == 1


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(ctx, session, phone, monkeypatch):
    class Killed(Exception):
        pass

    ids = wave(session, 5)
    jobs.queue_named(Priority.BULK).empty()  # the worker that died had taken the job
    send_sms = phone.send_sms

    def dies_on_the_third(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if len(phone.sms) == 2:
            raise Killed
        return send_sms(*args, **kwargs)

    monkeypatch.setattr(phone, "send_sms", dies_on_the_third)
    with pytest.raises(Killed):
        send_messages(ids)
    monkeypatch.setattr(phone, "send_sms", send_sms)
    session.expire_all()
    # The text whose provider call was cut stays claimed; the sweep makes up the other sends.
    assert states(session, ids).count(MessageState.SENDING) == 1
    assert messaging.sweep_messages() == "2 message(s) enqueued again, 0 cut send(s) reported"
    [make_up] = bulk_jobs()
    assert sends_of(make_up) == 2
    assert send_messages(ids[3:]) == "2 bulk send(s): 2 sent"

    assert sorted(s for s in states(session, ids)) == sorted(
        [MessageState.SENT] * 4 + [MessageState.SENDING]
    )
    numbers = [m["to"] for m in phone.sms]
    assert len(numbers) == len(set(numbers)) == 4  # nobody twice


def test_a_text_locked_by_a_worker_that_died_before_its_claim_is_sent_once(ctx, session, phone):
    ids = wave(session, 1)
    jobs.queue_named(Priority.BULK).empty()
    # A worker locked the row and died before claiming it: its transaction rolled back, the
    # row is pending as before and its job gone; the sweep enqueues it once.
    assert states(session, ids) == [MessageState.PENDING]
    assert messaging.sweep_messages() == "1 message(s) enqueued again, 0 cut send(s) reported"
    [job] = bulk_jobs()
    assert job == f"message-{ids[0]}"
    assert sending.send_message(ids[0]) == f"message {ids[0]}: sent"
    assert sending.send_message(ids[0]).endswith("nothing (already sent)")
    assert [m["to"] for m in phone.sms] == ["+4916000000000"]

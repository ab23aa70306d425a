"""The outbound pipeline in the core: stored once, enqueued after the commit, swept when lost,
sent once with opt-outs, status callbacks, bounded retries and features' hooks."""

from __future__ import annotations

import datetime as dt

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from hotline.core import messaging
from hotline.core.extensions import jobs
from hotline.core.messaging import Channel, Draft, MessageState, OutboundMessage, Priority
from hotline.core.models import OptOut, utcnow
from hotline.core.optouts import is_opted_out
from hotline.core.registry import registry
from hotline.core.sending import send_due, send_message, sends_of
from hotline.core.telephony import TelephonyError
from tests.dispatch_support import post_signed

TO = "+4915112345678"
SENDER = "+4930120000"


@pytest.fixture
def ctx(app):
    app.config.update(SMS_PER_SECOND=0)
    with app.app_context():
        yield app


def text(session, key: str = "test:1", **kw) -> OutboundMessage:  # noqa: ANN001, ANN003
    return messaging.queue(
        session,
        kind=kw.pop("kind", "test_text"),
        key=key,
        to=kw.pop("to", TO),
        body=kw.pop("body", "Hallo"),
        sender=kw.pop("sender", SENDER),
        **kw,
    )


def queued(priority: Priority) -> list[str]:
    return jobs.queue_named(priority).job_ids


# -- queueing -----------------------------------------------------------------------------------


def test_the_same_key_is_the_same_message(ctx, session):
    first = text(session, body="eins")
    again = text(session, body="zwei")
    assert again.id == first.id and again.body == "eins"
    assert session.scalar(select(OutboundMessage.id).where(OutboundMessage.key == "test:1"))


def test_the_send_job_is_enqueued_on_its_priority_queue_after_the_commit(ctx, session):
    message = text(session, priority=Priority.URGENT)
    assert queued(Priority.URGENT) == []  # not before the row is committed
    session.commit()
    assert queued(Priority.URGENT) == [f"message-{message.id}"]
    assert queued(Priority.DEFAULT) == queued(Priority.BULK) == []


def test_a_message_due_later_has_its_send_job_scheduled_for_then_after_the_commit(ctx, session):
    at = (utcnow() + dt.timedelta(minutes=10)).replace(microsecond=0)
    message = text(session, not_before=at)
    session.commit()
    assert queued(Priority.DEFAULT) == []  # not sent at once
    scheduled = ScheduledJobRegistry(queue=jobs.queue_named(Priority.DEFAULT))
    (job_id,) = scheduled.get_job_ids()
    assert job_id.startswith(f"message-{message.id}-")
    assert scheduled.get_scheduled_time(job_id).replace(tzinfo=dt.UTC) == at


def test_a_released_savepoint_does_not_enqueue_a_row_before_the_commit(ctx, session):
    first = text(session, priority=Priority.URGENT)
    with session.begin_nested():  # e.g. a later statement guarded by a savepoint
        second = text(session, key="test:2", priority=Priority.URGENT)
    assert queued(Priority.URGENT) == []
    session.commit()
    assert sorted(queued(Priority.URGENT)) == sorted(
        [f"message-{first.id}", f"message-{second.id}"]
    )


def test_a_rolled_back_message_is_never_enqueued(ctx, session):
    text(session)
    session.rollback()
    session.commit()
    assert queued(Priority.DEFAULT) == []


def test_queue_many_stores_new_keys_and_leaves_existing_ones(ctx, session):
    existing = text(session, key="wave:1")
    ids = messaging.queue_many(
        session,
        [Draft("wave:1", TO, "neu"), Draft("wave:2", TO, "neu")],
        kind="test_text",
        sender=SENDER,
        priority=Priority.BULK,
        batch="ticket:9",
    )
    session.commit()
    [new] = ids
    assert session.get(OutboundMessage, existing.id).body == "Hallo"
    assert session.get(OutboundMessage, new).batch == "ticket:9"
    assert queued(Priority.BULK) == [f"message-{new}"]


def test_with_redis_down_at_the_commit_nothing_is_lost_the_sweep_enqueues_it(
    ctx, session, monkeypatch
):
    monkeypatch.setattr(jobs, "url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(jobs, "_redis", None)
    message = text(session)
    session.commit()  # the enqueue fails and is logged; the row is stored
    monkeypatch.undo()
    jobs._redis = None
    message.created_at = utcnow() - dt.timedelta(minutes=1)
    session.flush()
    assert messaging.sweep_messages() == "1 message(s) enqueued again, 0 cut send(s) reported"
    assert queued(Priority.DEFAULT) == [f"message-{message.id}"]


# -- the sweep ----------------------------------------------------------------------------------


def old(session, message: OutboundMessage) -> OutboundMessage:  # noqa: ANN001
    message.created_at = utcnow() - dt.timedelta(minutes=1)
    session.flush()
    return message


def test_the_sweep_leaves_messages_whose_job_is_waiting(ctx, session):
    message = old(session, text(session))
    session.commit()
    assert messaging.sweep_messages() == "0 message(s) enqueued again, 0 cut send(s) reported"
    assert queued(Priority.DEFAULT) == [f"message-{message.id}"]


def test_the_sweep_counts_bulk_jobs_and_makes_up_only_the_shortfall(ctx, session):
    rows = []
    for n in range(3):  # committed one by one: a send job each
        rows.append(old(session, text(session, key=f"bulk:{n}", priority=Priority.BULK)))
        session.commit()
    jobs.queue_named(Priority.BULK).remove(f"message-{rows[0].id}")
    jobs.queue_named(Priority.BULK).remove(f"message-{rows[1].id}")
    assert messaging.sweep_messages() == "2 message(s) enqueued again, 0 cut send(s) reported"
    assert sum(sends_of(job) for job in queued(Priority.BULK)) == 3  # one send per row owed


def bulk_wave(session, count: int) -> list[int]:  # noqa: ANN001
    """``count`` bulk texts of one batch in one statement, queued a minute ago."""
    return messaging.queue_many(
        session,
        [Draft(f"wave:{n}", TO, "Hallo") for n in range(count)],
        kind="test_text",
        sender=SENDER,
        priority=Priority.BULK,
        batch="ticket:9",
        now=utcnow() - dt.timedelta(minutes=1),
    )


def test_bulk_texts_committed_together_are_one_job_owing_a_send_for_each(ctx, session):
    ids = bulk_wave(session, 3)
    session.commit()
    assert queued(Priority.BULK) == [f"message-{ids[0]}-n3"]
    assert messaging.sweep_messages() == "0 message(s) enqueued again, 0 cut send(s) reported"


def test_a_wave_is_enqueued_in_jobs_of_fifty(ctx, session):
    ids = bulk_wave(session, 120)
    session.commit()
    assert queued(Priority.BULK) == [
        f"message-{ids[0]}-n50",
        f"message-{ids[50]}-n50",
        f"message-{ids[100]}-n20",
    ]


def test_the_sweep_makes_up_every_send_of_a_lost_bulk_job(ctx, session):
    ids = bulk_wave(session, 3)
    session.commit()
    jobs.queue_named(Priority.BULK).remove(f"message-{ids[0]}-n3")
    assert messaging.sweep_messages() == "3 message(s) enqueued again, 0 cut send(s) reported"
    assert queued(Priority.BULK) == [f"message-{ids[0]}-n3"]


def test_the_sweep_leaves_messages_not_due_and_recent_ones(ctx, session):
    text(session, key="later", not_before=utcnow() + dt.timedelta(minutes=5))
    text(session, key="new")
    session.flush()
    assert messaging.sweep_messages() == "0 message(s) enqueued again, 0 cut send(s) reported"


# -- sending ------------------------------------------------------------------------------------


def test_a_text_is_sent_once_with_its_status_callback(ctx, session, phone):
    message = text(session)
    session.flush()
    assert send_message(message.id) == f"message {message.id}: sent"
    assert send_message(message.id).endswith("nothing (already sent)")
    assert phone.sms == [
        {
            "to": TO,
            "from": SENDER,
            "body": "Hallo",
            "status_callback": "https://hotline.example.org/twilio/sms/status",
        }
    ]
    session.refresh(message)
    assert (message.state, message.attempts, message.delivery_status) == (
        MessageState.SENT,
        1,
        "queued",
    )
    assert message.sid == "SM" + "1".zfill(32)


def test_a_call_carries_its_ring_time_and_status_callback(ctx, session, phone):
    message = text(
        session,
        channel=Channel.CALL,
        body="https://hotline.example.org/twilio/voice/queue/offer?call=1",
        ring_seconds=25,
    )
    session.flush()
    send_message(message.id)
    assert phone.calls == [
        {
            "to": TO,
            "from": SENDER,
            "url": "https://hotline.example.org/twilio/voice/queue/offer?call=1",
            "status_callback": "https://hotline.example.org/twilio/calls/status",
        }
    ]


def test_an_opted_out_number_gets_no_text(ctx, session, phone):
    session.add(OptOut(phone_number=TO, source="sms"))
    message = text(session)
    session.flush()
    assert send_message(message.id).endswith("skipped (opted out)")
    assert phone.sms == []
    session.refresh(message)
    assert message.state == MessageState.SKIPPED


def test_an_opted_out_operator_is_still_called(ctx, session, phone):
    """Opt-outs end texts; a call-out to an operator on shift is not a text."""
    session.add(OptOut(phone_number=TO, source="sms"))
    message = text(session, channel=Channel.CALL, body="https://hotline.example.org/x")
    session.flush()
    send_message(message.id)
    assert [c["to"] for c in phone.calls] == [TO]


@pytest.mark.parametrize("code", [21211, 21408, 21612, 21614, 30006])
def test_a_permanent_error_is_not_retried(ctx, session, phone, code):
    phone.fail_with = TelephonyError("permanent", status=400, code=code)
    message = text(session)
    session.flush()
    assert send_due(session).failed == 1
    phone.fail_with = None
    assert send_due(session, now=utcnow() + dt.timedelta(hours=1)).sent == 0
    session.refresh(message)
    assert (message.state, message.attempts, message.error_code) == (
        MessageState.FAILED,
        1,
        code,
    )
    assert ScheduledJobRegistry(queue=jobs.queue).get_job_ids() == []


def test_21610_puts_the_number_on_the_opt_out_list(ctx, session, phone):
    phone.fail_with = TelephonyError("unsubscribed", status=400, code=21610)
    message = text(session)
    session.flush()
    send_message(message.id)
    assert is_opted_out(session, TO)
    assert session.get(OptOut, TO).source == "provider"
    session.refresh(message)
    assert message.state == MessageState.FAILED


def test_a_retry_is_scheduled_for_its_backoff_time(ctx, session, phone):
    ctx.config["MESSAGE_BACKOFF_SECONDS"] = 3
    phone.fail_with = TelephonyError("too many requests", status=429, code=20429)
    message = text(session)
    session.flush()
    send_message(message.id)
    session.refresh(message)
    assert message.state == MessageState.PENDING and message.attempts == 1
    backoff = message.not_before - message.claimed_at
    assert dt.timedelta(seconds=3) <= backoff < dt.timedelta(seconds=4)
    [scheduled] = ScheduledJobRegistry(queue=jobs.queue).get_job_ids()
    assert scheduled.startswith(f"message-{message.id}-retry-")


def test_retries_stop_after_the_configured_attempts(ctx, session, phone):
    ctx.config["MESSAGE_MAX_ATTEMPTS"] = 3
    phone.fail_with = TelephonyError("server error", status=503)
    message = text(session)
    session.flush()
    now = utcnow()
    for _ in range(5):
        now += dt.timedelta(hours=1)
        send_due(session, now=now)
    session.refresh(message)
    assert (message.state, message.attempts) == (MessageState.FAILED, 3)


def test_backoff_doubles_up_to_the_cap(ctx):
    from hotline.core.sending import Policy

    policy = Policy(backoff_seconds=2, backoff_cap_seconds=10)
    assert [policy.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 10]


def test_a_kinds_check_can_skip_or_postpone_a_message(ctx, session, phone):
    morning = utcnow() + dt.timedelta(hours=8)
    registry().message_kind(
        "test_checked",
        check=lambda s, m, now: "not wanted" if m.key.endswith("skip") else morning,
    )
    skipped = text(session, key="c:skip", kind="test_checked")
    later = text(session, key="c:later", kind="test_checked")
    session.flush()
    report = send_due(session)
    assert (report.skipped, report.sent, report.retry_at) == (1, 0, morning)
    assert session.get(OutboundMessage, skipped.id).state == MessageState.SKIPPED
    assert session.get(OutboundMessage, later.id).not_before == morning
    assert phone.sms == []


def test_a_worker_dying_mid_send_never_sends_twice(ctx, session, phone):
    class Killed(Exception):
        pass

    class Dies:
        def send_sms(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
            raise Killed

    message = text(session)
    session.flush()
    with pytest.raises(Killed):
        send_due(session, Dies())
    session.rollback()
    assert send_due(session, phone).sent == 0
    assert session.get(OutboundMessage, message.id).state == MessageState.SENDING
    assert phone.sms == []


# -- delivery status ----------------------------------------------------------------------------


def sent_message(ctx, session, phone, **kw) -> OutboundMessage:  # noqa: ANN001, ANN003
    message = text(session, **kw)
    session.flush()
    send_message(message.id)
    session.refresh(message)
    return message


def test_a_text_refused_by_the_carrier_with_21610_opts_the_number_out(ctx, session, phone):
    failed = []
    registry().message_kind("test_hooked", on_failed=lambda s, m: failed.append(m.key))
    message = sent_message(ctx, session, phone, kind="test_hooked")
    form = {"MessageSid": message.sid, "MessageStatus": "undelivered", "ErrorCode": "21610"}
    assert post_signed(ctx.test_client(), "/twilio/sms/status", form).status_code == 204
    session.expire_all()
    assert message.delivery_status == "undelivered" and message.error_code == 21610
    assert is_opted_out(session, TO)
    assert failed == ["test:1"]


def test_call_statuses_only_move_forward(ctx, session, phone):
    message = sent_message(ctx, session, phone, channel=Channel.CALL, body="https://x.example/")
    client = ctx.test_client()
    for status in ("ringing", "completed", "ringing", "in-progress"):
        form = {"CallSid": message.sid, "CallStatus": status}
        assert post_signed(client, "/twilio/calls/status", form).status_code == 204
    session.expire_all()
    assert message.delivery_status == "completed"


def test_a_calls_end_runs_its_kinds_hook_once(ctx, session, phone):
    ended = []
    registry().message_kind("test_call", on_call_ended=lambda s, m, st: ended.append((m.key, st)))
    message = sent_message(
        ctx, session, phone, kind="test_call", channel=Channel.CALL, body="https://x.example/"
    )
    client = ctx.test_client()
    for status in ("ringing", "no-answer", "no-answer", "completed"):
        form = {"CallSid": message.sid, "CallStatus": status}
        assert post_signed(client, "/twilio/calls/status", form).status_code == 204
    assert ended == [("test:1", "no-answer")]


def test_unsigned_call_status_callbacks_are_refused(ctx):
    response = ctx.test_client().post("/twilio/calls/status", data={"CallSid": "CA1"})
    assert response.status_code == 403


# -- retention ----------------------------------------------------------------------------------


def test_texts_and_numbers_of_old_finished_messages_are_forgotten(ctx, session, phone):
    from hotline.core.retention import purge

    done = sent_message(ctx, session, phone)
    waiting = text(session, key="test:2")
    recent = sent_message(ctx, session, phone, key="test:3")
    for message in (done, waiting):
        message.created_at = utcnow() - dt.timedelta(days=31)
    session.flush()
    assert "outbound_messages: forgot 1 message text(s)" in purge(session)
    session.expire_all()
    assert (done.to, done.body, done.state) == ("", "", MessageState.SENT)
    assert waiting.to == TO and recent.body == "Hallo"

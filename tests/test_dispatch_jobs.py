"""RQ jobs: waves scheduled one after another, and the sweeps that catch up after outages."""

from __future__ import annotations

import datetime as dt

import pytest
from rq.registry import ScheduledJobRegistry

from dispatch import jobs as dispatch_jobs
from dispatch.models import TicketStatus
from hotline.core.extensions import jobs
from hotline.core.models import MessageState, utcnow
from hotline.core.queues import Priority
from hotline.core.sending import send_due
from tests.dispatch_support import configure, make_helper, make_ticket, messages, offers

AWAKE = {"DISPATCH_QUIET_START": 0, "DISPATCH_QUIET_END": 0}  # quiet hours off


@pytest.fixture
def ctx(app):
    configure(app)
    app.config.update(AWAKE)
    with app.app_context():
        yield app


def scheduled_ids() -> list[str]:
    return ScheduledJobRegistry(queue=jobs.queue).get_job_ids()


def test_a_wave_job_starts_sending_and_schedules_the_next_wave(ctx, session):
    for _ in range(4):
        make_helper(session)
    ticket = make_ticket(session, window_start=utcnow())
    assert dispatch_jobs.run_wave(ticket.id, 1) == "sent: 3 asked"
    # the offer texts' send job is on the bulk queue once the wave has committed: one job
    # for the wave's batch, owing a send for each text
    texts = messages(session, "offer:")
    assert len(texts) == 3
    bulk = jobs.queue_named(Priority.BULK).job_ids
    assert bulk == [f"message-{min(m.id for m in texts)}-n3"]
    assert scheduled_ids() == [f"dispatch-wave-{ticket.id}-2-next"]


def test_after_the_last_wave_only_the_unfilled_check_is_scheduled(ctx, session, phone):
    for _ in range(12):
        make_helper(session)
    ticket = make_ticket(session, window_start=utcnow())
    ticket.waves_sent = 2
    session.flush()
    dispatch_jobs.run_wave(ticket.id, 3)
    [check] = scheduled_ids()
    assert check == f"dispatch-wave-{ticket.id}-4-next"
    assert dispatch_jobs.run_wave(ticket.id, 4) == "exhausted: 0 asked"
    assert scheduled_ids() == [check]  # nothing new
    send_due(session)
    assert [m["to"] for m in phone.sms if "noch nicht besetzt" in m["body"]] == ["+4915111110000"]


def test_a_wave_job_for_a_filled_ticket_does_nothing(ctx, session):
    make_helper(session)
    ticket = make_ticket(session)
    ticket.status = TicketStatus.FILLED
    session.flush()
    assert dispatch_jobs.run_wave(ticket.id, 2) == "not_open: 0 asked"
    assert offers(session, ticket) == []


def test_the_send_job_of_an_offer_texts_the_helper(ctx, session, phone):
    from hotline.core.sending import send_message

    helper = make_helper(session)
    ticket = make_ticket(session, window_start=utcnow())
    dispatch_jobs.run_wave(ticket.id, 1)
    [offer_text] = messages(session, "offer:")
    assert send_message(offer_text.id) == f"message {offer_text.id}: sent"
    assert [m["to"] for m in phone.sms] == [helper.phone]


def test_the_sweep_sends_waves_that_are_due_and_texts_left_pending(ctx, session, monkeypatch):
    for _ in range(4):
        make_helper(session)
    due = make_ticket(session)
    due.next_wave_at = utcnow() - dt.timedelta(minutes=1)
    due.waves_sent = 1
    later = make_ticket(session)
    later.next_wave_at = utcnow() + dt.timedelta(minutes=10)
    stuck = make_ticket(session)
    from dispatch.waves import create_offers

    create_offers(session, stuck, [make_helper(session).id], 1, utcnow() - dt.timedelta(minutes=5))
    session.flush()
    assert dispatch_jobs.sweep() == "1 wave(s)"
    queued = jobs.queue.job_ids
    assert f"dispatch-wave-{due.id}-2" in queued
    assert not any(j.startswith(f"dispatch-wave-{later.id}") for j in queued)
    # the stuck ticket's text, whose job never made it to Redis, is the core sweep's
    from hotline.core.messaging import sweep_messages

    [stuck_text] = messages(session, "offer:")
    assert sweep_messages() == "1 message(s) enqueued again, 0 cut send(s) reported"
    assert jobs.queue_named(Priority.BULK).job_ids == [f"message-{stuck_text.id}"]


def test_outbox_start_fails_while_redis_is_down_so_the_row_stays_pending(ctx, session, monkeypatch):
    ticket = make_ticket(session)
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: False)
    from hotline.core.models import OutboxMessage
    from hotline.core.outbox import process_outbox

    row = session.query(OutboxMessage).filter_by(kind="dispatch_start").one()
    with pytest.raises(dispatch_jobs.EnqueueFailed):
        process_outbox(row.id)
    session.expire_all()
    assert row.done_at is None and row.payload == {"ticket_id": ticket.id}


def test_signup_code_text_is_sent_like_every_other_text(ctx, session, phone):
    from dispatch.helpers import queue_signup_code
    from dispatch.models import Signup

    signup = Signup(
        phone="+4915123456789", code_hash="x", profile={}, expires_at=utcnow(), created_at=utcnow()
    )
    session.add(signup)
    session.flush()
    queue_signup_code(session, signup, "123456")
    session.flush()
    send_due(session)
    assert phone.sms[0]["body"].endswith("123456")
    [code] = messages(session, "signup:")
    assert code.state == MessageState.SENT and code.priority == Priority.BULK.value


# -- scheduled waves of filled and closed tickets ---------------------------------------------


def wave_jobs(ticket_id: int) -> list[str]:
    return sorted(j for j in scheduled_ids() if j.startswith(f"dispatch-wave-{ticket_id}-"))


def run_worker(app, redis) -> None:  # noqa: ANN001
    from rq import Queue, SimpleWorker

    from tests.dispatch_support import request_scope

    with request_scope():
        SimpleWorker(
            [Queue(f"{app.config['RQ_QUEUE']}-default", connection=redis)], connection=redis
        ).work(burst=True)


def test_filling_a_ticket_removes_its_scheduled_waves_from_redis(ctx, session, redis):
    from tests.dispatch_support import post_sms

    for _ in range(4):
        make_helper(session)
    ticket = make_ticket(session, window_start=utcnow())
    other = make_ticket(session, window_start=utcnow())
    dispatch_jobs.run_wave(ticket.id, 1)
    dispatch_jobs.run_wave(other.id, 1)
    assert wave_jobs(ticket.id) == [f"dispatch-wave-{ticket.id}-2-next"]
    asked = offers(session, ticket)[0].helper

    post_sms(ctx, session, asked.phone, f"JA {ticket.reference}")
    run_worker(ctx, redis)

    session.expire_all()
    assert ticket.status == TicketStatus.FILLED
    assert wave_jobs(ticket.id) == []
    assert not redis.exists(f"rq:job:dispatch-wave-{ticket.id}-2-next")
    assert wave_jobs(other.id) == [f"dispatch-wave-{other.id}-2-next"]  # still open


def test_a_withdrawal_that_reopens_the_ticket_schedules_the_next_wave_again(ctx, session, redis):
    from tests.dispatch_support import post_sms

    for _ in range(6):
        make_helper(session)
    ticket = make_ticket(session, window_start=utcnow())
    dispatch_jobs.run_wave(ticket.id, 1)
    asked = offers(session, ticket)[0].helper
    post_sms(ctx, session, asked.phone, f"JA {ticket.reference}")
    run_worker(ctx, redis)
    assert wave_jobs(ticket.id) == []

    post_sms(ctx, session, asked.phone, f"ABSAGE {ticket.reference}")
    run_worker(ctx, redis)  # the outbox starts wave 2 now, which schedules wave 3

    session.expire_all()
    assert ticket.status == TicketStatus.OPEN and ticket.waves_sent == 2
    assert {o.wave for o in offers(session, ticket)} == {1, 2}
    assert wave_jobs(ticket.id) == [f"dispatch-wave-{ticket.id}-3-next"]


def test_closing_a_ticket_removes_its_scheduled_waves(ctx, session):
    from dispatch.tickets import close_ticket
    from hotline.core.models import OutboxMessage
    from hotline.core.outbox import process_outbox

    make_helper(session)
    ticket = make_ticket(session, window_start=utcnow())
    dispatch_jobs.run_wave(ticket.id, 1)
    close_ticket(session, ticket)
    session.flush()
    row = session.query(OutboxMessage).filter_by(kind="dispatch_cancel_waves").one()
    assert process_outbox(row.id) == "1 scheduled wave(s) cancelled"
    assert wave_jobs(ticket.id) == []


def test_a_wave_postponed_by_quiet_hours_is_scheduled_for_the_morning_and_cancelled_on_fill(
    ctx, session
):
    from zoneinfo import ZoneInfo

    from dispatch.tickets import close_ticket

    hour = dt.datetime.now(ZoneInfo("Europe/Berlin")).hour
    ctx.config.update(DISPATCH_QUIET_START=hour, DISPATCH_QUIET_END=(hour + 3) % 24)  # now
    make_helper(session)
    ticket = make_ticket(session, window_start=utcnow())
    assert dispatch_jobs.run_wave(ticket.id, 1) == "quiet: 0 asked"
    assert wave_jobs(ticket.id) == [f"dispatch-wave-{ticket.id}-1-morning"]
    close_ticket(session, ticket)
    session.flush()
    assert dispatch_jobs.cancel_scheduled_waves(ticket.id, ticket.max_waves) == 1
    assert wave_jobs(ticket.id) == []

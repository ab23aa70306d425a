"""RQ jobs: waves scheduled one after another, and the sweep that catches up after outages."""

from __future__ import annotations

import datetime as dt

import pytest
from rq.registry import ScheduledJobRegistry

from dispatch import jobs as dispatch_jobs
from dispatch.models import MessageState, TicketStatus
from hotline.extensions import jobs
from hotline.models import utcnow
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
    assert f"dispatch-drain-{ticket.id}" in jobs.queue.job_ids
    [next_wave] = scheduled_ids()
    assert next_wave.startswith(f"dispatch-wave-{ticket.id}-2-at-")


def test_after_the_last_wave_only_the_unfilled_check_is_scheduled(ctx, session, phone):
    for _ in range(12):
        make_helper(session)
    ticket = make_ticket(session, window_start=utcnow())
    ticket.waves_sent = 2
    session.flush()
    dispatch_jobs.run_wave(ticket.id, 3)
    [check] = scheduled_ids()
    assert check.startswith(f"dispatch-wave-{ticket.id}-4-at-")
    assert dispatch_jobs.run_wave(ticket.id, 4) == "exhausted: 0 asked"
    assert scheduled_ids() == [check]  # nothing new
    dispatch_jobs.drain(ticket.id)
    assert [m["to"] for m in phone.sms if "noch nicht besetzt" in m["body"]] == ["+4915111110000"]


def test_a_wave_job_for_a_filled_ticket_does_nothing(ctx, session):
    make_helper(session)
    ticket = make_ticket(session)
    ticket.status = TicketStatus.FILLED
    session.flush()
    assert dispatch_jobs.run_wave(ticket.id, 2) == "not_open: 0 asked"
    assert offers(session, ticket) == []


def test_drain_job_sends_the_tickets_texts(ctx, session, phone):
    helper = make_helper(session)
    ticket = make_ticket(session, window_start=utcnow())
    dispatch_jobs.run_wave(ticket.id, 1)
    assert dispatch_jobs.drain(ticket.id) == "sent 1, failed 0, skipped 0"
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
    assert dispatch_jobs.sweep(reschedule=False) == "1 wave(s), 1 ticket(s) with pending texts"
    queued = jobs.queue.job_ids
    assert f"dispatch-wave-{due.id}-2" in queued
    assert f"dispatch-drain-{stuck.id}" in queued
    assert not any(j.startswith(f"dispatch-wave-{later.id}") for j in queued)


def test_outbox_start_fails_while_redis_is_down_so_the_row_stays_pending(ctx, session, monkeypatch):
    ticket = make_ticket(session)
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: False)
    from hotline.jobs import process_outbox
    from hotline.models import OutboxMessage

    row = session.query(OutboxMessage).filter_by(kind="dispatch_start").one()
    with pytest.raises(dispatch_jobs.EnqueueFailed):
        process_outbox(row.id)
    session.expire_all()
    assert row.done_at is None and row.payload == {"ticket_id": ticket.id}


def test_signup_code_text_is_sent_by_the_drain_for_all(ctx, session, phone):
    from dispatch.outbound import queue_sms

    queue_sms(session, "signup:1", "+4915123456789", "Ihr Rufbereit-Bestätigungscode: 123456")
    session.flush()
    dispatch_jobs.drain(None)
    assert phone.sms[0]["body"].endswith("123456")
    assert messages(session, "signup:")[0].state == MessageState.SENT

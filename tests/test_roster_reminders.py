"""Reminders before each shift: sent by the worker, once, even when it restarts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from hotline.core.messaging import enqueue
from hotline.core.models import OutboundMessage
from hotline.rosters.audit import SYSTEM
from hotline.rosters.models import ShiftReminder
from hotline.rosters.reminders import reminder_sweep
from hotline.rosters.shift_edits import add_shift
from tests.conftest import make_line, make_operator


def run_worker(app, redis):
    queue = Queue(f"{app.config['RQ_QUEUE']}-default", connection=redis)
    SimpleWorker([queue], connection=redis).work(burst=True)


def shift_starting_in(session, line, operator, minutes: int):
    start = dt.datetime.now(ZoneInfo(line.timezone)).replace(tzinfo=None, second=0, microsecond=0)
    start += dt.timedelta(minutes=minutes)
    return add_shift(session, SYSTEM, operator.id, line.id, start, start + dt.timedelta(hours=3))


def test_operator_is_reminded_before_the_shift(app, session, redis, phone):
    line, anna = make_line(session), make_operator(session)
    shift_starting_in(session, line, anna, 30)
    assert reminder_sweep() == 1
    run_worker(app, redis)
    assert [m["to"] for m in phone.sms] == [anna.phone_number]
    assert phone.sms[0]["from"] == line.number
    assert phone.sms[0]["body"].startswith("Erinnerung: Ihre Schicht")


def test_shifts_beyond_the_lead_time_are_not_reminded_yet(app, session, redis, phone):
    line, anna = make_line(session), make_operator(session)
    lead = app.config["SHIFT_REMINDER_MINUTES"]
    shift_starting_in(session, line, anna, lead + 30)
    assert reminder_sweep() == 0
    run_worker(app, redis)
    assert phone.sms == []


def test_reminder_is_sent_once_when_the_worker_restarts(app, session, redis, phone):
    line, anna = make_line(session), make_operator(session)
    shift_starting_in(session, line, anna, 30)
    reminder_sweep()
    run_worker(app, redis)
    # The worker restarts: it schedules the sweep again, and the message sweep re-enqueues
    # whatever it finds; a job for the same message may even still sit in Redis.
    assert reminder_sweep() == 0
    message_ids = list(session.scalars(select(OutboundMessage.id)))
    assert len(message_ids) == 1
    enqueue(session, message_ids)
    run_worker(app, redis)
    assert len(phone.sms) == 1
    assert session.scalar(select(func.count(ShiftReminder.id))) == 1


def test_two_sweeps_before_the_worker_runs_queue_one_reminder(app, session, redis, phone):
    line, anna = make_line(session), make_operator(session)
    shift_starting_in(session, line, anna, 30)
    reminder_sweep()
    reminder_sweep()
    run_worker(app, redis)
    assert len(phone.sms) == 1
    assert session.scalar(select(func.count(OutboundMessage.id))) == 1


def test_reminder_uses_the_operators_language(app, session, redis, phone):
    line, ben = make_line(session), make_operator(session, languages=["en"])
    shift_starting_in(session, line, ben, 10)
    reminder_sweep()
    run_worker(app, redis)
    assert phone.sms[0]["body"].startswith("Reminder: your shift")

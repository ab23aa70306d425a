"""Every text and call the features make goes through the one pipeline: a stored message of
the feature's kind and priority, then a request at the local Twilio-compatible server with a
status callback."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

from hotline.core.messaging import Channel, MessageState, OutboundMessage, Priority
from hotline.core.oncall.lines import add_coordinator
from hotline.core.queues import Priority as Queues
from hotline.core.worker import set_app
from tests.conftest import TwilioDriver, make_line, make_operator, make_shift
from tests.dispatch_support import configure, request_scope

SMS_CALLBACK = "https://hotline.example.org/twilio/sms/status"
CALL_CALLBACK = "https://hotline.example.org/twilio/calls/status"


@pytest.fixture
def rest(rest_app, session):  # noqa: ANN001, ANN201
    """The app with REST telephony, serving the jobs (the ``session`` fixture's plain app
    must not)."""
    set_app(rest_app)
    return rest_app


def run_worker(app, redis) -> None:  # noqa: ANN001
    queues = [Queue(f"{app.config['RQ_QUEUE']}-{p.value}", connection=redis) for p in Queues]
    with request_scope():
        SimpleWorker(queues, connection=redis).work(burst=True)


def stored(session, kind: str) -> list[OutboundMessage]:  # noqa: ANN001
    session.expire_all()
    stmt = select(OutboundMessage).where(OutboundMessage.kind == kind).order_by(OutboundMessage.id)
    return list(session.scalars(stmt))


def test_shift_reminders_are_texts_of_the_pipeline(rest, session, redis, twilio_server):
    from hotline.rosters.audit import SYSTEM
    from hotline.rosters.reminders import reminder_sweep
    from hotline.rosters.shift_edits import add_shift

    line, anna = make_line(session), make_operator(session)
    start = dt.datetime.now(ZoneInfo(line.timezone)).replace(tzinfo=None, microsecond=0)
    start += dt.timedelta(minutes=30)
    add_shift(session, SYSTEM, anna.id, line.id, start, start + dt.timedelta(hours=3))
    assert reminder_sweep() == 1
    run_worker(rest, redis)

    [reminder] = stored(session, "shift_reminder")
    assert (reminder.priority, reminder.state) == (Priority.DEFAULT.value, MessageState.SENT)
    [sms] = twilio_server.messages
    assert (sms["To"], sms["From"], sms["sid"]) == (anna.phone_number, line.number, reminder.sid)
    assert sms["StatusCallback"] == SMS_CALLBACK


def test_a_reminder_to_an_operator_who_paused_meanwhile_is_not_sent(
    rest, session, redis, twilio_server
):
    from hotline.core.oncall.models import OperatorStatus
    from hotline.rosters.audit import SYSTEM
    from hotline.rosters.reminders import reminder_sweep
    from hotline.rosters.shift_edits import add_shift

    line, anna = make_line(session), make_operator(session)
    start = dt.datetime.now(ZoneInfo(line.timezone)).replace(tzinfo=None, microsecond=0)
    start += dt.timedelta(minutes=30)
    add_shift(session, SYSTEM, anna.id, line.id, start, start + dt.timedelta(hours=3))
    reminder_sweep()
    anna.status = OperatorStatus.PAUSED
    session.flush()
    run_worker(rest, redis)
    [reminder] = stored(session, "shift_reminder")
    assert reminder.state == MessageState.SKIPPED
    assert twilio_server.requests == []


def test_voicemail_notices_are_urgent_texts_of_the_pipeline(rest, session, redis, twilio_server):
    line = make_line(session, queue_timeout=0)
    add_coordinator(line, "Koordination", "+4915100000009")
    add_coordinator(line, "Vertretung", "+4915100000010")
    session.flush()
    twilio = TwilioDriver(rest)
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    record = twilio.twiml("/twilio/voice/node/menu?a=1", Digits="1").find("Record")
    for _ in range(2):  # a retried webhook notifies nobody twice
        twilio.twiml(
            record.get("action"), RecordingUrl="https://rec.example/RE1", RecordingDuration="5"
        )
    run_worker(rest, redis)

    notices = stored(session, "voicemail_notice")
    assert [n.priority for n in notices] == [Priority.URGENT.value] * 2
    assert [n.state for n in notices] == [MessageState.SENT] * 2
    assert sorted(m["To"] for m in twilio_server.messages) == ["+4915100000009", "+4915100000010"]
    assert {m["StatusCallback"] for m in twilio_server.messages} == {SMS_CALLBACK}


def test_queue_call_outs_are_urgent_calls_of_the_pipeline(rest, session, redis, twilio_server):
    line = make_line(session, ring_timeout=17)
    twilio = TwilioDriver(rest)
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    assert twilio.twiml("/twilio/voice/node/menu?a=1", Digits="1").find("Enqueue") is not None
    cem = make_operator(session, name="Cem")
    make_shift(session, cem, line)
    session.flush()
    run_worker(rest, redis)

    [callout] = stored(session, "queue_callout")
    assert (callout.channel, callout.priority) == (Channel.CALL, Priority.URGENT.value)
    assert callout.ring_seconds == 17 and callout.state == MessageState.SENT
    [placed] = twilio_server.calls
    assert (placed["To"], placed["From"], placed["Timeout"]) == (
        cem.phone_number,
        line.number,
        "17",
    )
    assert placed["Url"] == callout.body
    assert placed["StatusCallback"] == CALL_CALLBACK


def test_a_call_out_for_a_caller_answered_meanwhile_is_not_placed(
    rest, session, redis, twilio_server
):
    from hotline.voice.jobs import queue_callout
    from hotline.voice.models import Call

    line = make_line(session)
    cem = make_operator(session, name="Cem")
    make_shift(session, cem, line)
    call = Call(call_sid="CA" + "4" * 32, line_id=line.id, caller_hash="h")
    session.add(call)
    session.flush()
    with rest.app_context():
        queue_callout(call.id, 1)  # queues the call to Cem
    call.answered_by_id = cem.id  # someone else's call-out was answered first
    session.flush()
    run_worker(rest, redis)
    [callout] = stored(session, "queue_callout")
    assert callout.state == MessageState.SKIPPED
    assert twilio_server.calls == []


def test_sign_up_codes_are_bulk_texts_of_the_pipeline(rest, session, redis, twilio_server):
    configure(rest)
    client = rest.test_client()
    page = client.get("/hilfe/anmelden").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {
        "name": "Mia Muster",
        "phone": "0151 23456789",
        "postal_code": "33602",
        "activities": ["shopping"],
        "consent": "1",
        "csrf_token": token,
    }
    with request_scope():
        assert client.post("/hilfe/anmelden", data=form).status_code == 302
    run_worker(rest, redis)

    [code] = stored(session, "dispatch_signup_code")
    assert (code.priority, code.state) == (Priority.BULK.value, MessageState.SENT)
    [sms] = twilio_server.messages
    assert sms["To"] == "+4915123456789" and re.search(r"\d{6}", sms["Body"])
    assert sms["StatusCallback"] == SMS_CALLBACK


def test_dispatch_offers_are_bulk_texts_batched_by_ticket(rest, session, redis, twilio_server):
    from dispatch import jobs as dispatch_jobs
    from tests.dispatch_support import make_helper, make_ticket

    configure(rest)
    rest.config.update(DISPATCH_QUIET_START=0, DISPATCH_QUIET_END=0)
    helpers = [make_helper(session) for _ in range(3)]
    ticket = make_ticket(session)
    with rest.app_context():
        dispatch_jobs.run_wave(ticket.id, 1)
    run_worker(rest, redis)

    offers = stored(session, "dispatch_offer")
    assert {o.priority for o in offers} == {Priority.BULK.value}
    assert {o.batch for o in offers} == {f"ticket:{ticket.id}"}
    assert sorted(m["To"] for m in twilio_server.messages) == sorted(h.phone for h in helpers)
    assert {m["StatusCallback"] for m in twilio_server.messages} == {SMS_CALLBACK}

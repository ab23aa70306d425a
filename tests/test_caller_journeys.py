"""Whole calls, from the caller's side, with every request made the way Twilio makes it:
signed webhooks in, REST calls out to a local Twilio-compatible server, the RQ worker on
real Redis."""

import datetime as dt

from rq import Queue, SimpleWorker
from sqlalchemy import select

from hotline import create_app
from hotline.core import fallback
from hotline.core.extensions import db
from hotline.core.oncall.lines import add_coordinator
from hotline.core.queues import Priority
from hotline.voice.models import Call, CallOutcome
from tests.conftest import (
    TwilioDriver,
    make_line,
    make_operator,
    make_shift,
    say_texts,
    test_config,
)


def run_worker(app, redis):
    """A worker serving every priority queue, most urgent first, until they are empty."""
    queues = [Queue(f"{app.config['RQ_QUEUE']}-{p.value}", connection=redis) for p in Priority]
    SimpleWorker(queues, connection=redis).work(burst=True)


def the_call(session):
    session.expire_all()
    return session.scalar(select(Call))


def to_route(twilio):
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    return twilio.twiml("/twilio/voice/node/menu?a=1", Digits="1")


def test_two_on_shift_one_presses_one_and_is_connected(session, twilio):
    line = make_line(session)
    anna, bernd = make_operator(session, name="Anna"), make_operator(session, name="Bernd")
    make_shift(session, anna, line)
    make_shift(session, bernd, line)

    dial = to_route(twilio).find("Dial")
    legs = {n.text: n.get("url") for n in dial.findall("Number")}
    assert set(legs) == {anna.phone_number, bernd.phone_number}

    # Bernd picks up, hears the whisper, presses 1: his leg stays up (no hangup) and hears
    # that he is being connected; it is moved into the call's conference, or, as here where
    # no worker moves it, the document runs out and the <Dial> bridges the call to him.
    screen = twilio.twiml(legs[bernd.phone_number], CallSid="CA" + "b" * 32)
    bridged = twilio.twiml(screen.find("Gather").get("action"), Digits="1")
    assert "Hangup" not in [el.tag for el in bridged]
    assert "wir verbinden Sie" in say_texts(bridged)[0]

    end = twilio.twiml(
        dial.get("action"), DialCallStatus="completed", DialBridged="true", DialCallDuration="300"
    )
    assert [el.tag for el in end] == ["Hangup"]
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="320")

    call = the_call(session)
    assert call.answered_by_id == bernd.id
    assert call.outcome == CallOutcome.ANSWERED
    assert call.duration_seconds == 320
    assert call.ended_at is not None


def test_mailbox_answers_nobody_presses_and_the_next_operator_is_tried(session, twilio):
    line = make_line(session)
    anna, bernd = make_operator(session, name="Anna"), make_operator(session, name="Bernd")
    make_shift(session, anna, line)
    make_shift(session, bernd, line)

    dial = to_route(twilio).find("Dial")
    legs = {n.text: n.get("url") for n in dial.findall("Number")}
    # Anna's mailbox picks up first: it hears the whisper, presses nothing, the leg hangs up.
    screen = twilio.twiml(legs[anna.phone_number], CallSid="CA" + "a" * 32)
    assert screen[-1].tag == "Hangup"
    # Twilio reports the <Dial> as ended without a bridge.
    retry = twilio.twiml(dial.get("action"), DialCallStatus="completed", DialBridged="false")

    numbers = [n.text for n in retry.find("Dial").findall("Number")]
    assert numbers == [bernd.phone_number]
    call = the_call(session)
    assert call.answered_by_id is None
    assert call.ring_round == 2


def test_nobody_on_shift_queue_then_fallback_then_voicemail(
    session, rest_app, redis, twilio_server
):
    twilio = TwilioDriver(rest_app)
    line = make_line(session, fallback_number="+4930120099", queue_timeout=120)
    add_coordinator(line, "Koordination", "+4915100000009")
    session.flush()

    # 1. Nobody is on shift: the caller is held in the line's queue.
    doc = to_route(twilio)
    enqueue = doc.find("Enqueue")
    assert enqueue.text == f"line-{line.id}"
    wait = twilio.twiml(enqueue.get("waitUrl"), QueuePosition="2", QueueTime="10")
    assert "Sie sind an Position 2" in say_texts(wait)[0]
    assert wait.find("Pause") is not None

    # 2. After the line's queue timeout the caller leaves the queue for the fallback number.
    leave = twilio.twiml(enqueue.get("waitUrl"), QueuePosition="1", QueueTime="120")
    assert [el.tag for el in leave] == ["Leave"]
    doc = twilio.twiml(enqueue.get("action"), QueueResult="leave")
    dial = doc.find("Dial")
    assert dial.text == "+4930120099"
    assert dial.get("callerId") == line.number

    # 3. Nobody answers there either: voicemail.
    doc = twilio.twiml(dial.get("action"), DialCallStatus="no-answer")
    record = doc.find("Record")
    assert record is not None and record.get("playBeep") == "true"
    assert "hinterlassen Sie nach dem Signalton" in say_texts(doc)[0]

    doc = twilio.twiml(
        record.get("action"), RecordingUrl="https://rec.example/RE1", RecordingDuration="17"
    )
    assert doc[-1].tag == "Hangup"
    call = the_call(session)
    assert call.outcome == CallOutcome.VOICEMAIL
    assert call.recording_seconds == 17

    # The coordinator is texted through the Twilio REST API by the worker.
    run_worker(rest_app, redis)
    [sms] = twilio_server.messages
    assert sms["To"] == "+4915100000009"
    assert sms["From"] == line.number
    assert "Sprachnachricht" in sms["Body"] and "+49 176 12345678" in sms["Body"]


def test_voicemail_webhook_retry_notifies_coordinators_once(
    session, rest_app, redis, twilio_server
):
    twilio = TwilioDriver(rest_app)
    line = make_line(session, queue_timeout=0)
    add_coordinator(line, "Koordination", "+4915100000009")
    session.flush()
    record = to_route(twilio).find("Record")
    for _ in range(2):
        twilio.twiml(
            record.get("action"), RecordingUrl="https://rec.example/RE1", RecordingDuration="5"
        )
    run_worker(rest_app, redis)
    assert len(twilio_server.messages) == 1


def test_operators_are_called_out_while_the_caller_waits(session, rest_app, redis, twilio_server):
    twilio = TwilioDriver(rest_app)
    line = make_line(session)
    doc = to_route(twilio)  # nobody on shift yet
    assert doc.find("Enqueue") is not None
    cem = make_operator(session, name="Cem")
    make_shift(session, cem, line)  # Cem's shift starts while the caller waits
    session.flush()

    run_worker(rest_app, redis)
    [placed] = twilio_server.calls
    assert placed["To"] == cem.phone_number
    assert placed["From"] == line.number
    offer_url = placed["Url"]
    assert offer_url.startswith("https://hotline.example.org/twilio/voice/queue/offer?")

    # Cem picks up, presses 1, and is connected to the queue; the caller's leg records him.
    operator_leg = TwilioDriver(rest_app, call_sid="CA" + "c" * 32, to=cem.phone_number)
    offer = operator_leg.twiml(offer_url)
    take = operator_leg.twiml(offer.find("Gather").get("action"), Digits="1")
    queue = take.find("Dial").find("Queue")
    assert queue.text == f"line-{line.id}"
    hello = twilio.twiml(queue.get("url"))
    assert say_texts(hello) == ["Einen Moment bitte, wir verbinden Sie."]
    call = the_call(session)
    assert call.answered_by_id == cem.id
    assert call.outcome == CallOutcome.ANSWERED


def test_closed_line_caller_hears_opening_hours(session, twilio):
    make_line(session, hours={"sun": ["03:00-03:01"]})
    doc = twilio.twiml("/twilio/voice")
    assert "sonntags bis donnerstags von 20 bis 24 Uhr" in say_texts(doc)[-1]
    assert doc[-1].tag == "Hangup"


def test_database_down_rings_the_fallback_number(database_url, redis_url):
    app = create_app(
        test_config(
            database_url,
            redis_url,
            DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/unreachable",
            FALLBACK_NUMBERS={"+4930120000": "+4930120099"},
        )
    )
    doc = TwilioDriver(app).twiml("/twilio/voice")
    dial = doc.find("Dial")
    assert dial.text == "+4930120099"
    assert dial.get("callerId") == "+4930120000"
    db.factory = None  # the next test binds its own


def test_twilio_fallback_url_rings_the_fallback_without_the_database(database_url, redis_url):
    app = create_app(
        test_config(
            database_url,
            redis_url,
            DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/unreachable",
            FALLBACK_NUMBER="+4930120098",
        )
    )
    doc = TwilioDriver(app).twiml("/twilio/voice/fallback", ErrorCode="11205")
    assert doc.find("Dial").text == "+4930120098"


def test_database_going_down_mid_service_rings_the_lines_own_fallback(session, app, twilio):
    """The fallback number seen in the database is remembered for when it goes away."""
    from sqlalchemy.orm import sessionmaker

    from hotline.core.db import make_engine

    with app.app_context():
        fallback.forget()
    make_line(session, fallback_number="+4930120077")
    twilio.twiml("/twilio/voice")
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/unreachable")
    db.factory = sessionmaker(dead)
    later = TwilioDriver(app, call_sid="CA" + "4" * 32)
    assert later.twiml("/twilio/voice").find("Dial").text == "+4930120077"
    assert later.twiml("/twilio/voice/node/menu?a=1", Digits="1").find("Dial").text == (
        "+4930120077"
    )


def test_queue_timeout_counts_from_entering_the_queue(session, twilio):
    line = make_line(session, queue_timeout=60)
    enqueue = to_route(twilio).find("Enqueue")
    doc = twilio.twiml(enqueue.get("waitUrl"), QueuePosition="1", QueueTime="59")
    assert doc.find("Leave") is None
    assert line.queue_timeout == 60


def test_caller_hanging_up_in_the_queue_is_recorded_as_abandoned(session, twilio):
    make_line(session)
    enqueue = to_route(twilio).find("Enqueue")
    twilio.post(enqueue.get("action"), QueueResult="hangup")
    twilio.post("/twilio/voice/status", CallStatus="completed", CallDuration="40")
    call = the_call(session)
    assert call.outcome == CallOutcome.ABANDONED
    assert call.queue_left_at is not None


def test_no_queue_and_no_fallback_goes_straight_to_voicemail(session, twilio):
    make_line(session, queue_timeout=0)
    doc = to_route(twilio)
    assert doc.find("Record") is not None


def test_answered_by_fallback_is_recorded(session, twilio):
    make_line(session, queue_timeout=0, fallback_number="+4930120099")
    dial = to_route(twilio).find("Dial")
    doc = twilio.twiml(dial.get("action"), DialCallStatus="completed")
    assert doc[-1].tag == "Hangup"
    assert the_call(session).outcome == CallOutcome.FALLBACK


def test_wait_time_is_measured_from_the_start_of_the_call(session, twilio):
    line = make_line(session)
    make_shift(session, make_operator(session), line)
    url = to_route(twilio).find("Dial").find("Number").get("url")
    call = the_call(session)
    call.started_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=42)
    session.flush()
    answer = twilio.twiml(url).find("Gather").get("action")
    twilio.twiml(answer, Digits="1")
    assert 42 <= the_call(session).wait_seconds <= 50

"""Calling back through the hotline, from the operator's and the caller's side: signed
webhooks in, the call to the operator placed at the local Twilio-compatible REST server by
the real worker, and the line's number shown to both."""

from __future__ import annotations

import datetime as dt

import pytest

from hotline.core.models import utcnow
from hotline.core.retention import purge
from hotline.voice.models import AccompanimentState, CallbackState
from tests.call_support import LINE_NUMBER, sid, talk, text
from tests.conftest import TwilioDriver, make_line, make_operator, make_shift, say_texts
from tests.roster_support import login, make_user, post
from tests.walkhome_support import (
    CALLER,
    accompaniment_of,
    callbacks,
    run_worker,
)

QUEUED = "Wir rufen Sie jetzt an und verbinden Sie dann mit der Person Ihres letzten Anrufs."


@pytest.fixture
def line(session):
    return make_line(session, number=LINE_NUMBER)


@pytest.fixture
def anna(session, line):
    operator = make_operator(session, name="Anna", phone="+4915100000021")
    make_shift(session, operator, line)
    return operator


@pytest.fixture
def bernd(session, line):
    operator = make_operator(session, name="Bernd", phone="+4915100000022")
    make_shift(session, operator, line)
    return operator


def placed_call(server, operator) -> dict[str, str]:  # noqa: ANN001
    [call] = [c for c in server.calls if c["To"] == operator.phone_number]
    return call


def operator_leg(app, operator) -> TwilioDriver:  # noqa: ANN001
    """The call to the operator, as Twilio reports on it (from the line to the operator)."""
    return TwilioDriver(app, call_sid=sid(), caller=LINE_NUMBER, to=operator.phone_number)


def test_rueckruf_calls_the_operator_screens_then_dials_the_caller_showing_the_line(
    session, rest_app, redis, twilio_server, anna
):
    talk(rest_app, CALLER, anna)
    assert text(rest_app, anna.phone_number, "RÜCKRUF").startswith(QUEUED)

    run_worker(rest_app, redis)
    placed = placed_call(twilio_server, anna)
    assert placed["From"] == LINE_NUMBER  # the operator's phone shows the line
    assert placed["Url"].startswith("https://hotline.example.org/twilio/voice/callback/operator?")

    leg = operator_leg(rest_app, anna)
    screen = leg.twiml(placed["Url"])
    gather = screen.find("Gather")
    assert say_texts(gather)[0].startswith("Rückruf über Heimwegtelefon. Drücken Sie die 1")
    assert screen.find("Hangup") is not None  # no key (a mailbox): not connected

    dial = leg.twiml(gather.get("action"), Digits="1").find("Dial")
    assert dial.get("callerId") == LINE_NUMBER  # the caller's phone shows the line too
    [number] = dial.findall("Number")
    assert number.text == CALLER

    hello = TwilioDriver(rest_app, call_sid=sid(), caller=LINE_NUMBER, to=CALLER).twiml(
        number.get("url")
    )
    assert say_texts(hello) == [
        "Hier ist Heimwegtelefon. Wir verbinden Sie wieder mit Ihrer Begleitung."
    ]
    [callback] = callbacks(session)
    assert callback.state == CallbackState.BRIDGED


def test_a_dropped_walk_is_reconnected_by_the_callback_and_9_at_the_end_notes_the_arrival(
    session, rest_app, redis, twilio_server, anna
):
    twilio = talk(rest_app, CALLER, anna)
    assert accompaniment_of(session, twilio).state == AccompanimentState.DROPPED
    text(rest_app, anna.phone_number, "RÜCKRUF")
    run_worker(rest_app, redis)
    leg = operator_leg(rest_app, anna)
    screen = leg.twiml(placed_call(twilio_server, anna)["Url"])
    dial = leg.twiml(screen.find("Gather").get("action"), Digits="1").find("Dial")
    TwilioDriver(rest_app, call_sid=sid(), caller=LINE_NUMBER, to=CALLER).twiml(
        dial.find("Number").get("url")
    )
    assert accompaniment_of(session, twilio).state == AccompanimentState.DROPPED_RECONNECTED

    end = leg.twiml(dial.get("action"), DialCallStatus="completed", DialBridged="true")
    prompt = end.find("Gather")
    assert say_texts(prompt) == ["Ist die Person angekommen? Dann drücken Sie die 9."]
    thanks = leg.twiml(prompt.get("action"), Digits="9")
    assert say_texts(thanks) == ["Danke, vermerkt."]
    acc = accompaniment_of(session, twilio)
    assert acc.arrived_at is not None
    assert acc.state == AccompanimentState.DROPPED_RECONNECTED  # how the walk went
    assert callbacks(session)[0].state == CallbackState.ENDED


def test_a_caller_who_does_not_pick_up_leaves_the_call_dropped(
    session, rest_app, redis, twilio_server, anna
):
    twilio = talk(rest_app, CALLER, anna)
    text(rest_app, anna.phone_number, "RÜCKRUF")
    run_worker(rest_app, redis)
    leg = operator_leg(rest_app, anna)
    screen = leg.twiml(placed_call(twilio_server, anna)["Url"])
    dial = leg.twiml(screen.find("Gather").get("action"), Digits="1").find("Dial")
    end = leg.twiml(dial.get("action"), DialCallStatus="no-answer", DialBridged="false")
    assert say_texts(end)[0].startswith("Die Person hat nicht abgenommen.")
    assert accompaniment_of(session, twilio).state == AccompanimentState.DROPPED
    assert callbacks(session)[0].state == CallbackState.NO_ANSWER


def test_the_operators_mailbox_pressing_nothing_dials_nobody(
    session, rest_app, redis, twilio_server, anna
):
    talk(rest_app, CALLER, anna)
    text(rest_app, anna.phone_number, "RÜCKRUF")
    run_worker(rest_app, redis)
    leg = operator_leg(rest_app, anna)
    screen = leg.twiml(placed_call(twilio_server, anna)["Url"])
    gather = screen.find("Gather")
    assert gather.get("actionOnEmptyResult") == "true"
    doc = leg.twiml(gather.get("action"), Digits="")
    assert doc.find("Dial") is None and doc.find("Hangup") is not None
    assert callbacks(session)[0].state == CallbackState.DECLINED


def test_refused_for_a_caller_who_has_since_spoken_with_someone_else(
    session, rest_app, redis, twilio_server, anna, bernd
):
    talk(rest_app, CALLER, bernd)
    rest_app.config["REDIAL_WINDOW_MINUTES"] = 0  # not rung to Bernd first
    talk(rest_app, CALLER, anna)  # the same person called again and Anna took it
    reply = text(rest_app, bernd.phone_number, "RÜCKRUF")
    assert reply.startswith("Rückruf nicht möglich: Das ist nicht Ihr Anruf")
    run_worker(rest_app, redis)
    assert twilio_server.calls == []
    assert callbacks(session) == []


def test_refused_without_a_call_of_ones_own(session, rest_app, anna, bernd):
    talk(rest_app, CALLER, anna)
    reply = text(rest_app, bernd.phone_number, "RÜCKRUF")
    assert reply == "Rückruf nicht möglich: Sie hatten keinen Anruf."


def test_the_phone_page_refuses_someone_elses_call(session, rest_app, anna, bernd):
    twilio = talk(rest_app, CALLER, anna)
    make_user(session, operator=bernd, username="bernd")
    client = rest_app.test_client()
    login(client, "bernd")
    call_id = accompaniment_of(session, twilio).call_id
    assert post(client, f"/anrufe/{call_id}/rueckruf").status_code == 403
    assert callbacks(session) == []


def test_refused_once_the_number_is_no_longer_retained(
    session, rest_app, redis, twilio_server, anna
):
    talk(rest_app, CALLER, anna)
    rest_app.config["CALLER_NUMBER_RETENTION_DAYS"] = 0
    with rest_app.app_context():
        purge(session, utcnow() + dt.timedelta(seconds=1))
    reply = text(rest_app, anna.phone_number, "RÜCKRUF")
    assert reply == "Rückruf nicht möglich: Die Nummer ist nicht mehr gespeichert."
    run_worker(rest_app, redis)
    assert twilio_server.calls == []


def test_a_number_forgotten_before_the_call_is_placed_is_not_called(
    session, rest_app, redis, twilio_server, anna
):
    talk(rest_app, CALLER, anna)
    text(rest_app, anna.phone_number, "RÜCKRUF")
    rest_app.config["CALLER_NUMBER_RETENTION_DAYS"] = 0
    with rest_app.app_context():
        purge(session, utcnow() + dt.timedelta(seconds=1))
    session.commit()
    run_worker(rest_app, redis)
    assert twilio_server.calls == []


def test_refused_after_the_window(session, rest_app, anna, monkeypatch):
    talk(rest_app, CALLER, anna)
    later = utcnow() + dt.timedelta(minutes=rest_app.config["CALLBACK_WINDOW_MINUTES"] + 1)
    monkeypatch.setattr("hotline.voice.operator_sms.utcnow", lambda: later)
    reply = text(rest_app, anna.phone_number, "RÜCKRUF")
    assert reply == "Rückruf nicht möglich: Der Anruf ist länger als 60 Minuten her."


def test_a_second_rueckruf_while_one_is_under_way_is_refused(
    session, rest_app, redis, twilio_server, anna
):
    talk(rest_app, CALLER, anna)
    text(rest_app, anna.phone_number, "RÜCKRUF")
    again = text(rest_app, anna.phone_number, "rückruf")
    assert again.startswith("Rückruf nicht möglich: Der Anruf läuft noch, oder ein Rückruf")
    run_worker(rest_app, redis)
    assert len([c for c in twilio_server.calls if c["To"] == anna.phone_number]) == 1


def test_an_english_speaking_operator_texts_callback_and_hears_english(
    session, rest_app, redis, twilio_server, line
):
    emma = make_operator(session, name="Emma", phone="+4915100000023", languages=["en", "de"])
    make_shift(session, emma, line)
    talk(rest_app, CALLER, emma)
    assert text(rest_app, emma.phone_number, "CALLBACK").startswith("We are calling you now")
    run_worker(rest_app, redis)
    screen = operator_leg(rest_app, emma).twiml(placed_call(twilio_server, emma)["Url"])
    assert say_texts(screen)[0].startswith("Call-back through Heimwegtelefon. Press 1")


def test_an_operator_calling_the_line_presses_1_and_is_connected_to_their_last_caller(
    session, app, anna
):
    talk(app, CALLER, anna)
    own = TwilioDriver(app, call_sid=sid(), caller=anna.phone_number, to=LINE_NUMBER)
    offer = own.twiml("/twilio/voice")
    gather = offer.find("Gather")
    assert say_texts(gather)[0].startswith("Sie haben vor Kurzem einen Anruf angenommen.")
    dial = own.twiml(gather.get("action"), Digits="1").find("Dial")
    assert dial.get("callerId") == LINE_NUMBER
    assert dial.find("Number").text == CALLER
    [callback] = callbacks(session)
    assert callback.via == "phone" and callback.operator_call_sid == own.call_sid


def test_an_operator_calling_the_line_who_presses_another_key_gets_the_normal_flow(
    session, app, anna
):
    talk(app, CALLER, anna)
    own = TwilioDriver(app, call_sid=sid(), caller=anna.phone_number, to=LINE_NUMBER)
    gather = own.twiml("/twilio/voice").find("Gather")
    onwards = own.twiml(gather.get("action"), Digits="2").find("Redirect")
    assert onwards.text.endswith("/twilio/voice?nocb=1")
    welcome = own.twiml(onwards.text)
    assert say_texts(welcome)[0].startswith("Willkommen beim Heimwegtelefon.")
    assert callbacks(session) == []


def test_an_operator_without_a_recent_call_hears_the_normal_flow(session, app, anna):
    own = TwilioDriver(app, call_sid=sid(), caller=anna.phone_number, to=LINE_NUMBER)
    assert say_texts(own.twiml("/twilio/voice"))[0].startswith("Willkommen beim Heimwegtelefon.")

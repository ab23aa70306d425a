"""Sticky redial: a caller who calls the line again soon after a bridged call rings the
operator they spoke to first, who hears that it is the same caller again; then the normal
rounds. From the caller hash only, signed webhooks throughout."""

from __future__ import annotations

import datetime as dt

import pytest

from hotline.core.models import utcnow
from hotline.core.oncall.models import RingStrategy
from tests.call_support import LINE_NUMBER, caller, sid, talk, to_route
from tests.conftest import make_line, make_operator, make_shift, say_texts

CALLER = "+4917633333333"
AGAIN = "Dieselbe Person ruft noch einmal an. Anruf für Heimwegtelefon."


@pytest.fixture
def line(session):
    return make_line(session, number=LINE_NUMBER)


@pytest.fixture
def anna(session, line):
    operator = make_operator(session, name="Anna", phone="+4915100000011")
    make_shift(session, operator, line)
    return operator


@pytest.fixture
def bernd(session, line):
    operator = make_operator(session, name="Bernd", phone="+4915100000012")
    make_shift(session, operator, line)
    return operator


def rung(dial) -> dict[str, str]:  # noqa: ANN001
    return {n.text: n.get("url") for n in dial.findall("Number")}


def later(monkeypatch, minutes: float) -> None:
    moment = utcnow() + dt.timedelta(minutes=minutes)
    monkeypatch.setattr("hotline.voice.webhooks.utcnow", lambda: moment)


def test_a_redial_within_the_window_rings_the_last_operator_first_with_the_whisper(
    app, session, anna, bernd, monkeypatch
):
    talk(app, CALLER, bernd)
    later(monkeypatch, 5)
    twilio = caller(app, CALLER)
    dial = to_route(twilio).find("Dial")
    assert list(rung(dial)) == [bernd.phone_number]

    screen = twilio.twiml(rung(dial)[bernd.phone_number], CallSid=sid())
    assert say_texts(screen.find("Gather"))[0].startswith(AGAIN)


def test_if_the_last_operator_does_not_take_it_the_normal_round_follows(
    app, session, anna, bernd, monkeypatch
):
    talk(app, CALLER, bernd)
    twilio = caller(app, CALLER)
    first = to_route(twilio).find("Dial")
    after = twilio.twiml(first.get("action"), DialCallStatus="no-answer", DialBridged="false")
    second = rung(after.find("Dial"))
    assert anna.phone_number in second
    assert all("again" not in url for url in second.values())  # the usual whisper


def test_after_the_window_the_redial_is_routed_normally(app, session, anna, bernd, monkeypatch):
    talk(app, CALLER, bernd)
    later(monkeypatch, app.config["REDIAL_WINDOW_MINUTES"] + 1)
    dial = to_route(caller(app, CALLER)).find("Dial")
    assert set(rung(dial)) == {anna.phone_number, bernd.phone_number}


def test_another_caller_is_routed_normally(app, session, anna, bernd):
    talk(app, CALLER, bernd)
    dial = to_route(caller(app, "+4917644444444")).find("Dial")
    assert set(rung(dial)) == {anna.phone_number, bernd.phone_number}


def test_a_last_operator_no_longer_on_shift_is_not_waited_for(app, session, line, anna):
    clara = make_operator(session, name="Clara", phone="+4915100000013")
    shift = make_shift(session, clara, line)
    talk(app, CALLER, clara)
    session.delete(shift)
    session.flush()
    dial = to_route(caller(app, CALLER)).find("Dial")
    assert list(rung(dial)) == [anna.phone_number]
    assert all("again" not in url for url in rung(dial).values())


def test_on_a_sequential_line_the_last_operator_comes_before_the_longest_idle(
    app, session, line, anna, bernd
):
    line.ring_strategy = RingStrategy.SEQUENTIAL
    session.flush()
    talk(app, CALLER, anna)  # Bernd is now the longest idle, who would be rung first
    dial = to_route(caller(app, CALLER)).find("Dial")
    assert list(rung(dial)) == [anna.phone_number]
    assert list(rung(to_route(caller(app, "+4917666666666")).find("Dial"))) == [bernd.phone_number]

"""Operators text the line's number: AN/ON, AUS/OFF, SCHICHTEN/SHIFTS, help; in German and
English. While available they are rung like someone on shift."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from hotline.core.inbound import UNKNOWN_SENDER_REPLY
from hotline.core.models import utcnow
from hotline.core.oncall.models import Availability, OperatorStatus
from hotline.core.oncall.shifts import on_shift
from hotline.rosters.audit import SYSTEM
from hotline.rosters.shift_edits import add_shift
from tests.conftest import make_line, make_operator

LINE_NUMBER = "+4930120000"
_sids = itertools.count(1)


def text(twilio, sender: str, body: str) -> str:
    """A new text (its own MessageSid, as Twilio gives every text one)."""
    sid = f"SM{next(_sids):032d}"
    doc = twilio.twiml("/twilio/sms", From=sender, To=LINE_NUMBER, Body=body, MessageSid=sid)
    return "".join(m.text or "" for m in doc.iter("Message"))


@pytest.fixture
def line(session):
    return make_line(session, number=LINE_NUMBER)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("AN", "Sie sind jetzt erreichbar für Heimwegtelefon"),
        ("on", "You are now available for Heimwegtelefon"),
    ],
)
def test_available_now_keyword_makes_the_operator_ring_like_someone_on_shift(
    twilio, session, line, word, expected
):
    anna = make_operator(session)
    assert on_shift(session, line.id, utcnow()) == []
    assert text(twilio, anna.phone_number, word).startswith(expected)
    assert [o.id for o in on_shift(session, line.id, utcnow())] == [anna.id]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("AUS", "Sie sind nicht mehr erreichbar"), ("Off", "You are no longer available")],
)
def test_off_keyword_ends_the_availability(twilio, session, line, word, expected):
    anna = make_operator(session)
    text(twilio, anna.phone_number, "AN")
    assert text(twilio, anna.phone_number, word).startswith(expected)
    assert on_shift(session, line.id, utcnow() + dt.timedelta(seconds=1)) == []


def test_availability_ends_by_itself_after_the_time_limit(twilio, session, line, app):
    anna = make_operator(session)
    text(twilio, anna.phone_number, "AN")
    limit = dt.timedelta(hours=app.config["AVAILABILITY_HOURS"])
    entry = session.scalar(select(Availability))
    assert entry.until - entry.started_at == limit
    assert on_shift(session, line.id, entry.started_at + limit - dt.timedelta(minutes=1))
    assert on_shift(session, line.id, entry.started_at + limit) == []


def test_available_for_fewer_hours_when_asked(twilio, session, line):
    anna = make_operator(session)
    text(twilio, anna.phone_number, "ON 2")
    entry = session.scalar(select(Availability))
    assert entry.until - entry.started_at == dt.timedelta(hours=2)


def test_a_paused_operator_is_not_made_available(twilio, session, line):
    anna = make_operator(session, status=OperatorStatus.PAUSED)
    assert "pausiert" in text(twilio, anna.phone_number, "AN")
    assert session.scalar(select(Availability)) is None


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("SCHICHTEN", "Ihre nächsten Schichten: Mo 07.01. 20:00–23:00 Heimwegtelefon"),
        ("shifts", "Your next shifts: Mon 07.01. 20:00–23:00 Heimwegtelefon"),
    ],
)
def test_shifts_keyword_lists_the_next_shifts(twilio, session, line, word, expected):
    anna = make_operator(session)
    add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 23)
    )
    assert text(twilio, anna.phone_number, word) == expected


@pytest.mark.parametrize(
    ("word", "expected"), [("SCHICHTEN", "keine Schichten"), ("SHIFTS", "no shifts")]
)
def test_shifts_keyword_without_shifts_says_so(twilio, session, line, word, expected):
    anna = make_operator(session)
    assert expected in text(twilio, anna.phone_number, word)


@pytest.mark.parametrize(
    ("languages", "expected"),
    [(["de"], "Befehle: AN (erreichbar)"), (["en", "de"], "Commands: ON (available)")],
)
def test_unknown_word_gets_help_in_the_operators_language(
    twilio, session, line, languages, expected
):
    anna = make_operator(session, languages=languages)
    assert text(twilio, anna.phone_number, "Hallo?").startswith(expected)


@pytest.mark.parametrize(
    ("languages", "words"),
    [
        (["de"], ["RÜCKRUF", "ANGEKOMMEN", "NOTIZ", "HILFE", "NEHMEN", "SPERREN"]),
        (["en", "de"], ["CALLBACK", "ARRIVED", "NOTE", "ESCALATE", "TAKE", "BLOCK"]),
    ],
)
def test_the_help_names_every_keyword_an_operator_can_text_the_line(
    twilio, session, line, languages, words
):
    anna = make_operator(session, languages=languages)
    reply = text(twilio, anna.phone_number, "Hallo?")
    assert all(word in reply for word in words), reply


def test_texts_from_non_operators_are_left_to_the_other_handlers(twilio, session, line):
    assert text(twilio, "+4917699999999", "AN") == UNKNOWN_SENDER_REPLY
    assert session.scalar(select(Availability)) is None


def test_unsigned_sms_is_refused(twilio, session, line):
    anna = make_operator(session)
    response = twilio.post(
        "/twilio/sms", signed=False, From=anna.phone_number, To=LINE_NUMBER, Body="AN"
    )
    assert response.status_code == 403
    assert session.scalar(select(Availability)) is None

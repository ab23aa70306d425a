"""Call notes: after a call the operator notes a category and a short text, by replying to
the line (``NOTIZ <Kategorie> <Text>``) or on the phone page; coordinators read them; the
text goes with the caller's number, export and erasure cover it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hotline.core.models import Role, utcnow
from hotline.core.retention import erase_person, export_person, purge
from hotline.voice.models import CallNote, NoteCategory
from tests.call_support import LINE_NUMBER, talk, text
from tests.conftest import make_line, make_operator, make_shift
from tests.roster_support import login, make_user, post
from tests.walkhome_support import CALLER, call_of


@pytest.fixture
def line(session):
    return make_line(session, number=LINE_NUMBER)


@pytest.fixture
def anna(session, line):
    operator = make_operator(session, name="Anna", phone="+4915100000041")
    make_shift(session, operator, line)
    return operator


def notes(session) -> list[CallNote]:  # noqa: ANN001
    session.expire_all()
    return list(session.scalars(select(CallNote).order_by(CallNote.id)))


def test_a_reply_with_notiz_stores_category_and_text_on_the_last_call(session, app, anna):
    twilio = talk(app, CALLER, anna)
    reply = text(app, anna.phone_number, "NOTIZ Gespräch Wollte nur reden, alles gut.")
    assert reply == "Danke, Notiz gespeichert (GESPRAECH)."
    [note] = notes(session)
    assert note.call_id == call_of(session, twilio).id
    assert note.category == NoteCategory.TALK
    assert note.text == "Wollte nur reden, alles gut."
    assert note.operator_id == anna.id and note.via == "sms"


def test_note_in_english(session, app, line):
    emma = make_operator(session, name="Emma", phone="+4915100000042", languages=["en"])
    make_shift(session, emma, line)
    talk(app, CALLER, emma)
    assert text(app, emma.phone_number, "note walk got home fine") == (
        "Thank you, note saved (WALK)."
    )
    assert notes(session)[0].category == NoteCategory.WALK_HOME


def test_an_unknown_category_gets_the_usage_and_stores_nothing(session, app, anna):
    talk(app, CALLER, anna)
    reply = text(app, anna.phone_number, "NOTIZ Wetter schön")
    assert reply.startswith("So schreiben Sie eine Notiz: NOTIZ <Kategorie> <Text>.")
    assert "HEIMWEG, GESPRAECH, INFO, KRISE, TECHNIK, SONSTIGES" in reply
    assert notes(session) == []


def test_a_note_longer_than_500_characters_is_refused_not_cut(session, app, anna):
    talk(app, CALLER, anna)
    reply = text(app, anna.phone_number, "NOTIZ INFO " + "x" * 501)
    assert reply.startswith("Die Notiz ist zu lang (501 Zeichen); höchstens 500.")
    assert notes(session) == []


def test_a_note_without_a_call_is_refused(session, app, anna):
    reply = text(app, anna.phone_number, "NOTIZ INFO Test")
    assert reply == "Kein Anruf gefunden, zu dem Sie eine Notiz schreiben können."


def test_unknown_words_from_an_operator_still_get_help(session, app, anna):
    talk(app, CALLER, anna)
    assert text(app, anna.phone_number, "Hallo?").startswith("Befehle: AN (erreichbar)")


def test_walk_home_words_from_someone_who_is_no_operator_get_the_unknown_sender_reply(
    session, app, line
):
    assert text(app, CALLER, "RÜCKRUF").startswith("Danke für Ihre Nachricht.")


def test_the_phone_page_stores_a_note_and_coordinators_read_it(session, app, anna):
    talk(app, CALLER, anna)
    make_user(session, operator=anna, username="anna")
    make_user(session, Role.COORDINATOR, username="carla")
    client = app.test_client()
    login(client, "anna")
    call_id = notes_call_id(session, anna)
    response = post(
        client, f"/anrufe/{call_id}/notiz", {"category": "krise", "text": "Polizei gerufen"}
    )
    assert response.status_code == 302
    [note] = notes(session)
    assert note.category == NoteCategory.CRISIS and note.via == "page"
    assert client.get("/anrufe/notizen").status_code == 403  # operators do not read them

    reader = app.test_client()
    login(reader, "carla")
    page = reader.get("/anrufe/notizen").get_data(as_text=True)
    assert "Polizei gerufen" in page and "Krise oder Notfall" in page and "Anna" in page
    assert CALLER not in page


def test_the_phone_page_refuses_an_unknown_category(session, app, anna):
    talk(app, CALLER, anna)
    make_user(session, operator=anna, username="anna")
    client = app.test_client()
    login(client, "anna")
    response = post(
        client,
        f"/anrufe/{notes_call_id(session, anna)}/notiz",
        {"category": "wetter"},
        follow_redirects=True,
    )
    assert notes(session) == []
    assert "Bitte wählen Sie eine Kategorie." in response.get_data(as_text=True)


def notes_call_id(session, operator) -> int:  # noqa: ANN001
    from hotline.voice.models import Call

    return session.scalar(select(Call.id).where(Call.answered_by_id == operator.id))


def test_the_note_text_goes_with_the_callers_number(session, app, anna):
    talk(app, CALLER, anna)
    text(app, anna.phone_number, "NOTIZ INFO Fragte nach Öffnungszeiten")
    with app.app_context():
        purge(session, utcnow() + dt.timedelta(days=29))
        assert notes(session)[0].text == "Fragte nach Öffnungszeiten"
        purge(session, utcnow() + dt.timedelta(days=31))
    [note] = notes(session)
    assert note.text == "" and note.category == NoteCategory.INFO  # the count stays


def test_export_and_erasure_by_the_callers_number_cover_the_notes(session, app, anna):
    talk(app, CALLER, anna)
    text(app, anna.phone_number, "NOTIZ INFO Fragte nach Öffnungszeiten")
    with app.app_context():
        exported = export_person(session, CALLER)
        assert exported["call_notes"][0]["text"] == "Fragte nach Öffnungszeiten"
        erased = erase_person(session, CALLER)
    assert erased["call_notes"] == 1
    assert notes(session)[0].text == ""

"""The operators' phone home (/mein-dienst): on shift now / next shift, the available-now
switch (the same as texting AN/AUS), shifts to confirm, open shifts, swaps and the panels
other features register."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.core.models import Role, utcnow
from hotline.core.oncall.models import Availability
from hotline.core.oncall.shifts import on_shift
from hotline.core.registry import registry
from hotline.rosters.audit import SYSTEM
from hotline.rosters.models import ConfirmationStatus, ShiftConfirmation
from hotline.rosters.open_shifts import offer_swap, publish_open_shift
from hotline.rosters.shift_edits import add_shift
from tests.conftest import make_line, make_operator, make_shift
from tests.roster_support import login, make_user, post

LINE_NUMBER = "+4930120000"


def local_now(line) -> dt.datetime:
    return dt.datetime.now(ZoneInfo(line.timezone)).replace(tzinfo=None, second=0, microsecond=0)


@pytest.fixture
def line(session):
    return make_line(session, number=LINE_NUMBER)


@pytest.fixture
def anna(session):
    return make_operator(session, name="Anna")


@pytest.fixture
def client(app, session, anna):
    make_user(session, Role.OPERATOR, operator=anna, username="anna")
    client = app.test_client()
    login(client, "anna")
    return client


def home(client) -> str:
    response = client.get("/mein-dienst")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_start_page_of_an_operator_is_the_phone_home(client):
    response = client.get("/")
    assert response.headers["Location"].endswith("/mein-dienst")


def test_the_phone_home_is_made_for_a_phone(client):
    page = home(client)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert 'class="phone-home"' in page


def test_it_shows_the_shift_the_operator_is_on_now_and_the_next(client, session, line, anna):
    make_shift(session, anna, line)  # started an hour ago, four hours long
    start = local_now(line).replace(hour=20, minute=0) + dt.timedelta(days=2)
    add_shift(session, SYSTEM, anna.id, line.id, start, start + dt.timedelta(hours=3))
    page = home(client)
    assert "Sie sind im Dienst: Heimwegtelefon" in page
    assert f"Nächste Schicht: Heimwegtelefon, {start:%d.%m.%Y %H:%M}" in page


def test_without_a_shift_it_says_so(client, line):
    page = home(client)
    assert "Gerade keine Schicht." in page
    assert "Keine Schichten geplant." in page


def test_the_switch_makes_the_operator_available_exactly_like_texting_an(
    client, twilio, session, line, anna, app
):
    ben = make_operator(session, name="Ben")
    post(client, "/mein-dienst/erreichbar", {"state": "an", "line_id": str(line.id)})
    twilio.twiml(
        "/twilio/sms", From=ben.phone_number, To=LINE_NUMBER, Body="AN", MessageSid="SM" + "1" * 32
    )
    entries = {e.operator_id: e for e in session.scalars(select(Availability))}
    limit = dt.timedelta(hours=app.config["AVAILABILITY_HOURS"])
    assert entries[anna.id].until - entries[anna.id].started_at == limit
    assert entries[ben.id].until - entries[ben.id].started_at == limit
    assert entries[anna.id].line_id == entries[ben.id].line_id == line.id
    assert {o.id for o in on_shift(session, line.id, utcnow())} == {anna.id, ben.id}
    assert "Sie sind erreichbar bis" in home(client)


def test_the_switch_ends_the_availability_exactly_like_texting_aus(
    client, twilio, session, line, anna
):
    ben = make_operator(session, name="Ben")
    post(client, "/mein-dienst/erreichbar", {"state": "an", "line_id": str(line.id)})
    twilio.twiml(
        "/twilio/sms", From=ben.phone_number, To=LINE_NUMBER, Body="AN", MessageSid="SM" + "2" * 32
    )
    post(client, "/mein-dienst/erreichbar", {"state": "aus"})
    twilio.twiml(
        "/twilio/sms", From=ben.phone_number, To=LINE_NUMBER, Body="AUS", MessageSid="SM" + "3" * 32
    )
    assert on_shift(session, line.id, utcnow() + dt.timedelta(seconds=1)) == []
    assert "Jetzt erreichbar" in home(client)


def test_the_switch_asks_for_a_line_it_does_not_know(client, session, line, anna):
    response = post(client, "/mein-dienst/erreichbar", {"state": "an", "line_id": "999999"})
    assert response.status_code == 302
    assert session.scalar(select(Availability)) is None


def test_a_shift_waiting_for_confirmation_can_be_confirmed_on_the_page(client, session, line, anna):
    from hotline.rosters.confirmations import request_confirmation

    start = local_now(line).replace(hour=20, minute=0) + dt.timedelta(days=3)
    shift = add_shift(session, SYSTEM, anna.id, line.id, start, start + dt.timedelta(hours=3))
    with client.application.app_context():
        confirmation = request_confirmation(session, shift)
    session.flush()
    assert "Bitte bestätigen" in home(client)
    post(client, f"/mein-dienst/bestaetigung/{confirmation.id}", {"answer": "ok"})
    session.expire_all()
    assert session.get(ShiftConfirmation, confirmation.id).status == ConfirmationStatus.CONFIRMED
    assert "Bitte bestätigen" not in home(client)


def test_open_shifts_and_swaps_are_offered_with_the_existing_forms(client, session, line, anna):
    ben = make_operator(session, name="Ben")
    start = local_now(line).replace(hour=20, minute=0) + dt.timedelta(days=3)
    slot = publish_open_shift(session, line.id, start, start + dt.timedelta(hours=2))
    later = start + dt.timedelta(days=1)
    swap = offer_swap(
        session,
        add_shift(session, SYSTEM, ben.id, line.id, later, later + dt.timedelta(hours=2)),
        ben.id,
    )
    page = home(client)
    assert f'action="/dienstplan/offen/{slot.id}/nehmen"' in page
    assert f'action="/dienstplan/tausch/{swap.id}/nehmen"' in page


def test_panels_registered_by_other_features_are_shown_in_order_with_their_titles(app, client):
    reg = registry(app)
    reg.panel(
        "operator_home",
        "zweites",
        "Tausch",
        lambda s, u, n: "<p>B-Inhalt</p>",
        "operator",
        order=20,
    )
    reg.panel(
        "operator_home",
        "erstes",
        "Mein letzter Anruf",
        lambda s, u, n: "<p>A-Inhalt</p>",
        "operator",
        order=10,
    )
    reg.panel("operator_home", "leer", "Leer", lambda s, u, n: "", "operator")
    reg.panel("operator_home", "planung", "Nur Planung", lambda s, u, n: "<p>P</p>", "planner")
    page = home(client)
    first, second = page.index('id="panel-erstes"'), page.index('id="panel-zweites"')
    assert first < page.index("Mein letzter Anruf") < page.index("A-Inhalt") < second
    assert page.index("B-Inhalt") > second
    assert 'id="panel-leer"' not in page and 'id="panel-planung"' not in page

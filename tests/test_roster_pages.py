"""The roster pages render for the roles that may see them, in German and English, and their
forms validate input (phone numbers via phonenumbers, staffing, open shifts, accounts)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hotline.core.models import Role, User
from hotline.core.oncall.models import Operator
from hotline.rosters.audit import SYSTEM
from hotline.rosters.models import OpenShift, StaffingLevel
from hotline.rosters.open_shifts import offer_swap, publish_open_shift
from hotline.rosters.patterns import create_pattern
from hotline.rosters.shift_edits import add_shift
from tests.conftest import make_line, make_operator
from tests.roster_support import login, make_user, post

PAST = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def admin_client(app, session):
    make_user(session, Role.ADMIN, username="ada")
    client = app.test_client()
    login(client, "ada")
    return client


@pytest.fixture
def roster(session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    pattern = create_pattern(
        session,
        SYSTEM,
        line.id,
        anna.id,
        0,
        dt.time(20),
        dt.time(2),
        dt.date(2030, 1, 1),
        dt.date(2030, 1, 31),
        now=PAST,
    )
    shift = add_shift(
        session, SYSTEM, ben.id, line.id, dt.datetime(2030, 1, 8, 20), dt.datetime(2030, 1, 8, 23)
    )
    publish_open_shift(session, line.id, dt.datetime(2030, 1, 9, 20), dt.datetime(2030, 1, 9, 23))
    offer_swap(session, shift, ben.id)
    return {"line": line, "anna": anna, "ben": ben, "pattern": pattern, "shift": shift}


def page_paths(roster) -> list[str]:
    line, pattern, shift, anna = roster["line"], roster["pattern"], roster["shift"], roster["anna"]
    return [
        "/dienstplan/",
        f"/dienstplan/linie/{line.id}?woche=2030-01-07",
        f"/dienstplan/linie/{line.id}/bedarf",
        "/dienstplan/schicht/neu",
        f"/dienstplan/schicht/{shift.id}",
        "/dienstplan/muster",
        "/dienstplan/muster/neu",
        f"/dienstplan/muster/{pattern.id}",
        "/dienstplan/ehrenamtliche",
        "/dienstplan/ehrenamtliche/neu",
        f"/dienstplan/ehrenamtliche/{anna.id}",
        "/dienstplan/offen",
        "/dienstplan/tausch",
        "/dienstplan/meine",
        "/dienstplan/import",
        "/dienstplan/protokoll",
        "/dienstplan/benutzer",
        "/dienstplan/export/ehrenamtliche.csv",
        "/dienstplan/export/schichten.csv",
    ]


def test_every_page_renders_for_an_admin(admin_client, roster):
    for path in page_paths(roster):
        response = admin_client.get(path, follow_redirects=True)
        assert response.status_code == 200, path


def test_pages_render_in_english_when_the_user_chooses_it(admin_client, roster):
    post(admin_client, "/sprache", {"lang": "en", "next": "/dienstplan/"})
    week = admin_client.get(f"/dienstplan/linie/{roster['line'].id}?woche=2030-01-07")
    text = week.get_data(as_text=True)
    assert 'lang="en"' in text and "Week view" in text and "Monday" in text
    for path in page_paths(roster):
        assert admin_client.get(path, follow_redirects=True).status_code == 200, path


def test_signed_out_visitors_are_sent_to_the_sign_in_page(app, roster):
    response = app.test_client().get(f"/dienstplan/linie/{roster['line'].id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden")


def test_every_input_has_a_label(admin_client, roster):
    import re

    for path in page_paths(roster):
        if path.endswith(".csv"):
            continue
        html = admin_client.get(path, follow_redirects=True).get_data(as_text=True)
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in tag:
                continue
            ident = re.search(r'id="([^"]+)"', tag)
            assert ident and ident.group(1) in labelled, (path, tag)


def test_operator_profile_rejects_an_invalid_phone_number(admin_client, session, roster):
    anna = roster["anna"]
    response = post(
        admin_client,
        f"/dienstplan/ehrenamtliche/{anna.id}",
        {"name": "Anna", "phone": "12345", "languages": ["de"], "status": "active"},
    )
    assert response.status_code == 422
    assert "&#39;12345&#39; ist keine gültige Telefonnummer." in response.get_data(as_text=True)
    session.refresh(anna)
    assert anna.phone_number != "12345"


def test_operator_profile_saves_number_languages_and_status(admin_client, session, roster):
    anna = roster["anna"]
    response = post(
        admin_client,
        f"/dienstplan/ehrenamtliche/{anna.id}",
        {
            "name": "Anna B.",
            "phone": "0151 98765432",
            "languages": ["de", "tr"],
            "status": "paused",
        },
    )
    assert response.status_code == 302
    session.refresh(anna)
    assert (anna.name, anna.phone_number, anna.languages, anna.status.value) == (
        "Anna B.",
        "+4915198765432",
        ["de", "tr"],
        "paused",
    )


def test_new_operator_needs_a_mobile_number(admin_client, session):
    response = post(
        admin_client,
        "/dienstplan/ehrenamtliche/neu",
        {"name": "Festnetz", "phone": "030 1234567", "languages": ["de"], "status": "active"},
    )
    assert response.status_code == 422
    assert session.scalar(select(Operator).where(Operator.name == "Festnetz")) is None


def test_planner_sets_the_minimum_staffing(admin_client, session, roster):
    line = roster["line"]
    response = post(
        admin_client,
        f"/dienstplan/linie/{line.id}/bedarf",
        {"weekday": ["4", "5"], "first_hour": "20", "last_hour": "23", "required": "2"},
    )
    assert response.status_code == 302
    levels = session.scalars(select(StaffingLevel).where(StaffingLevel.line_id == line.id)).all()
    assert len(levels) == 8 and {lv.required for lv in levels} == {2}


def test_planner_publishes_an_open_shift(admin_client, session, roster):
    response = post(
        admin_client,
        "/dienstplan/offen",
        {
            "line_id": roster["line"].id,
            "start": "2030-02-01T20:00",
            "end": "2030-02-02T02:00",
            "note": "Fasching",
        },
    )
    assert response.status_code == 302
    slot = session.scalar(select(OpenShift).where(OpenShift.note == "Fasching"))
    assert slot.local_end == dt.datetime(2030, 2, 2, 2)


def test_operator_cannot_publish_open_shifts(app, session, roster):
    make_user(session, Role.OPERATOR, operator=roster["anna"], username="anna")
    client = app.test_client()
    login(client, "anna")
    response = post(
        client,
        "/dienstplan/offen",
        {"line_id": roster["line"].id, "start": "2030-02-01T20:00", "end": "2030-02-01T23:00"},
    )
    assert response.status_code == 403


def test_admin_creates_an_operator_account(admin_client, session, roster):
    response = post(
        admin_client,
        "/dienstplan/benutzer",
        {
            "username": "Anna",
            "name": "Anna",
            "password": "lang-genug-1234",
            "role": "operator",
            "operator_id": str(roster["anna"].id),
            "language": "de",
        },
    )
    assert response.status_code == 302
    account = session.scalar(select(User).where(User.username == "anna"))
    assert account.role == Role.OPERATOR and account.operator_id == roster["anna"].id


def test_audit_page_shows_who_changed_a_shift(admin_client, roster):
    page = admin_client.get("/dienstplan/protokoll").get_data(as_text=True)
    assert "pattern" in page and "system" in page


def test_a_gap_links_to_a_new_shift_form_for_that_hour(admin_client, session):
    line = make_line(session, hours={"mon": ["20:00-21:00"]})
    week = admin_client.get(f"/dienstplan/linie/{line.id}?woche=2030-01-07").get_data(as_text=True)
    link = f"/dienstplan/schicht/neu?line_id={line.id}&amp;start=2030-01-07T20:00&amp;end=2030-01-07T21:00"
    assert link in week
    form = admin_client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="2030-01-07T20:00"' in form and 'value="2030-01-07T21:00"' in form
    assert f'<option value="{line.id}" selected>' in form

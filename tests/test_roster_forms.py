"""The roster forms accept bounded input only: numbers, ids, lengths and dates outside their
range are answered with 422 and a message in the page's language, never with a 500, and
nothing is stored."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from hotline.core.models import Role
from hotline.core.oncall.models import Operator, Shift
from hotline.rosters import csvio
from hotline.rosters.audit import SYSTEM
from hotline.rosters.models import OpenShift, PatternException, StaffingLevel
from hotline.rosters.patterns import create_pattern
from hotline.rosters.staffing import monday_of
from tests.conftest import make_line, make_operator
from tests.roster_support import login, make_user, post

PLANNING_RANGE_DE = "Bitte ein Datum von 2000-01-01 bis 2099-12-31 angeben."


@pytest.fixture
def planner(app, session):
    make_user(session, Role.ADMIN, username="ada")
    client = app.test_client()
    login(client, "ada")
    return client


def form_error(response) -> str:
    """The page's error message after its "Ungültige Eingabe:" ("Invalid input:")."""
    page = response.get_data(as_text=True)
    match = re.search(r'id="form-error">(?:Ungültige Eingabe|Invalid input): (.*?)</p>', page, re.S)
    assert match, "no form error on the page"
    return match.group(1)


def shift_count(session) -> int:
    return session.scalar(select(func.count(Shift.id)))


@pytest.mark.parametrize("year", ["9999", "0001"])
def test_a_shift_in_a_year_outside_the_planning_range_is_refused_in_german(planner, session, year):
    line, anna = make_line(session), make_operator(session)
    response = post(
        planner,
        "/dienstplan/schicht/neu",
        {
            "line_id": line.id,
            "operator_id": anna.id,
            "start": f"{year}-01-04T20:00",
            "end": f"{year}-01-04T23:00",
        },
    )
    assert response.status_code == 422
    assert form_error(response) == f"Beginn: {PLANNING_RANGE_DE} Ende: {PLANNING_RANGE_DE}"
    assert shift_count(session) == 0


def test_a_shift_time_that_is_not_a_date_is_refused_and_kept_in_the_field(planner, session):
    line, anna = make_line(session), make_operator(session)
    response = post(
        planner,
        "/dienstplan/schicht/neu",
        {"line_id": line.id, "operator_id": anna.id, "start": "morgen", "end": "2030-01-07T23:00"},
    )
    assert response.status_code == 422
    assert (
        form_error(response) == "Beginn: Bitte Datum und Uhrzeit angeben, z. B. 2030-01-07T20:00."
    )
    assert 'value="morgen"' in response.get_data(as_text=True)


def test_an_id_beyond_the_databases_integers_is_refused(planner, session):
    anna = make_operator(session)
    response = post(
        planner,
        "/dienstplan/schicht/neu",
        {
            "line_id": "99999999999999999999",
            "operator_id": anna.id,
            "start": "2030-01-07T20:00",
            "end": "2030-01-07T23:00",
        },
    )
    assert response.status_code == 422
    assert form_error(response) == "Linie: Bitte einen Wert wählen."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_hour", "inf", "Stunde von: Bitte eine ganze Zahl angeben."),
        ("last_hour", "1e10", "Stunde bis: Bitte eine ganze Zahl angeben."),
        ("required", "10000000000", "Personen: Bitte eine Zahl von 0 bis 50 angeben."),
        ("first_hour", "-1", "Stunde von: Bitte eine Zahl von 0 bis 23 angeben."),
    ],
)
def test_staffing_numbers_out_of_range_are_refused_in_german(
    planner, session, field, value, message
):
    line = make_line(session)
    form = {"weekday": ["4"], "first_hour": "20", "last_hour": "23", "required": "2", field: value}
    response = post(planner, f"/dienstplan/linie/{line.id}/bedarf", form)
    assert response.status_code == 422
    assert form_error(response) == message
    assert session.scalar(select(func.count(StaffingLevel.id))) == 0


def test_an_unknown_weekday_for_the_staffing_is_refused(planner, session):
    line = make_line(session)
    response = post(
        planner,
        f"/dienstplan/linie/{line.id}/bedarf",
        {"weekday": ["7"], "first_hour": "20", "last_hour": "23", "required": "2"},
    )
    assert response.status_code == 422
    assert form_error(response) == "Wochentag: Bitte einen der angebotenen Werte wählen."


def test_an_operator_name_longer_than_the_database_holds_is_refused(planner, session):
    response = post(
        planner,
        "/dienstplan/ehrenamtliche/neu",
        {"name": "A" * 121, "phone": "0151 23456789", "languages": ["de"], "status": "active"},
    )
    assert response.status_code == 422
    assert form_error(response) == "Name: Höchstens 120 Zeichen."
    assert session.scalar(select(func.count(Operator.id))) == 0


def test_an_unknown_language_code_is_refused(planner, session):
    response = post(
        planner,
        "/dienstplan/ehrenamtliche/neu",
        {"name": "Anna", "phone": "0151 23456789", "languages": ["de", "xx"], "status": "active"},
    )
    assert response.status_code == 422
    assert form_error(response) == "Sprachen: Unbekannte Sprachkürzel: xx"


def test_an_open_shift_note_longer_than_200_characters_is_refused(planner, session):
    line = make_line(session)
    response = post(
        planner,
        "/dienstplan/offen",
        {
            "line_id": line.id,
            "start": "2030-02-01T20:00",
            "end": "2030-02-01T23:00",
            "note": "x" * 201,
        },
    )
    assert response.status_code == 422
    assert form_error(response) == "Hinweis: Höchstens 200 Zeichen."
    assert session.scalar(select(func.count(OpenShift.id))) == 0


def test_a_pattern_exception_in_year_9999_is_refused(planner, session):
    line, anna = make_line(session), make_operator(session)
    pattern = create_pattern(
        session,
        SYSTEM,
        line.id,
        anna.id,
        0,
        dt.time(20),
        dt.time(23),
        dt.date(2030, 1, 1),
        dt.date(2030, 1, 31),
    )
    response = post(planner, f"/dienstplan/muster/{pattern.id}/ausnahme", {"date": "9999-01-07"})
    assert response.status_code == 422
    assert form_error(response) == f"Datum: {PLANNING_RANGE_DE}"
    assert session.scalar(select(func.count(PatternException.id))) == 0


def test_a_word_among_the_exception_dates_of_a_new_pattern_is_named(planner, session):
    line, anna = make_line(session), make_operator(session)
    response = post(
        planner,
        "/dienstplan/muster/neu",
        {
            "line_id": line.id,
            "operator_id": anna.id,
            "weekday": "0",
            "start_time": "20:00",
            "end_time": "23:00",
            "valid_from": "2030-01-01",
            "valid_until": "2030-01-31",
            "exceptions": "2030-01-14 Ostern",
        },
    )
    assert response.status_code == 422
    assert form_error(response) == "Ausnahmen: „Ostern“ ist kein Datum."
    assert shift_count(session) == 0


def test_validation_messages_are_english_on_english_pages(planner, session):
    line = make_line(session)
    post(planner, "/sprache", {"lang": "en", "next": "/dienstplan/"})
    response = post(
        planner,
        f"/dienstplan/linie/{line.id}/bedarf",
        {"weekday": ["4"], "first_hour": "inf", "last_hour": "23", "required": "2"},
    )
    assert response.status_code == 422
    assert form_error(response) == "Hour from: Please enter a whole number."


def test_a_week_outside_the_planning_range_shows_the_current_week(planner, session):
    line = make_line(session)
    response = planner.get(f"/dienstplan/linie/{line.id}?woche=9999-12-31")
    assert response.status_code == 200
    this_week = monday_of(dt.datetime.now(ZoneInfo(line.timezone)).date())
    assert f"Woche ab {this_week:%d.%m.%Y}" in response.get_data(as_text=True)


def test_an_import_without_a_file_asks_for_one(planner, session):
    response = post(planner, "/dienstplan/import", {"kind": "shifts"})
    assert response.status_code == 422
    assert form_error(response) == "CSV-Datei: Bitte eine CSV-Datei wählen."


def test_a_sign_in_with_an_overlong_username_is_refused_before_checking_it(app, session):
    client = app.test_client()
    response = post(client, "/anmelden", {"username": "x" * 500, "password": "egal-egal-egal"})
    assert response.status_code == 422
    assert "Benutzername: Höchstens 120 Zeichen." in response.get_data(as_text=True)


def test_a_csv_shift_in_year_0001_is_reported_for_its_row(session):
    line, anna = make_line(session), make_operator(session)
    text = (
        "operator_phone,line_number,start,end\n"
        f"{anna.phone_number},{line.number},0001-01-01 20:00,0001-01-01 23:00\n"
    )
    report = csvio.import_shifts(session, text, SYSTEM)
    assert report.messages() == [(2, "dates must lie between 2000-01-01 and 2099-12-31")]
    assert shift_count(session) == 0

"""Helper profiles, CSV import and postal codes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dispatch.helper_import import import_csv
from dispatch.helpers import (
    InvalidProfile,
    create_helper,
    parse_availability,
    validate_profile,
)
from dispatch.models import Helper
from dispatch.postcodes import UnknownPostalCode, distance_km, lookup

PROFILE = {
    "name": "Ada",
    "phone": "0151 11111111",
    "postal_code": "10115",
    "activities": "shopping; errands",
    "languages": "de, en",
}


def test_postal_code_resolves_to_place_and_coordinates():
    place = lookup("33602")
    assert (place.name, place.state) == ("Bielefeld", "Nordrhein-Westfalen")
    assert (place.lat, place.lon) == (52.0245, 8.5326)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("00000", "Postal code 00000 is not in the postal code table."),
        ("1011", "'1011' is not a German postal code (5 digits)."),
        ("abcde", "'abcde' is not a German postal code (5 digits)."),
    ],
)
def test_unknown_postal_code_is_a_clear_error(code, message):
    with pytest.raises(UnknownPostalCode) as exc:
        lookup(code)
    assert str(exc.value) == message


def test_distance_between_berlin_and_potsdam_is_about_27_km():
    berlin, potsdam = lookup("10115"), lookup("14467")
    assert 24 < distance_km(berlin.lat, berlin.lon, potsdam.lat, potsdam.lon) < 30


def test_availability_is_read_from_weekday_ranges_in_german_or_english():
    assert parse_availability("mo-mi 09:00-12:00, sa 10:00-14:00") == {
        "0": [["09:00", "12:00"]],
        "1": [["09:00", "12:00"]],
        "2": [["09:00", "12:00"]],
        "5": [["10:00", "14:00"]],
    }
    assert parse_availability("su 8:00-9:30") == {"6": [["08:00", "09:30"]]}
    assert parse_availability("") == {}


@pytest.mark.parametrize("text", ["montags 9-12", "mo 12:00-09:00", "xx 09:00-10:00"])
def test_unreadable_availability_is_an_error(text):
    with pytest.raises(ValueError):
        parse_availability(text)


def test_a_profile_is_normalised():
    profile = validate_profile(PROFILE)
    assert profile.phone == "+4915111111111"
    assert profile.activities == ["shopping", "errands"] and profile.languages == ["de", "en"]
    assert profile.preferred_language == "de" and profile.radius_km == 5


def test_every_problem_of_a_profile_is_reported_at_once():
    with pytest.raises(InvalidProfile) as exc:
        validate_profile({"phone": "030 1234567", "postal_code": "99999", "activities": "fly"})
    assert set(exc.value.errors) == {"name", "phone", "postal_code", "activities"}
    assert "Festnetznummer" in exc.value.errors["phone"]  # the pages are German


def test_a_number_can_only_belong_to_one_helper(session):
    create_helper(session, PROFILE)
    with pytest.raises(InvalidProfile) as exc:
        create_helper(session, {**PROFILE, "name": "Ada 2"})
    assert "phone" in exc.value.errors


CSV = """name,phone,email,postal_code,radius_km,activities,languages,availability,max_per_week,preferred_language,consent_at
Ada,0151 11111111,ada@example.org,10115,5,shopping;errands,de;en,mo-fr 09:00-12:00,3,de,2026-01-02
Ben,0151 22222222,,33602,10,translation,de;tr,,2,en,2026-01-03T10:00:00+01:00
"""


def test_csv_import_creates_every_helper_with_the_consent_date(session):
    result = import_csv(session, CSV)
    assert result.ok and result.created == 2
    ada, ben = session.scalars(select(Helper).order_by(Helper.name))
    assert ada.email == "ada@example.org" and ada.availability["4"] == [["09:00", "12:00"]]
    assert ben.preferred_language == "en" and ben.languages == ["de", "tr"]
    assert ada.consent_at.isoformat() == "2026-01-02T00:00:00+00:00"


def test_csv_import_is_all_or_nothing_with_an_error_per_row(session):
    bad = CSV + "Cem,0151 33333333,,99999,5,shopping,de,,3,de,2026-01-04\n"
    bad += "Dora,0151 11111111,,10115,5,shopping,de,,3,de,2026-01-05\n"
    bad += "Emil,0151 44444444,,10115,5,shopping,de,,3,de,\n"
    result = import_csv(session, bad)
    assert not result.ok and result.created == 0
    assert [e.line for e in result.errors] == [4, 5, 6]
    assert "99999" in result.errors[0].text()
    assert result.errors[1].text() == "Dieselbe Nummer wie in Zeile 2."
    assert (result.errors[2].column, result.errors[2].text()) == (
        "Einwilligung am",
        "Das Datum der Einwilligung fehlt.",
    )
    assert session.scalars(select(Helper)).first() is None


def test_csv_import_refuses_numbers_already_registered(session):
    create_helper(session, PROFILE)
    result = import_csv(session, CSV)
    assert [(e.line, e.column, e.text()) for e in result.errors] == [
        (2, "Handynummer", "Die Nummer ist schon eingetragen.")
    ]
    assert (
        session.scalars(select(Helper)).all()
        == session.scalars(select(Helper).where(Helper.name == "Ada")).all()
    )


def test_csv_import_names_missing_columns(session):
    result = import_csv(session, "name,phone\nAda,0151 11111111\n")
    assert [(e.line, e.text()) for e in result.errors] == [
        (1, "Es fehlen Spalten: Postleitzahl, Tätigkeiten, Einwilligung am")
    ]

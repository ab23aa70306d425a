"""Numbers the product texts or calls: mobile numbers of the allowed countries (landlines and
free 0800 numbers too where a number is only dialled); premium-rate, shared-cost, personal,
UAN, pager, satellite and foreign numbers nowhere."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dispatch.helpers import InvalidProfile, create_helper, start_signup, validate_profile
from dispatch.models import Organisation, Signup, Ticket
from dispatch.organisations import InvalidOrganisation, register_organisation
from hotline import create_app
from hotline.core.i18n import error_text
from hotline.core.models import Role
from hotline.core.oncall.lines import add_coordinator
from hotline.core.oncall.models import Operator
from hotline.core.oncall.operators import create_operator
from hotline.core.phones import (
    InvalidPhoneNumber,
    PhoneProblem,
    to_dialable_e164,
    to_mobile_e164,
)
from tests.conftest import TwilioDriver, make_line, say_texts, test_config
from tests.dispatch_support import configure, messages
from tests.roster_support import login, make_user, post

PREMIUM = "+49 900 1234567"
SHARED_COST_0137 = "+49 137 1234567"
SHARED_COST_0180 = "+49 180 1234567"
PERSONAL = "+49 700 12345678"
UAN = "+49 18 1234567"
PAGER = "+49 168 1234567"
SATELLITE = "+881 6 12345678"
UK_MOBILE = "+44 7400 123456"
AUSTRIAN_MOBILE = "+43 664 1234567"
BERLIN_LANDLINE = "+49 30 1234567"
GERMAN_MOBILE = "+49 151 23456789"
TOLL_FREE = "+49 800 1110111"

#: ``number: (problem, kind)`` refused whether texted or only dialled.
NEVER = {
    PREMIUM: (PhoneProblem.SPECIAL, "premium_rate"),
    SHARED_COST_0137: (PhoneProblem.SPECIAL, "shared_cost"),
    SHARED_COST_0180: (PhoneProblem.SPECIAL, "shared_cost"),
    PERSONAL: (PhoneProblem.SPECIAL, "personal_number"),
    UAN: (PhoneProblem.SPECIAL, "uan"),
    PAGER: (PhoneProblem.SPECIAL, "pager"),
    SATELLITE: (PhoneProblem.NON_GEOGRAPHIC, None),
    UK_MOBILE: (PhoneProblem.COUNTRY, None),
}


# -- the policy itself ------------------------------------------------------------------------


@pytest.mark.parametrize("number", list(NEVER))
@pytest.mark.parametrize("check", [to_mobile_e164, to_dialable_e164])
def test_special_satellite_and_foreign_numbers_are_never_texted_nor_dialled(check, number):
    problem, kind = NEVER[number]
    with pytest.raises(InvalidPhoneNumber) as exc:
        check(number)
    assert exc.value.problem == problem
    assert exc.value.params.get("kind") == kind


def test_a_german_mobile_number_is_texted_and_dialled():
    assert to_mobile_e164(GERMAN_MOBILE) == to_dialable_e164(GERMAN_MOBILE) == "+4915123456789"


@pytest.mark.parametrize(
    ("number", "kind"), [(BERLIN_LANDLINE, "fixed_line"), (TOLL_FREE, "toll_free")]
)
def test_landlines_and_free_numbers_are_dialled_but_never_texted(number, kind):
    assert to_dialable_e164(number).startswith("+49")
    with pytest.raises(InvalidPhoneNumber) as exc:
        to_mobile_e164(number)
    assert (exc.value.problem, exc.value.params["kind"]) == (PhoneProblem.NOT_MOBILE, kind)


def test_national_special_numbers_are_refused_as_well():
    with pytest.raises(InvalidPhoneNumber, match="premium-rate"):
        to_dialable_e164("0900 1234567")
    with pytest.raises(InvalidPhoneNumber, match="shared-cost"):
        to_mobile_e164("01805 123456")


def test_the_refusal_is_a_value_error_with_english_and_german_texts():
    with pytest.raises(ValueError) as exc:
        to_mobile_e164(PREMIUM)
    assert isinstance(exc.value, InvalidPhoneNumber)
    assert str(exc.value) == (
        "'+49 900 1234567' is a premium-rate number; such numbers are neither called nor texted."
    )
    assert exc.value.text("de") == (
        "'+49 900 1234567' ist eine Premium-Dienst-Nummer (Mehrwertdienst); solche Nummern "
        "werden weder angerufen noch angeschrieben."
    )


def test_a_foreign_number_is_told_which_countries_are_accepted():
    with pytest.raises(InvalidPhoneNumber) as exc:
        to_mobile_e164(UK_MOBILE)
    assert exc.value.params == {"number": UK_MOBILE, "country": "GB", "allowed": "DE"}
    assert exc.value.text("de") == (
        "'+44 7400 123456' ist eine Nummer aus GB; angenommen werden nur Nummern aus DE."
    )


@pytest.mark.parametrize(
    "raw", ["", "abc", "12345", PREMIUM, PAGER, SATELLITE, UK_MOBILE, BERLIN_LANDLINE]
)
def test_every_refusal_has_a_code_and_its_own_english_and_german_text(raw):
    with pytest.raises(InvalidPhoneNumber) as exc:
        to_mobile_e164(raw)
    assert exc.value.code == f"phone_{exc.value.problem.value}"
    assert str(exc.value) == exc.value.text("en") != exc.value.text("de")


def test_roster_pages_show_the_german_text_of_a_refusal(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        with pytest.raises(InvalidPhoneNumber) as exc:
            to_mobile_e164(SHARED_COST_0180)
        assert error_text(exc.value) == (
            "'+49 180 1234567' ist eine Servicenummer mit geteilten Kosten; solche Nummern "
            "werden weder angerufen noch angeschrieben."
        )


# -- allowed countries ------------------------------------------------------------------------


def test_allowed_countries_open_their_mobile_numbers(app):
    app.config["ALLOWED_COUNTRIES"] = "DE, GB"
    with app.app_context():
        assert to_mobile_e164(UK_MOBILE) == "+447400123456"
        with pytest.raises(InvalidPhoneNumber):
            to_mobile_e164(AUSTRIAN_MOBILE)
        with pytest.raises(InvalidPhoneNumber):
            to_mobile_e164(SATELLITE)  # no country setting opens satellite numbers


def test_an_unknown_country_code_stops_the_app_from_starting(database_url, redis_url):
    with pytest.raises(ValueError, match="unknown country code"):
        create_app(test_config(database_url, redis_url, ALLOWED_COUNTRIES="DE,XX"))


def test_the_sign_up_may_not_accept_countries_that_are_not_allowed(database_url, redis_url):
    with pytest.raises(ValueError, match="SIGNUP_ALLOWED_COUNTRIES"):
        create_app(
            test_config(
                database_url, redis_url, ALLOWED_COUNTRIES="DE", SIGNUP_ALLOWED_COUNTRIES="DE,AT"
            )
        )


# -- where numbers come in --------------------------------------------------------------------


@pytest.mark.parametrize("number", [UK_MOBILE, PREMIUM, BERLIN_LANDLINE])
def test_operators_need_a_german_mobile_number(app, session, number):
    with app.app_context(), pytest.raises(InvalidPhoneNumber):
        create_operator(session, "Anna", number)
    assert session.scalar(select(Operator.id)) is None


def test_the_operator_form_explains_a_refused_number_in_german(app, session):
    make_user(session, Role.ADMIN, username="ada")
    client = app.test_client()
    login(client, "ada")
    response = post(
        client,
        "/dienstplan/ehrenamtliche/neu",
        {"name": "Anna", "phone": PERSONAL, "languages": ["de"], "status": "active"},
    )
    assert response.status_code == 422
    assert "ist eine persönliche Rufnummer" in response.get_data(as_text=True)


def test_line_coordinators_are_texted_so_need_a_mobile_number(app, session):
    line = make_line(session)
    with pytest.raises(InvalidPhoneNumber):
        add_coordinator(line, "Kim", BERLIN_LANDLINE)
    assert add_coordinator(line, "Kim", GERMAN_MOBILE).phone_number == "+4915123456789"


def test_a_line_may_fall_back_to_a_landline_or_a_free_number_but_not_a_premium_one(app, session):
    assert make_line(session, fallback_number=BERLIN_LANDLINE).fallback_number == "+49301234567"
    free = make_line(session, number="+4930120001", fallback_number=TOLL_FREE)
    assert free.fallback_number == "+498001110111"
    with pytest.raises(InvalidPhoneNumber):
        make_line(session, number="+4930120002", fallback_number=PREMIUM)


HELPER = {
    "name": "Mia Muster",
    "phone": GERMAN_MOBILE,
    "postal_code": "33602",
    "activities": "shopping",
    "consent": "1",
}


@pytest.mark.parametrize("number", [UK_MOBILE, SHARED_COST_0137, BERLIN_LANDLINE])
def test_helpers_need_a_mobile_number_of_an_allowed_country(app, session, number):
    with app.app_context(), pytest.raises(InvalidProfile) as exc:
        create_helper(session, {**HELPER, "phone": number})
    assert set(exc.value.errors) == {"phone"}


def test_the_public_sign_up_may_be_narrower_than_the_coordinators_form(app, session):
    app.config.update(ALLOWED_COUNTRIES="DE,AT", SIGNUP_ALLOWED_COUNTRIES="DE")
    with app.app_context():
        with pytest.raises(InvalidProfile) as exc:
            start_signup(session, {**HELPER, "phone": AUSTRIAN_MOBILE}, "salt")
        assert "angenommen werden nur Nummern aus DE" in exc.value.errors["phone"]
        assert create_helper(session, {**HELPER, "phone": AUSTRIAN_MOBILE}).phone == (
            "+436641234567"
        )
    assert session.scalar(select(Signup.id)) is None


def test_the_sign_up_page_refuses_a_foreign_mobile_in_german_and_texts_nobody(app, session):
    configure(app)
    client = app.test_client()
    page = client.get("/hilfe/anmelden").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/hilfe/anmelden",
        data={**HELPER, "phone": UK_MOBILE, "activities": ["shopping"], "csrf_token": token},
    )
    assert response.status_code == 422
    assert "ist eine Nummer aus GB" in response.get_data(as_text=True)
    assert messages(session, "signup:") == []


def test_a_helper_profile_is_checked_against_the_countries_it_is_given():
    assert validate_profile({**HELPER, "phone": UK_MOBILE}, countries=frozenset({"GB"})).phone == (
        "+447400123456"
    )


def test_an_organisation_contact_number_may_not_be_a_premium_number(app, session):
    with pytest.raises(InvalidOrganisation) as exc:
        register_organisation(
            session, "Tafel", PREMIUM, username="tafel", password="tafel-passwort-1234"
        )
    assert "Premium-Dienst-Nummer" in exc.value.errors["contact_phone"]
    assert session.scalar(select(Organisation.id)) is None


def test_an_organisation_contact_number_may_be_an_office_landline(app, session):
    org, _ = register_organisation(
        session, "Tafel", BERLIN_LANDLINE, username="tafel", password="tafel-passwort-1234"
    )
    assert org.contact_phone == "+49301234567"


# -- phone intake -----------------------------------------------------------------------------


def _to_callback_question(driver: TwilioDriver):  # noqa: ANN202
    doc = driver.twiml("/twilio/voice")
    for path, digits in [
        ("/twilio/voice/node/language?a=1", "1"),
        ("/twilio/voice/node/menu?a=1", "1"),
    ]:
        doc = driver.twiml(path, Digits=digits)
    for digits in ("1", "10115", "1", "2"):  # shopping, postcode, right, tomorrow
        doc = driver.twiml(doc.find("Gather").get("action"), Digits=digits)
    return doc


@pytest.fixture
def intake_line(app, session):  # noqa: ANN201
    configure(app)
    return make_line(session, name="Nachbarschaftshilfe", flow="nachbarschaftshilfe")


def test_a_premium_rate_caller_id_is_not_offered_as_callback_number(app, intake_line):
    doc = _to_callback_question(TwilioDriver(app, caller="+499001234567"))
    assert doc.find("Gather").get("action") == "/twilio/voice/intake/callback/enter?a=1"
    assert say_texts(doc)[0].startswith("Bitte geben Sie Ihre Rückrufnummer")


def test_a_keyed_in_premium_rate_callback_number_is_asked_again(app, session, intake_line):
    driver = TwilioDriver(app)
    doc = _to_callback_question(driver)
    doc = driver.twiml(doc.find("Gather").get("action"), Digits="2")  # another number
    doc = driver.twiml(doc.find("Gather").get("action"), Digits="09001234567")
    assert say_texts(doc)[0] == "Diese Nummer ist leider nicht gültig."
    assert doc.find("Gather").get("action") == "/twilio/voice/intake/callback/enter?a=2"
    assert session.scalar(select(Ticket.id)) is None


def test_the_operators_ticket_form_refuses_a_shared_cost_callback_number(app, session):
    configure(app)
    make_user(session, Role.COORDINATOR, username="kim")
    client = app.test_client()
    login(client, "kim")
    response = post(
        client,
        "/dispatch/tickets/neu",
        {
            "activity": "shopping",
            "postal_code": "10115",
            "starts_at": "2026-03-12T10:00",
            "hours": "2",
            "needed": "1",
            "requester_phone": "0180 1234567",
        },
    )
    assert response.status_code == 422
    assert "Servicenummer mit geteilten Kosten" in response.get_data(as_text=True)
    assert session.scalar(select(Ticket.id)) is None

"""Domain errors carry a code and parameters and are translated where they are shown: the
command line and the logs read English, each page its own language, and nothing is
pattern-matched back from an English message."""

from __future__ import annotations

import ast
import datetime as dt
import io
import pickle
import re
from pathlib import Path

import pytest

import dispatch  # noqa: F401 - each feature registers its refusals when imported
import hotline.voice  # noqa: F401
from dispatch.postcodes import UnknownPostalCode
from hotline.core import errors
from hotline.core.catalogues import has_text
from hotline.core.errors import MESSAGES, DomainError, FieldErrors, Word
from hotline.core.i18n import error_text, error_texts
from hotline.core.models import Role
from hotline.core.oncall.shifts import ShiftError
from hotline.rosters.audit import SYSTEM
from hotline.rosters.shift_edits import add_shift
from tests.conftest import make_line, make_operator
from tests.dispatch_support import configure
from tests.roster_support import login, make_user, post

ROOT = Path(__file__).resolve().parent.parent
#: The project's own DomainError subclasses, whose first argument is the code.
RAISED_WITH_CODE = {
    "DomainError",
    "ShiftError",
    "LineError",
    "OperatorError",
    "AccountError",
    "BlockError",
    "StaffingError",
    "FilterError",
    "CallbackError",
    "BadTime",
    "CellProblem",
    "UnknownPostalCode",
    "TakeFailed",
    "SignupFailed",
    "BadSearch",
}


def codes_in_source() -> dict[str, str]:
    """Every literal code a DomainError (or subclass) is built with, and where."""
    found: dict[str, str] = {}
    for folder in ("hotline", "dispatch"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                first = node.args[0]
                literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
                if name in RAISED_WITH_CODE and literal:
                    found[first.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


# -- the error itself ---------------------------------------------------------------------------


def test_a_domain_error_reads_english_on_the_command_line_and_german_on_request():
    error = ShiftError("shift_too_long", hours=12)
    assert error.code == "shift_too_long"
    assert error.msgid == "Eine Schicht darf höchstens {hours} Stunden dauern."
    assert error.params == {"hours": 12}
    assert str(error) == "a shift may last at most 12 hours"
    assert error.text("de") == "Eine Schicht darf höchstens 12 Stunden dauern."


def test_a_domain_error_is_a_value_error_so_existing_handlers_still_catch_it():
    with pytest.raises(ValueError, match="a shift must end after it starts"):
        raise ShiftError("shift_ends_before_start")


def test_a_code_that_is_not_listed_fails_where_it_is_raised():
    with pytest.raises(KeyError, match="no_such_refusal"):
        DomainError("no_such_refusal")


def test_a_word_parameter_is_shown_in_the_language_of_the_message():
    from hotline.core.csvfiles import CellProblem

    error = CellProblem("csv_choice_unknown", what=Word("Status"), value="x", choices="a, b")
    assert error.text("de") == "Status unbekannt: x (möglich: a, b)"
    assert str(error) == "Status unknown: x (possible: a, b)"


def test_a_language_without_the_text_shows_the_german_one():
    error = ShiftError("shift_ends_before_start")
    assert error.text("xx") == "Eine Schicht muss nach ihrem Beginn enden."


def test_a_domain_error_survives_pickling_with_its_code_and_parameters():
    error = pickle.loads(pickle.dumps(ShiftError("line_unknown", line_id=7)))
    assert (type(error), error.code, error.params, str(error)) == (
        ShiftError,
        "line_unknown",
        {"line_id": 7},
        "line 7 does not exist",
    )


def test_field_errors_keep_every_refusal_and_give_their_texts_in_a_language():
    error = FieldErrors({"postal_code": UnknownPostalCode("postal_code_unknown", code="00000")})
    assert error.errors == {"postal_code": "Die Postleitzahl 00000 steht nicht in unserer Tabelle."}
    assert error.texts("en") == {
        "postal_code": "Postal code 00000 is not in the postal code table."
    }
    assert str(error) == "postal_code: Postal code 00000 is not in the postal code table."


def test_error_text_follows_the_page_language(app):
    error = ShiftError("week_not_monday")
    with app.test_request_context("/?lang=en"):
        assert error_text(error) == "a week starts on a Monday"
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert error_text(error) == "Eine Woche beginnt an einem Montag."
        assert error_texts(FieldErrors({"week": error})) == {
            "week": "Eine Woche beginnt an einem Montag."
        }


def test_error_text_outside_a_request_is_english():
    assert error_text(ShiftError("week_not_monday")) == "a week starts on a Monday"


# -- every refusal is listed and translated -------------------------------------------------------


def test_every_code_raised_in_the_source_is_listed():
    unlisted = {code: where for code, where in codes_in_source().items() if code not in MESSAGES}
    assert unlisted == {}


def test_every_listed_refusal_is_raised_somewhere():
    raised = set(codes_in_source())
    # built from a variable: phone_<problem> and note_<reason>
    raised |= {code for code in MESSAGES if code.startswith(("phone_", "note_"))}
    assert set(MESSAGES) - raised == set()


@pytest.mark.parametrize("language", ["de", "en", "tr", "ar", "uk", "ru"])
def test_every_refusal_is_in_every_catalogue(language):
    missing = [code for code, msgid in MESSAGES.items() if not has_text(language, msgid)]
    assert missing == []


def test_every_translation_of_a_refusal_fills_only_placeholders_its_raisers_give():
    """Raisers pass what the German and the English text name; a translation (tr, ar, uk,
    ru) naming anything else would fail when shown."""
    from hotline.core.catalogues import LANGUAGES, text_in

    def names(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)", text))

    unknown = {
        (code, language): names(text_in(language, msgid))
        - names(msgid)
        - names(text_in("en", msgid))
        for code, msgid in MESSAGES.items()
        for language in LANGUAGES
    }
    assert {key: value for key, value in unknown.items() if value} == {}


def test_the_i18n_module_no_longer_matches_english_messages():
    source = (ROOT / "hotline/core/i18n.py").read_text(encoding="utf-8")
    assert "DE_ERRORS" not in source and "re.fullmatch" not in source
    assert not hasattr(errors, "DE_ERRORS")


# -- pages ----------------------------------------------------------------------------------------


@pytest.fixture
def planner(app, session):
    make_user(session, Role.ADMIN, username="ada")
    client = app.test_client()
    login(client, "ada")
    return client


def _overlapping_shift(planner, session, query: str) -> str:  # noqa: ANN001
    line, anna = make_line(session), make_operator(session)
    add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 23)
    )
    response = post(
        planner,
        f"/dienstplan/schicht/neu{query}",
        {
            "line_id": line.id,
            "operator_id": anna.id,
            "start": "2030-01-07T21:00",
            "end": "2030-01-07T22:00",
        },
    )
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_a_german_roster_page_refuses_an_overlapping_shift_in_german(planner, session):
    page = _overlapping_shift(planner, session, "")
    assert "Diese Person hat schon eine Schicht von 2030-01-07 20:00 bis 2030-01-07 23:00." in page


def test_an_english_roster_page_refuses_an_overlapping_shift_in_english(planner, session):
    page = _overlapping_shift(planner, session, "?lang=en")
    assert "this person is already on shift from 2030-01-07 20:00 to 2030-01-07 23:00" in page
    assert "Diese Person hat schon eine Schicht" not in page


SIGNUP = {
    "name": "Mia Muster",
    "phone": "0151 23456789",
    "postal_code": "00000",
    "radius_km": "8",
    "activities": ["shopping"],
    "languages": "de",
    "preferred_language": "de",
    "availability": "mo-fr 17:00-20:00",
    "max_per_week": "2",
    "consent": "1",
}


def _signup(app, query: str) -> str:  # noqa: ANN001
    configure(app)
    client = app.test_client()
    page = client.get(f"/hilfe/anmelden{query}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/hilfe/anmelden{query}", data={**SIGNUP, "csrf_token": token})
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_a_german_dispatch_form_refuses_an_unknown_postal_code_in_german(app, session):
    page = _signup(app, "")
    assert "Die Postleitzahl 00000 steht nicht in unserer Tabelle." in page
    assert "Postal code 00000" not in page


def test_an_english_dispatch_form_refuses_an_unknown_postal_code_in_english(app, session):
    page = _signup(app, "?lang=en")
    assert "Postal code 00000 is not in the postal code table." in page
    assert "steht nicht in unserer Tabelle" not in page


SHIFTS_WITH_A_BAD_ROW = (
    "Telefon der Person;Nummer der Linie;Beginn;Ende\r\n0151 99999999;030 555555;morgen;x\r\n"
)


def _import(planner, query: str) -> str:  # noqa: ANN001
    response = post(
        planner,
        f"/dienstplan/import{query}",
        {"kind": "shifts", "file": (io.BytesIO(SHIFTS_WITH_A_BAD_ROW.encode()), "s.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_a_csv_import_reports_a_bad_row_in_german_on_a_german_page(planner, session):
    page = _import(planner, "")
    assert "&#39;morgen&#39; ist kein Zeitpunkt wie 2026-11-27 20:00." in page
    assert "Keine ehrenamtliche Person mit der Nummer 0151 99999999." in page


def test_a_csv_import_reports_a_bad_row_in_english_on_an_english_page(planner, session):
    page = _import(planner, "?lang=en")
    assert "&#39;morgen&#39; is not a date and time like 2026-11-27 20:00" in page
    assert "no operator with number 0151 99999999" in page


def test_a_missing_column_is_named_in_the_page_language(planner, session):
    response = post(
        planner,
        "/dienstplan/import?lang=en",
        {"kind": "shifts", "file": (io.BytesIO(b"Beginn;Ende\r\n"), "s.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert "Missing columns: Operator&#39;s phone, Line number" in page


def test_a_dispatch_form_check_speaks_the_page_language(app, session):
    configure(app)
    client = app.test_client()
    for query, expected in (
        ("", "Name: Bitte einen Namen angeben."),
        ("?lang=en", "Name: Please give a name."),
    ):
        page = client.get(f"/hilfe/anmelden{query}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            f"/hilfe/anmelden{query}", data={**SIGNUP, "name": "", "csrf_token": token}
        )
        assert response.status_code == 422
        assert expected in response.get_data(as_text=True)


def test_a_dispatch_length_check_names_its_limit_in_the_page_language(app, session):
    configure(app)
    client = app.test_client()
    page = client.get("/hilfe/anmelden?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/hilfe/anmelden?lang=en", data={**SIGNUP, "name": "x" * 121, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "Name: Please use at most 120 characters." in response.get_data(as_text=True)


def test_a_helper_import_reports_a_bad_row_in_the_page_language(app, session):
    configure(app)
    make_user(session, Role.COORDINATOR, username="koordination")
    client = app.test_client()
    login(client, "koordination")
    bad = (
        "name,phone,postal_code,activities,consent_at\n"
        "Cem,0151 11111111,99999,shopping,2026-01-04\n"
    )
    pages = {}
    for query in ("", "?lang=en"):
        page = client.get(f"/dispatch/helfende/import{query}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            f"/dispatch/helfende/import{query}",
            data={"csrf_token": token, "file": (io.BytesIO(bad.encode()), "h.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422
        pages[query] = response.get_data(as_text=True)
    assert "99999 ist keine bekannte Postleitzahl." in pages[""]
    assert "99999 is not a known postal code." in pages["?lang=en"]


def test_a_feature_registers_its_refusals_and_a_code_keeps_one_text():
    assert MESSAGES["landline_call_only"].startswith("Das ist eine Festnetznummer")  # dispatch's
    errors.register({"landline_call_only": MESSAGES["landline_call_only"]})  # the same: fine
    with pytest.raises(ValueError, match="landline_call_only"):
        errors.register({"landline_call_only": "Ein anderer Text."})

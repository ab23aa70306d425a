"""Imports people can use: the CSV files German spreadsheets write (``;``, Windows-1252 or
UTF-8 with BOM), headers and values as the pages name them, every error of every row in
the page's language, nothing half-imported, and a sample file that imports cleanly."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dispatch.helper_import import import_csv, import_file, sample
from dispatch.models import Helper
from hotline.core import csvfiles
from hotline.core.models import Role
from hotline.core.oncall.models import Operator, Shift
from hotline.rosters import csvio
from hotline.rosters.audit import SYSTEM
from tests.conftest import make_line, make_operator
from tests.dispatch_support import configure, request_scope
from tests.roster_support import login, make_user

GERMAN_HELPERS = (
    "Name;Handynummer;PLZ;Tätigkeiten;Sprachen;Zeiten;Sprache für Nachrichten;Einwilligung am\r\n"
    "Jürgen Müßig;0151 11111111;10115;Einkaufen, Begleitung zu Terminen;Deutsch, Türkisch;"
    "Montag-Freitag 09:00-12:00;Türkisch;02.01.2026\r\n"
)


def count(session, model) -> int:  # noqa: ANN001
    return session.scalar(select(func.count()).select_from(model))


def test_a_windows_1252_file_with_semicolons_and_umlauts_imports(session):
    result = import_file(session, GERMAN_HELPERS.encode("cp1252"))
    assert result.ok, [e.text() for e in result.errors]
    helper = session.scalars(select(Helper)).one()
    assert helper.name == "Jürgen Müßig"
    assert helper.activities == ["shopping", "accompaniment"]
    assert helper.languages == ["de", "tr"] and helper.preferred_language == "tr"
    assert helper.availability["0"] == [["09:00", "12:00"]]
    assert helper.availability["4"] == [["09:00", "12:00"]] and "5" not in helper.availability
    assert helper.consent_at.date().isoformat() == "2026-01-02"


def test_a_utf8_file_with_byte_order_mark_imports(session):
    result = import_file(session, GERMAN_HELPERS.encode("utf-8-sig"))
    assert result.ok and result.created == 1
    assert session.scalars(select(Helper.name)).one() == "Jürgen Müßig"


def test_german_weekday_short_names_and_activity_labels_any_case(session):
    text = GERMAN_HELPERS.replace("Montag-Freitag 09:00-12:00", "sa 10:00-14:00, So. 10:00-12:00")
    text = text.replace("Einkaufen, Begleitung zu Terminen", "übersetzen")
    assert import_csv(session, text).ok
    helper = session.scalars(select(Helper)).one()
    assert helper.activities == ["translation"]
    assert sorted(helper.availability) == ["5", "6"]


def test_the_channel_column_takes_the_words_the_helper_form_shows(session):
    text = (
        "Name;Handynummer;E-Mail;PLZ;Tätigkeiten;Kanal;Einwilligung am\r\n"
        "Ada;0151 33333333;ada@example.org;10115;Einkaufen;beides;02.01.2026\r\n"
        "Bo;0151 44444444;bo@example.org;10115;Einkaufen;E-Mail;02.01.2026\r\n"
        "Cy;0151 55555555;;10115;Einkaufen;;02.01.2026\r\n"
    )
    assert import_csv(session, text).ok
    channels = dict(session.execute(select(Helper.name, Helper.channel_codes)).all())
    assert channels == {"Ada": ",sms,email,", "Bo": ",email,", "Cy": ",sms,"}


def test_e_mail_as_channel_without_an_address_is_an_error_of_that_row(session):
    text = (
        "Name;Handynummer;PLZ;Tätigkeiten;Kanal;Einwilligung am\r\n"
        "Ada;0151 33333333;10115;Einkaufen;E-Mail;02.01.2026\r\n"
        "Bo;0151 44444444;10115;Einkaufen;Brieftaube;02.01.2026\r\n"
    )
    result = import_csv(session, text)
    assert not result.ok and count(session, Helper) == 0
    assert [(e.line, e.column) for e in result.errors] == [(2, "Kanal"), (3, "Kanal")]


BAD_ROW = (
    "Name;Handynummer;PLZ;Tätigkeiten;Sprachen;Zeiten;Einwilligung am\r\n"
    "Ada;0151 22222222;10115;Einkaufen;Deutsch;;2026-01-02\r\n"
    ";030 1234567;99999;Fliegen;Klingonisch;Blautag 09:00-12:00;gestern\r\n"
)


def test_every_error_of_a_row_is_reported_in_german_and_nothing_is_imported(session):
    result = import_csv(session, BAD_ROW)
    assert not result.ok and result.created == 0
    found = {(e.line, e.column): e.text() for e in result.errors}
    assert set(found) == {
        (3, "Name"),
        (3, "Handynummer"),
        (3, "Postleitzahl"),
        (3, "Tätigkeiten"),
        (3, "Sprachen"),
        (3, "Zeiten"),
        (3, "Einwilligung am"),
    }
    assert found[(3, "Name")] == "Der Name fehlt."
    assert "Festnetz" in found[(3, "Handynummer")]
    assert found[(3, "Sprachen")] == "Unbekannte Sprache: Klingonisch"
    assert found[(3, "Zeiten")] == "Unbekannter Wochentag: Blautag"
    assert found[(3, "Tätigkeiten")].startswith("Unbekannte Tätigkeit: Fliegen (möglich: Einkaufen")
    assert count(session, Helper) == 0


def test_every_error_of_a_row_is_reported_in_english_on_an_english_page(app, session):
    with app.test_request_context("/?lang=en"):
        result = import_csv(session, BAD_ROW)
        found = {e.column_text(): e.text() for e in result.errors}
    assert found["Name"] == "The name is missing."
    assert found["Languages"] == "Unknown language: Klingonisch"
    assert found["Times"] == "Unknown weekday: Blautag"
    assert found["Consent given on"] == "gestern is not a date (DD.MM.YYYY)."
    assert "landline" in found["Mobile number"]


def test_the_helper_sample_file_imports_cleanly(session):
    body = sample()
    assert body.startswith(b"\xef\xbb\xbf") and b";" in body.splitlines()[0]
    result = import_file(session, body)
    assert result.ok, [e.text() for e in result.errors]
    assert sorted(session.scalars(select(Helper.name))) == ["Ada Muster", "Ümit Özdemir"]


def test_the_helper_sample_is_offered_on_the_import_page(app, session):
    configure(app)
    client = app.test_client()
    make_user(session, Role.COORDINATOR, username="koordination")
    with request_scope():
        assert login(client, "koordination").status_code == 302
        page = client.get("/dispatch/helfende/import").get_data(as_text=True)
        download = client.get("/dispatch/helfende/import/vorlage.csv")
    assert "/dispatch/helfende/import/vorlage.csv" in page
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.data == sample()


# -- operators and shifts ---------------------------------------------------------------------


def test_operators_with_german_headers_languages_and_status_in_windows_1252(session):
    text = "Name;Telefon;Sprachen;Status\r\nJörg Weiß;0151 00000001;Deutsch, Türkisch;pausiert\r\n"
    report = csvio.import_operators(session, csvio.decode(text.encode("cp1252")))
    assert report.ok, report.errors
    operator = session.scalars(select(Operator)).one()
    assert (operator.name, operator.languages, operator.status.value) == (
        "Jörg Weiß",
        ["de", "tr"],
        "paused",
    )


def test_every_error_of_an_operator_row_is_reported(session):
    text = "Name;Telefon;Sprachen;Status\r\n;030 1234567;Klingonisch;irgendwie\r\n"
    report = csvio.import_operators(session, text)
    assert [line for line, _ in report.errors] == [2, 2, 2, 2]
    messages = " | ".join(m for _, m in report.messages())
    assert "name is empty" in messages and "landline" in messages
    assert "status must be active or paused" in messages and "unknown language" in messages
    assert count(session, Operator) == 0


def test_shifts_with_german_headers_and_dates_in_a_bom_file(session):
    line, anna = make_line(session), make_operator(session, phone="+4915100000001")
    text = (
        "Telefon der Person;Nummer der Linie;Beginn;Ende\r\n"
        f"{anna.phone_number};{line.number};07.01.2030 20:00;07.01.2030 23:00\r\n"
    )
    report = csvio.import_shifts(session, csvio.decode(text.encode("utf-8-sig")), SYSTEM)
    assert report.ok, report.errors
    assert count(session, Shift) == 1


def test_every_error_of_a_shift_row_is_reported(session):
    make_line(session)
    text = "Telefon der Person;Nummer der Linie;Beginn;Ende\r\n0151 99999999;030 555555;morgen;32.01.2030 20:00\r\n"
    report = csvio.import_shifts(session, text, SYSTEM)
    assert [line for line, _ in report.errors] == [2, 2, 2, 2]
    assert count(session, Shift) == 0


def test_the_roster_sample_files_import_cleanly(session):
    make_line(session)
    make_operator(session)
    assert csvio.import_operators(session, csvio.decode(csvio.sample_operators())).ok
    report = csvio.import_shifts(session, csvio.decode(csvio.sample_shifts(session)), SYSTEM)
    assert report.ok, report.errors
    assert count(session, Shift) == 2


def test_a_missing_column_is_named_as_the_page_names_it(session):
    report = csvio.import_shifts(session, "Telefon der Person;Beginn;Ende\r\n", SYSTEM)
    assert report.messages("de") == [(1, "Es fehlen Spalten: Nummer der Linie")]


@pytest.mark.parametrize(
    ("raw", "codes"),
    [
        ("Deutsch, Türkisch", ["de", "tr"]),
        ("de tr", ["de", "tr"]),
        ("Tuerkisch/Arabisch", ["tr", "ar"]),
    ],
)
def test_languages_by_their_german_names_or_codes(raw, codes):
    assert csvfiles.language_codes(raw) == codes


def test_weekdays_by_their_german_names():
    assert [csvfiles.weekday(n) for n in ("Montag", "Mo", "mo.", "Sonntag", "So")] == [
        0,
        0,
        0,
        6,
        6,
    ]

"""Every SMS and spoken text to one person comes from the gettext catalogues: an operator
reads their language (the first of theirs the catalogue translates, else German), callers
hear the IVR's prompts in all six languages, and a text English lacks is reported."""

from __future__ import annotations

import importlib.util
import itertools
import shutil
from pathlib import Path

import pytest

from hotline.core import catalogues
from hotline.core.prompts import message
from hotline.rosters import confirmations, operator_sms, reminders
from hotline.voice import sms as escalation_sms
from hotline.voice import walkhome_texts
from ivr_flows.messages import MESSAGES
from tests.conftest import make_line, make_operator

ROOT = Path(__file__).resolve().parent.parent
LINE_NUMBER = "+4930120000"
_sids = itertools.count(1)

#: Every text table written to one person, msgid by msgid.
PERSONAL_TEXTS = [
    *walkhome_texts.TEXTS.values(),
    *walkhome_texts.SPOKEN.values(),
    walkhome_texts.CALLER_SPOKEN,
    *escalation_sms.TEXTS.values(),
    escalation_sms.ESCALATION_HELP,
    *operator_sms.TEXTS.values(),
    *confirmations.TEXTS.values(),
    reminders.REMINDER_TEXT,
    *MESSAGES.values(),
]


def _translations_tool():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts/translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def text(twilio, sender: str, body: str) -> str:
    """A new text to the line's number (its own MessageSid); the reply."""
    sid = f"SM{next(_sids):032d}"
    doc = twilio.twiml("/twilio/sms", From=sender, To=LINE_NUMBER, Body=body, MessageSid=sid)
    return "".join(m.text or "" for m in doc.iter("Message"))


@pytest.fixture
def line(session):
    return make_line(session, number=LINE_NUMBER)


def test_an_english_operator_gets_the_help_in_english_from_every_feature(twilio, session, line):
    ben = make_operator(session, languages=["en"])
    reply = text(twilio, ben.phone_number, "Hello?")
    assert reply.startswith("Commands: ON (available), OFF (not available)")
    assert "After calls: CALLBACK (call your last caller back)" in reply
    assert reply.endswith(
        "During a call: ESCALATE (bring in help), ESCALATE COORDINATOR, ESCALATE 112."
    )


def test_a_german_operator_gets_the_help_in_german_from_every_feature(twilio, session, line):
    anna = make_operator(session, languages=["de", "en"])
    reply = text(twilio, anna.phone_number, "Hallo?")
    assert reply.startswith("Befehle: AN (erreichbar), AUS (nicht erreichbar)")
    assert "Nach Anrufen: RÜCKRUF (letzte Person zurückrufen)" in reply
    assert reply.endswith("Im Gespräch: HILFE (Verstärkung), HILFE KOORDINATION, HILFE 112.")


def test_a_keyword_is_answered_in_its_own_language(twilio, session, line):
    anna = make_operator(session, languages=["de"])
    assert text(twilio, anna.phone_number, "ESCALATE") == (
        "You are not in a call anyone could join right now."
    )
    assert text(twilio, anna.phone_number, "NOTIZ") == (
        "So schreiben Sie eine Notiz: NOTIZ <Kategorie> <Text>. Kategorien: HEIMWEG, "
        "GESPRAECH, INFO, KRISE, TECHNIK, SONSTIGES."
    )
    assert text(twilio, anna.phone_number, "NOTE") == (
        "To write a note: NOTE <category> <text>. Categories: WALK, TALK, INFO, CRISIS, "
        "TECH, OTHER."
    )


def test_an_english_operator_reads_weekdays_in_english(twilio, session, line):
    from tests.conftest import make_shift

    ben = make_operator(session, languages=["en"])
    shift = make_shift(session, ben, line, hours=4)
    session.commit()
    reply = text(twilio, ben.phone_number, "SHIFTS")
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[shift.local_start.weekday()]
    assert reply.startswith(f"Your next shifts: {day} {shift.local_start:%d.%m. %H:%M}")


def test_an_operator_without_a_translated_language_reads_german(twilio, session, line):
    pierre = make_operator(session, languages=["fr"])
    assert text(twilio, pierre.phone_number, "Bonjour").startswith("Befehle: AN (erreichbar)")


def test_until_their_first_language_is_translated_an_operator_reads_their_next(
    twilio, session, line, monkeypatch
):
    """Turkish counts once its catalogue has every operator text; until then English."""
    translated = catalogues.has_text
    monkeypatch.setattr(
        catalogues, "has_text", lambda lang, msgid: lang != "tr" and translated(lang, msgid)
    )
    ayse = make_operator(session, languages=["tr", "en"])
    assert text(twilio, ayse.phone_number, "Merhaba").startswith("Commands: ON (available)")
    assert walkhome_texts.operator_language(ayse) == "en"


def test_a_language_is_used_once_its_catalogue_translates_all_the_texts():
    wanted = [operator_sms.TEXTS["help"], operator_sms.TEXTS["on"]]
    assert catalogues.first_translated(["tr", "en"], wanted) == "tr"
    assert catalogues.first_translated(["fr", "ru", "de", "en"], wanted) == "ru"
    assert catalogues.first_translated(["fr"], wanted) == "de"
    untranslated = [*wanted, "Ein Text, den noch kein Katalog übersetzt"]
    assert catalogues.first_translated(["tr", "en"], untranslated) == "de"
    assert catalogues.first_translated([], wanted) == "de"
    assert catalogues.first_translated(["ru"], [MESSAGES["whisper"]]) == "ru"


def test_spoken_operator_prompts_come_in_the_operators_language():
    assert walkhome_texts.spoken("en", "bye") == "Thank you. Goodbye."
    assert walkhome_texts.spoken("de", "bye") == "Danke. Auf Wiederhören."
    assert walkhome_texts.text("en", "window_over", minutes=30) == (
        "No call-back: the call was more than 30 minutes ago."
    )


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_system_prompt_is_spoken_in_all_six_languages(key):
    german = message(key, "de", line="Heimwegtelefon", position=2)
    assert german == MESSAGES[key].format(line="Heimwegtelefon", position=2)
    for lang in ("en", "tr", "ar", "uk", "ru"):
        spoken = message(key, lang, line="Heimwegtelefon", position=2)
        assert spoken.strip(), lang
        assert spoken != german, lang
        assert "{" not in spoken, lang


def test_a_flows_own_wording_comes_before_the_catalogue():
    overrides = {"whisper": {"en": "Call on {line}, press 1.", "de": "Anruf auf {line}."}}
    assert message("whisper", "en", overrides, line="L") == "Call on L, press 1."
    assert message("whisper", "tr", overrides, "de", line="L") == "Anruf auf L."
    assert message("blocked", "tr", overrides, "de", line="L") == (
        "Bu numara şu anda L hattına ulaşamıyor. Hoşça kalın."
    )


def test_a_prompt_in_a_language_without_catalogue_falls_back_to_the_flows_language():
    assert message("connecting", "fr", None, "en") == "One moment please, we are connecting you."
    assert message("connecting", "fr") == "Einen Moment bitte, wir verbinden Sie."


def test_every_text_to_one_person_is_extracted_into_the_catalogues():
    extracted = _translations_tool().extract()
    assert [msgid for msgid in PERSONAL_TEXTS if msgid not in extracted] == []


def test_every_text_to_one_person_is_translated_into_english():
    assert [msgid for msgid in PERSONAL_TEXTS if not catalogues.has_text("en", msgid)] == []


def test_an_operator_text_without_its_english_translation_is_reported(tmp_path, monkeypatch):
    tool = _translations_tool()
    shutil.copytree(tool.TRANSLATIONS, tmp_path, dirs_exist_ok=True)
    monkeypatch.setattr(tool, "TRANSLATIONS", tmp_path)
    english = tool.load("en")
    msgid = operator_sms.TEXTS["off"]
    english[msgid].string = ""
    with tool.po_path("en").open("wb") as fh:
        tool.write_po(fh, english, width=100, sort_output=True)
    assert f"en: no translation for {msgid!r}" in tool.problems()

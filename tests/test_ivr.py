"""The IVR as a caller meets it: greeting, language choice, menus by key and by voice,
retries, opening hours, and what gets recorded about the call."""

import datetime as dt

from sqlalchemy import select

from hotline.core.oncall.lines import add_closure
from hotline.voice.models import Call, CallOutcome
from tests.conftest import make_line, make_operator, make_shift, say_texts


def call_record(session, twilio):
    session.expire_all()
    return session.scalar(select(Call).where(Call.call_sid == twilio.call_sid))


def test_entry_greets_in_german_first(session, twilio):
    make_line(session)
    doc = twilio.twiml("/twilio/voice")
    first = doc.find("Say")
    assert first.get("language") == "de-DE"
    assert first.get("voice") == "Polly.Vicki"
    assert first.text.startswith("Willkommen beim Heimwegtelefon")


def test_language_menu_speaks_each_language_in_its_own_voice(session, twilio):
    make_line(session)
    gather = twilio.twiml("/twilio/voice").find("Gather")
    assert [(s.get("language"), s.text) for s in gather.iter("Say")] == [
        ("de-DE", "Für Deutsch drücken Sie die 1."),
        ("en-GB", "For English, press 2."),
    ]
    assert gather.get("numDigits") == "1"
    assert "speech" in gather.get("input")


def test_silence_falls_through_to_a_retry_of_the_same_node(session, twilio):
    make_line(session)
    doc = twilio.twiml("/twilio/voice")
    redirect = doc.find("Redirect")
    assert redirect.text == "/twilio/voice/node/language?a=1&empty=1"


def test_choosing_english_by_key_switches_prompts_and_voice(session, twilio):
    make_line(session)
    twilio.twiml("/twilio/voice")
    doc = twilio.twiml("/twilio/voice/node/language?a=1", Digits="2")
    gather = doc.find("Gather")
    say = gather.find("Say")
    assert say.get("language") == "en-GB"
    assert say.text.startswith("To be accompanied on your way home")
    assert gather.get("language") == "en-GB"
    assert call_record(session, twilio).language == "en"


def test_choosing_a_language_by_speech(session, twilio):
    make_line(session)
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", SpeechResult="English please")
    assert call_record(session, twilio).language == "en"


def test_menu_answered_by_voice(session, twilio):
    line = make_line(session)
    make_shift(session, make_operator(session), line)
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    doc = twilio.twiml("/twilio/voice/node/menu?a=1", SpeechResult="Begleitung bitte")
    assert doc.find("Dial") is not None
    assert call_record(session, twilio).menu_steps() == ["hours=open", "language=de", "menu=1"]


def test_invalid_key_repeats_the_menu_with_an_apology(session, twilio):
    make_line(session)
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    doc = twilio.twiml("/twilio/voice/node/menu?a=1", Digits="7")
    gather = doc.find("Gather")
    assert gather.get("action") == "/twilio/voice/node/menu?a=2"
    assert say_texts(gather)[0] == "Das habe ich nicht verstanden."


def test_no_input_repeats_the_menu_with_the_no_input_prompt(session, twilio):
    make_line(session)
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    doc = twilio.twiml("/twilio/voice/node/menu?a=1&empty=1")
    assert say_texts(doc.find("Gather"))[0].startswith("Ich habe nichts gehört")


def test_retries_exhausted_goes_to_on_failure(session, twilio):
    line = make_line(session)
    make_shift(session, make_operator(session), line)
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    doc = twilio.twiml("/twilio/voice/node/menu?a=3&empty=1")  # heimweg menu: retries 2
    assert doc.find("Dial") is not None
    assert call_record(session, twilio).menu_steps()[-1] == "menu=-"


def test_language_retries_exhausted_keeps_the_default_language(session, twilio):
    make_line(session)
    twilio.twiml("/twilio/voice")
    doc = twilio.twiml("/twilio/voice/node/language?a=2&empty=1")  # retries: 1
    assert doc.find("Gather").get("action") == "/twilio/voice/node/menu?a=1"
    assert doc.find("Gather").find("Say").get("language") == "de-DE"


def test_info_option_loops_back_to_the_menu(session, twilio):
    make_line(session)
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="1")
    doc = twilio.twiml("/twilio/voice/node/menu?a=1", Digits="2")
    assert say_texts(doc)[0].startswith("Das Heimwegtelefon ist jede Nacht")
    assert doc.find("Gather").get("action") == "/twilio/voice/node/menu?a=1"


def test_closed_line_plays_the_opening_hours_message_and_hangs_up(session, twilio):
    make_line(session, hours={"mon": ["03:00-03:01"]})
    doc = twilio.twiml("/twilio/voice")
    assert "Das Heimwegtelefon ist gerade nicht besetzt" in say_texts(doc)[-1]
    assert doc[-1].tag == "Hangup"
    call = call_record(session, twilio)
    assert call.outcome == CallOutcome.AFTER_HOURS
    assert call.menu_steps() == ["hours=closed"]


def test_holiday_closure_closes_an_otherwise_open_line(session, twilio):
    from zoneinfo import ZoneInfo

    line = make_line(session)
    add_closure(line, dt.datetime.now(ZoneInfo(line.timezone)).date(), "Heiligabend")
    session.flush()
    doc = twilio.twiml("/twilio/voice")
    assert doc[-1].tag == "Hangup"


def test_webhook_retry_with_the_same_call_sid_creates_one_record(session, twilio):
    make_line(session)
    first = twilio.twiml("/twilio/voice")
    second = twilio.twiml("/twilio/voice")
    assert ET_tostring(first) == ET_tostring(second)
    session.expire_all()
    assert len(session.scalars(select(Call).where(Call.call_sid == twilio.call_sid)).all()) == 1


def test_call_record_keeps_a_salted_hash_and_the_number(session, twilio):
    make_line(session)
    twilio.twiml("/twilio/voice")
    call = call_record(session, twilio)
    assert call.caller_number == "+4917612345678"
    assert len(call.caller_hash) == 64 and "4917612345678" not in call.caller_hash


def test_unknown_hotline_number_rings_the_configured_fallback(app, twilio):
    app.config["FALLBACK_NUMBER"] = "+4930999999"
    doc = twilio.twiml("/twilio/voice", To="+4930777777")
    assert doc.find("Dial").text == "+4930999999"


def test_line_with_a_flow_that_failed_to_load_rings_its_fallback(app, session, twilio):
    app.config["FALLBACK_NUMBERS"] = {"+4930120000": "+4930120099"}
    make_line(session, flow="does-not-exist")
    doc = twilio.twiml("/twilio/voice")
    assert doc.find("Dial").text == "+4930120099"


def ET_tostring(doc):  # noqa: N802
    import xml.etree.ElementTree as ET

    return ET.tostring(doc)

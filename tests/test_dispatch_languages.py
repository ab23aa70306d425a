"""Dispatch in six languages: offers, replies, thank-yous, the accept page and the phone
intake speak the helper's or the requester's language (German, English, Turkish, Arabic,
Ukrainian, Russian), read from the console's catalogues; a language whose catalogue lacks
any dispatch text is not used (German instead), and every text of every language is in its
catalogue."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from dispatch import helper_links, texts
from dispatch.forms import HelperProfileForm
from dispatch.helpers import queue_signup_code
from dispatch.models import Signup, Ticket
from dispatch.offers import accept
from dispatch.outbound import THANKS
from dispatch.profile_forms import SettingsForm
from dispatch.thanks import thank_done_helps
from dispatch.waves import create_offers, send_wave
from hotline.core import catalogues
from hotline.core.catalogues import LANGUAGES
from tests.conftest import make_line, say_texts
from tests.dispatch_support import (
    DAYTIME,
    configure,
    make_helper,
    make_ticket,
    messages,
    offers,
    post_sms,
)

ROOT = Path(__file__).resolve().parent.parent
LINE = "+4930120000"

#: How an offer for shopping in 10115 Berlin begins, by SMS and as the e-mail's subject.
OFFER_BEGINS = {
    "tr": ("Rufbereit: yardım aranıyor - alışveriş, 10115 Berlin", "Yardım aranıyor: alışveriş"),
    "ar": ("Rufbereit: مطلوب مساعدة - التسوق في 10115 Berlin", "مطلوب مساعدة: التسوق"),
    "uk": ("Rufbereit: потрібна допомога - покупки, 10115 Berlin", "Потрібна допомога: покупки"),
    "ru": ("Rufbereit: нужна помощь - покупки, 10115 Berlin", "Нужна помощь: покупки"),
}


@pytest.fixture
def ctx(app):
    configure(app)
    with app.app_context():
        yield app


def _translations_tool():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts/translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without(language: str, monkeypatch) -> None:  # noqa: ANN001
    """As if ``language``'s catalogue lacked one dispatch text."""
    missing = texts.SMS["stand_down"].msgid
    translated = catalogues.has_text
    monkeypatch.setattr(
        catalogues,
        "has_text",
        lambda lang, msgid: not (lang == language and msgid == missing) and translated(lang, msgid),
    )


def _offer_to(session, helper) -> tuple[str, str]:  # noqa: ANN001
    """Send wave 1 of a shopping ticket in 10115 Berlin; the offer's SMS and mail subject."""
    ticket = make_ticket(session, languages=("de", *helper.languages))
    send_wave(session, ticket.id, 1, DAYTIME)
    [sms] = [m for m in messages(session, "offer:") if m.to == helper.phone]
    [mail] = [m for m in messages(session, "email:offer:") if m.to == helper.email]
    return sms.body, mail.subject or ""


# -- helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", sorted(OFFER_BEGINS))
def test_a_helper_is_offered_help_by_sms_and_email_in_their_language(ctx, session, language):
    helper = make_helper(
        session,
        preferred_language=language,
        languages=["de", language],
        email=f"{language}@example.org",
        channels=["sms", "email"],
    )
    sms, subject = _offer_to(session, helper)
    sms_begins, subject_begins = OFFER_BEGINS[language]
    assert sms.startswith(sms_begins)
    assert subject.startswith(subject_begins)


def test_a_helper_whose_language_lacks_a_dispatch_text_is_texted_in_german(
    ctx, session, monkeypatch
):
    _without("tr", monkeypatch)
    helper = make_helper(
        session,
        preferred_language="tr",
        languages=["de", "tr"],
        email="ayse@example.org",
        channels=["sms", "email"],
    )
    sms, subject = _offer_to(session, helper)
    assert sms.startswith("Rufbereit: Hilfe gesucht - Einkaufen in 10115 Berlin")
    assert subject.startswith("Hilfe gesucht: Einkaufen")


def test_until_their_first_language_is_complete_a_helper_who_speaks_english_reads_english(
    ctx, session, monkeypatch
):
    _without("tr", monkeypatch)
    helper = make_helper(session, preferred_language="tr", languages=["en", "tr"])
    assert texts.helper_language(helper) == "en"


def test_a_preferred_language_without_a_catalogue_falls_back_to_german(ctx, session):
    helper = make_helper(session, preferred_language="fr", languages=["fr", "de"])
    assert texts.helper_language(helper) == "de"


def test_a_ukrainian_helpers_reply_is_answered_in_ukrainian(ctx, session):
    helper = make_helper(session, preferred_language="uk", languages=["de", "uk"])
    ticket = make_ticket(session, languages=("de", "uk"))
    send_wave(session, ticket.id, 1, DAYTIME)
    response = post_sms(ctx, session, helper.phone, "NO")
    assert "Дякуємо за відповідь, ми запитаємо когось іншого" in response.get_data(as_text=True)


def test_a_russian_helper_who_accepts_gets_the_details_in_russian(ctx, session):
    helper = make_helper(session, preferred_language="ru", languages=["de", "ru"])
    ticket = make_ticket(session, languages=("de", "ru"))
    send_wave(session, ticket.id, 1, DAYTIME)
    response = post_sms(ctx, session, helper.phone, "YES")
    body = response.get_data(as_text=True)
    assert f"Спасибо за согласие ({ticket.reference})! Пожалуйста, свяжитесь с Erika" in body
    assert "Ваша страница: " in body


def test_an_arabic_helper_is_thanked_in_arabic_by_sms_and_email(ctx, session):
    helper = make_helper(
        session,
        preferred_language="ar",
        languages=["de", "ar"],
        email="ar@example.org",
        channels=["sms", "email"],
    )
    ticket = make_ticket(session, languages=("de", "ar"))
    send_wave(session, ticket.id, 1, DAYTIME)
    accept(session, offers(session, ticket)[0], send_details=False)
    assert thank_done_helps(session, DAYTIME + dt.timedelta(hours=4)) == 1
    by_channel = {m.channel.value: m for m in messages(session) if m.kind == THANKS}
    assert (by_channel["sms"].to, by_channel["email"].to) == (helper.phone, "ar@example.org")
    assert by_channel["sms"].body.startswith(
        "Rufbereit: شكرًا على مساعدتك (التسوق، 11.03. 10:00-13:00)!"
    )
    assert by_channel["email"].subject == f"شكرًا على مساعدتك ({ticket.reference})"


def test_a_russian_sign_up_gets_its_code_in_russian(ctx, session):
    signup = Signup(
        phone="+4915123456789",
        code_hash="x",
        profile={"preferred_language": "ru"},
        expires_at=DAYTIME,
        created_at=DAYTIME,
    )
    session.add(signup)
    session.flush()
    queue_signup_code(session, signup, "123456")
    [code] = messages(session, "signup:")
    assert code.body == "Ваш код подтверждения Rufbereit: 123456"


@pytest.mark.parametrize("language", ["de", "en", "tr", "ar", "uk", "ru"])
def test_the_helper_forms_offer_every_language_for_messages(app, language):
    with app.test_request_context():
        choices = [c[0] for c in HelperProfileForm().preferred_language.iter_choices()]
        settings = [c[0] for c in SettingsForm().language.iter_choices()]
    assert language in choices and language in settings


# -- the accept page ----------------------------------------------------------------------------


def _offer_page(app, session, client, language: str, **headers: str) -> str:  # noqa: ANN001
    helper = make_helper(session, preferred_language=language, languages=["de", language])
    ticket = make_ticket(session, languages=("de", language))
    with app.app_context():
        create_offers(session, ticket, [helper.id], 1, DAYTIME)
    token = offers(session, ticket)[0].token
    return client.get(f"/d/{token}", headers=headers).get_data(as_text=True)


def test_the_accept_page_of_an_arabic_helper_is_arabic_and_right_to_left(app, session):
    configure(app)
    page = _offer_page(app, session, app.test_client(), "ar", **{"Accept-Language": "de"})
    assert re.search(r'<html lang="ar" dir="rtl">', page)
    assert "نعم، سأساعد" in page  # "Ja, ich helfe"
    assert "مطلوب مساعدة:" in page  # "Hilfe gesucht:"


def test_the_helpers_own_page_is_in_their_language_right_to_left_for_arabic(app, session):
    configure(app)
    helper = make_helper(session, preferred_language="ar", languages=["ar"])
    with app.app_context():
        path = f"/hilfe/profil/{helper_links.token_for(helper)}"
    page = app.test_client().get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "طلباتك" in page  # "Ihre Anfragen"


def test_the_accept_page_speaks_the_helpers_language_not_the_browsers(app, session):
    configure(app)
    page = _offer_page(app, session, app.test_client(), "en", **{"Accept-Language": "tr"})
    assert '<html lang="en" dir="ltr">' in page
    assert "Yes, I will help" in page


# -- requesters and the phone intake -----------------------------------------------------------


@pytest.fixture
def line(app, session):  # noqa: ANN201
    configure(app)
    return make_line(session, number=LINE, name="Nachbarschaftshilfe", flow="nachbarschaftshilfe")


def _gather_says(doc) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(s.get("language"), s.text or "") for s in doc.find("Gather").iter("Say")]


def test_the_intake_offers_all_six_languages_each_in_its_own_voice(line, twilio):
    doc = twilio.twiml("/twilio/voice")  # greeting, then the language menu
    assert [locale for locale, _ in _gather_says(doc)] == [
        "de-DE",
        "en-GB",
        "tr-TR",
        "arb",
        "uk-UA",
        "ru-RU",
    ]
    assert [re.findall(r"\d", said) for _, said in _gather_says(doc)] == [[d] for d in "123456"]


def test_an_intake_in_ukrainian_speaks_ukrainian_and_the_ticket_records_it(line, twilio, session):
    twilio.twiml("/twilio/voice")
    twilio.twiml("/twilio/voice/node/language?a=1", Digits="5")
    doc = twilio.twiml("/twilio/voice/node/menu?a=1", Digits="1")
    assert _gather_says(doc)[-1] == ("uk-UA", texts.voice("kind", "uk"))
    assert _gather_says(doc)[-1][1].startswith("З чим вам потрібна допомога?")
    for digits in ("1", "33602", "1"):  # shopping, the postal code, it is right
        doc = twilio.twiml(doc.find("Gather").get("action"), Digits=digits)
    assert _gather_says(doc)[-1][1].startswith("Коли вам потрібна допомога?")
    doc = twilio.twiml(doc.find("Gather").get("action"), SpeechResult="завтра, будь ласка")
    for digits in ("1", "2"):  # call back on the caller ID, no message
        doc = twilio.twiml(doc.find("Gather").get("action"), Digits=digits)
    assert "Ваш запит прийнято" in " ".join(say_texts(doc))
    assert doc.find("Say").get("language") == "uk-UA"
    session.expire_all()
    [ticket] = session.scalars(select(Ticket))
    assert ticket.languages == ["uk"]
    assert texts.requester_language(ticket) == "uk"


def test_a_requester_on_a_mobile_is_told_in_their_language_that_help_was_found(ctx, session):
    make_helper(session, languages=["de", "tr"])
    ticket = make_ticket(session, languages=("tr", "de"))
    send_wave(session, ticket.id, 1, DAYTIME)
    accept(session, offers(session, ticket)[0])
    [told] = messages(session, f"requester:{ticket.id}")
    assert told.body == (
        f"Komşuluk yardımı: {ticket.reference} numaralı talebiniz için biri bulundu ve sizinle "
        "iletişime geçecek."
    )


def test_a_requester_on_a_landline_hears_it_in_their_language(line, twilio, session):
    ticket = make_ticket(session, languages=("ru",), requester_phone="+49301234567")
    doc = twilio.twiml(f"/twilio/voice/intake/notify?ticket={ticket.id}")
    say = doc.find("Say")
    assert say.get("language") == "ru-RU"
    assert say.text.startswith("Здравствуйте, это соседская помощь.")


# -- the catalogues -----------------------------------------------------------------------------


def test_every_dispatch_text_is_extracted_into_the_catalogues():
    extracted = _translations_tool().extract()
    assert [msgid for msgid in texts.DISPATCH_MSGIDS if msgid not in extracted] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_dispatch_text_is_translated_into_every_language(language):
    missing = [m for m in texts.DISPATCH_MSGIDS if not catalogues.has_text(language, m)]
    assert missing == []
    placeholders = re.compile(r"\{(\w*)\}")
    for msgid in texts.DISPATCH_MSGIDS:
        translated = catalogues.text_in(language, msgid)
        assert sorted(placeholders.findall(translated)) == sorted(placeholders.findall(msgid))
        if language != "de":
            assert translated != msgid, (language, msgid)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_is_complete_for_dispatch(language):
    assert texts.language_for([language]) == language

"""Helpers' SMS replies to /twilio/sms, in German and English."""

from __future__ import annotations

import pytest

from dispatch.models import HelperStatus, OfferState, TicketStatus
from dispatch.waves import send_wave
from tests.dispatch_support import (
    DAYTIME,
    configure,
    make_helper,
    make_ticket,
    messages,
    offers,
    post_sms,
    sms_xml,
)


@pytest.fixture
def ctx(app):
    configure(app)
    with app.app_context():
        yield app


def asked(session, helper, **ticket_kw):  # noqa: ANN001, ANN003, ANN201
    """A ticket on which only ``helper`` has been asked."""
    ticket = make_ticket(session, **ticket_kw)
    from dispatch.waves import create_offers

    create_offers(session, ticket, [helper.id], 1, DAYTIME)
    session.flush()
    return ticket, offers(session, ticket)[0]


@pytest.mark.parametrize("word", ["JA", "ja", "Ja!", "YES", "yes", "1"])
def test_yes_accepts_and_answers_with_the_requesters_details(ctx, session, word):
    helper = make_helper(session)
    ticket, offer = asked(session, helper)
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, word))
    assert offer.state == OfferState.ACCEPTED
    assert ticket.status == TicketStatus.FILLED
    assert "Erika" in reply and "+49 1521 2345678" in reply and "Invalidenstraße 1" in reply


def test_english_helper_gets_english_replies(ctx, session):
    helper = make_helper(session, preferred_language="en")
    asked(session, helper)
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, "yes"))
    assert reply.startswith("Thank you for accepting")


@pytest.mark.parametrize(
    ("word", "expected"), [("NEIN", "Danke für Ihre Antwort"), ("no", "Danke für Ihre Antwort")]
)
def test_no_declines(ctx, session, word, expected):
    helper = make_helper(session)
    ticket, offer = asked(session, helper)
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, word))
    assert offer.state == OfferState.DECLINED
    assert ticket.status == TicketStatus.OPEN
    assert reply.startswith(expected)


def test_no_in_english(ctx, session):
    helper = make_helper(session, preferred_language="en")
    _, offer = asked(session, helper)
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, "NO"))
    assert offer.state == OfferState.DECLINED
    assert reply.startswith("Thanks for letting us know")


def test_with_several_open_offers_yes_alone_asks_which_one(ctx, session):
    helper = make_helper(session)
    first, o1 = asked(session, helper)
    second, o2 = asked(session, helper)
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, "JA"))
    assert first.reference in reply and second.reference in reply
    assert o1.state == o2.state == OfferState.PENDING


@pytest.mark.parametrize("template", ["JA {code}", "YES {code}", "{code}"])
def test_offer_code_picks_the_offer(ctx, session, template):
    helper = make_helper(session)
    _, o1 = asked(session, helper)
    second, o2 = asked(session, helper)
    post_sms(ctx, session, helper.phone, template.format(code=second.reference))
    assert (o1.state, o2.state) == (OfferState.PENDING, OfferState.ACCEPTED)


@pytest.mark.parametrize("template", ["NEIN {code}", "NO {code}"])
def test_offer_code_with_no_declines_that_offer(ctx, session, template):
    helper = make_helper(session)
    first, o1 = asked(session, helper)
    _, o2 = asked(session, helper)
    post_sms(ctx, session, helper.phone, template.format(code=first.reference))
    assert (o1.state, o2.state) == (OfferState.DECLINED, OfferState.PENDING)


def test_unknown_offer_code_is_answered_with_the_open_ones(ctx, session):
    helper = make_helper(session)
    ticket, offer = asked(session, helper)
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, "JA 999999"))
    assert "999999" in reply and ticket.reference in reply
    assert offer.state == OfferState.PENDING


def test_yes_after_the_ticket_is_filled_is_thanked_and_told(ctx, session):
    first, second = make_helper(session), make_helper(session)
    ticket = make_ticket(session)
    from dispatch.waves import create_offers

    create_offers(session, ticket, [first.id, second.id], 1, DAYTIME)
    post_sms(ctx, session, first.phone, "JA")
    [reply] = sms_xml(post_sms(ctx, session, second.phone, "JA"))
    assert "schon genug Helfende" in reply
    assert [o.state for o in offers(session, ticket)] == [OfferState.ACCEPTED, OfferState.TOO_LATE]


@pytest.mark.parametrize("word", ["ABSAGE", "absage"])
def test_absage_withdraws_reopens_the_slot_and_the_waves_continue(ctx, session, word):
    helper = make_helper(session)
    for _ in range(3):
        make_helper(session)
    ticket, offer = asked(session, helper)
    post_sms(ctx, session, helper.phone, "JA")
    assert ticket.status == TicketStatus.FILLED
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, word))
    assert offer.state == OfferState.WITHDRAWN
    assert ticket.status == TicketStatus.OPEN
    assert reply.startswith("Ihre Zusage")
    assert ticket.next_wave_at is not None
    assert any(m.to == "+4915111110000" for m in messages(session, "coordinator-withdrawn:"))
    result = send_wave(session, ticket.id, ticket.waves_sent + 1, DAYTIME)
    assert result.asked == 3


def test_absage_without_an_accepted_offer_changes_nothing(ctx, session):
    helper = make_helper(session)
    _, offer = asked(session, helper)
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, "ABSAGE"))
    assert offer.state == OfferState.PENDING
    assert "keine Anfrage offen" in reply


@pytest.mark.parametrize("word", ["STOP", "STOPP", "ABMELDEN", "UNSUBSCRIBE", "stopp"])
def test_stop_words_opt_out_at_once_and_confirm(ctx, session, word):
    helper = make_helper(session)
    _, offer = asked(session, helper)
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, word))
    assert helper.status == HelperStatus.OPTED_OUT
    assert offer.state == OfferState.DECLINED
    assert reply.startswith("Sie sind abgemeldet")


def test_stop_is_confirmed_in_english_too(ctx, session):
    helper = make_helper(session, preferred_language="en")
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, "STOP"))
    assert helper.status == HelperStatus.OPTED_OUT
    assert "You are unsubscribed" in reply  # the core confirms in German, then English


def test_opted_out_helper_is_not_asked_and_yes_does_not_accept(ctx, session):
    helper = make_helper(session)
    post_sms(ctx, session, helper.phone, "STOPP")
    ticket = make_ticket(session)
    assert send_wave(session, ticket.id, 1, DAYTIME).asked == 0
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, "JA"))
    assert reply.startswith("Sie sind abgemeldet")


@pytest.mark.parametrize(
    ("language", "expected"), [("de", "Willkommen zurück"), ("en", "Welcome back")]
)
def test_start_opts_back_in(ctx, session, language, expected):
    helper = make_helper(session, status=HelperStatus.OPTED_OUT, preferred_language=language)
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, "START"))
    assert helper.status == HelperStatus.ACTIVE
    assert expected in reply  # the core confirms in German, then English


def test_anything_else_gets_the_keyword_help(ctx, session):
    helper = make_helper(session)
    [reply] = sms_xml(post_sms(ctx, session, helper.phone, "Hallo, wie geht das?"))
    assert "JA oder NEIN" in reply and "STOPP" in reply


def test_a_duplicate_webhook_acts_once_and_repeats_the_answer(ctx, session):
    helper = make_helper(session)
    ticket, offer = asked(session, helper)
    first = sms_xml(post_sms(ctx, session, helper.phone, "JA", sid="SM" + "7" * 32))
    post_sms(ctx, session, helper.phone, "ABSAGE", sid="SM" + "8" * 32)
    assert offer.state == OfferState.WITHDRAWN
    again = sms_xml(post_sms(ctx, session, helper.phone, "JA", sid="SM" + "7" * 32))
    assert again == first
    assert offer.state == OfferState.WITHDRAWN  # the replayed "JA" did not accept again


def test_texts_from_numbers_that_are_not_helpers_are_passed_on(ctx, session):
    from dispatch.replies import handle_sms
    from hotline.core.sms import InboundSms

    sms = InboundSms("SM" + "9" * 32, "+4917099999999", "+4915799990000", "JA")
    assert handle_sms(session, sms) is None

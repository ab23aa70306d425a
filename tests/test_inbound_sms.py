"""Inbound SMS, routed once in the core: opt-out words before any feature, then by the number
texted (a line's number → operators' keywords, the dispatch sender → helpers' replies; on a
shared number the keywords decide)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from twilio.request_validator import RequestValidator

from dispatch.models import HelperStatus, OfferState, TicketStatus
from dispatch.outbound import drain
from dispatch.waves import create_offers
from hotline.core.inbound import UNKNOWN_SENDER_REPLY
from hotline.core.models import OptOut, utcnow
from hotline.core.oncall.shifts import on_shift
from hotline.core.optouts import OPTED_IN_REPLY, OPTED_OUT_REPLY, is_opted_out
from hotline.core.registry import registry
from hotline.core.telephony import TelephonyError
from hotline.rosters.audit import SYSTEM
from hotline.rosters.shift_edits import add_shift
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE, make_line, make_operator
from tests.dispatch_support import (
    DAYTIME,
    SENDER,
    configure,
    make_helper,
    make_ticket,
    offers,
    request_scope,
    sms_xml,
)

LINE_NUMBER = "+4930120000"
BOTH = "+4917655500001"  # operator on the line and helper of dispatch
STRANGER = "+4917655500099"
UNKNOWN_NUMBER = "+4940999999"
_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032d}"


def sms(app, session, sender: str, to: str, body: str, sid: str | None = None) -> str:  # noqa: ANN001
    """A signed inbound SMS webhook; returns the reply text (``""`` for none)."""
    form = {
        "MessageSid": sid or new_sid(),
        "From": sender,
        "To": to,
        "Body": body,
        "AccountSid": "AC" + "0" * 32,
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE + "/twilio/sms", form)
    with request_scope():
        response = app.test_client().post(
            "/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
    session.expire_all()
    return "\n".join(sms_xml(response))


@pytest.fixture
def ctx(app):
    configure(app)
    with app.app_context():
        yield app


@pytest.fixture
def line(session):
    return make_line(session, number=LINE_NUMBER)


@pytest.fixture
def person(session, line):
    """Someone who is an operator on the line and a helper of dispatch, with one number."""
    return make_operator(session, phone=BOTH), make_helper(session, phone=BOTH)


@pytest.fixture(params=["separate numbers", "one shared number", "sender name"])
def numbers(request, ctx) -> tuple[str, str]:
    """``(line's number, number helpers answer)``: the dispatch sender is its own number, the
    line's number, or an alphanumeric sender name (so helpers answer the line's number)."""
    dispatch_from = {
        "separate numbers": SENDER,
        "one shared number": LINE_NUMBER,
        "sender name": "Rufbereit",
    }[request.param]
    ctx.config["DISPATCH_SMS_FROM"] = dispatch_from
    return LINE_NUMBER, SENDER if request.param == "separate numbers" else LINE_NUMBER


def asked(session, helper):  # noqa: ANN001, ANN201
    """A ticket on which only ``helper`` has been asked."""
    ticket = make_ticket(session)
    create_offers(session, ticket, [helper.id], 1, DAYTIME)
    session.flush()
    return ticket, offers(session, ticket)[0]


def available(session, line) -> list[int]:  # noqa: ANN001
    return [o.id for o in on_shift(session, line.id, utcnow())]


# -- a person who is both operator and helper -----------------------------------------------


def test_yes_to_the_dispatch_number_accepts_the_offer(ctx, session, line, person, numbers):
    _, helper_number = numbers
    _, helper = person
    ticket, offer = asked(session, helper)
    reply = sms(ctx, session, BOTH, helper_number, "JA")
    assert offer.state == OfferState.ACCEPTED and ticket.status == TicketStatus.FILLED
    assert "Erika" in reply
    assert available(session, line) == []


def test_no_to_the_dispatch_number_declines_the_offer(ctx, session, line, person, numbers):
    _, helper_number = numbers
    _, offer = asked(session, person[1])
    assert sms(ctx, session, BOTH, helper_number, "NEIN").startswith("Danke für Ihre Antwort")
    assert offer.state == OfferState.DECLINED


def test_an_offer_code_to_the_dispatch_number_accepts_that_offer(
    ctx, session, line, person, numbers
):
    _, helper_number = numbers
    _, first = asked(session, person[1])
    second_ticket, second = asked(session, person[1])
    sms(ctx, session, BOTH, helper_number, second_ticket.reference)
    assert (first.state, second.state) == (OfferState.PENDING, OfferState.ACCEPTED)


def test_absage_to_the_dispatch_number_withdraws_the_acceptance(
    ctx, session, line, person, numbers
):
    _, helper_number = numbers
    ticket, offer = asked(session, person[1])
    sms(ctx, session, BOTH, helper_number, "JA")
    assert sms(ctx, session, BOTH, helper_number, "ABSAGE").startswith("Ihre Zusage")
    assert offer.state == OfferState.WITHDRAWN and ticket.status == TicketStatus.OPEN


def test_an_to_the_line_makes_the_operator_available(ctx, session, line, person, numbers):
    line_number, _ = numbers
    operator, helper = person
    _, offer = asked(session, helper)
    reply = sms(ctx, session, BOTH, line_number, "AN")
    assert reply.startswith("Sie sind jetzt erreichbar für Heimwegtelefon")
    assert available(session, line) == [operator.id]
    assert offer.state == OfferState.PENDING


def test_aus_to_the_line_ends_the_availability(ctx, session, line, person, numbers):
    line_number, _ = numbers
    sms(ctx, session, BOTH, line_number, "AN")
    assert sms(ctx, session, BOTH, line_number, "AUS").startswith("Sie sind nicht mehr erreichbar")
    assert available(session, line) == []


def test_schichten_to_the_line_lists_the_operators_shifts(ctx, session, line, person, numbers):
    line_number, _ = numbers
    operator, _ = person
    add_shift(
        session,
        SYSTEM,
        operator.id,
        line.id,
        dt.datetime(2030, 1, 7, 20),
        dt.datetime(2030, 1, 7, 23),
    )
    reply = sms(ctx, session, BOTH, line_number, "SCHICHTEN")
    assert reply == "Ihre nächsten Schichten: Mo 07.01. 20:00–23:00 Heimwegtelefon"


def test_an_unknown_word_to_separate_numbers_gets_that_numbers_help(ctx, session, line, person):
    ctx.config["DISPATCH_SMS_FROM"] = SENDER
    operator_help = sms(ctx, session, BOTH, LINE_NUMBER, "Hallo?")
    helper_help = sms(ctx, session, BOTH, SENDER, "Hallo?")
    assert operator_help.startswith("Befehle: AN (erreichbar)") and "JA" not in operator_help
    assert "JA oder NEIN" in helper_help and "AN (erreichbar)" not in helper_help


def test_an_unknown_word_to_a_shared_number_gets_both_help_texts(ctx, session, line, person):
    ctx.config["DISPATCH_SMS_FROM"] = LINE_NUMBER
    reply = sms(ctx, session, BOTH, LINE_NUMBER, "Hallo?")
    assert "Befehle: AN (erreichbar)" in reply and "JA oder NEIN" in reply


def test_a_keyword_of_one_feature_from_someone_only_in_the_other_gets_their_help(
    ctx, session, line
):
    ctx.config["DISPATCH_SMS_FROM"] = LINE_NUMBER
    helper = make_helper(session)
    operator = make_operator(session)
    assert "JA oder NEIN" in sms(ctx, session, helper.phone, LINE_NUMBER, "AN")
    assert sms(ctx, session, operator.phone_number, LINE_NUMBER, "JA").startswith("Befehle: AN")
    assert available(session, line) == []


@pytest.mark.parametrize("to", ["line", "dispatch sender"])
def test_stopp_opts_the_person_out_of_every_text(ctx, session, line, person, to):
    ctx.config["DISPATCH_SMS_FROM"] = SENDER
    _, helper = person
    _, offer = asked(session, helper)
    reply = sms(ctx, session, BOTH, LINE_NUMBER if to == "line" else SENDER, "STOPP")
    assert reply == OPTED_OUT_REPLY
    assert is_opted_out(session, BOTH)
    assert helper.status == HelperStatus.OPTED_OUT
    assert offer.state == OfferState.DECLINED


@pytest.mark.parametrize("to", ["line", "dispatch sender"])
def test_start_after_stopp_opts_the_person_back_in(ctx, session, line, person, to):
    ctx.config["DISPATCH_SMS_FROM"] = SENDER
    _, helper = person
    number = LINE_NUMBER if to == "line" else SENDER
    sms(ctx, session, BOTH, number, "STOPP")
    assert sms(ctx, session, BOTH, number, "START") == OPTED_IN_REPLY
    assert not is_opted_out(session, BOTH)
    assert helper.status == HelperStatus.ACTIVE


def test_start_does_not_lift_a_coordinators_pause(ctx, session):
    helper = make_helper(session, status=HelperStatus.PAUSED)
    sms(ctx, session, helper.phone, SENDER, "START")
    assert helper.status == HelperStatus.PAUSED


# -- opt-out words from anyone, to any number -------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "STOPP", "ABMELDEN", "UNSUBSCRIBE", "stopp."])
def test_stop_words_from_a_stranger_are_recorded_and_confirmed(ctx, session, word):
    reply = sms(ctx, session, STRANGER, UNKNOWN_NUMBER, word)
    assert reply.startswith("Sie sind abgemeldet") and "You are unsubscribed" in reply
    assert session.get(OptOut, STRANGER).source == "sms"


def test_start_from_a_stranger_takes_them_off_the_list(ctx, session):
    sms(ctx, session, STRANGER, UNKNOWN_NUMBER, "STOP")
    reply = sms(ctx, session, STRANGER, UNKNOWN_NUMBER, "START")
    assert reply.startswith("Willkommen zurück") and "Welcome back" in reply
    assert not is_opted_out(session, STRANGER)


def test_an_unsubscribed_error_from_the_provider_puts_the_number_on_the_core_list(
    ctx, session, phone
):
    helper = make_helper(session)
    ticket = make_ticket(session)
    create_offers(session, ticket, [helper.id], 1, DAYTIME)
    phone.fail_with = TelephonyError("unsubscribed recipient", status=400, code=21610)
    drain(session, phone, None, now_fn=lambda: DAYTIME)
    assert session.get(OptOut, helper.phone).source == "provider"
    assert helper.status == HelperStatus.OPTED_OUT


# -- unknown numbers and senders ----------------------------------------------------------------


def test_a_text_to_an_unknown_number_gets_the_polite_reply(ctx, session, line, person):
    _, offer = asked(session, person[1])
    assert sms(ctx, session, BOTH, UNKNOWN_NUMBER, "JA") == UNKNOWN_SENDER_REPLY
    assert offer.state == OfferState.PENDING


def test_a_route_name_is_registered_once(app):
    with pytest.raises(ValueError, match="helpers"):
        registry(app).sms_route("helpers", lambda session, to: True, lambda session, sms: None)

"""Inbound SMS, routed once in the core: by the number texted (a line's number → operators'
keywords, the dispatch sender → helpers' replies), opt-out words before any feature, every
text handled once per MessageSid."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from dispatch.models import HelperStatus, OfferState, TicketStatus
from dispatch.waves import create_offers
from hotline import create_app
from hotline.core.inbound import UNKNOWN_SENDER_REPLY, handle_inbound
from hotline.core.models import InboundMessage, OptOut, utcnow
from hotline.core.oncall.shifts import on_shift
from hotline.core.optouts import OPTED_IN_REPLY, OPTED_OUT_REPLY, is_opted_out
from hotline.core.registry import registry
from hotline.core.retention import purge
from hotline.core.sending import send_due
from hotline.core.sms import InboundSms
from hotline.core.telephony import TelephonyError
from hotline.rosters.audit import SYSTEM
from hotline.rosters.shift_edits import add_shift
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE, make_line, make_operator, test_config
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
    send_due(session, phone, now=DAYTIME)
    assert session.get(OptOut, helper.phone).source == "provider"
    assert helper.status == HelperStatus.OPTED_OUT


# -- once per MessageSid --------------------------------------------------------------------


def test_a_redelivered_an_after_aus_does_not_make_the_operator_available_again(
    ctx, session, line, person
):
    first_an = new_sid()
    reply = sms(ctx, session, BOTH, LINE_NUMBER, "AN", sid=first_an)
    sms(ctx, session, BOTH, LINE_NUMBER, "AUS")
    assert sms(ctx, session, BOTH, LINE_NUMBER, "AN", sid=first_an) == reply
    assert available(session, line) == []


def test_a_redelivered_ja_gets_the_same_reply_and_accepts_once(ctx, session, line, person):
    _, helper = person
    ticket, offer = asked(session, helper)
    sid = new_sid()
    reply = sms(ctx, session, BOTH, SENDER, "JA", sid=sid)
    sms(ctx, session, BOTH, SENDER, "ABSAGE")
    assert sms(ctx, session, BOTH, SENDER, "JA", sid=sid) == reply
    assert offer.state == OfferState.WITHDRAWN and ticket.status == TicketStatus.OPEN


def test_a_redelivered_stop_does_not_undo_a_later_start(ctx, session):
    sid = new_sid()
    sms(ctx, session, STRANGER, UNKNOWN_NUMBER, "STOP", sid=sid)
    sms(ctx, session, STRANGER, UNKNOWN_NUMBER, "START")
    assert sms(ctx, session, STRANGER, UNKNOWN_NUMBER, "STOP", sid=sid) == OPTED_OUT_REPLY
    assert not is_opted_out(session, STRANGER)


def test_each_text_is_recorded_once_with_the_route_that_answered(ctx, session, line, person):
    sid = new_sid()
    sms(ctx, session, BOTH, LINE_NUMBER, "AN", sid=sid)
    sms(ctx, session, BOTH, LINE_NUMBER, "AN", sid=sid)
    [record] = session.scalars(select(InboundMessage).where(InboundMessage.message_sid == sid))
    assert record.route == "operators"
    assert record.reply.startswith("Sie sind jetzt erreichbar")


def test_two_deliveries_of_one_text_at_the_same_moment_act_once(
    engine, database_url, redis_url, redis
):
    """The second delivery waits on the first's row and then repeats its reply."""
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL row locks between two connections")
    app = create_app(test_config(database_url, redis_url))
    calls: list[str] = []

    def count(session, sms):  # noqa: ANN001, ANN202
        calls.append(sms.message_sid)
        return f"answer {len(calls)}"

    registry(app).sms_route("counting", lambda session, to: to == UNKNOWN_NUMBER, count)
    text_once = InboundSms(new_sid(), STRANGER, UNKNOWN_NUMBER, "Hallo")
    replies: dict[str, str] = {}

    def second_delivery() -> None:
        with app.app_context(), Session(engine) as second:
            replies["second"] = handle_inbound(second, text_once)
            second.commit()

    try:
        with app.app_context(), Session(engine) as first:
            replies["first"] = handle_inbound(first, text_once)
            racer = threading.Thread(target=second_delivery)
            racer.start()
            _wait_until_a_backend_waits_for_a_lock(engine)
            first.commit()
        racer.join(timeout=10)
        assert not racer.is_alive()
        assert replies == {"first": "answer 1", "second": "answer 1"}
        assert calls == [text_once.message_sid]
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM inbound_messages WHERE message_sid = :sid"),
                {"sid": text_once.message_sid},
            )


def _wait_until_a_backend_waits_for_a_lock(engine, timeout: float = 10.0) -> None:  # noqa: ANN001
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while conn.execute(query).scalar() == 0:
            assert time.monotonic() < deadline, "the second delivery never waited for the first"
            conn.rollback()


# -- unknown numbers and senders ----------------------------------------------------------------


def test_a_text_to_an_unknown_number_gets_the_polite_reply(ctx, session, line, person):
    _, offer = asked(session, person[1])
    assert sms(ctx, session, BOTH, UNKNOWN_NUMBER, "JA") == UNKNOWN_SENDER_REPLY
    assert offer.state == OfferState.PENDING


def test_a_text_from_an_unusable_sender_gets_an_empty_reply_and_is_not_recorded(ctx, session):
    sid = new_sid()
    assert sms(ctx, session, "not a number", SENDER, "JA", sid=sid) == ""
    assert session.get(InboundMessage, sid) is None


# -- retention and schema -------------------------------------------------------------------


def test_inbound_texts_are_forgotten_after_the_retention_period(ctx, session):
    ctx.config["INBOUND_MESSAGE_RETENTION_DAYS"] = 30
    now = utcnow()
    session.add_all(
        [
            InboundMessage(message_sid="SMold", received_at=now - dt.timedelta(days=31)),
            InboundMessage(message_sid="SMnew", received_at=now - dt.timedelta(days=29)),
        ]
    )
    session.flush()
    assert "inbound_messages: forgot 1 inbound text(s)" in purge(session, now)
    assert session.scalars(select(InboundMessage.message_sid)).all() == ["SMnew"]


def test_0006_moves_helpers_replies_into_the_core_table_and_downgrades(tmp_path):
    from sqlalchemy import create_engine, inspect

    from hotline.core.migrations import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, revision="0005")
    scratch = create_engine(url)
    with scratch.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dispatch_inbound (message_sid, reply, created_at) "
                "VALUES ('SM1', 'Danke!', '2026-01-01 10:00:00')"
            )
        )
    upgrade(url, revision="0006")
    assert not inspect(scratch).has_table("dispatch_inbound")
    with scratch.connect() as conn:
        rows = conn.execute(text("SELECT message_sid, route, reply FROM inbound_messages")).all()
    assert [tuple(r) for r in rows] == [("SM1", "helpers", "Danke!")]
    downgrade(url, "0005")
    assert inspect(scratch).has_table("dispatch_inbound")
    scratch.dispose()


def test_a_route_name_is_registered_once(app):
    with pytest.raises(ValueError, match="helpers"):
        registry(app).sms_route("helpers", lambda session, to: True, lambda session, sms: None)

"""Voice waves: a helper without a mobile is asked by a phone call that reads the request in
their language; 1 accepts exactly like an accept link or a "JA", 2 declines, a mailbox never
accepts; a call that settles nothing is tried once more after DISPATCH_CALL_RETRY_MINUTES;
landlines can only choose the call; and 200 helpers answering at once by SMS, e-mail link
and call leave exactly the 5 a ticket needs."""

from __future__ import annotations

import datetime as dt
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from dispatch.helper_import import import_csv
from dispatch.helpers import (
    LANDLINE_CALL_ONLY,
    SIGNUP_NEEDS_MOBILE,
    InvalidProfile,
    signup_profile,
    validate_profile,
)
from dispatch.models import Helper, Offer, OfferState, Ticket, TicketStatus
from dispatch.offers import accept
from dispatch.outbound import OFFER_CALL
from dispatch.profile import ProfileError, Settings, apply_settings
from dispatch.thanks import thank
from dispatch.timeline import timeline
from dispatch.voice_offers import call_key
from dispatch.voice_texts import VOICE_MSGIDS
from dispatch.waves import send_wave
from hotline.core import catalogues
from hotline.core.extensions import db, jobs, telephony
from hotline.core.messaging import Channel, MessageState
from hotline.core.models import OutboundMessage, Role, utcnow
from hotline.core.queues import Priority
from hotline.core.sending import message_id_of, send_due
from hotline.core.worker import set_app
from tests.conftest import PUBLIC_BASE, TwilioDriver, say_texts
from tests.dispatch_support import (
    DAYTIME,
    SENDER,
    committed_app,
    configure,
    make_helper,
    make_ticket,
    messages,
    offers,
    post_signed,
    request_scope,
)
from tests.roster_support import login, make_user

#: A Berlin landline: it can be rung, never texted.
LANDLINE = "+493012345678"
#: Quiet hours off (start == end): retries are due at any time of day.
NO_QUIET = {"DISPATCH_QUIET_START": 0, "DISPATCH_QUIET_END": 0}


@pytest.fixture
def ctx(app):
    configure(app)
    app.config.update(NO_QUIET)
    with app.app_context():
        yield app


class ScopedDriver(TwilioDriver):
    """Twilio's webhooks, each request in its own app context and database session (as in
    production), not the test's."""

    def post(self, path: str, signed: bool = True, **params: str):  # noqa: ANN201
        with request_scope():
            return super().post(path, signed, **params)


@pytest.fixture
def twilio(app) -> TwilioDriver:
    return ScopedDriver(app)


def _send(session, phone, now: dt.datetime = DAYTIME):  # noqa: ANN001, ANN202
    return send_due(session, phone, now=now)


def _call_path(message: OutboundMessage) -> str:
    """The path of the TwiML URL a call was placed with (the driver signs it for the base)."""
    assert message.body.startswith(PUBLIC_BASE + "/dispatch/voice/offer/")
    return urlsplit(message.body).path


def _asked_by_call(session, phone, **helper):  # noqa: ANN001, ANN003, ANN202
    """A call-only helper on a landline asked about a new ticket; the call placed."""
    person = make_helper(session, phone=LANDLINE, channels=["call"], **helper)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    _send(session, phone)
    offer = offers(session, ticket)[0]
    call = messages(session, "offer-call:")[0]
    return person, ticket, offer, call


def _digits(twilio: TwilioDriver, call: OutboundMessage, digits: str = "", round_: int = 1):  # noqa: ANN202
    path = f"{_call_path(call)}/answer?r={round_}"
    if not digits:
        return twilio.twiml(path + "&empty=1")
    return twilio.twiml(path, Digits=digits)


def _call_status(app, call: OutboundMessage, status: str) -> int:  # noqa: ANN001
    form = {
        "CallSid": call.sid,
        "CallStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "To": call.to,
        "From": SENDER,
    }
    return post_signed(app.test_client(), "/twilio/calls/status", form).status_code


def _gather(doc: ET.Element) -> ET.Element:
    gathers = list(doc.iter("Gather"))
    assert len(gathers) == 1
    return gathers[0]


# -- the wave places the call -------------------------------------------------------------------


def test_a_wave_calls_the_call_only_helper_at_the_rest_boundary_with_the_offer_url(
    rest_app, session, twilio_server
):
    configure(rest_app)
    set_app(rest_app)
    with rest_app.app_context():
        caller = make_helper(session, phone=LANDLINE, channels=["call"])
        texter = make_helper(session)
        ticket = make_ticket(session)
        send_wave(session, ticket.id, 1, DAYTIME)
        report = send_due(session, telephony(), now=DAYTIME)
    assert report.sent == 2
    assert [m["To"] for m in twilio_server.messages] == [texter.phone]
    assert [c["To"] for c in twilio_server.calls] == [caller.phone]
    placed = twilio_server.calls[0]
    offer = next(o for o in offers(session, ticket) if o.helper_id == caller.id)
    assert placed["Url"].startswith(f"{PUBLIC_BASE}/dispatch/voice/offer/{offer.id}-")
    assert offer.token not in placed["Url"]  # not the accept link's token
    assert placed["StatusCallback"] == f"{PUBLIC_BASE}/twilio/calls/status"
    (call,) = messages(session, "offer-call:")
    assert call.key == call_key(offer.id, 1)
    assert (call.kind, call.channel, call.state) == (OFFER_CALL, Channel.CALL, MessageState.SENT)


def test_a_call_only_helper_is_matched_like_the_others_and_never_texted(ctx, session, phone):
    person = make_helper(session, phone=LANDLINE, channels=["call"])
    ticket = make_ticket(session)
    result = send_wave(session, ticket.id, 1, DAYTIME)
    _send(session, phone)
    assert result.asked == 1
    assert [c["to"] for c in phone.calls] == [person.phone]
    assert phone.sms == []


def test_in_quiet_hours_the_offer_call_waits_like_the_texts(ctx, session, phone):
    ctx.config.update(DISPATCH_QUIET_START=21, DISPATCH_QUIET_END=8)
    make_helper(session, phone=LANDLINE, channels=["call"])
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    night = dt.datetime(2026, 3, 11, 22, 0, tzinfo=dt.UTC)  # 23:00 in Berlin
    _send(session, phone, now=night)
    assert phone.calls == []
    (call,) = messages(session, "offer-call:")
    assert call.state == MessageState.PENDING
    assert call.not_before == dt.datetime(2026, 3, 12, 7, 0, tzinfo=dt.UTC)  # 08:00 Berlin


# -- what the call says -------------------------------------------------------------------------


def test_the_offer_call_reads_the_request_and_the_keys_in_german(ctx, session, phone, twilio):
    _, ticket, _, call = _asked_by_call(session, phone)
    doc = twilio.twiml(_call_path(call))
    gather = _gather(doc)
    assert gather.get("numDigits") == "1"
    assert gather.get("action").endswith("/answer?r=1")
    spoken = " ".join(say_texts(gather))
    reference = ", ".join(ticket.reference)
    assert "Gesucht wird Hilfe: Einkaufen, in Berlin, 1, 0, 1, 1, 5" in spoken
    assert "am 11.03. von 10:00 bis 13:00 Uhr" in spoken
    assert f"Die Anfragenummer ist {reference}." in spoken
    assert "drücken Sie die 1" in spoken and "die 3" in spoken
    assert {s.get("voice") for s in gather.iter("Say")} == {"Polly.Vicki"}
    assert doc.find("Redirect").text.endswith("/answer?r=1&empty=1")


def test_the_offer_call_speaks_the_helpers_language_in_its_voice(ctx, session, phone, twilio):
    _, _, _, call = _asked_by_call(session, phone, preferred_language="tr", languages=["tr", "de"])
    gather = _gather(twilio.twiml(_call_path(call)))
    spoken = " ".join(say_texts(gather))
    assert "Yardım aranıyor: Alışveriş." in spoken
    assert "Yardım edebilecekseniz 1'e basın." in spoken
    assert {(s.get("language"), s.get("voice")) for s in gather.iter("Say")} == {
        ("tr-TR", "Polly.Filiz")
    }


def test_a_helper_whose_language_is_not_translated_hears_their_next_one(
    ctx, session, phone, twilio
):
    _, _, _, call = _asked_by_call(
        session, phone, preferred_language="fr", languages=["fr", "en", "de"]
    )
    spoken = " ".join(say_texts(twilio.twiml(_call_path(call))))
    assert "Help is needed: Shopping, in Berlin" in spoken


# -- the keys ---------------------------------------------------------------------------------


def test_pressing_1_accepts_and_says_the_requesters_details(ctx, session, phone, twilio):
    _, ticket, offer, call = _asked_by_call(session, phone)
    doc = _digits(twilio, call, "1")
    session.expire_all()
    assert offer.state == OfferState.ACCEPTED
    assert session.get(Ticket, ticket.id).status == TicketStatus.FILLED
    spoken = say_texts(doc)
    assert spoken[0].startswith("Vielen Dank für Ihre Zusage! Bitte melden Sie sich bei Erika")
    assert "Telefon 0, 1, 5, 2, 1, 2, 3, 4, 5, 6, 7, 8" in spoken[0]
    assert "Die Adresse ist: Invalidenstraße 1, 3. OG." in spoken[0]
    assert spoken[1:] == ["Ich wiederhole.", spoken[0], "Auf Wiederhören."]
    assert doc.find("Hangup") is not None
    assert messages(session, "details:") == []  # said in the call, not texted to a landline


def test_pressing_1_after_the_ticket_is_filled_says_enough_helpers_were_found(
    ctx, session, phone, twilio
):
    _, ticket, offer, call = _asked_by_call(session, phone)
    other = make_helper(session)
    late = Offer(ticket_id=ticket.id, helper_id=other.id, wave=1, token="other-token")
    session.add(late)
    session.flush()
    accept(session, late)
    doc = _digits(twilio, call, "1")
    session.expire_all()
    assert say_texts(doc)[0].startswith("Vielen Dank! Für diese Anfrage haben sich schon genug")
    assert offer.state == OfferState.TOO_LATE


def test_pressing_2_declines(ctx, session, phone, twilio):
    _, ticket, offer, call = _asked_by_call(session, phone)
    doc = _digits(twilio, call, "2")
    session.expire_all()
    assert offer.state == OfferState.DECLINED
    assert session.get(Ticket, ticket.id).status == TicketStatus.OPEN
    assert say_texts(doc) == [
        "Danke für Ihre Antwort, wir fragen jemand anderen.",
        "Auf Wiederhören.",
    ]


def test_a_stray_2_after_accepting_withdraws_nothing(ctx, session, phone, twilio):
    _, ticket, offer, call = _asked_by_call(session, phone)
    _digits(twilio, call, "1")
    doc = _digits(twilio, call, "2")
    assert say_texts(doc) == ["Diese Anfrage ist nicht mehr offen. Vielen Dank!"]
    session.expire_all()
    assert offer.state == OfferState.ACCEPTED
    assert session.get(Ticket, ticket.id).status == TicketStatus.FILLED


def test_pressing_3_reads_the_request_again(ctx, session, phone, twilio):
    _, _, offer, call = _asked_by_call(session, phone)
    gather = _gather(_digits(twilio, call, "3"))
    assert any(s.startswith("Gesucht wird Hilfe: Einkaufen") for s in say_texts(gather))
    session.expire_all()
    assert offer.state == OfferState.PENDING


def test_no_key_after_two_rounds_hangs_up_and_never_accepts(ctx, session, phone, twilio):
    _, _, offer, call = _asked_by_call(session, phone)
    second = _digits(twilio, call, "", round_=1)
    assert _gather(second).get("action").endswith("/answer?r=2")
    last = _digits(twilio, call, "", round_=2)
    assert list(last.iter("Gather")) == []
    assert say_texts(last) == ["Wir haben keine Taste gehört. Vielen Dank und auf Wiederhören."]
    assert last.find("Hangup") is not None
    session.expire_all()
    assert offer.state == OfferState.PENDING


def test_an_unknown_key_asks_again(ctx, session, phone, twilio):
    _, _, offer, call = _asked_by_call(session, phone)
    gather = _gather(_digits(twilio, call, "7"))
    assert say_texts(gather)[0] == "Diese Taste kenne ich leider nicht."
    assert gather.get("action").endswith("/answer?r=2")
    session.expire_all()
    assert offer.state == OfferState.PENDING


def test_a_repeated_digit_1_webhook_counts_once(ctx, session, phone, twilio):
    person = make_helper(session, phone=LANDLINE, channels=["call"])
    ticket = make_ticket(session, needed=2)
    send_wave(session, ticket.id, 1, DAYTIME)
    _send(session, phone)
    call = messages(session, "offer-call:")[0]
    first = _digits(twilio, call, "1")
    again = _digits(twilio, call, "1")  # Twilio retried the request
    assert say_texts(again) == say_texts(first)
    session.expire_all()
    states = [o.state for o in offers(session, ticket) if o.helper_id == person.id]
    assert states == [OfferState.ACCEPTED]
    assert session.get(Ticket, ticket.id).status == TicketStatus.OPEN  # 1 of 2


# -- signatures and tokens --------------------------------------------------------------------


def test_a_forged_signature_is_refused(ctx, session, phone, twilio):
    _, _, offer, call = _asked_by_call(session, phone)
    path = _call_path(call)
    assert twilio.post(path, signed=False).status_code == 403
    forged = {"X-Twilio-Signature": "Zm9yZ2Vk"}
    form = {"CallSid": "CA" + "9" * 32, "Digits": "1"}
    with request_scope():
        response = twilio.client.post(f"{path}/answer?r=1", data=form, headers=forged)
    assert response.status_code == 403
    session.expire_all()
    assert offer.state == OfferState.PENDING


def test_a_made_up_token_hangs_up(ctx, session, phone, twilio):
    _, _, offer, _ = _asked_by_call(session, phone)
    doc = twilio.twiml(f"/dispatch/voice/offer/{offer.id}-{'0' * 32}/answer?r=1", Digits="1")
    assert say_texts(doc) == [] and doc.find("Hangup") is not None
    doc = twilio.twiml(f"/dispatch/voice/offer/{offer.token}")
    assert doc.find("Hangup") is not None
    session.expire_all()
    assert offer.state == OfferState.PENDING


# -- one retry ----------------------------------------------------------------------------------


def _retry_of(session, offer: Offer) -> OutboundMessage | None:  # noqa: ANN001
    session.expire_all()
    return session.scalars(
        select(OutboundMessage).where(OutboundMessage.key == call_key(offer.id, 2))
    ).first()


def test_no_answer_calls_once_more_after_the_configured_minutes_and_never_a_third_time(
    ctx, session, phone
):
    ctx.config["DISPATCH_CALL_RETRY_MINUTES"] = 15
    _, _, offer, call = _asked_by_call(session, phone)
    before = utcnow()
    assert _call_status(ctx, call, "no-answer") == 204
    after = utcnow()
    retry = _retry_of(session, offer)
    assert retry is not None and retry.to == LANDLINE and retry.body == call.body
    assert before + dt.timedelta(minutes=15) <= retry.not_before <= after + dt.timedelta(minutes=15)

    _send(session, phone, now=retry.not_before - dt.timedelta(minutes=1))
    assert len(phone.calls) == 1  # not before its time
    _send(session, phone, now=retry.not_before)
    assert len(phone.calls) == 2

    session.refresh(retry)
    assert _call_status(ctx, retry, "no-answer") == 204
    session.expire_all()
    assert [m.key for m in messages(session, "offer-call:")] == [call.key, retry.key]
    assert offer.state == OfferState.PENDING


def test_the_retry_is_scheduled_in_rq_for_its_time(ctx, session, phone, redis):
    _, _, offer, call = _asked_by_call(session, phone)
    _call_status(ctx, call, "no-answer")
    retry = _retry_of(session, offer)
    scheduled = ScheduledJobRegistry(queue=jobs.queue_named(Priority.BULK))
    (job_id,) = [j for j in scheduled.get_job_ids() if message_id_of(j) == retry.id]
    at = scheduled.get_scheduled_time(job_id)
    assert abs(at.replace(tzinfo=dt.UTC) - retry.not_before) < dt.timedelta(seconds=1)


def test_the_ticket_timeline_shows_the_call_and_its_outcome(ctx, session, phone):
    person, ticket, _, call = _asked_by_call(session, phone)
    _call_status(ctx, call, "no-answer")
    session.expire_all()
    wave = next(e for e in timeline(session, ticket.id) if e.asked)
    assert [(a.helper_id, a.channel) for a in wave.asked] == [(person.id, "call")]


def test_busy_and_failed_calls_are_retried_once_too(ctx, session, phone):
    _, _, offer, call = _asked_by_call(session, phone)
    assert _call_status(ctx, call, "busy") == 204
    assert _call_status(ctx, call, "no-answer") == 204  # a late, repeated callback
    assert len(messages(session, "offer-call:")) == 2
    assert _retry_of(session, offer) is not None


def test_a_call_a_mailbox_answered_without_a_key_is_retried(ctx, session, phone, twilio):
    _, _, offer, call = _asked_by_call(session, phone)
    twilio.twiml(_call_path(call))
    _digits(twilio, call, "", round_=1)
    _digits(twilio, call, "", round_=2)
    assert _call_status(ctx, call, "completed") == 204
    assert _retry_of(session, offer) is not None


def test_a_call_that_accepted_or_declined_is_not_retried(ctx, session, phone, twilio):
    _, _, offer, call = _asked_by_call(session, phone)
    _digits(twilio, call, "2")
    assert _call_status(ctx, call, "completed") == 204
    assert _retry_of(session, offer) is None


def test_a_retry_for_a_ticket_filled_meanwhile_is_skipped(ctx, session, phone):
    _, ticket, offer, call = _asked_by_call(session, phone)
    _call_status(ctx, call, "no-answer")
    retry = _retry_of(session, offer)
    other = make_helper(session)
    late = Offer(ticket_id=ticket.id, helper_id=other.id, wave=1, token="filler")
    session.add(late)
    session.flush()
    accept(session, late)
    _send(session, phone, now=retry.not_before)
    session.refresh(retry)
    assert retry.state == MessageState.SKIPPED
    assert len(phone.calls) == 1


# -- stand-downs and thanks ---------------------------------------------------------------------


def test_call_helpers_get_no_stand_down_call_nor_text(ctx, session, phone):
    person = make_helper(session, phone=LANDLINE, channels=["call"])
    texter = make_helper(session)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    _send(session, phone)
    texter_offer = next(o for o in offers(session, ticket) if o.helper_id == texter.id)
    accept(session, texter_offer)
    _send(session, phone)
    session.expire_all()
    caller_offer = next(o for o in offers(session, ticket) if o.helper_id == person.id)
    assert caller_offer.state == OfferState.STOOD_DOWN
    assert [c["to"] for c in phone.calls] == [LANDLINE]  # the offer call only
    assert all(s["to"] != LANDLINE for s in phone.sms)


def test_the_thank_you_skips_call_only_helpers(ctx, session, phone, twilio):
    _, _, offer, call = _asked_by_call(session, phone)
    _digits(twilio, call, "1")
    session.expire_all()
    assert thank(session, offer.id) == []
    assert messages(session, "thanks:") == []


# -- landlines choose the call ------------------------------------------------------------------

PROFILE = {"name": "Ada", "postal_code": "10115", "activities": ["shopping"]}


def test_a_landline_cannot_choose_sms(ctx):
    for channels in ("sms", "both", ""):
        with pytest.raises(InvalidProfile) as refused:
            validate_profile({**PROFILE, "phone": "030 12345678", "channels": channels})
        assert refused.value.errors["phone"] == LANDLINE_CALL_ONLY
    profile = validate_profile({**PROFILE, "phone": "030 12345678", "channels": "call"})
    assert (profile.phone, profile.channels) == (LANDLINE, ["call"])


def test_a_mobile_may_choose_the_call_too(ctx):
    profile = validate_profile({**PROFILE, "phone": "0151 23456789", "channels": "call"})
    assert (profile.phone, profile.channels) == ("+4915123456789", ["call"])


def test_the_public_sign_up_needs_a_mobile_for_its_code(ctx):
    data = {**PROFILE, "phone": "030 12345678", "channels": "call", "consent": "y"}
    with pytest.raises(InvalidProfile) as refused:
        signup_profile(data)
    assert refused.value.errors["phone"] == SIGNUP_NEEDS_MOBILE


def test_a_helper_on_a_landline_cannot_switch_to_texts_on_their_page(ctx, session):
    person = make_helper(session, phone=LANDLINE, channels=["call"])
    settings = Settings(paused=False, availability="", language="de", channels="sms")
    with pytest.raises(ProfileError) as refused:
        apply_settings(session, person, settings)
    assert refused.value.errors["channels"] == LANDLINE_CALL_ONLY
    assert person.channels == ["call"]


def test_the_csv_import_takes_anruf_for_a_landline_and_refuses_sms(ctx, session):
    header = "Name;Handynummer;Postleitzahl;Tätigkeiten;Einwilligung am;Kanal\n"
    ok = import_csv(session, header + "Ada;030 12345678;10115;shopping;2026-03-01;Anruf\n")
    assert ok.created == 1 and ok.errors == []
    refused = import_csv(session, header + "Bea;030 87654321;10115;shopping;2026-03-01;SMS\n")
    assert refused.created == 0
    assert [e.problem.code for e in refused.errors] == ["landline_call_only"]
    assert [e.text("de") for e in refused.errors] == [LANDLINE_CALL_ONLY]


# -- 200 accepts at once across SMS, e-mail and call, on real PostgreSQL ------------------------


@pytest.fixture
def pg_voice_app(request, engine, database_url, redis_url, monkeypatch) -> Iterator:
    config = {**NO_QUIET, "DISPATCH_WAVE_FACTOR": 40}
    yield from committed_app(request, engine, database_url, redis_url, monkeypatch, **config)


def _csrf(client, path: str) -> str:  # noqa: ANN001
    with request_scope():
        page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_200_accepts_at_once_across_sms_email_and_call_accept_exactly_5(pg_voice_app):
    app = pg_voice_app
    with app.app_context():
        session = db.new_session()
        channel_of: dict[int, str] = {}
        for n in range(200):
            if n % 3 == 0:
                helper = make_helper(session)
            elif n % 3 == 1:
                helper = make_helper(session, email=f"h{n}@example.org", channels=["email"])
            else:
                helper = make_helper(session, phone=f"+4930{n:08d}", channels=["call"])
            channel_of[helper.id] = helper.channels[0]
        ticket = make_ticket(session, needed=5)
        send_wave(session, ticket.id, 1, DAYTIME)
        session.commit()
        ticket_id, reference = ticket.id, ticket.reference
        asked = offers(session, ticket)
        calls = {m.refs["offer_id"]: m.body for m in messages(session, "offer-call:")}
        phones = {o.id: o.helper.phone for o in asked}
        session.close()
    assert len(asked) == 200
    assert sorted(channel_of.values()).count("call") == len(calls) == 66

    clients = {o.id: app.test_client() for o in asked}
    csrf = {
        o.id: _csrf(clients[o.id], f"/d/{o.token}")
        for o in asked
        if channel_of[o.helper_id] == "email"
    }
    barrier = threading.Barrier(len(asked))
    answered: dict[int, int] = {}

    def answer(offer: Offer) -> None:
        client = clients[offer.id]
        channel = channel_of[offer.helper_id]
        barrier.wait()  # all at once; each then waits for one of the pool's connections
        if channel == "sms":
            form = {
                "MessageSid": f"SM{offer.id:032d}",
                "From": phones[offer.id],
                "To": SENDER,
                "Body": f"JA {reference}",
                "AccountSid": "AC" + "0" * 32,
            }
            response = post_signed(client, "/twilio/sms", form)
        elif channel == "email":
            with request_scope():
                response = client.post(
                    f"/d/{offer.token}", data={"csrf_token": csrf[offer.id], "action": "accept"}
                )
        else:
            path = urlsplit(calls[offer.id]).path + "/answer?r=1"
            form = {
                "CallSid": f"CA{offer.id:032d}",
                "From": SENDER,
                "To": phones[offer.id],
                "Digits": "1",
                "AccountSid": "AC" + "0" * 32,
            }
            response = post_signed(client, path, form)
        answered[offer.id] = response.status_code

    threads = [threading.Thread(target=answer, args=(o,)) for o in asked]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert len(answered) == 200
    assert set(answered.values()) == {200}
    with app.app_context():
        session = db.new_session()
        rows = session.execute(
            select(Offer.helper_id, Offer.state).where(Offer.ticket_id == ticket_id)
        ).all()
        status = session.get(Ticket, ticket_id).status
        session.close()
    states = [state for _, state in rows]
    assert states.count(OfferState.ACCEPTED) == 5
    assert states.count(OfferState.TOO_LATE) == 195
    assert status == TicketStatus.FILLED


def test_a_coordinator_enters_a_landline_helper_with_the_call_and_is_told_why_not_sms(app, session):
    configure(app)
    client = app.test_client()
    make_user(session, Role.COORDINATOR, username="koordination")
    assert login(client, "koordination").status_code == 302
    page = client.get("/dispatch/helfende/neu").get_data(as_text=True)
    assert 'value="call"' in page and "Per Anruf (ohne Handy)" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {
        "csrf_token": token,
        "name": "Gerda Festnetz",
        "phone": "030 12345678",
        "postal_code": "10115",
        "activities": ["shopping"],
        "languages": "de",
        "preferred_language": "de",
        "channels": "sms",
    }
    refused = client.post("/dispatch/helfende/neu", data=data)
    assert refused.status_code == 422
    assert "Das ist eine Festnetznummer, sie kann keine SMS empfangen." in refused.get_data(
        as_text=True
    )
    assert (
        client.post("/dispatch/helfende/neu", data={**data, "channels": "call"}).status_code == 302
    )
    session.expire_all()
    helper = session.scalars(select(Helper)).one()
    assert (helper.phone, helper.channels) == (LANDLINE, ["call"])


# -- the catalogues ---------------------------------------------------------------------------


def test_every_spoken_offer_text_is_extracted_and_translated_into_all_six_languages():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("translations", root / "scripts/translations.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    extracted = tool.extract()
    assert [msgid for msgid in VOICE_MSGIDS if msgid not in extracted] == []
    for lang in ("en", "tr", "ar", "uk", "ru"):
        assert [m for m in VOICE_MSGIDS if not catalogues.has_text(lang, m)] == [], lang
        for msgid in VOICE_MSGIDS:
            names = set(re.findall(r"{(\w+)}", msgid))
            assert set(re.findall(r"{(\w+)}", catalogues.text_in(lang, msgid))) == names, msgid


def test_offer_calls_come_from_the_call_number_when_texts_come_from_a_messaging_service(
    ctx, session, phone
):
    ctx.config.update(DISPATCH_SMS_FROM="MG" + "0" * 32, DISPATCH_CALL_FROM="+4930120099")
    _, _, _, call = _asked_by_call(session, phone)
    assert call.sender == "+4930120099"


def test_without_a_call_number_offer_calls_come_from_the_texts_number(ctx, session, phone):
    ctx.config.update(DISPATCH_CALL_FROM="")
    _, _, _, call = _asked_by_call(session, phone)
    assert call.sender == ctx.config["DISPATCH_SMS_FROM"]
    assert call.sender.startswith("+")


def test_the_call_offers_9_to_stop_the_calls(ctx, session, phone, twilio):
    _, _, _, call = _asked_by_call(session, phone)
    doc = twilio.twiml(_call_path(call))
    assert "Wenn wir Sie nicht mehr anrufen sollen, drücken Sie die 9." in say_texts(doc)


def test_pressing_9_opts_the_helper_out_like_stop_and_no_wave_calls_them_again(
    ctx, session, phone, twilio
):
    from dispatch.models import HelperStatus

    person, ticket, offer, call = _asked_by_call(session, phone)
    doc = _digits(twilio, call, "9")
    assert (
        say_texts(doc)[0] == "Wir rufen Sie nicht mehr an. Wenn Sie wieder helfen möchten, "
        "meldet die Koordination Sie gern wieder an. Vielen Dank für Ihre Hilfe und auf Wiederhören."
    )
    session.expire_all()
    assert session.get(Helper, person.id).status == HelperStatus.OPTED_OUT
    assert offer.state == OfferState.DECLINED
    later = make_ticket(session)
    assert send_wave(session, later.id, 1, DAYTIME).asked == 0

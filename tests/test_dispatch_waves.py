"""Waves and outbound texts: who is texted, when, how often, and what happens on errors."""

from __future__ import annotations

import datetime as dt

import pytest

from dispatch.models import HelperStatus, OfferState, TicketStatus
from dispatch.offers import accept
from dispatch.waves import WaveOutcome, offer_text, send_wave
from hotline.core.models import MessageState
from hotline.core.sending import send_due
from hotline.core.telephony import TelephonyError
from tests.dispatch_support import (
    DAYTIME,
    SENDER,
    configure,
    make_helper,
    make_ticket,
    messages,
    offers,
)


@pytest.fixture
def ctx(app):
    configure(app)
    with app.app_context():
        yield app


def send(session, phone, now=DAYTIME, **kw):  # noqa: ANN001, ANN003, ANN201
    """Send what is due at ``now``, as the workers would (without a rate limit)."""
    return send_due(session, phone, now=now, **kw)


def test_wave_1_asks_k_times_the_helpers_needed(ctx, session):
    for _ in range(10):
        make_helper(session)
    ticket = make_ticket(session, needed=2)
    result = send_wave(session, ticket.id, 1, DAYTIME)
    assert result.outcome == WaveOutcome.SENT
    assert result.asked == 6  # k = 3
    assert len(offers(session, ticket)) == 6
    assert len(messages(session, "offer:")) == 6
    assert result.next_wave_at == DAYTIME + dt.timedelta(minutes=20)


def test_offer_text_carries_a_unique_link_and_the_reply_keywords_in_the_helpers_language(
    ctx, session, phone
):
    de = make_helper(session, preferred_language="de")
    en = make_helper(session, preferred_language="en")
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    send(session, phone)
    by_number = {m["to"]: m["body"] for m in phone.sms}
    tokens = {o.helper_id: o.token for o in offers(session, ticket)}
    assert f"https://hotline.example.org/d/{tokens[de.id]}" in by_number[de.phone]
    assert f"JA {ticket.reference}" in by_number[de.phone] and "STOPP" in by_number[de.phone]
    assert f"YES {ticket.reference}" in by_number[en.phone] and "STOP" in by_number[en.phone]
    assert tokens[de.id] != tokens[en.id]
    assert all(m["from"] == SENDER for m in phone.sms)


def test_a_waves_texts_are_each_helpers_own_offer_text_in_their_language(ctx, session):
    helpers = [make_helper(session, preferred_language=lang) for lang in ("de", "tr", "de", "en")]
    ticket = make_ticket(session, needed=2)  # a wave asks 3 × 2: all four
    send_wave(session, ticket.id, 1, DAYTIME)
    tokens = {o.helper_id: o.token for o in offers(session, ticket)}
    bodies = {m.to: m.body for m in messages(session, "offer:")}
    for helper in helpers:
        expected = offer_text(ticket, tokens[helper.id], helper.preferred_language)
        assert bodies[helper.phone] == expected


def test_the_next_wave_asks_only_helpers_not_asked_yet(ctx, session):
    for _ in range(5):
        make_helper(session)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    first = {o.helper_id for o in offers(session, ticket)}
    result = send_wave(session, ticket.id, 2, DAYTIME + dt.timedelta(minutes=20))
    second = {o.helper_id for o in offers(session, ticket) if o.wave == 2}
    assert result.asked == 2
    assert first.isdisjoint(second)


def test_a_wave_runs_once_even_if_its_job_runs_twice(ctx, session):
    for _ in range(5):
        make_helper(session)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    assert send_wave(session, ticket.id, 1, DAYTIME).outcome == WaveOutcome.ALREADY_SENT
    assert len(offers(session, ticket)) == 3


def test_waves_stop_after_the_maximum_count_and_coordinators_are_told(ctx, session):
    for _ in range(20):
        make_helper(session)
    ticket = make_ticket(session)
    for wave in (1, 2, 3):
        send_wave(session, ticket.id, wave, DAYTIME + dt.timedelta(minutes=20 * wave))
    assert ticket.next_wave_at == DAYTIME + dt.timedelta(minutes=80)  # the last wave's T
    assert send_wave(session, ticket.id, 4, DAYTIME).outcome == WaveOutcome.EXHAUSTED
    assert ticket.next_wave_at is None
    assert len(offers(session, ticket)) == 9
    [notice] = messages(session, "coordinator-unfilled:")
    assert notice.to == "+4915111110000"
    assert f"Anfrage {ticket.reference}" in notice.body and "nach 3 Wellen" in notice.body
    assert send_wave(session, ticket.id, 4, DAYTIME).outcome == WaveOutcome.ALREADY_SENT
    assert len(messages(session, "coordinator-unfilled:")) == 1


def test_filled_ticket_cancels_pending_waves_and_stands_down_the_rest(ctx, session, phone):
    helpers = [make_helper(session) for _ in range(3)]
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    send(session, phone)
    before = len(phone.sms)
    first = offers(session, ticket)[0]
    assert accept(session, first).outcome.value == "filled"
    assert ticket.status == TicketStatus.FILLED and ticket.next_wave_at is None
    assert send_wave(session, ticket.id, 2, DAYTIME).outcome == WaveOutcome.NOT_OPEN
    send(session, phone)
    after = phone.sms[before:]
    to = sorted(m["to"] for m in after)
    others = sorted(h.phone for h in helpers if h.id != first.helper_id)
    standdowns = [m["to"] for m in after if "nicht mehr gebraucht" in m["body"]]
    assert sorted(standdowns) == others
    assert "+4915212345678" in to  # the requester
    assert "+4915111110000" in to  # the coordinator
    assert sum(1 for m in after if m["to"] == "+4915212345678") == 1


def test_unsent_offers_are_skipped_not_sent_once_the_ticket_is_filled(ctx, session, phone):
    for _ in range(3):
        make_helper(session)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    accept(session, offers(session, ticket)[0])
    send(session, phone)
    assert not any("Hilfe gesucht" in m["body"] for m in phone.sms)
    assert all(m.state == MessageState.SKIPPED for m in messages(session, "offer:"))
    assert messages(session, "standdown:") == []


def test_a_worker_killed_mid_wave_sends_nobody_a_second_text(ctx, session, phone):
    for _ in range(6):
        make_helper(session)
    ticket = make_ticket(session, needed=2)
    send_wave(session, ticket.id, 1, DAYTIME)

    class Dies(Exception):
        pass

    calls = []

    class DyingTelephony:
        def send_sms(self, to, from_, body, status_callback=None):  # noqa: ANN001, ANN201
            calls.append(to)
            if len(calls) == 3:
                raise Dies("worker killed while talking to the provider")
            return phone.send_sms(to, from_, body, status_callback)

    with pytest.raises(Dies):
        send(session, DyingTelephony())
    session.rollback()
    send(session, phone)  # the restarted worker / the sweep
    sent_to = [m["to"] for m in phone.sms]
    assert len(sent_to) == len(set(sent_to)) == 5
    assert calls[2] not in sent_to  # the one in flight is never repeated
    states = sorted(m.state.value for m in messages(session, "offer:"))
    assert states == ["sending"] + ["sent"] * 5


def test_429_and_500_are_retried_with_backoff(ctx, session, phone):
    helper = make_helper(session)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    phone.fail_with = TelephonyError("too many requests", status=429, code=20429)
    result = send(session, phone)
    message = messages(session, "offer:")[0]
    assert message.state == MessageState.PENDING and message.attempts == 1
    assert result.retry_at == DAYTIME + dt.timedelta(seconds=2)
    phone.fail_with = TelephonyError("server error", status=500)
    send(session, phone, now=DAYTIME + dt.timedelta(seconds=2))
    assert message.state == MessageState.PENDING and message.attempts == 2
    assert message.not_before == DAYTIME + dt.timedelta(seconds=6)
    phone.fail_with = None
    assert send(session, phone, now=DAYTIME + dt.timedelta(seconds=3)).sent == 0  # not yet due
    assert send(session, phone, now=DAYTIME + dt.timedelta(seconds=6)).sent == 1
    assert [m["to"] for m in phone.sms] == [helper.phone]


def test_retries_stop_after_the_configured_attempts(ctx, session, phone):
    make_helper(session)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    phone.fail_with = TelephonyError("server error", status=503)
    now = DAYTIME
    for _ in range(5):
        now += dt.timedelta(minutes=10)
        send(session, phone, now=now)
    message = messages(session, "offer:")[0]
    assert message.state == MessageState.FAILED and message.attempts == 5
    assert offers(session, ticket)[0].state == OfferState.UNREACHABLE


def test_error_21610_opts_the_helper_out_and_is_not_retried(ctx, session, phone):
    helper = make_helper(session)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    phone.fail_with = TelephonyError("unsubscribed recipient", status=400, code=21610)
    send(session, phone)
    message = messages(session, "offer:")[0]
    assert message.state == MessageState.FAILED and message.attempts == 1
    assert helper.status == HelperStatus.OPTED_OUT


def test_error_30003_marks_the_offer_unreachable_without_retry_or_opt_out(ctx, session, phone):
    helper = make_helper(session)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    phone.fail_with = TelephonyError("unreachable destination handset", status=400, code=30003)
    send(session, phone)
    assert messages(session, "offer:")[0].state == MessageState.FAILED
    assert offers(session, ticket)[0].state == OfferState.UNREACHABLE
    assert helper.status == HelperStatus.ACTIVE


def test_offers_are_not_texted_during_quiet_hours_and_wait_for_the_morning(ctx, session, phone):
    make_helper(session)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    night = dt.datetime(2026, 3, 11, 21, 0, tzinfo=dt.UTC)  # 22:00 in Berlin
    result = send(session, phone, now=night)
    assert phone.sms == []
    assert result.retry_at == dt.datetime(2026, 3, 12, 7, 0, tzinfo=dt.UTC)
    assert send(session, phone, now=result.retry_at).sent == 1


GSM_7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_sms_text_stays_in_the_gsm_7_alphabet(language):
    from dispatch.texts import SMS

    for key, versions in SMS.items():
        outside = set(versions[language]) - GSM_7 - set("{}")
        assert not outside, f"{key}: {outside}"


def test_a_landline_requester_is_told_by_a_short_call(ctx, session, phone):
    helper = make_helper(session)
    ticket = make_ticket(session, requester_phone="+49301234567")
    send_wave(session, ticket.id, 1, DAYTIME)
    accept(session, offers(session, ticket)[0])
    send(session, phone)
    assert [c["to"] for c in phone.calls] == ["+49301234567"]
    assert (
        phone.calls[0]["url"]
        == f"https://hotline.example.org/twilio/voice/intake/notify?ticket={ticket.id}"
    )
    assert "+49301234567" not in [m["to"] for m in phone.sms]
    assert helper.phone in [m["to"] for m in phone.sms]


def test_the_requester_is_told_once_even_when_the_ticket_fills_again(ctx, session, phone):
    from dispatch.offers import withdraw

    first, second = make_helper(session), make_helper(session)
    ticket = make_ticket(session)
    from dispatch.waves import create_offers

    create_offers(session, ticket, [first.id, second.id], 1, DAYTIME)
    o1, o2 = offers(session, ticket)
    accept(session, o1)
    withdraw(session, o1)
    assert ticket.status == TicketStatus.OPEN
    accept(session, o2)
    assert ticket.status == TicketStatus.FILLED
    send(session, phone)
    assert [m["to"] for m in phone.sms].count("+4915212345678") == 1


def test_texts_carry_the_absolute_status_callback_url(ctx, session, phone):
    make_helper(session)
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    send(session, phone)
    assert [m["status_callback"] for m in phone.sms] == [
        "https://hotline.example.org/twilio/sms/status"
    ]


def test_without_a_public_url_texts_go_out_without_callback_and_that_is_logged_once(
    ctx, session, phone, caplog
):
    ctx.config["PUBLIC_BASE_URL"] = ""
    for _ in range(2):
        make_helper(session)
    ticket = make_ticket(session, needed=2)
    send_wave(session, ticket.id, 1, DAYTIME)
    with caplog.at_level("WARNING", logger="hotline.core.delivery"):
        send(session, phone, limit=1)
        send(session, phone)
    assert [m["status_callback"] for m in phone.sms] == [None, None]
    warnings = [r.getMessage() for r in caplog.records if "status callback" in r.getMessage()]
    assert len(warnings) == 1 and "PUBLIC_BASE_URL is not set" in warnings[0]

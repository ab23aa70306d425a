"""Dispatch by e-mail: helpers choose SMS, e-mail or both; offers, stand-downs and details
go by the chosen channels with the same accept link, through a real local SMTP server; an
accept through the e-mail's link counts like any other; unsubscribing by link or by STOP
ends both channels; a bounced address is not mailed again."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from dispatch.helpers import InvalidProfile, validate_profile
from dispatch.models import Helper, HelperStatus, Offer, OfferState, Ticket, TicketStatus
from dispatch.offers import accept
from dispatch.waves import send_wave
from hotline.core.extensions import db
from hotline.core.mail import addresses
from hotline.core.messaging import Channel, MessageState
from hotline.core.sending import send_due
from tests.dispatch_support import (
    DAYTIME,
    committed_app,
    configure,
    make_helper,
    make_ticket,
    messages,
    offers,
    post_sms,
    request_scope,
)
from tests.mail_support import dsn


@pytest.fixture
def ctx(mail_app):
    configure(mail_app)
    with mail_app.app_context():
        yield mail_app


def send(session, phone):  # noqa: ANN001, ANN201
    return send_due(session, phone, now=DAYTIME)


def _link(ticket_offers, helper) -> str:  # noqa: ANN001
    token = next(o.token for o in ticket_offers if o.helper_id == helper.id)
    return f"https://hotline.example.org/d/{token}"


def test_each_helper_is_asked_by_the_channels_they_chose_with_the_same_accept_link(
    ctx, session, phone, smtp_server
):
    by_sms = make_helper(session)
    by_mail = make_helper(session, email="mail@example.org", channels=["email"])
    by_both = make_helper(session, email="beides@example.org", channels=["sms", "email"])
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    send(session, phone)
    texted = {m["to"] for m in phone.sms}
    assert texted == {by_sms.phone, by_both.phone}
    assert sorted(r.recipients[0] for r in smtp_server.messages) == [
        "beides@example.org",
        "mail@example.org",
    ]
    asked = offers(session, ticket)
    [mailed] = smtp_server.to("mail@example.org")
    assert mailed["Subject"].startswith("Hilfe gesucht: Einkaufen in 10115")
    assert _link(asked, by_mail) in mailed.get_content()
    [both_mail] = smtp_server.to("beides@example.org")
    [both_text] = [m["body"] for m in phone.sms if m["to"] == by_both.phone]
    assert _link(asked, by_both) in both_mail.get_content()
    assert _link(asked, by_both) in both_text  # one offer, one link, two channels
    assert [m.channel for m in messages(session, "email:offer:")] == [Channel.EMAIL] * 2


def test_an_english_helper_gets_the_offer_email_in_english(ctx, session, phone, smtp_server):
    make_helper(session, email="en@example.org", channels=["email"], preferred_language="en")
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    send(session, phone)
    [mailed] = smtp_server.to("en@example.org")
    assert mailed["Subject"].startswith("Help wanted: shopping")
    assert "You can accept or decline here" in mailed.get_content()


def test_an_accept_by_the_email_link_brings_the_details_by_email_and_stands_down_by_channel(
    ctx, session, phone, smtp_server
):
    first = make_helper(session, email="erste@example.org", channels=["email"])
    second = make_helper(session, email="zweite@example.org", channels=["email"])
    third = make_helper(session)
    ticket = make_ticket(session, needed=1)
    send_wave(session, ticket.id, 1, DAYTIME)
    send(session, phone)
    token = _link(offers(session, ticket), first).rsplit("/", 1)[1]
    client = ctx.test_client()
    with request_scope():
        page = client.get(f"/d/{token}").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = client.post(f"/d/{token}", data={"csrf_token": csrf, "action": "accept"})
    assert "Sie haben zugesagt" in answer.get_data(as_text=True)
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == TicketStatus.FILLED
    send(session, phone)
    [details] = [m for m in smtp_server.to("erste@example.org") if "Zusage" in m["Subject"]]
    assert "Erika" in details.get_content()
    [stand_down] = [m for m in smtp_server.to("zweite@example.org") if "nicht mehr" in m["Subject"]]
    assert stand_down["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [m["body"] for m in phone.sms if m["to"] == third.phone][-1].startswith(
        "Die Anfrage"
    )  # the SMS helper is stood down by SMS
    assert all(m["to"] != second.phone for m in phone.sms)


def _one_click(app, smtp_server, address: str) -> None:  # noqa: ANN001
    header = smtp_server.to(address)[-1]["List-Unsubscribe"]
    path = re.search(r"<https://hotline\.example\.org(/abmelden/[^>]+)>", header).group(1)
    with request_scope():
        assert (
            app.test_client().post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
        )


def test_unsubscribing_by_the_email_link_stops_texts_and_emails(ctx, session, phone, smtp_server):
    helper = make_helper(session, email="beides@example.org", channels=["sms", "email"])
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    send(session, phone)
    _one_click(ctx, smtp_server, "beides@example.org")
    session.expire_all()
    assert session.get(Helper, helper.id).status == HelperStatus.OPTED_OUT
    assert [o.state for o in offers(session, ticket)] == [OfferState.DECLINED]
    before_sms, before_mail = len(phone.sms), len(smtp_server.messages)
    later = make_ticket(session)
    send_wave(session, later.id, 1, DAYTIME)
    send(session, phone)
    assert (len(phone.sms), len(smtp_server.messages)) == (before_sms, before_mail)
    assert offers(session, later) == []


def test_stop_by_sms_stops_the_emails_too(ctx, session, phone, smtp_server):
    helper = make_helper(session, email="beides@example.org", channels=["sms", "email"])
    ticket = make_ticket(session)
    send_wave(session, ticket.id, 1, DAYTIME)
    post_sms(ctx, session, helper.phone, "STOPP")  # before anything was sent
    send(session, phone)
    assert smtp_server.messages == []
    assert phone.sms == []
    assert {m.state for m in messages(session)} == {MessageState.SKIPPED}


def test_start_after_an_unsubscribe_link_mails_the_helper_again(ctx, session, phone, smtp_server):
    helper = make_helper(session, email="mail@example.org", channels=["email"])
    send_wave(session, make_ticket(session).id, 1, DAYTIME)
    send(session, phone)
    _one_click(ctx, smtp_server, "mail@example.org")
    post_sms(ctx, session, helper.phone, "START")
    assert session.get(Helper, helper.id).status == HelperStatus.ACTIVE
    assert addresses.blocked_reason(session, "mail@example.org") is None


def test_a_hard_bounce_stops_mail_to_the_address_and_the_helper_is_texted_instead(
    ctx, session, phone, smtp_server
):
    helper = make_helper(session, email="weg@example.org", channels=["email"])
    send_wave(session, make_ticket(session).id, 1, DAYTIME)
    send(session, phone)
    assert len(smtp_server.to("weg@example.org")) == 1
    with request_scope():
        ctx.config.update(MAIL_BOUNCE_SECRET="geheim")
        answer = ctx.test_client().post(
            "/mail/bounces",
            data=dsn("weg@example.org", "5.1.1"),
            headers={"X-Rufbereit-Secret": "geheim"},
        )
    assert answer.status_code == 200
    session.expire_all()
    send_wave(session, make_ticket(session).id, 1, DAYTIME)
    send(session, phone)
    assert len(smtp_server.to("weg@example.org")) == 1  # never mailed again
    assert [m["to"] for m in phone.sms] == [helper.phone]


def test_the_helper_profile_takes_the_channel_choice_and_checks_the_address(ctx):
    base = {
        "name": "Ada",
        "phone": "0151 23456789",
        "postal_code": "10115",
        "activities": ["shopping"],
    }
    assert validate_profile({**base, "email": "ada@example.org", "channels": "both"}).channels == [
        "sms",
        "email",
    ]
    assert validate_profile(base).channels == ["sms"]
    with pytest.raises(InvalidProfile) as no_address:
        validate_profile({**base, "channels": "email"})
    assert "E-Mail-Adresse" in no_address.value.errors["email"]
    with pytest.raises(InvalidProfile) as bad:
        validate_profile({**base, "email": "ada@@example", "channels": "email"})
    assert "keine E-Mail-Adresse" in bad.value.errors["email"]
    with pytest.raises(InvalidProfile) as unknown:
        validate_profile({**base, "channels": "brieftaube"})
    assert "channels" in unknown.value.errors


def test_with_email_off_an_email_helper_is_texted(app, session, phone):
    configure(app)
    with app.app_context():
        app.extensions["rufbereit.mail"] = None  # MAIL_BACKEND=off
        helper = make_helper(session, email="mail@example.org", channels=["email"])
        send_wave(session, make_ticket(session).id, 1, DAYTIME)
        send(session, phone)
    assert [m["to"] for m in phone.sms] == [helper.phone]
    assert messages(session, "email:") == []


# -- 200 accepts at once across both channels, on real PostgreSQL ----------------------------


@pytest.fixture
def pg_mail_app(request, engine, database_url, redis_url, monkeypatch) -> Iterator:
    config = {"DISPATCH_QUIET_START": 0, "DISPATCH_QUIET_END": 0}
    yield from committed_app(request, engine, database_url, redis_url, monkeypatch, **config)


def test_200_accepts_at_once_across_sms_and_email_accept_exactly_5(pg_mail_app, smtp_server):
    app = pg_mail_app
    app.config.update(DISPATCH_WAVE_FACTOR=40)
    with app.app_context():
        session = db.new_session()
        for n in range(200):
            if n % 2:
                make_helper(session, email=f"h{n}@example.org", channels=["email"])
            else:
                make_helper(session)
        ticket = make_ticket(session, needed=5)
        send_wave(session, ticket.id, 1, DAYTIME)
        session.commit()
        ticket_id = ticket.id
        all_offers = offers(session, ticket)
        by_channel = {
            m.refs["offer_id"]: m.channel
            for m in messages(session)
            if m.key.startswith(("offer:", "email:offer:"))
        }
        session.close()
    assert len(all_offers) == 200
    assert sorted(by_channel.values()).count(Channel.EMAIL) == 100

    barrier = threading.Barrier(len(all_offers))
    answers: dict[int, str] = {}

    def answer(offer: Offer) -> None:
        barrier.wait()  # all at once; each then waits for one of the pool's connections
        with app.app_context():
            session = db.new_session()
            try:
                result = accept(session, session.get(Offer, offer.id))
                session.commit()
                answers[offer.id] = result.outcome.value
            finally:
                session.close()

    threads = [threading.Thread(target=answer, args=(o,)) for o in all_offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(answers) == 200
    won = [oid for oid, outcome in answers.items() if outcome in ("accepted", "filled")]
    assert len(won) == 5
    assert list(answers.values()).count("too_late") == 195
    with app.app_context():
        session = db.new_session()
        states = list(session.scalars(select(Offer.state).where(Offer.ticket_id == ticket_id)))
        status = session.get(Ticket, ticket_id).status
        session.close()
    assert states.count(OfferState.ACCEPTED) == 5
    assert status == TicketStatus.FILLED

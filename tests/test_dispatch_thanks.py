"""After a help is done the helper is thanked, once, by their channels, with the link to
their page (their helps and the certificate); a help that did not happen is not thanked."""

from __future__ import annotations

import datetime as dt

import pytest

from dispatch.models import Ticket
from dispatch.offers import accept, decline
from dispatch.thanks import thank_done_helps, thanks_key
from dispatch.tickets import close_ticket
from dispatch.waves import send_wave
from hotline.core.messaging import Channel
from hotline.core.registry import registry
from hotline.core.sending import send_due
from tests.dispatch_support import DAYTIME, configure, make_helper, make_ticket, messages, offers

#: The ticket's window is 10:00-13:00 Berlin time; this is 14:00.
AFTER = DAYTIME + dt.timedelta(hours=4)


@pytest.fixture
def ctx(mail_app):
    configure(mail_app)
    with mail_app.app_context():
        yield mail_app


def _helped(session, helper, **ticket):  # noqa: ANN001, ANN003, ANN202
    """A ticket ``helper`` accepted (and so filled)."""
    made = make_ticket(session, **ticket)
    send_wave(session, made.id, 1, DAYTIME)
    [offer] = [o for o in offers(session, made) if o.helper_id == helper.id]
    accept(session, offer, send_details=False)
    session.flush()
    return made, offer


def test_a_helper_whose_help_is_done_is_thanked_by_text_with_the_link_to_their_page(
    ctx, session, phone
):
    helper = make_helper(session)
    _helped(session, helper)
    assert thank_done_helps(session, AFTER) == 1
    session.commit()
    send_due(session, phone, now=AFTER)
    [thanks] = [m["body"] for m in phone.sms if m["to"] == helper.phone and "Danke" in m["body"]]
    assert thanks.startswith("Rufbereit: Danke für Ihre Hilfe (Einkaufen, 11.03. 10:00-13:00)")
    assert "/hilfe/profil/" in thanks


def test_nobody_is_thanked_before_the_help_is_over(ctx, session):
    _helped(session, make_helper(session))
    assert thank_done_helps(session, DAYTIME + dt.timedelta(hours=2)) == 0
    assert messages(session, "thanks:") == []


def test_a_helper_is_thanked_once_however_often_the_job_runs(ctx, session):
    helper = make_helper(session)
    _, offer = _helped(session, helper)
    assert thank_done_helps(session, AFTER) == 1
    session.commit()
    assert thank_done_helps(session, AFTER + dt.timedelta(minutes=15)) == 0
    assert [m.key for m in messages(session, "thanks:")] == [thanks_key(offer.id)]


def test_an_email_helper_is_thanked_by_email_in_their_language(ctx, session, phone, smtp_server):
    helper = make_helper(
        session, email="thanks@example.org", channels=["email"], preferred_language="en"
    )
    _helped(session, helper)
    thank_done_helps(session, AFTER)
    session.commit()
    send_due(session, phone, now=AFTER)
    [mail] = smtp_server.to("thanks@example.org")
    assert mail["Subject"].startswith("Thank you for your help")
    assert "download a certificate" in mail.get_content()
    assert [m.channel for m in messages(session, "email:thanks:")] == [Channel.EMAIL]


def test_a_request_closed_before_its_time_thanks_nobody(ctx, session):
    made, _ = _helped(session, make_helper(session))
    ticket = session.get(Ticket, made.id)
    close_ticket(session, ticket)
    ticket.closed_at = DAYTIME + dt.timedelta(hours=1)  # the help did not happen
    session.flush()
    assert thank_done_helps(session, AFTER) == 0


def test_a_helper_who_declined_is_not_thanked_for_the_help(ctx, session):
    helper, other = make_helper(session), make_helper(session)
    made, _ = _helped(session, helper)
    [declined] = [o for o in offers(session, made) if o.helper_id == other.id]
    decline(session, declined)
    session.flush()
    assert thank_done_helps(session, AFTER) == 1
    assert {m.refs["helper_id"] for m in messages(session, "thanks:")} == {helper.id}


def test_thank_yous_wait_for_the_end_of_quiet_hours(ctx, session, phone):
    helper = make_helper(session)
    late = DAYTIME.replace(hour=20)  # 21:00 Berlin: the window ends at 22:00
    _helped(session, helper, window_start=late, window_end=late + dt.timedelta(hours=1))
    night = late + dt.timedelta(hours=2)  # 23:00 Berlin
    assert thank_done_helps(session, night) == 1
    session.commit()
    send_due(session, phone, now=night)
    assert not [m for m in phone.sms if m["to"] == helper.phone and "Danke" in m["body"]]


def test_the_thank_yous_run_as_a_periodic_job(ctx):
    assert "dispatch-thanks" in registry(ctx).periodic_jobs

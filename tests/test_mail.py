"""E-mail through the one outbound pipeline, against a real local SMTP server: headers of
the one-click unsubscribe (RFC 8058), one e-mail per key, 4xx retried, 5xx failed for good,
cut sends uncertain, the rate limit per sender address, the unsubscribe page, bounces, and
the production checks of the settings."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner

from hotline import cli
from hotline.app import SETTINGS
from hotline.core import messaging
from hotline.core.config import ConfigError, load_settings
from hotline.core.mail import addresses
from hotline.core.messaging import Channel, MessageState, OutboundMessage
from hotline.core.models import MailAddress
from hotline.core.sending import app_limiter, send_due, send_message
from tests.dispatch_support import request_scope
from tests.mail_support import dsn, free_port

ADA = "ada@example.org"
T0 = dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def ctx(mail_app):
    with mail_app.app_context():
        yield mail_app


def mail(session, key: str = "mail:1", to: str = ADA, **kw) -> OutboundMessage:  # noqa: ANN001, ANN003
    message = messaging.queue(
        session,
        kind=kw.pop("kind", "test_mail"),
        key=key,
        to=to,
        body=kw.pop("body", "Hallo Ada,\nbitte melden."),
        subject=kw.pop("subject", "Eine Frage"),
        sender=kw.pop("sender", "Rufbereit <hilfe@example.org>"),
        channel=Channel.EMAIL,
        **kw,
    )
    session.flush()
    return message


def test_an_email_arrives_with_message_id_and_one_click_unsubscribe_headers(
    ctx, session, smtp_server
):
    message = mail(session)
    assert send_message(message.id) == f"message {message.id}: sent"
    [received] = smtp_server.messages
    assert received.recipients == [ADA]
    assert received.sender == "hilfe@example.org"
    got = received.message
    assert (got["Subject"], got["To"]) == ("Eine Frage", ADA)
    session.refresh(message)
    assert got["Message-ID"] == f"<{message.sid}>"
    assert message.sid.endswith("@example.org")
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # One header line, no encoded word: mail clients read the URLs as they are.
    assert re.search(rb"\r\nList-Unsubscribe: <https://[^\r\n]+>\r\n", received.raw)
    link, mailto = re.fullmatch(r"<([^>]+)>, <([^>]+)>", got["List-Unsubscribe"]).groups()
    assert link.startswith("https://hotline.example.org/abmelden/")
    assert mailto.startswith("mailto:abmelden@example.org?subject=unsubscribe%20")
    body = got.get_content()
    assert "Hallo Ada," in body and link in body  # the link is in the text as well


def test_a_key_is_mailed_once_even_if_its_job_runs_twice(ctx, session, smtp_server):
    message = mail(session)
    assert mail(session).id == message.id  # the same key is the same message
    send_message(message.id)
    assert send_message(message.id).endswith("nothing (already sent)")
    assert len(smtp_server.messages) == 1


def test_a_temporary_4xx_reply_is_retried_with_backoff_and_then_delivered(
    ctx, session, smtp_server
):
    smtp_server.answer(ADA, "data", "451 4.3.0 Try again later", times=1)
    message = mail(session)
    first = send_due(session, now=T0)
    session.refresh(message)
    assert (first.sent, message.state, message.attempts) == (0, MessageState.PENDING, 1)
    assert message.error_code == 451 and message.not_before > T0
    second = send_due(session, now=message.not_before)
    session.refresh(message)
    assert (second.sent, message.state, message.attempts) == (1, MessageState.SENT, 2)
    assert len(smtp_server.to(ADA)) == 1


def test_a_lost_connection_before_the_message_is_retried(ctx, session, smtp_server):
    ctx.config.update(SMTP_PORT=free_port())  # nobody listens there
    ctx.extensions.pop("rufbereit.mail")
    from hotline.core.mail import init_mail

    init_mail(ctx)
    message = mail(session)
    send_due(session, now=T0)
    session.refresh(message)
    assert (message.state, message.attempts, message.error_code) == (
        MessageState.PENDING,
        1,
        None,
    )


def test_a_permanent_5xx_reply_fails_and_is_never_retried(ctx, session, smtp_server):
    smtp_server.answer(ADA, "data", "554 5.7.1 Rejected as spam")
    message = mail(session)
    report = send_due(session, now=T0)
    send_due(session, now=T0 + dt.timedelta(hours=1))
    session.refresh(message)
    assert report.failed == 1
    assert (message.state, message.attempts, message.error_code) == (
        MessageState.FAILED,
        1,
        554,
    )
    assert smtp_server.messages == []


def test_a_recipient_refused_for_good_marks_the_address_unreachable(ctx, session, smtp_server):
    smtp_server.answer(ADA, "rcpt", "550 5.1.1 No such user")
    first = mail(session, "mail:1")
    send_due(session, now=T0)
    session.refresh(first)
    assert first.state == MessageState.FAILED
    assert addresses.blocked_reason(session, ADA) == "unreachable"
    second = mail(session, "mail:2")
    assert send_message(second.id).endswith("skipped (address unreachable)")


def test_a_send_cut_after_the_message_was_handed_over_is_uncertain_not_resent(
    ctx, session, smtp_server
):
    smtp_server.answer(ADA, "cut", times=1)
    message = mail(session)
    send_due(session, now=T0)
    send_due(session, now=T0 + dt.timedelta(hours=1))
    session.refresh(message)
    assert (message.state, message.attempts) == (MessageState.UNCERTAIN, 1)


def test_the_rate_limit_is_per_sender_address(ctx, session, smtp_server):
    ctx.config.update(MAIL_RATE_PER_SECOND=1, MESSAGE_SLICE_SECONDS=0.05)
    mail(session, "mail:1", to="a@example.org")
    mail(session, "mail:2", to="b@example.org")
    mail(session, "mail:3", to="c@example.org", sender="andere@example.org")
    report = send_due(session, limiter=app_limiter())
    # One per second from hilfe@ (the second waits for its slot), the other sender's at once.
    assert report.sent == 2
    assert sorted(r.recipients[0] for r in smtp_server.messages) == [
        "a@example.org",
        "c@example.org",
    ]


# -- unsubscribing ---------------------------------------------------------------------------


def _unsubscribe_path(session, smtp_server) -> str:  # noqa: ANN001
    send_message(mail(session).id)
    header = smtp_server.messages[-1].message["List-Unsubscribe"]
    return re.search(r"<https://hotline\.example\.org(/abmelden/[^>]+)>", header).group(1)


def test_the_unsubscribe_link_only_asks_on_get(ctx, session, smtp_server):
    path = _unsubscribe_path(session, smtp_server)
    with request_scope():
        page = ctx.test_client().get(path)
    assert page.status_code == 200
    assert 'name="List-Unsubscribe" value="One-Click"' in page.get_data(as_text=True)
    assert addresses.blocked_reason(session, ADA) is None


def test_a_one_click_post_unsubscribes_without_cookie_or_csrf_token(ctx, session, smtp_server):
    path = _unsubscribe_path(session, smtp_server)
    with request_scope():
        answer = ctx.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    session.expire_all()
    assert addresses.blocked_reason(session, ADA) == "unsubscribed"
    later = mail(session, "mail:later")
    assert send_message(later.id).endswith("skipped (address unsubscribed)")


def test_a_made_up_unsubscribe_token_is_not_found(ctx, session):
    with request_scope():
        answer = ctx.test_client().post("/abmelden/not-a-token", data={})
    assert answer.status_code == 404


def test_a_mail_to_the_mailto_unsubscribe_unsubscribes(ctx, session, smtp_server, monkeypatch):
    send_message(mail(session).id)
    header = smtp_server.messages[-1].message["List-Unsubscribe"]
    subject = re.search(r"subject=([^>]+)>", header).group(1).replace("%20", " ")
    raw = f"From: {ADA}\r\nTo: abmelden@example.org\r\nSubject: {subject}\r\n\r\n".encode()
    monkeypatch.setattr(cli, "create_app", lambda: ctx)
    result = CliRunner().invoke(cli.main, ["mail", "unsubscribe"], input=raw)
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert addresses.blocked_reason(session, ADA) == "unsubscribed"


# -- bounces ---------------------------------------------------------------------------------


def test_a_hard_bounce_fed_to_the_command_marks_the_address_and_stops_further_mail(
    ctx, session, smtp_server, monkeypatch
):
    send_message(mail(session, "mail:1").id)
    monkeypatch.setattr(cli, "create_app", lambda: ctx)
    result = CliRunner().invoke(cli.main, ["mail", "bounce"], input=dsn(ADA, "5.1.1"))
    assert result.exit_code == 0, result.output
    assert "5.1.1 (hard bounce)" in result.output and ADA not in result.output
    session.expire_all()
    assert addresses.blocked_reason(session, ADA) == "unreachable"
    second = mail(session, "mail:2")
    send_message(second.id)
    assert len(smtp_server.to(ADA)) == 1  # only the first, before the bounce


def test_soft_bounces_are_counted_and_do_not_stop_mail(ctx, session):
    assert addresses.record_bounce(session, ADA, "4.2.2") == "soft"
    assert addresses.record_bounce(session, ADA, "4.2.2") == "soft"
    row = session.get(MailAddress, ADA)
    assert (row.soft_bounces, row.unreachable_at) == (2, None)
    assert addresses.blocked_reason(session, ADA) is None


def test_the_bounce_webhook_needs_its_shared_secret(ctx, session):
    client = ctx.test_client()
    with request_scope():
        assert client.post("/mail/bounces", data=dsn(ADA, "5.1.1")).status_code == 404
    ctx.config.update(MAIL_BOUNCE_SECRET="geheim")
    with request_scope():
        refused = client.post(
            "/mail/bounces", data=dsn(ADA, "5.1.1"), headers={"X-Rufbereit-Secret": "falsch"}
        )
        taken = client.post(
            "/mail/bounces", data=dsn(ADA, "5.1.1"), headers={"X-Rufbereit-Secret": "geheim"}
        )
    assert refused.status_code == 403
    assert taken.status_code == 200 and taken.json == {
        "bounces": [{"status": "5.1.1", "kind": "hard"}]
    }
    session.expire_all()
    assert addresses.blocked_reason(session, ADA) == "unreachable"


# -- settings --------------------------------------------------------------------------------

PRODUCTION = {"SECRET_KEY": "s" * 32, "CALLER_HASH_SALT": "t" * 32}


def test_production_refuses_to_only_log_emails():
    with pytest.raises(ConfigError) as refused:
        load_settings(SETTINGS, env={**PRODUCTION, "MAIL_BACKEND": "console"})
    assert any(p.startswith("MAIL_BACKEND=console") for p in refused.value.problems)


def test_production_refuses_smtp_without_server_and_sender():
    with pytest.raises(ConfigError) as refused:
        load_settings(SETTINGS, env={**PRODUCTION, "MAIL_BACKEND": "smtp"})
    assert "MAIL_BACKEND=smtp needs SMTP_HOST and MAIL_FROM" in str(refused.value)


def test_production_without_email_settings_sends_no_email_and_starts():
    settings = load_settings(SETTINGS, env=PRODUCTION)
    assert settings["MAIL_BACKEND"] == "off"
    smtp = load_settings(
        SETTINGS, env={**PRODUCTION, "SMTP_HOST": "mail.example.org", "MAIL_FROM": "a@example.org"}
    )
    assert (smtp["MAIL_BACKEND"], smtp["SMTP_PORT"], smtp["SMTP_TLS"]) == ("smtp", 587, "starttls")

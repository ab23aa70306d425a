"""A provider that stops answering holds no worker: the call gives up after its timeout, and
a request that may have reached the provider is not retried (it could send a text twice)."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

from hotline.core.telephony import TelephonyError
from hotline.core.telephony.twilio import TwilioTelephony
from tests.faults.tcpproxy import Mode, TcpProxy

SID = "AC" + "0" * 32


def _through(proxy: TcpProxy) -> str:
    return f"http://127.0.0.1:{proxy.port}"


def test_a_silent_provider_gives_up_in_time_and_the_text_is_not_retried(twilio_server, outcome):
    target = urlsplit(twilio_server.base_url)
    with TcpProxy(target.hostname, target.port) as proxy:
        phone = TwilioTelephony(SID, "token", _through(proxy), timeout=0.5)
        assert phone.send_sms("+4915112345678", "+4930120000", "Hallo").startswith("SM")
        proxy.set_mode(Mode.BLACKHOLE)
        started = time.monotonic()
        try:
            phone.send_sms("+4915112345679", "+4930120000", "Hallo")
        except TelephonyError as exc:
            error = exc
        took = time.monotonic() - started
    assert took < 2.0
    assert error.outcome_unknown and not error.retryable
    outcome.record(kept=1, lost=0, doubled=0)


def test_a_provider_nobody_listens_for_is_tried_again_later():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    phone = TwilioTelephony(SID, "token", f"http://127.0.0.1:{port}", timeout=0.5)
    try:
        phone.send_sms("+4915112345678", "+4930120000", "Hallo")
    except TelephonyError as exc:
        error = exc
    assert not error.outcome_unknown and error.retryable


def test_a_send_cut_by_a_dying_worker_is_reported_not_left_in_sending(app, session, outcome):
    import datetime as dt

    from hotline.core import messaging
    from hotline.core.models import MessageState, utcnow

    message = messaging.queue(
        session,
        kind="signup_code",
        key="cut:1",
        to="+4915112345678",
        body="123456",
        sender="+4930120000",
    )
    message.state = MessageState.SENDING  # claimed, then the worker was killed in the call
    message.claimed_at = utcnow() - dt.timedelta(minutes=5)
    session.flush()
    with app.app_context():
        assert messaging.mark_cut_sends(session, utcnow()) == 1
        assert messaging.uncertain_count(session) == 1
    assert message.state == MessageState.UNCERTAIN
    outcome.record(kept=1, lost=0, doubled=0)


def test_a_send_whose_answer_never_came_is_uncertain_and_not_retried(app, session, phone):
    from hotline.core import messaging
    from hotline.core.models import MessageState
    from hotline.core.sending import send_due

    messaging.queue(
        session,
        kind="signup_code",
        key="cut:2",
        to="+4915112345679",
        body="654321",
        sender="+4930120000",
    )
    session.flush()
    phone.fail_with = TelephonyError("provider unreachable: ReadTimeout", outcome_unknown=True)
    with app.app_context():
        send_due(session, phone)
        phone.fail_with = None
        send_due(session, phone)
    [message] = [
        m for m in session.scalars(__import__("sqlalchemy").select(messaging.OutboundMessage))
    ]
    assert message.state == MessageState.UNCERTAIN and phone.sms == []

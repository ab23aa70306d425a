"""A hard deadline on every Twilio webhook.

Twilio waits 15 s for a webhook, then requests the number's Fallback URL; a caller must never
wait that long, and a database host that stops answering (a network partition: connections
stay open, nothing comes back) blocks a socket read for much longer than that. Server-side
``statement_timeout`` cannot fire when the server is unreachable, and TCP keepalives take
seconds to notice. So each webhook request runs under an interval timer (``SIGALRM``, the
sync gunicorn worker's main thread): when ``WEBHOOK_DEADLINE_SECONDS`` pass, the blocked
call is interrupted with :class:`DeadlineExceeded`, the request's database session is thrown
away without talking to the server, and the caller hears the line's fallback number (the
voice blueprints' error handlers) or the texter gets a valid empty reply.

Where the timer cannot be used (a thread other than the main one, platforms without
``SIGALRM``), the client-side socket bounds in :func:`hotline.core.db.engine_options` and the
Redis timeouts still apply.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from flask import Flask, current_app, g, request

log = logging.getLogger(__name__)

#: Paths that Twilio calls.
WEBHOOK_PREFIX = "/twilio/"


class DeadlineExceeded(Exception):
    """A webhook ran past its deadline; raised from the timer signal."""


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _expired(_signum: int, _frame: Any) -> None:
    try:
        g.webhook_deadline_hit = True
    except RuntimeError:  # no request any more: nothing to interrupt
        return
    raise DeadlineExceeded(
        f"webhook deadline of {current_app.config['WEBHOOK_DEADLINE_SECONDS']} s"
    )


def _arm() -> None:
    seconds = float(current_app.config.get("WEBHOOK_DEADLINE_SECONDS") or 0)
    if seconds <= 0 or not request.path.startswith(WEBHOOK_PREFIX) or not _usable():
        return
    previous = signal.signal(signal.SIGALRM, _expired)
    g.webhook_deadline_armed = previous
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _disarm(*_args: Any) -> Any:
    if "webhook_deadline_armed" in g:
        signal.setitimer(signal.ITIMER_REAL, 0)
        previous = g.pop("webhook_deadline_armed")
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
    return _args[0] if _args else None


def deadline_hit() -> bool:
    """Whether the current request ran out of time (its connections are in an unknown
    state and must not be used again)."""
    try:
        return bool(g.get("webhook_deadline_hit"))
    except RuntimeError:
        return False


def _answer_sms(exc: DeadlineExceeded):  # noqa: ANN202
    """Webhooks without an error handler of their own (the SMS webhook) still answer with
    valid TwiML."""
    from twilio.twiml.messaging_response import MessagingResponse
    from twilio.twiml.voice_response import VoiceResponse

    from hotline.core.fallback import fallback_response, twiml

    log.error("webhook %s ran past its deadline", request.path)
    if request.path.startswith("/twilio/sms"):
        return twiml(MessagingResponse())
    if request.path.startswith("/twilio/voice"):
        return fallback_response(request.form.get("To", ""))
    return twiml(VoiceResponse())


def init_deadline(app: Flask) -> None:
    app.before_request(_arm)
    app.after_request(_disarm)
    app.teardown_request(_disarm)
    app.register_error_handler(DeadlineExceeded, _answer_sms)

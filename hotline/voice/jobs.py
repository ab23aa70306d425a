"""RQ jobs of the voice hotline. Each takes ids, reloads its rows, and does nothing if they are
gone or done; every text and call goes through the core pipeline (:mod:`hotline.core.messaging`)
under a unique key, so a job that runs twice (retry, sweep, restarted worker) never texts or
calls anyone twice."""

from __future__ import annotations

import datetime as dt
import logging

from flask import url_for
from rq import Retry
from sqlalchemy import select

from hotline.core import messaging
from hotline.core.extensions import db, jobs, telephony
from hotline.core.messaging import Channel, OutboundMessage, Priority
from hotline.core.models import OutboxMessage, utcnow
from hotline.core.oncall.models import Coordinator, Line
from hotline.core.phones import pretty
from hotline.core.telephony import TelephonyError
from hotline.core.worker import app_context
from hotline.voice.directory import load_available
from hotline.voice.models import Call
from hotline.voice.routing import callout_batch
from hotline.voice.web import recording_path

log = logging.getLogger(__name__)

MAX_CALLOUT_ROUNDS = 20


#: Outbound message kinds of the voice hotline (both caller-facing: the urgent queue).
VOICEMAIL_NOTICE = "voicemail_notice"
QUEUE_CALLOUT = "queue_callout"


def _voicemail_notice(session, message: OutboxMessage) -> str:  # noqa: ANN001
    """Outbox handler: text the line's coordinators that a voicemail was left (one text per
    coordinator and call, whatever retries the outbox job sees)."""
    call = session.get(Call, message.payload["call_id"])
    if call is None:
        return "call gone"
    line = session.get(Line, call.line_id)
    coordinators = session.scalars(select(Coordinator).where(Coordinator.line_id == line.id))
    caller = pretty(call.caller_number) if call.caller_number else "unbekannt"
    # The recording is heard through the product (signed in), never by a provider link.
    listen = f" Anhören: {_public_base()}{recording_path(call.id)}" if call.recording_url else ""
    body = (
        f"Rufbereit: neue Sprachnachricht auf {line.name} ({call.recording_seconds or 0} s). "
        f"Rückruf an {caller}.{listen}"
    )
    count = 0
    for coordinator in coordinators:
        messaging.queue(
            session,
            kind=VOICEMAIL_NOTICE,
            key=f"voicemail:{call.id}:{coordinator.phone_number}",
            to=coordinator.phone_number,
            body=body,
            sender=line.number,
            priority=Priority.URGENT,
            refs={"call_id": call.id},
        )
        count += 1
    return f"notice queued for {count} coordinator(s)"


def _queue_callout(session, message: OutboxMessage) -> str:  # noqa: ANN001
    # The entry webhook names the call by its CallSid: it queues before the record has an id.
    call_id = message.payload.get("call_id") or session.scalar(
        select(Call.id).where(Call.call_sid == message.payload.get("call_sid", ""))
    )
    if call_id is None:
        return "call gone"
    jobs.enqueue(
        queue_callout,
        call_id,
        1,
        job_id=f"callout-{call_id}-1",
        retry=Retry(max=2),
        priority=Priority.URGENT,
    )
    return "scheduled"


def _waiting(call: Call | None) -> bool:
    return not (call is None or call.answered_by_id or call.queue_left_at or call.ended_at)


def queue_callout(call_id: int, round_no: int) -> str:
    """While a caller waits in the queue, keep calling the operators on shift who are free:
    each round queues one call per operator (urgent), the next round follows after
    ``QUEUE_CALLOUT_INTERVAL`` seconds."""
    from flask import current_app

    with app_context():
        session = db.new_session()
        try:
            call = session.get(Call, call_id)
            if not _waiting(call):
                return "call no longer waiting"
            line = session.get(Line, call.line_id)
            now = utcnow()
            # Windows of ten that move on each round: with more free operators than one round
            # calls, every one of them is called while the caller waits.
            operators = callout_batch(
                load_available(session, line.id, now), call.language, round_no
            )
            base = _public_base()
            for operator in operators:
                with _request_ctx(base):
                    path = url_for("voice.queue_offer", call=call.id, op=operator.id)
                messaging.queue(
                    session,
                    kind=QUEUE_CALLOUT,
                    key=f"callout:{call.id}:{round_no}:{operator.id}",
                    to=operator.phone_number,
                    body=f"{base}{path}",
                    sender=line.number,
                    channel=Channel.CALL,
                    priority=Priority.URGENT,
                    ring_seconds=line.ring_timeout,
                    refs={"call_id": call.id, "operator_id": operator.id},
                )
            session.commit()
        finally:
            session.close()
        if round_no < MAX_CALLOUT_ROUNDS:
            interval = dt.timedelta(seconds=current_app.config["QUEUE_CALLOUT_INTERVAL"])
            jobs.enqueue(
                queue_callout,
                call_id,
                round_no + 1,
                job_id=f"callout-{call_id}-{round_no + 1}",
                delay=interval,
                priority=Priority.URGENT,
            )
        return f"calling {len(operators)} operator(s)"


def callout_wanted(session, message: OutboundMessage, now: dt.datetime) -> str | None:  # noqa: ANN001
    """Just before the call is placed: the caller may have been answered or hung up."""
    if not _waiting(session.get(Call, (message.refs or {}).get("call_id"))):
        return "caller no longer waiting"
    return None


def _conference_redirect(session, message: OutboxMessage) -> str:  # noqa: ANN001
    """Outbox handler: move the accepting operator's leg into the call's conference (a REST
    update of that leg; the caller's ``<Dial>`` action then joins the caller). Retried while
    the provider is unreachable; refused for good, the call stays a direct bridge (its
    ``conference_at`` is cleared, so the caller is not sent to an empty conference)."""
    call = session.get(Call, message.payload["call_id"])
    if call is None or call.ended_at is not None:
        return "call gone"
    base = _public_base()
    with _request_ctx(base):
        path = url_for("voice.conference_join", call=call.id, role="operator")
    try:
        telephony().redirect_call(message.payload["leg_sid"], f"{base}{path}")
    except TelephonyError as exc:
        if exc.retryable:
            raise
        log.warning("call %s: operator's leg not moved into the conference: %s", call.id, exc)
        call.conference_at = None
        return f"not moved: {exc}"
    return "moved into the conference"


def _public_base() -> str:
    from flask import current_app

    return current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"


def _request_ctx(base: str):  # noqa: ANN202
    from flask import current_app

    return current_app.test_request_context("/", base_url=base)


#: Outbox kinds of the voice hotline (registered in :func:`hotline.voice.init_app`), all
#: caller-facing: their jobs run on the urgent queue.
OUTBOX_HANDLERS = {
    "voicemail_notice": _voicemail_notice,
    "queue_callout": _queue_callout,
    "conference_redirect": _conference_redirect,
}

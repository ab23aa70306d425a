"""RQ jobs. Each takes ids, reloads its rows, and does nothing if they are gone or done, so a
job that runs twice (retry, sweep, restarted worker) never texts or calls anyone twice."""

from __future__ import annotations

import datetime as dt
import logging

from flask import url_for
from rq import Retry
from sqlalchemy import select

from hotline.core.extensions import db, jobs, telephony
from hotline.core.models import OutboxMessage, utcnow
from hotline.core.oncall.models import Coordinator, Line
from hotline.core.phones import mask, pretty
from hotline.core.telephony import TelephonyError
from hotline.core.worker import app_context
from hotline.voice.directory import load_available
from hotline.voice.models import Call
from hotline.voice.routing import callout_batch

log = logging.getLogger(__name__)

MAX_CALLOUT_ROUNDS = 20


def _voicemail_notice(session, message: OutboxMessage) -> str:  # noqa: ANN001
    call = session.get(Call, message.payload["call_id"])
    if call is None:
        return "call gone"
    line = session.get(Line, call.line_id)
    coordinators = session.scalars(select(Coordinator).where(Coordinator.line_id == line.id))
    sent = set(message.payload.get("sent_to", []))
    caller = pretty(call.caller_number) if call.caller_number else "unbekannt"
    body = (
        f"Rufbereit: neue Sprachnachricht auf {line.name} ({call.recording_seconds or 0} s). "
        f"Rückruf an {caller}." + (f" Aufnahme: {call.recording_url}" if call.recording_url else "")
    )
    count = 0
    for coordinator in coordinators:
        if coordinator.phone_number in sent:
            continue
        telephony().send_sms(coordinator.phone_number, line.number, body)
        sent.add(coordinator.phone_number)
        # Progress is committed per recipient so a crash here re-sends to nobody.
        message.payload = {**message.payload, "sent_to": sorted(sent)}
        session.commit()
        count += 1
        log.info("voicemail notice for call %s sent to %s", call.id, mask(coordinator.phone_number))
    return f"notified {count} coordinator(s)"


def _queue_callout(session, message: OutboxMessage) -> str:  # noqa: ANN001
    # The entry webhook names the call by its CallSid: it queues before the record has an id.
    call_id = message.payload.get("call_id") or session.scalar(
        select(Call.id).where(Call.call_sid == message.payload.get("call_sid", ""))
    )
    if call_id is None:
        return "call gone"
    jobs.enqueue(queue_callout, call_id, 1, job_id=f"callout-{call_id}-1", retry=Retry(max=2))
    return "scheduled"


def queue_callout(call_id: int, round_no: int) -> str:
    """While a caller waits in the queue, keep calling the operators on shift who are free."""
    with app_context():
        session = db.new_session()
        try:
            call = session.get(Call, call_id)
            if call is None or call.answered_by_id or call.queue_left_at or call.ended_at:
                return "call no longer waiting"
            line = session.get(Line, call.line_id)
            now = utcnow()
            operators = load_available(session, line.id, now)
            base = _public_base()
            for operator in callout_batch(operators, call.language, round_no):
                with _request_ctx(base):
                    path = url_for("voice.queue_offer", call=call.id, op=operator.id)
                try:
                    telephony().place_call(
                        operator.phone_number,
                        line.number,
                        f"{base}{path}",
                        timeout=line.ring_timeout,
                    )
                except TelephonyError as exc:
                    log.warning("call-out to %s failed: %s", mask(operator.phone_number), exc)
            if round_no < MAX_CALLOUT_ROUNDS:
                from flask import current_app

                interval = dt.timedelta(seconds=current_app.config["QUEUE_CALLOUT_INTERVAL"])
                jobs.enqueue(
                    queue_callout,
                    call_id,
                    round_no + 1,
                    job_id=f"callout-{call_id}-{round_no + 1}",
                    delay=interval,
                )
            return f"called {min(len(operators), 10)} operator(s)"
        finally:
            session.close()


def _public_base() -> str:
    from flask import current_app

    return current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"


def _request_ctx(base: str):  # noqa: ANN202
    from flask import current_app

    return current_app.test_request_context("/", base_url=base)


#: Outbox kinds of the voice hotline (registered in :func:`hotline.voice.init_app`).
OUTBOX_HANDLERS = {
    "voicemail_notice": _voicemail_notice,
    "queue_callout": _queue_callout,
}

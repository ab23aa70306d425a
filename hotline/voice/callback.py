"""Call back through the hotline: the operator who had a call calls that caller back within
``CALLBACK_WINDOW_MINUTES`` without either side seeing the other's number.

Asked for by texting ``RÜCKRUF``/``CALLBACK`` to the line, with the button on the phone page,
or by calling the line from the operator's registered mobile ("press 1 to call back your
last caller"). By text and page the product calls the operator (urgent, through the one
pipeline, under a unique key), screens with press-1 so no mailbox takes it, then dials the
caller; calling in, the operator is connected straight away. The line's number is what both
phones show. The caller's number is read from the call record when dialled, so it is used
only while it is retained (``CALLER_NUMBER_RETENTION_DAYS``, :mod:`hotline.voice.privacy`).

Only the operator's own most recent call; refused with a :class:`Refusal` otherwise.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import Enum

from flask import current_app, has_request_context, url_for
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core import messaging
from hotline.core.blocks import is_blocked
from hotline.core.extensions import jobs
from hotline.core.messaging import Channel, OutboundMessage, Priority
from hotline.core.oncall.models import Line, Operator, OperatorStatus
from hotline.core.phones import caller_hash
from hotline.voice import accompaniment, callers
from hotline.voice.models import Call, Callback, CallbackState

log = logging.getLogger(__name__)

#: Outbound message kind of the call to the operator.
CALLBACK_CALL = "callback_call"
#: A call-back not finished after this long no longer holds up the next one (a lost
#: webhook must not block call-backs for good).
ACTIVE_FOR = dt.timedelta(minutes=5)
ACTIVE_STATES = (
    CallbackState.QUEUED,
    CallbackState.SCREENING,
    CallbackState.CONNECTING,
    CallbackState.BRIDGED,
)


class Refusal(str, Enum):
    """Why a call-back is refused (each has a text in both languages)."""

    NO_RECENT_CALL = "no_recent_call"
    NOT_LATEST = "not_latest"
    NOT_YOUR_CALL = "not_your_call"
    NOT_ON_LINE = "not_on_line"
    IN_PROGRESS = "in_progress"
    WINDOW_OVER = "window_over"
    NOT_RETAINED = "not_retained"
    WITHHELD = "withheld"
    CALLER_BLOCKED = "caller_blocked"
    PAUSED = "paused"


@dataclass(frozen=True)
class CallbackRequest:
    """The outcome of asking for a call-back: a refusal, or the call-back under way."""

    refused: Refusal | None = None
    callback: Callback | None = None


def _latest_call(session: Session, operator_id: int) -> Call | None:
    return session.scalars(
        select(Call)
        .where(Call.answered_by_id == operator_id)
        .order_by(Call.answered_at.desc(), Call.id.desc())
        .limit(1)
    ).first()


def last_contact(session: Session, call: Call) -> dt.datetime | None:
    """When the operator last spoke with the caller of ``call``: the end of the call or of
    its latest bridged call-back."""
    ended = session.scalar(
        select(Callback.ended_at)
        .where(Callback.call_id == call.id, Callback.bridged_at.is_not(None))
        .order_by(Callback.ended_at.desc().nulls_last())
        .limit(1)
    )
    times = [t for t in (call.ended_at, ended) if t is not None]
    return max(times) if times else None


def _spoken_since(session: Session, call: Call) -> bool:
    """Whether the caller has since had a bridged call on the line with someone else."""
    return (
        session.scalar(
            select(Call.id)
            .where(
                Call.line_id == call.line_id,
                Call.caller_hash == call.caller_hash,
                Call.started_at > call.started_at,
                Call.answered_by_id.is_not(None),
                Call.answered_by_id != call.answered_by_id,
            )
            .limit(1)
        )
        is not None
    )


def _active(session: Session, call_id: int, now: dt.datetime) -> Callback | None:
    return session.scalars(
        select(Callback)
        .where(
            Callback.call_id == call_id,
            Callback.state.in_(ACTIVE_STATES),
            Callback.created_at > now - ACTIVE_FOR,
        )
        .limit(1)
    ).first()


def check(
    session: Session,
    line_id: int,
    operator: Operator,
    now: dt.datetime,
    call_id: int | None = None,
) -> Call | Refusal:
    """The call ``operator`` may call back on ``line_id`` now (their most recent call, or
    ``call_id`` if that is it), or why not. Nothing is written."""
    if operator.status != OperatorStatus.ACTIVE:
        return Refusal.PAUSED
    latest = _latest_call(session, operator.id)
    if call_id is not None:
        call = session.get(Call, call_id)
        if call is None or call.answered_by_id != operator.id:
            return Refusal.NOT_YOUR_CALL
        if latest is not None and latest.id != call.id:
            return Refusal.NOT_LATEST
    elif latest is None:
        return Refusal.NO_RECENT_CALL
    else:
        call = latest
    if call.line_id != line_id:
        return Refusal.NOT_ON_LINE
    if callers.identifiable(call.caller_number) and _spoken_since(session, call):
        return Refusal.NOT_YOUR_CALL
    contact = last_contact(session, call)
    if call.ended_at is None or _active(session, call.id, now) is not None:
        return Refusal.IN_PROGRESS
    window = accompaniment.callback_window()
    if contact is None or window <= dt.timedelta(0) or now - contact > window:
        return Refusal.WINDOW_OVER
    if call.caller_number is None:
        salt = current_app.config["CALLER_HASH_SALT"]
        withheld = call.caller_hash == callers.withheld_hash(salt)
        return Refusal.WITHHELD if withheld else Refusal.NOT_RETAINED
    if not callers.identifiable(call.caller_number):
        return Refusal.WITHHELD
    if is_blocked(lambda: session, call.line_id, call.caller_hash, now):
        return Refusal.CALLER_BLOCKED
    return call


def request_callback(
    session: Session,
    line: Line,
    operator: Operator,
    now: dt.datetime,
    via: str = "sms",
    call_id: int | None = None,
) -> CallbackRequest:
    """Call ``operator``'s last caller back through ``line``: refused with a reason, or a
    call to the operator queued (urgent, unique key per call-back) whose TwiML screens them
    and then dials the caller. The caller commits."""
    found = check(session, line.id, operator, now, call_id)
    if isinstance(found, Refusal):
        log.info("call-back for operator %s refused: %s", operator.id, found.value)
        return CallbackRequest(refused=found)
    callback = Callback(
        call_id=found.id,
        operator_id=operator.id,
        state=CallbackState.QUEUED,
        via=via,
        created_at=now,
    )
    session.add(callback)
    session.flush()
    messaging.queue(
        session,
        kind=CALLBACK_CALL,
        key=f"callback:{callback.id}",
        to=operator.phone_number,
        body=_absolute("voice_callback.operator", cb=callback.id),
        sender=line.number,
        channel=Channel.CALL,
        priority=Priority.URGENT,
        ring_seconds=line.ring_timeout,
        refs={"callback_id": callback.id, "call_id": found.id, "operator_id": operator.id},
    )
    log.info("call-back %s of call %s queued", callback.id, found.id)
    return CallbackRequest(callback=callback)


def connect_now(
    session: Session, line: Line, operator: Operator, now: dt.datetime, call_sid: str
) -> CallbackRequest:
    """The operator called the line and pressed 1: the call-back runs on their own call
    (no outbound call needed), so it is connecting right away."""
    found = check(session, line.id, operator, now)
    if isinstance(found, Refusal):
        return CallbackRequest(refused=found)
    callback = Callback(
        call_id=found.id,
        operator_id=operator.id,
        state=CallbackState.CONNECTING,
        via="phone",
        operator_call_sid=call_sid,
        created_at=now,
    )
    session.add(callback)
    session.flush()
    return CallbackRequest(callback=callback)


def callback_wanted(session, message: OutboundMessage, now: dt.datetime) -> str | None:  # noqa: ANN001
    """Just before the operator is called: the call-back must still be queued and recent,
    and the caller's number still retained."""
    callback = session.get(Callback, (message.refs or {}).get("callback_id"))
    if callback is None or callback.state != CallbackState.QUEUED:
        return "call-back no longer wanted"
    if now - callback.created_at > ACTIVE_FOR:
        return "call-back too old"
    if callback.call.caller_number is None:
        return "number no longer retained"
    return None


def dial_target(session: Session, callback: Callback, now: dt.datetime) -> str | None:
    """The caller's number to dial for ``callback``, read from the call record at the moment
    of dialling: None once it is no longer retained or the caller is blocked."""
    call = callback.call
    if not callers.identifiable(call.caller_number):
        return None
    if is_blocked(lambda: session, call.line_id, call.caller_hash, now):
        return None
    return call.caller_number


def caller_answered(session: Session, callback: Callback, now: dt.datetime) -> None:
    """The caller picked up the call-back: bridged, and a dropped accompaniment is
    reconnected."""
    if callback.bridged_at is None:
        callback.bridged_at = now
    callback.state = CallbackState.BRIDGED
    accompaniment.reconnected(session, callback.call_id, now)


def dial_over(callback: Callback, bridged: bool, now: dt.datetime) -> None:
    """The dial to the caller ended (with or without them picking up)."""
    if bridged or callback.bridged_at is not None:
        callback.state = CallbackState.ENDED
        callback.ended_at = callback.ended_at or now
    elif callback.state in ACTIVE_STATES:
        callback.state = CallbackState.NO_ANSWER


# -- calling the line: the operator's own last call, remembered by hash ------------------------


@dataclass(frozen=True)
class CallbackOffer:
    """What :func:`remember` keeps in Redis for a bridged call that ended."""

    key: str
    call_id: int
    seconds: int


def offer_for(call: Call) -> CallbackOffer | None:
    """The call-back offer of a bridged call that just ended, read inside the request's
    transaction (so the status webhook needs one transaction, not a second one for the
    operator's number after its commit); :func:`remember` stores it after the commit."""
    window = accompaniment.callback_window()
    if call.answered_by_id is None or window <= dt.timedelta(0):
        return None
    operator = call.answered_by
    if operator is None:
        return None
    hashed = caller_hash(operator.phone_number, current_app.config["CALLER_HASH_SALT"])
    return CallbackOffer(
        callers.callback_key(call.line_id, hashed), call.id, int(window.total_seconds())
    )


def remember(offer: CallbackOffer | None) -> None:
    """A bridged call ended: for the call-back window, a call from its operator's mobile to
    the line is offered "press 1 to call back" (keyed by the hash of the operator's number,
    so the entry webhook needs no extra query)."""
    if offer is None:
        return
    try:
        jobs.redis.set(offer.key, str(offer.call_id), ex=offer.seconds + 60)
    except (RedisError, OSError) as exc:
        log.warning("could not remember the call-back offer of call %s (%s)", offer.call_id, exc)


def _absolute(endpoint: str, **values: object) -> str:
    """The public address of one of the call-back webhooks (the provider fetches it)."""
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    if has_request_context():
        return f"{base.rstrip('/')}{url_for(endpoint, **values)}"
    with current_app.test_request_context("/", base_url=base):
        return f"{base.rstrip('/')}{url_for(endpoint, **values)}"

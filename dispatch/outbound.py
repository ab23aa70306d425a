"""Outbound SMS: stored first, sent by the worker at most once, rate-limited per sender.

Sending one message is a small state machine on its :class:`DispatchMessage` row::

    pending --claim--> sending --provider ok--> sent
                          |--429/5xx--> pending (not_before = now + backoff) … failed
                          '--permanent error--> failed

The claim is committed *before* the provider is called. A worker that dies between the two
leaves the row in ``sending``, and nothing ever picks a ``sending`` row up again: a helper
may miss one text, but is never texted twice about the same ticket.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.matching import dispatch_zone, in_quiet_hours, quiet_hours_end
from dispatch.models import (
    DispatchMessage,
    Helper,
    HelperStatus,
    MessageState,
    Offer,
    OfferState,
    Ticket,
    TicketStatus,
)
from hotline.core.models import utcnow
from hotline.core.optouts import opt_out
from hotline.core.phones import mask
from hotline.core.telephony import TelephonyError

log = logging.getLogger(__name__)

#: Twilio error codes: the recipient unsubscribed (opt them out) / cannot be reached now.
ERROR_UNSUBSCRIBED = 21610
ERROR_UNREACHABLE = 30003
MAX_BACKOFF_SECONDS = 300
#: Keys of texts that respect quiet hours (the rest answer something the person just did).
QUIET_PREFIXES = ("offer:", "standdown:")
#: Keys of notices delivered as a phone call instead of an SMS (landline requesters).
CALL_PREFIX = "call:"
#: Where the provider reports each text's delivery status (see :mod:`dispatch.callbacks`).
STATUS_CALLBACK_PATH = "/twilio/sms/status"


class DeliveryStatus(str, Enum):
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RECEIVING = "receiving"
    RECEIVED = "received"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"
    CANCELED = "canceled"


#: Order of delivery statuses; a callback may only move a message forward.
STATUS_RANK = {
    DeliveryStatus.ACCEPTED: 0,
    DeliveryStatus.SCHEDULED: 0,
    DeliveryStatus.QUEUED: 1,
    DeliveryStatus.SENDING: 2,
    DeliveryStatus.SENT: 3,
    DeliveryStatus.RECEIVING: 3,
    DeliveryStatus.RECEIVED: 4,
    DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.UNDELIVERED: 4,
    DeliveryStatus.FAILED: 4,
    DeliveryStatus.CANCELED: 4,
    DeliveryStatus.READ: 5,
}


def queue_sms(
    session: Session,
    key: str,
    to: str,
    body: str,
    *,
    ticket_id: int | None = None,
    offer_id: int | None = None,
    helper_id: int | None = None,
) -> DispatchMessage:
    """Store a text under ``key`` unless one with that key exists (then return that one)."""
    existing = session.scalars(select(DispatchMessage).where(DispatchMessage.key == key)).first()
    if existing is not None:
        return existing
    message = DispatchMessage(
        key=key,
        to=to,
        body=body,
        ticket_id=ticket_id,
        offer_id=offer_id,
        helper_id=helper_id,
        state=MessageState.PENDING,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return session.scalars(select(DispatchMessage).where(DispatchMessage.key == key)).one()
    return message


# -- rate limit ------------------------------------------------------------------------------


class RateLimiter:
    """At most ``per_second`` messages per sender across all workers (slots in Redis).

    Time is cut into slots of ``1 / per_second`` seconds; a send takes a slot by being the
    first to ``INCR`` its counter, otherwise it waits for the next slot.
    """

    def __init__(self, redis, per_second: float, sleep: Callable[[float], None] = time.sleep):  # noqa: ANN001
        self.redis = redis
        self.per_second = max(per_second, 0.001)
        self.sleep = sleep

    def acquire(self, sender: str) -> None:
        while True:
            now = time.time()
            slot = int(now * self.per_second)
            key = f"dispatch:rate:{sender}:{slot}"
            pipe = self.redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, max(2, int(2 / self.per_second) + 1))
            count = pipe.execute()[0]
            if count == 1:
                return
            self.sleep(max((slot + 1) / self.per_second - now, 0.0005))


# -- sending ---------------------------------------------------------------------------------


@dataclass
class DrainResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retry_at: dt.datetime | None = None
    errors: list[str] = field(default_factory=list)


def sender_number() -> str:
    return current_app.config.get("DISPATCH_SMS_FROM") or "Rufbereit"


def status_callback_url() -> str | None:
    """The absolute URL of ``/twilio/sms/status``, passed with every text so its delivery
    status comes back (and is checked against the same URL's signature).

    Texts are sent by the worker, where no request tells the public address: without
    ``PUBLIC_BASE_URL`` they go out without a callback, which is logged once per process.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return f"{base.rstrip('/')}{STATUS_CALLBACK_PATH}"
    if not current_app.extensions.get("dispatch.status_callback_warned"):
        current_app.extensions["dispatch.status_callback_warned"] = True
        log.warning(
            "PUBLIC_BASE_URL is not set: texts are sent without a status callback, "
            "so their delivery status is not tracked"
        )
    return None


def _claim(session: Session, ticket_id: int | None, now: dt.datetime) -> DispatchMessage | None:
    stmt = (
        select(DispatchMessage)
        .where(DispatchMessage.state == MessageState.PENDING)
        .where((DispatchMessage.not_before.is_(None)) | (DispatchMessage.not_before <= now))
        .order_by(DispatchMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if ticket_id is not None:
        stmt = stmt.where(DispatchMessage.ticket_id == ticket_id)
    message = session.scalars(stmt).first()
    if message is None:
        return None
    message.state = MessageState.SENDING
    message.attempts += 1
    session.commit()
    return message


def _still_wanted(session: Session, message: DispatchMessage, now: dt.datetime) -> str | None:
    """Why this text should not go out (any more), or None to send it."""
    helper = session.get(Helper, message.helper_id) if message.helper_id else None
    if helper is not None and helper.status == HelperStatus.OPTED_OUT:
        return "helper opted out"
    if message.key.startswith("offer:"):
        offer = session.get(Offer, message.offer_id) if message.offer_id else None
        ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
        if offer is None or ticket is None:
            return "offer gone"
        if offer.state != OfferState.PENDING or ticket.status != TicketStatus.OPEN:
            return "ticket no longer open"
        if helper is not None and helper.status != HelperStatus.ACTIVE:
            return "helper paused"
    return None


def _quiet_until(
    session: Session, message: DispatchMessage, now: dt.datetime
) -> dt.datetime | None:
    if not message.key.startswith(QUIET_PREFIXES):
        return None
    ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
    if ticket is not None and ticket.urgent:
        return None
    config = current_app.config
    zone = dispatch_zone()
    if in_quiet_hours(now, zone, config["DISPATCH_QUIET_START"], config["DISPATCH_QUIET_END"]):
        return quiet_hours_end(now, zone, config["DISPATCH_QUIET_END"])
    return None


def drain(
    session: Session,
    telephony,  # noqa: ANN001
    limiter: RateLimiter | None,
    ticket_id: int | None = None,
    now_fn: Callable[[], dt.datetime] = utcnow,
    limit: int | None = None,
) -> DrainResult:
    """Send pending messages (of one ticket, or all) one by one until none is due."""
    result = DrainResult()
    max_attempts = current_app.config["DISPATCH_SEND_ATTEMPTS"]
    sender = sender_number()
    callback = status_callback_url()
    handled = 0
    while limit is None or handled < limit:
        now = now_fn()
        message = _claim(session, ticket_id, now)
        if message is None:
            break
        handled += 1
        reason = _still_wanted(session, message, now)
        if reason:
            message.state = MessageState.SKIPPED
            session.commit()
            result.skipped += 1
            continue
        quiet_until = _quiet_until(session, message, now)
        if quiet_until:
            message.state = MessageState.PENDING
            message.attempts -= 1
            message.not_before = quiet_until
            session.commit()
            result.retry_at = min(filter(None, [result.retry_at, quiet_until]))
            continue
        if limiter is not None:
            limiter.acquire(sender)
        try:
            if message.key.startswith(CALL_PREFIX):
                sid = telephony.place_call(message.to, sender, message.body)
            else:
                sid = telephony.send_sms(message.to, sender, message.body, status_callback=callback)
        except TelephonyError as exc:
            _failed(session, message, exc, max_attempts, now, result)
            session.commit()
            continue
        message.state = MessageState.SENT
        message.sid = sid
        message.sent_at = now
        message.delivery_status = message.delivery_status or DeliveryStatus.QUEUED.value
        session.commit()
        result.sent += 1
    return result


def _failed(
    session: Session,
    message: DispatchMessage,
    exc: TelephonyError,
    max_attempts: int,
    now: dt.datetime,
    result: DrainResult,
) -> None:
    message.error_code = exc.code
    if exc.retryable and exc.code != ERROR_UNREACHABLE and message.attempts < max_attempts:
        delay = dt.timedelta(seconds=min(2**message.attempts, MAX_BACKOFF_SECONDS))
        message.state = MessageState.PENDING
        message.not_before = now + delay
        result.retry_at = min(filter(None, [result.retry_at, message.not_before]))
        log.info("SMS %s to %s: %s, retry in %s", message.key, mask(message.to), exc, delay)
        return
    message.state = MessageState.FAILED
    message.delivery_status = DeliveryStatus.FAILED.value
    result.failed += 1
    result.errors.append(f"{message.key}: {exc}")
    log.warning("SMS %s to %s failed: %s (code %s)", message.key, mask(message.to), exc, exc.code)
    _consequences(session, message, exc.code)


def _consequences(session: Session, message: DispatchMessage, code: int | None) -> None:
    """A text that cannot be delivered: the offer is out; 21610 also puts the number on the
    core opt-out list (whose hook opts the helper out)."""
    if code == ERROR_UNSUBSCRIBED:
        opt_out(session, message.to, source="provider")
    if message.offer_id and message.key.startswith("offer:"):
        offer = session.get(Offer, message.offer_id)
        if offer is not None and offer.state == OfferState.PENDING:
            offer.state = OfferState.UNREACHABLE


# -- status callbacks ------------------------------------------------------------------------


def record_status(session: Session, sid: str, status: str, error_code: str | None) -> bool:
    """Apply a delivery-status callback; returns False if it changed nothing.

    Callbacks arrive late, twice or out of order: the status only ever moves forward, and
    a repeated one is a no-op.
    """
    try:
        new = DeliveryStatus(status)
    except ValueError:
        return False
    message = session.scalars(
        select(DispatchMessage).where(DispatchMessage.sid == sid).with_for_update()
    ).first()
    if message is None:
        return False
    current = None
    if message.delivery_status:
        try:
            current = DeliveryStatus(message.delivery_status)
        except ValueError:
            current = None
    if current is not None and STATUS_RANK[new] <= STATUS_RANK[current]:
        return False
    message.delivery_status = new.value
    code = int(error_code) if error_code and error_code.isdigit() else None
    if new in (DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED):
        message.error_code = code
        _consequences(session, message, code)
    return True

"""Delivery status of every text and outbound call, reported back by the provider.

Each message is handed to the provider with a status callback URL (``PUBLIC_BASE_URL`` plus
``/twilio/sms/status`` for texts, ``/twilio/calls/status`` for calls), signed like every
Twilio webhook. Callbacks arrive late, twice or out of order: a status only ever moves
forward, and a repeated one changes nothing. A text the provider could not deliver runs the
feature's ``on_failed`` hook for its kind (a dispatch offer becomes unreachable), and one
refused because the recipient unsubscribed (21610) puts the number on the opt-out list.
A call's final status (``completed``, ``busy``, ``no-answer``, ``failed``, ``canceled``) runs
the ``on_call_ended`` hook of its kind, once.
"""

from __future__ import annotations

import logging
from enum import Enum

from flask import Blueprint, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core import optouts
from hotline.core.extensions import db
from hotline.core.models import Channel, OutboundMessage
from hotline.core.outbox import commit
from hotline.core.registry import registry
from hotline.core.security import twilio_signed

log = logging.getLogger(__name__)

SMS_STATUS_PATH = "/twilio/sms/status"
CALL_STATUS_PATH = "/twilio/calls/status"
#: Twilio error codes: the recipient unsubscribed (opt them out).
ERROR_UNSUBSCRIBED = 21610


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


#: Order of text statuses; a callback may only move a message forward.
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
#: Order of call statuses (``CallStatus``); the last five are final.
CALL_STATUS_RANK = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "completed": 4,
    "busy": 4,
    "no-answer": 4,
    "failed": 4,
    "canceled": 4,
}
UNDELIVERED = (DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED)
#: Final call statuses: the call is over (answered and hung up, or never answered).
CALL_ENDS = frozenset(s for s, rank in CALL_STATUS_RANK.items() if rank == 4)


def status_callback_url(channel: Channel) -> str | None:
    """The absolute URL the provider reports this channel's delivery status to, passed with
    every text and call (and checked against the same URL's signature).

    Messages are sent by the worker, where no request tells the public address: without
    ``PUBLIC_BASE_URL`` they go out without a callback, which is logged once per process.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    path = CALL_STATUS_PATH if channel == Channel.CALL else SMS_STATUS_PATH
    if base:
        return f"{base.rstrip('/')}{path}"
    if not current_app.extensions.get("rufbereit.status_callback_warned"):
        current_app.extensions["rufbereit.status_callback_warned"] = True
        log.warning(
            "PUBLIC_BASE_URL is not set: texts and calls are sent without a status callback, "
            "so their delivery status is not tracked"
        )
    return None


def _by_sid(session: Session, sid: str) -> OutboundMessage | None:
    if not sid:
        return None
    stmt = select(OutboundMessage).where(OutboundMessage.sid == sid).with_for_update()
    return session.scalars(stmt).first()


def record_status(session: Session, sid: str, status: str, error_code: str | None) -> bool:
    """Apply a text's delivery-status callback; returns False if it changed nothing."""
    try:
        new = DeliveryStatus(status)
    except ValueError:
        return False
    message = _by_sid(session, sid)
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
    if new in UNDELIVERED:
        message.error_code = int(error_code) if error_code and error_code.isdigit() else None
        undeliverable(session, message)
    return True


def record_call_status(session: Session, sid: str, status: str) -> bool:
    """Apply an outbound call's status callback; returns False if it changed nothing."""
    if status not in CALL_STATUS_RANK:
        return False
    message = _by_sid(session, sid)
    if message is None:
        return False
    current = CALL_STATUS_RANK.get(message.delivery_status or "", -1)
    if CALL_STATUS_RANK[status] <= current:
        return False
    message.delivery_status = status
    if status in CALL_ENDS:
        call_ended(session, message, status)
    return True


def call_ended(session: Session, message: OutboundMessage, status: str) -> None:
    """An outbound call is over: the feature that queued it decides what follows (a
    retry, say). Runs once per call: a final status is only ever recorded once."""
    kind = registry().message_kinds.get(message.kind)
    if kind is not None and kind.on_call_ended is not None:
        kind.on_call_ended(session, message, status)


def undeliverable(session: Session, message: OutboundMessage) -> None:
    """A message that will not reach its recipient: 21610 opts the number out of every
    text, then the feature that queued it draws its own consequences."""
    if message.error_code == ERROR_UNSUBSCRIBED and message.channel == Channel.SMS:
        optouts.opt_out(session, message.to, source="provider")
    kind = registry().message_kinds.get(message.kind)
    if kind is not None and kind.on_failed is not None:
        kind.on_failed(session, message)


bp = Blueprint("delivery", __name__)


@bp.post(SMS_STATUS_PATH)
@twilio_signed
def sms_status():  # noqa: ANN201
    form = request.form
    record_status(
        db.session,
        form.get("MessageSid", ""),
        form.get("MessageStatus", "") or form.get("SmsStatus", ""),
        form.get("ErrorCode"),
    )
    commit()
    return ("", 204)


@bp.post(CALL_STATUS_PATH)
@twilio_signed
def call_status():  # noqa: ANN201
    form = request.form
    record_call_status(db.session, form.get("CallSid", ""), form.get("CallStatus", ""))
    commit()
    return ("", 204)

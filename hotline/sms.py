"""Inbound SMS webhook (``/twilio/sms``) and the delivery-status callback.

Inbound texts are offered to the registered handlers in order (operators' keywords, helpers'
replies, …); the first that returns a reply wins. Handlers are plain functions
``(session, InboundSms) -> str | None`` registered in ``create_app`` via
``app.extensions["rufbereit.sms_handlers"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app, g, request
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse

from hotline import twiml as twiml_text
from hotline.extensions import db, jobs
from hotline.outbox import enqueue_ids
from hotline.phones import InvalidPhoneNumber, mask, to_e164
from hotline.security import twilio_signed

log = logging.getLogger(__name__)

bp = Blueprint("sms", __name__, url_prefix="/twilio/sms")


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    sender: str  # E.164
    to: str  # E.164, the line/sender number that was texted
    body: str

    @property
    def words(self) -> list[str]:
        return self.body.strip().split()

    @property
    def keyword(self) -> str:
        return self.words[0].upper().strip(".!?,") if self.words else ""


SmsHandler = Callable[[Session, InboundSms], "str | None"]

UNKNOWN_SENDER_REPLY = (
    "Danke für Ihre Nachricht. Diese Nummer nimmt keine SMS entgegen; bitte rufen Sie uns an. "
    "/ Thank you for your message. This number does not take text messages; please call us."
)


def handlers() -> list[SmsHandler]:
    return current_app.extensions.setdefault("rufbereit.sms_handlers", [])


def handle_inbound(session: Session, sms: InboundSms) -> str | None:
    for handler in handlers():
        reply = handler(session, sms)
        if reply is not None:
            return reply
    return UNKNOWN_SENDER_REPLY


@bp.post("")
@twilio_signed
def inbound():  # noqa: ANN201
    form = request.form
    region = current_app.config["DEFAULT_REGION"]
    try:
        sender = to_e164(form.get("From", ""), region)
    except InvalidPhoneNumber:
        log.warning("SMS from an unusable sender %s ignored", mask(form.get("From")))
        return _reply(None)
    sms = InboundSms(form.get("MessageSid", ""), sender, form.get("To", ""), form.get("Body", ""))
    reply = handle_inbound(db.session, sms)
    db.session.commit()
    ids = g.pop("outbox_ids", [])
    if ids:
        enqueue_ids(jobs, ids)
    return _reply(reply)


def _reply(text: str | None):  # noqa: ANN202
    response = MessagingResponse()
    if text:
        response.message(text)
    return current_app.response_class(twiml_text.render(response), mimetype="text/xml")

"""Inbound SMS webhook (``/twilio/sms``) and the delivery-status callback.

Inbound texts are offered to the registered handlers in order (operators' keywords, helpers'
replies, …); the first that returns a reply wins. Handlers are plain functions
``(session, InboundSms) -> str | None`` registered in ``create_app`` via
``app.extensions["rufbereit.sms_handlers"]``.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse

from hotline.core.extensions import db, telephony
from hotline.core.outbox import commit
from hotline.core.phones import InvalidPhoneNumber, mask, to_e164
from hotline.core.registry import registry
from hotline.core.security import twilio_signed
from hotline.core.sms import InboundSms

log = logging.getLogger(__name__)

bp = Blueprint("sms", __name__, url_prefix="/twilio/sms")


UNKNOWN_SENDER_REPLY = (
    "Danke für Ihre Nachricht. Diese Nummer nimmt keine SMS entgegen; bitte rufen Sie uns an. "
    "/ Thank you for your message. This number does not take text messages; please call us."
)


def handle_inbound(session: Session, sms: InboundSms) -> str | None:
    for route in registry().sms_routes:
        if not route.owns(session, sms.to):
            continue
        reply = route.handler(session, sms)
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
    commit()
    return _reply(reply)


def _reply(text: str | None):  # noqa: ANN202
    response = MessagingResponse()
    if text:
        response.message(text)
    return current_app.response_class(telephony().render_response(response), mimetype="text/xml")

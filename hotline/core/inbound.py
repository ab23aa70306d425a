"""Inbound SMS webhook (``/twilio/sms``): every text is handled once and routed once, here.

For every text, in this order:

1. **Once per MessageSid.** Its :class:`InboundMessage` row is inserted first, in the
   request's transaction, and the primary key decides: a redelivered webhook (or a second
   delivery racing the first, which waits for the first to commit) gets the stored reply and
   changes nothing. A redelivered ``AN`` after an ``AUS`` does not make the operator available
   again.
2. **Opt-out words before any feature**, for any sender and whichever number was texted
   (``STOP``, ``STOPP``, ``ABMELDEN``, ``UNSUBSCRIBE``, ``START`` …, see
   :mod:`hotline.core.optouts`): recorded in the core list, every feature's opt-out hook
   updates its own records, and the sender gets a confirmation in German and English. An
   opt-out is a legal declaration; it must not depend on whether some feature knows the
   sender.
3. **By the number texted.** Features register a route for the numbers they own
   (:meth:`Registry.sms_route`):

   * a line's number → operators' keywords (rosters: ``AN``/``AUS``/``SCHICHTEN`` …);
   * the dispatch sender ``DISPATCH_SMS_FROM`` → helpers' replies (dispatch: ``JA``/``NEIN``,
     offer codes, ``ABSAGE``);
   * a number nobody owns → :data:`UNKNOWN_SENDER_REPLY`.

   **One number, several routes** (a small organisation whose line number is also the
   dispatch sender): each route says which keywords it understands. Routes that understand
   the keyword are asked first, and the first that knows the sender answers, so someone who
   is both operator and helper gets ``AN`` handled by rosters and ``JA`` by dispatch. A word
   no route understands (or a sender the understanding route does not know) goes to every
   other route of that number, and their answers are joined: a person who is both learns both
   sets of keywords. If no route knows the sender: :data:`UNKNOWN_SENDER_REPLY`.

   **Dispatch sender unset or alphanumeric** (offers then come from a sender name, which
   cannot be answered): helpers' replies are understood on every number the organisation
   receives texts on, in practice a line's number, shared with rosters by keyword as above.

Texts whose sender cannot be parsed get an empty reply and are not recorded. Rows in
``inbound_messages`` are deleted after ``INBOUND_MESSAGE_RETENTION_DAYS`` (the retention rule
is registered with this blueprint).
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, current_app, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse

from hotline.core import spool
from hotline.core.deadline import DeadlineExceeded
from hotline.core.extensions import db, telephony
from hotline.core.models import InboundMessage, utcnow
from hotline.core.optouts import (
    OPTED_IN_REPLY,
    OPTED_OUT_REPLY,
    START_WORDS,
    STOP_WORDS,
    opt_in,
    opt_out,
)
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
#: ``InboundMessage.route`` of texts the core answered itself.
OPT_OUT_ROUTE = "opt-out"
OPT_IN_ROUTE = "opt-in"
UNKNOWN_ROUTE = "unknown"
_ROUTE_LENGTH = 40


def handle_inbound(session: Session, sms: InboundSms) -> str:
    """Handle one inbound text once; returns the reply (``""`` for none).

    Nothing is committed here: the caller commits once, and with that the record of this
    MessageSid and every effect become visible together.
    """
    record = None
    if sms.message_sid:
        record = _first_delivery(session, sms.message_sid)
        if record is None:
            stored = session.get(InboundMessage, sms.message_sid)
            log.info("SMS %s delivered again; stored reply repeated", sms.message_sid)
            return (stored.reply or "") if stored is not None else ""
    route, reply = route_sms(session, sms)
    log.info("SMS %s from %s handled by %s", sms.message_sid, mask(sms.sender), route)
    if record is not None:
        record.route = route[:_ROUTE_LENGTH]
        record.reply = reply
    return reply


def _first_delivery(session: Session, message_sid: str) -> InboundMessage | None:
    """Insert the row for ``message_sid`` before anything else (the primary key decides
    between deliveries); returns it, or ``None`` if an earlier delivery has it."""
    record = InboundMessage(message_sid=message_sid, received_at=utcnow())
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        return None
    return record


def route_sms(session: Session, sms: InboundSms) -> tuple[str, str]:
    """Who answers ``sms``, and what: ``(route name, reply)`` (see the module docstring)."""
    keyword = sms.keyword
    if keyword in STOP_WORDS:
        opt_out(session, sms.sender, source="sms")
        return OPT_OUT_ROUTE, OPTED_OUT_REPLY
    if keyword in START_WORDS:
        opt_in(session, sms.sender)
        return OPT_IN_ROUTE, OPTED_IN_REPLY
    owners = [route for route in registry().sms_routes if route.owns(session, sms.to)]
    for route in owners:
        if route.understands(keyword):
            reply = route.handler(session, sms)
            if reply is not None:
                return route.name, reply
    answers = []
    for route in owners:
        if not route.understands(keyword):
            reply = route.handler(session, sms)
            if reply is not None:
                answers.append((route.name, reply))
    if not answers:
        return UNKNOWN_ROUTE, UNKNOWN_SENDER_REPLY
    return "+".join(name for name, _ in answers), "\n".join(r for _, r in answers if r)


def purge_inbound_messages(session: Session, now: dt.datetime) -> str:
    """Retention rule: forget which texts were handled (and what they were told) after
    ``INBOUND_MESSAGE_RETENTION_DAYS``; no provider redelivers a text that old."""
    days = current_app.config["INBOUND_MESSAGE_RETENTION_DAYS"]
    deleted = session.execute(
        delete(InboundMessage)
        .where(InboundMessage.received_at < now - dt.timedelta(days=days))
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"forgot {deleted} inbound text(s)"


@bp.record_once
def _register_retention(state: BlueprintSetupState) -> None:
    from hotline.core.retention import RetentionRule

    registry(state.app).retention(
        RetentionRule(
            name="inbound_messages",
            table="inbound_messages",
            fields="reply",
            purpose="answer a text the provider delivers twice only once, with the same reply",
            period="`INBOUND_MESSAGE_RETENTION_DAYS` days after it came in (30)",
            action="deleted",
            apply=purge_inbound_messages,
        )
    )


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
    to = _e164_or_as_received(form.get("To", ""), region)
    sms = InboundSms(form.get("MessageSid", ""), sender, to, form.get("Body", ""))
    try:
        reply = handle_inbound(db.session, sms)
        commit()
    except (SQLAlchemyError, DeadlineExceeded) as exc:
        # The database is gone: keep the text for later, answer once it is back.
        log.warning("SMS %s not handled now (%s)", sms.message_sid, exc.__class__.__name__)
        db.discard_session()
        return _reply(None if spool.keep(sms) else spool.SEND_AGAIN_REPLY)
    return _reply(reply)


def _e164_or_as_received(number: str, region: str) -> str:
    """The texted number in E.164, so routes compare like with like; a short code stays as
    it is (no route owns it unless one says so)."""
    try:
        return to_e164(number, region)
    except InvalidPhoneNumber:
        return number


def _reply(text: str | None):  # noqa: ANN202
    response = MessagingResponse()
    if text:
        response.message(text)
    return current_app.response_class(telephony().render_response(response), mimetype="text/xml")

"""The call-back's voice webhooks (``/twilio/voice/callback/…``): the operator's leg of a
call-back (screening with press-1, then dialling the caller with the line's number as caller
id), the caller's leg when they pick up, the end of the dial (with "press 9 if the person
arrived" on walk-home lines), and the "press 1 to call back" offer when an operator calls
the line from their registered mobile.

Handlers parse, call :mod:`hotline.voice.callback`, commit once and answer TwiML. Any error
ends the operator's leg politely; no caller hears an application error.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, current_app, request, url_for
from sqlalchemy import select
from twilio.twiml.voice_response import Gather, VoiceResponse
from werkzeug.exceptions import HTTPException

from hotline.core.extensions import db
from hotline.core.fallback import twiml
from hotline.core.i18n import text_in
from hotline.core.models import utcnow
from hotline.core.oncall.models import Line, Operator
from hotline.core.outbox import commit
from hotline.core.phones import InvalidPhoneNumber, to_e164
from hotline.core.security import twilio_signed
from hotline.voice import accompaniment, callback
from hotline.voice.directory import LineInfo
from hotline.voice.models import Accompaniment, AccompanimentState, Call, Callback, CallbackState
from hotline.voice.walkhome_texts import (
    CALLER_SPOKEN,
    caller_language,
    operator_language,
    say,
    spoken,
)

log = logging.getLogger(__name__)

bp = Blueprint("voice_callback", __name__, url_prefix="/twilio/voice/callback")

#: Seconds the caller's phone rings on a call-back.
DIAL_TIMEOUT = 30


@bp.errorhandler(Exception)
def _any_error(exc: Exception):  # noqa: ANN202
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return exc
    log.exception("call-back webhook %s failed", request.path)
    db.discard_session()
    response = VoiceResponse()
    response.hangup()
    return twiml(response)


def _say(target: VoiceResponse | Gather, text: str, lang: str) -> None:
    say(target, lang, text)


def _callback() -> Callback | None:
    return db.session.get(Callback, request.args.get("cb", 0, type=int))


def _hangup(text: str | None = None, lang: str = "de") -> VoiceResponse:
    response = VoiceResponse()
    if text:
        _say(response, text, lang)
    response.hangup()
    return response


def _done(response: VoiceResponse):  # noqa: ANN202
    commit()
    return twiml(response)


def _dial(cb: Callback, number: str, lang: str, response: VoiceResponse) -> VoiceResponse:
    """Dial the caller with the line's number as caller id; the caller's leg first hears who
    is calling (``/caller``), the operator's leg continues at ``/dial-result``."""
    line = cb.call.line
    _say(response, spoken(lang, "connecting"), lang)
    dial = response.dial(
        action=url_for("voice_callback.dial_result", cb=cb.id),
        caller_id=line.number,
        timeout=DIAL_TIMEOUT,
    )
    dial.number(number, url=url_for("voice_callback.caller", cb=cb.id))
    return response


@bp.post("/operator")
@twilio_signed
def operator():  # noqa: ANN201
    """The operator picked up the call-back call: press 1 (so no mailbox takes it)."""
    cb = _callback()
    lang = operator_language(cb.operator if cb else None)
    if cb is None or cb.state not in (CallbackState.QUEUED, CallbackState.SCREENING):
        return twiml(_hangup(spoken(lang, "refused"), lang))
    cb.state = CallbackState.SCREENING
    cb.operator_call_sid = request.form.get("CallSid") or cb.operator_call_sid
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1,
        action=url_for("voice_callback.operator_answer", cb=cb.id),
        timeout=8,
        action_on_empty_result=True,
    )
    text = spoken(lang, "screen", line=cb.call.line.name)
    _say(gather, text, lang)
    _say(gather, text, lang)
    response.hangup()
    return _done(response)


@bp.post("/operator/answer")
@twilio_signed
def operator_answer():  # noqa: ANN201
    cb = _callback()
    lang = operator_language(cb.operator if cb else None)
    if cb is None:
        return twiml(_hangup())
    if request.form.get("Digits") != "1":
        if cb.state == CallbackState.SCREENING:
            cb.state = CallbackState.DECLINED
        return _done(_hangup())
    if cb.state not in (CallbackState.SCREENING, CallbackState.CONNECTING):
        return twiml(_hangup(spoken(lang, "refused"), lang))
    number = callback.dial_target(db.session, cb, utcnow())
    if number is None:
        cb.state = CallbackState.DECLINED
        return _done(_hangup(spoken(lang, "refused"), lang))
    cb.state = CallbackState.CONNECTING
    return _done(_dial(cb, number, lang, VoiceResponse()))


@bp.post("/caller")
@twilio_signed
def caller():  # noqa: ANN201
    """Runs on the caller's leg when they pick up: who is calling; then they are bridged."""
    cb = _callback()
    response = VoiceResponse()
    if cb is None:
        return twiml(response)
    callback.caller_answered(db.session, cb, utcnow())
    lang = caller_language(cb.call.language)
    _say(response, text_in(lang, CALLER_SPOKEN, line=cb.call.line.name), lang)
    return _done(response)


@bp.post("/dial-result")
@twilio_signed
def dial_result():  # noqa: ANN201
    """The dial to the caller is over; on a walk-home line the operator may press 9 if the
    person arrived (their leg is the call-back's own, so it goes on after the caller's)."""
    cb = _callback()
    if cb is None:
        return twiml(_hangup())
    lang = operator_language(cb.operator)
    bridged = request.form.get("DialBridged", "").lower() == "true"
    callback.dial_over(cb, bridged, utcnow())
    if cb.state != CallbackState.ENDED:
        return _done(_hangup(spoken(lang, "no_answer"), lang))
    acc = db.session.get(Accompaniment, cb.call_id)
    response = VoiceResponse()
    if acc is not None and acc.arrived_at is None and acc.state != AccompanimentState.ARRIVED:
        gather = response.gather(
            num_digits=1, action=url_for("voice_callback.arrived", cb=cb.id), timeout=6
        )
        _say(gather, spoken(lang, "arrived_prompt"), lang)
    _say(response, spoken(lang, "bye"), lang)
    response.hangup()
    return _done(response)


@bp.post("/arrived")
@twilio_signed
def arrived():  # noqa: ANN201
    cb = _callback()
    if cb is None:
        return twiml(_hangup())
    lang = operator_language(cb.operator)
    if request.form.get("Digits") != "9":
        return twiml(_hangup(spoken(lang, "bye"), lang))
    accompaniment.mark_arrived(db.session, cb.call_id, utcnow())
    return _done(_hangup(spoken(lang, "arrived"), lang))


# -- an operator calls the line -----------------------------------------------------------------


def _operator_by_number(number: str) -> Operator | None:
    try:
        e164 = to_e164(number, current_app.config["DEFAULT_REGION"])
    except InvalidPhoneNumber:
        return None
    return db.session.scalar(select(Operator).where(Operator.phone_number == e164))


def entry_offer(line: LineInfo | Line, caller: str, now: dt.datetime) -> VoiceResponse | None:
    """For the entry webhook, when the caller's hash says they are an operator with a recent
    call on the line: "press 1 to call back your last caller", any other key (or none) goes
    on with the line's normal flow. None when there is nothing to offer."""
    operator = _operator_by_number(caller)
    if operator is None:
        return None
    if not isinstance(callback.check(db.session, line.id, operator, now), Call):
        return None
    lang = operator_language(operator)
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=url_for("voice_callback.offer"), timeout=5)
    _say(gather, spoken(lang, "offer"), lang)
    response.redirect(url_for("voice.entry", nocb=1))
    return response


@bp.post("/offer")
@twilio_signed
def offer():  # noqa: ANN201
    normal = VoiceResponse()
    normal.redirect(url_for("voice.entry", nocb=1))
    if request.form.get("Digits") != "1":
        return twiml(normal)
    operator_ = _operator_by_number(request.form.get("From", ""))
    try:
        to = to_e164(request.form.get("To", ""), current_app.config["DEFAULT_REGION"])
    except InvalidPhoneNumber:
        return twiml(normal)
    line = db.session.scalar(select(Line).where(Line.number == to, Line.active.is_(True)))
    if operator_ is None or line is None:
        return twiml(normal)
    lang = operator_language(operator_)
    now = utcnow()
    result = callback.connect_now(db.session, line, operator_, now, request.form.get("CallSid", ""))
    number = callback.dial_target(db.session, result.callback, now) if result.callback else None
    if number is None:
        db.session.rollback()
        response = VoiceResponse()
        _say(response, spoken(lang, "refused"), lang)
        response.redirect(url_for("voice.entry", nocb=1))
        return twiml(response)
    return _done(_dial(result.callback, number, lang, VoiceResponse()))

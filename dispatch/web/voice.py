"""The offer call's webhooks (blueprint ``dispatch_voice``, ``/dispatch/voice/…``): the
TwiML the provider fetches when a call-only helper picks up, and their key press.

Both are signed by the provider (:func:`hotline.core.security.twilio_signed`) and name the
offer by its voice token (:func:`dispatch.voice_offers.voice_token`). Each parses the form,
calls :mod:`dispatch.voice_offers`, commits once and answers in TwiML; an unknown token
hangs up. A webhook Twilio sends twice (a retry) changes nothing the second time: accepting
an accepted offer is a no-op that says the details again.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse

from dispatch import voice_offers
from dispatch.models import Offer
from hotline.core.extensions import db
from hotline.core.fallback import twiml
from hotline.core.outbox import commit
from hotline.core.security import twilio_signed

log = logging.getLogger(__name__)

bp = Blueprint("dispatch_voice", __name__, url_prefix="/dispatch/voice")


def _offer(token: str) -> Offer | None:
    found = voice_offers.offer_by_voice_token(db.session, token)
    if found is None:
        log.warning("offer call for an unknown token (call %s)", request.form.get("CallSid"))
    return found


def _hang_up() -> Response:
    response = VoiceResponse()
    response.hangup()
    return twiml(response)


@bp.post("/offer/<token>")
@twilio_signed
def offer(token: str) -> Response:
    """The helper picked up: the request and the keys to answer it."""
    found = _offer(token)
    if found is None:
        return _hang_up()
    return twiml(voice_offers.opening(db.session, found))


@bp.post("/offer/<token>/answer")
@twilio_signed
def answer(token: str) -> Response:
    """The key pressed after a round of the question (none when ``empty`` is set)."""
    found = _offer(token)
    if found is None:
        return _hang_up()
    round_ = request.args.get("r", 1, type=int)
    digits = "" if request.args.get("empty") else request.form.get("Digits", "").strip()[:1]
    response = voice_offers.answer(db.session, found, digits, round_)
    commit()
    return twiml(response)

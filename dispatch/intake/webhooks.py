"""The intake's Twilio webhooks (blueprint ``intake``, ``/twilio/voice/intake/…``; the URLs
are configured at Twilio, so they stay as they are) and its entry from the IVR runner.

Each webhook reads Twilio's form, records the answer through :mod:`dispatch.intake.drafts`,
answers with the next question from :mod:`dispatch.intake.prompts` and commits once. A
webhook for a call without a draft, and any error, answers with the fallback TwiML.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from dispatch import texts
from dispatch.intake import drafts, prompts
from dispatch.intake.drafts import MAX_ATTEMPTS
from dispatch.matching import dispatch_zone
from dispatch.models import IntakeDraft, Ticket
from dispatch.postcodes import UnknownPostalCode
from hotline.core.extensions import db
from hotline.core.fallback import fallback_response, twiml
from hotline.core.ivr import NodeCall, call_flows
from hotline.core.outbox import commit
from hotline.core.phones import InvalidPhoneNumber
from hotline.core.security import twilio_signed

log = logging.getLogger(__name__)

bp = Blueprint("intake", __name__, url_prefix="/twilio/voice/intake")


def begin(ctx: NodeCall, node, response: VoiceResponse | None = None) -> VoiceResponse:  # noqa: ANN001
    """Entry from the IVR runner (registered for ``intake`` nodes) when the flow reaches an
    intake node; ``response`` holds what the flow has said so far in this request."""
    caller = drafts.callback_from_caller_id(ctx.caller_number, current_app.config["DEFAULT_REGION"])
    draft = drafts.start_draft(
        ctx.session, ctx.call_sid, ctx.line_number, caller, ctx.language, node.on_failure
    )
    response = response if response is not None else VoiceResponse()
    if node.say:
        prompts.say(response, draft, node.say[ctx.language])
    return prompts.ask_kind(draft, response=response)


@bp.errorhandler(Exception)
def _any_error(exc: Exception):  # noqa: ANN202
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return exc
    log.exception("intake webhook %s failed; answering with the fallback number", request.path)
    return fallback_response(request.form.get("To", ""))


# -- parsing and answering ---------------------------------------------------------------------


def _commit(response: VoiceResponse) -> Response:
    commit()
    return twiml(response)


def _input() -> tuple[IntakeDraft | None, int, str]:
    """The call's draft, the attempt at this step, and the keys pressed ("" when the caller
    pressed nothing and Twilio followed the redirect)."""
    draft = drafts.draft_by_sid(db.session, request.form.get("CallSid", ""))
    attempt = request.args.get("a", 1, type=int)
    digits = "" if request.args.get("empty") else request.form.get("Digits", "").strip()
    return draft, attempt, digits


def _lost() -> Response:
    log.warning("no intake record for %s at %s", request.form.get("CallSid"), request.path)
    return fallback_response(request.form.get("To", ""))


def _retry(draft: IntakeDraft, attempt: int, asker, preface_key: str = "invalid") -> Response:  # noqa: ANN001
    """Ask again, or after the last attempt hand the call to the flow's ``on_failure``."""
    if attempt < MAX_ATTEMPTS:
        return _commit(asker(draft, attempt + 1, prompts.voice(draft, preface_key)))
    return _give_up(draft)


def _give_up(draft: IntakeDraft) -> Response:
    if not draft.on_failure:
        return fallback_response(draft.line_number)
    host = call_flows()
    host.add_step(db.session, draft.call_sid, "intake", "-")
    response = VoiceResponse()
    prompts.say(response, draft, prompts.voice(draft, "invalid"))
    resumed = host.resume(db.current_session, draft.call_sid, draft.on_failure, response)
    if resumed is None:
        return fallback_response(draft.line_number)
    return _commit(resumed)


# -- the steps ---------------------------------------------------------------------------------


@bp.post("/kind")
@twilio_signed
def kind() -> Response:
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    if drafts.record_activity(draft, digits) is None:
        return _retry(draft, attempt, prompts.ask_kind)
    return _commit(prompts.ask_postcode(draft))


@bp.post("/postcode")
@twilio_signed
def postcode() -> Response:
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    try:
        place = drafts.record_postcode(draft, digits)
    except UnknownPostalCode:
        key = "postcode_unknown" if digits else "invalid"
        return _retry(draft, attempt, prompts.ask_postcode, key)
    return _commit(prompts.ask_postcode_confirm(draft, place))


@bp.post("/postcode/confirm")
@twilio_signed
def postcode_confirm() -> Response:
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    if digits == "1" and draft.postal_code:
        return _commit(prompts.ask_when(draft))
    if digits == "2":
        drafts.reject_postcode(draft)
        return _commit(prompts.ask_postcode(draft))
    place = drafts.draft_place(draft)
    if attempt < MAX_ATTEMPTS and place is not None:
        invalid = prompts.voice(draft, "invalid")
        return _commit(prompts.ask_postcode_confirm(draft, place, attempt + 1, invalid))
    return _give_up(draft)


@bp.post("/when")
@twilio_signed
def when() -> Response:
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    speech = "" if request.args.get("empty") else request.form.get("SpeechResult", "")
    if drafts.record_when(draft, digits, speech) is None:
        return _retry(draft, attempt, prompts.ask_when)
    return _commit(prompts.ask_callback(draft))


@bp.post("/callback")
@twilio_signed
def callback() -> Response:
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    if digits == "1" and drafts.use_caller_id(draft):
        return _commit(prompts.ask_message(draft))
    if digits == "2":
        return _commit(prompts.ask_callback_number(draft))
    return _retry(draft, attempt, prompts.ask_callback)


@bp.post("/callback/enter")
@twilio_signed
def callback_enter() -> Response:
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    try:
        drafts.record_callback(draft, digits, current_app.config["DEFAULT_REGION"])
    except InvalidPhoneNumber:
        return _retry(draft, attempt, prompts.ask_callback_number, "callback_invalid")
    return _commit(prompts.ask_message(draft))


@bp.post("/message")
@twilio_signed
def message() -> Response:
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    if digits == "1":
        return _commit(prompts.record_message(draft))
    if digits == "2" or attempt >= MAX_ATTEMPTS:
        return _finish(draft)
    return _retry(draft, attempt, prompts.ask_message)


@bp.post("/finish")
@twilio_signed
def finish() -> Response:
    draft = drafts.draft_by_sid(db.session, request.form.get("CallSid", ""))
    if draft is None:
        return _lost()
    return _finish(draft)


def _finish(draft: IntakeDraft) -> Response:
    if not drafts.is_complete(draft):
        log.warning("intake for %s finished incomplete; handing over", draft.call_sid)
        return _give_up(draft)
    ticket = drafts.finish_draft(
        db.session,
        draft,
        max_waves=current_app.config["DISPATCH_MAX_WAVES"],
        zone=dispatch_zone(),
        recording_url=request.form.get("RecordingUrl"),
    )
    call_flows().add_step(db.session, draft.call_sid, "intake", ticket.reference)
    log.info("intake %s created ticket %s", draft.call_sid, ticket.id)
    return _commit(prompts.reference_and_goodbye(draft, ticket.reference))


@bp.post("/notify")
@twilio_signed
def notify() -> Response:
    """TwiML for the call that tells a requester on a landline that help has been found."""
    ticket = db.session.get(Ticket, request.args.get("ticket", 0, type=int))
    if ticket is None:
        response = VoiceResponse()
        response.hangup()
        return twiml(response)
    return twiml(prompts.notify_filled(ticket.reference, texts.requester_language(ticket)))

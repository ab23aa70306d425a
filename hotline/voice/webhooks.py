"""Twilio voice webhooks. Each handler parses the form, calls the domain, commits once and
returns TwiML. Any failure, including the database being unreachable, is answered with the
fallback TwiML: a caller never hears an application error."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from hotline.core.blocks import is_blocked

# Now by the app's clock (the simulator's --at, see hotline.core.clock); tests patch this name.
from hotline.core.clock import now as utcnow
from hotline.core.extensions import db, flows
from hotline.core.fallback import fallback_response, remember, twiml
from hotline.core.oncall.models import Operator
from hotline.core.outbox import add_message, commit
from hotline.core.phones import mask
from hotline.core.prompts import message
from hotline.core.security import twilio_signed
from hotline.voice import (
    accompaniment,
    callback,
    callback_webhooks,
    callers,
    calls,
    conference,
    escalation,
    routing,
)
from hotline.voice.conference import MOVE_WAIT_SECONDS, Role
from hotline.voice.directory import load_line
from hotline.voice.ivr import CallContext, redial_window
from hotline.voice.models import Call, CallLeg, CallOutcome, LegState
from hotline.voice.walkhome_texts import operator_language, say, spoken

log = logging.getLogger(__name__)

bp = Blueprint("voice", __name__, url_prefix="/twilio/voice")


@bp.errorhandler(Exception)
def _any_error(exc: Exception):  # noqa: ANN202
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return exc
    log.exception("voice webhook %s failed; answering with the fallback number", request.path)
    return fallback_response(request.form.get("To", ""))


def _commit(response: VoiceResponse):  # noqa: ANN202
    """Commit the request's work once, then hand committed outbox rows to the queue."""
    commit()
    return twiml(response)


def _context(call: Call) -> CallContext | None:
    flow = flows.get(call.line.flow)
    if flow is None:
        return None
    return CallContext(db.current_session, call, call.line, flow, utcnow())


def _current_call() -> CallContext | None:
    call = calls.call_by_sid(db.session, request.form.get("CallSid", ""))
    return _context(call) if call else None


def _lost():  # noqa: ANN202
    """A follow-up webhook for a call we have no record of: ring the fallback."""
    log.warning("no call record for %s at %s", request.form.get("CallSid"), request.path)
    return fallback_response(request.form.get("To", ""))


@bp.post("")
@twilio_signed
def entry():  # noqa: ANN201
    """A new call. The hot path: the line is read with its hours, the flow runs on an unsaved
    call record (reading who can be rung when it rings), and the record is then written in
    one statement, committed with whatever else the flow stored."""
    form = request.form
    to_number, call_sid = form.get("To", ""), form.get("CallSid", "")
    now = utcnow()
    line = load_line(db.session, to_number, now)
    if line is None:
        log.warning("call to %s, which is not a line", mask(to_number))
        return fallback_response(to_number)
    remember(line.number, line.fallback_number)
    flow = flows.get(line.flow)
    if flow is None:
        log.error("line %s uses flow %r, which is not loaded", line.id, line.flow)
        return fallback_response(to_number)
    salt = current_app.config["CALLER_HASH_SALT"]
    call = calls.new_call(line.id, call_sid, form.get("From", ""), salt, now)
    ctx = CallContext(
        db.current_session,
        call,
        line,
        flow,
        now,
    )
    refused = _refusal(ctx, form.get("From", ""))
    if not refused and ctx.callback_call_id and not request.args.get("nocb"):
        # An operator with a recent call on this line calls it: "press 1 to call back".
        offer = callback_webhooks.entry_offer(line, form.get("From", ""), now)
        if offer is not None:
            return twiml(offer)
    response = ctx.refuse(refused) if refused else ctx.run(flow.start)
    # One statement, in the same transaction as whatever else the flow stored (an intake
    # draft, a queue call-out), and one commit.
    db.session.execute(*calls.insert_call(call, db.dialect))
    return _commit(response)


def _refusal(ctx: CallContext, caller: str) -> str | None:
    """Why this call is not routed (``block``: the caller is blocked on the line;
    ``limit``: too many calls from them within the hour), or None. From one query on the
    blocks and one Redis round trip, which also tells whom the caller spoke to last (redial)."""
    call = ctx.call
    if not callers.identifiable(caller):
        return None
    if is_blocked(db.current_session, call.line_id, call.caller_hash, ctx.now):
        log.info("call %s: caller is blocked on line %s", call.call_sid, call.line_id)
        return "block"
    memory = callers.note_call(
        call.line_id, call.caller_hash, call.call_sid, ctx.now, redial_window()
    )
    limit = current_app.config["CALLER_CALLS_PER_HOUR"]
    if limit > 0 and memory.calls_last_hour > limit:
        log.info(
            "call %s: caller over %d calls/hour on line %s", call.call_sid, limit, call.line_id
        )
        return "limit"
    ctx.redial_to = lambda: memory.last_operator_id
    ctx.callback_call_id = memory.callback_call_id
    return None


@bp.post("/node/<node>")
@twilio_signed
def node(node: str):  # noqa: ANN201
    ctx = _current_call()
    if ctx is None:
        return _lost()
    attempt = request.args.get("a", 1, type=int)
    if request.args.get("empty"):
        digits, speech = "", ""
    else:
        digits = request.form.get("Digits", "").strip()
        speech = request.form.get("SpeechResult", "").strip()
    return _commit(ctx.answer(node, attempt, digits, speech))


@bp.post("/screen")
@twilio_signed
def screen():  # noqa: ANN201
    """Runs on the operator's leg when they pick up: whisper, and wait for 1."""
    response = VoiceResponse()
    call = calls.call_by_sid(db.session, request.args.get("call", ""))
    operator_id = request.args.get("op", 0, type=int)
    round_no = request.args.get("r", 0, type=int)
    ctx = _context(call) if call is not None else None
    if ctx is None or db.session.get(Operator, operator_id) is None:
        response.hangup()
        return twiml(response)
    if call.answered_by_id is not None or call.ended_at is not None:
        ctx.say(response, ctx.msg("whisper_gone"), language=ctx.flow.default_language)
        response.hangup()
        return twiml(response)
    # Picked up but not accepted (yet): if the keypress never comes, this was a mailbox or a
    # decline, and the next round rings everyone else.
    leg = calls.picked_up(db.session, call, operator_id, round_no)
    gather = response.gather(
        num_digits=1,
        action=url_for("voice.screen_answer", leg=leg.id),
        timeout=8,
    )
    whisper = ctx.msg("whisper_again" if request.args.get("again") else "whisper")
    ctx.say(gather, whisper, language=ctx.flow.default_language)
    ctx.say(gather, whisper, language=ctx.flow.default_language)
    response.hangup()
    return _commit(response)


@bp.post("/screen/answer")
@twilio_signed
def screen_answer():  # noqa: ANN201
    leg = db.session.get(CallLeg, request.args.get("leg", 0, type=int))
    response = VoiceResponse()
    if leg is None or request.form.get("Digits") != "1":
        response.hangup()  # not bridged: the caller's <Dial> goes on / ends
        return twiml(response)
    now = utcnow()
    if calls.accept(db.session, leg, now):
        log.info("call %s accepted by operator %s", leg.call_id, leg.operator_id)
        accompaniment.bridged(db.session, leg.call, leg.operator_id, now)
        # Into the call's conference (see hotline.voice.conference): this leg is moved there
        # by a REST update, then the caller's <Dial> action joins the caller. Meanwhile the
        # operator hears "connecting"; should the move never come, this document runs out
        # and the <Dial> bridges the two directly.
        leg.call.conference_at = now
        add_message(
            db.session,
            "conference_redirect",
            {"call_id": leg.call_id, "leg_sid": request.form.get("CallSid", "")},
        )
        ctx = _context(leg.call)
        for _ in range(2):
            if ctx:
                ctx.say(response, ctx.msg("connecting"), language=ctx.flow.default_language)
            response.pause(length=MOVE_WAIT_SECONDS)
        return _commit(response)
    ctx = _context(leg.call)
    if ctx:
        ctx.say(response, ctx.msg("whisper_gone"), language=ctx.flow.default_language)
    response.hangup()
    return _commit(response)


@bp.post("/dial-result")
@twilio_signed
def dial_result():  # noqa: ANN201
    ctx = _current_call()
    if ctx is None:
        return _lost()
    ops = request.args.get("ops", "")
    calls.record_round(
        db.session,
        ctx.call,
        request.args.get("r", ctx.call.ring_round, type=int),
        [int(op) for op in ops.split(",") if op.isdigit()],
        LegState.RINGING,
    )
    bridged = request.form.get("DialBridged", "").lower() == "true"
    call = ctx.call
    if call.answered_by_id is not None and call.conference_at is not None and not bridged:
        # The accepting operator's leg was moved into the conference: the caller follows.
        return _commit(conference.join(VoiceResponse(), call, Role.CALLER))
    if call.answered_by_id is not None or bridged:
        response = VoiceResponse()
        response.hangup()
        return _commit(response)
    return _commit(ctx.ring())


@bp.post("/conference/join")
@twilio_signed
def conference_join():  # noqa: ANN201
    """A leg joins the call's conference: the accepting operator's leg (moved here by a
    REST update) or a third person who needs no screening (the emergency number)."""
    call = db.session.get(Call, request.args.get("call", 0, type=int))
    response = VoiceResponse()
    if call is None or call.ended_at is not None:
        response.hangup()
        return twiml(response)
    role = Role.THIRD if request.args.get("role") == Role.THIRD.value else Role.OPERATOR
    if role == Role.THIRD:
        call.escalation_joined_at = call.escalation_joined_at or utcnow()
    conference.join(response, call, role)
    if role == Role.OPERATOR:
        _ask_arrived(response, call)
    response.hangup()
    return _commit(response)


def _ask_arrived(response: VoiceResponse, call: Call) -> None:
    """After the conference ends (the caller hung up), the accepting operator's leg goes on
    here: on a walk-home line they may press 9 if the person arrived (the key at the end)."""
    if not accompaniment.open_for(db.session, call.id):
        return
    lang = operator_language(call.answered_by)
    gather = response.gather(
        num_digits=1, action=url_for("voice.conference_arrived", call=call.id), timeout=6
    )
    say(gather, lang, spoken(lang, "arrived_prompt"))
    say(response, lang, spoken(lang, "bye"))


@bp.post("/conference/arrived")
@twilio_signed
def conference_arrived():  # noqa: ANN201
    """The operator's key after a walk-home call: 9 marks the person arrived."""
    call = db.session.get(Call, request.args.get("call", 0, type=int))
    response = VoiceResponse()
    if call is not None and request.form.get("Digits") == "9":
        accompaniment.mark_arrived(db.session, call.id, utcnow())
        lang = operator_language(call.answered_by)
        say(response, lang, spoken(lang, "arrived"))
    response.hangup()
    return _commit(response)


@bp.post("/conference/wait")
@twilio_signed
def conference_wait():  # noqa: ANN201
    """The conference's waitUrl: whoever waits alone hears that they are being connected
    (Twilio plays this again and again until the conference starts)."""
    call = db.session.get(Call, request.args.get("call", 0, type=int))
    ctx = _context(call) if call is not None else None
    response = VoiceResponse()
    if ctx is None:
        response.say(message("connecting", "de"), language="de-DE")
    else:
        ctx.say(response, ctx.msg("connecting"))
    response.pause(length=3)
    return twiml(response)


@bp.post("/escalation/screen")
@twilio_signed
def escalation_screen():  # noqa: ANN201
    """The person called for an escalation picked up: whisper, and wait for 1."""
    call = db.session.get(Call, request.args.get("call", 0, type=int))
    ctx = _context(call) if call is not None else None
    response = VoiceResponse()
    if ctx is None or call.ended_at is not None or call.escalation_joined_at is not None:
        if ctx:
            ctx.say(response, ctx.msg("whisper_gone"), language=ctx.flow.default_language)
        response.hangup()
        return twiml(response)
    gather = response.gather(
        num_digits=1, action=url_for("voice.escalation_answer", call=call.id), timeout=8
    )
    whisper = ctx.msg("escalation_whisper")
    ctx.say(gather, whisper, language=ctx.flow.default_language)
    ctx.say(gather, whisper, language=ctx.flow.default_language)
    response.hangup()  # a mailbox presses nothing and never joins
    return twiml(response)


@bp.post("/escalation/answer")
@twilio_signed
def escalation_answer():  # noqa: ANN201
    call = db.session.get(Call, request.args.get("call", 0, type=int))
    response = VoiceResponse()
    if call is None or request.form.get("Digits") != "1":
        response.hangup()
        return twiml(response)
    if escalation.join_escalation(db.session, call, utcnow()):
        log.info("call %s: the escalation's third person joined", call.id)
        conference.join(response, call, Role.THIRD)
        response.hangup()
        return _commit(response)
    ctx = _context(call)
    if ctx:
        ctx.say(response, ctx.msg("whisper_gone"), language=ctx.flow.default_language)
    response.hangup()
    return _commit(response)


@bp.post("/queue/wait")
@twilio_signed
def queue_wait():  # noqa: ANN201
    """Twilio's waitUrl: tell the caller their position; leave after the line's timeout."""
    ctx = _current_call()
    response = VoiceResponse()
    if ctx is None:
        response.leave()
        return twiml(response)
    waited = request.form.get("QueueTime", "0")
    waited_s = int(waited) if waited.isdigit() else 0
    if waited_s >= ctx.line.queue_timeout:
        response.leave()
        return twiml(response)
    position = request.form.get("QueuePosition", "1")
    ctx.say(response, ctx.msg("queue", position=position))
    response.pause(length=15)
    return twiml(response)


@bp.post("/queue/result")
@twilio_signed
def queue_result():  # noqa: ANN201
    ctx = _current_call()
    if ctx is None:
        return _lost()
    result = request.form.get("QueueResult", "")
    ctx.call.queue_left_at = ctx.call.queue_left_at or ctx.now
    if result == "bridged" or ctx.call.answered_by_id is not None:
        response = VoiceResponse()
        response.hangup()
        return _commit(response)
    if result == "hangup":
        ctx.call.outcome = ctx.call.outcome or CallOutcome.ABANDONED
        return _commit(VoiceResponse())
    return _commit(ctx.overflow())


@bp.post("/queue/offer")
@twilio_signed
def queue_offer():  # noqa: ANN201
    """An operator called out of the queue picked up: whisper and wait for 1."""
    call = db.session.get(Call, request.args.get("call", 0, type=int))
    operator_id = request.args.get("op", 0, type=int)
    response = VoiceResponse()
    ctx = _context(call) if call else None
    if ctx is None or call.answered_by_id is not None or call.queue_left_at is not None:
        if ctx:
            ctx.say(response, ctx.msg("whisper_gone"), language=ctx.flow.default_language)
        response.hangup()
        return twiml(response)
    gather = response.gather(
        num_digits=1,
        action=url_for("voice.queue_offer_answer", call=call.id, op=operator_id),
        timeout=8,
    )
    ctx.say(gather, ctx.msg("whisper"), language=ctx.flow.default_language)
    ctx.say(gather, ctx.msg("whisper"), language=ctx.flow.default_language)
    response.hangup()
    return twiml(response)


@bp.post("/queue/offer/answer")
@twilio_signed
def queue_offer_answer():  # noqa: ANN201
    call = db.session.get(Call, request.args.get("call", 0, type=int))
    operator_id = request.args.get("op", 0, type=int)
    response = VoiceResponse()
    if call is None or request.form.get("Digits") != "1":
        response.hangup()
        return twiml(response)
    dial = response.dial()
    dial.queue(
        routing.queue_name(call.line),
        url=url_for("voice.queue_bridge", op=operator_id),
    )
    return twiml(response)


@bp.post("/queue/bridge")
@twilio_signed
def queue_bridge():  # noqa: ANN201
    """Runs on the queued caller's leg just before they are connected to an operator."""
    ctx = _current_call()
    response = VoiceResponse()
    if ctx is None:
        return twiml(response)
    operator_id = request.args.get("op", 0, type=int)
    if db.session.get(Operator, operator_id) is not None and calls.accept_from_queue(
        db.session, ctx.call, operator_id, ctx.now
    ):
        accompaniment.bridged(db.session, ctx.call, operator_id, ctx.now)
    ctx.say(response, ctx.msg("connecting"))
    return _commit(response)


@bp.post("/fallback-result")
@twilio_signed
def fallback_result():  # noqa: ANN201
    ctx = _current_call()
    if ctx is None:
        return _lost()
    if request.form.get("DialCallStatus") == "completed":
        ctx.call.outcome = CallOutcome.FALLBACK
        response = VoiceResponse()
        response.hangup()
        return _commit(response)
    return _commit(ctx.overflow())


@bp.post("/voicemail")
@twilio_signed
def voicemail():  # noqa: ANN201
    ctx = _current_call()
    if ctx is None:
        return _lost()
    call = ctx.call
    first_time = call.outcome != CallOutcome.VOICEMAIL  # a retried webhook notifies nobody twice
    call.outcome = CallOutcome.VOICEMAIL
    call.recording_url = request.form.get("RecordingUrl") or call.recording_url
    duration = request.form.get("RecordingDuration", "")
    call.recording_seconds = int(duration) if duration.isdigit() else call.recording_seconds
    if first_time:
        add_message(db.session, "voicemail_notice", {"call_id": call.id})
    response = VoiceResponse()
    ctx.say(response, ctx.msg("voicemail_thanks"))
    response.hangup()
    return _commit(response)


@bp.post("/status")
@twilio_signed
def status():  # noqa: ANN201
    form = request.form
    now = utcnow()
    call = calls.record_status(
        db.session,
        form.get("CallSid", ""),
        form.get("CallStatus", ""),
        form.get("CallDuration"),
        now,
    )
    ended_now = call is not None and call.ended_at == now
    callback_offer = None
    if ended_now:
        accompaniment.call_ended(db.session, call, now)  # drop notice / note invitation
        callback_offer = callback.offer_for(call)
    db.session.commit()
    callback.remember(callback_offer)
    if ended_now and callers.identifiable(call.caller_number):
        callers.remember_operator(call, redial_window())
    return ("", 204)


@bp.post("/fallback")
@twilio_signed
def fallback():  # noqa: ANN201
    """Twilio's Fallback URL: used when the main webhook failed. No database access."""
    log.error(
        "Twilio used the fallback URL (error %s at %s)",
        request.form.get("ErrorCode"),
        request.form.get("ErrorUrl"),
    )
    return fallback_response(request.form.get("To", ""))

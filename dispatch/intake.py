"""Phone intake: the ``intake`` node of a flow turns a call into a ticket.

Steps, each a signed webhook under ``/twilio/voice/intake/``:

1. ``kind`` — the kind of help, from a keypad menu;
2. ``postcode`` — five digits, checked against the postal code table and read back
   (``postcode/confirm``);
3. ``when`` — today, tomorrow or this week;
4. ``callback`` — confirm the caller ID or key in another number (``callback/enter``);
5. ``message`` — optionally record a short message;
6. ``finish`` — the ticket is stored and the caller hears its reference, digit by digit.

What the caller entered so far lives in an :class:`IntakeDraft` row keyed by CallSid, so a
retried webhook repeats a step instead of confusing it. Three wrong or missing answers in
a step hand the call to the node's ``on_failure`` (usually a person). Any error answers with
the fallback TwiML: a caller never hears an application error.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from dispatch import texts
from dispatch.models import Activity, IntakeDraft, Ticket, TicketSource
from dispatch.postcodes import UnknownPostalCode, lookup
from dispatch.tickets import TicketRequest, create_ticket, window_for
from hotline.core.extensions import db
from hotline.core.fallback import fallback_response, twiml
from hotline.core.ivr import NodeCall, call_flows
from hotline.core.models import utcnow
from hotline.core.outbox import commit
from hotline.core.phones import InvalidPhoneNumber, to_dialable_e164
from hotline.core.security import twilio_signed
from ivr_flows.messages import DEFAULT_VOICES

log = logging.getLogger(__name__)

bp = Blueprint("intake", __name__, url_prefix="/twilio/voice/intake")

KEYPAD_ACTIVITIES = {
    "1": Activity.SHOPPING,
    "2": Activity.ERRANDS,
    "3": Activity.PHONE_COMPANY,
    "4": Activity.ACCOMPANIMENT,
    "5": Activity.TRANSLATION,
    "9": Activity.OTHER,
}
KEYPAD_WHEN = {"1": "today", "2": "tomorrow", "3": "week"}
#: Spoken answers, most specific first ("übermorgen" is not "morgen").
SPOKEN_WHEN = {
    "de": [("diese woche", "week"), ("woche", "week"), ("heute", "today"), ("morgen", "tomorrow")],
    "en": [("this week", "week"), ("week", "week"), ("today", "today"), ("tomorrow", "tomorrow")],
}
MAX_ATTEMPTS = 3
MESSAGE_MAX_SECONDS = 60


# -- domain ----------------------------------------------------------------------------------


def start_draft(
    session: Session,
    call_sid: str,
    line_number: str,
    caller: str | None,
    language: str,
    on_failure: str | None,
) -> IntakeDraft:
    """The intake record of this call, created on first use and reused on retries."""
    draft = draft_by_sid(session, call_sid)
    if draft is not None:
        return draft
    draft = IntakeDraft(
        call_sid=call_sid,
        line_number=line_number,
        caller_number=caller,
        language=language,
        on_failure=on_failure,
    )
    try:
        with session.begin_nested():
            session.add(draft)
    except IntegrityError:
        return draft_by_sid(session, call_sid)  # type: ignore[return-value]
    return draft


def draft_by_sid(session: Session, call_sid: str) -> IntakeDraft | None:
    return session.scalars(select(IntakeDraft).where(IntakeDraft.call_sid == call_sid)).first()


def finish_draft(session: Session, draft: IntakeDraft) -> Ticket:
    """Create the ticket (once per call) from everything the caller entered."""
    if draft.ticket_id is not None:
        ticket = session.get(Ticket, draft.ticket_id)
        if ticket is not None:
            return ticket
    start, end = window_for(draft.when or "week", utcnow(), _zone())
    description = "Telefonische Anfrage"
    if draft.recording_url:
        description += f" (Sprachnachricht: {draft.recording_url})"
    ticket = create_ticket(
        session,
        TicketRequest(
            activity=draft.activity or Activity.OTHER.value,
            postal_code=draft.postal_code or "",
            window_start=start,
            window_end=end,
            needed=1,
            description=description,
            languages=(draft.language,),
            requester_phone=draft.callback,
            recording_url=draft.recording_url,
            call_sid=draft.call_sid,
        ),
        TicketSource.PHONE,
        max_waves=current_app.config["DISPATCH_MAX_WAVES"],
    )
    draft.ticket_id = ticket.id
    return ticket


def _zone() -> str:
    from dispatch.matching import dispatch_zone

    return dispatch_zone()


# -- rendering -------------------------------------------------------------------------------


def _say(target, draft: IntakeDraft, text: str) -> None:  # noqa: ANN001
    locale, voice = DEFAULT_VOICES.get(draft.language, DEFAULT_VOICES["de"])
    target.say(text, language=locale, voice=voice)


def _ask(
    draft: IntakeDraft,
    endpoint: str,
    prompt: str,
    attempt: int,
    preface: str | None = None,
    response: VoiceResponse | None = None,
    **gather: object,
) -> VoiceResponse:
    response = response or VoiceResponse()
    options = {"input": "dtmf", "num_digits": 1, "timeout": 8, **gather}
    g_ = response.gather(action=url_for(endpoint, a=attempt), **options)
    if preface:
        _say(g_, draft, preface)
    _say(g_, draft, prompt)
    response.redirect(url_for(endpoint, a=attempt, empty=1))
    return response


def ask_kind(draft: IntakeDraft, attempt: int = 1, preface: str | None = None, response=None):  # noqa: ANN001, ANN201
    return _ask(
        draft, "intake.kind", texts.voice("kind", draft.language), attempt, preface, response
    )


def ask_postcode(draft: IntakeDraft, attempt: int = 1, preface: str | None = None):  # noqa: ANN201
    return _ask(
        draft,
        "intake.postcode",
        texts.voice("postcode", draft.language),
        attempt,
        preface,
        num_digits=5,
        timeout=10,
    )


def ask_when(draft: IntakeDraft, attempt: int = 1, preface: str | None = None):  # noqa: ANN201
    """By key or by saying it ("morgen", "this week")."""
    words = SPOKEN_WHEN.get(draft.language, SPOKEN_WHEN["de"])
    locale, _ = DEFAULT_VOICES.get(draft.language, DEFAULT_VOICES["de"])
    return _ask(
        draft,
        "intake.when",
        texts.voice("when", draft.language),
        attempt,
        preface,
        input="dtmf speech",
        language=locale,
        speech_timeout="auto",
        hints=", ".join(w for w, _ in words),
    )


def spoken_when(language: str, speech: str) -> str | None:
    said = speech.lower()
    for word, choice in SPOKEN_WHEN.get(language, SPOKEN_WHEN["de"]):
        if word in said:
            return choice
    return None


def ask_callback(draft: IntakeDraft, attempt: int = 1, preface: str | None = None):  # noqa: ANN201
    if not draft.caller_number:
        return ask_callback_number(draft, attempt, preface)
    prompt = texts.voice(
        "callback_confirm", draft.language, digits=texts.digits_spoken(draft.caller_number)
    )
    return _ask(draft, "intake.callback", prompt, attempt, preface)


def ask_callback_number(draft: IntakeDraft, attempt: int = 1, preface: str | None = None):  # noqa: ANN201
    return _ask(
        draft,
        "intake.callback_enter",
        texts.voice("callback_enter", draft.language),
        attempt,
        preface,
        num_digits=None,
        finish_on_key="#",
        timeout=15,
    )


def ask_message(draft: IntakeDraft, attempt: int = 1, preface: str | None = None):  # noqa: ANN201
    return _ask(
        draft, "intake.message", texts.voice("message_offer", draft.language), attempt, preface
    )


def begin(ctx: NodeCall, node, response: VoiceResponse | None = None) -> VoiceResponse:  # noqa: ANN001
    """Entry from the IVR runner (registered for ``intake`` nodes) when the flow reaches an intake node;
    ``response`` holds what the flow has said so far in this request."""
    try:  # a withheld caller ID ("anonymous", "+266696687") is no callback number, nor is a
        # premium-rate or foreign one
        caller = to_dialable_e164(ctx.caller_number or "", current_app.config["DEFAULT_REGION"])
    except InvalidPhoneNumber:
        caller = None
    draft = start_draft(
        ctx.session, ctx.call_sid, ctx.line_number, caller, ctx.language, node.on_failure
    )
    response = response if response is not None else VoiceResponse()
    if node.say:
        _say(response, draft, node.say[ctx.language])
    return ask_kind(draft, response=response)


# -- webhooks --------------------------------------------------------------------------------


@bp.errorhandler(Exception)
def _any_error(exc: Exception):  # noqa: ANN202
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return exc
    log.exception("intake webhook %s failed; answering with the fallback number", request.path)
    return fallback_response(request.form.get("To", ""))


def _commit(response: VoiceResponse):  # noqa: ANN202
    commit()
    return twiml(response)


def _input() -> tuple[IntakeDraft | None, int, str]:
    draft = draft_by_sid(db.session, request.form.get("CallSid", ""))
    attempt = request.args.get("a", 1, type=int)
    digits = "" if request.args.get("empty") else request.form.get("Digits", "").strip()
    return draft, attempt, digits


def _lost():  # noqa: ANN202
    log.warning("no intake record for %s at %s", request.form.get("CallSid"), request.path)
    return fallback_response(request.form.get("To", ""))


def _retry(draft: IntakeDraft, attempt: int, asker, preface_key: str = "invalid"):  # noqa: ANN001, ANN202
    """Ask again, or after the last attempt hand the call to the flow's ``on_failure``."""
    if attempt < MAX_ATTEMPTS:
        return _commit(asker(draft, attempt + 1, texts.voice(preface_key, draft.language)))
    return _give_up(draft)


def _give_up(draft: IntakeDraft):  # noqa: ANN202
    if not draft.on_failure:
        return fallback_response(draft.line_number)
    host = call_flows()
    host.add_step(db.session, draft.call_sid, "intake", "-")
    response = VoiceResponse()
    _say(response, draft, texts.voice("invalid", draft.language))
    resumed = host.resume(db.current_session, draft.call_sid, draft.on_failure, response)
    if resumed is None:
        return fallback_response(draft.line_number)
    return _commit(resumed)


@bp.post("/kind")
@twilio_signed
def kind():  # noqa: ANN201
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    activity = KEYPAD_ACTIVITIES.get(digits)
    if activity is None:
        return _retry(draft, attempt, ask_kind)
    draft.activity = activity.value
    return _commit(ask_postcode(draft))


@bp.post("/postcode")
@twilio_signed
def postcode():  # noqa: ANN201
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    try:
        place = lookup(digits)
    except UnknownPostalCode:
        key = "postcode_unknown" if digits else "invalid"
        return _retry(draft, attempt, ask_postcode, key)
    draft.postal_code = place.postal_code
    prompt = texts.voice(
        "postcode_confirm", draft.language, digits=texts.digits_spoken(digits), place=place.name
    )
    return _commit(_ask(draft, "intake.postcode_confirm", prompt, 1))


@bp.post("/postcode/confirm")
@twilio_signed
def postcode_confirm():  # noqa: ANN201
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    if digits == "1" and draft.postal_code:
        return _commit(ask_when(draft))
    if digits == "2":
        draft.postal_code = None
        return _commit(ask_postcode(draft))
    if attempt < MAX_ATTEMPTS and draft.postal_code:
        place = lookup(draft.postal_code)
        prompt = texts.voice(
            "postcode_confirm",
            draft.language,
            digits=texts.digits_spoken(place.postal_code),
            place=place.name,
        )
        return _commit(
            _ask(
                draft,
                "intake.postcode_confirm",
                prompt,
                attempt + 1,
                texts.voice("invalid", draft.language),
            )
        )
    return _give_up(draft)


@bp.post("/when")
@twilio_signed
def when():  # noqa: ANN201
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    speech = "" if request.args.get("empty") else request.form.get("SpeechResult", "")
    choice = KEYPAD_WHEN.get(digits) or spoken_when(draft.language, speech)
    if choice is None:
        return _retry(draft, attempt, ask_when)
    draft.when = choice
    return _commit(ask_callback(draft))


@bp.post("/callback")
@twilio_signed
def callback():  # noqa: ANN201
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    if digits == "1" and draft.caller_number:
        draft.callback = draft.caller_number
        return _commit(ask_message(draft))
    if digits == "2":
        return _commit(ask_callback_number(draft))
    return _retry(draft, attempt, ask_callback)


@bp.post("/callback/enter")
@twilio_signed
def callback_enter():  # noqa: ANN201
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    try:
        number = to_dialable_e164(digits, current_app.config["DEFAULT_REGION"])
    except InvalidPhoneNumber:
        return _retry(draft, attempt, ask_callback_number, "callback_invalid")
    draft.callback = number
    return _commit(ask_message(draft))


@bp.post("/message")
@twilio_signed
def message():  # noqa: ANN201
    draft, attempt, digits = _input()
    if draft is None:
        return _lost()
    if digits == "1":
        response = VoiceResponse()
        _say(response, draft, texts.voice("message_record", draft.language))
        response.record(
            action=url_for("intake.finish"),
            max_length=MESSAGE_MAX_SECONDS,
            finish_on_key="#",
            play_beep=True,
            timeout=5,
        )
        response.redirect(url_for("intake.finish"))
        return _commit(response)
    if digits == "2" or attempt >= MAX_ATTEMPTS:
        return _finish(draft)
    return _retry(draft, attempt, ask_message)


@bp.post("/finish")
@twilio_signed
def finish():  # noqa: ANN201
    draft = draft_by_sid(db.session, request.form.get("CallSid", ""))
    if draft is None:
        return _lost()
    return _finish(draft)


def _finish(draft: IntakeDraft):  # noqa: ANN202
    if not (draft.activity and draft.postal_code and draft.when and draft.callback):
        log.warning("intake for %s finished incomplete; handing over", draft.call_sid)
        return _give_up(draft)
    recording = request.form.get("RecordingUrl")
    if recording and draft.ticket_id is None:
        draft.recording_url = recording
    ticket = finish_draft(db.session, draft)
    call_flows().add_step(db.session, draft.call_sid, "intake", ticket.reference)
    response = VoiceResponse()
    _say(
        response,
        draft,
        texts.voice("done", draft.language, digits=texts.digits_spoken(ticket.reference)),
    )
    response.hangup()
    log.info("intake %s created ticket %s", draft.call_sid, ticket.id)
    return _commit(response)


@bp.post("/notify")
@twilio_signed
def notify():  # noqa: ANN201
    """TwiML for the call that tells a requester on a landline that help has been found."""
    ticket = db.session.get(Ticket, request.args.get("ticket", 0, type=int))
    response = VoiceResponse()
    if ticket is not None:
        language = ticket.languages[0] if ticket.languages else "de"
        locale, voice = DEFAULT_VOICES.get(language, DEFAULT_VOICES["de"])
        text = texts.voice("notify_filled", language, digits=texts.digits_spoken(ticket.reference))
        response.say(text, language=locale, voice=voice)
    response.hangup()
    return twiml(response)

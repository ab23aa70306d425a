"""Offers by phone call, for helpers without a mobile phone (channel ``call``).

A wave asks a call-only helper by an outbound call through the core pipeline (kind
:data:`~dispatch.outbound.OFFER_CALL`, key ``offer-call:<offer id>:<attempt>``: claimed
once, rate-limited by ``CALLS_PER_SECOND``, retried on provider errors, skipped once the
offer is answered or the ticket no longer open, held back in quiet hours like the texts).
The provider fetches the call's TwiML from ``/dispatch/voice/offer/<voice token>``
(:mod:`dispatch.web.voice`; signed by Twilio like every webhook, and the token is an HMAC
of the offer's own secret token, so the address is unguessable and differs from the
accept link).

The call reads the request (activity, place, when, reference) in the helper's language
(:mod:`dispatch.voice_texts`) inside a ``<Gather numDigits=1>``: 1 accepts through
:func:`dispatch.offers.accept`, the same function as the accept link and the SMS reply, so
exactly ``needed`` helpers are accepted whichever channels they answer by, and the call
then says the requester's details (or that enough helpers were found); 2 declines; 3 reads
the request again; 9 is the STOP of a helper who cannot text: no more calls nor messages. After two rounds without a key the call hangs up and the offer stays
pending: an answering machine or a mailbox cannot press 1, so it never accepts.

When the call is over (the core's ``on_call_ended`` hook: no-answer, busy, failed, or
completed without 1 or 2) and the offer is still pending on an open ticket, the helper is
called once more after ``DISPATCH_CALL_RETRY_MINUTES``; never a third time.

Stand-downs are not phoned (too intrusive for "you are no longer needed"); call helpers who
accept hear the details in the call itself, and thank-yous go by text or e-mail only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from flask import current_app, url_for
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from dispatch import voice_texts
from dispatch.consent import opt_out
from dispatch.models import Helper, Offer, OfferState, Ticket, TicketStatus
from dispatch.offers import Outcome, accept, decline
from dispatch.outbound import (
    OFFER_CALL,
    caller_id,
    still_wanted,
    ticket_batch,
    undelivered,
)
from hotline.core import messaging
from hotline.core.messaging import Channel, OutboundMessage, Priority
from hotline.core.models import utcnow
from hotline.core.registry import Registry

#: Rounds of the question before the call gives up (a mailbox hears both, presses nothing).
ROUNDS = 2
#: Calls per offer: the first and one retry.
MAX_ATTEMPTS = 2
#: Seconds to wait for a key after each round.
GATHER_SECONDS = 8
#: The path the provider fetches an offer call's TwiML from.
OFFER_PATH = "/dispatch/voice/offer/"


def call_key(offer_id: int, attempt: int) -> str:
    return f"offer-call:{offer_id}:{attempt}"


def voice_token(offer_id: int, token: str) -> str:
    """``<offer id>-<HMAC>``: derived from the offer's secret token and ``SECRET_KEY``, so
    the call's address is unguessable, checkable without a column, and not the accept link."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    mac = hmac.new(key, f"voice-offer:{offer_id}:{token}".encode(), hashlib.sha256)
    return f"{offer_id}-{mac.hexdigest()[:32]}"


def offer_call_url(offer_id: int, token: str) -> str:
    """The absolute URL the provider fetches the offer call's TwiML from."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000").rstrip("/")
    return f"{base}{OFFER_PATH}{voice_token(offer_id, token)}"


def offer_by_voice_token(session: Session, token: str) -> Offer | None:
    head, _, _ = (token or "").partition("-")
    if not head.isdigit() or len(token) > 80:
        return None
    offer = session.get(Offer, int(head))
    if offer is None or not hmac.compare_digest(voice_token(offer.id, offer.token), token):
        return None
    return offer


# -- queueing -----------------------------------------------------------------------------------


def queue_offer_calls(
    session: Session,
    ticket_id: int,
    calls: list[tuple[int, int, str, str]],
    now: dt.datetime,
) -> list[int]:
    """A wave's offer calls in one statement: ``(offer id, helper id, number, offer
    token)`` each; the first attempt of each."""
    return messaging.queue_many(
        session,
        [
            messaging.Draft(
                key=call_key(offer_id, 1),
                to=to,
                body=offer_call_url(offer_id, token),
                refs=_refs(ticket_id, offer_id, helper_id, 1),
            )
            for offer_id, helper_id, to, token in calls
        ],
        kind=OFFER_CALL,
        sender=caller_id(),
        channel=Channel.CALL,
        priority=Priority.BULK,
        batch=ticket_batch(ticket_id),
        now=now,
    )


def _refs(ticket_id: int, offer_id: int, helper_id: int, attempt: int) -> dict[str, int]:
    return {
        "ticket_id": ticket_id,
        "offer_id": offer_id,
        "helper_id": helper_id,
        "attempt": attempt,
    }


def call_over(session: Session, message: OutboundMessage, status: str) -> None:
    """The core's ``on_call_ended`` hook: a call that did not settle the offer (nobody
    answered, busy, failed, or answered without 1 or 2: a mailbox) is tried once more after
    ``DISPATCH_CALL_RETRY_MINUTES``, if the offer is still pending on an open ticket."""
    refs = message.refs or {}
    attempt = int(refs.get("attempt") or 1)
    if attempt >= MAX_ATTEMPTS:
        return
    offer = session.get(Offer, refs["offer_id"]) if refs.get("offer_id") else None
    if offer is None or offer.state != OfferState.PENDING:
        return
    ticket = session.get(Ticket, offer.ticket_id)
    if ticket is None or ticket.status != TicketStatus.OPEN:
        return
    minutes = int(current_app.config["DISPATCH_CALL_RETRY_MINUTES"])
    messaging.queue(
        session,
        kind=OFFER_CALL,
        key=call_key(offer.id, attempt + 1),
        to=message.to,
        body=offer_call_url(offer.id, offer.token),
        sender=message.sender,
        channel=Channel.CALL,
        priority=Priority.BULK,
        batch=ticket_batch(ticket.id),
        refs=_refs(ticket.id, offer.id, offer.helper_id, attempt + 1),
        not_before=utcnow() + dt.timedelta(minutes=minutes),
    )


def register(registry: Registry) -> None:
    registry.message_kind(
        OFFER_CALL, check=still_wanted, on_failed=undelivered, on_call_ended=call_over
    )


# -- the call -----------------------------------------------------------------------------------


def _say(target, language: str, text: str) -> None:  # noqa: ANN001 - a response or a gather
    locale, voice = voice_texts.voice_of(language)
    target.say(text, language=locale, voice=voice)


def _ask(
    offer: Offer, ticket: Ticket, language: str, round_: int, preface: str | None = None
) -> VoiceResponse:
    """The request and the keys, in a ``<Gather>`` posting to the answer webhook; no key
    follows the redirect marked ``empty``."""
    token = voice_token(offer.id, offer.token)
    response = VoiceResponse()
    gather = response.gather(
        action=url_for("dispatch_voice.answer", token=token, r=round_),
        input="dtmf",
        num_digits=1,
        timeout=GATHER_SECONDS,
    )
    if preface:
        _say(gather, language, preface)
    if round_ == 1 and preface is None:
        helper = offer.helper
        _say(gather, language, voice_texts.spoken(language, "greeting", name=helper.name))
    _say(gather, language, voice_texts.request_text(ticket, language))
    _say(gather, language, voice_texts.spoken(language, "options"))
    _say(gather, language, voice_texts.spoken(language, "options_stop"))
    response.redirect(url_for("dispatch_voice.answer", token=token, r=round_, empty=1))
    return response


def _end(language: str, *texts: str) -> VoiceResponse:
    response = VoiceResponse()
    for text in texts:
        _say(response, language, text)
    response.hangup()
    return response


def _details(ticket: Ticket, language: str) -> VoiceResponse:
    """The requester's details, said twice (the helper may need a pen the first time)."""
    details = voice_texts.details_text(ticket, language)
    repeat = voice_texts.spoken(language, "repeat")
    return _end(language, details, repeat, details, voice_texts.spoken(language, "goodbye"))


def opening(session: Session, offer: Offer) -> VoiceResponse:
    """What the helper hears when they pick up: the request, or why there is none now."""
    ticket = session.get(Ticket, offer.ticket_id)
    language = voice_texts.call_language(session.get(Helper, offer.helper_id))
    if offer.state == OfferState.ACCEPTED:
        return _details(ticket, language)
    if offer.state != OfferState.PENDING or ticket.status != TicketStatus.OPEN:
        return _end(language, voice_texts.spoken(language, "closed"))
    return _ask(offer, ticket, language, 1)


def answer(session: Session, offer: Offer, digits: str, round_: int) -> VoiceResponse:
    """The key the helper pressed ("" for none) after round ``round_`` of the question."""
    language = voice_texts.call_language(session.get(Helper, offer.helper_id))
    if digits == "1":
        result = accept(session, offer, send_details=False)  # the call says them
        if result.accepted or result.outcome == Outcome.ALREADY:
            return _details(result.ticket, language)
        key = "filled" if result.outcome == Outcome.TOO_LATE else "closed"
        return _end(language, voice_texts.spoken(language, key))
    if digits == "2" and offer.state == OfferState.PENDING:
        # Only a pending offer: a stray 2 must never withdraw an acceptance given by 1.
        decline(session, offer)
        return _end(
            language,
            voice_texts.spoken(language, "declined"),
            voice_texts.spoken(language, "goodbye"),
        )
    if digits == "9":
        # A helper without a mobile cannot text STOP: 9 is their STOP (every dispatch
        # message stops, open offers are withdrawn; a coordinator can sign them up again).
        opt_out(session, session.get(Helper, offer.helper_id))
        return _end(language, voice_texts.spoken(language, "stopped"))
    ticket = session.get(Ticket, offer.ticket_id)
    if offer.state != OfferState.PENDING or ticket.status != TicketStatus.OPEN:
        return _end(language, voice_texts.spoken(language, "closed"))
    if digits == "3":
        return _ask(offer, ticket, language, round_)
    invalid = voice_texts.spoken(language, "invalid") if digits else None
    if round_ >= ROUNDS:
        # No answer to the question: a mailbox, or someone who hung up. The offer stays
        # pending (and is asked once more when the call is over, see call_over).
        if invalid:
            return _end(language, invalid, voice_texts.spoken(language, "goodbye"))
        return _end(language, voice_texts.spoken(language, "no_input"))
    return _ask(offer, ticket, language, round_ + 1, invalid)

"""Dispatch's texts and calls, sent through the core pipeline (:mod:`hotline.core.messaging`).

Every message has a unique key (``offer:17``, ``standdown:17`` …): a second wave, a retried
job or a restarted worker finds the row and its state instead of sending again. Wave texts
(offers, stand-downs) and sign-up codes go on the bulk queue, sent round-robin over tickets;
what someone is waiting for right now (details after a yes, the requester's notice, the
coordinators' notices) on the default queue.

Helpers choose SMS, e-mail, both, or a phone call (:attr:`Helper.channels`; the call is
:mod:`dispatch.voice_offers`, kind :data:`OFFER_CALL`, key ``offer-call:<offer id>:<attempt>``). An offer, a stand-down and
the details after a yes go by each chosen channel that can reach the helper
(:func:`helper_channels`): e-mails under the text's key with ``email:`` in front
(``email:offer:17``), with the same accept link, through the same pipeline (the core's
mail transport). A helper whose chosen channels reach them by none (e-mail off, the
address unsubscribed or bounced) is texted instead, so nobody is silently dropped.

Dispatch's hooks for its kinds: just before sending, an offer whose ticket is no longer open
or whose helper paused or opted out is skipped, and offers and stand-downs of non-urgent
tickets wait for the end of quiet hours; an offer that cannot be delivered makes the offer
unreachable (and 21610 opts the helper out).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from dispatch.matching import dispatch_zone, in_quiet_hours, quiet_hours_end
from dispatch.models import (
    ContactChannel,
    Helper,
    HelperContact,
    HelperStatus,
    Offer,
    OfferState,
    Ticket,
    TicketStatus,
)
from hotline.core import messaging
from hotline.core.mail import mail_enabled, sender_address
from hotline.core.mail.addresses import normalise
from hotline.core.messaging import Channel, MessageState, OutboundMessage, Priority
from hotline.core.registry import Registry

#: Twilio error code: the recipient unsubscribed.
ERROR_UNSUBSCRIBED = 21610

OFFER = "dispatch_offer"
#: An offer asked by a phone call (call-only helpers, :mod:`dispatch.voice_offers`).
OFFER_CALL = "dispatch_offer_call"
STAND_DOWN = "dispatch_stand_down"
DETAILS = "dispatch_details"
REQUESTER = "dispatch_requester"
REQUESTER_CALL = "dispatch_requester_call"
COORDINATOR = "dispatch_coordinator"
SIGNUP_CODE = "dispatch_signup_code"
THANKS = "dispatch_thanks"
KINDS = (OFFER, STAND_DOWN, DETAILS, REQUESTER, REQUESTER_CALL, COORDINATOR, SIGNUP_CODE, THANKS)
#: Sent in bulk, fairly over tickets; the rest on the default queue.
BULK_KINDS = frozenset({OFFER, OFFER_CALL, STAND_DOWN, SIGNUP_CODE, THANKS})
#: Kinds that respect quiet hours (the rest answer something the person just did).
QUIET_KINDS = frozenset({OFFER, OFFER_CALL, STAND_DOWN, THANKS})
#: The kinds that ask a helper about an offer (skipped once the offer is answered).
OFFER_KINDS = frozenset({OFFER, OFFER_CALL})
#: Key prefix of notices delivered as a phone call instead of an SMS (landline requesters).
CALL_PREFIX = "call:"
#: Key prefix of messages sent by e-mail (``email:offer:17``).
EMAIL_PREFIX = "email:"


def helper_channels(
    helper: Helper | HelperContact, blocked: set[str] | None = None
) -> list[Channel]:
    """The channels ``helper`` is asked by now: the chosen ones that can reach them.
    E-mail needs e-mail to be on, an address, and the address not on ``blocked`` (the
    unsubscribed or unreachable addresses, :func:`hotline.core.mail.addresses.blocked_addresses`).
    Without any, the helper is texted: they signed up with their number. A call-only helper
    (often on a landline) is called, never texted."""
    chosen: list[Channel] = []
    for code in helper.channels:
        if code == ContactChannel.SMS.value:
            chosen.append(Channel.SMS)
        elif code == ContactChannel.CALL.value:
            chosen.append(Channel.CALL)
        elif (
            code == ContactChannel.EMAIL.value
            and helper.email
            and mail_enabled()
            and normalise(helper.email) not in (blocked or set())
        ):
            chosen.append(Channel.EMAIL)
    return chosen or [Channel.SMS]


def keys_of(key: str) -> list[str]:
    """The keys a message of a helper may have been sent under, one per channel."""
    return [key, EMAIL_PREFIX + key]


def sender_number() -> str:
    return current_app.config.get("DISPATCH_SMS_FROM") or "Rufbereit"


def caller_id() -> str:
    """The number dispatch's calls come from: ``DISPATCH_CALL_FROM``, else the texts' sender
    when that is a number (a Messaging Service SID or a sender name cannot place a call)."""
    own = current_app.config.get("DISPATCH_CALL_FROM")
    if own:
        return own
    sender = sender_number()
    return sender if sender.startswith("+") else ""


def offer_link(token: str) -> str:
    """The accept link of an offer, the same in its SMS and its e-mail."""
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    return f"{base}/d/{token}"


def ticket_batch(ticket_id: int) -> str:
    """The batch of a ticket's messages: bulk texts are sent round-robin over these."""
    return f"ticket:{ticket_id}"


def _refs(**ids: int | None) -> dict[str, Any]:
    return {name: value for name, value in ids.items() if value is not None}


def queue_text(
    session: Session,
    kind: str,
    key: str,
    to: str,
    body: str,
    *,
    ticket_id: int | None = None,
    offer_id: int | None = None,
    helper_id: int | None = None,
) -> OutboundMessage:
    """Store a text under ``key`` unless one with that key exists (then return that one);
    it is sent after the commit."""
    return messaging.queue(
        session,
        kind=kind,
        key=key,
        to=to,
        body=body,
        sender=sender_number(),
        priority=Priority.BULK if kind in BULK_KINDS else Priority.DEFAULT,
        batch=ticket_batch(ticket_id) if ticket_id is not None else None,
        refs=_refs(ticket_id=ticket_id, offer_id=offer_id, helper_id=helper_id),
    )


def queue_mail(
    session: Session,
    kind: str,
    key: str,
    to: str,
    subject: str,
    body: str,
    *,
    ticket_id: int | None = None,
    offer_id: int | None = None,
    helper_id: int | None = None,
) -> OutboundMessage:
    """Store an e-mail under ``email:`` + ``key`` unless it exists; sent after the commit."""
    return messaging.queue(
        session,
        kind=kind,
        key=EMAIL_PREFIX + key,
        to=to,
        body=body,
        subject=subject,
        sender=sender_address(),
        channel=Channel.EMAIL,
        priority=Priority.BULK if kind in BULK_KINDS else Priority.DEFAULT,
        batch=ticket_batch(ticket_id) if ticket_id is not None else None,
        refs=_refs(ticket_id=ticket_id, offer_id=offer_id, helper_id=helper_id),
    )


def queue_offer_mails(
    session: Session,
    ticket_id: int,
    mails: list[tuple[int, int, str, tuple[str, str]]],
    now: dt.datetime,
) -> list[int]:
    """A wave's offer e-mails in one statement: ``(offer id, helper id, address, (subject,
    text))`` each."""
    return messaging.queue_many(
        session,
        [
            messaging.Draft(
                key=f"{EMAIL_PREFIX}offer:{offer_id}",
                to=to,
                body=body,
                subject=subject,
                refs=_refs(ticket_id=ticket_id, offer_id=offer_id, helper_id=helper_id),
            )
            for offer_id, helper_id, to, (subject, body) in mails
        ],
        kind=OFFER,
        sender=sender_address(),
        channel=Channel.EMAIL,
        priority=Priority.BULK,
        batch=ticket_batch(ticket_id),
        now=now,
    )


def queue_call(session: Session, kind: str, key: str, to: str, url: str, ticket_id: int) -> None:
    """A short notice call whose TwiML the provider fetches from ``url``."""
    messaging.queue(
        session,
        kind=kind,
        key=key,
        to=to,
        body=url,
        sender=caller_id(),
        channel=Channel.CALL,
        batch=ticket_batch(ticket_id),
        refs=_refs(ticket_id=ticket_id),
    )


def queue_offer_texts(
    session: Session, ticket_id: int, texts: list[tuple[int, int, str, str]], now: dt.datetime
) -> list[int]:
    """A wave's offers in one statement: ``(offer id, helper id, number, text)`` each."""
    return messaging.queue_many(
        session,
        [
            messaging.Draft(
                key=f"offer:{offer_id}",
                to=to,
                body=body,
                refs=_refs(ticket_id=ticket_id, offer_id=offer_id, helper_id=helper_id),
            )
            for offer_id, helper_id, to, body in texts
        ],
        kind=OFFER,
        sender=sender_number(),
        priority=Priority.BULK,
        batch=ticket_batch(ticket_id),
        now=now,
    )


# -- hooks (registered by dispatch.init_app) ---------------------------------------------------


def still_wanted(
    session: Session, message: OutboundMessage, now: dt.datetime
) -> str | dt.datetime | None:
    """Why this message should not go out (any more), when to send it instead, or None."""
    refs = message.refs or {}
    helper = session.get(Helper, refs["helper_id"]) if refs.get("helper_id") else None
    if helper is not None and helper.status == HelperStatus.OPTED_OUT:
        return "helper opted out"
    ticket = session.get(Ticket, refs["ticket_id"]) if refs.get("ticket_id") else None
    if message.kind in OFFER_KINDS:
        offer = session.get(Offer, refs["offer_id"]) if refs.get("offer_id") else None
        if offer is None or ticket is None:
            return "offer gone"
        if offer.state != OfferState.PENDING or ticket.status != TicketStatus.OPEN:
            return "ticket no longer open"
        if helper is not None and helper.status != HelperStatus.ACTIVE:
            return "helper paused"
    if message.kind in QUIET_KINDS and not (ticket is not None and ticket.urgent):
        config = current_app.config
        zone = dispatch_zone()
        start, end = config["DISPATCH_QUIET_START"], config["DISPATCH_QUIET_END"]
        if in_quiet_hours(now, zone, start, end):
            return quiet_hours_end(now, zone, end)
    return None


def undelivered(session: Session, message: OutboundMessage) -> None:
    """A message that cannot be delivered: the offer is out. (On 21610 the core has put the
    number on the opt-out list, and dispatch's opt-out hook has opted the helper out.)"""
    refs = message.refs or {}
    if message.kind in OFFER_KINDS and refs.get("offer_id"):
        offer = session.get(Offer, refs["offer_id"])
        if offer is not None and offer.state == OfferState.PENDING:
            # Asked by SMS and e-mail: the offer is out only once no channel can deliver it.
            others = [
                m
                for key in keys_of(f"offer:{offer.id}")
                if key != message.key and (m := messaging.by_key(session, key)) is not None
            ]
            if any(m.state not in (MessageState.FAILED, MessageState.SKIPPED) for m in others):
                return
            offer.state = OfferState.UNREACHABLE


def register(registry: Registry) -> None:
    for kind in KINDS:
        registry.message_kind(kind, check=still_wanted, on_failed=undelivered)

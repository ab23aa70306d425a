"""Dispatch's texts and calls, sent through the core pipeline (:mod:`hotline.core.messaging`).

Every message has a unique key (``offer:17``, ``standdown:17`` …): a second wave, a retried
job or a restarted worker finds the row and its state instead of sending again. Wave texts
(offers, stand-downs) and sign-up codes go on the bulk queue, sent round-robin over tickets;
what someone is waiting for right now (details after a yes, the requester's notice, the
coordinators' notices) on the default queue.

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
from dispatch.models import Helper, HelperStatus, Offer, OfferState, Ticket, TicketStatus
from hotline.core import messaging
from hotline.core.messaging import Channel, OutboundMessage, Priority
from hotline.core.registry import Registry

#: Twilio error code: the recipient unsubscribed.
ERROR_UNSUBSCRIBED = 21610

OFFER = "dispatch_offer"
STAND_DOWN = "dispatch_stand_down"
DETAILS = "dispatch_details"
REQUESTER = "dispatch_requester"
REQUESTER_CALL = "dispatch_requester_call"
COORDINATOR = "dispatch_coordinator"
SIGNUP_CODE = "dispatch_signup_code"
KINDS = (OFFER, STAND_DOWN, DETAILS, REQUESTER, REQUESTER_CALL, COORDINATOR, SIGNUP_CODE)
#: Sent in bulk, fairly over tickets; the rest on the default queue.
BULK_KINDS = frozenset({OFFER, STAND_DOWN, SIGNUP_CODE})
#: Kinds that respect quiet hours (the rest answer something the person just did).
QUIET_KINDS = frozenset({OFFER, STAND_DOWN})
#: Key prefix of notices delivered as a phone call instead of an SMS (landline requesters).
CALL_PREFIX = "call:"


def sender_number() -> str:
    return current_app.config.get("DISPATCH_SMS_FROM") or "Rufbereit"


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


def queue_call(session: Session, kind: str, key: str, to: str, url: str, ticket_id: int) -> None:
    """A short notice call whose TwiML the provider fetches from ``url``."""
    messaging.queue(
        session,
        kind=kind,
        key=key,
        to=to,
        body=url,
        sender=sender_number(),
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
    if message.kind == OFFER:
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
    if message.kind == OFFER and refs.get("offer_id"):
        offer = session.get(Offer, refs["offer_id"])
        if offer is not None and offer.state == OfferState.PENDING:
            offer.state = OfferState.UNREACHABLE


def register(registry: Registry) -> None:
    for kind in KINDS:
        registry.message_kind(kind, check=still_wanted, on_failed=undelivered)

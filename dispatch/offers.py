"""What helpers do with an offer: accept, decline, withdraw; and opting out.

Accepting locks the ticket row (``SELECT … FOR UPDATE``) and counts the accepted offers
inside that lock, so however many helpers say yes at the same moment, exactly ``needed`` are
accepted; the rest are told the ticket is filled. The transition to *filled* happens once,
and with it the requester and coordinators are notified and everyone still pending is stood
down — each of those texts has a unique key, so nobody hears it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch import texts
from dispatch.models import Helper, Offer, OfferState, Ticket, TicketStatus
from dispatch.outbound import (
    CALL_PREFIX,
    COORDINATOR,
    DETAILS,
    REQUESTER,
    REQUESTER_CALL,
    STAND_DOWN,
    helper_channels,
    keys_of,
    offer_link,
    queue_call,
    queue_mail,
    queue_text,
)
from hotline.core import messaging
from hotline.core.mail.addresses import blocked_addresses
from hotline.core.models import Channel, MessageState, utcnow
from hotline.core.outbox import add_message
from hotline.core.phones import InvalidPhoneNumber, to_mobile_e164

#: No longer written: texts are sent after the commit that queued them. Rows and calls left
#: from before are handled as a no-op (see :func:`dispatch.jobs.outbox_drain`).
OUTBOX_DRAIN = "dispatch_drain"
#: Remove the ticket's scheduled waves from RQ (after the commit that filled or closed it).
OUTBOX_CANCEL_WAVES = "dispatch_cancel_waves"


class Outcome(str, Enum):
    ACCEPTED = "accepted"  # accepted; the ticket may still need more
    FILLED = "filled"  # accepted, and this was the last slot
    TOO_LATE = "too_late"  # the ticket was already filled
    ALREADY = "already"  # this helper had already answered that way
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"  # the ticket is closed, the link has expired
    NOT_ACCEPTED = "not_accepted"  # ABSAGE without an accepted offer


@dataclass
class Result:
    outcome: Outcome
    offer: Offer
    ticket: Ticket

    @property
    def accepted(self) -> bool:
        return self.outcome in (Outcome.ACCEPTED, Outcome.FILLED)


def offer_by_token(session: Session, token: str) -> Offer | None:
    if not token or len(token) > 64:
        return None
    return session.scalars(select(Offer).where(Offer.token == token)).first()


def _lock_ticket(session: Session, ticket_id: int) -> Ticket:
    return session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)


def accepted_count(session: Session, ticket_id: int) -> int:
    return session.scalar(
        select(func.count(Offer.id)).where(
            Offer.ticket_id == ticket_id, Offer.state == OfferState.ACCEPTED
        )
    )


def accept(session: Session, offer: Offer, send_details: bool = True) -> Result:
    """Accept ``offer`` if a slot is free; exactly ``needed`` acceptances per ticket.

    ``send_details=False`` when the answer to an SMS already carries the requester's details.
    """
    ticket = _lock_ticket(session, offer.ticket_id)
    session.refresh(offer)
    if offer.state == OfferState.ACCEPTED:
        return Result(Outcome.ALREADY, offer, ticket)
    if ticket.status == TicketStatus.CLOSED:
        return Result(Outcome.CLOSED, offer, ticket)
    now = utcnow()
    if ticket.status == TicketStatus.FILLED:
        if offer.state in (OfferState.PENDING, OfferState.STOOD_DOWN):
            offer.state = OfferState.TOO_LATE
            offer.responded_at = now
            _skip_unsent_stand_down(session, offer)
        return Result(Outcome.TOO_LATE, offer, ticket)
    count = accepted_count(session, ticket.id)
    offer.state = OfferState.ACCEPTED
    offer.responded_at = now
    if send_details:
        _send_details(session, offer, ticket, session.get(Helper, offer.helper_id))
    if count + 1 < ticket.needed:
        return Result(Outcome.ACCEPTED, offer, ticket)
    _filled(session, ticket, count + 1)
    return Result(Outcome.FILLED, offer, ticket)


def _skip_unsent_stand_down(session: Session, offer: Offer) -> None:
    """Whoever is told "filled" in answer to their yes needs no stand-down text as well."""
    messaging.skip_pending(session, keys_of(f"standdown:{offer.id}"))


def decline(session: Session, offer: Offer) -> Result:
    ticket = session.get(Ticket, offer.ticket_id)
    if offer.state == OfferState.DECLINED:
        return Result(Outcome.ALREADY, offer, ticket)
    if offer.state == OfferState.ACCEPTED:
        return withdraw(session, offer)
    if offer.state == OfferState.PENDING:
        offer.state = OfferState.DECLINED
        offer.responded_at = utcnow()
    return Result(Outcome.DECLINED, offer, ticket)


def withdraw(session: Session, offer: Offer) -> Result:
    """ABSAGE: give an accepted slot back; a filled ticket reopens and the waves go on."""
    ticket = _lock_ticket(session, offer.ticket_id)
    session.refresh(offer)
    if offer.state != OfferState.ACCEPTED:
        return Result(Outcome.NOT_ACCEPTED, offer, ticket)
    offer.state = OfferState.WITHDRAWN
    offer.responded_at = utcnow()
    if ticket.status == TicketStatus.CLOSED:
        return Result(Outcome.WITHDRAWN, offer, ticket)
    if ticket.status == TicketStatus.FILLED:
        ticket.status = TicketStatus.OPEN
        ticket.filled_at = None
    if ticket.waves_sent >= ticket.max_waves:
        ticket.max_waves = ticket.waves_sent + 1
    ticket.next_wave_at = utcnow()  # the sweep (or the job below) sends the next wave now
    for n, number in enumerate(current_app.config["DISPATCH_COORDINATOR_NUMBERS"]):
        queue_text(
            session,
            COORDINATOR,
            f"coordinator-withdrawn:{offer.id}:{n}",
            number,
            texts.sms("coordinator_withdrawn", "de", code=ticket.reference),
            ticket_id=ticket.id,
        )
    add_message(session, "dispatch_wave", {"ticket_id": ticket.id, "wave": ticket.waves_sent + 1})
    return Result(Outcome.WITHDRAWN, offer, ticket)


def details_text(offer: Offer, ticket: Ticket, language: str) -> str:
    from dispatch.helper_links import page_link
    from hotline.core.phones import pretty

    address = f"{ticket.address}. " if ticket.address else f"{ticket.postal_code} {ticket.place}. "
    details = texts.sms(
        "accepted",
        language,
        code=ticket.reference,
        name=ticket.requester_first_name or "-",
        phone=pretty(ticket.requester_phone) if ticket.requester_phone else "-",
        address=address,
    )
    # The thank-you carries the helper's own page, where they see and withdraw what they took.
    return f"{details} {texts.sms('your_page', language, link=page_link(offer.helper))}"


def details_mail(offer: Offer, ticket: Ticket, helper: Helper) -> tuple[str, str]:
    from hotline.core.phones import pretty

    address = ticket.address or f"{ticket.postal_code} {ticket.place}"
    return texts.email(
        "accepted",
        texts.helper_language(helper),
        helper=helper.name,
        code=ticket.reference,
        name=ticket.requester_first_name or "-",
        phone=pretty(ticket.requester_phone) if ticket.requester_phone else "-",
        address=address,
        link=offer_link(offer.token),
    )


def _channels(session: Session, helper: Helper) -> list[Channel]:
    blocked = blocked_addresses(session, [helper.email]) if helper.email else set()
    return helper_channels(helper, blocked)


def _send_details(session: Session, offer: Offer, ticket: Ticket, helper: Helper) -> None:
    key = f"details:{offer.id}:{offer.responded_at.timestamp():.0f}"
    ids = {"ticket_id": ticket.id, "offer_id": offer.id, "helper_id": helper.id}
    channels = _channels(session, helper)
    if Channel.SMS in channels:
        text = details_text(offer, ticket, texts.helper_language(helper))
        queue_text(session, DETAILS, key, helper.phone, text, **ids)
    if Channel.EMAIL in channels and helper.email:
        subject, body = details_mail(offer, ticket, helper)
        queue_mail(session, DETAILS, key, helper.email, subject, body, **ids)


def _filled(session: Session, ticket: Ticket, count: int) -> None:
    ticket.status = TicketStatus.FILLED
    ticket.filled_at = utcnow()
    ticket.next_wave_at = None
    add_message(session, OUTBOX_CANCEL_WAVES, {"ticket_id": ticket.id})
    stand_down_pending(session, ticket)
    if ticket.requester_phone and not _requester_told(session, ticket):
        _tell_requester(session, ticket)
    activity = texts.activity_name(ticket.activity.value, "de")
    numbers = list(current_app.config["DISPATCH_COORDINATOR_NUMBERS"])
    if ticket.organisation is not None and ticket.organisation.contact_phone:
        numbers.append(ticket.organisation.contact_phone)
    for n, number in enumerate(numbers):
        queue_text(
            session,
            COORDINATOR,
            f"coordinator-filled:{ticket.id}:{n}:{count}",
            number,
            texts.sms(
                "coordinator_filled",
                "de",
                code=ticket.reference,
                activity=activity,
                place=ticket.place,
                count=count,
                needed=ticket.needed,
            ),
            ticket_id=ticket.id,
        )


def _requester_keys(ticket: Ticket) -> tuple[str, str]:
    return f"requester:{ticket.id}", f"{CALL_PREFIX}requester:{ticket.id}"


def _requester_told(session: Session, ticket: Ticket) -> bool:
    return any(messaging.by_key(session, key) is not None for key in _requester_keys(ticket))


def _tell_requester(session: Session, ticket: Ticket) -> None:
    """Once per ticket: an SMS to a mobile number, a short call to a landline."""
    sms_key, call_key = _requester_keys(ticket)
    try:
        number = to_mobile_e164(ticket.requester_phone or "")
    except InvalidPhoneNumber:
        base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
        queue_call(
            session,
            REQUESTER_CALL,
            call_key,
            ticket.requester_phone or "",
            f"{base}/twilio/voice/intake/notify?ticket={ticket.id}",
            ticket.id,
        )
        return
    queue_text(
        session,
        REQUESTER,
        sms_key,
        number,
        texts.sms("requester_filled", texts.requester_language(ticket), code=ticket.reference),
        ticket_id=ticket.id,
    )


def stand_down_pending(session: Session, ticket: Ticket) -> int:
    """Tell everyone still pending that they are no longer needed; unsent offers are
    skipped instead (no "thank you" for a question never asked)."""
    offers = session.scalars(
        select(Offer).where(Offer.ticket_id == ticket.id, Offer.state == OfferState.PENDING)
    ).all()
    count = 0
    for offer in offers:
        offer.state = OfferState.STOOD_DOWN
        told = False
        # By each channel the offer went out on (SMS, e-mail): stood down the same way.
        for sent in _offer_messages_sent(session, offer):
            helper = session.get(Helper, offer.helper_id)
            ids = {"ticket_id": ticket.id, "offer_id": offer.id, "helper_id": helper.id}
            if sent.channel == Channel.EMAIL:
                subject, body = texts.email(
                    "stand_down",
                    texts.helper_language(helper),
                    name=helper.name,
                    code=ticket.reference,
                )
                queue_mail(
                    session, STAND_DOWN, f"standdown:{offer.id}", sent.to, subject, body, **ids
                )
            else:
                text = texts.sms("stand_down", texts.helper_language(helper), code=ticket.reference)
                queue_text(session, STAND_DOWN, f"standdown:{offer.id}", helper.phone, text, **ids)
            told = True
        count += told
    return count


def _offer_messages_sent(session: Session, offer: Offer) -> list[messaging.OutboundMessage]:
    """The offer's messages that went out (or may have); unsent ones are skipped here."""
    sent_ones = []
    for key in keys_of(f"offer:{offer.id}"):
        sent = messaging.by_key(session, key)
        if sent is None or sent.state == MessageState.SKIPPED:
            continue
        # Conditional: a worker may have claimed the offer message since it was read.
        if messaging.skip_pending(session, [sent.key]):
            continue
        session.refresh(sent)
        if sent.state in (MessageState.FAILED, MessageState.SKIPPED):
            continue
        sent_ones.append(sent)
    return sent_ones


def open_offers(session: Session, helper: Helper) -> list[Offer]:
    """Offers the helper may still answer (pending, on open tickets), newest first."""
    return list(
        session.scalars(
            select(Offer)
            .join(Ticket, Ticket.id == Offer.ticket_id)
            .where(
                Offer.helper_id == helper.id,
                Offer.state == OfferState.PENDING,
                Ticket.status == TicketStatus.OPEN,
            )
            .order_by(Offer.created_at.desc(), Offer.id.desc())
        )
    )

"""A thank-you once a help is done: each helper who accepted a ticket that was filled is
thanked by text or e-mail (their chosen channels) after the ticket's window has passed,
with the link to their own page, where their helps and the certificate of engagement are.

A help counts as done by the rule the certificate uses (:mod:`dispatch.certificates`): the
offer accepted, the ticket filled, its window over, and not closed before the window
ended. A periodic job looks back :data:`LOOKBACK` (a worker that was down for a day still
thanks everyone) and queues one message per offer under the key ``thanks:<offer id>``, so
a second run, a second worker or a restart never thanks anyone twice. Thank-yous are bulk
texts and wait for the end of quiet hours like the offers: nobody is woken to be thanked.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, and_, cast, exists, literal, or_, select
from sqlalchemy.orm import Session

from dispatch import texts
from dispatch.helper_links import page_link
from dispatch.models import Helper, HelperStatus, Offer, OfferState, Ticket, TicketStatus
from dispatch.outbound import EMAIL_PREFIX, THANKS, helper_channels, queue_mail, queue_text
from dispatch.waves import when_text
from hotline.core.extensions import db
from hotline.core.mail.addresses import blocked_addresses
from hotline.core.models import Channel, OutboundMessage, utcnow
from hotline.core.worker import app_context

#: How far back the job looks for helps whose window ended.
LOOKBACK = dt.timedelta(days=3)
#: How often it looks.
INTERVAL = dt.timedelta(minutes=15)


def thanks_key(offer_id: int) -> str:
    return f"thanks:{offer_id}"


def due(session: Session, now: dt.datetime) -> list[int]:
    """Offers whose help is done and whose helper has not been thanked for it yet."""
    offer_key = cast(Offer.id, String)
    thanked = exists().where(
        OutboundMessage.key.in_(
            [literal("thanks:") + offer_key, literal(EMAIL_PREFIX + "thanks:") + offer_key]
        )
    )
    return list(
        session.scalars(
            select(Offer.id)
            .join(Ticket, Ticket.id == Offer.ticket_id)
            .where(
                Offer.state == OfferState.ACCEPTED,
                Ticket.filled_at.is_not(None),
                Ticket.window_end <= now,
                Ticket.window_end > now - LOOKBACK,
                or_(
                    Ticket.status == TicketStatus.FILLED,
                    and_(
                        Ticket.status == TicketStatus.CLOSED,
                        Ticket.closed_at >= Ticket.window_end,
                    ),
                ),
                ~thanked,
            )
            .order_by(Offer.id)
        )
    )


def thank(session: Session, offer_id: int) -> list[Channel]:
    """Queue the thank-you for ``offer_id`` by the helper's channels (texts and e-mails
    only: nobody is phoned to be thanked); the channels used, none for a helper who opted
    out or can be reached by neither. Sent after the caller's commit."""
    offer = session.get(Offer, offer_id)
    if offer is None or offer.state != OfferState.ACCEPTED:
        return []
    helper, ticket = session.get(Helper, offer.helper_id), session.get(Ticket, offer.ticket_id)
    if helper is None or ticket is None or helper.status == HelperStatus.OPTED_OUT:
        return []
    blocked = blocked_addresses(session, [helper.email]) if helper.email else set()
    channels = [c for c in helper_channels(helper, blocked) if c in (Channel.SMS, Channel.EMAIL)]
    language = texts.helper_language(helper)
    values = {
        "activity": texts.activity_name(ticket.activity.value, language),
        "when": when_text(ticket, language),
        "code": ticket.reference,
        "link": page_link(helper),
    }
    refs = {"ticket_id": ticket.id, "offer_id": offer.id, "helper_id": helper.id}
    for channel in channels:
        if channel == Channel.EMAIL:
            subject, body = texts.email("thanks", language, name=helper.name, **values)
            queue_mail(
                session, THANKS, thanks_key(offer.id), helper.email or "", subject, body, **refs
            )
        else:
            body = texts.sms("thanks", language, **values)
            queue_text(session, THANKS, thanks_key(offer.id), helper.phone, body, **refs)
    return channels


def thank_done_helps(session: Session, now: dt.datetime) -> int:
    """Queue a thank-you for every help done and not yet thanked; the number of helps."""
    offers = due(session, now)
    for offer_id in offers:
        thank(session, offer_id)
    return len(offers)


def thanks_job() -> str:
    """The periodic job: one commit for the run; the messages are sent after it."""
    with app_context():
        session = db.new_session()
        try:
            count = thank_done_helps(session, utcnow())
            session.commit()
        finally:
            session.close()
    return f"thanked for {count} help(s)"

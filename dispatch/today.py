"""Dispatch's panel on the Today page: tickets that need a person.

Three reasons a coordinator has to step in (or at least know):

* **unfilled after the last wave**: every wave went out, its time is up, and the ticket
  still lacks helpers (:func:`dispatch.waves.send_wave` sets ``waves_sent`` past
  ``max_waves`` and texts the coordinators);
* **waiting for the end of quiet hours**: during quiet hours no non-urgent ticket asks
  anyone, so an open ticket with waves still to send waits until the quiet hours end
  (shown with that time);
* **helpers unreachable**: an offer text could not be delivered (the offer is
  ``unreachable``) or its sending was cut and nobody knows whether it arrived
  (``uncertain``, never re-sent automatically), on a ticket that is still open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from dispatch import texts
from dispatch.matching import dispatch_zone, in_quiet_hours, quiet_hours_end
from dispatch.models import Offer, OfferState, Ticket, TicketStatus
from dispatch.offers import accepted_count
from dispatch.outbound import OFFER
from hotline.core.i18n import N_, current_language
from hotline.core.models import MessageState, OutboundMessage, Role, User
from hotline.core.registry import Registry


@dataclass
class Unreached:
    offer: Offer
    #: ``"unreachable"`` (not delivered) or ``"uncertain"`` (sending cut, may have arrived).
    why: str


@dataclass
class NeedsPerson:
    unfilled: list[tuple[Ticket, int]] = field(default_factory=list)  # (ticket, accepted)
    quiet: list[Ticket] = field(default_factory=list)
    quiet_until: dt.datetime | None = None
    unreachable: list[Unreached] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.unfilled or self.quiet or self.unreachable)


def needs_person(session: Session, now: dt.datetime) -> NeedsPerson:
    """The open tickets a coordinator should look at now, by reason."""
    result = NeedsPerson()
    open_tickets = session.scalars(
        select(Ticket).where(Ticket.status == TicketStatus.OPEN).order_by(Ticket.created_at)
    ).all()
    for ticket in open_tickets:
        if ticket.waves_sent > ticket.max_waves:
            result.unfilled.append((ticket, accepted_count(session, ticket.id)))
    config = current_app.config
    zone = dispatch_zone()
    start, end = config["DISPATCH_QUIET_START"], config["DISPATCH_QUIET_END"]
    if in_quiet_hours(now, zone, start, end):
        result.quiet_until = quiet_hours_end(now, zone, end)
        # The last wave's "still unfilled" check is not held back by quiet hours; only
        # waves still to send are.
        result.quiet = [t for t in open_tickets if not t.urgent and t.waves_sent < t.max_waves]
    unreachable = session.scalars(
        select(Offer)
        .options(joinedload(Offer.ticket), joinedload(Offer.helper))
        .join(Ticket, Ticket.id == Offer.ticket_id)
        .where(Offer.state == OfferState.UNREACHABLE, Ticket.status == TicketStatus.OPEN)
        .order_by(Offer.created_at)
    ).all()
    result.unreachable = [Unreached(o, "unreachable") for o in unreachable]
    uncertain = session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.kind == OFFER, OutboundMessage.state == MessageState.UNCERTAIN
        )
    ).all()
    offer_ids = [m.refs.get("offer_id") for m in uncertain if (m.refs or {}).get("offer_id")]
    if offer_ids:
        for offer in session.scalars(
            select(Offer)
            .options(joinedload(Offer.ticket), joinedload(Offer.helper))
            .join(Ticket, Ticket.id == Offer.ticket_id)
            .where(
                Offer.id.in_(offer_ids),
                Offer.state == OfferState.PENDING,
                Ticket.status == TicketStatus.OPEN,
            )
            .order_by(Offer.created_at)
        ):
            result.unreachable.append(Unreached(offer, "uncertain"))
    return result


def render_needs_person(session: Session, user: User, now: dt.datetime) -> str:
    found = needs_person(session, now)
    if not found:
        return ""
    language = current_language()
    return render_template(
        "dispatch/today_needs_person.html",
        found=found,
        activity_name=lambda code: texts.activity_name(code, language),
    )


def register(registry: Registry) -> None:
    registry.panel(
        "today",
        "tickets",
        N_("Tickets, die eine Person brauchen"),
        render_needs_person,
        Role.COORDINATOR.value,
        order=50,
        refresh_seconds=60,
    )

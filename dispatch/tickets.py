"""Tickets: one help request each, created by phone intake, an operator or an organisation.

Creating a ticket stores a ``dispatch_start`` outbox row in the same transaction, so the
call-out starts after the commit, or later from the outbox sweep if Redis is down: a
caller who has heard their reference number is never forgotten.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import Activity, Organisation, Ticket, TicketSource, TicketStatus
from dispatch.postcodes import UnknownPostalCode, lookup
from hotline.core.errors import DomainError, FieldErrors
from hotline.core.models import utcnow
from hotline.core.outbox import add_message

OUTBOX_START = "dispatch_start"


class InvalidTicket(FieldErrors):
    """A call-out that cannot be stored; refusals by field."""


@dataclass
class TicketRequest:
    activity: str
    postal_code: str
    window_start: dt.datetime
    window_end: dt.datetime
    needed: int = 1
    description: str = ""
    languages: tuple[str, ...] = ("de",)
    urgent: bool = False
    requester_first_name: str = ""
    requester_phone: str | None = None
    address: str = ""
    recording_url: str | None = None
    call_sid: str | None = None


def window_for(when: str, now: dt.datetime, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC window meant by "today", "tomorrow" or "this week" in local time ``zone``."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    midnight = dt.datetime.combine(local.date(), dt.time(0), tz)
    if when == "today":
        start, end = local, midnight + dt.timedelta(days=1)
    elif when == "tomorrow":
        start = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tz)
        end = start + dt.timedelta(days=1)
    elif when == "week":
        days_left = 7 - local.weekday()
        start, end = local, midnight + dt.timedelta(days=days_left)
    else:
        raise InvalidTicket({"when": DomainError("ticket_when_unknown", when=when)})
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _reference(session: Session) -> str:
    """Six random digits, unique among tickets; short enough to say on the phone."""
    for _ in range(20):
        ref = f"{secrets.randbelow(900000) + 100000}"
        if session.scalars(select(Ticket.id).where(Ticket.reference == ref)).first() is None:
            return ref
    raise RuntimeError("could not find a free ticket reference")


def create_ticket(
    session: Session,
    request: TicketRequest,
    source: TicketSource,
    max_waves: int = 3,
    organisation: Organisation | None = None,
) -> Ticket:
    """Validate and store a ticket, and queue the start of its call-out (outbox)."""
    errors: dict[str, DomainError] = {}
    try:
        activity = Activity(request.activity)
    except ValueError:
        errors["activity"] = DomainError("ticket_activity_unknown", activity=request.activity)
    try:
        place = lookup(request.postal_code)
    except UnknownPostalCode as exc:
        errors["postal_code"] = exc
    if not 1 <= request.needed <= 50:
        errors["needed"] = DomainError("ticket_needed_out_of_range")
    if request.window_end <= request.window_start:
        errors["window"] = DomainError("ticket_window_reversed")
    if source == TicketSource.ORGANISATION and (organisation is None or not organisation.approved):
        errors["organisation"] = DomainError("ticket_organisation_not_approved")
    if errors:
        raise InvalidTicket(errors)
    ticket = Ticket(
        reference=_reference(session),
        source=source,
        organisation_id=organisation.id if organisation else None,
        call_sid=request.call_sid,
        activity=activity,
        postal_code=place.postal_code,
        place=place.name,
        lat=place.lat,
        lon=place.lon,
        window_start=request.window_start,
        window_end=request.window_end,
        needed=request.needed,
        description=request.description.strip(),
        urgent=request.urgent,
        requester_first_name=request.requester_first_name.strip(),
        requester_phone=request.requester_phone,
        address=request.address.strip(),
        recording_url=request.recording_url,
        status=TicketStatus.OPEN,
        max_waves=max_waves,
    )
    ticket.languages = list(request.languages) or ["de"]
    session.add(ticket)
    session.flush()
    add_message(session, OUTBOX_START, {"ticket_id": ticket.id})
    return ticket


def close_ticket(session: Session, ticket: Ticket) -> None:
    """Close a ticket by hand: its accept links stop working and pending offers stand down."""
    from dispatch.offers import OUTBOX_CANCEL_WAVES, stand_down_pending

    if ticket.status == TicketStatus.CLOSED:
        return
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = utcnow()
    ticket.next_wave_at = None
    add_message(session, OUTBOX_CANCEL_WAVES, {"ticket_id": ticket.id})
    stand_down_pending(session, ticket)


def organisation_tickets(session: Session, organisation_id: int, limit: int = 100) -> list[Ticket]:
    """An organisation's own call-outs, newest first (what its members may see)."""
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.organisation_id == organisation_id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit)
        )
    )

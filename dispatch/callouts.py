"""Open call-outs for everyone to see: what is needed, roughly where, when, and how many
helpers are still missing, searchable by distance around a postal code.

Nothing personal ever leaves this module: no requester's name, phone or address, no
description (free text may name a person), only the postal code area and place. The same
list feeds the public page, the page a municipality embeds and the JSON feed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from dispatch.models import Activity, Offer, OfferState, Ticket, TicketStatus
from dispatch.postcodes import bounding_box, distance_km, lookup

MAX_RADIUS_KM = 100
MAX_RESULTS = 200


@dataclass(frozen=True)
class PublicCallout:
    reference: str
    activity: str
    postal_code: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    still_needed: int
    distance_km: float | None

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["starts_at"] = self.starts_at.isoformat()
        data["ends_at"] = self.ends_at.isoformat()
        if self.distance_km is not None:
            data["distance_km"] = round(self.distance_km, 1)
        return data


@dataclass(frozen=True)
class Search:
    """A search of the open call-outs; every part optional."""

    postal_code: str | None = None
    radius_km: float = 10
    activity: Activity | None = None
    day: dt.date | None = None


def open_callouts(
    session: Session, search: Search, now: dt.datetime, zone: dt.tzinfo
) -> list[PublicCallout]:
    """The open call-outs matching ``search``, nearest (or soonest) first.

    With a postal code, a bounding box on (lat, lon) narrows the rows before the exact
    great-circle distance decides; ``day`` is a calendar day in ``zone``. Raises
    :class:`dispatch.postcodes.UnknownPostalCode` for a code not in the table.
    """
    # Counted per returned ticket (the offers' ticket index), not over every accepted offer
    # ever made: the page stays fast however long the product has been running.
    accepted = (
        select(func.count(Offer.id))
        .where(Offer.ticket_id == Ticket.id, Offer.state == OfferState.ACCEPTED)
        .correlate(Ticket)
        .scalar_subquery()
    )
    stmt = select(Ticket, accepted).where(
        Ticket.status == TicketStatus.OPEN, Ticket.window_end > now
    )
    centre = None
    radius = min(max(float(search.radius_km), 1.0), MAX_RADIUS_KM)
    if search.postal_code:
        place = lookup(search.postal_code)
        centre = (place.lat, place.lon)
        min_lat, max_lat, min_lon, max_lon = bounding_box(place.lat, place.lon, radius)
        stmt = stmt.where(
            and_(Ticket.lat.between(min_lat, max_lat), Ticket.lon.between(min_lon, max_lon))
        )
        # Nearest first already in the database (a flat-earth distance, exact enough to rank
        # within 100 km), so the rows cut off by the limit are the farthest, never near ones;
        # the exact great-circle distance below decides the radius and the final order.
        shrink = math.cos(math.radians(place.lat))
        d_lat = Ticket.lat - place.lat
        d_lon = (Ticket.lon - place.lon) * shrink
        stmt = stmt.order_by(d_lat * d_lat + d_lon * d_lon, Ticket.window_start, Ticket.id)
    else:
        stmt = stmt.order_by(Ticket.window_start, Ticket.id)
    if search.activity is not None:
        stmt = stmt.where(Ticket.activity == search.activity)
    if search.day is not None:
        start = dt.datetime.combine(search.day, dt.time(), zone)
        end = start + dt.timedelta(days=1)
        stmt = stmt.where(Ticket.window_start < end, Ticket.window_end > start)
    found = []
    for ticket, accepted_count in session.execute(stmt.limit(MAX_RESULTS * 4)):
        still = ticket.needed - accepted_count
        if still <= 0:
            continue
        distance = distance_km(centre[0], centre[1], ticket.lat, ticket.lon) if centre else None
        if distance is not None and distance > radius:
            continue
        found.append(
            PublicCallout(
                reference=ticket.reference,
                activity=ticket.activity.value,
                postal_code=ticket.postal_code,
                place=ticket.place,
                starts_at=ticket.window_start,
                ends_at=ticket.window_end,
                still_needed=still,
                distance_km=distance,
            )
        )
    if centre is not None:
        found.sort(key=lambda c: (c.distance_km, c.starts_at))
    return found[:MAX_RESULTS]

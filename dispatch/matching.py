"""Who may be asked about a ticket, and in which order.

A helper matches when they do the activity, speak one of the requester's languages, live
within their own radius of the ticket's postal code, are available in the ticket's time
window, are under their weekly cap, are active and hold every training the activity
requires (:mod:`dispatch.trainings`). The database narrows the candidates with the grid
cells (:data:`dispatch.models.CELL_SQL`) the ticket's bounding box covers, the box itself
and the cheap filters, and ranks them; the exact distance and availability are checked
here.

Ranking is fairness first: whoever was asked least recently comes first (never asked before
anyone), then nearer helpers (in 5 km bands), and remaining ties are broken at random, so
over many tickets every eligible helper is asked about equally often.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Integer,
    all_,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from dispatch.models import CELL_ROW, CELLS_PER_DEGREE, Helper, HelperStatus, Offer, Ticket
from dispatch.postcodes import bounding_box, distance_km
from dispatch.trainings import required_for
from hotline.core.bulk import among

DISTANCE_BAND_KM = 5.0
KM_PER_DEGREE = 111.2
SLACK_KM = 1.0  # the exact haversine check below has the last word
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)
_SHUFFLE_MODULUS = 1_000_003  # a prime: id × seed mod p visits the ids in a scrambled order


@dataclass(frozen=True)
class Match:
    helper_id: int
    distance_km: float
    last_asked_at: dt.datetime | None


def in_quiet_hours(now: dt.datetime, zone: str, start_hour: int = 21, end_hour: int = 8) -> bool:
    """True between ``start_hour`` and ``end_hour`` local time (no SMS then)."""
    hour = now.astimezone(ZoneInfo(zone)).hour
    if start_hour > end_hour:
        return hour >= start_hour or hour < end_hour
    return start_hour <= hour < end_hour


def quiet_hours_end(now: dt.datetime, zone: str, end_hour: int = 8) -> dt.datetime:
    """The next ``end_hour`` o'clock local time after ``now`` (when quiet hours are over)."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    candidate = dt.datetime.combine(local.date(), dt.time(end_hour), tz)
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(end_hour), tz)
    return candidate.astimezone(dt.UTC)


def available(
    availability: dict[str, list[list[str]]],
    start: dt.datetime,
    end: dt.datetime,
    zone: str,
) -> bool:
    """Does any weekly window overlap [start, end)? No windows at all means "any time"."""
    if not availability:
        return True
    tz = ZoneInfo(zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = local_start.date()
    while day <= local_end.date():
        for window_start, window_end in availability.get(str(day.weekday()), ()):
            w_start = dt.datetime.combine(day, dt.time.fromisoformat(window_start), tz)
            w_end = (
                dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tz)
                if window_end == "24:00"
                else dt.datetime.combine(day, dt.time.fromisoformat(window_end), tz)
            )
            if w_start < local_end and local_start < w_end:
                return True
        day += dt.timedelta(days=1)
    return False


def cell_of(lat: float, lon: float) -> int:
    """The grid cell of a point, as the generated column ``dispatch_helpers.cell`` has it."""
    return math.floor(lat * CELLS_PER_DEGREE) * CELL_ROW + math.floor(lon * CELLS_PER_DEGREE)


def cells_in_box(min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> list[int]:
    """Every cell a point of the box can lie in (floor is monotonic, so the cells of the
    corners bound them): about 160 for a 50 km box in Germany."""
    return [cell for cell, _south, _west in _cells(min_lat, max_lat, min_lon, max_lon)]


def _cells(
    min_lat: float, max_lat: float, min_lon: float, max_lon: float
) -> list[tuple[int, float, float]]:
    """``(cell, south edge, west edge)`` of every cell the box touches."""
    rows = range(math.floor(min_lat * CELLS_PER_DEGREE), math.floor(max_lat * CELLS_PER_DEGREE) + 1)
    columns = range(
        math.floor(min_lon * CELLS_PER_DEGREE), math.floor(max_lon * CELLS_PER_DEGREE) + 1
    )
    return [
        (row * CELL_ROW + column, row / CELLS_PER_DEGREE, column / CELLS_PER_DEGREE)
        for row in rows
        for column in columns
    ]


def reach_of_cells(ticket: Ticket, max_radius_km: float) -> list[tuple[int, int]]:
    """``(cell, least radius)`` for the cells of the ticket's box: a helper in that cell can
    pass the flat-earth distance filter of :func:`_within_reach` only with a radius of at
    least the cell's nearest flat distance to the ticket minus the slack, so a far cell is
    read for the few helpers who go that far, not for all of its helpers."""
    lon_km = KM_PER_DEGREE * math.cos(math.radians(ticket.lat))
    step = 1 / CELLS_PER_DEGREE
    reach = []
    for cell, south, west in _cells(*bounding_box(ticket.lat, ticket.lon, max_radius_km)):
        # The flat distance from the ticket to the nearest point of the cell (0 inside it).
        dlat = max(south - ticket.lat, 0.0, ticket.lat - (south + step))
        dlon = max(west - ticket.lon, 0.0, ticket.lon - (west + step))
        nearest = math.sqrt((dlat * KM_PER_DEGREE) ** 2 + (dlon * lon_km) ** 2)
        # A whole number of km (radius_km is an integer), rounded down and a hair under, so
        # float rounding never drops a helper the filter would keep.
        reach.append((cell, max(0, math.floor(nearest - SLACK_KM - 1e-6))))
    return reach


def _within_reach(
    session: Session,
    ticket: Ticket,
    now: dt.datetime,
    max_radius_km: float,
    seed: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Match]:
    """Helpers who match ``ticket`` on everything but availability and the weekly cap (see
    :func:`_free`), not yet asked about it.

    Reads only columns of the covering index ``ix_dispatch_helpers_cell`` on (cell,
    radius_km) (PostgreSQL: an index-only scan of the box's cells, each from the least
    radius that can reach the ticket from there (:func:`reach_of_cells`); no visit to the
    helpers' rows, which lie scattered over the table in sign-up order, and no band of
    latitude across the country as a (lat, lon) range would read); availability, a JSON
    document, is read afterwards for the few helpers a wave actually needs
    (:func:`match_list`).
    """
    min_lat, max_lat, min_lon, max_lon = bounding_box(ticket.lat, ticket.lon, max_radius_km)
    asked = select(Offer.helper_id).where(Offer.ticket_id == ticket.id)
    lon_km = KM_PER_DEGREE * math.cos(math.radians(ticket.lat))
    languages = ticket.languages or ["de"]
    stmt = select(
        Helper.id,
        Helper.lat,
        Helper.lon,
        Helper.radius_km,
        Helper.last_asked_at,
    )
    if session.get_bind().dialect.name == "postgresql":
        # One bounded range of the index per cell: (cell, radius_km >= the cell's least).
        reach = reach_of_cells(ticket, max_radius_km)
        cells = (
            func.unnest(
                literal([c for c, _ in reach], ARRAY(Integer)),
                literal([r for _, r in reach], ARRAY(Integer)),
            )
            .table_valued(column("cell", Integer), column("least_radius", Integer))
            .render_derived(name="reach_cells")
        )  # two array parameters: the statement's text (and its compiled form) stay the same
        stmt = stmt.join(
            cells,
            and_(Helper.cell == cells.c.cell, Helper.radius_km >= cells.c.least_radius),
        )
        # The helpers asked already as one array, read once before the scan (an InitPlan):
        # as ``NOT IN (subquery)`` the planner costs the subquery again for every cell's
        # range of the index, and once the offers table is large it prefers reading all
        # helpers (150 ms instead of 10 ms for a city ticket).
        asked_ids = asked.with_only_columns(
            func.coalesce(func.array_agg(Offer.helper_id), literal([], ARRAY(Integer)))
        )
        not_asked = Helper.id != all_(cast(asked_ids.scalar_subquery(), ARRAY(Integer)))
    else:
        stmt = stmt.where(Helper.cell.in_(cells_in_box(min_lat, max_lat, min_lon, max_lon)))
        not_asked = Helper.id.not_in(asked)
    stmt = stmt.where(
        Helper.status == HelperStatus.ACTIVE,
        and_(Helper.lat >= min_lat, Helper.lat <= max_lat),
        and_(Helper.lon >= min_lon, Helper.lon <= max_lon),
        Helper.activity_codes.like(f"%,{ticket.activity.value},%"),
        or_(*(Helper.language_codes.like(f"%,{code},%") for code in languages)),
        # Equirectangular distance, good to well under 1 % at these ranges: lets the database
        # drop helpers outside their own radius before anything else is looked at.
        (Helper.lat - ticket.lat) * (Helper.lat - ticket.lat) * KM_PER_DEGREE**2
        + (Helper.lon - ticket.lon) * (Helper.lon - ticket.lon) * lon_km**2
        <= (Helper.radius_km + SLACK_KM) * (Helper.radius_km + SLACK_KM),
        not_asked,
        *required_for(session, ticket.activity, help_day(ticket)),
    )
    if seed is not None:
        # The ranking of :func:`rank`, done by the database so only the first few rows travel:
        # never asked first, then least recently asked, then 5 km distance bands (by the
        # squared flat-earth distance, so no square root is needed), then a shuffle that is
        # fixed for this ticket (``seed``) and different for the next.
        squared = (Helper.lat - ticket.lat) * (Helper.lat - ticket.lat) * KM_PER_DEGREE**2 + (
            Helper.lon - ticket.lon
        ) * (Helper.lon - ticket.lon) * lon_km**2
        bands = int(max_radius_km // DISTANCE_BAND_KM) + 1
        band = case(
            *((squared < ((b + 1) * DISTANCE_BAND_KM) ** 2, b) for b in range(bands)),
            else_=bands,
        )
        shuffle = (cast(Helper.id, BigInteger) * seed + ticket.id) % _SHUFFLE_MODULUS
        stmt = stmt.order_by(
            Helper.last_asked_at.is_not(None), Helper.last_asked_at, band, shuffle, Helper.id
        )
        stmt = stmt.offset(offset).limit(limit)
    result = []
    for helper_id, lat, lon, radius, last_asked in session.execute(stmt):
        distance = distance_km(ticket.lat, ticket.lon, lat, lon)
        if distance <= radius:
            result.append(Match(helper_id, distance, last_asked))
    return result


def _free(session: Session, ticket: Ticket, now: dt.datetime, reach: list[Match]) -> list[Match]:
    """Those of ``reach`` who are available in the ticket's window and under their weekly
    cap, in the same order. One small query for the helpers at hand: checked in the ranking
    query, the cap's count of offers ran for every helper within reach."""
    if not reach:
        return []
    asked_this_week = (
        select(func.count(Offer.id))
        .where(Offer.helper_id == Helper.id, Offer.created_at >= now - dt.timedelta(days=7))
        .correlate(Helper)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Helper.id, Helper.availability).where(
            among(session, Helper.id, [m.helper_id for m in reach]),
            asked_this_week < Helper.max_per_week,
        )
    )
    under_cap = {helper_id: availability or {} for helper_id, availability in rows}
    zone = dispatch_zone()
    return [
        m
        for m in reach
        if m.helper_id in under_cap
        and available(under_cap[m.helper_id], ticket.window_start, ticket.window_end, zone)
    ]


def candidates(
    session: Session, ticket: Ticket, now: dt.datetime, max_radius_km: float = 50
) -> list[Match]:
    """Every helper who matches ``ticket`` and has not been asked about it yet, unranked."""
    return _free(session, ticket, now, _within_reach(session, ticket, now, max_radius_km))


def help_day(ticket: Ticket) -> dt.date:
    """The local day the help starts: trainings must be valid then."""
    return ticket.window_start.astimezone(ZoneInfo(dispatch_zone())).date()


def rank(matches: list[Match], rng: random.Random | None = None) -> list[Match]:
    """Least recently asked first, then nearer (5 km bands), then at random."""
    rng = rng or random.Random()
    keyed = [
        (m.last_asked_at or _NEVER, int(m.distance_km // DISTANCE_BAND_KM), rng.random(), m)
        for m in matches
    ]
    keyed.sort(key=lambda k: k[:3])
    return [k[3] for k in keyed]


def match_list(
    session: Session,
    ticket: Ticket,
    now: dt.datetime,
    max_radius_km: float = 50,
    rng: random.Random | None = None,
    limit: int | None = None,
) -> list[Match]:
    """The ranked list of helpers to ask about ``ticket`` (its first ``limit`` only).

    The database ranks (as :func:`rank` describes) and hands over a chunk at a time;
    availability and the weekly cap are checked here in ranked order until ``limit`` are
    found: a wave of 15 in a city with thousands of helpers reads a few dozen rows, not
    thousands. Filtering after ranking keeps the order the same as filtering first (neither
    enters the ranking). ``rng`` picks this ticket's shuffle of ties.
    """
    rng = rng or random.Random()
    seed = rng.randrange(1, _SHUFFLE_MODULUS)
    result: list[Match] = []
    offset = 0
    while limit is None or len(result) < limit:
        chunk = None if limit is None else max(4 * limit, 50)
        part = _within_reach(session, ticket, now, max_radius_km, seed, offset, chunk)
        for m in _free(session, ticket, now, part):
            result.append(m)
            if limit is not None and len(result) >= limit:
                break
        if chunk is None or len(part) < chunk:
            break
        offset += chunk
    return result


def dispatch_zone() -> str:
    """The local time zone for availability and quiet hours."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config.get("DISPATCH_TIMEZONE") or current_app.config.get(
            "DEFAULT_TIMEZONE", "Europe/Berlin"
        )
    return "Europe/Berlin"

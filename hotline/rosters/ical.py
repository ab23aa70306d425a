"""iCalendar (RFC 5545) subscription feeds per operator and per line, at secret URLs.

Events carry UTC times (``DTSTART:…Z``), which every calendar shows in its own zone; the
wall-clock times a planner entered are therefore reproduced exactly, DST nights included.
"""

from __future__ import annotations

import datetime as dt
import secrets

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.models import utcnow
from hotline.core.oncall.models import Shift
from hotline.rosters.models import CalendarFeed

PAST_DAYS = 30
FUTURE_DAYS = 366


def feed_token(session: Session, kind: str, ref_id: int) -> str:
    """The feed's secret token, created on first use."""
    feed = session.scalar(
        select(CalendarFeed).where(CalendarFeed.kind == kind, CalendarFeed.ref_id == ref_id)
    )
    if feed is None:
        feed = CalendarFeed(kind=kind, ref_id=ref_id, token=secrets.token_urlsafe(32))
        session.add(feed)
        session.flush()
    return feed.token


def rotate_token(session: Session, kind: str, ref_id: int) -> str:
    feed = session.scalar(
        select(CalendarFeed).where(CalendarFeed.kind == kind, CalendarFeed.ref_id == ref_id)
    )
    if feed is None:
        return feed_token(session, kind, ref_id)
    feed.token = secrets.token_urlsafe(32)
    session.flush()
    return feed.token


def feed_for_token(session: Session, token: str) -> CalendarFeed | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))


def build_calendar(session: Session, feed: CalendarFeed, now: dt.datetime | None = None) -> bytes:
    now = now or utcnow()
    stmt = (
        select(Shift)
        .where(
            Shift.ends_at > now - dt.timedelta(days=PAST_DAYS),
            Shift.starts_at < now + dt.timedelta(days=FUTURE_DAYS),
        )
        .order_by(Shift.starts_at)
    )
    if feed.kind == "operator":
        stmt = stmt.where(Shift.operator_id == feed.ref_id)
    else:
        stmt = stmt.where(Shift.line_id == feed.ref_id)
    cal = Calendar()
    cal.add("prodid", "-//Rufbereit//Dienstplan//DE")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Rufbereit")
    for shift in session.scalars(stmt):
        event = Event()
        event.add("uid", f"shift-{shift.id}@rufbereit")
        event.add("dtstamp", now)
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        summary = shift.line.name if feed.kind == "operator" else shift.operator.name
        event.add("summary", f"Schicht: {summary}")
        cal.add_component(event)
    return cal.to_ical()

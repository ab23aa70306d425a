"""Ad-hoc availability: an operator texts ``AN``/``ON`` and is rung like someone on shift
until ``AUS``/``OFF`` or the time limit (``AVAILABILITY_HOURS``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from hotline.core.models import utcnow
from hotline.core.oncall.models import MAX_SHIFT_HOURS, Availability


def available_operator_ids(line_id: Any, at: Any, earliest: Any = None) -> Select[tuple[int]]:
    """Operators available on ``line_id`` at ``at``: a range scan on (line_id, started_at),
    bounded like shifts because no availability lasts longer than MAX_SHIFT_HOURS
    (``earliest``, ``at`` less that by default). Values or bound parameters, so that a
    statement built once can take them at each execution."""
    if earliest is None:
        earliest = at - dt.timedelta(hours=MAX_SHIFT_HOURS)
    available = Availability.__table__.c
    return select(available.operator_id).where(
        available.line_id == line_id,
        available.started_at > earliest,
        available.started_at <= at,
        available.until > at,
    )


def set_available(
    session: Session, operator_id: int, line_id: int, hours: float, now: dt.datetime | None = None
) -> Availability:
    now = now or utcnow()
    hours = max(0.25, min(float(hours), MAX_SHIFT_HOURS))
    end_availability(session, operator_id, now, line_id=line_id)
    entry = Availability(
        operator_id=operator_id,
        line_id=line_id,
        started_at=now,
        until=now + dt.timedelta(hours=hours),
    )
    session.add(entry)
    session.flush()
    return entry


def end_availability(
    session: Session, operator_id: int, now: dt.datetime | None = None, line_id: int | None = None
) -> int:
    """End the operator's current availability (on every line unless ``line_id``)."""
    now = now or utcnow()
    stmt = (
        update(Availability)
        .where(
            Availability.operator_id == operator_id,
            Availability.until > now,
            Availability.started_at <= now,
        )
        .values(until=now)
        .execution_options(synchronize_session=False)
    )
    if line_id is not None:
        stmt = stmt.where(Availability.line_id == line_id)
    return session.execute(stmt).rowcount or 0

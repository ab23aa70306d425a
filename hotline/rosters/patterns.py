"""Weekly recurring shifts between a start and an end date, with exception dates.

A pattern is a rule; it materialises into ordinary :class:`~hotline.models.Shift` rows (one
per date, remembered in :class:`PatternOccurrence`) so "who is on shift now" stays one indexed
query. Editing a pattern re-creates its future, untouched occurrences; occurrences changed by
hand (one-off overrides) and shifts that have started are left as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.models import utcnow
from hotline.core.oncall.models import Line, Operator, Shift
from hotline.core.oncall.shifts import ShiftError, local_to_utc
from hotline.rosters.audit import Actor
from hotline.rosters.bounds import check_dates
from hotline.rosters.models import PatternException, PatternOccurrence, ShiftPattern
from hotline.rosters.shift_edits import add_shift, clash_of, remove_shift

# A pattern covers at most this many days, so materialising it is a bounded amount of work.
MAX_PATTERN_DAYS = 366


@dataclass
class Materialised:
    """What materialising a pattern wrote: how many shifts, and the dates it skipped because
    the person already has a shift then (with the refusal's message), for the planner to
    sort out by hand."""

    written: int = 0
    conflicts: list[tuple[dt.date, ShiftError]] = field(default_factory=list)


def _validate(
    session: Session,
    line_id: int,
    operator_id: int,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    valid_from: dt.date,
    valid_until: dt.date,
) -> None:
    if session.get(Line, line_id) is None:
        raise ShiftError("line_unknown", line_id=line_id)
    if session.get(Operator, operator_id) is None:
        raise ShiftError("operator_unknown", operator_id=operator_id)
    if not 0 <= weekday <= 6:
        raise ShiftError("weekday_invalid")
    if start_time == end_time:
        raise ShiftError("shift_ends_before_start")
    check_dates(valid_from, valid_until)
    if valid_until < valid_from:
        raise ShiftError("end_date_before_start")
    if (valid_until - valid_from).days > MAX_PATTERN_DAYS:
        raise ShiftError("pattern_too_long", days=MAX_PATTERN_DAYS)


def local_times(pattern: ShiftPattern, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Wall-clock start and end of the occurrence starting on ``day`` (overnight if the end
    time is not after the start time)."""
    start = dt.datetime.combine(day, pattern.start_time)
    end_day = day if pattern.end_time > pattern.start_time else day + dt.timedelta(days=1)
    return start, dt.datetime.combine(end_day, pattern.end_time)


def create_pattern(
    session: Session,
    actor: Actor,
    line_id: int,
    operator_id: int,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    valid_from: dt.date,
    valid_until: dt.date,
    exceptions: list[dt.date] | None = None,
    now: dt.datetime | None = None,
) -> ShiftPattern:
    _validate(session, line_id, operator_id, weekday, start_time, end_time, valid_from, valid_until)
    pattern = ShiftPattern(
        line_id=line_id,
        operator_id=operator_id,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    for day in sorted(set(exceptions or [])):
        pattern.exceptions.append(PatternException(date=day))
    session.add(pattern)
    session.flush()
    materialise(session, actor, pattern, now)
    return pattern


def materialise(
    session: Session, actor: Actor, pattern: ShiftPattern, now: dt.datetime | None = None
) -> Materialised:
    """Create the missing shifts of ``pattern`` that have not ended yet.

    A date on which the person is already on another shift is skipped, not refused: one
    clash should not cost the planner a half-year rule. The result (also kept on
    ``pattern.materialised`` for the page that saved it) says what was written and skipped;
    a skipped date is tried again when the pattern is next saved.
    """
    now = now or utcnow()
    line = session.get(Line, pattern.line_id)
    skip = {e.date for e in pattern.exceptions}
    done = set(
        session.scalars(
            select(PatternOccurrence.date).where(PatternOccurrence.pattern_id == pattern.id)
        )
    )
    result = Materialised()
    day = pattern.valid_from + dt.timedelta(
        days=(pattern.weekday - pattern.valid_from.weekday()) % 7
    )
    while day <= pattern.valid_until:
        if day not in skip and day not in done:
            start, end = local_times(pattern, day)
            if local_to_utc(end, line.timezone) > now:
                clash = clash_of(session, pattern.operator_id, pattern.line_id, start, end)
                if clash is not None:
                    result.conflicts.append((day, clash))
                else:
                    shift = add_shift(
                        session, actor, pattern.operator_id, pattern.line_id, start, end, "pattern"
                    )
                    session.add(
                        PatternOccurrence(pattern_id=pattern.id, date=day, shift_id=shift.id)
                    )
                    result.written += 1
        day += dt.timedelta(days=7)
    session.flush()
    pattern.materialised = result
    return result


def _drop_future_occurrences(
    session: Session, actor: Actor, pattern: ShiftPattern, now: dt.datetime, only: dt.date | None
) -> None:
    stmt = select(PatternOccurrence).where(PatternOccurrence.pattern_id == pattern.id)
    if only is not None:
        stmt = stmt.where(PatternOccurrence.date == only)
    for occurrence in session.scalars(stmt).all():
        if occurrence.overridden and only is None:
            continue
        shift = session.get(Shift, occurrence.shift_id) if occurrence.shift_id else None
        if shift is not None:
            if shift.starts_at <= now and only is None:
                continue  # started: part of history, the pattern edit does not touch it
            if shift.ends_at <= now:
                continue
            remove_shift(session, actor, shift, now)
        if shift is None or shift.starts_at > now:
            session.delete(occurrence)
    session.flush()


def update_pattern(
    session: Session,
    actor: Actor,
    pattern: ShiftPattern,
    operator_id: int,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    valid_from: dt.date,
    valid_until: dt.date,
    now: dt.datetime | None = None,
) -> ShiftPattern:
    now = now or utcnow()
    _validate(
        session,
        pattern.line_id,
        operator_id,
        weekday,
        start_time,
        end_time,
        valid_from,
        valid_until,
    )
    _drop_future_occurrences(session, actor, pattern, now, None)
    pattern.operator_id = operator_id
    pattern.weekday = weekday
    pattern.start_time, pattern.end_time = start_time, end_time
    pattern.valid_from, pattern.valid_until = valid_from, valid_until
    session.flush()
    materialise(session, actor, pattern, now)
    return pattern


def add_exception(
    session: Session,
    actor: Actor,
    pattern: ShiftPattern,
    day: dt.date,
    now: dt.datetime | None = None,
) -> None:
    """No shift from ``pattern`` on ``day``: a future one is removed, a running one ended."""
    now = now or utcnow()
    check_dates(day)
    if any(e.date == day for e in pattern.exceptions):
        return
    pattern.exceptions.append(PatternException(date=day))
    session.flush()
    _drop_future_occurrences(session, actor, pattern, now, day)


def delete_pattern(
    session: Session, actor: Actor, pattern: ShiftPattern, now: dt.datetime | None = None
) -> None:
    """Remove the rule and its future shifts; shifts that started stay in the records."""
    now = now or utcnow()
    _drop_future_occurrences(session, actor, pattern, now, None)
    session.delete(pattern)
    session.flush()

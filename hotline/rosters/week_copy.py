"""Copying a week's shifts of a line to the following week.

Planners whose weeks look alike copy the last one and fix what differs. Copies are ordinary
one-off shifts made with :func:`~hotline.rosters.shift_edits.add_shift` (bounds-checked and
audited, action ``copy``); a shift whose copy would clash with another shift of the same
person — a recurring shift already there, or the copy of last time — is skipped and
reported, never doubled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.models import utcnow
from hotline.core.oncall.models import Line, Shift
from hotline.core.oncall.shifts import ShiftError, local_to_utc
from hotline.rosters.audit import Actor
from hotline.rosters.shift_edits import add_shift, clash_of

WEEK = dt.timedelta(days=7)


@dataclass
class CopyResult:
    """How many copies were written, and the shifts not copied with the reason."""

    written: int = 0
    conflicts: list[tuple[Shift, ShiftError]] = field(default_factory=list)


def copy_week(
    session: Session,
    actor: Actor,
    line_id: int,
    monday: dt.date,
    now: dt.datetime | None = None,
) -> CopyResult:
    """Copy the shifts of ``line_id`` that start in the week of ``monday`` (local time) to
    the same wall-clock times one week later."""
    line = session.get(Line, line_id)
    if line is None:
        raise ShiftError("line_unknown", line_id=line_id)
    if monday.weekday() != 0:
        raise ShiftError("week_not_monday")
    now = now or utcnow()
    first = dt.datetime.combine(monday, dt.time())
    sources = session.scalars(
        select(Shift)
        .where(
            Shift.line_id == line_id,
            Shift.local_start >= first,
            Shift.local_start < first + WEEK,
        )
        .order_by(Shift.local_start)
    ).all()
    result = CopyResult()
    for source in sources:
        start, end = source.local_start + WEEK, source.local_end + WEEK
        if local_to_utc(start, line.timezone) <= now:
            result.conflicts.append((source, ShiftError("copy_in_past")))
            continue
        clash = clash_of(session, source.operator_id, line_id, start, end)
        if clash is not None:
            result.conflicts.append((source, clash))
            continue
        add_shift(session, actor, source.operator_id, line_id, start, end, "copy")
        result.written += 1
    session.flush()
    return result

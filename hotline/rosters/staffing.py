"""Minimum staffing per line and hour, and the week view that shows who is on and the gaps.

The week is shown in the line's wall-clock time. Each local hour is a slot between two UTC
instants, so on a DST night the slot 02:00 may last two hours (autumn) or not exist (spring).
A slot's staffing is the *lowest* number of operators on shift at any moment inside it: one
operator leaving at 02:30 makes the 02:00 slot a gap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.core.oncall.hours import line_is_open
from hotline.core.oncall.models import Line, Shift
from hotline.core.oncall.shifts import MAX_SHIFT_HOURS, local_to_utc
from hotline.rosters.models import StaffingLevel

# Operators needed in an opening hour that has no explicit staffing level.
DEFAULT_REQUIRED = 1
#: Most operators an hour may require.
MAX_REQUIRED = 50


class StaffingError(ValueError):
    """A staffing level that cannot be stored as given."""


@dataclass
class Slot:
    day: dt.date
    hour: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    required: int
    staffed: int = 0
    names: list[str] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.ends_at > self.starts_at

    @property
    def gap(self) -> bool:
        return self.exists and self.staffed < self.required


@dataclass
class WeekView:
    line: Line
    monday: dt.date
    days: list[dt.date]
    slots: dict[tuple[dt.date, int], Slot]
    shifts: list[Shift]

    @property
    def gaps(self) -> list[Slot]:
        return [s for s in self.slots.values() if s.gap]

    def shifts_on(self, day: dt.date) -> list[Shift]:
        return [s for s in self.shifts if s.local_start.date() == day]


def levels(session: Session, line_id: int) -> dict[tuple[int, int], int]:
    rows = session.scalars(select(StaffingLevel).where(StaffingLevel.line_id == line_id))
    return {(r.weekday, r.hour): r.required for r in rows}


def set_level(
    session: Session,
    line_id: int,
    weekdays: list[int],
    first_hour: int,
    last_hour: int,
    required: int,
) -> int:
    """Set the staffing for ``first_hour``..``last_hour`` (inclusive) on the given weekdays."""
    if required < 0 or required > MAX_REQUIRED:
        raise StaffingError(f"required staff must be between 0 and {MAX_REQUIRED}")
    if not (0 <= first_hour <= 23 and 0 <= last_hour <= 23) or last_hour < first_hour:
        raise StaffingError("hours must run from 0 to 23, the first not after the last")
    if not weekdays or any(not 0 <= w <= 6 for w in weekdays):
        raise StaffingError("choose at least one weekday")
    count = 0
    for weekday in weekdays:
        for hour in range(first_hour, last_hour + 1):
            session.execute(
                delete(StaffingLevel).where(
                    StaffingLevel.line_id == line_id,
                    StaffingLevel.weekday == weekday,
                    StaffingLevel.hour == hour,
                )
            )
            session.add(
                StaffingLevel(line_id=line_id, weekday=weekday, hour=hour, required=required)
            )
            count += 1
    session.flush()
    return count


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_view(session: Session, line: Line, any_day: dt.date) -> WeekView:
    monday = monday_of(any_day)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    tz = line.timezone
    explicit = levels(session, line.id)
    slots: dict[tuple[dt.date, int], Slot] = {}
    for day in days:
        for hour in range(24):
            start_local = dt.datetime.combine(day, dt.time(hour))
            start = local_to_utc(start_local, tz)
            end = local_to_utc(start_local + dt.timedelta(hours=1), tz)
            if (day.weekday(), hour) in explicit:
                required = explicit[(day.weekday(), hour)]
            else:
                required = DEFAULT_REQUIRED if end > start and line_is_open(line, start) else 0
            slots[(day, hour)] = Slot(day, hour, start, end, required)
    week_start = local_to_utc(dt.datetime.combine(monday, dt.time()), tz)
    week_end = local_to_utc(dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time()), tz)
    shifts = list(
        session.scalars(
            select(Shift)
            .where(
                Shift.line_id == line.id,
                Shift.starts_at > week_start - dt.timedelta(hours=MAX_SHIFT_HOURS),
                Shift.starts_at < week_end,
                Shift.ends_at > week_start,
            )
            .order_by(Shift.starts_at)
        )
    )
    for slot in slots.values():
        if not slot.exists:
            continue
        inside = [s for s in shifts if s.starts_at < slot.ends_at and s.ends_at > slot.starts_at]
        slot.names = sorted({s.operator.name for s in inside})
        points = {slot.starts_at}
        points.update(s.ends_at for s in inside if slot.starts_at < s.ends_at < slot.ends_at)
        points.update(s.starts_at for s in inside if slot.starts_at < s.starts_at < slot.ends_at)
        slot.staffed = min(
            len({s.operator_id for s in inside if s.starts_at <= p < s.ends_at}) for p in points
        )
    return WeekView(line, monday, days, slots, shifts)

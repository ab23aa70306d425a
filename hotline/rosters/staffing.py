"""Minimum staffing per line and hour, and the week view that shows who is on and the gaps.

The week is shown in the line's wall-clock time. Each local hour is a slot between two UTC
instants, so on a DST night the slot 02:00 may last two hours (autumn) or not exist (spring).
A slot's staffing is the *lowest* number of operators on shift at any moment inside it: one
operator leaving at 02:30 makes the 02:00 slot a gap.

Beside the planner's minimum, each hour can show what the calls of the past weeks need
(:mod:`hotline.core.demand`, sized with Erlang C against the line's service level), and the
planner can adopt those figures as the minimum. Every change to the minimum is written to
the audit log with the levels before and after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.core.demand import WeekDemand
from hotline.core.errors import DomainError
from hotline.core.i18n import WEEKDAYS_DE
from hotline.core.models import utcnow
from hotline.core.oncall.hours import Span, is_open, line_is_open
from hotline.core.oncall.models import Line, Shift
from hotline.core.oncall.shifts import MAX_SHIFT_HOURS, local_to_utc
from hotline.rosters.audit import Actor, record
from hotline.rosters.erlang import ServiceTarget, operators_needed
from hotline.rosters.models import PatternOccurrence, StaffingLevel

# Operators needed in an opening hour that has no explicit staffing level.
DEFAULT_REQUIRED = 1
#: Most operators an hour may require.
MAX_REQUIRED = 50


class StaffingError(DomainError):
    """A staffing level that cannot be stored as given."""


class ShiftKind(str, Enum):
    """Where a shift on the week view comes from."""

    #: Made by a weekly pattern and unchanged.
    RECURRING = "recurring"
    #: Made by hand, or a pattern's shift changed by hand for one date (an override).
    ONE_OFF = "one-off"


@dataclass(frozen=True)
class Bar:
    """One hour's piece of a shift drawn as a bar down its day's column."""

    shift_id: int
    name: str
    kind: ShiftKind
    starts_here: bool
    ends_here: bool
    outside_hours: bool


@dataclass
class Slot:
    day: dt.date
    hour: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    required: int
    staffed: int = 0
    names: list[str] = field(default_factory=list)
    #: Operators the past weeks' calls need in this hour; ``None`` without call records.
    needed: int | None = None
    #: Whether the line's opening hours (closures and public holidays included) cover it.
    open: bool = False
    #: The hour is over: what was staffed then is history, not a gap to fill.
    past: bool = False
    #: The hour that is going on now.
    current: bool = False
    bars: list[Bar] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.ends_at > self.starts_at

    @property
    def gap(self) -> bool:
        return self.exists and not self.past and self.staffed < self.required


@dataclass
class WeekView:
    line: Line
    monday: dt.date
    days: list[dt.date]
    slots: dict[tuple[dt.date, int], Slot]
    shifts: list[Shift]
    demand: WeekDemand | None = None
    #: The line's local date today (marked on the page when it is in this week).
    today: dt.date | None = None
    #: Shift id → kind (recurring or one-off).
    kinds: dict[int, ShiftKind] = field(default_factory=dict)
    #: Ids of shifts that reach into hours the line is closed.
    outside_hours: set[int] = field(default_factory=set)

    @property
    def gaps(self) -> list[Slot]:
        return [s for s in self.slots.values() if s.gap]

    def hours(self, all_hours: bool = False) -> list[int]:
        """The rows to show: by default only hours in which the line is open on some day of
        the week, or that something is planned or needed in; ``all_hours`` shows all 24."""
        if all_hours:
            return list(range(24))
        shown = {
            slot.hour
            for slot in self.slots.values()
            if slot.exists and (slot.open or slot.required or slot.names or slot.needed)
        }
        return sorted(shown) or list(range(24))

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
    actor: Actor | None = None,
) -> int:
    """Set the staffing for ``first_hour``..``last_hour`` (inclusive) on the given weekdays;
    with an ``actor`` the change goes to the audit log."""
    if required < 0 or required > MAX_REQUIRED:
        raise StaffingError("staff_out_of_range", max=MAX_REQUIRED)
    if not (0 <= first_hour <= 23 and 0 <= last_hour <= 23) or last_hour < first_hour:
        raise StaffingError("staffing_hours_invalid")
    if not weekdays or any(not 0 <= w <= 6 for w in weekdays):
        raise StaffingError("weekday_missing")
    wanted = {
        (weekday, hour): required
        for weekday in weekdays
        for hour in range(first_hour, last_hour + 1)
    }
    return _write_levels(session, line_id, wanted, "staffing", actor)


def _write_levels(
    session: Session,
    line_id: int,
    wanted: dict[tuple[int, int], int],
    action: str,
    actor: Actor | None,
) -> int:
    before = levels(session, line_id)
    count = 0
    for weekday in sorted({w for w, _ in wanted}):
        session.execute(
            delete(StaffingLevel).where(
                StaffingLevel.line_id == line_id,
                StaffingLevel.weekday == weekday,
                StaffingLevel.hour.in_([h for w, h in wanted if w == weekday]),
            )
        )
    for (weekday, hour), required in sorted(wanted.items()):
        session.add(StaffingLevel(line_id=line_id, weekday=weekday, hour=hour, required=required))
        count += 1
    session.flush()
    if actor is not None:
        touched = {key: before.get(key) for key in wanted}
        record(
            session,
            None,
            action,
            actor,
            _levels_snapshot(line_id, touched),
            _levels_snapshot(line_id, wanted),
        )
    return count


def _levels_snapshot(line_id: int, values: dict[tuple[int, int], int | None]) -> dict:
    """Audit snapshot of some hours' minimum staffing: JSON keys ``"weekday:hour"``, and a
    ``summary`` line per weekday (``-`` where no level was set, so the default applied)."""
    days = sorted({weekday for weekday, _ in values})
    summary = "; ".join(
        WEEKDAYS_DE[day][:2]
        + " "
        + " ".join(
            f"{hour:02d}={'-' if values[(day, hour)] is None else values[(day, hour)]}"
            for hour in range(24)
            if (day, hour) in values
        )
        for day in days
    )
    return {
        "line_id": line_id,
        "levels": {f"{w}:{h}": v for (w, h), v in sorted(values.items())},
        "summary": summary,
    }


#: A target of 100 % is never met by a finite roster (someone always waits a little).
MAX_SERVICE_PERCENT = 99
#: Longest target wait a planner may set (seconds).
MAX_SERVICE_SECONDS = 600


def set_service_level(
    session: Session, line: Line, percent: int, seconds: int, actor: Actor | None = None
) -> None:
    """Set the line's promise: ``percent`` of callers answered within ``seconds``."""
    if not 1 <= percent <= MAX_SERVICE_PERCENT:
        raise StaffingError("service_share_out_of_range", max=MAX_SERVICE_PERCENT)
    if not 0 <= seconds <= MAX_SERVICE_SECONDS:
        raise StaffingError("service_wait_out_of_range", max=MAX_SERVICE_SECONDS)
    before = _service_snapshot(line)
    line.service_level_percent, line.service_level_seconds = percent, seconds
    session.flush()
    if actor is not None:
        record(session, None, "service_level", actor, before, _service_snapshot(line))


def _service_snapshot(line: Line) -> dict:
    return {
        "line_id": line.id,
        "summary": f"{line.service_level_percent} % / {line.service_level_seconds} s",
    }


def target_of(line: Line) -> ServiceTarget:
    return ServiceTarget(line.service_level_percent / 100, line.service_level_seconds)


def needed_from_demand(line: Line, demand: WeekDemand) -> dict[tuple[int, int], int]:
    """Operators each (weekday, hour) needs for the line's service level (Erlang C).

    An hour inside the weekly opening hours needs at least :data:`DEFAULT_REQUIRED`, even if
    no call came in it: the line promises to answer then. The figure is capped at
    :data:`MAX_REQUIRED` so it can always be adopted.
    """
    target = target_of(line)
    spans = [Span(s.weekday, s.opens, s.closes) for s in line.opening_spans]
    monday = dt.date(2024, 1, 1)  # any Monday: only the weekday and wall-clock hour matter
    needed: dict[tuple[int, int], int] = {}
    for (weekday, hour), hour_demand in demand.hours.items():
        figure = operators_needed(
            hour_demand.arrivals_per_hour, hour_demand.handling_seconds, target
        )
        at = local_to_utc(
            dt.datetime.combine(monday + dt.timedelta(days=weekday), dt.time(hour, 30)),
            line.timezone,
        )
        if is_open(spans, [], line.timezone, at):
            figure = max(figure, DEFAULT_REQUIRED)
        needed[(weekday, hour)] = min(figure, MAX_REQUIRED)
    return needed


def adopt_demand(
    session: Session,
    line: Line,
    demand: WeekDemand,
    weekdays: list[int],
    actor: Actor | None = None,
) -> int:
    """Make the demand figures the minimum staffing for every hour of ``weekdays``."""
    if not weekdays or any(not 0 <= w <= 6 for w in weekdays):
        raise StaffingError("weekday_missing")
    needed = needed_from_demand(line, demand)
    wanted = {key: value for key, value in needed.items() if key[0] in weekdays}
    return _write_levels(session, line.id, wanted, "staffing_adopt", actor)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_view(
    session: Session,
    line: Line,
    any_day: dt.date,
    demand: WeekDemand | None = None,
    now: dt.datetime | None = None,
) -> WeekView:
    """The week of ``any_day``; with ``demand``, each hour also shows what it needs.

    Hours before ``now`` (default: the current time) are marked past and are never gaps;
    each hour lists the shifts in it as :class:`Bar` pieces, told apart by kind, and shifts
    reaching into closed hours are flagged.
    """
    now = now or utcnow()
    needed = needed_from_demand(line, demand) if demand is not None else {}
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
            is_open_now = end > start and line_is_open(line, start)
            if (day.weekday(), hour) in explicit:
                required = explicit[(day.weekday(), hour)]
            else:
                required = DEFAULT_REQUIRED if is_open_now else 0
            slot = Slot(day, hour, start, end, required, open=is_open_now)
            slot.needed = needed.get((day.weekday(), hour))
            slot.past = end <= now
            slot.current = start <= now < end
            slots[(day, hour)] = slot
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
    outside: set[int] = set()
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
        if inside and not slot.open:
            outside.update(s.id for s in inside)
    kinds = _kinds(session, [s.id for s in shifts])
    for slot in slots.values():
        if not slot.exists:
            continue
        slot.bars = [
            Bar(
                s.id,
                s.operator.name,
                kinds[s.id],
                starts_here=slot.starts_at <= s.starts_at < slot.ends_at,
                ends_here=slot.starts_at < s.ends_at <= slot.ends_at,
                outside_hours=s.id in outside,
            )
            for s in shifts
            if s.starts_at < slot.ends_at and s.ends_at > slot.starts_at
        ]
    today = now.astimezone(ZoneInfo(tz)).date()
    return WeekView(line, monday, days, slots, shifts, demand, today, kinds, outside)


def _kinds(session: Session, shift_ids: list[int]) -> dict[int, ShiftKind]:
    """Recurring for shifts a pattern made and nobody changed, one-off for the rest."""
    if not shift_ids:
        return {}
    recurring = set(
        session.scalars(
            select(PatternOccurrence.shift_id).where(
                PatternOccurrence.shift_id.in_(shift_ids),
                PatternOccurrence.overridden.is_(False),
            )
        )
    )
    return {i: ShiftKind.RECURRING if i in recurring else ShiftKind.ONE_OFF for i in shift_ids}

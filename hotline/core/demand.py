"""How many calls a line gets, and how long they take, in each hour of the week.

The rosters size staffing from this; the voice hotline is what records calls. Features do
not import each other, so the question is defined here and answered by whichever feature
keeps call records: it registers a :data:`CallHistory` as ``registry.demand_source``
(:mod:`hotline.core.registry`). The call record itself stays the voice feature's (its
columns are about Twilio, IVR paths and queues); the core only needs the two facts that
matter for staffing, when a call came in and how long an operator spent on it.

Rates are per hour of *exposure*: a (weekday, hour) slot is counted with its real length
in the line's zone over the window, so the missing 02:00 on the spring DST night adds no
hour and the doubled 02:00 in autumn adds two, and the rate stays calls per hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hotline.core.oncall.shifts import local_to_utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Handling time assumed when a line has no answered calls in the window yet (seconds).
DEFAULT_HANDLING_SECONDS = 300.0
#: An hour's own mean handling time is used once it rests on this many answered calls;
#: below that the line's mean over the whole window is steadier.
MIN_HANDLED_PER_HOUR = 3


@dataclass(frozen=True)
class CallSample:
    """One call that wanted an operator: when it came in (aware UTC) and, if an operator
    answered, the seconds they spent on it."""

    started_at: dt.datetime
    handled_seconds: float | None = None


#: ``(session, line_id, since, until) -> calls to that line started in [since, until)`` that
#: asked for an operator (calls outside opening hours are not demand on the roster).
CallHistory = Callable[["Session", int, dt.datetime, dt.datetime], Iterable[CallSample]]


@dataclass(frozen=True)
class HourDemand:
    weekday: int  # 0 = Monday, in the line's zone
    hour: int
    calls: int
    hours_observed: float
    handling_seconds: float

    @property
    def arrivals_per_hour(self) -> float:
        return self.calls / self.hours_observed if self.hours_observed else 0.0


@dataclass(frozen=True)
class WeekDemand:
    """Demand per (weekday, hour) over ``weeks`` whole weeks from ``since`` to ``until``."""

    weeks: int
    since: dt.datetime
    until: dt.datetime
    hours: dict[tuple[int, int], HourDemand]
    calls: int


def window(timezone: str, weeks: int, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The ``weeks`` whole local weeks (Monday 00:00 to Monday 00:00) before the current one:
    a half-finished week would make its later hours look quiet."""
    if weeks < 1:
        raise ValueError("demand needs at least one week of calls")
    today = now.astimezone(ZoneInfo(timezone)).date()
    monday = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time())
    return local_to_utc(monday - dt.timedelta(weeks=weeks), timezone), local_to_utc(
        monday, timezone
    )


def weekly_demand(
    history: CallHistory,
    session: Session,
    line_id: int,
    timezone: str,
    weeks: int,
    now: dt.datetime,
) -> WeekDemand:
    """Arrivals per hour and mean handling time for each hour of the week of a line."""
    since, until = window(timezone, weeks, now)
    zone = ZoneInfo(timezone)
    exposure: dict[tuple[int, int], float] = {(w, h): 0.0 for w in range(7) for h in range(24)}
    first_day = since.astimezone(zone).date()
    for offset in range(weeks * 7):
        day = first_day + dt.timedelta(days=offset)
        for hour in range(24):
            start = dt.datetime.combine(day, dt.time(hour))
            length = local_to_utc(start + dt.timedelta(hours=1), timezone) - local_to_utc(
                start, timezone
            )
            exposure[(day.weekday(), hour)] += length.total_seconds() / 3600
    counts = dict.fromkeys(exposure, 0)
    handled: dict[tuple[int, int], list[float]] = {key: [] for key in exposure}
    total = 0
    for sample in history(session, line_id, since, until):
        local = sample.started_at.astimezone(zone)
        key = (local.weekday(), local.hour)
        counts[key] += 1
        total += 1
        if sample.handled_seconds is not None:
            handled[key].append(sample.handled_seconds)
    everything = [s for values in handled.values() for s in values]
    line_mean = sum(everything) / len(everything) if everything else DEFAULT_HANDLING_SECONDS
    hours = {
        key: HourDemand(
            key[0],
            key[1],
            counts[key],
            exposure[key],
            sum(handled[key]) / len(handled[key])
            if len(handled[key]) >= MIN_HANDLED_PER_HOUR
            else line_mean,
        )
        for key in exposure
    }
    return WeekDemand(weeks, since, until, hours, total)

"""Call statistics per line and per partner (co-funding municipalities get their own report).

One place computes every figure, for the ``/statistik`` pages, the printable monthly report
and ``rufbereit stats``, so a figure never differs between them. The database aggregates
(counts per line, per UTC hour, per repeat caller; waits and shift hours as sums); Python only
turns the UTC hour buckets into the line's local day and hour of the week, which keeps the
SQL the same on PostgreSQL and SQLite and is exact across DST changes for zones whose offset
is whole hours (Europe/Berlin).

Definitions (also in ``docs/hotline.md``, "Statistik"):

- *calls*: calls that started in the period, whatever became of them;
- *offered*: calls minus those after hours and those blocked (nobody was meant to take them);
- *answered share*: answered / offered;
- *abandoned*: the caller hung up before an operator took the call (menu, ringing or queue);
- *after hours*: the line was closed when the call came in (as routed at the time);
- *accompaniments* (walk-home lines): bridged calls by how they ended: the person arrived,
  the call dropped and was reconnected (call-back or redial), dropped, or escalated;
- *waiting time*: from the call coming in to an operator taking it (answered calls) or to the
  caller hanging up (abandoned calls); median and 90th percentile with linear interpolation
  (PostgreSQL's ``percentile_cont``);
- *repeat callers*: salted caller hashes with more than one call in the period (withheld
  numbers excluded: they all share one hash); never a phone number;
- *planned shift hours*: shift time on the lines inside the period (UTC instants, so a shift
  across the DST change counts its real length); *talk time*: answered to hung up.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, exists, func, literal, select
from sqlalchemy.orm import Session

from hotline.core.models import UTCDateTime
from hotline.core.oncall.models import Line, Shift
from hotline.core.phones import caller_hash
from hotline.voice.models import Accompaniment, AccompanimentState, Call, CallOutcome

#: The counts of every figure set: name → which calls it counts. One more count (say, an
#: accompaniment outcome) is one more entry here and a label on the page.
COUNTS: dict[str, ColumnElement[bool]] = {
    "answered": Call.outcome == CallOutcome.ANSWERED,
    "abandoned": Call.outcome == CallOutcome.ABANDONED,
    "voicemail": Call.outcome == CallOutcome.VOICEMAIL,
    "after_hours": Call.outcome == CallOutcome.AFTER_HOURS,
    "fallback": Call.outcome == CallOutcome.FALLBACK,
    "blocked": Call.outcome == CallOutcome.BLOCKED,
    "in_progress": Call.outcome.is_(None),
    # Walk-home accompaniments, by how they ended (hotline.voice.accompaniment).
    **{
        f"accompaniment_{state.value}": exists().where(
            Accompaniment.call_id == Call.id, Accompaniment.state == state
        )
        for state in AccompanimentState
    },
}
#: Counts that are not offered to operators: the answered share leaves them out.
NOT_OFFERED = ("after_hours", "blocked")


@dataclass(frozen=True)
class Period:
    """Local days ``[first, end)`` in ``timezone``; bounds are the UTC instants of the local
    midnights, so a month with a DST change has 743 or 745 hours, as it should."""

    first: dt.date
    end: dt.date
    timezone: str = "Europe/Berlin"

    @classmethod
    def month(cls, text: str, timezone: str = "Europe/Berlin") -> Period:
        """``"2026-03"`` → that month; raises ValueError for anything else."""
        try:
            year, month = (int(p) for p in text.split("-"))
            first = dt.date(year, month, 1)
        except ValueError as exc:
            raise ValueError(f"month {text!r} must look like 2026-03") from exc
        last = calendar.monthrange(year, month)[1]
        return cls(first, first + dt.timedelta(days=last), timezone)

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}"

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.end - self.first).days)]

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = ZoneInfo(self.timezone)
        return (
            dt.datetime.combine(self.first, dt.time(), zone).astimezone(dt.UTC),
            dt.datetime.combine(self.end, dt.time(), zone).astimezone(dt.UTC),
        )


@dataclass
class Figures:
    """The figures of one line, or of all lines of a selection."""

    calls: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    callers: int = 0  # distinct caller hashes (withheld numbers count once)
    repeat_callers: int = 0
    repeat_calls: int = 0  # calls made by repeat callers
    wait_median: float | None = None
    wait_p90: float | None = None
    avg_wait_seconds: float | None = None  # answered calls' recorded wait (the CLI summary)
    shift_seconds: float = 0.0
    talk_seconds: float = 0.0

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)

    @property
    def offered(self) -> int:
        return self.calls - sum(self.count(n) for n in NOT_OFFERED)

    @property
    def answered_share(self) -> float:
        return self.count("answered") / self.offered if self.offered else 0.0

    @property
    def shift_hours(self) -> float:
        return self.shift_seconds / 3600

    @property
    def talk_hours(self) -> float:
        return self.talk_seconds / 3600


@dataclass
class LineFigures:
    line_id: int
    line: str
    partner: str | None
    figures: Figures


@dataclass
class Report:
    """Everything the pages, the monthly report and the CLI show for a selection."""

    period: Period
    total: Figures
    lines: list[LineFigures]
    #: ``(local day, calls, answered)`` for every day of the period, days without calls too.
    per_day: list[tuple[dt.date, int, int]]
    #: calls per local weekday (0 = Monday) and hour: 7 rows of 24.
    hour_of_week: list[list[int]]


# -- SQL building blocks that differ between PostgreSQL and SQLite --------------------------


def _seconds(dialect: str, later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def _utc_hour(dialect: str, column: ColumnElement) -> ColumnElement:
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H:00:00", column)
    return func.date_trunc("hour", column)


def _instant(value: dt.datetime) -> ColumnElement:
    return literal(value, UTCDateTime)


def _as_datetime(value: object) -> dt.datetime:
    if isinstance(value, str):  # SQLite
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's ``percentile_cont``."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# -- the report ------------------------------------------------------------------------------


def lines_for(
    session: Session, line_id: int | None = None, partner: str | None = None
) -> list[Line]:
    """The lines a statistic covers: one line, a partner's lines, or all lines."""
    stmt = select(Line).order_by(Line.partner, Line.name, Line.id)
    if line_id is not None:
        stmt = stmt.where(Line.id == line_id)
    if partner is not None:
        stmt = stmt.where(Line.partner == partner)
    return list(session.scalars(stmt))


def partners(session: Session) -> list[str]:
    """Partners that have lines, for the filter and the monthly reports."""
    return list(
        session.scalars(
            select(Line.partner).where(Line.partner.is_not(None)).distinct().order_by(Line.partner)
        )
    )


def report(
    session: Session, lines: Sequence[Line], period: Period, anonymous_hash: str | None = None
) -> Report:
    """All figures for calls to ``lines`` that started in ``period``.

    ``anonymous_hash`` is the caller hash of a withheld number (``caller_hash("anonymous",
    salt)``); those calls are not repeat callers of each other.
    """
    dialect = session.get_bind().dialect.name
    since, until = period.bounds()
    line_ids = [line.id for line in lines]
    zones = {line.id: ZoneInfo(line.timezone) for line in lines}
    in_period = (Call.line_id.in_(line_ids), Call.started_at >= since, Call.started_at < until)

    per_line = {line.id: Figures() for line in lines}
    total = Figures()
    talk = case(
        (
            (Call.outcome == CallOutcome.ANSWERED)
            & Call.ended_at.is_not(None)
            & Call.answered_at.is_not(None),
            _seconds(dialect, Call.ended_at, Call.answered_at),
        ),
    )
    columns = [
        func.count(Call.id),
        func.count(func.distinct(Call.caller_hash)),
        func.avg(case((Call.outcome == CallOutcome.ANSWERED, Call.wait_seconds))),
        func.coalesce(func.sum(talk), 0),
        *(func.coalesce(func.sum(case((cond, 1), else_=0)), 0) for cond in COUNTS.values()),
    ]
    for key, row in [
        *(
            (r[0], r[1:])
            for r in session.execute(
                select(Call.line_id, *columns).where(*in_period).group_by(Call.line_id)
            )
        ),
        (None, session.execute(select(*columns).where(*in_period)).one()),
    ]:
        figures = total if key is None else per_line[key]
        calls, callers, avg_wait, talk_seconds, *counts = row
        figures.calls, figures.callers = calls, callers
        figures.avg_wait_seconds = float(avg_wait) if avg_wait is not None else None
        figures.talk_seconds = float(talk_seconds)
        figures.counts = {name: int(n) for name, n in zip(COUNTS, counts, strict=True) if n}

    _waits(session, dialect, in_period, per_line, total)
    _repeat_callers(session, in_period, anonymous_hash, per_line, total)
    _shift_hours(session, dialect, line_ids, since, until, per_line, total)

    days = {day: [0, 0] for day in period.days()}
    week = [[0] * 24 for _ in range(7)]
    hour = _utc_hour(dialect, Call.started_at)
    answered = func.sum(case((Call.outcome == CallOutcome.ANSWERED, 1), else_=0))
    for line_id, bucket, calls, answered_calls in session.execute(
        select(Call.line_id, hour, func.count(Call.id), answered)
        .where(*in_period)
        .group_by(Call.line_id, hour)
    ):
        local = _as_datetime(bucket).astimezone(zones[line_id])
        if local.date() in days:
            days[local.date()][0] += calls
            days[local.date()][1] += int(answered_calls)
        week[local.weekday()][local.hour] += calls

    by_line = {line.id: line for line in lines}
    return Report(
        period,
        total,
        [LineFigures(i, by_line[i].name, by_line[i].partner, per_line[i]) for i in line_ids],
        [(day, calls, ans) for day, (calls, ans) in days.items()],
        week,
    )


def _waits(
    session: Session,
    dialect: str,
    in_period: tuple[ColumnElement[bool], ...],
    per_line: dict[int, Figures],
    total: Figures,
) -> None:
    wait = case(
        (
            (Call.outcome == CallOutcome.ANSWERED) & Call.answered_at.is_not(None),
            _seconds(dialect, Call.answered_at, Call.started_at),
        ),
        (
            (Call.outcome == CallOutcome.ABANDONED) & Call.ended_at.is_not(None),
            _seconds(dialect, Call.ended_at, Call.started_at),
        ),
    )
    if dialect == "postgresql":
        columns = [
            func.percentile_cont(0.5).within_group(wait),
            func.percentile_cont(0.9).within_group(wait),
        ]
        for line_id, median, p90 in session.execute(
            select(Call.line_id, *columns).where(*in_period).group_by(Call.line_id)
        ):
            per_line[line_id].wait_median, per_line[line_id].wait_p90 = _floats(median, p90)
        total.wait_median, total.wait_p90 = _floats(
            *session.execute(select(*columns).where(*in_period)).one()
        )
        return
    # SQLite has no percentiles: fetch the one column of waits, already computed there.
    waits: dict[int, list[float]] = {}
    for line_id, seconds in session.execute(
        select(Call.line_id, wait).where(*in_period, wait.is_not(None))
    ):
        waits.setdefault(line_id, []).append(float(seconds))
    for line_id, values in waits.items():
        per_line[line_id].wait_median = percentile(values, 0.5)
        per_line[line_id].wait_p90 = percentile(values, 0.9)
    every = [v for values in waits.values() for v in values]
    total.wait_median, total.wait_p90 = percentile(every, 0.5), percentile(every, 0.9)


def _floats(*values: object) -> tuple[float | None, ...]:
    return tuple(float(v) if v is not None else None for v in values)  # type: ignore[arg-type]


def _repeat_callers(
    session: Session,
    in_period: tuple[ColumnElement[bool], ...],
    anonymous_hash: str | None,
    per_line: dict[int, Figures],
    total: Figures,
) -> None:
    where = list(in_period)
    if anonymous_hash is not None:
        where.append(Call.caller_hash != anonymous_hash)
    for grouping, figures_of in (
        ((Call.line_id,), lambda row: per_line[row[0]]),
        ((), lambda row: total),
    ):
        repeated = (
            select(*grouping, func.count(Call.id).label("n"))
            .where(*where)
            .group_by(*grouping, Call.caller_hash)
            .having(func.count(Call.id) > 1)
            .subquery()
        )
        keys = [repeated.c.line_id] if grouping else []
        for row in session.execute(
            select(*keys, func.count(), func.coalesce(func.sum(repeated.c.n), 0)).group_by(*keys)
        ):
            figures = figures_of(row)
            figures.repeat_callers, figures.repeat_calls = int(row[-2]), int(row[-1])


def _shift_hours(
    session: Session,
    dialect: str,
    line_ids: list[int],
    since: dt.datetime,
    until: dt.datetime,
    per_line: dict[int, Figures],
    total: Figures,
) -> None:
    """Planned shift time inside the period: each shift clipped to the period's bounds."""
    greatest, least = (func.max, func.min) if dialect == "sqlite" else (func.greatest, func.least)
    clipped = _seconds(
        dialect,
        least(Shift.ends_at, _instant(until)),
        greatest(Shift.starts_at, _instant(since)),
    )
    for line_id, seconds in session.execute(
        select(Shift.line_id, func.sum(clipped))
        .where(Shift.line_id.in_(line_ids), Shift.starts_at < until, Shift.ends_at > since)
        .group_by(Shift.line_id)
    ):
        per_line[line_id].shift_seconds = float(seconds or 0)
    total.shift_seconds = sum(f.shift_seconds for f in per_line.values())


def anonymous_hash(salt: str) -> str:
    """The caller hash every call with a withheld number gets (see ``calls.new_call``)."""
    return caller_hash("anonymous", salt)


def summary(figures: Figures) -> list[tuple[str, str]]:
    """The report's figures as ``(name, value)`` text, for ``rufbereit stats report``."""

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} s"

    return [
        ("calls", str(figures.calls)),
        ("offered", str(figures.offered)),
        *((name, str(figures.count(name))) for name in COUNTS),
        ("answered share", f"{figures.answered_share:.1%}"),
        ("waiting time median", seconds(figures.wait_median)),
        ("waiting time 90th percentile", seconds(figures.wait_p90)),
        ("callers", str(figures.callers)),
        ("repeat callers", str(figures.repeat_callers)),
        ("calls by repeat callers", str(figures.repeat_calls)),
        ("planned shift hours", f"{figures.shift_hours:.1f}"),
        ("talk time hours", f"{figures.talk_hours:.1f}"),
    ]


# -- the CLI summary (``rufbereit stats``) ---------------------------------------------------


@dataclass
class LineStats:
    line: str
    partner: str | None
    calls: int = 0
    callers: int = 0  # distinct caller hashes: repeat callers count once
    outcomes: dict[str, int] = field(default_factory=dict)
    avg_wait_seconds: float | None = None
    answered_share: float = 0.0


def line_stats(
    session: Session, since: dt.datetime, until: dt.datetime, partner: str | None = None
) -> list[LineStats]:
    """Calls started in ``[since, until)``, per line with calls, optionally for one partner;
    the same figures as :func:`report`."""
    lines = lines_for(session, partner=partner)
    if not lines:
        return []
    zone = lines[0].timezone
    # A period of whole local days covering [since, until); the bounds are then exact.
    period = Period(since.date(), until.date(), zone)
    result = report(session, lines, period)
    return sorted(
        (
            LineStats(
                row.line,
                row.partner,
                row.figures.calls,
                row.figures.callers,
                dict(row.figures.counts),
                row.figures.avg_wait_seconds,
                row.figures.answered_share,
            )
            for row in result.lines
            if row.figures.calls
        ),
        key=lambda r: (r.partner or "", r.line),
    )

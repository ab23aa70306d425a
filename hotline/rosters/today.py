"""The rosters' panels on the Today page: who is on shift now on each line, and the gaps of
the next 14 days.

Gaps come from the week view's own computation (:func:`hotline.rosters.staffing.week_view`),
so the Today page and the week view never disagree about what a gap is: an hour whose
lowest staffing is below its minimum (by default one operator in every opening hour). Only
hours that have not ended yet count, and consecutive gap hours are shown as one span.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.i18n import N_
from hotline.core.models import User
from hotline.core.oncall.models import (
    MAX_SHIFT_HOURS,
    Availability,
    Line,
    Operator,
    OperatorStatus,
    Shift,
)
from hotline.core.registry import Registry
from hotline.rosters.staffing import Slot, monday_of, week_view

#: How far ahead the gaps panel looks.
GAP_DAYS = 14
#: Spans shown per line; the rest are counted.
MAX_GAP_SPANS = 12


@dataclass
class LineNow:
    """Who can be rung on one line right now."""

    line: Line
    on_shift: list[tuple[Operator, Shift]] = field(default_factory=list)
    available: list[tuple[Operator, Availability]] = field(default_factory=list)

    @property
    def staffed(self) -> int:
        return len({o.id for o, _ in self.on_shift} | {o.id for o, _ in self.available})


@dataclass
class GapSpan:
    """Consecutive gap hours of one line, in its wall-clock time."""

    start: dt.datetime  # local, naive
    end: dt.datetime  # local, naive
    staffed: int
    required: int


@dataclass
class LineGaps:
    line: Line
    spans: list[GapSpan]
    more: int = 0


def _lines(session: Session) -> list[Line]:
    return list(session.scalars(select(Line).where(Line.active.is_(True)).order_by(Line.name)))


def on_shift_now(session: Session, now: dt.datetime) -> list[LineNow]:
    """Per active line: active operators on shift at ``now`` (with their shift), and those
    who texted that they are available now (with until when)."""
    earliest = now - dt.timedelta(hours=MAX_SHIFT_HOURS)
    entries = {line.id: LineNow(line) for line in _lines(session)}
    # One query per kind for every line (the panel reloads itself every few seconds).
    shifts = session.execute(
        select(Operator, Shift)
        .join(Shift, Shift.operator_id == Operator.id)
        .where(
            Shift.line_id.in_(entries),
            Shift.starts_at > earliest,
            Shift.starts_at <= now,
            Shift.ends_at > now,
            Operator.status == OperatorStatus.ACTIVE,
        )
        .order_by(Operator.name)
    ).all()
    for op, shift in shifts:
        entries[shift.line_id].on_shift.append((op, shift))
    available = session.execute(
        select(Operator, Availability)
        .join(Availability, Availability.operator_id == Operator.id)
        .where(
            Availability.line_id.in_(entries),
            Availability.started_at > earliest,
            Availability.started_at <= now,
            Availability.until > now,
            Operator.status == OperatorStatus.ACTIVE,
        )
        .order_by(Operator.name)
    ).all()
    for op, avail in available:
        entries[avail.line_id].available.append((op, avail))
    return list(entries.values())


def gaps_ahead(session: Session, now: dt.datetime, days: int = GAP_DAYS) -> list[LineGaps]:
    """Per active line with gaps: the gap spans from ``now`` to ``days`` days ahead."""
    end = now + dt.timedelta(days=days)
    result = []
    for line in _lines(session):
        zone = ZoneInfo(line.timezone)
        first = monday_of(now.astimezone(zone).date())
        last = end.astimezone(zone).date()
        slots: list[Slot] = []
        monday = first
        while monday <= last:
            view = week_view(session, line, monday)
            slots.extend(s for s in view.gaps if s.ends_at > now and s.starts_at < end)
            monday += dt.timedelta(days=7)
        spans = _spans(sorted(slots, key=lambda s: s.starts_at))
        if spans:
            shown = spans[:MAX_GAP_SPANS]
            result.append(LineGaps(line, shown, len(spans) - len(shown)))
    return result


def _spans(slots: list[Slot]) -> list[GapSpan]:
    spans: list[GapSpan] = []
    previous: Slot | None = None
    for slot in slots:
        start = dt.datetime.combine(slot.day, dt.time(slot.hour))
        stop = start + dt.timedelta(hours=1)
        if previous is not None and previous.ends_at == slot.starts_at:
            span = spans[-1]
            span.end = stop
            span.staffed = min(span.staffed, slot.staffed)
            span.required = max(span.required, slot.required)
        else:
            spans.append(GapSpan(start, stop, slot.staffed, slot.required))
        previous = slot
    return spans


def render_on_shift(session: Session, user: User, now: dt.datetime) -> str:
    return render_template("rosters/today_on_shift.html", lines=on_shift_now(session, now))


def render_gaps(session: Session, user: User, now: dt.datetime) -> str:
    gaps = gaps_ahead(session, now)
    return render_template("rosters/today_gaps.html", gaps=gaps, days=GAP_DAYS) if gaps else ""


def register(registry: Registry) -> None:
    registry.panel(
        "today",
        "on_shift",
        N_("Jetzt im Dienst"),
        render_on_shift,
        "planner",
        order=10,
        refresh_seconds=60,
    )
    registry.panel(
        "today", "gaps", N_("Lücken der nächsten 14 Tage"), render_gaps, "planner", order=60
    )

"""What call handling reads about a line and who can be rung on it, as read-only copies.

Every call asks the same two questions: which line was dialled (its flow, hours and ring
settings), and who can be rung on it right now (on shift or available, active, not in a
call). Both are read from the database when they are asked, so a roster change, an
operator's ``AN``/``AUS`` or a call picked up counts from the next call on, in every web
process. (A per-worker cache of both answers was measured and did not pay its way: see
docs/benchmarks.md, "Mechanisms".) The copies are frozen dataclasses so flows, hours and
routing read the same attributes whether they have the line row or this.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.core.oncall.hours import Span
from hotline.core.oncall.models import Line, RingStrategy
from hotline.core.oncall.shifts import on_shift
from hotline.voice.calls import busy_operator_ids


@dataclass(frozen=True)
class ClosureDay:
    date: dt.date


@dataclass(frozen=True)
class LineInfo:
    """A read-only copy of a :class:`~hotline.models.Line` with the attributes call handling
    reads (same names, so flows, hours and routing take either)."""

    id: int
    number: str
    name: str
    flow: str
    timezone: str
    fallback_number: str | None
    ring_strategy: RingStrategy
    ring_timeout: int
    show_caller_number: bool
    queue_timeout: int
    opening_spans: tuple[Span, ...]
    closures: tuple[ClosureDay, ...]
    holiday_state: str | None = None

    @classmethod
    def of(cls, line: Line) -> LineInfo:
        return cls(
            id=line.id,
            number=line.number,
            name=line.name,
            flow=line.flow,
            timezone=line.timezone,
            fallback_number=line.fallback_number,
            ring_strategy=RingStrategy(line.ring_strategy),
            ring_timeout=line.ring_timeout,
            show_caller_number=line.show_caller_number,
            queue_timeout=line.queue_timeout,
            opening_spans=tuple(Span(s.weekday, s.opens, s.closes) for s in line.opening_spans),
            closures=tuple(ClosureDay(c.date) for c in line.closures),
            holiday_state=line.holiday_state,
        )


@dataclass(frozen=True)
class OperatorInfo:
    """An operator who can be rung: what ranking and dialling need."""

    id: int
    phone_number: str
    languages: tuple[str, ...]
    last_call_at: dt.datetime | None


def load_line(session: Session, number: str) -> LineInfo | None:
    line = session.scalar(
        select(Line)
        .where(Line.number == number, Line.active.is_(True))
        .options(selectinload(Line.opening_spans), selectinload(Line.closures))
    )
    return LineInfo.of(line) if line is not None else None


def load_available(session: Session, line_id: int, now: dt.datetime) -> tuple[OperatorInfo, ...]:
    """Operators on shift (or available by SMS) on the line and not in a call."""

    busy = busy_operator_ids(session, now)
    return tuple(
        OperatorInfo(op.id, op.phone_number, tuple(op.languages or ()), op.last_call_at)
        for op in on_shift(session, line_id, now)
        if op.id not in busy
    )

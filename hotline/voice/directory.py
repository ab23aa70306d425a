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
from dataclasses import dataclass, fields

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from hotline.core.models import code_list
from hotline.core.oncall.hours import Span
from hotline.core.oncall.models import (
    MAX_SHIFT_HOURS,
    Closure,
    Line,
    OpeningSpan,
    Operator,
    OperatorStatus,
    RingStrategy,
)
from hotline.core.oncall.shifts import rostered_operator_ids
from hotline.voice.calls import BUSY_WINDOW, in_a_call


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
        return cls.from_attributes(
            line,
            tuple(Span(s.weekday, s.opens, s.closes) for s in line.opening_spans),
            tuple(ClosureDay(c.date) for c in line.closures),
        )

    @classmethod
    def from_attributes(
        cls, line: object, spans: tuple[Span, ...], closures: tuple[ClosureDay, ...]
    ) -> LineInfo:
        """From anything with the line's attributes (the ORM row, a result row)."""
        values = {name: getattr(line, name) for name in _LINE_COLUMNS}
        values["ring_strategy"] = RingStrategy(values["ring_strategy"])
        return cls(**values, opening_spans=spans, closures=closures)


@dataclass(frozen=True)
class OperatorInfo:
    """An operator who can be rung: what ranking and dialling need."""

    id: int
    phone_number: str
    languages: tuple[str, ...]
    last_call_at: dt.datetime | None


#: The line by its number, with its opening spans and the closures that can bear on the
#: hours near ``at`` (a span belongs to the day it starts on, so today and yesterday in the
#: line's zone, which lie within two days of the UTC date): one statement, plain rows (no
#: ORM objects to build and throw away on every call), built once.
_lines, _spans, _closures = Line.__table__, OpeningSpan.__table__, Closure.__table__
_LINE_COLUMNS = tuple(
    f.name for f in fields(LineInfo) if f.name not in ("opening_spans", "closures")
)
_LINE = (
    select(
        *(_lines.c[name] for name in _LINE_COLUMNS),
        _spans.c.weekday,
        _spans.c.opens,
        _spans.c.closes,
        _closures.c.date,
    )
    .select_from(
        _lines.outerjoin(_spans, _spans.c.line_id == _lines.c.id).outerjoin(
            _closures,
            and_(
                _closures.c.line_id == _lines.c.id,
                _closures.c.date >= bindparam("first_day"),
                _closures.c.date <= bindparam("last_day"),
            ),
        )
    )
    .where(_lines.c.number == bindparam("number"), _lines.c.active.is_(True))
)


def load_line(session: Session, number: str, at: dt.datetime) -> LineInfo | None:
    """The active line dialled as ``number``, as call handling at ``at`` needs it."""
    day = at.date()
    rows = session.execute(
        _LINE,
        {"number": number, "first_day": day - _TWO_DAYS, "last_day": day + _ONE_DAY},
    ).all()
    if not rows:
        return None
    spans = dict.fromkeys(Span(r.weekday, r.opens, r.closes) for r in rows if r.weekday is not None)
    closures = dict.fromkeys(ClosureDay(r.date) for r in rows if r.date is not None)
    ordered = tuple(sorted(spans, key=lambda s: (s.weekday, s.opens)))
    return LineInfo.from_attributes(rows[0], ordered, tuple(closures))


_ONE_DAY, _TWO_DAYS = dt.timedelta(days=1), dt.timedelta(days=2)

_operators = Operator.__table__

#: Who can be rung on a line at an instant, in one statement: active operators on shift or
#: available by SMS who are not in a call. Built once, with bound parameters.
_AVAILABLE = select(
    _operators.c.id,
    _operators.c.phone_number,
    _operators.c.language_codes,
    _operators.c.last_call_at,
).where(
    _operators.c.id.in_(
        rostered_operator_ids(bindparam("line_id"), bindparam("at"), bindparam("earliest"))
    ),
    _operators.c.status == OperatorStatus.ACTIVE,
    _operators.c.id.not_in(in_a_call(bindparam("busy_since"))),
)


def load_available(session: Session, line_id: int, now: dt.datetime) -> tuple[OperatorInfo, ...]:
    """Operators on shift (or available by SMS) on the line and not in a call."""
    rows = session.execute(
        _AVAILABLE,
        {
            "line_id": line_id,
            "at": now,
            "earliest": now - dt.timedelta(hours=MAX_SHIFT_HOURS),
            "busy_since": now - BUSY_WINDOW,
        },
    )
    return tuple(
        OperatorInfo(
            r.id,
            r.phone_number,
            tuple(code_list(r.language_codes)),
            r.last_call_at,
        )
        for r in rows
    )

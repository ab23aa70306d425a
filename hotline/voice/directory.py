"""What the voice entry webhook needs to know before it answers, kept in memory briefly.

Every inbound call starts with the same two questions: which line was dialled (its flow,
hours and ring settings), and who can be rung on it right now (on shift or available, active,
not in a call). Both answers change at human pace (a planner edits a roster, an operator texts
``AN``, a call is picked up) while calls can arrive many times a second, so each web worker
keeps them for ``ROUTING_CACHE_SECONDS`` (default 2 s; 0 reads the database on every call).
The entry webhook then needs a single database write: the call record.

The price is that a change reaches the entry webhook up to that many seconds late. Follow-up
webhooks (the next ringing round, the queue, accepting) always read the database.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.core.oncall.hours import Span
from hotline.core.oncall.models import Line, RingStrategy
from hotline.core.oncall.shifts import on_shift
from hotline.voice.calls import busy_operator_ids

K = TypeVar("K")
V = TypeVar("V")


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


class Directory:
    """Per-process cache of lines by number and of who can be rung per line."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lines: dict[str, tuple[float, LineInfo | None]] = {}
        self._available: dict[int, tuple[float, tuple[OperatorInfo, ...]]] = {}
        self._lock = threading.Lock()

    def line(self, session_factory: Callable[[], Session], number: str) -> LineInfo | None:
        """The active line with ``number`` (or None); unknown numbers are remembered too, so a
        misrouted number cannot turn every call into a database query."""
        return self._cached(self._lines, number, lambda: load_line(session_factory(), number))

    def available(
        self, session_factory: Callable[[], Session], line_id: int, at: dt.datetime
    ) -> tuple[OperatorInfo, ...]:
        return self._cached(
            self._available, line_id, lambda: load_available(session_factory(), line_id, at)
        )

    def _cached(self, store: dict[K, tuple[float, V]], key: K, load: Callable[[], V]) -> V:
        now = self.clock()
        hit = store.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if self.ttl > 0:
            with self._lock:
                store[key] = (now + self.ttl, value)
        return value

    def forget(self, line_id: int | None = None) -> None:
        """Drop cached answers (all, or one line's operators), e.g. after this worker saw an
        operator accept a call."""
        with self._lock:
            if line_id is None:
                self._lines.clear()
                self._available.clear()
            else:
                self._available.pop(line_id, None)


def current_directory() -> Directory:
    """The directory of the current app (created by :func:`hotline.voice.init_app`)."""
    from flask import current_app

    return current_app.extensions["rufbereit.directory"]

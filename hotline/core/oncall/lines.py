"""Creating and configuring lines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.errors import DomainError
from hotline.core.oncall.hours import WEEKDAYS, parse_span
from hotline.core.oncall.models import Closure, Coordinator, Line, OpeningSpan, RingStrategy
from hotline.core.phones import to_dialable_e164, to_e164, to_mobile_e164


class LineError(DomainError):
    """A line or line setting that cannot be stored as given."""


def create_line(
    session: Session,
    number: str,
    name: str,
    flow: str,
    *,
    timezone: str = "Europe/Berlin",
    fallback_number: str | None = None,
    partner: str | None = None,
    ring_strategy: RingStrategy | str = RingStrategy.SIMULTANEOUS,
    ring_timeout: int = 20,
    queue_timeout: int = 180,
    show_caller_number: bool = False,
    hours: dict[str, list[str]] | None = None,
    region: str = "DE",
    emergency_number: str | None = None,
) -> Line:
    """Create a line. ``hours`` maps ``mon``…``sun`` to spans like ``"20:00-04:00"``.

    ``number`` is the organisation's own hotline number and only parsed; the fallback number
    is one the product dials (:func:`~hotline.core.phones.to_dialable_e164`), and so is
    ``emergency_number``: the emergency control centre's dialable number an operator may add
    to a call (``HILFE 112``); unset, the line may not escalate to it.
    """
    e164 = to_e164(number, region)
    if session.scalar(select(Line.id).where(Line.number == e164)) is not None:
        raise LineError("line_number_taken", number=e164)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LineError("timezone_unknown", timezone=timezone) from exc
    if not 5 <= ring_timeout <= 120:
        raise LineError("seconds_out_of_range", name="ring_timeout", low=5, high=120)
    line = Line(
        number=e164,
        name=name,
        flow=flow,
        timezone=timezone,
        # Dialled when nobody answers: an office line or a free crisis line (0800) will do,
        # a premium-rate or foreign number will not.
        fallback_number=to_dialable_e164(fallback_number, region) if fallback_number else None,
        partner=partner,
        ring_strategy=RingStrategy(ring_strategy),
        ring_timeout=ring_timeout,
        queue_timeout=queue_timeout,
        show_caller_number=show_caller_number,
        emergency_number=to_dialable_e164(emergency_number, region) if emergency_number else None,
    )
    session.add(line)
    if hours:
        set_hours(line, hours)
    session.flush()
    return line


def set_hours(line: Line, hours: dict[str, list[str]]) -> None:
    spans = []
    for day, texts in hours.items():
        if day not in WEEKDAYS:
            raise LineError("weekday_unknown", day=day, days=", ".join(WEEKDAYS))
        for text in texts:
            span = parse_span(text, WEEKDAYS.index(day))
            spans.append(OpeningSpan(weekday=span.weekday, opens=span.opens, closes=span.closes))
    line.opening_spans = spans


def always_open(line: Line) -> None:
    line.opening_spans = [
        OpeningSpan(weekday=d, opens=dt.time(0), closes=dt.time(0)) for d in range(7)
    ]


def add_closure(line: Line, date: dt.date, reason: str | None = None) -> None:
    line.closures.append(Closure(date=date, reason=reason))


def add_coordinator(line: Line, name: str, phone: str, region: str = "DE") -> Coordinator:
    coordinator = Coordinator(name=name, phone_number=to_mobile_e164(phone, region))
    line.coordinators.append(coordinator)
    return coordinator

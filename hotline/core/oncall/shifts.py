"""Shifts: wall-clock times in an IANA zone, queried by UTC instant.

Planners think in wall-clock time ("22:00 to 02:00"), so that is what is stored, together
with the zone. The UTC instants are derived once, when the shift is written; on a DST night a
22:00–02:00 shift therefore ends when the wall clock shows 02:00, however many hours that is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, select, union
from sqlalchemy.orm import Session

from hotline.core.errors import DomainError
from hotline.core.oncall.availability import available_operator_ids
from hotline.core.oncall.models import MAX_SHIFT_HOURS, Line, Operator, OperatorStatus, Shift

# Longest allowed shift. It bounds the "on shift now" range scan: only shifts that started in
# the last MAX_SHIFT_HOURS can still be running, so the query never walks all history.


class ShiftError(DomainError):
    """A shift that cannot be stored as given."""


def local_to_utc(local: dt.datetime, timezone: str) -> dt.datetime:
    """Wall-clock time in ``timezone`` → aware UTC.

    Ambiguous times (the repeated hour in autumn) take the first occurrence; times that do not
    exist (the skipped hour in spring) are read with the offset in force before the jump,
    which lands on the instant the clocks skip forward (PEP 495, ``fold=0``).
    """
    return local.replace(tzinfo=ZoneInfo(timezone), fold=0).astimezone(dt.UTC)


def create_shift(
    session: Session,
    operator_id: int,
    line_id: int,
    local_start: dt.datetime,
    local_end: dt.datetime,
    timezone: str | None = None,
) -> Shift:
    """Add a shift; ``local_start``/``local_end`` are naive wall-clock times."""
    line = session.get(Line, line_id)
    if line is None:
        raise ShiftError("line_unknown", line_id=line_id)
    if session.get(Operator, operator_id) is None:
        raise ShiftError("operator_unknown", operator_id=operator_id)
    tz = timezone or line.timezone
    try:
        ZoneInfo(tz)
    except Exception as exc:
        raise ShiftError("timezone_unknown", timezone=tz) from exc
    if local_start.tzinfo is not None or local_end.tzinfo is not None:
        raise ShiftError("shift_times_with_zone")
    starts_at = local_to_utc(local_start, tz)
    ends_at = local_to_utc(local_end, tz)
    if ends_at <= starts_at:
        raise ShiftError("shift_ends_before_start")
    if ends_at - starts_at > dt.timedelta(hours=MAX_SHIFT_HOURS):
        raise ShiftError("shift_too_long", hours=MAX_SHIFT_HOURS)
    shift = Shift(
        operator_id=operator_id,
        line_id=line_id,
        local_start=local_start,
        local_end=local_end,
        timezone=tz,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    session.add(shift)
    return shift


def rostered_operator_ids(line_id: Any, at: Any, earliest: Any = None) -> CompoundSelect:
    """Ids of the operators on shift on ``line_id`` at ``at`` or available there by SMS: two
    range scans on (line_id, start), bounded by ``earliest`` (``at`` less
    :data:`MAX_SHIFT_HOURS` by default: no shift lasts longer), so never a walk over history.
    Values or bound parameters, so that a statement built once can take them at each
    execution."""
    if earliest is None:
        earliest = at - dt.timedelta(hours=MAX_SHIFT_HOURS)
    shifts = Shift.__table__.c
    on_duty = select(shifts.operator_id).where(
        shifts.line_id == line_id,
        shifts.starts_at > earliest,
        shifts.starts_at <= at,
        shifts.ends_at > at,
    )
    return union(on_duty, available_operator_ids(line_id, at, earliest))


def on_shift(session: Session, line_id: int, at: dt.datetime) -> list[Operator]:
    """Active operators on shift on ``line_id`` at instant ``at``, and those who said by SMS
    that they are available now."""
    # One IN over a UNION, not two INs joined by OR: with OR, PostgreSQL filters every
    # operator row against both subqueries (a scan of all operators on each call).
    stmt = select(Operator).where(
        Operator.id.in_(rostered_operator_ids(line_id, at)),
        Operator.status == OperatorStatus.ACTIVE,
    )
    return list(session.scalars(stmt))

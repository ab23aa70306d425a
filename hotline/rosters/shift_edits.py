"""Creating, changing and removing shifts on behalf of someone, with an audit record each.

Removing a shift that has already started ends it now instead of erasing it, and shifts in
the past are never erased: call statistics and the audit trail refer to them.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.models import utcnow
from hotline.core.oncall.models import Line, Operator, Shift
from hotline.core.oncall.shifts import MAX_SHIFT_HOURS, ShiftError, create_shift, local_to_utc
from hotline.rosters.audit import Actor, record, snapshot
from hotline.rosters.bounds import check_dates
from hotline.rosters.models import PatternOccurrence


class RemoveOutcome:
    DELETED = "deleted"
    ENDED = "ended"


def add_shift(
    session: Session,
    actor: Actor,
    operator_id: int,
    line_id: int,
    local_start: dt.datetime,
    local_end: dt.datetime,
    action: str = "create",
) -> Shift:
    """Book ``operator_id`` on ``line_id`` from ``local_start`` to ``local_end`` (wall-clock
    times in the line's zone): the one way every new shift is made (browser, command line,
    CSV import, patterns, claims), so each is bounds-checked, overlap-checked and audited."""
    check_dates(local_start, local_end)
    shift = create_shift(session, operator_id, line_id, local_start, local_end)
    _refuse_double_booking(session, operator_id, shift.starts_at, shift.ends_at, None)
    session.flush()
    record(session, shift.id, action, actor, None, snapshot(shift))
    return shift


def clash_of(
    session: Session,
    operator_id: int,
    line_id: int,
    local_start: dt.datetime,
    local_end: dt.datetime,
) -> ShiftError | None:
    """Why a new shift would be refused as a double booking (the refusal), or None:
    lets bulk writers (patterns, copying a week) skip a conflicting shift and report it
    instead of refusing everything."""
    line = session.get(Line, line_id)
    if line is None:
        raise ShiftError("line_unknown", line_id=line_id)
    starts_at = local_to_utc(local_start, line.timezone)
    ends_at = local_to_utc(local_end, line.timezone)
    try:
        _refuse_double_booking(session, operator_id, starts_at, ends_at, None)
    except ShiftError as exc:
        return exc
    return None


def change_shift(
    session: Session,
    actor: Actor,
    shift: Shift,
    operator_id: int,
    local_start: dt.datetime,
    local_end: dt.datetime,
    action: str = "update",
) -> Shift:
    """Change who works a shift and when; the same bounds as for new shifts apply."""
    check_dates(local_start, local_end)
    before = snapshot(shift)
    starts_at = local_to_utc(local_start, shift.timezone)
    ends_at = local_to_utc(local_end, shift.timezone)
    if ends_at <= starts_at:
        raise ShiftError("shift_ends_before_start")
    if ends_at - starts_at > dt.timedelta(hours=MAX_SHIFT_HOURS):
        raise ShiftError("shift_too_long", hours=MAX_SHIFT_HOURS)
    if session.get(Operator, operator_id) is None:
        raise ShiftError("operator_unknown", operator_id=operator_id)
    _refuse_double_booking(session, operator_id, starts_at, ends_at, shift.id)
    shift.operator_id = operator_id
    shift.local_start, shift.local_end = local_start, local_end
    shift.starts_at, shift.ends_at = starts_at, ends_at
    session.flush()
    _mark_overridden(session, shift.id)
    record(session, shift.id, action, actor, before, snapshot(shift))
    return shift


def remove_shift(
    session: Session, actor: Actor, shift: Shift, now: dt.datetime | None = None
) -> str:
    """Delete a future shift; end a running one now; refuse to erase a past one."""
    now = now or utcnow()
    before = snapshot(shift)
    if shift.starts_at > now:
        session.execute(
            PatternOccurrence.__table__.update()
            .where(PatternOccurrence.shift_id == shift.id)
            .values(shift_id=None, overridden=True)
        )
        shift_id = shift.id
        session.delete(shift)
        session.flush()
        record(session, shift_id, "delete", actor, before, None)
        return RemoveOutcome.DELETED
    if shift.ends_at <= now:
        raise ShiftError("shift_past")
    end = max(now.replace(microsecond=0), shift.starts_at + dt.timedelta(seconds=1))
    shift.ends_at = end
    shift.local_end = end.astimezone(ZoneInfo(shift.timezone)).replace(tzinfo=None)
    session.flush()
    _mark_overridden(session, shift.id)
    record(session, shift.id, "end", actor, before, snapshot(shift))
    return RemoveOutcome.ENDED


def _refuse_double_booking(
    session: Session,
    operator_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    except_id: int | None,
) -> None:
    """One person cannot work two shifts at once (on any line); also keeps a re-imported
    file from doubling every shift. Bounded by MAX_SHIFT_HOURS on the operator index."""
    stmt = select(Shift).where(
        Shift.operator_id == operator_id,
        Shift.starts_at > starts_at - dt.timedelta(hours=MAX_SHIFT_HOURS),
        Shift.starts_at < ends_at,
        Shift.ends_at > starts_at,
    )
    if except_id is not None:
        stmt = stmt.where(Shift.id != except_id)
    with session.no_autoflush:
        clash = session.scalars(stmt.limit(1)).first()
    if clash is not None:
        raise ShiftError(
            "shift_overlap",
            start=f"{clash.local_start:%Y-%m-%d %H:%M}",
            end=f"{clash.local_end:%Y-%m-%d %H:%M}",
        )


def _mark_overridden(session: Session, shift_id: int) -> None:
    """A hand-edited occurrence of a pattern is left alone when the pattern changes."""
    occurrence = session.scalar(
        select(PatternOccurrence).where(PatternOccurrence.shift_id == shift_id)
    )
    if occurrence is not None:
        occurrence.overridden = True

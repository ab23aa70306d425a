"""The shift audit log: every change to a shift with who made it, when, before and after.

Snapshots are plain JSON (ids, wall-clock times, zone) so a record stays readable after the
shift itself is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.oncall.models import Shift
from hotline.rosters.models import ShiftAudit


@dataclass(frozen=True)
class Actor:
    """Who made a change: a signed-in user, an operator by SMS, or the system."""

    label: str
    user_id: int | None = None


SYSTEM = Actor("system")
#: Changes made with the ``rufbereit`` command on the server.
COMMAND_LINE = Actor("Kommandozeile")


def snapshot(shift: Shift | None) -> dict[str, Any] | None:
    if shift is None:
        return None
    return {
        "operator_id": shift.operator_id,
        "line_id": shift.line_id,
        "local_start": shift.local_start.isoformat(timespec="minutes"),
        "local_end": shift.local_end.isoformat(timespec="minutes"),
        "timezone": shift.timezone,
    }


def record(
    session: Session,
    shift_id: int | None,
    action: str,
    actor: Actor,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> ShiftAudit:
    entry = ShiftAudit(
        shift_id=shift_id,
        action=action,
        actor=actor.label[:160],
        user_id=actor.user_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def history(session: Session, shift_id: int | None = None, limit: int = 200) -> list[ShiftAudit]:
    stmt = select(ShiftAudit).order_by(ShiftAudit.at.desc(), ShiftAudit.id.desc()).limit(limit)
    if shift_id is not None:
        stmt = stmt.where(ShiftAudit.shift_id == shift_id)
    return list(session.scalars(stmt))

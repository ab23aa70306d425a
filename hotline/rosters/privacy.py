"""Retention and data-subject requests for the rosters: operators, their ad-hoc availability
and the shift audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.core.models import User
from hotline.core.oncall.models import Availability, Operator, OperatorStatus, Shift
from hotline.core.registry import Registry
from hotline.core.retention import PersonalData, RetentionRule, days, delete_before
from hotline.rosters.models import ShiftAudit, ShiftConfirmation


def purge_availability(session: Session, now: dt.datetime) -> str:
    cutoff = now - days("AVAILABILITY_RETENTION_DAYS")
    return f"forgot {delete_before(session, Availability.until, cutoff)} availability entr(y/ies)"


def purge_audit(session: Session, now: dt.datetime) -> str:
    cutoff = now - days("AUDIT_RETENTION_DAYS")
    deleted = session.execute(
        delete(ShiftAudit)
        .where(ShiftAudit.at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"forgot {deleted} audit entr(y/ies)"


def purge_confirmations(session: Session, now: dt.datetime) -> str:
    cutoff = now - days("AUDIT_RETENTION_DAYS")
    deleted = delete_before(session, ShiftConfirmation.asked_at, cutoff)
    return f"forgot {deleted} shift confirmation(s)"


def export_operator(session: Session, phone: str) -> list[dict[str, object]]:
    operator = session.scalar(select(Operator).where(Operator.phone_number == phone))
    if operator is None:
        return []
    shifts = session.scalars(select(Shift).where(Shift.operator_id == operator.id)).all()
    return [
        {
            "operator": operator.id,
            "name": operator.name,
            "languages": operator.languages,
            "status": operator.status.value,
            "shifts": [
                {
                    "line": s.line.name,
                    "from": s.local_start.isoformat(),
                    "to": s.local_end.isoformat(),
                }
                for s in shifts
            ],
            "shift_confirmations": [
                {
                    "shift": c.shift_id,
                    "status": c.status.value,
                    "asked_at": c.asked_at.isoformat(),
                    "confirmed_at": c.confirmed_at.isoformat() if c.confirmed_at else None,
                    "declined_at": c.declined_at.isoformat() if c.declined_at else None,
                }
                for c in session.scalars(
                    select(ShiftConfirmation).where(ShiftConfirmation.operator_id == operator.id)
                )
            ],
        }
    ]


def erase_operator(session: Session, phone: str) -> int:
    """The operator is anonymised rather than deleted: answered calls and past shifts keep
    pointing at someone (statistics), but at no name or number; future shifts go."""
    operator = session.scalar(select(Operator).where(Operator.phone_number == phone))
    if operator is None:
        return 0
    operator.name = "gelöscht"
    operator.phone_number = f"erased-{operator.id}"
    operator.status = OperatorStatus.PAUSED
    session.execute(delete(Availability).where(Availability.operator_id == operator.id))
    session.execute(delete(ShiftConfirmation).where(ShiftConfirmation.operator_id == operator.id))
    session.execute(
        delete(Shift).where(
            Shift.operator_id == operator.id, Shift.starts_at > dt.datetime.now(dt.UTC)
        )
    )
    for user in session.scalars(select(User).where(User.operator_id == operator.id)):
        user.active = False
        user.session_generation += 1
    return 1


def register(registry: Registry) -> None:
    registry.retention(
        RetentionRule(
            name="roster_availability",
            table="roster_availability",
            fields="operator_id, line_id, started_at, until",
            purpose="ring an operator who texted AN like someone on shift; shift statistics",
            period="`AVAILABILITY_RETENTION_DAYS` days after it ended (90)",
            action="deleted",
            apply=purge_availability,
        )
    )
    registry.retention(
        RetentionRule(
            name="roster_shift_audit",
            table="roster_shift_audit",
            fields="actor, before, after",
            purpose="show who changed which shift",
            period="`AUDIT_RETENTION_DAYS` days (730)",
            action="deleted",
            apply=purge_audit,
        )
    )
    registry.retention(
        RetentionRule(
            name="roster_shift_confirmations",
            table="roster_shift_confirmations",
            fields="operator_id, shift_id, status, asked_at, confirmed_at, declined_at",
            purpose="ask an operator to confirm a shift assigned to them; show planners declines",
            period="`AUDIT_RETENTION_DAYS` days after it was asked (730)",
            action="deleted",
            apply=purge_confirmations,
        )
    )
    registry.retention(
        RetentionRule(
            name="operators",
            table="operators",
            fields="name, phone_number, language_codes",
            purpose="ring volunteers on shift on their own mobile",
            period="while the person volunteers; on request (`privacy erase`) at once",
            action="anonymised",
        )
    )
    registry.personal(PersonalData("operator", export_operator, erase_operator))

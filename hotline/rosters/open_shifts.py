"""Open shifts (published by planners, claimed by operators) and swaps between operators.

Claims and takes are one conditional UPDATE (``… WHERE claimed_by_id IS NULL``): the database
lets exactly one of several simultaneous claims change the row, and only that claim goes on
to create the shift. The losers see "already taken" — nobody gets a shift twice.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.core.models import utcnow
from hotline.core.oncall.models import Line, Operator, OperatorStatus, Shift
from hotline.core.oncall.shifts import MAX_SHIFT_HOURS, ShiftError, local_to_utc
from hotline.rosters.audit import Actor
from hotline.rosters.bounds import check_dates
from hotline.rosters.models import OpenShift, SwapOffer, SwapStatus
from hotline.rosters.shift_edits import add_shift, change_shift


class ClaimResult(str, Enum):
    CLAIMED = "claimed"
    TAKEN = "taken"  # someone else was first
    GONE = "gone"  # no such open shift, or it is over


def publish_open_shift(
    session: Session,
    line_id: int,
    local_start: dt.datetime,
    local_end: dt.datetime,
    note: str = "",
    published_by_id: int | None = None,
) -> OpenShift:
    line = session.get(Line, line_id)
    if line is None:
        raise ShiftError("line_unknown", line_id=line_id)
    check_dates(local_start, local_end)
    starts_at = local_to_utc(local_start, line.timezone)
    ends_at = local_to_utc(local_end, line.timezone)
    if ends_at <= starts_at:
        raise ShiftError("shift_ends_before_start")
    if ends_at - starts_at > dt.timedelta(hours=MAX_SHIFT_HOURS):
        raise ShiftError("shift_too_long", hours=MAX_SHIFT_HOURS)
    slot = OpenShift(
        line_id=line_id,
        local_start=local_start,
        local_end=local_end,
        timezone=line.timezone,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip()[:200],
        published_by_id=published_by_id,
    )
    session.add(slot)
    session.flush()
    return slot


def unclaimed(session: Session, now: dt.datetime | None = None) -> list[OpenShift]:
    now = now or utcnow()
    stmt = (
        select(OpenShift)
        .where(OpenShift.claimed_by_id.is_(None), OpenShift.ends_at > now)
        .order_by(OpenShift.starts_at)
    )
    return list(session.scalars(stmt))


def claim_open_shift(
    session: Session,
    open_shift_id: int,
    operator_id: int,
    actor: Actor,
    now: dt.datetime | None = None,
) -> ClaimResult:
    """First claim wins. The conditional UPDATE comes first so that, on SQLite too, a
    concurrent claim waits for the lock and then sees the row already claimed."""
    now = now or utcnow()
    won = session.execute(
        update(OpenShift)
        .where(
            OpenShift.id == open_shift_id,
            OpenShift.claimed_by_id.is_(None),
            OpenShift.ends_at > now,
        )
        .values(claimed_by_id=operator_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        # Read the column itself: an OpenShift loaded before the UPDATE (``NEHMEN`` looks the
        # code up first) would still show it unclaimed.
        claimed_by = session.scalar(
            select(OpenShift.claimed_by_id).where(OpenShift.id == open_shift_id)
        )
        return ClaimResult.TAKEN if claimed_by is not None else ClaimResult.GONE
    operator = session.get(Operator, operator_id)
    if operator is None or operator.status != OperatorStatus.ACTIVE:
        raise ShiftError("operator_not_active")
    slot = session.get(OpenShift, open_shift_id)
    session.refresh(slot)
    shift = add_shift(
        session, actor, operator_id, slot.line_id, slot.local_start, slot.local_end, "claim"
    )
    slot.shift_id = shift.id
    session.flush()
    return ClaimResult.CLAIMED


# -- swaps ------------------------------------------------------------------------------


def offer_swap(
    session: Session, shift: Shift, operator_id: int, now: dt.datetime | None = None
) -> SwapOffer:
    """``operator_id`` offers their own future shift to the others."""
    now = now or utcnow()
    if shift.operator_id != operator_id:
        raise ShiftError("offer_not_own")
    if shift.starts_at <= now:
        raise ShiftError("offer_started")
    existing = session.scalar(
        select(SwapOffer).where(SwapOffer.shift_id == shift.id, SwapOffer.status == SwapStatus.OPEN)
    )
    if existing is not None:
        return existing
    offer = SwapOffer(
        shift_id=shift.id,
        offered_by_id=operator_id,
        summary=f"{shift.line.name}: {shift.local_start:%Y-%m-%d %H:%M}–{shift.local_end:%H:%M}",
    )
    session.add(offer)
    session.flush()
    return offer


def open_swaps(session: Session, now: dt.datetime | None = None) -> list[SwapOffer]:
    """Offers that can still be taken: open, and their shift exists and has not started."""
    now = now or utcnow()
    stmt = (
        select(SwapOffer)
        .join(Shift, Shift.id == SwapOffer.shift_id)
        .where(SwapOffer.status == SwapStatus.OPEN, Shift.starts_at > now)
        .order_by(Shift.starts_at)
    )
    return list(session.scalars(stmt))


def swap_log(session: Session, limit: int = 200) -> list[SwapOffer]:
    return list(
        session.scalars(select(SwapOffer).order_by(SwapOffer.created_at.desc()).limit(limit))
    )


def take_swap(
    session: Session,
    swap_id: int,
    operator_id: int,
    actor: Actor,
    now: dt.datetime | None = None,
) -> ClaimResult:
    """Another operator takes an offered shift; first taker wins."""
    now = now or utcnow()
    offer = session.get(SwapOffer, swap_id)
    if offer is None or offer.shift_id is None:
        return ClaimResult.GONE
    if offer.offered_by_id == operator_id:
        raise ShiftError("swap_own_shift")
    operator = session.get(Operator, operator_id)
    if operator is None or operator.status != OperatorStatus.ACTIVE:
        raise ShiftError("operator_not_active")
    won = session.execute(
        update(SwapOffer)
        .where(SwapOffer.id == swap_id, SwapOffer.status == SwapStatus.OPEN)
        .values(status=SwapStatus.TAKEN, taken_by_id=operator_id, taken_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        return ClaimResult.TAKEN
    session.refresh(offer)
    shift = session.get(Shift, offer.shift_id)
    if shift is None or shift.starts_at <= now:
        raise ShiftError("swap_gone")
    change_shift(session, actor, shift, operator_id, shift.local_start, shift.local_end, "swap")
    return ClaimResult.CLAIMED


def withdraw_swap(session: Session, swap_id: int, operator_id: int) -> bool:
    return (
        session.execute(
            update(SwapOffer)
            .where(
                SwapOffer.id == swap_id,
                SwapOffer.offered_by_id == operator_id,
                SwapOffer.status == SwapStatus.OPEN,
            )
            .values(status=SwapStatus.WITHDRAWN)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )

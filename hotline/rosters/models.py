"""Rosters: accounts, recurring shift patterns, open shifts, swaps, ad-hoc availability,
reminders and the shift audit log.

Everything a planner plans ends up as plain :class:`hotline.models.Shift` rows, so routing
keeps asking one indexed question ("who is on shift now?"). The tables here remember where a
shift came from (a weekly pattern, an open shift, a swap) and who changed what.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.core.models import Base, UTCDateTime, _enum, utcnow
from hotline.core.oncall.models import Line, Operator, Shift


class SwapStatus(str, Enum):
    OPEN = "open"
    TAKEN = "taken"
    WITHDRAWN = "withdrawn"


class ConfirmationStatus(str, Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class StaffingLevel(Base):
    """How many operators a line needs in one local hour of the week (``weekday`` 0 = Monday).

    Hours without a row need :data:`hotline.rosters.staffing.DEFAULT_REQUIRED` while the line
    is open and nobody while it is closed.
    """

    __tablename__ = "roster_staffing"
    __table_args__ = (
        UniqueConstraint("line_id", "weekday", "hour"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="staffing_weekday"),
        CheckConstraint("hour BETWEEN 0 AND 23", name="staffing_hour"),
        CheckConstraint("required >= 0", name="staffing_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    hour: Mapped[int] = mapped_column(Integer)
    required: Mapped[int] = mapped_column(Integer)


class ShiftPattern(Base):
    """A weekly recurring shift between two dates, materialised into shifts."""

    __tablename__ = "roster_patterns"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    line: Mapped[Line] = relationship()
    operator: Mapped[Operator] = relationship()
    exceptions: Mapped[list[PatternException]] = relationship(
        back_populates="pattern", cascade="all, delete-orphan", order_by="PatternException.date"
    )
    #: What the last materialisation in this session wrote and skipped (not stored);
    #: see :class:`hotline.rosters.patterns.Materialised`.
    materialised = None


class PatternException(Base):
    """A date on which a pattern does not produce a shift."""

    __tablename__ = "roster_pattern_exceptions"
    __table_args__ = (UniqueConstraint("pattern_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern_id: Mapped[int] = mapped_column(ForeignKey("roster_patterns.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)

    pattern: Mapped[ShiftPattern] = relationship(back_populates="exceptions")


class PatternOccurrence(Base):
    """The shift a pattern produced on one date. ``overridden`` occurrences were changed by
    hand (a one-off override) and are left alone when the pattern is edited."""

    __tablename__ = "roster_occurrences"
    __table_args__ = (UniqueConstraint("pattern_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern_id: Mapped[int] = mapped_column(ForeignKey("roster_patterns.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    shift_id: Mapped[int | None] = mapped_column(
        ForeignKey("shifts.id", ondelete="SET NULL"), unique=True
    )
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)

    shift: Mapped[Shift | None] = relationship()


class OpenShift(Base):
    """An unfilled slot published by a planner; the first operator to claim it gets it."""

    __tablename__ = "roster_open_shifts"
    __table_args__ = (Index("ix_roster_open_shifts_open", "claimed_by_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"))
    local_start: Mapped[dt.datetime] = mapped_column(DateTime)
    local_end: Mapped[dt.datetime] = mapped_column(DateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("roster_users.id", ondelete="SET NULL")
    )
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The short code operators text back (``NEHMEN <code>``) when the slot is offered by SMS.
    code: Mapped[str | None] = mapped_column(String(8), unique=True)
    #: The operator whose declined shift became this open shift (``NEIN`` to a confirmation).
    declined_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )

    line: Mapped[Line] = relationship()
    claimed_by: Mapped[Operator | None] = relationship(foreign_keys=[claimed_by_id])
    declined_by: Mapped[Operator | None] = relationship(foreign_keys=[declined_by_id])


class SwapOffer(Base):
    """An operator offers one of their shifts; another operator takes it over."""

    __tablename__ = "roster_swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int | None] = mapped_column(
        ForeignKey("shifts.id", ondelete="SET NULL"), index=True
    )
    offered_by_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    status: Mapped[SwapStatus] = mapped_column(
        _enum(SwapStatus, "swap_status"), default=SwapStatus.OPEN
    )
    summary: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    shift: Mapped[Shift | None] = relationship()
    offered_by: Mapped[Operator] = relationship(foreign_keys=[offered_by_id])
    taken_by: Mapped[Operator | None] = relationship(foreign_keys=[taken_by_id])


class ShiftReminder(Base):
    """Claim for the one reminder text of a shift: the unique row is written in the same
    transaction as the outbox message, so a second sweep (or a restarted worker) finds it and
    sends nothing."""

    __tablename__ = "roster_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShiftConfirmation(Base):
    """A shift assigned to an operator by someone else, texted to them to confirm.

    One row per shift and operator (a shift handed to someone else asks them anew); ``code``
    tells several pending shifts apart in the reply (``OK <code>``, ``NEIN <code>``).
    """

    __tablename__ = "roster_shift_confirmations"
    __table_args__ = (
        UniqueConstraint("shift_id", "operator_id"),
        Index("ix_roster_shift_confirmations_operator", "operator_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Cleared when the shift goes (a declined shift is removed; the answer stays on record).
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="SET NULL"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(8))
    status: Mapped[ConfirmationStatus] = mapped_column(
        _enum(ConfirmationStatus, "confirmation_status"), default=ConfirmationStatus.PENDING
    )
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    shift: Mapped[Shift | None] = relationship()
    operator: Mapped[Operator] = relationship()


class CalendarFeed(Base):
    """The secret token of an iCalendar subscription (``kind`` operator or line)."""

    __tablename__ = "roster_calendar_feeds"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(64), unique=True)


class ShiftAudit(Base):
    """One change to a shift: who, when, what it was before and after (JSON snapshots).

    ``shift_id`` has no foreign key so the record outlives a deleted shift.
    """

    __tablename__ = "roster_shift_audit"
    __table_args__ = (Index("ix_roster_shift_audit_shift", "shift_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(160))
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

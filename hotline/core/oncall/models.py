"""Who can be rung: lines, their opening hours and coordinators, operators, shifts and
ad-hoc availability. The voice hotline reads these; the rosters plan them.

Shifts keep their wall-clock start/end and IANA zone besides the UTC instants, because
"22:00 to 02:00" is what a planner means, whatever the DST transition in between does to the
elapsed time.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlalchemy import (
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

from hotline.core.models import Base, UTCDateTime, _enum, code_list, utcnow

#: No shift (nor ad-hoc availability) is longer: "who is on shift at t" stays a bounded
#: range scan on (line_id, starts_at).
MAX_SHIFT_HOURS = 24


class RingStrategy(str, Enum):
    SIMULTANEOUS = "simultaneous"
    SEQUENTIAL = "sequential"


class OperatorStatus(str, Enum):
    ACTIVE = "active"
    PAUSED = "paused"


class Line(Base):
    """One hotline phone number and how its calls are handled."""

    __tablename__ = "lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    flow: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    fallback_number: Mapped[str | None] = mapped_column(String(20))
    partner: Mapped[str | None] = mapped_column(String(120))
    ring_strategy: Mapped[RingStrategy] = mapped_column(
        _enum(RingStrategy, "ring_strategy"), default=RingStrategy.SIMULTANEOUS
    )
    ring_timeout: Mapped[int] = mapped_column(Integer, default=20)
    show_caller_number: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Where an operator in a call may add the emergency services (``HILFE 112``); unset,
    #: the default, means this line may not escalate to them.
    emergency_number: Mapped[str | None] = mapped_column(String(20))
    queue_timeout: Mapped[int] = mapped_column(Integer, default=180)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Service level the line aims for: this percentage of callers answered within this many
    # seconds; the rosters size staffing from call demand against it (Erlang C).
    service_level_percent: Mapped[int] = mapped_column(Integer, default=80, server_default="80")
    service_level_seconds: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    # German federal state ("NI", "BY" …) whose public holidays close the line like a
    # closure; None: only the listed closures.
    holiday_state: Mapped[str | None] = mapped_column(String(8))

    opening_spans: Mapped[list[OpeningSpan]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="OpeningSpan.weekday"
    )
    closures: Mapped[list[Closure]] = relationship(
        back_populates="line", cascade="all, delete-orphan"
    )
    coordinators: Mapped[list[Coordinator]] = relationship(
        back_populates="line", cascade="all, delete-orphan"
    )


class OpeningSpan(Base):
    """A weekly opening span in the line's local time; ``closes <= opens`` runs past midnight
    and ``closes == opens`` means 24 hours."""

    __tablename__ = "opening_spans"
    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    opens: Mapped[dt.time] = mapped_column(Time)
    closes: Mapped[dt.time] = mapped_column(Time)

    line: Mapped[Line] = relationship(back_populates="opening_spans")


class Closure(Base):
    """A holiday closure: spans starting on this local date do not open."""

    __tablename__ = "closures"
    __table_args__ = (UniqueConstraint("line_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))

    line: Mapped[Line] = relationship(back_populates="closures")


class Coordinator(Base):
    """Someone told about voicemails left on a line."""

    __tablename__ = "coordinators"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone_number: Mapped[str] = mapped_column(String(20))

    line: Mapped[Line] = relationship(back_populates="coordinators")


class Operator(Base):
    """A volunteer who takes calls on their own mobile phone."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone_number: Mapped[str] = mapped_column(String(20), unique=True)
    language_codes: Mapped[str] = mapped_column(String(60), default="de")
    status: Mapped[OperatorStatus] = mapped_column(
        _enum(OperatorStatus, "operator_status"), default=OperatorStatus.ACTIVE
    )
    last_call_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def languages(self) -> list[str]:
        return code_list(self.language_codes)

    @languages.setter
    def languages(self, codes: list[str]) -> None:
        self.language_codes = ",".join(dict.fromkeys(c.strip().lower() for c in codes if c))


class Shift(Base):
    """An operator on duty for a line between two wall-clock times.

    ``starts_at``/``ends_at`` are the UTC instants derived from the local times and
    ``timezone``; "who is on shift at t" is a bounded range scan on
    ``(line_id, starts_at)`` because no shift is longer than :data:`MAX_SHIFT_HOURS`.
    """

    __tablename__ = "shifts"
    __table_args__ = (
        Index("ix_shifts_line_start", "line_id", "starts_at", "ends_at"),
        Index("ix_shifts_operator_start", "operator_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="shift_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"))
    local_start: Mapped[dt.datetime] = mapped_column(DateTime)
    local_end: Mapped[dt.datetime] = mapped_column(DateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    operator: Mapped[Operator] = relationship()
    line: Mapped[Line] = relationship()


class Availability(Base):
    """An operator who texted ``AN``/``ON``: rung like someone on shift until ``until`` or
    until they text ``AUS``/``OFF`` (which sets ``until`` to that moment).

    Bounded like shifts (``until - started_at`` at most ``MAX_SHIFT_HOURS``) so the routing
    query stays a range scan on ``(line_id, started_at)``.
    """

    __tablename__ = "roster_availability"
    __table_args__ = (
        Index("ix_roster_availability_line_start", "line_id", "started_at", "until"),
        Index("ix_roster_availability_operator", "operator_id", "until"),
        CheckConstraint("until >= started_at", name="availability_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime)

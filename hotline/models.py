"""Persistent model of lines, operators, shifts and calls.

Times are stored as UTC instants (:class:`UTCDateTime`). Shifts additionally keep their
wall-clock start/end and IANA zone, because "22:00 to 02:00" is what a planner means, whatever
the DST transition in between does to the elapsed time.
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
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC everywhere.

    Keeping the column naive makes SQLite and PostgreSQL behave identically and the indexes
    plain b-trees.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def _enum(cls: type[Enum], name: str) -> SAEnum:
    return SAEnum(
        cls,
        name=name,
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class RingStrategy(str, Enum):
    SIMULTANEOUS = "simultaneous"
    SEQUENTIAL = "sequential"


class OperatorStatus(str, Enum):
    ACTIVE = "active"
    PAUSED = "paused"


class CallOutcome(str, Enum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    VOICEMAIL = "voicemail"
    AFTER_HOURS = "after_hours"
    FALLBACK = "fallback"


class LegState(str, Enum):
    RINGING = "ringing"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Base(DeclarativeBase):
    pass


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
    queue_timeout: Mapped[int] = mapped_column(Integer, default=180)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

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
        return [c for c in self.language_codes.split(",") if c]

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


class Call(Base):
    """One inbound call to a line, from first webhook to final status."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_line_started", "line_id", "started_at"),
        # "which operators are in a call now": open calls answered recently
        Index("ix_calls_open_answered", "ended_at", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"))
    caller_hash: Mapped[str] = mapped_column(String(64), index=True)
    caller_number: Mapped[str | None] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(8))
    menu_path: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[CallOutcome | None] = mapped_column(_enum(CallOutcome, "call_outcome"))
    twilio_status: Mapped[str | None] = mapped_column(String(20))
    ring_round: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    queue_left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    fallback_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_seconds: Mapped[int | None] = mapped_column(Integer)

    line: Mapped[Line] = relationship()
    answered_by: Mapped[Operator | None] = relationship()
    legs: Mapped[list[CallLeg]] = relationship(back_populates="call", order_by="CallLeg.id")

    def menu_steps(self) -> list[str]:
        return [s for s in self.menu_path.split("/") if s]


class CallLeg(Base):
    """One operator rung for a call in one ringing round, and what they did."""

    __tablename__ = "call_legs"
    __table_args__ = (UniqueConstraint("call_id", "operator_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    state: Mapped[LegState] = mapped_column(_enum(LegState, "leg_state"), default=LegState.RINGING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[Call] = relationship(back_populates="legs")
    operator: Mapped[Operator] = relationship()


class OutboxMessage(Base):
    """Work that must survive Redis being down: stored first, enqueued after commit,
    swept by the worker until done."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "done_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

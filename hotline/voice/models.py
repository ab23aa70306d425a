"""Call records: one row per inbound call, one per operator rung in a ringing round."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.core.models import Base, UTCDateTime, _enum, utcnow
from hotline.core.oncall.models import Line, Operator


class CallOutcome(str, Enum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    VOICEMAIL = "voicemail"
    AFTER_HOURS = "after_hours"
    FALLBACK = "fallback"
    #: Not routed: the caller is blocked on the line, or called too often within the hour.
    BLOCKED = "blocked"


class EscalationTarget(str, Enum):
    """Whom an operator in a call adds as a third person (:mod:`hotline.voice.escalation`)."""

    OPERATOR = "operator"
    COORDINATOR = "coordinator"
    EMERGENCY = "emergency"


class LegState(str, Enum):
    RINGING = "ringing"
    ACCEPTED = "accepted"
    DECLINED = "declined"


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
    #: A coordinator called the voicemail's caller back (Today page): when, and who.
    callback_done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    callback_done_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("roster_users.id", ondelete="SET NULL")
    )
    #: When the accepting operator's leg was moved into the call's conference: from then on
    #: the caller's ``<Dial>`` action puts the caller there too (see docs/hotline.md).
    conference_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The operator asked for a third person (``HILFE`` or the phone page's button): the
    #: escalated marker, and whom, and when that person joined the conference.
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    escalation_target: Mapped[EscalationTarget | None] = mapped_column(
        _enum(EscalationTarget, "escalation_target")
    )
    escalation_joined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

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


# -- the walk-home line: accompaniment, call-backs, call notes ---------------------------------


class AccompanimentState(str, Enum):
    """Where a bridged call on a walk-home line stands (:mod:`hotline.voice.accompaniment`)."""

    ACCOMPANYING = "accompanying"
    ARRIVED = "arrived"
    DROPPED = "dropped"
    DROPPED_RECONNECTED = "dropped_reconnected"
    ESCALATED = "escalated"


class Accompaniment(Base):
    """A bridged call on a line whose flow accompanies people (``accompaniment: true``): the
    operator stays on until the person has arrived. Its own table, so the entry webhook's
    single-statement call record stays as it is."""

    __tablename__ = "accompaniments"
    __table_args__ = (Index("ix_accompaniments_state_changed", "state", "changed_at"),)

    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[AccompanimentState] = mapped_column(
        _enum(AccompanimentState, "accompaniment_state"), default=AccompanimentState.ACCOMPANYING
    )
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the operator marked the person arrived, also after a reconnection (the state
    #: then stays "dropped and reconnected": that is how the walk went).
    arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()
    operator: Mapped[Operator | None] = relationship()


class CallbackState(str, Enum):
    """A call-back through the hotline (:mod:`hotline.voice.callback`)."""

    QUEUED = "queued"  # the call to the operator is queued in the pipeline
    SCREENING = "screening"  # the operator picked up; waiting for their 1
    CONNECTING = "connecting"  # dialling the caller
    BRIDGED = "bridged"  # the caller picked up: operator and caller are talking
    ENDED = "ended"  # a bridged call-back is over
    DECLINED = "declined"  # the operator (or their mailbox) did not press 1
    NO_ANSWER = "no_answer"  # the caller did not pick up


class Callback(Base):
    """An operator calling their last caller back through the line: the product calls the
    operator, then dials the caller, the line's number shown to both. The caller's number is
    never stored here; it is read from the call record (while it is retained) when dialled."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_call_created", "call_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    state: Mapped[CallbackState] = mapped_column(
        _enum(CallbackState, "callback_state"), default=CallbackState.QUEUED
    )
    #: How it was asked for: ``sms``, ``phone`` (calling the line) or ``page``.
    via: Mapped[str] = mapped_column(String(10))
    operator_call_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    bridged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()
    operator: Mapped[Operator] = relationship()


class NoteCategory(str, Enum):
    """The fixed categories of a call note (their German names are the values)."""

    WALK_HOME = "heimweg"
    TALK = "gespraech"
    INFO = "info"
    CRISIS = "krise"
    TECHNICAL = "technik"
    OTHER = "sonstiges"


class CallNote(Base):
    """What an operator noted after a call: a category and a short text (coordinators read
    them). The text is emptied with the caller's number (:mod:`hotline.voice.notes`)."""

    __tablename__ = "call_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    category: Mapped[NoteCategory] = mapped_column(_enum(NoteCategory, "note_category"))
    text: Mapped[str] = mapped_column(String(500), default="")
    #: ``sms`` or ``page``.
    via: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    call: Mapped[Call] = relationship()
    operator: Mapped[Operator | None] = relationship()

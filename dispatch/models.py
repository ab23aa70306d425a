"""Persistent model of dispatch: helpers, organisations, tickets and offers.

Their texts are the core's outbound messages (:class:`hotline.core.models.OutboundMessage`,
see :mod:`dispatch.outbound`), each under a unique key (``offer:17``, ``standdown:17`` …).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Computed,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.core.models import Base, User, UTCDateTime, _enum, code_list, utcnow


class HelperStatus(str, Enum):
    ACTIVE = "active"
    PAUSED = "paused"
    OPTED_OUT = "opted_out"


class ContactChannel(str, Enum):
    """How a helper wants to be asked; the values are the core's channel names
    (:class:`hotline.core.models.Channel`). ``CALL``: asked by a phone call that reads the
    request and takes a key press (:mod:`dispatch.voice_offers`), for helpers without a
    mobile phone."""

    SMS = "sms"
    EMAIL = "email"
    CALL = "call"


#: The choices of the helper form and the sign-up: a name for each set of channels.
CHANNEL_CHOICES: dict[str, tuple[ContactChannel, ...]] = {
    "sms": (ContactChannel.SMS,),
    "email": (ContactChannel.EMAIL,),
    "both": (ContactChannel.SMS, ContactChannel.EMAIL),
    #: Phone calls only: the one choice a landline number has.
    "call": (ContactChannel.CALL,),
}


def channel_choice(channels: list[str]) -> str:
    """The form's name for a set of channels (``["sms", "email"]`` → ``both``)."""
    wanted = set(channels)
    for name, members in CHANNEL_CHOICES.items():
        if wanted == {m.value for m in members}:
            return name
    return "sms"


class Activity(str, Enum):
    SHOPPING = "shopping"
    ERRANDS = "errands"
    PHONE_COMPANY = "phone_company"
    ACCOMPANIMENT = "accompaniment"
    TRANSLATION = "translation"
    OTHER = "other"


class TicketStatus(str, Enum):
    OPEN = "open"
    FILLED = "filled"
    CLOSED = "closed"


class TicketSource(str, Enum):
    PHONE = "phone"
    OPERATOR = "operator"
    ORGANISATION = "organisation"


class OfferState(str, Enum):
    PENDING = "pending"  # asked, no answer yet
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TOO_LATE = "too_late"  # said yes after the ticket was filled
    WITHDRAWN = "withdrawn"  # accepted, then ABSAGE
    STOOD_DOWN = "stood_down"  # ticket filled or closed while pending
    UNREACHABLE = "unreachable"  # the offer SMS could not be delivered


OPEN_OFFER_STATES = (OfferState.PENDING,)


#: What matching reads of a helper besides its cell: kept in the index beside it.
REACH_COLUMNS = [
    "id",
    "status",
    "radius_km",
    "max_per_week",
    "last_asked_at",
    "activity_codes",
    "language_codes",
]

#: Grid cells of 0.1° × 0.1° (about 11 km × 7 km in Germany): ``floor(lat × 10) × 10000 +
#: floor(lon × 10)``. Matching reads only the cells a ticket's radius box covers, so a big
#: city's box is a few hundred index ranges, not a band of latitude across the country.
CELLS_PER_DEGREE = 10
CELL_ROW = 10_000
CELL_SQL = (
    f"CAST(floor(lat * {CELLS_PER_DEGREE}) AS INTEGER) * {CELL_ROW}"
    f" + CAST(floor(lon * {CELLS_PER_DEGREE}) AS INTEGER)"
)


class Helper(Base):
    """A volunteer who may be texted about help requests."""

    __tablename__ = "dispatch_helpers"
    __table_args__ = (
        # Covers the matching query (dispatch.matching): on PostgreSQL an index-only scan of
        # the cells of the radius box, never the scattered rows themselves.
        Index(
            "ix_dispatch_helpers_cell",
            "cell",
            "radius_km",
            postgresql_include=["lat", "lon", *(c for c in REACH_COLUMNS if c != "radius_km")],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    #: The grid cell of (lat, lon) (:data:`CELL_SQL`), computed by the database on every
    #: insert and update (a generated column), so a COPY or a moved helper cannot miss it.
    cell: Mapped[int | None] = mapped_column(Integer, Computed(CELL_SQL, persisted=True))
    radius_km: Mapped[int] = mapped_column(Integer, default=5)
    activity_codes: Mapped[str] = mapped_column(String(200), default="")  # ",shopping,errands,"
    language_codes: Mapped[str] = mapped_column(String(100), default=",de,")
    #: Channels the helper is asked by (``,sms,``, ``,email,``, ``,sms,email,``, ``,call,``).
    channel_codes: Mapped[str] = mapped_column(String(40), default=",sms,", server_default=",sms,")
    availability: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    max_per_week: Mapped[int] = mapped_column(Integer, default=3)
    preferred_language: Mapped[str] = mapped_column(String(8), default="de")
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[HelperStatus] = mapped_column(
        _enum(HelperStatus, "helper_status"), default=HelperStatus.ACTIVE
    )
    last_asked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Time budget for long-term engagements (None: not given), set on the helper's own page.
    hours_per_week: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def activities(self) -> list[str]:
        return code_list(self.activity_codes)

    @activities.setter
    def activities(self, codes: list[str]) -> None:
        self.activity_codes = _csv(codes)

    @property
    def languages(self) -> list[str]:
        return code_list(self.language_codes)

    @languages.setter
    def languages(self, codes: list[str]) -> None:
        self.language_codes = _csv(codes)

    @property
    def channels(self) -> list[str]:
        return channel_list(self.channel_codes)

    @channels.setter
    def channels(self, codes: list[str]) -> None:
        self.channel_codes = _csv(codes) or ",sms,"


@dataclass(frozen=True)
class HelperContact:
    """What a wave needs of a helper to write to them, read as a plain row (a wave may ask
    10,000 helpers: ORM objects for them took a third of its time). The same attribute
    names as :class:`Helper`, so channels and languages are worked out alike for both."""

    id: int
    phone: str
    email: str | None
    name: str
    preferred_language: str
    language_codes: str
    channel_codes: str | None

    @property
    def languages(self) -> list[str]:
        return code_list(self.language_codes)

    @property
    def channels(self) -> list[str]:
        return channel_list(self.channel_codes)


def channel_list(codes: str | None) -> list[str]:
    """A helper's channels from their codes: by SMS when none is stored."""
    return code_list(codes or ",sms,") or ["sms"]


def _csv(codes: list[str]) -> str:
    """Comma-wrapped list (``,de,en,``) so ``LIKE '%,de,%'`` finds exact members."""
    clean = list(dict.fromkeys(c.strip().lower() for c in codes if c and c.strip()))
    return "," + ",".join(clean) + "," if clean else ""


class Signup(Base):
    """A public sign-up waiting for its SMS code (double opt-in)."""

    __tablename__ = "dispatch_signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Organisation(Base):
    """A group whose members may post call-outs once a coordinator has approved it."""

    __tablename__ = "dispatch_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def approved(self) -> bool:
        return self.approved_at is not None

    @property
    def rejected(self) -> bool:
        return self.rejected_at is not None and self.approved_at is None


class OrganisationMember(Base):
    """A roster account (role ``member``) that belongs to an organisation; an account
    belongs to at most one (the account is the primary key)."""

    __tablename__ = "dispatch_organisation_members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("roster_users.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_organisations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship()


class Ticket(Base):
    """One help request: what, where, when, how many helpers."""

    __tablename__ = "dispatch_tickets"
    __table_args__ = (Index("ix_dispatch_tickets_status_wave", "status", "next_wave_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    source: Mapped[TicketSource] = mapped_column(_enum(TicketSource, "ticket_source"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_organisations.id", ondelete="SET NULL")
    )
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    activity: Mapped[Activity] = mapped_column(_enum(Activity, "activity"))
    postal_code: Mapped[str] = mapped_column(String(5))
    place: Mapped[str] = mapped_column(String(120), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    needed: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(Text, default="")
    language_codes: Mapped[str] = mapped_column(String(100), default=",de,")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    requester_first_name: Mapped[str] = mapped_column(String(120), default="")
    requester_phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(Text, default="")
    recording_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[TicketStatus] = mapped_column(
        _enum(TicketStatus, "ticket_status"), default=TicketStatus.OPEN
    )
    waves_sent: Mapped[int] = mapped_column(Integer, default=0)
    max_waves: Mapped[int] = mapped_column(Integer, default=3)
    next_wave_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    filled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship()

    @property
    def languages(self) -> list[str]:
        return code_list(self.language_codes)

    @languages.setter
    def languages(self, codes: list[str]) -> None:
        self.language_codes = _csv(codes)


class Offer(Base):
    """One helper asked about one ticket; unique per pair, so nobody is asked twice."""

    __tablename__ = "dispatch_offers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "helper_id"),
        Index("ix_dispatch_offers_helper_created", "helper_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_tickets.id", ondelete="CASCADE"), index=True
    )
    helper_id: Mapped[int] = mapped_column(ForeignKey("dispatch_helpers.id", ondelete="CASCADE"))
    wave: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[OfferState] = mapped_column(
        _enum(OfferState, "offer_state"), default=OfferState.PENDING
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship()
    helper: Mapped[Helper] = relationship()


class IntakeDraft(Base):
    """What a caller has entered so far in the phone intake, keyed by CallSid."""

    __tablename__ = "dispatch_intakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    line_number: Mapped[str] = mapped_column(String(20))
    caller_number: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="de")
    on_failure: Mapped[str | None] = mapped_column(String(80))
    activity: Mapped[str | None] = mapped_column(String(20))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    when: Mapped[str | None] = mapped_column(String(10))
    callback: Mapped[str | None] = mapped_column(String(20))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_tickets.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- trainings -------------------------------------------------------------------------------


class HelperTraining(Base):
    """A training a helper has done (first aid, food hygiene …); valid until ``valid_until``
    (inclusive), or for good when that is empty."""

    __tablename__ = "dispatch_helper_trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    helper_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_helpers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    completed_on: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def valid_on(self, day: dt.date) -> bool:
        return self.completed_on <= day and (self.valid_until is None or day <= self.valid_until)


class ActivityTraining(Base):
    """A training every helper asked about an activity must hold (by name, any case)."""

    __tablename__ = "dispatch_activity_trainings"

    activity: Mapped[Activity] = mapped_column(_enum(Activity, "activity"), primary_key=True)
    training_name: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- long-term engagement --------------------------------------------------------------------


class ProfileStatus(str, Enum):
    OPEN = "open"  # shown to helpers
    CLOSED = "closed"  # filled or withdrawn by the organisation


class MatchStatus(str, Enum):
    PROPOSED = "proposed"  # the helper is interested and consented; the organisation decides
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class EngagementProfile(Base):
    """A requirement profile: an organisation looks for someone for a regular engagement."""

    __tablename__ = "dispatch_engagement_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_organisations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    activity: Mapped[Activity] = mapped_column(_enum(Activity, "activity"))
    skill_names: Mapped[str] = mapped_column(String(300), default="")  # ",erste hilfe,"
    language_codes: Mapped[str] = mapped_column(String(100), default=",de,")
    postal_code: Mapped[str] = mapped_column(String(5))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    radius_km: Mapped[int] = mapped_column(Integer, default=10)
    hours_per_week: Mapped[float] = mapped_column(Float)
    duration_months: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProfileStatus] = mapped_column(
        _enum(ProfileStatus, "engagement_profile_status"), default=ProfileStatus.OPEN
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()

    @property
    def skills(self) -> list[str]:
        return code_list(self.skill_names)

    @skills.setter
    def skills(self, names: list[str]) -> None:
        self.skill_names = _csv(names)

    @property
    def languages(self) -> list[str]:
        return code_list(self.language_codes)

    @languages.setter
    def languages(self, codes: list[str]) -> None:
        self.language_codes = _csv(codes)


class EngagementMatch(Base):
    """A helper and a profile: proposed when the helper expresses interest (only ever with
    their consent to be shown to the organisation), active once the organisation confirms."""

    __tablename__ = "dispatch_engagement_matches"
    __table_args__ = (UniqueConstraint("profile_id", "helper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_engagement_profiles.id", ondelete="CASCADE"), index=True
    )
    helper_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_helpers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[MatchStatus] = mapped_column(
        _enum(MatchStatus, "engagement_match_status"), default=MatchStatus.PROPOSED
    )
    message: Mapped[str] = mapped_column(Text, default="")
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    hours_per_week: Mapped[float] = mapped_column(Float)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    review_on: Mapped[dt.date | None] = mapped_column(Date)
    paused_on: Mapped[dt.date | None] = mapped_column(Date)  # the pause going on now
    #: Pauses that are over, as ``[first day, day resumed]`` ISO dates: not engaged then.
    pauses: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    profile: Mapped[EngagementProfile] = relationship()
    helper: Mapped[Helper] = relationship()

"""Tables every feature shares: the declarative base and column types, the transactional
outbox, and the accounts people sign in with.

Times are stored as UTC instants (:class:`UTCDateTime`).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def code_list(codes: str | None) -> list[str]:
    """A comma-wrapped list of codes as stored (``,de,en,``) → ``["de", "en"]``."""
    return [c for c in (codes or "").split(",") if c]


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


class Base(DeclarativeBase):
    pass


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


class Role(str, Enum):
    """Who may do what; each role includes the rights of the ones below it."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    PLANNER = "planner"
    OPERATOR = "operator"
    #: A member of an organisation (dispatch call-outs); no roster pages at all.
    MEMBER = "member"

    @property
    def rank(self) -> int:
        return {"member": -1, "operator": 0, "planner": 1, "coordinator": 2, "admin": 3}[self.value]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class User(Base):
    """Someone who signs in to the roster pages. Operators' accounts link to their operator."""

    __tablename__ = "roster_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "roster_role"))
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL"), unique=True
    )
    language: Mapped[str] = mapped_column(String(8), default="de")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Copied into each session at sign-in; raising it (sign-out, new password,
    #: deactivation) ends every session of the account (:mod:`hotline.core.auth`).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    operator: Mapped[Operator | None] = relationship("Operator")  # noqa: F821 - in oncall


class LoginFailure(Base):
    """One failed sign-in; recent rows per account and address throttle further attempts."""

    __tablename__ = "roster_login_failures"
    __table_args__ = (
        Index("ix_roster_login_failures_key", "username", "address", "at"),
        Index("ix_roster_login_failures_address", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OptOut(Base):
    """A number that texted STOP (or whose carrier reported it unsubscribed): no text of any
    kind goes to it until it texts START. Kept by the core so every outbound path honours it,
    whichever feature the person belongs to."""

    __tablename__ = "opt_outs"

    phone_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: ``sms`` (a keyword), ``provider`` (error 21610) or ``link`` (an unsubscribe link).
    source: Mapped[str] = mapped_column(String(20), default="sms")


class MailAddress(Base):
    """What the product knows about an e-mail address it sends to: unsubscribed (the
    one-click link, the mailto unsubscribe, or the person's feature opted out), hard-bounced
    (unreachable: never mailed again) and how many soft bounces it had. The e-mail
    counterpart of :class:`OptOut`, kept by the core so every feature honours it."""

    __tablename__ = "mail_addresses"

    #: Lower-cased.
    address: Mapped[str] = mapped_column(String(254), primary_key=True)
    opted_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: ``link`` (one-click), ``mailto``, ``sms`` (STOP through the person's feature).
    opt_out_source: Mapped[str | None] = mapped_column(String(20))
    unreachable_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The DSN status of the hard bounce (``5.1.1``) or the SMTP reply code.
    bounce_status: Mapped[str | None] = mapped_column(String(20))
    soft_bounces: Mapped[int] = mapped_column(Integer, default=0)
    last_bounce_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class InboundMessage(Base):
    """One inbound text, by its provider id: a redelivered webhook gets the stored reply and
    changes nothing. The body is not kept; the reply is forgotten with the row."""

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_received", "received_at"),)

    message_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    route: Mapped[str | None] = mapped_column(String(40))
    reply: Mapped[str | None] = mapped_column(Text)


class Channel(str, Enum):
    """How an outbound message reaches its recipient."""

    SMS = "sms"
    #: A phone call; the message body is the URL the provider fetches the call's TwiML from.
    CALL = "call"
    #: An e-mail through the mail transport (:mod:`hotline.core.mail`); ``to`` and
    #: ``sender`` are addresses, ``subject`` is set.
    EMAIL = "email"


class MessageState(str, Enum):
    PENDING = "pending"  # stored, not yet handed to the provider (maybe due later)
    SENDING = "sending"  # claimed by a worker; never re-sent automatically
    SENT = "sent"  # accepted by the provider
    FAILED = "failed"  # permanent error or attempts exhausted
    SKIPPED = "skipped"  # no longer wanted (opted out, ticket filled, caller gone …)
    #: The provider call was cut (the worker died in it, or the answer never came): the
    #: provider may have it. Never re-sent automatically (that could send it twice);
    #: counted and shown to coordinators instead.
    UNCERTAIN = "uncertain"


class OutboundMessage(Base):
    """Every text and outbound call the product makes, stored before it is sent.

    ``key`` is unique: whoever queues a message under a key that exists gets the stored row,
    so a retried job, a second sweep or a restarted worker never texts anyone twice. Rows
    belong to no feature table (no foreign keys): a feature keeps its ids in ``refs`` and
    groups the rows of one piece of work (a ticket's wave) under ``batch``.
    """

    __tablename__ = "outbound_messages"
    __table_args__ = (
        Index("ix_outbound_messages_due", "state", "priority", "not_before"),
        Index("ix_outbound_messages_batch", "batch", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    #: What the message is, for the feature that registered it (``dispatch_offer`` …).
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "message_channel"))
    #: The queue its send job runs on (:class:`hotline.core.queues.Priority`).
    priority: Mapped[str] = mapped_column(String(10))
    #: The number (or alphanumeric name, or for an e-mail the address) it is sent from;
    #: rate limits are per sender.
    sender: Mapped[str] = mapped_column(String(254))
    to: Mapped[str] = mapped_column(String(254))
    #: The text, or for a call the URL of its TwiML.
    body: Mapped[str] = mapped_column(Text)
    #: An e-mail's subject (None for texts and calls).
    subject: Mapped[str | None] = mapped_column(String(200))
    #: How long a call rings before the provider gives up.
    ring_seconds: Mapped[int | None] = mapped_column(Integer)
    #: Rows sent round-robin against other batches (bulk texts: one batch per ticket).
    batch: Mapped[str | None] = mapped_column(String(40))
    #: The feature's ids (``{"offer_id": 17, "helper_id": 4}``), plain values only.
    refs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[MessageState] = mapped_column(
        _enum(MessageState, "outbound_message_state"), default=MessageState.PENDING
    )
    #: Provider calls made so far.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The provider's id (for an e-mail its Message-ID, without the angle brackets).
    sid: Mapped[str | None] = mapped_column(String(255), unique=True)
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    error_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

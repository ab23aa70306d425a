"""Blocked callers: a caller an operator found abusive is kept off one line for a while.

A block names the caller by the salted hash of their number (never the number), so it
outlives number retention, and it names one line: someone blocked on the walk-home line can
still reach another. Every block, lift and extension is audited (who, when, which line,
until). Operators block by SMS (rosters), coordinators see, lift and extend blocks in the
roster pages and on the command line, and the voice hotline asks :func:`is_blocked` for
every new call.

The entry webhook asks with one indexed query per call, so a block or a lift counts from the
next call on, in every web process (a per-worker copy of the blocks was measured not to pay
its way, docs/benchmarks.md "Mechanisms").

Which caller "the operator's last call" was is known only to the voice hotline; it provides
:class:`CallHistory` at start-up (``registry.call_history``), so rosters can block without
importing voice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from sqlalchemy import ForeignKey, Index, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from hotline.core.errors import DomainError
from hotline.core.models import Base, UTCDateTime, _enum, utcnow
from hotline.core.oncall.models import Line
from hotline.core.registry import registry


class BlockAction(str, Enum):
    BLOCKED = "blocked"
    LIFTED = "lifted"
    EXTENDED = "extended"


class CallerBlock(Base):
    """One caller (by salted hash) kept off one line until ``until`` (or until lifted)."""

    __tablename__ = "caller_blocks"
    __table_args__ = (Index("ix_caller_blocks_line_caller", "line_id", "caller_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"))
    caller_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(160))

    line: Mapped[Line] = relationship()

    def active(self, now: dt.datetime) -> bool:
        return self.lifted_at is None and self.until > now


class BlockAudit(Base):
    """Who blocked, lifted or extended a block, when, on which line, until when."""

    __tablename__ = "caller_block_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int | None] = mapped_column(
        ForeignKey("caller_blocks.id", ondelete="SET NULL"), index=True
    )
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id", ondelete="SET NULL"))
    action: Mapped[BlockAction] = mapped_column(_enum(BlockAction, "block_action"))
    actor: Mapped[str] = mapped_column(String(160))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("roster_users.id", ondelete="SET NULL"))
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlockError(DomainError):
    """A block that cannot be changed (unknown, already lifted)."""


#: Longest a single block or extension may last.
MAX_BLOCK_HOURS = 24 * 90


class CallHistory(Protocol):
    """Implemented by the voice hotline, registered as ``registry.call_history``."""

    def last_caller_hash(self, session: Session, operator_id: int, line_id: int) -> str | None:
        """The caller hash of the last call ``operator_id`` answered on ``line_id``; None if
        there is none or its caller withheld their number (they cannot be told apart)."""


def call_history() -> CallHistory:
    history = registry().call_history
    if history is None:
        raise RuntimeError("no call history registered (the voice hotline is not installed)")
    return history


# -- the domain ---------------------------------------------------------------------------


def _hours(hours: float) -> dt.timedelta:
    if not 0 < hours <= MAX_BLOCK_HOURS:
        raise BlockError("block_hours_out_of_range", max=MAX_BLOCK_HOURS)
    return dt.timedelta(hours=hours)


def _audit(
    session: Session, block: CallerBlock, action: BlockAction, actor: str, user_id: int | None
) -> None:
    session.add(
        BlockAudit(
            block_id=block.id,
            line_id=block.line_id,
            action=action,
            actor=actor[:160],
            user_id=user_id,
            until=block.until,
            at=block.lifted_at if action == BlockAction.LIFTED else utcnow(),
        )
    )


def block_caller(
    session: Session,
    line_id: int,
    caller_hash: str,
    hours: float,
    actor: str,
    now: dt.datetime,
    user_id: int | None = None,
) -> CallerBlock:
    """Keep ``caller_hash`` off ``line_id`` for ``hours``. A caller already blocked there
    keeps their one block, running until the later of the two ends."""
    until = now + _hours(hours)
    block = session.scalar(
        select(CallerBlock).where(
            CallerBlock.line_id == line_id,
            CallerBlock.caller_hash == caller_hash,
            CallerBlock.lifted_at.is_(None),
            CallerBlock.until > now,
        )
    )
    if block is None:
        block = CallerBlock(line_id=line_id, caller_hash=caller_hash, until=until, created_by=actor)
        session.add(block)
        session.flush()
        _audit(session, block, BlockAction.BLOCKED, actor, user_id)
    else:
        block.until = max(block.until, until)
        _audit(session, block, BlockAction.EXTENDED, actor, user_id)
    return block


def _active(session: Session, block_id: int, now: dt.datetime) -> CallerBlock:
    block = session.get(CallerBlock, block_id)
    if block is None or not block.active(now):
        raise BlockError("block_not_active", block_id=block_id)
    return block


def lift_block(
    session: Session, block_id: int, actor: str, now: dt.datetime, user_id: int | None = None
) -> CallerBlock:
    """End a block now; the caller's next call is routed again."""
    block = _active(session, block_id, now)
    block.lifted_at = now
    _audit(session, block, BlockAction.LIFTED, actor, user_id)
    return block


def extend_block(
    session: Session,
    block_id: int,
    hours: float,
    actor: str,
    now: dt.datetime,
    user_id: int | None = None,
) -> CallerBlock:
    """Let an active block run ``hours`` longer than it would have."""
    block = _active(session, block_id, now)
    block.until = block.until + _hours(hours)
    _audit(session, block, BlockAction.EXTENDED, actor, user_id)
    return block


def active_blocks(
    session: Session, now: dt.datetime, line_id: int | None = None
) -> list[CallerBlock]:
    """Blocks in force, by line, those ending soonest first."""
    stmt = (
        select(CallerBlock)
        .where(CallerBlock.lifted_at.is_(None), CallerBlock.until > now)
        .order_by(CallerBlock.line_id, CallerBlock.until, CallerBlock.id)
    )
    if line_id is not None:
        stmt = stmt.where(CallerBlock.line_id == line_id)
    return list(session.scalars(stmt))


def block_history(session: Session, limit: int = 100) -> list[BlockAudit]:
    stmt = select(BlockAudit).order_by(BlockAudit.at.desc(), BlockAudit.id.desc()).limit(limit)
    return list(session.scalars(stmt))


# -- the entry webhook's question ----------------------------------------------------------


#: Built once, with bound parameters: the entry webhook asks it on every call.
_blocks = CallerBlock.__table__.c
_BLOCKED = (
    select(_blocks.id)
    .where(
        _blocks.line_id == bindparam("line_id"),
        _blocks.caller_hash == bindparam("caller_hash"),
        _blocks.lifted_at.is_(None),
        _blocks.until > bindparam("now"),
    )
    .limit(1)
)


def is_blocked(
    session_factory: Callable[[], Session], line_id: int, caller_hash: str, now: dt.datetime
) -> bool:
    """Whether the caller is blocked on the line (one query on the line and caller index)."""
    found = session_factory().execute(
        _BLOCKED, {"line_id": line_id, "caller_hash": caller_hash, "now": now}
    )
    return found.first() is not None

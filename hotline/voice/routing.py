"""Who to ring for a call, in which order, and what happens when nobody takes it.

Pure decisions on the database; :mod:`hotline.voice` turns them into TwiML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.oncall.models import Line, RingStrategy
from hotline.voice.calls import busy_operator_ids  # noqa: F401 - re-exported
from hotline.voice.directory import LineInfo, OperatorInfo, load_available
from hotline.voice.models import Call, CallLeg, LegState

#: Twilio rings at most ten <Number>s in one <Dial>.
MAX_SIMULTANEOUS = 10
#: Simultaneous rounds per call before overflow (each needs someone to have screened out).
MAX_ROUNDS = 3


class Overflow(str, Enum):
    QUEUE = "queue"
    FALLBACK = "fallback"
    VOICEMAIL = "voicemail"


@dataclass
class RingPlan:
    round: int
    operators: list[OperatorInfo]


class Rankable(Protocol):
    id: int
    languages: Sequence[str]
    last_call_at: dt.datetime | None


R = TypeVar("R", bound=Rankable)


def rank(operators: Sequence[R], language: str | None) -> list[R]:
    """Speakers of the caller's language first, then longest idle, then by id for stability."""
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(
        operators,
        key=lambda op: (
            0 if language and language in op.languages else 1,
            op.last_call_at or epoch,
            op.id,
        ),
    )


#: A call answered longer ago than this no longer marks its operator busy, so a lost final
#: status callback cannot take an operator out of the rotation for good.
def plan_ring(
    session: Session,
    call: Call,
    line: Line | LineInfo,
    now: dt.datetime,
    available: Callable[[], Sequence[OperatorInfo]] | None = None,
) -> RingPlan | None:
    """The next set of operators to ring for ``call``, or None when it is time to overflow.

    - simultaneous: everyone on shift (up to ten) who has not screened this call out. A new
      round is only tried when someone in the previous one picked up without accepting (a
      mailbox, say): the others had their chance to answer already.
    - sequential: the longest-idle operator not yet tried for this call.

    ``available`` supplies who can be rung (the entry webhook passes its cached list); by
    default it is read from the database. Nothing is written here: the legs of a round are
    recorded when Twilio reports back on it (:func:`hotline.calls.record_round`).
    """
    # Legs only exist once a round has been rung, so a call in round 0 (the entry webhook)
    # has none: no query on the hot path.
    legs = (
        list(session.scalars(select(CallLeg).where(CallLeg.call_id == call.id)))
        if call.ring_round
        else []
    )
    tried = {leg.operator_id for leg in legs}
    declined = {leg.operator_id for leg in legs if leg.state == LegState.DECLINED}
    if line.ring_strategy == RingStrategy.SIMULTANEOUS and call.ring_round > 0:
        last = [leg for leg in legs if leg.round == call.ring_round]
        if call.ring_round >= MAX_ROUNDS or not any(leg.state == LegState.DECLINED for leg in last):
            return None
    excluded = declined if line.ring_strategy == RingStrategy.SIMULTANEOUS else tried
    pool = available() if available is not None else load_available(session, line.id, now)
    candidates = [op for op in pool if op.id not in excluded]
    if not candidates:
        return None
    limit = MAX_SIMULTANEOUS if line.ring_strategy == RingStrategy.SIMULTANEOUS else 1
    call.ring_round += 1
    return RingPlan(round=call.ring_round, operators=rank(candidates, call.language)[:limit])


def next_overflow(call: Call, line: Line | LineInfo) -> Overflow:
    """Queue first (if the line has one), then the fallback number, then voicemail."""
    if line.queue_timeout > 0 and call.queued_at is None:
        return Overflow.QUEUE
    if line.fallback_number and call.fallback_at is None:
        return Overflow.FALLBACK
    return Overflow.VOICEMAIL


def queue_name(line: Line | LineInfo) -> str:
    return f"line-{line.id}"

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
    #: Rung alone because the caller spoke to them last (sticky redial): their whisper says
    #: it is the same caller again.
    redial: bool = False


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
    redial_to: Callable[[], int | None] | None = None,
) -> RingPlan | None:
    """The next set of operators to ring for ``call``, or None when it is time to overflow.

    - a redial (``redial_to`` names the operator the caller last spoke to, see
      :mod:`hotline.voice.callers`): the first round rings that operator alone, if they can be
      rung; the rounds after it are the normal ones below.

    - simultaneous: everyone on shift who has not screened this call out, ten at most per
      round (Twilio's limit). A further round is rung when someone in the previous one picked
      up without accepting (a mailbox, say) or when some on shift have not been rung for this
      call yet: those come first, so with more than ten on shift nobody is skipped.
    - sequential: the longest-idle operator not yet tried for this call.

    Who can be rung is read from the database. Nothing is written here: the legs of a round are
    recorded when Twilio reports back on it (:func:`hotline.voice.calls.record_round`).
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
    simultaneous = line.ring_strategy == RingStrategy.SIMULTANEOUS
    excluded = declined if simultaneous else tried
    pool = load_available(session, line.id, now)
    candidates = [op for op in pool if op.id not in excluded]
    if not candidates:
        return None
    if call.ring_round == 0 and redial_to is not None:
        operator_id = redial_to()
        same = [op for op in candidates if op.id == operator_id]
        if same:
            call.ring_round = 1
            return RingPlan(round=1, operators=same, redial=True)
    if simultaneous and call.ring_round > 0:
        last = [leg for leg in legs if leg.round == call.ring_round]
        screened_out = any(leg.state == LegState.DECLINED for leg in last)
        not_yet_rung = any(op.id not in tried for op in candidates)
        if call.ring_round >= MAX_ROUNDS or not (screened_out or not_yet_rung):
            return None
    call.ring_round += 1
    if not simultaneous:
        return RingPlan(round=call.ring_round, operators=rank(candidates, call.language)[:1])
    return RingPlan(
        round=call.ring_round, operators=untried_first(candidates, tried, call.language)
    )


def untried_first(
    operators: Sequence[R], tried: set[int], language: str | None, limit: int = MAX_SIMULTANEOUS
) -> list[R]:
    """Up to ``limit`` operators: those not rung for this call yet first, each group ranked."""
    fresh = [op for op in operators if op.id not in tried]
    again = [op for op in operators if op.id in tried]
    return (rank(fresh, language) + rank(again, language))[:limit]


def callout_batch(
    operators: Sequence[R], language: str | None, round_no: int, limit: int = MAX_SIMULTANEOUS
) -> list[R]:
    """Who a queue call-out round calls: the ranked list in windows of ``limit`` that move on
    each round (wrapping around), so with more than ``limit`` free operators every one of
    them is called while the caller waits, longest idle first."""
    ranked = rank(operators, language)
    if len(ranked) <= limit:
        return ranked
    start = ((round_no - 1) * limit) % len(ranked)
    return (ranked[start:] + ranked[:start])[:limit]


def next_overflow(call: Call, line: Line | LineInfo) -> Overflow:
    """Queue first (if the line has one), then the fallback number, then voicemail."""
    if line.queue_timeout > 0 and call.queued_at is None:
        return Overflow.QUEUE
    if line.fallback_number and call.fallback_at is None:
        return Overflow.FALLBACK
    return Overflow.VOICEMAIL


def queue_name(line: Line | LineInfo) -> str:
    return f"line-{line.id}"

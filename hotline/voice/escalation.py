"""Escalation without dropping the caller: an operator in a call adds a second person —
another operator on shift, the line's coordination, or (where the line allows it) the
emergency number — to the call's conference while the caller stays on.

Triggered by a text to the line (``HILFE`` / ``ESCALATE``, ``HILFE KOORDINATION`` /
``ESCALATE COORDINATOR``, ``HILFE 112`` / ``ESCALATE 112``, see :mod:`hotline.voice.sms`) and by
the button on the operator's phone page (:mod:`hotline.voice.web`). The third leg is a call
placed through the one pipeline (urgent) whose TwiML screens the person with press 1 (the
emergency number is not screened: it joins straight away) and then joins the conference
(:mod:`hotline.voice.conference`). Nobody already in the call is redirected or hung up.

The call is marked ``escalated_at`` / ``escalation_target`` — the marker other parts of the
voice hotline (accompaniment, statistics) can read.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from enum import Enum

from flask import url_for
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.core import messaging
from hotline.core.messaging import Channel, Priority
from hotline.core.oncall.models import Coordinator, Line, Operator
from hotline.core.phones import mask
from hotline.voice import accompaniment
from hotline.voice.calls import BUSY_WINDOW
from hotline.voice.directory import load_available
from hotline.voice.models import Call, EscalationTarget
from hotline.voice.routing import rank

log = logging.getLogger(__name__)

#: Outbound message kind of the third leg (its check runs just before the call is placed).
ESCALATION_CALL = "escalation_call"
#: Free operators rung at once for an escalation to an operator; the first to press 1 joins.
MAX_OPERATORS = 3


class Refusal(str, Enum):
    """Why an escalation was not started (each has a German and an English reply)."""

    NO_LIVE_CALL = "no_live_call"
    NOBODY_FREE = "nobody_free"
    NO_COORDINATOR = "no_coordinator"
    EMERGENCY_NOT_ALLOWED = "emergency_not_allowed"


@dataclass
class Escalation:
    """What :func:`escalate` did: whom it is calling, or why it refused."""

    target: EscalationTarget
    call_id: int | None = None
    refused: Refusal | None = None
    #: The numbers called (E.164), for the handler's log only in masked form.
    numbers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.refused is None


def live_call(
    session: Session, operator_id: int, now: dt.datetime, line_id: int | None = None
) -> Call | None:
    """The call ``operator_id`` is talking in right now, bridged in its conference: answered
    by them, not ended, answered within :data:`BUSY_WINDOW` (a lost final status callback
    cannot keep a call live for ever)."""
    stmt = select(Call).where(
        Call.answered_by_id == operator_id,
        Call.ended_at.is_(None),
        Call.conference_at.is_not(None),
        Call.answered_at > now - BUSY_WINDOW,
    )
    if line_id is not None:
        stmt = stmt.where(Call.line_id == line_id)
    return session.scalars(stmt.order_by(Call.answered_at.desc()).limit(1)).first()


def escalate(
    session: Session,
    call_id: int | None,
    operator_id: int,
    target: EscalationTarget,
    now: dt.datetime,
) -> Escalation:
    """Add a third person of ``target`` to ``call_id``'s conference on behalf of its operator.

    Refused (nothing queued, nothing marked) when the call is not ``operator_id``'s live call
    in a conference, when no other operator is free, when the line has no coordinator to
    call, or when the line does not allow the emergency number. Queuing is idempotent per
    call and number, so a repeated ``HILFE`` does not ring anyone twice. The caller commits.
    """
    result = Escalation(target=target, call_id=call_id)
    call = session.get(Call, call_id) if call_id is not None else None
    if (
        call is None
        or call.answered_by_id != operator_id
        or call.ended_at is not None
        or call.conference_at is None
    ):
        result.refused = Refusal.NO_LIVE_CALL
        return result
    line = session.get(Line, call.line_id)
    own = session.get(Operator, operator_id)
    own_number = own.phone_number if own else None
    numbers: list[str]
    if target == EscalationTarget.OPERATOR:
        free = [op for op in load_available(session, line.id, now) if op.id != operator_id]
        numbers = [op.phone_number for op in rank(free, call.language)[:MAX_OPERATORS]]
        refusal = Refusal.NOBODY_FREE
    elif target == EscalationTarget.COORDINATOR:
        coordinators = session.scalars(
            select(Coordinator).where(Coordinator.line_id == line.id).order_by(Coordinator.id)
        )
        numbers = list(dict.fromkeys(c.phone_number for c in coordinators))
        numbers = [n for n in numbers if n != own_number]
        refusal = Refusal.NO_COORDINATOR
    else:
        numbers = [line.emergency_number] if line.emergency_number else []
        refusal = Refusal.EMERGENCY_NOT_ALLOWED
    if not numbers:
        result.refused = refusal
        return result
    screened = target != EscalationTarget.EMERGENCY
    for number in numbers:
        if screened:
            path = url_for("voice.escalation_screen", call=call.id)
        else:
            path = url_for("voice.conference_join", call=call.id, role="third")
        messaging.queue(
            session,
            kind=ESCALATION_CALL,
            key=f"escalation:{call.id}:{number}",
            to=number,
            body=_absolute(path),
            sender=line.number,
            channel=Channel.CALL,
            priority=Priority.URGENT,
            ring_seconds=line.ring_timeout if screened else 60,
            refs={"call_id": call.id},
        )
    call.escalated_at = call.escalated_at or now
    call.escalation_target = target
    accompaniment.mark_escalated(session, call.id, now)  # counted as escalated, not dropped
    result.numbers = numbers
    log.info(
        "call %s escalated (%s) by operator %s: calling %s",
        call.id,
        target.value,
        operator_id,
        ", ".join(mask(n) for n in numbers),
    )
    return result


def join_escalation(session: Session, call: Call, now: dt.datetime) -> bool:
    """The screened third person pressed 1: they join, if nobody else called for this
    escalation joined first (a conditional UPDATE: of three operators rung, one joins)."""
    joined = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.escalation_joined_at.is_(None), Call.ended_at.is_(None))
        .values(escalation_joined_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(call)
    return joined == 1


def escalation_wanted(session: Session, message, now: dt.datetime) -> str | None:  # noqa: ANN001
    """Just before the third leg is placed: the caller may have hung up meanwhile, or
    someone else called for this escalation already joined."""
    call = session.get(Call, (message.refs or {}).get("call_id"))
    if call is None or call.ended_at is not None:
        return "call ended"
    if call.escalation_joined_at is not None:
        return "someone already joined"
    return None


def _absolute(path: str) -> str:
    """The provider fetches the leg's TwiML from the public address."""
    from flask import current_app

    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    return f"{base.rstrip('/')}{path}"

"""Call records: one row per inbound call, idempotent against webhook retries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Insert, Select, case, literal, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from hotline.core.db import DIALECTS, conflict_insert
from hotline.core.models import utcnow
from hotline.core.oncall.models import Operator
from hotline.core.phones import caller_hash
from hotline.voice.models import Call, CallLeg, CallOutcome, LegState

#: Final Twilio call statuses; once one has been recorded the record is closed.
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
_STATUS_ORDER = {"queued": 0, "initiated": 0, "ringing": 1, "in-progress": 2}


def new_call(line_id: int, call_sid: str, caller: str, salt: str, now: dt.datetime) -> Call:
    """A call record for the entry webhook, not yet stored: the flow runs on it first, and
    :func:`insert_call` then writes it as it stands, in one statement."""
    return Call(
        call_sid=call_sid,
        line_id=line_id,
        caller_hash=caller_hash(caller or "anonymous", salt),
        caller_number=caller or None,
        started_at=now,
        twilio_status="in-progress",
        menu_path="",
        ring_round=0,
    )


#: Columns written when a call record is created, in table order.
_NEW_CALL_COLUMNS = tuple(c.key for c in Call.__table__.columns if c.key != "id")


def _insert_call_statement(dialect: str) -> Insert:
    table = Call.__table__
    return (
        conflict_insert(dialect)(table)
        .on_conflict_do_nothing(index_elements=["call_sid"])
        .returning(table.c.id)
    )


#: Built once: the statement is the same for every call, only its parameters change.
_INSERT_CALL = {dialect: _insert_call_statement(dialect) for dialect in DIALECTS}


def insert_call(call: Call, dialect: str) -> tuple[Insert, dict[str, object]]:
    """``INSERT … ON CONFLICT (call_sid) DO NOTHING RETURNING id`` for a new call record, and
    its parameters: every column of ``call`` as it stands.

    Idempotent: a retried webhook, or a duplicate racing this one, inserts nothing (and
    returns no id), so one CallSid never has two records.
    """
    return _INSERT_CALL[dialect], {key: getattr(call, key) for key in _NEW_CALL_COLUMNS}


def record_round(
    session: Session, call: Call, round_no: int, operator_ids: list[int], state: LegState
) -> None:
    """Record that ``operator_ids`` were rung in ``round_no`` (idempotent per operator and
    round). Legs are written when Twilio reports back, not when the ringing starts, so the
    entry webhook has only the call record to write."""
    if not operator_ids:
        return
    insert = conflict_insert(session.get_bind().dialect.name)
    session.execute(
        insert(CallLeg)
        .values(
            [
                {"call_id": call.id, "operator_id": op, "round": round_no, "state": state}
                for op in operator_ids
            ]
        )
        .on_conflict_do_nothing(index_elements=["call_id", "operator_id", "round"])
    )


def picked_up(session: Session, call: Call, operator_id: int, round_no: int) -> CallLeg:
    """The operator's leg for this round, marked as picked up but not (yet) accepted: if the
    keypress never comes it was a mailbox or a decline, and the next round skips them."""
    insert = conflict_insert(session.get_bind().dialect.name)
    state = CallLeg.__table__.c.state
    declined = literal(LegState.DECLINED, state.type)
    stmt = insert(CallLeg).values(
        call_id=call.id, operator_id=operator_id, round=round_no, state=LegState.DECLINED
    )
    # One statement: the leg is written, or the one Twilio already reported as ringing is
    # marked declined (a leg that was accepted or declined stays what it is).
    stmt = stmt.on_conflict_do_update(
        index_elements=["call_id", "operator_id", "round"],
        set_={
            "state": case((state == literal(LegState.RINGING, state.type), declined), else_=state)
        },
    ).returning(CallLeg)
    return session.scalars(stmt, execution_options={"populate_existing": True}).one()


def call_by_sid(session: Session, call_sid: str) -> Call | None:
    """The call record of ``call_sid`` with its line, in one statement: every follow-up
    webhook needs both (the line's flow, its numbers)."""
    return session.scalar(
        select(Call).where(Call.call_sid == call_sid).options(joinedload(Call.line))
    )


def add_step(call: Call, node_id: str, value: str) -> None:
    """Append ``node=value`` to the menu path (what the caller chose, in order)."""
    step = f"{node_id}={value}"
    call.menu_path = f"{call.menu_path}/{step}" if call.menu_path else step


def accept(session: Session, leg: CallLeg, now: dt.datetime) -> bool:
    """Mark ``leg``'s operator as the one who answered, if nobody has yet.

    A conditional UPDATE makes this atomic: when two operators press 1 in the same second,
    exactly one wins and the other hears that the call is taken.
    """
    call = session.get(Call, leg.call_id, options=[joinedload(Call.line)])
    if call is None or call.answered_by_id is not None:
        return False
    answered = {
        "answered_by_id": leg.operator_id,
        "answered_at": now,
        "outcome": CallOutcome.ANSWERED,
        "wait_seconds": max(0, int((now - call.started_at).total_seconds())),
    }
    result = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.answered_by_id.is_(None))
        .values(answered)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    for name, value in answered.items():  # what the UPDATE wrote, without reading it back
        set_committed_value(call, name, value)
    set_committed_value(leg, "call", call)  # the leg holds it: no second load of the call
    leg.state = LegState.ACCEPTED
    session.execute(update(Operator).where(Operator.id == leg.operator_id).values(last_call_at=now))
    return True


def accept_from_queue(session: Session, call: Call, operator_id: int, now: dt.datetime) -> bool:
    """An operator who took a call out of the hold queue answered ``call``."""
    result = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.answered_by_id.is_(None))
        .values(answered_by_id=operator_id, answered_at=now, outcome=CallOutcome.ANSWERED)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.refresh(call)
    call.wait_seconds = max(0, int((now - call.started_at).total_seconds()))
    call.queue_left_at = call.queue_left_at or now
    operator = session.get(Operator, operator_id)
    if operator is not None:
        operator.last_call_at = now
    return True


def record_status(
    session: Session, call_sid: str, status: str, duration: str | None, now: dt.datetime
) -> Call | None:
    """Apply a status callback. Duplicates and late, out-of-order callbacks change nothing."""
    call = call_by_sid(session, call_sid)
    if call is None or call.ended_at is not None:
        return call
    if status in FINAL_STATUSES:
        call.twilio_status = status
        call.ended_at = now
        if duration and duration.isdigit():
            call.duration_seconds = int(duration)
        if call.outcome is None:
            call.outcome = CallOutcome.ANSWERED if call.answered_by_id else CallOutcome.ABANDONED
        if call.queued_at and call.queue_left_at is None:
            call.queue_left_at = now
    elif _STATUS_ORDER.get(status, -1) > _STATUS_ORDER.get(call.twilio_status or "", -1):
        call.twilio_status = status
    return call


__all__ = [
    "FINAL_STATUSES",
    "accept",
    "accept_from_queue",
    "add_step",
    "call_by_sid",
    "insert_call",
    "new_call",
    "picked_up",
    "record_round",
    "record_status",
    "utcnow",
]


BUSY_WINDOW = dt.timedelta(hours=4)


def in_a_call(since: Any) -> Select[tuple[int]]:
    """Ids of the operators in a call: answered after ``since`` (now less
    :data:`BUSY_WINDOW`, a value or a bound parameter) and not yet ended, from the index on
    open answered calls."""
    calls = Call.__table__.c
    return select(calls.answered_by_id).where(
        calls.answered_by_id.is_not(None),
        calls.ended_at.is_(None),
        calls.answered_at > since,
    )

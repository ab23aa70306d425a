"""Accompaniment on a walk-home line: a bridged call is *accompanying* until the operator
marks the person arrived (``ANGEKOMMEN``/``ARRIVED`` by SMS, 9 at the end of a call-back, or
the phone page).

If the call ends before that, it is *dropped*: the operator gets a text offering
``RÜCKRUF`` (and ``ANGEKOMMEN``, since most calls simply end at the person's door) and the
Today page lists it until it is reconnected, by a call-back or by the person calling again
within the call-back window (*dropped and reconnected*), or marked arrived. *Escalated* is
set when an operator escalates the call (:func:`mark_escalated`). The outcomes are counted
for the statistics by :func:`accompaniment_counts`.

Whether a line accompanies is its flow's choice (``accompaniment: true`` in the flow file,
as in ``ivr_flows/heimweg.yaml``). Every change is a small function taking a session and
ids, called from the webhooks after their own domain step; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.core import messaging
from hotline.core.extensions import flows
from hotline.core.messaging import Priority
from hotline.core.oncall.models import Line
from hotline.voice import callers
from hotline.voice.models import Accompaniment, AccompanimentState, Call
from hotline.voice.walkhome_texts import operator_language, text

log = logging.getLogger(__name__)

#: Outbound message kind of the text after a call (drop notice or note invitation).
POST_CALL_TEXT = "post_call_text"
#: States in which a call can still be marked arrived.
OPEN_STATES = (AccompanimentState.ACCOMPANYING, AccompanimentState.DROPPED)


def callback_window() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["CALLBACK_WINDOW_MINUTES"])


def accompanies(line: Line) -> bool:
    """Whether calls on ``line`` are accompanied (its flow says ``accompaniment: true``)."""
    flow = flows.get(line.flow)
    return bool(flow is not None and flow.accompaniment)


def _set(acc: Accompaniment, state: AccompanimentState, now: dt.datetime) -> None:
    acc.state = state
    acc.changed_at = now


def bridged(session: Session, call: Call, operator_id: int, now: dt.datetime) -> None:
    """``call`` was just answered by ``operator_id``: on a walk-home line it is accompanying
    from now on, and a dropped accompaniment of the same caller within the call-back window
    counts as reconnected."""
    if not accompanies(call.line):
        return
    if session.get(Accompaniment, call.id) is None:
        session.add(
            Accompaniment(
                call_id=call.id,
                operator_id=operator_id,
                state=AccompanimentState.ACCOMPANYING,
                started_at=now,
                changed_at=now,
            )
        )
    if not callers.identifiable(call.caller_number):
        return  # withheld numbers share one hash: no telling who called again
    earlier = session.scalars(
        select(Accompaniment)
        .join(Call, Call.id == Accompaniment.call_id)
        .where(
            Call.line_id == call.line_id,
            Call.caller_hash == call.caller_hash,
            Call.id != call.id,
            Accompaniment.state == AccompanimentState.DROPPED,
            Accompaniment.ended_at >= now - callback_window(),
        )
    ).all()
    for acc in earlier:
        _set(acc, AccompanimentState.DROPPED_RECONNECTED, now)
        log.info("call %s: dropped accompaniment reconnected by a redial", acc.call_id)


def reconnected(session: Session, call_id: int, now: dt.datetime) -> None:
    """A call-back reached the caller of ``call_id``: a dropped call is reconnected."""
    acc = session.get(Accompaniment, call_id)
    if acc is not None and acc.state == AccompanimentState.DROPPED:
        _set(acc, AccompanimentState.DROPPED_RECONNECTED, now)


def call_ended(session: Session, call: Call, now: dt.datetime) -> None:
    """The caller's call ended (final status callback). Unless the person was marked arrived
    (or the call escalated), an accompaniment is dropped and its operator is texted the
    offer to call back; after any other bridged call the operator is told how to reply with
    a note (``POST_CALL_SMS``). Each text once per call (unique key)."""
    if call.answered_by_id is None:
        return
    acc = session.get(Accompaniment, call.id)
    if acc is not None:
        acc.ended_at = acc.ended_at or now
        if acc.state == AccompanimentState.ACCOMPANYING:
            _set(acc, AccompanimentState.DROPPED, now)
            log.info("call %s: accompaniment dropped before arrival", call.id)
    dropped = acc is not None and acc.state == AccompanimentState.DROPPED
    if not dropped and not current_app.config["POST_CALL_SMS"]:
        return
    operator = call.answered_by  # loaded once for the call-back offer too
    if operator is None:
        return
    lang = operator_language(operator)
    line = session.get(Line, call.line_id)
    messaging.queue(
        session,
        kind=POST_CALL_TEXT,
        key=f"postcall:{call.id}",
        to=operator.phone_number,
        body=text(lang, "dropped" if dropped else "post_call", line=line.name),
        sender=line.number,
        priority=Priority.URGENT if dropped else Priority.DEFAULT,
        refs={"call_id": call.id, "operator_id": operator.id},
    )


def mark_arrived(session: Session, call_id: int, now: dt.datetime) -> str:
    """The person of ``call_id`` has arrived. Returns what happened: ``arrived``,
    ``already`` (it was marked before), ``kept`` (it stays counted as dropped and
    reconnected, or escalated) or ``none`` (not an accompaniment)."""
    acc = session.get(Accompaniment, call_id)
    if acc is None:
        return "none"
    if acc.state == AccompanimentState.ARRIVED:
        return "already"
    acc.arrived_at = acc.arrived_at or now
    if acc.state not in OPEN_STATES:
        return "kept"
    _set(acc, AccompanimentState.ARRIVED, now)
    return "arrived"


def open_for(session: Session, call_id: int) -> bool:
    """Is ``call_id`` an accompaniment whose person is not yet marked arrived?"""
    acc = session.get(Accompaniment, call_id)
    return acc is not None and acc.arrived_at is None and acc.state != AccompanimentState.ARRIVED


def mark_escalated(session: Session, call_id: int, now: dt.datetime) -> bool:
    """The operator escalated ``call_id`` (e.g. brought in the emergency services): counted
    as escalated, never as dropped. False if it is no accompaniment."""
    acc = session.get(Accompaniment, call_id)
    if acc is None:
        return False
    _set(acc, AccompanimentState.ESCALATED, now)
    return True


def latest_for_operator(
    session: Session, operator_id: int, line_id: int | None = None
) -> Accompaniment | None:
    """The operator's most recent accompaniment (on ``line_id``, if given)."""
    stmt = select(Accompaniment).where(Accompaniment.operator_id == operator_id)
    if line_id is not None:
        stmt = stmt.join(Call, Call.id == Accompaniment.call_id).where(Call.line_id == line_id)
    return session.scalars(
        stmt.order_by(Accompaniment.started_at.desc(), Accompaniment.call_id.desc()).limit(1)
    ).first()


def dropped_not_reconnected(
    session: Session, since: dt.datetime, line_ids: Iterable[int] | None = None
) -> list[Accompaniment]:
    """Accompaniments that dropped since ``since`` and are neither reconnected nor marked
    arrived: for the Today page."""
    stmt = select(Accompaniment).where(
        Accompaniment.state == AccompanimentState.DROPPED, Accompaniment.changed_at >= since
    )
    if line_ids is not None:
        stmt = stmt.join(Call, Call.id == Accompaniment.call_id).where(
            Call.line_id.in_(list(line_ids))
        )
    return list(session.scalars(stmt.order_by(Accompaniment.changed_at.desc())))


def accompaniment_counts(
    session: Session, line_ids: Iterable[int], start: dt.datetime, end: dt.datetime
) -> dict[str, int]:
    """Accompaniments of calls started in ``[start, end)`` on ``line_ids``, per state
    (``arrived``, ``dropped``, ``dropped_reconnected``, ``escalated`` and ``accompanying``
    for those still going on); every state is present, zero when none."""
    counts = {state.value: 0 for state in AccompanimentState}
    ids = list(line_ids)
    if not ids:
        return counts
    rows = session.execute(
        select(Accompaniment.state, func.count())
        .join(Call, Call.id == Accompaniment.call_id)
        .where(Call.line_id.in_(ids), Call.started_at >= start, Call.started_at < end)
        .group_by(Accompaniment.state)
    )
    for state, count in rows:
        counts[AccompanimentState(state).value] = count
    return counts

"""The voice hotline's panels on the Today page: calls in progress and callers waiting,
today's calls with their outcomes, and voicemails still to call back.

"Today" is the local day in ``DEFAULT_TIMEZONE`` (what the page's dates are written in).
A call that never got its final status callback would stay "in progress" for ever, so only
calls started within :data:`OPEN_CALL_HOURS` count as running.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from hotline.core.i18n import N_
from hotline.core.models import Role, User
from hotline.core.oncall.models import Line
from hotline.core.registry import Registry
from hotline.voice.call_log import OUTCOME_LABELS, RUNNING_LABEL, caller_shown
from hotline.voice.models import Call, CallOutcome

#: A call without an end older than this is not shown as running (a lost status callback).
OPEN_CALL_HOURS = 6


class CallState(str, Enum):
    """Where a running call is now."""

    RINGING = "ringing"  # in the menu, or operators being rung
    QUEUED = "queued"  # waiting in the line's queue
    BRIDGED = "bridged"  # talking to an operator


STATE_LABELS = {
    CallState.RINGING: N_("klingelt / im Menü"),
    CallState.QUEUED: N_("wartet in der Warteschlange"),
    CallState.BRIDGED: N_("im Gespräch"),
}


@dataclass
class RunningCall:
    call: Call
    state: CallState
    #: Seconds since the call started (or, when queued, since it entered the queue).
    seconds: int


def state_of(call: Call) -> CallState:
    if call.answered_at is not None:
        return CallState.BRIDGED
    if call.queued_at is not None and call.queue_left_at is None:
        return CallState.QUEUED
    return CallState.RINGING


def running_calls(session: Session, now: dt.datetime) -> list[RunningCall]:
    """Calls without an end that started in the last :data:`OPEN_CALL_HOURS`, oldest first."""
    calls = session.scalars(
        select(Call)
        .options(joinedload(Call.line), joinedload(Call.answered_by))
        .where(
            Call.ended_at.is_(None),
            Call.started_at > now - dt.timedelta(hours=OPEN_CALL_HOURS),
        )
        .order_by(Call.started_at)
    ).all()
    result = []
    for call in calls:
        state = state_of(call)
        since = call.queued_at if state == CallState.QUEUED and call.queued_at else call.started_at
        result.append(RunningCall(call, state, max(0, int((now - since).total_seconds()))))
    return result


def day_start(now: dt.datetime, timezone: str | None = None) -> dt.datetime:
    """Local midnight (``timezone``, default ``DEFAULT_TIMEZONE``) of ``now``'s day, in UTC."""
    zone = ZoneInfo(timezone or current_app.config["DEFAULT_TIMEZONE"])
    local = now.astimezone(zone)
    midnight = dt.datetime.combine(local.date(), dt.time(), tzinfo=zone)
    return midnight.astimezone(dt.UTC)


@dataclass
class DayFigures:
    """Today's calls: per line and in total, counted by outcome (``None``: still running)."""

    total: int
    by_outcome: Counter[CallOutcome | None]
    by_line: list[tuple[Line, int, Counter[CallOutcome | None]]]


def todays_figures(session: Session, now: dt.datetime) -> DayFigures:
    rows = session.execute(
        select(Call.line_id, Call.outcome, func.count())
        .where(Call.started_at >= day_start(now), Call.started_at <= now)
        .group_by(Call.line_id, Call.outcome)
    ).all()
    per_line: dict[int, Counter[CallOutcome | None]] = {}
    total: Counter[CallOutcome | None] = Counter()
    for line_id, outcome, count in rows:
        per_line.setdefault(line_id, Counter())[outcome] += count
        total[outcome] += count
    lines = {line.id: line for line in session.scalars(select(Line).where(Line.id.in_(per_line)))}
    by_line = sorted(
        ((lines[i], sum(c.values()), c) for i, c in per_line.items()),
        key=lambda row: row[0].name,
    )
    return DayFigures(sum(total.values()), total, by_line)


def voicemails_to_call_back(session: Session, limit: int = 50) -> list[Call]:
    """Voicemails whose recording is still kept and nobody has marked called back, oldest
    first (the longest-waiting caller is called back first)."""
    return list(
        session.scalars(
            select(Call)
            .options(joinedload(Call.line))
            .where(Call.recording_url.is_not(None), Call.callback_done_at.is_(None))
            .order_by(Call.started_at)
            .limit(limit)
        )
    )


def render_running(session: Session, user: User, now: dt.datetime) -> str:
    calls = running_calls(session, now)
    if not calls:
        return ""
    return render_template(
        "voice/today_running.html",
        calls=calls,
        waiting=[c for c in calls if c.state == CallState.QUEUED],
        labels=STATE_LABELS,
        CallState=CallState,
    )


def render_day(session: Session, user: User, now: dt.datetime) -> str:
    figures = todays_figures(session, now)
    return render_template(
        "voice/today_calls.html",
        figures=figures,
        outcomes=[*OUTCOME_LABELS.items(), (None, RUNNING_LABEL)],
    )


def render_voicemails(session: Session, user: User, now: dt.datetime) -> str:
    calls = voicemails_to_call_back(session)
    if not calls:
        return ""
    return render_template(
        "voice/today_voicemails.html",
        calls=calls,
        number=lambda call: caller_shown(call, user, now),
    )


def register(registry: Registry) -> None:
    registry.panel(
        "today",
        "running_calls",
        N_("Laufende Anrufe"),
        render_running,
        Role.PLANNER.value,
        order=20,
        refresh_seconds=10,
    )
    registry.panel(
        "today",
        "todays_calls",
        N_("Anrufe heute"),
        render_day,
        Role.PLANNER.value,
        order=30,
        refresh_seconds=60,
    )
    registry.panel(
        "today",
        "voicemails",
        N_("Nachrichten zum Zurückrufen"),
        render_voicemails,
        Role.COORDINATOR.value,
        order=40,
        refresh_seconds=60,
    )

"""The voice hotline's answer to :data:`hotline.core.demand.CallHistory`: the calls a line
received, with the time an operator spent on each answered one.

Handling time is from answering to hanging up. ``duration_seconds`` (Twilio's figure) also
counts the menu and the wait, so it is used, minus the wait, only when a record lacks the
end time. Calls after opening hours are left out: nobody was meant to take them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.core.demand import CallSample
from hotline.voice.models import Call, CallOutcome


def call_history(
    session: Session, line_id: int, since: dt.datetime, until: dt.datetime
) -> Iterator[CallSample]:
    rows = session.execute(
        select(
            Call.started_at,
            Call.answered_at,
            Call.ended_at,
            Call.duration_seconds,
            Call.wait_seconds,
        ).where(
            Call.line_id == line_id,
            Call.started_at >= since,
            Call.started_at < until,
            or_(Call.outcome.is_(None), Call.outcome != CallOutcome.AFTER_HOURS),
        )
    )
    for started_at, answered_at, ended_at, duration, wait in rows:
        yield CallSample(started_at, _handled_seconds(answered_at, ended_at, duration, wait))


def _handled_seconds(
    answered_at: dt.datetime | None,
    ended_at: dt.datetime | None,
    duration: int | None,
    wait: int | None,
) -> float | None:
    if answered_at is None:
        return None
    if ended_at is not None:
        return max(0.0, (ended_at - answered_at).total_seconds())
    if duration is not None:
        return float(max(0, duration - (wait or 0)))
    return None

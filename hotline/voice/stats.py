"""Call statistics per line and per partner (co-funding municipalities get their own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.core.oncall.models import Line
from hotline.voice.models import Call, CallOutcome


@dataclass
class LineStats:
    line: str
    partner: str | None
    calls: int = 0
    callers: int = 0  # distinct caller hashes: repeat callers count once
    outcomes: dict[str, int] = field(default_factory=dict)
    avg_wait_seconds: float | None = None

    @property
    def answered_share(self) -> float:
        return self.outcomes.get(CallOutcome.ANSWERED.value, 0) / self.calls if self.calls else 0.0


def line_stats(
    session: Session, since: dt.datetime, until: dt.datetime, partner: str | None = None
) -> list[LineStats]:
    """Calls started in ``[since, until)``, per line, optionally for one partner."""
    where = [Call.started_at >= since, Call.started_at < until]
    if partner is not None:
        where.append(Line.partner == partner)
    base = (
        select(Line.id, Line.name, Line.partner).join(Call, Call.line_id == Line.id).where(*where)
    )
    rows: dict[int, LineStats] = {}
    totals = session.execute(
        base.add_columns(
            func.count(Call.id),
            func.count(func.distinct(Call.caller_hash)),
            func.avg(Call.wait_seconds),
        ).group_by(Line.id, Line.name, Line.partner)
    )
    for line_id, name, line_partner, calls, callers, avg_wait in totals:
        rows[line_id] = LineStats(
            name,
            line_partner,
            calls,
            callers,
            {},
            float(avg_wait) if avg_wait is not None else None,
        )
    outcomes = session.execute(
        base.add_columns(Call.outcome, func.count(Call.id)).group_by(
            Line.id, Line.name, Line.partner, Call.outcome
        )
    )
    for line_id, _name, _partner, outcome, count in outcomes:
        key = outcome.value if outcome is not None else "in_progress"
        rows[line_id].outcomes[key] = count
    return sorted(rows.values(), key=lambda r: (r.partner or "", r.line))

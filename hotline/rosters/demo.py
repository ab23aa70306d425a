"""Demo data for ``scripts/run``: lines, operators and shifts around the current time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.oncall.lines import add_coordinator, always_open, create_line
from hotline.core.oncall.models import Line
from hotline.core.oncall.operators import create_operator
from hotline.core.oncall.shifts import create_shift

DEMO_LINE = "+4930120000"
DEMO_HELP_LINE = "+4930120001"


def load_demo(session: Session, now: dt.datetime) -> str:
    """Demo lines, operators and shifts around ``now`` (idempotent)."""
    if session.scalar(select(Line.id).where(Line.number == DEMO_LINE)) is not None:
        return "demo data already present"
    heimweg = create_line(
        session,
        DEMO_LINE,
        "Heimwegtelefon Demo",
        "heimweg",
        fallback_number="+4930120099",
        partner="Demo-Stadt",
        queue_timeout=60,
    )
    always_open(heimweg)  # so the demo answers at any hour
    add_coordinator(heimweg, "Koordination", "+4915100000009")
    help_line = create_line(
        session,
        DEMO_HELP_LINE,
        "Nachbarschaftshilfe Demo",
        "nachbarschaftshilfe",
        hours={d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    people = [
        ("Anna Demo", "+4915100000001", ["de", "en"]),
        ("Bernd Demo", "+4915100000002", ["de"]),
        ("Cem Demo", "+4915100000003", ["de", "tr"]),
        ("Olena Demo", "+4915100000004", ["uk", "ru", "de"]),
    ]
    operators = [create_operator(session, n, p, langs) for n, p, langs in people]
    local_now = now.astimezone(ZoneInfo(heimweg.timezone)).replace(tzinfo=None, microsecond=0)
    hour = local_now.replace(minute=0, second=0)
    for op in operators[:3]:
        create_shift(
            session, op.id, heimweg.id, hour - dt.timedelta(hours=2), hour + dt.timedelta(hours=6)
        )
    create_shift(
        session,
        operators[3].id,
        heimweg.id,
        hour + dt.timedelta(hours=6),
        hour + dt.timedelta(hours=12),
    )
    create_shift(
        session,
        operators[1].id,
        help_line.id,
        hour - dt.timedelta(hours=1),
        hour + dt.timedelta(hours=3),
    )
    session.flush()
    return (
        f"demo: lines {heimweg.number} ({heimweg.name}) and {help_line.number}; "
        f"{len(operators)} operators; 5 shifts around {local_now:%H:%M}"
    )

"""Demo data for ``scripts/run``: lines, operators and shifts around the current time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.accounts import create_user
from hotline.core.models import Role, User
from hotline.core.oncall.lines import add_coordinator, always_open, create_line
from hotline.core.oncall.models import Line, Operator
from hotline.core.oncall.operators import create_operator
from hotline.core.oncall.shifts import create_shift

DEMO_LINE = "+4930120000"
DEMO_HELP_LINE = "+4930120001"
#: Published in the ``scripts/run`` banner; loaded only into development and test databases.
DEMO_PASSWORD = "rufbereit-demo"
#: ``(username, name, role, phone of the operator the account belongs to)``.
DEMO_ACCOUNTS = (
    ("admin", "Admin Demo", Role.ADMIN, None),
    ("planung", "Planung Demo", Role.PLANNER, None),
    ("anna", "Anna Demo", Role.OPERATOR, "+4915100000001"),
)
#: Banner lines for ``scripts/run``: ``(username, what they may do)``.
DEMO_SIGN_INS = (
    ("admin", "admin: everything, accounts at /dienstplan/benutzer, line settings"),
    ("planung", "planner: the Today page /heute, the week view /dienstplan/, statistics"),
    ("anna", "operator (Anna Demo): her phone home /mein-dienst, shifts, open shifts, swaps"),
)


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
        hours={d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},  # see below
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
    help_shifts = help_line_shifts(local_now)
    for n, (start, end) in enumerate(help_shifts):
        create_shift(session, operators[1 + n % 2].id, help_line.id, start, end)
    session.flush()
    return (
        f"demo: lines {heimweg.number} ({heimweg.name}) and {help_line.number}; "
        f"{len(operators)} operators; 4 shifts around {local_now:%H:%M}, "
        f"{len(help_shifts)} on the help line inside its opening hours"
    )


#: The demo help line's opening hours (weekdays), which its demo shifts lie inside.
HELP_LINE_OPENS, HELP_LINE_CLOSES = dt.time(9), dt.time(17)


def help_line_shifts(local_now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Shifts on the help line for the next seven days, each inside its opening hours
    (weekdays 09:00-13:00 and 13:00-17:00); those already over are left out."""
    shifts = []
    for offset in range(7):
        day = local_now.date() + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        opens = dt.datetime.combine(day, HELP_LINE_OPENS)
        middle = opens + dt.timedelta(hours=4)
        closes = dt.datetime.combine(day, HELP_LINE_CLOSES)
        shifts.extend((s, e) for s, e in ((opens, middle), (middle, closes)) if e > local_now)
    return shifts


def load_demo_sign_ins(session: Session, now: dt.datetime) -> str:
    """Roster sign-ins for the demo, one per roster role (idempotent; after
    :func:`load_demo`, whose operator Anna the operator account belongs to)."""
    made = []
    for username, name, role, phone in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        operator_id = None
        if phone is not None:
            operator_id = session.scalar(select(Operator.id).where(Operator.phone_number == phone))
            if operator_id is None:
                continue
        create_user(session, username, name, DEMO_PASSWORD, role, operator_id)
        made.append(username)
    session.flush()
    if not made:
        return "roster demo sign-ins already present"
    return f"roster demo sign-ins at /anmelden (password {DEMO_PASSWORD}): {', '.join(made)}"

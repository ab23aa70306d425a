"""Adding lines and changing their settings: a hotline number, the IVR flow it runs, its
opening hours, closures and public holidays, how it rings, its fallback and coordinators.

Every change of a setting, from the settings page or ``rufbereit line set``, goes through
:func:`change_line` and is written to the audit log with old and new values.

A line without opening hours is open around the clock (a fresh line should answer, not
route every call to its fallback), and its flow must be one that is loaded: a line with a
misspelt flow would send every caller to the fallback number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.errors import DomainError
from hotline.core.models import Role, User
from hotline.core.oncall.hours import FEDERAL_STATES, WEEKDAYS, parse_span
from hotline.core.oncall.lines import LineError, always_open, create_line, set_hours
from hotline.core.oncall.models import Closure, Coordinator, Line, Operator, RingStrategy
from hotline.core.phones import mask, to_dialable_e164
from hotline.rosters.audit import Actor, record

#: Longest name the lines table holds.
MAX_NAME_LENGTH = 120


def add_line(
    session: Session,
    number: str,
    name: str,
    flow: str,
    known_flows: Collection[str],
    *,
    timezone: str,
    hours: dict[str, list[str]] | None = None,
    fallback_number: str | None = None,
    partner: str | None = None,
    ring_strategy: RingStrategy | str = RingStrategy.SIMULTANEOUS,
    ring_timeout: int = 20,
    queue_timeout: int = 180,
    show_caller_number: bool = False,
    region: str = "DE",
    emergency_number: str | None = None,
) -> Line:
    """A new line; ``hours`` maps ``mon``…``sun`` to spans like ``"20:00-04:00"``."""
    if not name.strip() or len(name.strip()) > MAX_NAME_LENGTH:
        raise LineError("line_name_length", max=MAX_NAME_LENGTH)
    if flow not in known_flows:
        known = ", ".join(sorted(known_flows)) or "none"
        raise LineError("flow_unknown", flow=flow, known=known)
    line = create_line(
        session,
        number,
        name.strip(),
        flow,
        timezone=timezone,
        fallback_number=fallback_number,
        partner=partner,
        ring_strategy=ring_strategy,
        ring_timeout=ring_timeout,
        queue_timeout=queue_timeout,
        show_caller_number=show_caller_number,
        hours=hours or None,
        region=region,
        emergency_number=emergency_number,
    )
    if not hours:
        always_open(line)
    session.flush()
    return line


# -- changing a line's settings --------------------------------------------------------------

#: The settings :func:`change_line` accepts, in the order pages and the command line show them.
SETTING_NAMES = (
    "name",
    "hours",
    "closures",
    "holiday_state",
    "ring_strategy",
    "ring_timeout",
    "queue_timeout",
    "fallback_number",
    "partner",
    "show_caller_number",
    "coordinators",
)
RING_TIMEOUT_RANGE = (5, 120)
QUEUE_TIMEOUT_RANGE = (0, 3600)
MAX_PARTNER_LENGTH = 120
MAX_CLOSURES = 400


def span_text(opens: dt.time, closes: dt.time) -> str:
    """``20:00-04:00``; a span ending at midnight reads ``…-24:00`` (what people write)."""
    end = "24:00" if closes == dt.time(0) else f"{closes:%H:%M}"
    return f"{opens:%H:%M}-{end}"


def hours_of(line: Line) -> dict[str, list[str]]:
    """The line's opening spans as ``{"mon": ["20:00-04:00"], …}`` (every weekday present)."""
    hours: dict[str, list[str]] = {day: [] for day in WEEKDAYS}
    for span in sorted(line.opening_spans, key=lambda s: (s.weekday, s.opens)):
        hours[WEEKDAYS[span.weekday]].append(span_text(span.opens, span.closes))
    return hours


def coordinator_accounts(session: Session, line: Line) -> list[User]:
    """Accounts that are coordinators of ``line``: their operator's mobile number gets the
    line's voicemail and dispatch notices."""
    phones = {c.phone_number for c in line.coordinators}
    if not phones:
        return []
    return list(
        session.scalars(
            select(User)
            .join(Operator, User.operator_id == Operator.id)
            .where(Operator.phone_number.in_(phones))
            .order_by(User.name)
        )
    )


def eligible_coordinators(session: Session) -> list[User]:
    """Accounts that can be a line's coordinator: active, with a phone (their operator's)."""
    return list(
        session.scalars(
            select(User)
            .join(Operator, User.operator_id == Operator.id)
            .where(User.active.is_(True), User.role != Role.MEMBER)
            .order_by(User.name)
        )
    )


def settings_of(session: Session, line: Line) -> dict[str, Any]:
    """Every setting of ``line`` as :func:`change_line` takes it."""
    return {
        "name": line.name,
        "hours": hours_of(line),
        "closures": sorted(c.date for c in line.closures),
        "holiday_state": line.holiday_state,
        "ring_strategy": RingStrategy(line.ring_strategy).value,
        "ring_timeout": line.ring_timeout,
        "queue_timeout": line.queue_timeout,
        "fallback_number": line.fallback_number,
        "partner": line.partner,
        "show_caller_number": line.show_caller_number,
        "coordinators": [u.id for u in coordinator_accounts(session, line)],
    }


def _audit_value(session: Session, name: str, value: Any) -> Any:
    """How a setting reads in the audit log: plain JSON, numbers masked, accounts by name."""
    if name == "hours":
        return (
            "; ".join(f"{day} {', '.join(spans)}" for day, spans in value.items() if spans) or "-"
        )
    if name == "closures":
        return " ".join(d.isoformat() for d in value) or "-"
    if name == "fallback_number":
        return mask(value)
    if name == "coordinators":
        users = session.scalars(select(User).where(User.id.in_(value))).all() if value else []
        return ", ".join(sorted(u.name for u in users)) or "-"
    return value


def _in_range(name: str, value: Any, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LineError("seconds_out_of_range", name=name, low=low, high=high)
    return value


def _normalised(session: Session, name: str, value: Any, region: str) -> Any:
    """The setting as stored, or LineError saying what is wrong with it."""
    if name == "name":
        text = (value or "").strip()
        if not text or len(text) > MAX_NAME_LENGTH:
            raise LineError("line_name_length", max=MAX_NAME_LENGTH)
        return text
    if name == "hours":
        for day in value:
            if day not in WEEKDAYS:
                raise LineError("weekday_unknown", day=day, days=", ".join(WEEKDAYS))
        hours: dict[str, list[str]] = {day: [] for day in WEEKDAYS}
        for day, texts in value.items():
            for text in texts:
                try:
                    span = parse_span(text, WEEKDAYS.index(day))
                except DomainError as exc:
                    raise LineError(exc.code, **exc.params) from exc
                hours[day].append(span_text(span.opens, span.closes))
        return {day: sorted(spans) for day, spans in hours.items()}
    if name == "closures":
        days = sorted(set(value))
        if len(days) > MAX_CLOSURES:
            raise LineError("closures_too_many", count=MAX_CLOSURES)
        return days
    if name == "holiday_state":
        state = (value or "").strip().upper() or None
        if state is not None and state not in FEDERAL_STATES:
            raise LineError("federal_state_unknown", state=state, states=", ".join(FEDERAL_STATES))
        return state
    if name == "ring_strategy":
        try:
            return RingStrategy(value).value
        except ValueError as exc:
            raise LineError("ring_strategy_unknown") from exc
    if name == "ring_timeout":
        return _in_range("ring_timeout", value, RING_TIMEOUT_RANGE)
    if name == "queue_timeout":
        return _in_range("queue_timeout", value, QUEUE_TIMEOUT_RANGE)
    if name == "fallback_number":
        text = (value or "").strip()
        return to_dialable_e164(text, region) if text else None
    if name == "partner":
        text = (value or "").strip()
        if len(text) > MAX_PARTNER_LENGTH:
            raise LineError("partner_too_long", count=MAX_PARTNER_LENGTH)
        return text or None
    if name == "show_caller_number":
        return bool(value)
    if name == "coordinators":
        wanted = sorted(set(value))
        eligible = {u.id for u in eligible_coordinators(session)}
        missing = [str(i) for i in wanted if i not in eligible]
        if missing:
            raise LineError("coordinators_unfit", accounts=", ".join(missing))
        return wanted
    raise LineError("line_setting_unknown", name=name)


def _apply(session: Session, line: Line, name: str, value: Any, old: Any) -> None:
    if name == "hours":
        set_hours(line, {day: spans for day, spans in value.items() if spans})
    elif name == "closures":
        # Keep the rows of dates that stay (and their reasons); a new row for the same date
        # would be inserted before the old one is deleted.
        kept = [c for c in line.closures if c.date in value]
        known = {c.date for c in kept}
        line.closures = kept + [Closure(date=d) for d in value if d not in known]
    elif name == "ring_strategy":
        line.ring_strategy = RingStrategy(value)
    elif name == "coordinators":
        by_id = {u.id: u for u in eligible_coordinators(session)}
        leaving = {
            u.operator.phone_number
            for u in session.scalars(select(User).where(User.id.in_(old or [])))
            if u.operator is not None
        }
        kept = [c for c in line.coordinators if c.phone_number not in leaving]
        present = {c.phone_number for c in kept}
        for user_id in value:
            user = by_id[user_id]
            if user.operator.phone_number not in present:
                kept.append(Coordinator(name=user.name, phone_number=user.operator.phone_number))
        line.coordinators = kept
    else:
        setattr(line, name, value)


def change_line(
    session: Session,
    actor: Actor,
    line_id: int,
    changes: Mapping[str, Any],
    *,
    region: str = "DE",
) -> dict[str, tuple[Any, Any]]:
    """Change some settings of a line (the settings page and ``rufbereit line set``).

    ``changes`` maps names of :data:`SETTING_NAMES` to new values (``hours`` like
    :func:`add_line`'s, replacing all spans; ``closures`` dates, replacing the list;
    ``coordinators`` account ids). Settings left out stay as they are. Returns what
    changed, ``name → (old, new)`` as the audit shows it; one audit row records it all
    (numbers masked), and nothing is written when nothing changed. Raises LineError (or
    InvalidPhoneNumber) before touching anything if one value is wrong.
    """
    line = session.get(Line, line_id)
    if line is None:
        raise LineError("line_unknown", line_id=line_id)
    current = settings_of(session, line)
    wanted = {name: _normalised(session, name, value, region) for name, value in changes.items()}
    changed = {name: value for name, value in wanted.items() if value != current[name]}
    if not changed:
        return {}
    shown = {
        name: (_audit_value(session, name, current[name]), _audit_value(session, name, value))
        for name, value in changed.items()
    }
    for name in SETTING_NAMES:
        if name in changed:
            _apply(session, line, name, changed[name], current[name])
    session.flush()
    record(
        session,
        None,
        "line_settings",
        actor,
        {"line_id": line.id, "settings": {name: old for name, (old, _) in shown.items()}},
        {"line_id": line.id, "settings": {name: new for name, (_, new) in shown.items()}},
    )
    return shown

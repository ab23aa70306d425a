"""Adding lines: a hotline number, the IVR flow it runs and its opening hours.

A line without opening hours is open around the clock (a fresh line should answer, not
route every call to its fallback), and its flow must be one that is loaded: a line with a
misspelt flow would send every caller to the fallback number.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from hotline.core.oncall.lines import LineError, always_open, create_line
from hotline.core.oncall.models import Line, RingStrategy

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
        raise LineError(f"a line needs a name of 1 to {MAX_NAME_LENGTH} characters")
    if flow not in known_flows:
        known = ", ".join(sorted(known_flows)) or "none"
        raise LineError(f"unknown flow {flow!r} (loaded flows: {known})")
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

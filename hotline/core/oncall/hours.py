"""Opening hours: weekly spans in a line's local wall-clock time, plus holiday closures."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from hotline.core.errors import DomainError

with warnings.catch_warnings():
    # 0.x announces its move to semantic versioning on import; the version is pinned.
    warnings.simplefilter("ignore", DeprecationWarning)
    import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: German federal states whose public holidays a line can close on (``holidays`` codes).
FEDERAL_STATES = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "BE": "Berlin",
    "BB": "Brandenburg",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}


@dataclass(frozen=True)
class Span:
    weekday: int  # 0 = Monday
    opens: dt.time
    closes: dt.time

    def occurrence(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """Local naive start/end of this span when it starts on ``day``."""
        start = dt.datetime.combine(day, self.opens)
        end_day = day if self.closes > self.opens else day + dt.timedelta(days=1)
        return start, dt.datetime.combine(end_day, self.closes)


def parse_span(text: str, weekday: int) -> Span:
    """``"20:00-04:00"`` → Span; raises a DomainError (a ValueError) otherwise."""
    try:
        opens_s, closes_s = (p.strip() for p in text.split("-", 1))
        opens = dt.time.fromisoformat(opens_s)
        closes = dt.time.fromisoformat("00:00" if closes_s == "24:00" else closes_s)
    except ValueError as exc:
        raise DomainError("opening_span_unreadable", span=text) from exc
    return Span(weekday, opens, closes)


def is_open(
    spans: Iterable[Span], closures: Iterable[dt.date], timezone: str, at: dt.datetime
) -> bool:
    """Whether a line is open at instant ``at``.

    A span belongs to the day it starts on, so a Saturday 20:00–04:00 span keeps the line open
    early on Sunday, and a closure on the Saturday closes that whole night.
    """
    local = at.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    closed_days = set(closures)
    for span in spans:
        for day in (local.date(), local.date() - dt.timedelta(days=1)):
            if day.weekday() != span.weekday or day in closed_days:
                continue
            start, end = span.occurrence(day)
            if start <= local < end:
                return True
    return False


@lru_cache(maxsize=256)
def _holidays(state: str, year: int) -> dict[dt.date, str]:
    return dict(holidays.Germany(subdiv=state, years=year, language="de").items())


def public_holidays(state: str | None, years: Iterable[int]) -> dict[dt.date, str]:
    """The public holidays of German federal ``state`` in ``years``, date → German name.

    Rule-based (the ``holidays`` package), so no yearly list to keep up to date; an unknown
    or empty state has none."""
    if not state or state not in FEDERAL_STATES:
        return {}
    found: dict[dt.date, str] = {}
    for year in years:
        found.update(_holidays(state, year))
    return found


def line_is_open(line, at: dt.datetime) -> bool:  # noqa: ANN001 - Line, avoids an import cycle
    """Whether ``line`` (a Line or a read-only copy with the same attributes) is open at
    ``at``: its spans, minus its closures and the public holidays of its federal state."""
    spans = [Span(s.weekday, s.opens, s.closes) for s in line.opening_spans]
    closed = [c.date for c in line.closures]
    state = getattr(line, "holiday_state", None)
    if state:
        year = at.astimezone(ZoneInfo(line.timezone)).year
        closed.extend(public_holidays(state, (year - 1, year)))
    return is_open(spans, closed, line.timezone, at)


def describe(spans: Iterable[Span]) -> str:
    """Short human summary, e.g. ``mon 20:00-04:00, tue 20:00-04:00``."""
    return ", ".join(
        f"{WEEKDAYS[s.weekday]} {s.opens:%H:%M}-{s.closes:%H:%M}"
        for s in sorted(spans, key=lambda s: (s.weekday, s.opens))
    )

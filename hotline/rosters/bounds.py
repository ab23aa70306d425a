"""The dates a roster plans for: 2000-01-01 to 2099-12-31.

A typo such as year 0001 or 9999 is refused where it comes in (browser form, command line,
CSV file) instead of failing later: converting such wall-clock times to UTC, or the week
after them, leaves the range of Python's dates, and no hotline plans that far anyway.
"""

from __future__ import annotations

import datetime as dt

from hotline.core.oncall.shifts import ShiftError

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
#: The same bounds as wall-clock times (a shift may end at midnight after LAST_DAY).
EARLIEST = dt.datetime.combine(FIRST_DAY, dt.time())
LATEST = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time())


def in_range(value: dt.date | dt.datetime) -> bool:
    day = value.date() if isinstance(value, dt.datetime) else value
    if isinstance(value, dt.datetime) and value == LATEST:
        return True
    return FIRST_DAY <= day <= LAST_DAY


def check_dates(*values: dt.date | dt.datetime) -> None:
    """Raise :class:`ShiftError` unless every value lies in the planning range."""
    if not all(in_range(v) for v in values):
        raise ShiftError("dates_out_of_range", first=FIRST_DAY, last=LAST_DAY)

"""How a shift is named in the operators' texts (keywords, reminders, confirmations, offers),
and which of the texts' languages an operator gets."""

from __future__ import annotations

from hotline.core.oncall.models import Operator, Shift
from hotline.rosters.models import OpenShift

#: The languages the operators' texts are written in; others fall back to German.
LANGUAGES = ("de", "en")
WEEKDAY_SHORT = {
    "de": ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}


def operator_language(operator: Operator) -> str:
    """The operator's first language the texts exist in, else German."""
    for code in operator.languages:
        if code in LANGUAGES:
            return code
    return "de"


def describe_shift(shift: Shift | OpenShift, lang: str) -> str:
    """``Mo 07.01. 20:00–23:00 Heimwegtelefon``: day, date, wall-clock hours and line."""
    day = WEEKDAY_SHORT[lang][shift.local_start.weekday()]
    return f"{day} {shift.local_start:%d.%m. %H:%M}–{shift.local_end:%H:%M} {shift.line.name}"

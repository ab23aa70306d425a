"""How a shift is named in the operators' texts (keywords, reminders, confirmations, offers),
and which language an operator's texts are in.

The texts are catalogue msgids (their German wording), read with :func:`text_in`. An
operator gets the first of their languages whose catalogue translates every one of the
rosters' operator texts (:data:`OPERATOR_TEXTS`), else German: all six catalogues are
complete today, and a language whose catalogue lacks one of these texts is passed over, so
nobody gets an SMS half translated. Replies to a keyword are in the keyword's language instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from babel.dates import get_day_names

from hotline.core.i18n import first_translated
from hotline.core.oncall.models import Operator, Shift
from hotline.rosters.models import OpenShift

#: Every text the rosters send operators; the modules that write them add theirs.
OPERATOR_TEXTS: set[str] = set()


def operator_texts(texts: Iterable[str]) -> None:
    """Adds a module's operator texts to those a language must translate to be used."""
    OPERATOR_TEXTS.update(texts)


def operator_language(operator: Operator) -> str:
    """The operator's first language the texts are translated into, else German."""
    return first_translated(operator.languages, OPERATOR_TEXTS)


def weekday_short(weekday: int, lang: str) -> str:
    """The weekday's short name in ``lang`` from the locale data (``Mo``, ``Mon``, ``Pzt``),
    without the German abbreviation's dot: a word of the calendar, not a catalogue text."""
    return get_day_names("abbreviated", locale=lang)[weekday].rstrip(".")


def describe_shift(shift: Shift | OpenShift, lang: str) -> str:
    """``Mo 07.01. 20:00–23:00 Heimwegtelefon``: day, date, wall-clock hours and line."""
    day = weekday_short(shift.local_start.weekday(), lang)
    return f"{day} {shift.local_start:%d.%m. %H:%M}–{shift.local_end:%H:%M} {shift.line.name}"

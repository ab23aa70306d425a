"""Page texts in the reader's language, through Flask-Babel's gettext catalogues.

Source texts (msgids) are the German texts as they appear on the page: templates and code
read in the product's first language, and a text missing from a catalogue still shows a
correct German page. ``hotline/translations/<lang>/LC_MESSAGES/messages.po`` holds one
catalogue per language; de and en are complete (``tests/test_console.py`` fails on a missing
entry), tr, ar, uk and ru are started and fall back to German. The compiled ``.mo`` files are
committed next to them so a fresh clone runs without a build step; ``scripts/translations``
re-extracts and recompiles after a text changes.

The language is the signed-in user's preference, else ``?lang=``/the session's choice, else
the browser's Accept-Language (German when nothing matches).
"""

from __future__ import annotations

import datetime as dt

import flask_babel
from babel import dates as babel_dates
from flask import Flask, g, has_request_context, request, session

from hotline.core.catalogues import (  # noqa: F401 - one import for pages and texts
    LANGUAGES,
    TRANSLATIONS,
    first_translated,
    has_text,
    text_in,
)
from hotline.core.errors import DomainError, FieldErrors

#: Each language's own name, for the language switch.
LANGUAGE_NAMES = {
    "de": "Deutsch",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "uk": "Українська",
    "ru": "Русский",
}
#: Written right to left: the layout sets ``dir="rtl"`` on ``<html>``.
RIGHT_TO_LEFT = frozenset({"ar"})
#: Catalogues that must translate every text (the others may still be incomplete).
COMPLETE = ("de", "en")


def N_(text: str) -> str:
    """Marks ``text`` as a catalogue msgid where it is defined (a constant translated later,
    when shown)."""
    return text


WEEKDAYS_DE = [
    N_("Montag"),
    N_("Dienstag"),
    N_("Mittwoch"),
    N_("Donnerstag"),
    N_("Freitag"),
    N_("Samstag"),
    N_("Sonntag"),
]

babel = flask_babel.Babel()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "de")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin")
    babel.init_app(
        app,
        locale_selector=current_language,
        default_translation_directories=str(TRANSLATIONS),
    )


def current_language() -> str:
    if not has_request_context():
        return "de"
    if "lang" in g:
        return g.lang
    lang = request.args.get("lang")
    if lang not in LANGUAGES:
        user = g.get("roster_user")
        lang = user.language if user is not None else None
    lang = lang or session.get("lang")
    if lang not in LANGUAGES:
        lang = request.accept_languages.best_match(LANGUAGES, default="de")
    g.lang = lang
    return lang


def text_direction(lang: str) -> str:
    return "rtl" if lang in RIGHT_TO_LEFT else "ltr"


def gettext(text: str, **values: object) -> str:
    """``text`` in the page's language; ``{name}`` placeholders are filled from ``values``."""
    translated = flask_babel.gettext(text) if "%" not in text else _raw(text)
    return translated.format(**values) if values else translated


def _raw(text: str) -> str:
    """A msgid with ``%(name)s`` placeholders WTForms fills in later: no ``%`` formatting."""
    return flask_babel.get_translations().ugettext(text)


def format_date(value: dt.date) -> str:
    """A date the way the page's language writes it (German: ``07.01.2030``)."""
    return flask_babel.format_date(value, "medium" if current_language() != "de" else "dd.MM.yyyy")


def format_datetime(value: dt.datetime) -> str:
    """Date and time the way the page's language writes them (German: ``07.01.2030, 20:00``)."""
    return flask_babel.format_datetime(value, "short")


def format_wall_clock(value: dt.datetime) -> str:
    """A local wall-clock time (a shift's start, no time zone attached) in the language's
    way, unconverted (German: ``07.01.2030 20:00``)."""
    if current_language() == "de":
        return babel_dates.format_datetime(value, "dd.MM.yyyy HH:mm", locale="de")
    return babel_dates.format_datetime(value, "medium", locale=current_language())


def format_number(value: float) -> str:
    """A number with the language's separators (German: ``1.234,5``)."""
    return flask_babel.format_decimal(value)


def error_text(exc: BaseException) -> str:
    """A refusal in the page's language: a :class:`~hotline.core.errors.DomainError` by its
    msgid and parameters; anything else (a programming error's message) as it is. Outside a
    request the English text, as the command line shows it."""
    if isinstance(exc, DomainError):
        return exc.text(current_language()) if has_request_context() else str(exc)
    return str(exc)


def error_texts(exc: FieldErrors) -> dict[str, str]:
    """A form's refusals by field, in the page's language."""
    return exc.texts(current_language() if has_request_context() else "en")

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
import re

import flask_babel
from babel import dates as babel_dates
from flask import Flask, g, has_request_context, request, session

from hotline.core import phones
from hotline.core.catalogues import (  # noqa: F401 - one import for pages and texts
    LANGUAGES,
    TRANSLATIONS,
    first_translated,
    has_text,
    text_in,
)

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


# Error messages of the domain functions are English; German pages show them translated.
DE_ERRORS: list[tuple[str, str]] = [
    (r"a shift must end after it starts", "Eine Schicht muss nach ihrem Beginn enden."),
    (
        r"this person is already on shift from (.+) to (.+)",
        "Diese Person hat schon eine Schicht von {0} bis {1}.",
    ),
    (r"a shift may last at most (\d+) hours", "Eine Schicht darf höchstens {0} Stunden dauern."),
    (r"line (\d+) does not exist", "Die Linie {0} gibt es nicht."),
    (r"operator (\d+) does not exist", "Die ehrenamtliche Person {0} gibt es nicht."),
    (
        r"past shifts are kept for the records and cannot be deleted",
        "Vergangene Schichten bleiben für die Statistik erhalten und können nicht gelöscht werden.",
    ),
    (r"the end date lies before the start date", "Das Enddatum liegt vor dem Startdatum."),
    (r"a pattern may cover at most (\d+) days", "Ein Muster darf höchstens {0} Tage umfassen."),
    (r"weekday must be .*", "Bitte einen Wochentag wählen."),
    (
        r"only active operators can take shifts",
        "Nur aktive Ehrenamtliche können Schichten übernehmen.",
    ),
    (r"only the operator on a shift can offer it", "Nur wer die Schicht hat, kann sie anbieten."),
    (
        r"a shift that has started cannot be offered any more",
        "Eine begonnene Schicht kann nicht mehr angeboten werden.",
    ),
    (r"you cannot take your own shift", "Die eigene Schicht kann man nicht übernehmen."),
    (r"this shift has started or is gone", "Diese Schicht hat begonnen oder existiert nicht mehr."),
    (r"(.+) is not a date and time like (.+)", "{0} ist kein Zeitpunkt wie {1}."),
    (r"(.+) is not a date and time", "{0} ist kein Zeitpunkt."),
    (r"(.+) is not a date", "{0} ist kein Datum."),
    (r"(.+) is not a time", "{0} ist keine Uhrzeit."),
    (r"please choose a value", "Bitte einen Wert wählen."),
    (
        r"an operator with number (.+) exists already",
        "Es gibt schon eine ehrenamtliche Person mit der Nummer {0}.",
    ),
    (r"unknown language code\(s\): (.+)", "Unbekannte Sprachkürzel: {0}"),
    (r"name is empty", "Der Name fehlt."),
    (r"missing column\(s\): (.+)", "Es fehlen Spalten: {0}"),
    (r"at most (\d+) rows per file", "Höchstens {0} Zeilen pro Datei."),
    (r"same phone number as row (\d+)", "Dieselbe Telefonnummer wie in Zeile {0}."),
    (
        r"status must be active or paused, not (.+)",
        "Der Status muss active oder paused sein, nicht {0}.",
    ),
    (r"no operator with number (.+)", "Keine ehrenamtliche Person mit der Nummer {0}."),
    (r"no line with number (.+)", "Keine Linie mit der Nummer {0}."),
    (r"give wall-clock times without a UTC offset", "Bitte Uhrzeiten ohne UTC-Versatz angeben."),
    (r"passwords need at least (\d+) characters", "Passwörter brauchen mindestens {0} Zeichen."),
    (r"a username is required", "Ein Benutzername ist nötig."),
    (r"the username (.+) is taken", "Der Benutzername {0} ist vergeben."),
    (
        r"operator accounts must belong to an operator",
        "Konten der Rolle operator gehören zu einer ehrenamtlichen Person.",
    ),
    (
        r"organisation members are not operators",
        "Mitglieder von Organisationen sind keine Ehrenamtlichen am Telefon.",
    ),
    (
        r"organisation members are added on the organisation's page",
        "Mitglieder von Organisationen werden auf der Seite der Organisation angelegt.",
    ),
    (r"required staff must be between 0 and 50", "Die Besetzung muss zwischen 0 und 50 liegen."),
    (
        r"hours must run from 0 to 23.*",
        "Die Stunden laufen von 0 bis 23, die erste nicht nach der letzten.",
    ),
    (r"choose at least one weekday", "Bitte mindestens einen Wochentag wählen."),
    (r"dates must lie between (.+) and (.+)", "Daten müssen zwischen {0} und {1} liegen."),
    (r"a name may have at most (\d+) characters", "Ein Name darf höchstens {0} Zeichen haben."),
    (
        r"a line needs a name of 1 to (\d+) characters",
        "Eine Linie braucht einen Namen mit 1 bis {0} Zeichen.",
    ),
    (
        r"opening span '(.+)' must look like 20:00-04:00",
        "Die Öffnungszeit „{0}“ muss wie 20:00-04:00 aussehen.",
    ),
    (
        r"(ring_timeout|queue_timeout) must be between (\d+) and (\d+) seconds",
        "Bitte eine Zahl von {1} bis {2} Sekunden angeben.",
    ),
    (r"unknown federal state '(.+)'.*", "Das Bundesland „{0}“ gibt es nicht."),
    (
        r"account\(s\) (.+) cannot coordinate.*",
        "Konto {0} kann nicht koordinieren: Es braucht ein aktives Konto mit verknüpfter "
        "ehrenamtlicher Person, deren Handy die Nachrichten bekommt.",
    ),
    (r"a line may have at most (\d+) closures", "Höchstens {0} Schließtage."),
    (r"account (\d+) does not exist", "Das Konto {0} gibt es nicht."),
    (
        r"operator (\d+) already has the account (.+)",
        "Die ehrenamtliche Person {0} hat schon das Konto {1}.",
    ),
    (
        r"the last active admin keeps the admin role",
        "Das letzte aktive Admin-Konto behält seine Rolle.",
    ),
    (r"the copy would start in the past", "Die Kopie läge in der Vergangenheit."),
    (r"a week starts on a Monday", "Eine Woche beginnt an einem Montag."),
    (
        r"you cannot deactivate your own account",
        "Das eigene Konto kann man nicht deaktivieren.",
    ),
]


def error_text(message: str) -> str:
    """A domain error message in the page's language."""
    if not has_request_context() or current_language() == "en":
        return message  # domain errors are written in English, as the command line shows them
    phone_text = phones.translate(message, "de")  # phone numbers keep their own texts
    if phone_text is not None:
        return phone_text
    for pattern, german in DE_ERRORS:
        match = re.fullmatch(pattern, message)
        if match:
            return german.format(*match.groups())
    return message

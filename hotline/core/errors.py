"""Domain errors: a stable code, a German msgid and parameters, translated where shown.

A domain function refuses with ``raise ShiftError("shift_too_long", hours=12)``: the code
names the refusal (stable, snake_case, for tests and logs), :data:`MESSAGES` gives its
msgid (the German text with ``{name}`` placeholders, the catalogue key) and the keyword
arguments fill the placeholders. Nothing is pattern-matched back from English: a page shows
``exc.text(language)`` (``hotline.core.i18n.error_text`` in the page's language), the command
line and the logs ``str(exc)``, the English text.

:data:`MESSAGES` is the one place that lists every refusal the product can show; a code not
in it is a programming error and fails where it is raised. ``tests/test_domain_errors.py``
checks that every code raised in the source is listed and translated in de and en.

A parameter that is itself a word to translate (a kind of phone number, a column's name)
is passed as :class:`Word` and shown in the same language as the message.

This module imports only :mod:`hotline.core.catalogues`, so that every module may use it.
"""

from __future__ import annotations

from collections.abc import Mapping

from hotline.core.catalogues import text_in


def N_(text: str) -> str:  # noqa: N802 - the gettext marker the extractor knows
    """Marks ``text`` as a catalogue msgid (``scripts/translations.py`` extracts it)."""
    return text


class Word(str):
    """A parameter that is a msgid itself: translated into the message's language."""

    __slots__ = ()


class Words(tuple):
    """A parameter that is a list of msgids (column names): each translated, joined by
    commas."""

    __slots__ = ()


#: Every refusal the product shows, by code: the German msgid with its placeholders. The
#: core's are listed here; each feature adds its own with :func:`register` when its package
#: is imported (``dispatch/refusals.py``, ``hotline/voice/refusals.py``), so a feature's
#: refusal is written beside the feature, not in the core.
MESSAGES: dict[str, str] = {
    # -- lines, operators, shifts (hotline.core.oncall, hotline.rosters) --
    "line_unknown": N_("Die Linie {line_id} gibt es nicht."),
    "operator_unknown": N_("Die ehrenamtliche Person {operator_id} gibt es nicht."),
    "timezone_unknown": N_("Die Zeitzone {timezone!r} gibt es nicht."),
    "shift_times_with_zone": N_("Schichtzeiten sind Uhrzeiten ohne Zeitzone."),
    "shift_ends_before_start": N_("Eine Schicht muss nach ihrem Beginn enden."),
    "shift_too_long": N_("Eine Schicht darf höchstens {hours} Stunden dauern."),
    "shift_overlap": N_("Diese Person hat schon eine Schicht von {start} bis {end}."),
    "shift_past": N_(
        "Vergangene Schichten bleiben für die Statistik erhalten und können nicht gelöscht werden."
    ),
    "dates_out_of_range": N_("Daten müssen zwischen {first} und {last} liegen."),
    "end_date_before_start": N_("Das Enddatum liegt vor dem Startdatum."),
    "pattern_too_long": N_("Ein Muster darf höchstens {days} Tage umfassen."),
    "weekday_invalid": N_("Bitte einen Wochentag wählen."),
    "operator_not_active": N_("Nur aktive Ehrenamtliche können Schichten übernehmen."),
    "offer_not_own": N_("Nur wer die Schicht hat, kann sie anbieten."),
    "offer_started": N_("Eine begonnene Schicht kann nicht mehr angeboten werden."),
    "swap_own_shift": N_("Die eigene Schicht kann man nicht übernehmen."),
    "swap_gone": N_("Diese Schicht hat begonnen oder existiert nicht mehr."),
    "week_not_monday": N_("Eine Woche beginnt an einem Montag."),
    "copy_in_past": N_("Die Kopie läge in der Vergangenheit."),
    "datetime_unreadable": N_("{value!r} ist kein Zeitpunkt wie 2026-11-27 20:00."),
    "datetime_with_offset": N_("Bitte Uhrzeiten ohne UTC-Versatz angeben."),
    "line_number_taken": N_("Es gibt schon eine Linie mit der Nummer {number}."),
    "line_name_length": N_("Eine Linie braucht einen Namen mit 1 bis {max} Zeichen."),
    "flow_unknown": N_("Den Ablauf {flow!r} gibt es nicht (geladen: {known})."),
    "seconds_out_of_range": N_("Bitte eine Zahl von {low} bis {high} Sekunden angeben."),
    "weekday_unknown": N_("Den Wochentag {day!r} gibt es nicht; möglich: {days}."),
    "opening_span_unreadable": N_("Die Öffnungszeit „{span}“ muss wie 20:00-04:00 aussehen."),
    "closures_too_many": N_("Höchstens {count} Schließtage."),
    "federal_state_unknown": N_("Das Bundesland „{state}“ gibt es nicht."),
    "ring_strategy_unknown": N_("Bitte gleichzeitig oder nacheinander wählen."),
    "partner_too_long": N_("Ein Partner darf höchstens {count} Zeichen haben."),
    "coordinators_unfit": N_(
        "Konto {accounts} kann nicht koordinieren: Es braucht ein aktives Konto mit "
        "verknüpfter ehrenamtlicher Person, deren Handy die Nachrichten bekommt."
    ),
    "line_setting_unknown": N_("Die Einstellung {name!r} gibt es nicht."),
    "operator_number_taken": N_("Es gibt schon eine ehrenamtliche Person mit der Nummer {number}."),
    "language_codes_unknown": N_("Unbekannte Sprachkürzel: {codes}"),
    "name_missing": N_("Der Name ist leer."),
    "name_too_long": N_("Ein Name darf höchstens {count} Zeichen haben."),
    "status_unknown": N_("Der Status muss active oder paused sein, nicht {value!r}."),
    "phone_same_as_row": N_("Dieselbe Telefonnummer wie in Zeile {row}."),
    "operator_number_unknown": N_("Keine ehrenamtliche Person mit der Nummer {number}."),
    "line_number_unknown": N_("Keine Linie mit der Nummer {number}."),
    "staff_out_of_range": N_("Die Besetzung muss zwischen 0 und {max} liegen."),
    "staffing_hours_invalid": N_(
        "Die Stunden laufen von 0 bis 23, die erste nicht nach der letzten."
    ),
    "weekday_missing": N_("Bitte mindestens einen Wochentag wählen."),
    "service_share_out_of_range": N_("Der Anteil muss zwischen 1 und {max} Prozent liegen."),
    "service_wait_out_of_range": N_("Die Wartezeit muss zwischen 0 und {max} Sekunden liegen."),
    # -- accounts and blocks (hotline.core) --
    "password_too_short": N_("Passwörter brauchen mindestens {count} Zeichen."),
    "username_missing": N_("Ein Benutzername ist nötig."),
    "username_taken": N_("Der Benutzername {username!r} ist vergeben."),
    "username_unknown": N_("Es gibt kein Konto {username!r}."),
    "operator_account_needs_operator": N_(
        "Konten der Rolle operator gehören zu einer ehrenamtlichen Person."
    ),
    "member_not_operator": N_(
        "Mitglieder von Organisationen sind keine Ehrenamtlichen am Telefon."
    ),
    "member_on_organisation_page": N_(
        "Mitglieder von Organisationen werden auf der Seite der Organisation angelegt."
    ),
    "account_unknown": N_("Das Konto {user_id} gibt es nicht."),
    "operator_has_account": N_(
        "Die ehrenamtliche Person {operator_id} hat schon das Konto {username!r}."
    ),
    "last_admin": N_("Das letzte aktive Admin-Konto behält seine Rolle."),
    "own_account_deactivate": N_("Das eigene Konto kann man nicht deaktivieren."),
    "block_hours_out_of_range": N_("Eine Sperre dauert zwischen 1 und {max} Stunden."),
    "block_not_active": N_("Die Sperre {block_id} ist nicht aktiv."),
    # -- phone numbers (hotline.core.phones) --
    "phone_empty": N_("Die Telefonnummer fehlt."),
    "phone_not_a_number": N_("'{number}' ist keine Telefonnummer."),
    "phone_invalid": N_("'{number}' ist keine gültige Telefonnummer."),
    "phone_not_mobile": N_("'{number}' ist eine {kind}; bitte eine Handynummer angeben."),
    "phone_special": N_(
        "'{number}' ist eine {kind}; solche Nummern werden weder angerufen noch angeschrieben."
    ),
    "phone_non_geographic": N_(
        "'{number}' ist eine Satelliten- oder internationale Netznummer; solche Nummern "
        "werden weder angerufen noch angeschrieben."
    ),
    "phone_country": N_(
        "'{number}' ist eine Nummer aus {country}; angenommen werden nur Nummern aus {allowed}."
    ),
    # -- CSV files (hotline.core.csvfiles) --
    "csv_empty": N_("Die Datei ist leer."),
    "csv_columns_missing": N_("Es fehlen Spalten: {names}"),
    "csv_too_many_rows": N_("Höchstens {count} Zeilen pro Datei."),
    "csv_weekday_unknown": N_("Unbekannter Wochentag: {value}"),
    "csv_language_unknown": N_("Unbekannte Sprache: {value}"),
    "csv_choice_unknown": N_("{what} unbekannt: {value} (möglich: {choices})"),
}


def register(messages: Mapping[str, str]) -> None:
    """Add a feature's refusals to :data:`MESSAGES`; a code is one refusal, so a code given
    twice with two texts is a programming error."""
    for code, msgid in messages.items():
        if MESSAGES.get(code, msgid) != msgid:
            raise ValueError(f"domain error {code!r} is registered with another text")
        MESSAGES[code] = msgid


class DomainError(ValueError):
    """A refusal of a domain function: ``code`` (stable), ``msgid`` (German, from
    :data:`MESSAGES`) and ``params``; ``str()`` is English, :meth:`text` any language.

    A subclass of ValueError, so callers that catch ValueError keep working; the
    feature's own subclasses (``ShiftError``, ``LineError`` …) only say where it came from.
    """

    def __init__(self, code: str, /, **params: object) -> None:
        if code not in MESSAGES:
            raise KeyError(f"no domain error {code!r} in hotline.core.errors.MESSAGES (registered)")
        self.code = code
        self.msgid = MESSAGES[code]
        self.params: dict[str, object] = params
        super().__init__(code)

    def text(self, language: str = "de") -> str:
        """The refusal in ``language`` (German where that catalogue lacks it)."""
        return text_in(language, self.msgid, **_values(self.params, language))

    def __str__(self) -> str:
        return self.text("en")

    def __reduce__(self) -> tuple[object, ...]:  # pickled by RQ with a failed job
        return (_rebuild, (type(self), self.code, self.params))


def _rebuild(cls: type[DomainError], code: str, params: dict[str, object]) -> DomainError:
    error = DomainError.__new__(cls)
    DomainError.__init__(error, code, **params)
    return error


def _values(params: Mapping[str, object], language: str) -> dict[str, object]:
    return {name: _value(value, language) for name, value in params.items()}


def _value(value: object, language: str) -> object:
    if isinstance(value, Word):
        return text_in(language, value)
    if isinstance(value, Words):
        return ", ".join(text_in(language, word) for word in value)
    return value


class FieldErrors(DomainError):
    """Several refusals of one form at once, by field name (``problems``).

    ``errors`` keeps the German texts by field (what the German pages showed before);
    pages show :func:`hotline.core.i18n.error_texts` in their own language.
    """

    def __init__(self, problems: Mapping[str, DomainError]) -> None:
        self.code = "fields"
        self.msgid = ""
        self.params = {}
        self.problems: dict[str, DomainError] = dict(problems)
        ValueError.__init__(self, "fields")

    @property
    def errors(self) -> dict[str, str]:
        return self.texts("de")

    def texts(self, language: str) -> dict[str, str]:
        return {name: problem.text(language) for name, problem in self.problems.items()}

    def text(self, language: str = "de") -> str:
        return "; ".join(f"{name}: {text}" for name, text in self.texts(language).items())

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.problems,))

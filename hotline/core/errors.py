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


#: Every refusal the product shows, by code: the German msgid with its placeholders.
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
    # -- the call log, voicemail, notes, the simulator (hotline.voice) --
    "filter_line": N_("Bitte wählen Sie eine Linie aus der Liste."),
    "filter_date": N_("Bitte geben Sie das Datum als TT.MM.JJJJ an."),
    "filter_dates_reversed": N_("Das Enddatum liegt vor dem Anfangsdatum."),
    "filter_outcome": N_("Bitte wählen Sie ein Ergebnis aus der Liste."),
    "export_too_long": N_("Bitte exportieren Sie höchstens ein Jahr auf einmal."),
    "callback_no_message": N_("Zu diesem Anruf gibt es keine Nachricht."),
    "note_category": N_("Diese Art von Notiz gibt es nicht."),
    "note_too_long": N_("Die Notiz hat {length} Zeichen; höchstens {limit} gehen."),
    "note_no_call": N_("Diesen Anruf gibt es nicht."),
    "simulator_time_unreadable": N_(
        "Zeitpunkt {value!r} nicht verstanden: bitte als JJJJ-MM-TT HH:MM angeben, "
        "z. B. 2026-03-12 09:30."
    ),
    # -- dispatch: helpers, sign-up, take codes --
    "helper_name_missing": N_("Bitte einen Namen angeben."),
    "email_invalid": N_("{email!r} ist keine E-Mail-Adresse."),
    "channels_missing": N_("Bitte SMS, E-Mail oder beides wählen."),
    "email_needed_for_channel": N_("Für Anfragen per E-Mail bitte eine E-Mail-Adresse angeben."),
    "landline_call_only": N_(
        "Das ist eine Festnetznummer, sie kann keine SMS empfangen. "
        "Bitte „Anruf“ wählen: dann rufen wir bei Anfragen an."
    ),
    "signup_needs_mobile": N_(
        "Die Anmeldung hier braucht eine Handynummer, weil der Code per SMS kommt. Ohne Handy "
        "trägt Sie die Koordination ein, auch mit „Anruf“ als Weg für Anfragen."
    ),
    "activities_unknown": N_("Tätigkeiten aus: {known}"),
    "activities_unknown_named": N_("Tätigkeiten aus: {known} (unbekannt: {unknown})"),
    "language_codes_expected": N_("Sprachen als Kürzel, z. B. de, en, tr."),
    "language_code_expected": N_("Sprache als Kürzel, z. B. de."),
    "consent_date_unreadable": N_("{value!r} ist kein Datum (JJJJ-MM-TT)."),
    "not_a_whole_number": N_("{value!r} ist keine ganze Zahl."),
    "number_out_of_range": N_("Bitte eine Zahl von {low} bis {high}."),
    "availability_unreadable": N_(
        "Die Zeiten {part!r} sind nicht lesbar (z. B. „mo-fr 09:00-17:00“)."
    ),
    "availability_reversed": N_("Zeiten {part!r}: Das Ende muss nach dem Beginn liegen."),
    "availability_weekday_unknown": N_(
        "Den Wochentag {name!r} gibt es nicht (mo, di, mi, do, fr, sa, so)."
    ),
    "time_of_day_invalid": N_("{value!r} ist keine Uhrzeit."),
    "phone_registered": N_("Diese Nummer ist schon eingetragen."),
    "phone_belongs_to_other": N_("Diese Nummer gehört schon jemand anderem."),
    "consent_missing": N_("Bitte stimmen Sie der Speicherung Ihrer Daten zu."),
    "signup_codes_too_many": N_(
        "An diese Nummer wurden gerade mehrere Codes geschickt. Bitte später erneut."
    ),
    "signup_closed": N_("Diese Anmeldung ist nicht mehr offen."),
    "signup_code_expired": N_("Der Code ist abgelaufen. Bitte melden Sie sich neu an."),
    "code_wrong": N_("Der Code stimmt nicht."),
    "take_code_expired": N_("Der Code ist abgelaufen. Bitte fordern Sie einen neuen an."),
    "take_too_many_attempts": N_("Zu viele Versuche. Bitte fordern Sie einen neuen Code an."),
    "take_not_possible": N_("Dieser Aufruf kann nicht mehr übernommen werden."),
    "take_filled": N_("Für diesen Aufruf haben sich schon genug Helfende gefunden. Danke!"),
    "take_closed": N_("Dieser Aufruf ist abgeschlossen. Danke!"),
    "postal_code_malformed": N_("{code!r} ist keine deutsche Postleitzahl (5 Ziffern)."),
    "postal_code_unknown": N_("Die Postleitzahl {code} steht nicht in unserer Tabelle."),
    # -- dispatch: CSV import of helpers --
    "import_name_missing": N_("Der Name fehlt."),
    "import_activity_missing": N_("Bitte mindestens eine Tätigkeit angeben."),
    "import_activity_unknown": N_("Unbekannte Tätigkeit: {value} (möglich: {choices})"),
    "import_one_language": N_("Bitte genau eine Sprache angeben."),
    "import_times_unreadable": N_("Zeiten nicht lesbar: {value} (z. B. „Mo-Fr 09:00-12:00“)"),
    "import_consent_missing": N_("Das Datum der Einwilligung fehlt."),
    "import_date_unreadable": N_("{value} ist kein Datum (TT.MM.JJJJ)."),
    "import_not_a_whole_number": N_("{value} ist keine ganze Zahl."),
    "import_number_out_of_range": N_("Bitte eine Zahl von {low} bis {high}."),
    "import_phone_same_as_row": N_("Dieselbe Nummer wie in Zeile {line}."),
    "import_phone_registered": N_("Die Nummer ist schon eingetragen."),
    "import_email_invalid": N_("{value} ist keine E-Mail-Adresse."),
    "import_postal_code_unknown": N_("{value} ist keine bekannte Postleitzahl."),
    "import_channels_unknown": N_("{value}: bitte SMS, E-Mail, beides oder Anruf angeben."),
    "import_email_missing": N_("Für E-Mail fehlt die E-Mail-Adresse."),
    # -- dispatch: call-outs, organisations, engagements, trainings --
    "ticket_when_unknown": N_("Den Zeitraum {when!r} gibt es nicht (heute, morgen, Woche)."),
    "ticket_activity_unknown": N_("Die Tätigkeit {activity!r} gibt es nicht."),
    "ticket_needed_out_of_range": N_("Bitte 1 bis 50 Helfende angeben."),
    "ticket_window_reversed": N_("Das Ende muss nach dem Beginn liegen."),
    "organisation_not_approved": N_("Ihre Organisation ist noch nicht freigegeben."),
    "ticket_organisation_not_approved": N_(
        "Nur freigegebene Organisationen können Aufrufe anlegen."
    ),
    "organisation_name_missing": N_("Bitte den Namen der Organisation angeben."),
    "engagement_title_missing": N_("Bitte einen Titel angeben."),
    "activity_unknown": N_("Diese Tätigkeit gibt es nicht."),
    "postal_code_not_known": N_("Diese Postleitzahl kennen wir nicht."),
    "engagement_hours_out_of_range": N_("Bitte 0,5 bis 40 Stunden pro Woche angeben."),
    "engagement_duration_out_of_range": N_("Bitte eine Dauer von 1 bis 60 Monaten angeben."),
    "engagement_radius_out_of_range": N_("Bitte einen Umkreis von 1 bis 50 km angeben."),
    "helper_hours_out_of_range": N_("Bitte 0 bis 80 Stunden pro Woche angeben."),
    "engagement_consent_missing": N_(
        "Ohne Ihre Einwilligung können wir der Organisation nichts zeigen."
    ),
    "engagement_closed": N_("Dieses Engagement wird nicht mehr angeboten."),
    "engagement_not_own": N_("Dieses Engagement gehört nicht Ihrer Organisation."),
    "training_name_missing": N_("Bitte den Namen der Schulung angeben."),
    "training_name_too_long": N_("Bitte höchstens {max} Zeichen."),
    "training_valid_until_before": N_("„Gültig bis“ liegt vor dem Datum der Schulung."),
    "search_radius_not_a_number": N_("Der Umkreis muss eine Zahl sein."),
    "search_radius_out_of_range": N_("Der Umkreis muss zwischen 1 und {max} km liegen."),
    "search_date_unreadable": N_("Das Datum bitte als JJJJ-MM-TT angeben."),
    "search_postal_code_unknown": N_(
        "Diese Postleitzahl kennen wir nicht (fünf Ziffern, z. B. 10115)."
    ),
    # -- dispatch: the helper's own settings page --
    "settings_availability_unreadable": N_(
        "Die Zeiten bitte wie im Beispiel angeben: mo-fr 09:00-17:00, sa 10:00-12:00."
    ),
    "settings_language_unknown": N_("Diese Sprache gibt es nicht."),
    "settings_email_invalid": N_("Das ist keine gültige E-Mail-Adresse."),
    "settings_email_missing": N_("Für Nachrichten per E-Mail brauchen wir Ihre E-Mail-Adresse."),
}


class DomainError(ValueError):
    """A refusal of a domain function: ``code`` (stable), ``msgid`` (German, from
    :data:`MESSAGES`) and ``params``; ``str()`` is English, :meth:`text` any language.

    A subclass of ValueError, so callers that catch ValueError keep working; the
    feature's own subclasses (``ShiftError``, ``LineError`` …) only say where it came from.
    """

    def __init__(self, code: str, /, **params: object) -> None:
        if code not in MESSAGES:
            raise KeyError(f"no domain error {code!r} in hotline.core.errors.MESSAGES")
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

"""Dispatch's refusals (helpers, sign-up, take codes, the helper import, call-outs,
organisations, engagements, trainings, the helper's own page), registered with the core's
domain errors when the package is imported."""

from __future__ import annotations

from hotline.core.errors import N_, register

#: Dispatch's refusals, by code: the German msgid with its placeholders.
REFUSALS: dict[str, str] = {
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

register(REFUSALS)

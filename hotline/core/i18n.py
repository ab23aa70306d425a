"""A small message catalogue for the roster pages: German source texts, English translations.

The language is the signed-in user's preference, else ``?lang=``/the session's choice, else
the browser's Accept-Language (German when nothing matches).
"""

from __future__ import annotations

import re

from flask import g, request, session

from hotline.core import phones

LANGUAGES = ("de", "en")

EN: dict[str, str] = {
    "Gesperrte Anrufer": "Blocked callers",
    "Sperre": "Block",
    "Seit": "Since",
    "Aufheben": "Lift",
    "Verlängern": "Extend",
    "Stunden": "Hours",
    "Keine aktiven Sperren.": "No active blocks.",
    "gesperrt": "blocked",
    "aufgehoben": "lifted",
    "verlängert": "extended",
    "Sperre aufgehoben.": "Block lifted.",
    "Sperre verlängert.": "Block extended.",
    "Diese Sperre gilt nicht mehr.": "This block is no longer in force.",
    "Bitte eine Stundenzahl angeben.": "Please give a number of hours.",
    "Dienstplan": "Roster",
    "Anmelden": "Sign in",
    "Abmelden": "Sign out",
    "Benutzername": "Username",
    "Passwort": "Password",
    "Zum Inhalt springen": "Skip to content",
    "Sprache": "Language",
    "Wechseln": "Switch",
    "Wochenansicht": "Week view",
    "Linie": "Line",
    "Linien": "Lines",
    "Woche ab": "Week from",
    "Vorige Woche": "Previous week",
    "Nächste Woche": "Next week",
    "Uhrzeit": "Time",
    "Lücke": "Gap",
    "Lücken": "Gaps",
    "Keine Lücken in dieser Woche.": "No gaps this week.",
    "besetzt": "staffed",
    "benötigt": "needed",
    "geschlossen": "closed",
    "Schichten": "Shifts",
    "Schicht": "Shift",
    "Neue Schicht": "New shift",
    "Schicht bearbeiten": "Edit shift",
    "Schicht löschen": "Delete shift",
    "Ehrenamtliche Person": "Operator",
    "Ehrenamtliche": "Operators",
    "Beginn": "Start",
    "Ende": "End",
    "Speichern": "Save",
    "Löschen": "Delete",
    "Bearbeiten": "Edit",
    "Wiederkehrende Schicht": "Recurring shift",
    "Neue wiederkehrende Schicht": "New recurring shift",
    "Wochentag": "Weekday",
    "Von": "From",
    "Bis": "Until",
    "Gültig ab": "Valid from",
    "Gültig bis": "Valid until",
    "Ausnahmen": "Exceptions",
    "Ausnahme hinzufügen": "Add exception",
    "Datum": "Date",
    "Muster löschen": "Delete pattern",
    "Vertretung": "Override",
    "Offene Schichten": "Open shifts",
    "Offene Schicht veröffentlichen": "Publish open shift",
    "Veröffentlichen": "Publish",
    "Übernehmen": "Take",
    "Hinweis": "Note",
    "Keine offenen Schichten.": "No open shifts.",
    "Tausch": "Swaps",
    "Schicht anbieten": "Offer shift",
    "Angebotene Schichten": "Offered shifts",
    "Tauschprotokoll": "Swap log",
    "Angeboten von": "Offered by",
    "Übernommen von": "Taken by",
    "Status": "Status",
    "Meine Schichten": "My shifts",
    "Keine Schichten geplant.": "No shifts planned.",
    "Kalender-Abo": "Calendar subscription",
    "Import und Export": "Import and export",
    "Importieren": "Import",
    "Art": "Kind",
    "CSV-Datei": "CSV file",
    "Export": "Export",
    "Zeile": "Row",
    "Fehler": "Error",
    "Nichts wurde importiert. Bitte korrigieren Sie diese Zeilen:": "Nothing was imported. Please fix these rows:",
    "Import abgeschlossen": "Import finished",
    "neu": "new",
    "aktualisiert": "updated",
    "Protokoll": "Audit log",
    "Wann": "When",
    "Wer": "Who",
    "Aktion": "Action",
    "Vorher": "Before",
    "Nachher": "After",
    "Name": "Name",
    "Telefonnummer (Handy)": "Phone number (mobile)",
    "Sprachen": "Languages",
    "aktiv": "active",
    "pausiert": "paused",
    "Neue ehrenamtliche Person": "New operator",
    "Bedarf": "Staffing",
    "Mindestbesetzung": "Minimum staffing",
    "Personen": "People",
    "Stunde von": "Hour from",
    "Stunde bis": "Hour until",
    "Benutzer": "Users",
    "Neuer Benutzer": "New user",
    "Rolle": "Role",
    "Gespeichert.": "Saved.",
    "Schicht gelöscht.": "Shift deleted.",
    "Die Schicht lief schon und wurde jetzt beendet.": "The shift had started and has been ended now.",
    "Die Schicht gehört jetzt Ihnen.": "The shift is yours now.",
    "Zu spät: Jemand anderes hat die Schicht schon übernommen.": "Too late: someone else has taken the shift.",
    "Diese Schicht gibt es nicht mehr.": "This shift no longer exists.",
    "Angeboten.": "Offered.",
    "Anmeldung fehlgeschlagen.": "Sign-in failed.",
    "Zu viele Fehlversuche. Bitte später erneut versuchen.": "Too many failed attempts. Please try again later.",
    "Keine Berechtigung.": "Not allowed.",
    "Bitte melden Sie sich an.": "Please sign in.",
    "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.": "The form has expired. Please reload the page.",
    "Montag": "Monday",
    "Dienstag": "Tuesday",
    "Mittwoch": "Wednesday",
    "Donnerstag": "Thursday",
    "Freitag": "Friday",
    "Samstag": "Saturday",
    "Sonntag": "Sunday",
    "Keine Linien vorhanden.": "No lines yet.",
    "Für diese Person abonnieren": "Subscribe for this person",
    "Für diese Linie abonnieren": "Subscribe for this line",
    "offen": "open",
    "übernommen": "taken",
    "zurückgezogen": "withdrawn",
    "Zurückziehen": "Withdraw",
    "Ungültige Eingabe": "Invalid input",
    "Wer ist dran": "Who is on",
    "Neue geheime Adresse": "New secret address",
    "Schicht anlegen": "Add shift",
    # Validation messages of the roster forms (hotline/rosters/forms.py).
    "Bitte ausfüllen.": "Please fill this in.",
    "Bitte einen Wert wählen.": "Please choose a value.",
    "Bitte einen der angebotenen Werte wählen.": "Please choose one of the values offered.",
    "Bitte eine ganze Zahl angeben.": "Please enter a whole number.",
    "Bitte eine Zahl von %(min)s bis %(max)s angeben.": "Please enter a number from %(min)s to %(max)s.",
    "Höchstens %(max)d Zeichen.": "At most %(max)d characters.",
    "Bitte Datum und Uhrzeit angeben, z. B. 2030-01-07T20:00.": "Please give a date and time, e.g. 2030-01-07T20:00.",
    "Bitte ein Datum angeben, z. B. 2030-01-07.": "Please give a date, e.g. 2030-01-07.",
    "Bitte eine Uhrzeit angeben, z. B. 20:00.": "Please give a time, e.g. 20:00.",
    "Bitte ein Datum von {first} bis {last} angeben.": "Please give a date from {first} to {last}.",
    "„{value}“ ist kein Datum.": "“{value}” is not a date.",
    "Höchstens {count} Daten.": "At most {count} dates.",
    "Bitte mindestens einen Wochentag wählen.": "Please choose at least one weekday.",
    "Unbekannte Sprachkürzel: %(value)s": "Unknown language codes: %(value)s",
    "Bitte eine CSV-Datei wählen.": "Please choose a CSV file.",
    "Die Datei darf höchstens {size} MB groß sein.": "The file may be at most {size} MB.",
}

WEEKDAYS_DE = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]


def current_language() -> str:
    if "lang" in g:
        return g.lang
    user = g.get("roster_user")
    lang = None
    if user is not None:
        lang = user.language
    lang = lang or session.get("lang")
    if lang not in LANGUAGES:
        lang = request.accept_languages.best_match(LANGUAGES, default="de")
    g.lang = lang
    return lang


def gettext(text: str, **values: object) -> str:
    translated = EN.get(text, text) if current_language() == "en" else text
    return translated.format(**values) if values else translated


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
]


def error_text(message: str) -> str:
    """A domain error message in the page's language."""
    if current_language() == "en":
        return message
    phone_text = phones.translate(message, "de")  # phone numbers keep their own texts
    if phone_text is not None:
        return phone_text
    for pattern, german in DE_ERRORS:
        match = re.fullmatch(pattern, message)
        if match:
            return german.format(*match.groups())
    return message

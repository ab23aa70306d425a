"""A small message catalogue for the roster pages: German source texts, English translations.

The language is the signed-in user's preference, else ``?lang=``/the session's choice, else
the browser's Accept-Language (German when nothing matches).
"""

from __future__ import annotations

from flask import g, request, session

LANGUAGES = ("de", "en")

EN: dict[str, str] = {
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

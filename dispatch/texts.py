"""Everything dispatch says to one person: SMS and e-mails to helpers and requesters, the
phone intake's spoken prompts, and the names of activities and days inside them.

Each text is its German wording, a msgid of the gettext catalogues in
``hotline/translations`` (shared with the console's pages) marked with ``N_``; :func:`sms`,
:func:`email`, :func:`voice` read it in a language through
:func:`~hotline.core.catalogues.text_in`. Which language a person gets is decided once, by
:func:`helper_language` and :func:`requester_language`: the first of their languages whose
catalogue translates every text here (:data:`DISPATCH_MSGIDS`), else German, so nobody gets
an SMS half in their language and half in German.

SMS keywords stay the words :mod:`dispatch.replies` reads: German texts name ``JA``,
``NEIN``, ``STOPP``; every other language names ``YES``, ``NO``, ``STOP``, and ``ABSAGE``
(the one withdrawal keyword).

SMS texts in German and English stay within the GSM-7 alphabet (umlauts and ß are in it,
dashes like "–" are not): one such character would switch a text to UCS-2 and more than
double its segments. Turkish, Arabic, Ukrainian and Russian texts are UCS-2 anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from hotline.core.catalogues import LANGUAGES, first_translated, text_in
from hotline.core.i18n import N_

if TYPE_CHECKING:
    from dispatch.models import Helper, HelperContact, Ticket


class Catalogued(Mapping[str, str]):
    """One text: its German msgid, and read by language code (``text["tr"]``) from the
    catalogues, in every language that has one (an untranslated language reads German).

    A mapping, so each table still reads as ``{key: {language: text}}`` for code that
    looks at a text's versions (the GSM-7 check of the SMS in German and English)."""

    def __init__(self, msgid: str) -> None:
        self.msgid = msgid

    def __getitem__(self, language: str) -> str:
        if language not in LANGUAGES:
            raise KeyError(language)
        return text_in(language, self.msgid)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)

    def __repr__(self) -> str:
        return f"Catalogued({self.msgid!r})"


ACTIVITY_NAMES: dict[str, Catalogued] = {
    "shopping": Catalogued(N_("Einkaufen")),
    "errands": Catalogued(N_("Besorgungen")),
    "phone_company": Catalogued(N_("Telefonpatenschaft")),
    "accompaniment": Catalogued(N_("Begleitung zu Terminen")),
    "translation": Catalogued(N_("Übersetzen")),
    "other": Catalogued(N_("Sonstige Hilfe")),
}

SMS: dict[str, Catalogued] = {
    "offer": Catalogued(
        N_(
            "Rufbereit: Hilfe gesucht - {activity} in {place} ({when}). Zusagen: {link} "
            "oder JA {code} antworten, absagen: NEIN {code}. Abmelden: STOPP"
        )
    ),
    "accepted": Catalogued(
        N_(
            "Danke für Ihre Zusage ({code})! Bitte melden Sie sich bei {name}, {phone}. "
            "{address}Falls etwas dazwischenkommt: ABSAGE {code}"
        )
    ),
    "filled": Catalogued(
        N_("Danke! Für diese Anfrage ({code}) haben sich schon genug Helfende gefunden.")
    ),
    "stand_down": Catalogued(
        N_("Die Anfrage {code} wird nicht mehr gebraucht - vielen Dank für Ihre Bereitschaft!")
    ),
    "declined": Catalogued(N_("Danke für Ihre Antwort, wir fragen jemand anderen ({code}).")),
    "withdrawn": Catalogued(
        N_("Ihre Zusage für {code} ist zurückgezogen. Danke, dass Sie Bescheid geben.")
    ),
    "already": Catalogued(N_("Ihre Antwort zu {code} liegt uns schon vor. Danke!")),
    "closed": Catalogued(N_("Die Anfrage {code} ist abgeschlossen. Danke!")),
    "which": Catalogued(
        N_("Sie haben mehrere offene Anfragen: {codes}. Bitte antworten Sie z. B. mit JA {first}.")
    ),
    "none_open": Catalogued(N_("Für Sie ist gerade keine Anfrage offen. Danke!")),
    "unknown_code": Catalogued(N_("Die Anfrage {code} kennen wir nicht. Offen für Sie: {codes}")),
    "help": Catalogued(
        N_(
            "Rufbereit: JA oder NEIN (mit Anfragenummer) antworten, ABSAGE zum "
            "Zurückziehen, PROFIL für den Link zu Ihrer Seite, STOPP zum Abmelden, "
            "START zum Wiederanmelden."
        )
    ),
    "opted_out": Catalogued(
        N_(
            "Sie sind abgemeldet und bekommen keine Anfragen mehr. Mit START melden Sie "
            "sich wieder an."
        )
    ),
    "opted_in": Catalogued(N_("Willkommen zurück! Sie bekommen wieder Anfragen. Abmelden: STOPP")),
    "requester_filled": Catalogued(
        N_(
            "Nachbarschaftshilfe: Für Ihre Anfrage {code} hat sich jemand gefunden und "
            "meldet sich bei Ihnen."
        )
    ),
    "coordinator_filled": Catalogued(
        N_("Rufbereit: Anfrage {code} ({activity}, {place}) ist besetzt ({count}/{needed}).")
    ),
    "coordinator_unfilled": Catalogued(
        N_(
            "Rufbereit: Anfrage {code} ({activity}, {place}) ist nach {waves} Wellen "
            "noch nicht besetzt ({count}/{needed}). Bitte kümmern Sie sich darum."
        )
    ),
    "coordinator_withdrawn": Catalogued(
        N_("Rufbereit: Eine Zusage für {code} wurde zurückgezogen; wir fragen weiter.")
    ),
    "signup_code": Catalogued(N_("Ihr Rufbereit-Bestätigungscode: {code}")),
    "signup_known": Catalogued(
        N_(
            "Rufbereit: Diese Nummer ist schon als Helferin oder Helfer angemeldet, Sie "
            "müssen nichts tun. Haben Sie sich nicht gerade angemeldet, ignorieren Sie "
            "diese SMS."
        )
    ),
    "profile_link": Catalogued(
        N_(
            "Rufbereit: Ihre persönliche Seite (Anfragen, Pause, Zeiten, Sprache, Ihre "
            "Daten): {link}"
        )
    ),
    "your_page": Catalogued(N_("Ihre Seite: {link}")),
    "signup_welcome": Catalogued(
        N_(
            "Willkommen bei Rufbereit! Ihre persönliche Seite (Pause, Zeiten, Sprache, "
            "Ihre Daten): {link} Abmelden: STOPP"
        )
    ),
    "thanks": Catalogued(
        N_(
            "Rufbereit: Danke für Ihre Hilfe ({activity}, {when})! Ihre Einsätze und "
            "eine Bescheinigung dafür finden Sie auf Ihrer Seite: {link}"
        )
    ),
    "take_code": Catalogued(N_("Ihr Rufbereit-Code für den Aufruf {ref}: {code}")),
}

#: E-mails to helpers: ``<key>_subject`` and ``<key>`` (the text). The accept link is the
#: same as in the SMS; e-mail replies are not read, so every answer goes through the link.
EMAIL: dict[str, Catalogued] = {
    "offer_subject": Catalogued(N_("Hilfe gesucht: {activity} in {place} ({when})")),
    "offer": Catalogued(
        N_(
            "Guten Tag {name},\n\nwir suchen Hilfe: {activity} in {place}, "
            "{when}.\n\nZusagen oder absagen können Sie hier:\n{link}\n\nPer SMS geht "
            "es auch: JA {code} oder NEIN {code} an unsere Nummer.\n\nVielen Dank!\nIhr "
            "Rufbereit-Team"
        )
    ),
    "stand_down_subject": Catalogued(N_("Anfrage {code} wird nicht mehr gebraucht")),
    "stand_down": Catalogued(
        N_(
            "Guten Tag {name},\n\nfür die Anfrage {code} haben sich genug Helfende "
            "gefunden, Sie werden dafür nicht mehr gebraucht.\n\nVielen Dank für Ihre "
            "Bereitschaft!\nIhr Rufbereit-Team"
        )
    ),
    "accepted_subject": Catalogued(N_("Danke für Ihre Zusage ({code})")),
    "accepted": Catalogued(
        N_(
            "Guten Tag {helper},\n\ndanke für Ihre Zusage zur Anfrage {code}!\n\nBitte "
            "melden Sie sich bei {name}, Telefon {phone}.\n{address}\n\nFalls etwas "
            "dazwischenkommt, sagen Sie bitte hier ab:\n{link}\n(oder per SMS: ABSAGE "
            "{code})\n\nIhr Rufbereit-Team"
        )
    ),
    "thanks_subject": Catalogued(N_("Danke für Ihre Hilfe ({code})")),
    "thanks": Catalogued(
        N_(
            "Guten Tag {name},\n\nvielen Dank für Ihre Hilfe: {activity}, {when}. "
            "Solche Hilfe macht den Alltag von Menschen in Ihrer Nachbarschaft "
            "leichter.\n\nAuf Ihrer Seite sehen Sie Ihre Einsätze und können eine "
            "Bescheinigung über Ihr Engagement herunterladen:\n{link}\n\nIhr "
            "Rufbereit-Team"
        )
    ),
}

WHEN: dict[str, Catalogued] = {
    "today": Catalogued(N_("heute")),
    "tomorrow": Catalogued(N_("morgen")),
    "week": Catalogued(N_("diese Woche")),
}

#: The phone intake's prompts, spoken to the caller in the language they chose.
VOICE: dict[str, Catalogued] = {
    "kind": Catalogued(
        N_(
            "Wobei brauchen Sie Hilfe? Für Einkaufen drücken Sie die 1, für Besorgungen "
            "die 2, für einen Telefonpaten die 3, für eine Begleitung zu einem Termin "
            "die 4, für Übersetzen die 5, für etwas anderes die 9."
        )
    ),
    "postcode": Catalogued(N_("Bitte geben Sie Ihre fünfstellige Postleitzahl ein.")),
    "postcode_unknown": Catalogued(N_("Diese Postleitzahl kenne ich leider nicht.")),
    "postcode_confirm": Catalogued(
        N_(
            "Sie haben eingegeben: {digits}, {place}. Wenn das stimmt, drücken Sie die "
            "1. Zum Ändern drücken Sie die 2."
        )
    ),
    "when": Catalogued(
        N_(
            "Wann brauchen Sie die Hilfe? Heute: drücken Sie die 1. Morgen: die 2. Im "
            "Laufe dieser Woche: die 3."
        )
    ),
    "callback_confirm": Catalogued(
        N_(
            "Wir melden uns unter der Nummer {digits}. Wenn das stimmt, drücken Sie die "
            "1. Für eine andere Nummer drücken Sie die 2."
        )
    ),
    "callback_enter": Catalogued(
        N_("Bitte geben Sie Ihre Rückrufnummer mit Vorwahl ein und drücken Sie dann die Raute.")
    ),
    "callback_invalid": Catalogued(N_("Diese Nummer ist leider nicht gültig.")),
    "message_offer": Catalogued(
        N_(
            "Möchten Sie uns noch eine kurze Nachricht hinterlassen? Dann drücken Sie "
            "die 1. Sonst drücken Sie die 2."
        )
    ),
    "message_record": Catalogued(
        N_("Bitte sprechen Sie nach dem Signalton. Zum Beenden drücken Sie die Raute.")
    ),
    "done": Catalogued(
        N_(
            "Vielen Dank. Ihre Anfrage ist aufgenommen. Ihre Nummer ist: {digits}. Ich "
            "wiederhole: {digits}. Wir melden uns bei Ihnen. Auf Wiederhören."
        )
    ),
    "invalid": Catalogued(N_("Das habe ich leider nicht verstanden.")),
    "notify_filled": Catalogued(
        N_(
            "Guten Tag, hier ist die Nachbarschaftshilfe. Für Ihre Anfrage {digits} hat "
            "sich jemand gefunden und meldet sich bei Ihnen. Auf Wiederhören."
        )
    ),
}


#: A day's window that starts at a time and runs to midnight: ``11.03. ab 10:00``.
FROM_TIME = N_("{date} ab {time}")

#: Every text dispatch sends; a language is used once its catalogue translates all of them.
DISPATCH_MSGIDS: tuple[str, ...] = (
    *(text.msgid for table in (ACTIVITY_NAMES, SMS, EMAIL, WHEN, VOICE) for text in table.values()),
    FROM_TIME,
)


def language_for(languages: Iterable[str | None]) -> str:
    """The first of ``languages`` whose catalogue has every dispatch text, else German."""
    return first_translated([code for code in languages if code], DISPATCH_MSGIDS)


def helper_language(helper: Helper | HelperContact) -> str:
    """The language a helper is texted, mailed and shown their pages in: the one they chose
    for messages (``preferred_language``), else one of the languages they speak, once its
    catalogue has every dispatch text; else German."""
    return language_for([helper.preferred_language, *helper.languages])


def requester_language(ticket: Ticket) -> str:
    """The language the person asking for help is texted or called in: the ticket's first
    language with every dispatch text (a phone intake records the language the caller
    chose in the flow's language menu as the ticket's language), else German."""
    return language_for(ticket.languages)


def sms(key: str, language: str, **values: object) -> str:
    """The SMS ``key`` in ``language`` (German where the catalogue lacks it)."""
    return text_in(language, SMS[key].msgid, **values)


def email(key: str, language: str, **values: object) -> tuple[str, str]:
    """``(subject, text)`` of the e-mail ``key`` in ``language`` (German as the fallback)."""
    subject = text_in(language, EMAIL[f"{key}_subject"].msgid, **values)
    return subject, text_in(language, EMAIL[key].msgid, **values)


def voice(key: str, language: str, **values: object) -> str:
    """The intake's prompt ``key`` spoken in ``language``."""
    return text_in(language, VOICE[key].msgid, **values)


def activity_name(code: str, language: str) -> str:
    """The activity as a sentence names it: German capitalises the noun ("Einkaufen"), the
    other languages write it lower-case inside a sentence ("help wanted - shopping"), while
    the catalogue holds it as a label ("Shopping", the forms' choice)."""
    name = text_in(language, ACTIVITY_NAMES[code].msgid)
    if language == "de" or not name:
        return name
    turkish = {"I": "ı", "İ": "i"} if language == "tr" else {}
    return turkish.get(name[0], name[0].lower()) + name[1:]


def when_name(code: str, language: str) -> str:
    return text_in(language, WHEN[code].msgid)


def from_time(date: str, time: str, language: str) -> str:
    """``11.03. ab 10:00`` in ``language``: a window open until the end of the day."""
    return text_in(language, FROM_TIME, date=date, time=time)


def digits_spoken(text: str) -> str:
    """``"4711"`` → ``"4, 7, 1, 1"``: text-to-speech reads each digit on its own."""
    return ", ".join(c for c in text if c.isdigit())

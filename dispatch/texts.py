"""Everything dispatch says, in German and English: SMS to helpers and requesters, and the
phone intake prompts. German is the fallback for any other language.

SMS texts stay within the GSM-7 alphabet (umlauts and ß are in it, dashes like "–" are not):
one such character would switch a text to UCS-2 and more than double its segments."""

from __future__ import annotations

ACTIVITY_NAMES: dict[str, dict[str, str]] = {
    "shopping": {"de": "Einkaufen", "en": "shopping"},
    "errands": {"de": "Besorgungen", "en": "errands"},
    "phone_company": {"de": "Telefonpatenschaft", "en": "phone companionship"},
    "accompaniment": {"de": "Begleitung zu Terminen", "en": "accompaniment to appointments"},
    "translation": {"de": "Übersetzen", "en": "translation"},
    "other": {"de": "Sonstige Hilfe", "en": "other help"},
}

SMS: dict[str, dict[str, str]] = {
    "offer": {
        "de": "Rufbereit: Hilfe gesucht - {activity} in {place} ({when}). Zusagen: {link} "
        "oder JA {code} antworten, absagen: NEIN {code}. Abmelden: STOPP",
        "en": "Rufbereit: help wanted - {activity} in {place} ({when}). Accept: {link} "
        "or reply YES {code}, decline: NO {code}. Unsubscribe: STOP",
    },
    "accepted": {
        "de": "Danke für Ihre Zusage ({code})! Bitte melden Sie sich bei {name}, {phone}. "
        "{address}Falls etwas dazwischenkommt: ABSAGE {code}",
        "en": "Thank you for accepting ({code})! Please get in touch with {name}, {phone}. "
        "{address}If you cannot make it after all: ABSAGE {code}",
    },
    "filled": {
        "de": "Danke! Für diese Anfrage ({code}) haben sich schon genug Helfende gefunden.",
        "en": "Thank you! Enough helpers have already said yes to this request ({code}).",
    },
    "stand_down": {
        "de": "Die Anfrage {code} wird nicht mehr gebraucht - vielen Dank für Ihre Bereitschaft!",
        "en": "Request {code} is no longer needed - thank you for being ready to help!",
    },
    "declined": {
        "de": "Danke für Ihre Antwort, wir fragen jemand anderen ({code}).",
        "en": "Thanks for letting us know, we will ask someone else ({code}).",
    },
    "withdrawn": {
        "de": "Ihre Zusage für {code} ist zurückgezogen. Danke, dass Sie Bescheid geben.",
        "en": "Your acceptance of {code} is withdrawn. Thank you for letting us know.",
    },
    "already": {
        "de": "Ihre Antwort zu {code} liegt uns schon vor. Danke!",
        "en": "We already have your answer to {code}. Thank you!",
    },
    "closed": {
        "de": "Die Anfrage {code} ist abgeschlossen. Danke!",
        "en": "Request {code} is closed. Thank you!",
    },
    "which": {
        "de": "Sie haben mehrere offene Anfragen: {codes}. Bitte antworten Sie z. B. mit JA {first}.",
        "en": "You have several open requests: {codes}. Please reply e.g. YES {first}.",
    },
    "none_open": {
        "de": "Für Sie ist gerade keine Anfrage offen. Danke!",
        "en": "There is no open request for you right now. Thank you!",
    },
    "unknown_code": {
        "de": "Die Anfrage {code} kennen wir nicht. Offen für Sie: {codes}",
        "en": "We do not know request {code}. Open for you: {codes}",
    },
    "help": {
        "de": "Rufbereit: JA oder NEIN (mit Anfragenummer) antworten, ABSAGE zum Zurückziehen, "
        "PROFIL für den Link zu Ihrer Seite, STOPP zum Abmelden, START zum Wiederanmelden.",
        "en": "Rufbereit: reply YES or NO (with the request number), ABSAGE to withdraw, "
        "PROFILE for the link to your page, STOP to unsubscribe, START to subscribe again.",
    },
    "opted_out": {
        "de": "Sie sind abgemeldet und bekommen keine Anfragen mehr. Mit START melden Sie sich "
        "wieder an.",
        "en": "You are unsubscribed and will get no more requests. Reply START to subscribe again.",
    },
    "opted_in": {
        "de": "Willkommen zurück! Sie bekommen wieder Anfragen. Abmelden: STOPP",
        "en": "Welcome back! You will get requests again. Unsubscribe: STOP",
    },
    "requester_filled": {
        "de": "Nachbarschaftshilfe: Für Ihre Anfrage {code} hat sich jemand gefunden und meldet "
        "sich bei Ihnen.",
        "en": "Neighbourhood help: someone has been found for your request {code} and will get "
        "in touch.",
    },
    "coordinator_filled": {
        "de": "Rufbereit: Anfrage {code} ({activity}, {place}) ist besetzt ({count}/{needed}).",
        "en": "Rufbereit: request {code} ({activity}, {place}) is filled ({count}/{needed}).",
    },
    "coordinator_unfilled": {
        "de": "Rufbereit: Anfrage {code} ({activity}, {place}) ist nach {waves} Wellen noch "
        "nicht besetzt ({count}/{needed}). Bitte kümmern Sie sich darum.",
        "en": "Rufbereit: request {code} ({activity}, {place}) is still not filled after "
        "{waves} waves ({count}/{needed}). Please follow it up.",
    },
    "coordinator_withdrawn": {
        "de": "Rufbereit: Eine Zusage für {code} wurde zurückgezogen; wir fragen weiter.",
        "en": "Rufbereit: an acceptance of {code} was withdrawn; asking further helpers.",
    },
    "signup_code": {
        "de": "Ihr Rufbereit-Bestätigungscode: {code}",
        "en": "Your Rufbereit confirmation code: {code}",
    },
    "signup_known": {
        "de": "Rufbereit: Diese Nummer ist schon als Helferin oder Helfer angemeldet, Sie müssen nichts tun. Haben Sie sich nicht gerade angemeldet, ignorieren Sie diese SMS.",
        "en": "Rufbereit: this number is already signed up as a helper; there is nothing to do. If you did not just sign up, please ignore this text.",
    },
    "profile_link": {
        "de": "Rufbereit: Ihre persönliche Seite (Anfragen, Pause, Zeiten, Sprache, Ihre Daten): "
        "{link}",
        "en": "Rufbereit: your personal page (requests, pause, times, language, your data): {link}",
    },
    "your_page": {
        "de": "Ihre Seite: {link}",
        "en": "Your page: {link}",
    },
    "signup_welcome": {
        "de": "Willkommen bei Rufbereit! Ihre persönliche Seite (Pause, Zeiten, Sprache, Ihre "
        "Daten): {link} Abmelden: STOPP",
        "en": "Welcome to Rufbereit! Your personal page (pause, times, language, your data): "
        "{link} Unsubscribe: STOP",
    },
    "thanks": {
        "de": "Rufbereit: Danke für Ihre Hilfe ({activity}, {when})! Ihre Einsätze und eine "
        "Bescheinigung dafür finden Sie auf Ihrer Seite: {link}",
        "en": "Rufbereit: thank you for your help ({activity}, {when})! Your helps and a "
        "certificate for them are on your page: {link}",
    },
    "take_code": {
        "de": "Ihr Rufbereit-Code für den Aufruf {ref}: {code}",
        "en": "Your Rufbereit code for call-out {ref}: {code}",
    },
}

#: E-mails to helpers: ``<key>_subject`` and ``<key>`` (the text). The accept link is the
#: same as in the SMS; e-mail replies are not read, so every answer goes through the link.
EMAIL: dict[str, dict[str, str]] = {
    "offer_subject": {
        "de": "Hilfe gesucht: {activity} in {place} ({when})",
        "en": "Help wanted: {activity} in {place} ({when})",
    },
    "offer": {
        "de": "Guten Tag {name},\n\nwir suchen Hilfe: {activity} in {place}, {when}.\n\n"
        "Zusagen oder absagen können Sie hier:\n{link}\n\n"
        "Per SMS geht es auch: JA {code} oder NEIN {code} an unsere Nummer.\n\n"
        "Vielen Dank!\nIhr Rufbereit-Team",
        "en": "Hello {name},\n\nwe are looking for help: {activity} in {place}, {when}.\n\n"
        "You can accept or decline here:\n{link}\n\n"
        "By text it works too: YES {code} or NO {code} to our number.\n\n"
        "Thank you!\nYour Rufbereit team",
    },
    "stand_down_subject": {
        "de": "Anfrage {code} wird nicht mehr gebraucht",
        "en": "Request {code} is no longer needed",
    },
    "stand_down": {
        "de": "Guten Tag {name},\n\nfür die Anfrage {code} haben sich genug Helfende gefunden, "
        "Sie werden dafür nicht mehr gebraucht.\n\nVielen Dank für Ihre Bereitschaft!\n"
        "Ihr Rufbereit-Team",
        "en": "Hello {name},\n\nenough helpers have been found for request {code}, so you are "
        "no longer needed for it.\n\nThank you for being ready to help!\nYour Rufbereit team",
    },
    "accepted_subject": {
        "de": "Danke für Ihre Zusage ({code})",
        "en": "Thank you for accepting ({code})",
    },
    "accepted": {
        "de": "Guten Tag {helper},\n\ndanke für Ihre Zusage zur Anfrage {code}!\n\n"
        "Bitte melden Sie sich bei {name}, Telefon {phone}.\n{address}\n\n"
        "Falls etwas dazwischenkommt, sagen Sie bitte hier ab:\n{link}\n"
        "(oder per SMS: ABSAGE {code})\n\nIhr Rufbereit-Team",
        "en": "Hello {helper},\n\nthank you for accepting request {code}!\n\n"
        "Please get in touch with {name}, phone {phone}.\n{address}\n\n"
        "If you cannot make it after all, please cancel here:\n{link}\n"
        "(or by text: ABSAGE {code})\n\nYour Rufbereit team",
    },
    "thanks_subject": {
        "de": "Danke für Ihre Hilfe ({code})",
        "en": "Thank you for your help ({code})",
    },
    "thanks": {
        "de": "Guten Tag {name},\n\nvielen Dank für Ihre Hilfe: {activity}, {when}. "
        "Solche Hilfe macht den Alltag von Menschen in Ihrer Nachbarschaft leichter.\n\n"
        "Auf Ihrer Seite sehen Sie Ihre Einsätze und können eine Bescheinigung über Ihr "
        "Engagement herunterladen:\n{link}\n\nIhr Rufbereit-Team",
        "en": "Hello {name},\n\nthank you very much for your help: {activity}, {when}. "
        "Help like this makes everyday life easier for people in your neighbourhood.\n\n"
        "On your page you see your helps and can download a certificate of your "
        "engagement:\n{link}\n\nYour Rufbereit team",
    },
}

WHEN: dict[str, dict[str, str]] = {
    "today": {"de": "heute", "en": "today"},
    "tomorrow": {"de": "morgen", "en": "tomorrow"},
    "week": {"de": "diese Woche", "en": "this week"},
}

VOICE: dict[str, dict[str, str]] = {
    "kind": {
        "de": "Wobei brauchen Sie Hilfe? Für Einkaufen drücken Sie die 1, für Besorgungen die 2, "
        "für einen Telefonpaten die 3, für eine Begleitung zu einem Termin die 4, "
        "für Übersetzen die 5, für etwas anderes die 9.",
        "en": "What do you need help with? For shopping press 1, for errands 2, for a phone "
        "friend 3, for someone to accompany you to an appointment 4, for translation 5, "
        "for anything else 9.",
    },
    "postcode": {
        "de": "Bitte geben Sie Ihre fünfstellige Postleitzahl ein.",
        "en": "Please enter your five-digit postal code.",
    },
    "postcode_unknown": {
        "de": "Diese Postleitzahl kenne ich leider nicht.",
        "en": "Sorry, I do not know that postal code.",
    },
    "postcode_confirm": {
        "de": "Sie haben eingegeben: {digits}, {place}. Wenn das stimmt, drücken Sie die 1. "
        "Zum Ändern drücken Sie die 2.",
        "en": "You entered: {digits}, {place}. If that is right, press 1. To change it, press 2.",
    },
    "when": {
        "de": "Wann brauchen Sie die Hilfe? Heute: drücken Sie die 1. Morgen: die 2. "
        "Im Laufe dieser Woche: die 3.",
        "en": "When do you need the help? Today: press 1. Tomorrow: press 2. "
        "Some time this week: press 3.",
    },
    "callback_confirm": {
        "de": "Wir melden uns unter der Nummer {digits}. Wenn das stimmt, drücken Sie die 1. "
        "Für eine andere Nummer drücken Sie die 2.",
        "en": "We will call you back on {digits}. If that is right, press 1. "
        "For another number, press 2.",
    },
    "callback_enter": {
        "de": "Bitte geben Sie Ihre Rückrufnummer mit Vorwahl ein und drücken Sie dann die Raute.",
        "en": "Please enter your call-back number with the area code, then press the hash key.",
    },
    "callback_invalid": {
        "de": "Diese Nummer ist leider nicht gültig.",
        "en": "Sorry, that number is not valid.",
    },
    "message_offer": {
        "de": "Möchten Sie uns noch eine kurze Nachricht hinterlassen? Dann drücken Sie die 1. "
        "Sonst drücken Sie die 2.",
        "en": "Would you like to leave us a short message? Then press 1. Otherwise press 2.",
    },
    "message_record": {
        "de": "Bitte sprechen Sie nach dem Signalton. Zum Beenden drücken Sie die Raute.",
        "en": "Please speak after the tone. Press the hash key when you are done.",
    },
    "done": {
        "de": "Vielen Dank. Ihre Anfrage ist aufgenommen. Ihre Nummer ist: {digits}. "
        "Ich wiederhole: {digits}. Wir melden uns bei Ihnen. Auf Wiederhören.",
        "en": "Thank you. Your request has been taken. Your reference is: {digits}. "
        "Again: {digits}. We will get in touch. Goodbye.",
    },
    "invalid": {
        "de": "Das habe ich leider nicht verstanden.",
        "en": "Sorry, I did not understand that.",
    },
    "notify_filled": {
        "de": "Guten Tag, hier ist die Nachbarschaftshilfe. Für Ihre Anfrage {digits} hat sich "
        "jemand gefunden und meldet sich bei Ihnen. Auf Wiederhören.",
        "en": "Hello, this is the neighbourhood help line. Someone has been found for your "
        "request {digits} and will get in touch. Goodbye.",
    },
}


def _pick(table: dict[str, dict[str, str]], key: str, language: str) -> str:
    entry = table[key]
    return entry.get(language) or entry["de"]


def sms(key: str, language: str, **values: object) -> str:
    return _pick(SMS, key, language).format(**values)


def email(key: str, language: str, **values: object) -> tuple[str, str]:
    """``(subject, text)`` of the e-mail ``key`` in ``language`` (German as the fallback)."""
    subject = _pick(EMAIL, f"{key}_subject", language).format(**values)
    return subject, _pick(EMAIL, key, language).format(**values)


def voice(key: str, language: str, **values: object) -> str:
    return _pick(VOICE, key, language).format(**values)


def activity_name(code: str, language: str) -> str:
    return _pick(ACTIVITY_NAMES, code, language)


def when_name(code: str, language: str) -> str:
    return _pick(WHEN, code, language)


def digits_spoken(text: str) -> str:
    """``"4711"`` → ``"4, 7, 1, 1"``: text-to-speech reads each digit on its own."""
    return ", ".join(c for c in text if c.isdigit())

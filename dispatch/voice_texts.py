"""What the offer call says to a helper (:mod:`dispatch.voice_offers`), in the helper's language.

Each text is its German wording, the msgid of the gettext catalogues, read with
:func:`hotline.core.catalogues.text_in`. The language of a call (:func:`call_language`) is
the first of the helper's languages (the preferred one first) whose catalogue translates
every text here, else German; the voice is that language's from
:data:`ivr_flows.messages.DEFAULT_VOICES`, so a text and the voice speaking it are always one
language.

Everything is said for the ear: the reference and the phone number digit by digit, the
time as "am 12.03. von 10:00 bis 13:00 Uhr" rather than the texts' "12.03. 10:00-13:00".
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import phonenumbers

from dispatch.matching import dispatch_zone
from dispatch.models import Helper, Ticket
from hotline.core.i18n import N_, first_translated, text_in
from ivr_flows.messages import DEFAULT_VOICES

TEXTS: dict[str, str] = {
    "greeting": N_(
        "Guten Tag {name}, hier ist Rufbereit, die Nachbarschaftshilfe, mit einer Anfrage."
    ),
    "request": N_(
        "Gesucht wird Hilfe: {activity}, in {place}, {when}. Die Anfragenummer ist {code}."
    ),
    "options": N_(
        "Wenn Sie helfen können, drücken Sie die 1. Wenn nicht, drücken Sie die 2. "
        "Um die Anfrage noch einmal zu hören, drücken Sie die 3."
    ),
    "invalid": N_("Diese Taste kenne ich leider nicht."),
    "accepted": N_(
        "Vielen Dank für Ihre Zusage! Bitte melden Sie sich bei {name}, Telefon {phone}. "
        "Die Adresse ist: {address}. Die Anfragenummer ist {code}."
    ),
    "repeat": N_("Ich wiederhole."),
    "goodbye": N_("Auf Wiederhören."),
    "filled": N_(
        "Vielen Dank! Für diese Anfrage haben sich schon genug Helfende gefunden. "
        "Sie werden diesmal nicht gebraucht."
    ),
    "closed": N_("Diese Anfrage ist nicht mehr offen. Vielen Dank!"),
    "declined": N_("Danke für Ihre Antwort, wir fragen jemand anderen."),
    "no_input": N_("Wir haben keine Taste gehört. Vielen Dank und auf Wiederhören."),
    "options_stop": N_("Wenn wir Sie nicht mehr anrufen sollen, drücken Sie die 9."),
    "stopped": N_(
        "Wir rufen Sie nicht mehr an. Wenn Sie wieder helfen möchten, meldet die Koordination "
        "Sie gern wieder an. Vielen Dank für Ihre Hilfe und auf Wiederhören."
    ),
}

#: The activities as the call names them (the ticket's :class:`~dispatch.models.Activity`).
ACTIVITIES: dict[str, str] = {
    "shopping": N_("Einkaufen"),
    "errands": N_("Besorgungen"),
    "phone_company": N_("Telefonpatenschaft"),
    "accompaniment": N_("Begleitung zu Terminen"),
    "translation": N_("Übersetzen"),
    "other": N_("Sonstige Hilfe"),
}

#: When the help is needed, spoken.
WHEN: dict[str, str] = {
    "hours": N_("am {date} von {start} bis {end} Uhr"),
    "from": N_("am {date} ab {start} Uhr"),
    "day": N_("am {date}, den ganzen Tag"),
    "days": N_("vom {first} bis zum {last}"),
}

#: Every msgid a call may say: a language is used once its catalogue has all of them.
VOICE_MSGIDS: tuple[str, ...] = (*TEXTS.values(), *ACTIVITIES.values(), *WHEN.values())


def call_language(helper: Helper) -> str:
    """The language the helper is called in: the first of theirs translated completely."""
    return first_translated([helper.preferred_language, *helper.languages], VOICE_MSGIDS)


def voice_of(language: str) -> tuple[str, str]:
    """``(locale, voice)`` the call's ``<Say>`` uses for ``language``."""
    return DEFAULT_VOICES.get(language, DEFAULT_VOICES["de"])


def spoken(language: str, key: str, **values: object) -> str:
    return text_in(language, TEXTS[key], **values)


def digits(text: str) -> str:
    """``"4711"`` → ``"4, 7, 1, 1"``: text-to-speech reads each digit on its own."""
    return ", ".join(c for c in text if c.isdigit())


def phone_digits(number: str) -> str:
    """A number as a person dials it at home (``0152 …``), digit by digit."""
    try:
        national = phonenumbers.format_number(
            phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.NATIONAL
        )
    except phonenumbers.NumberParseException:
        national = number
    return digits(national)


def when_spoken(ticket: Ticket, language: str) -> str:
    tz = ZoneInfo(dispatch_zone())
    start, end = ticket.window_start.astimezone(tz), ticket.window_end.astimezone(tz)
    last = end - dt.timedelta(seconds=1)
    date, first_day, last_day = (
        start.strftime("%d.%m."),
        start.strftime("%d.%m."),
        last.strftime("%d.%m."),
    )
    begins, ends = start.strftime("%H:%M"), end.strftime("%H:%M")
    if start.date() != last.date():
        return text_in(language, WHEN["days"], first=first_day, last=last_day)
    if (start.hour, start.minute) == (0, 0) and (end.hour, end.minute) == (0, 0):
        return text_in(language, WHEN["day"], date=date)
    if (end.hour, end.minute) == (0, 0):
        return text_in(language, WHEN["from"], date=date, start=begins)
    return text_in(language, WHEN["hours"], date=date, start=begins, end=ends)


def request_text(ticket: Ticket, language: str) -> str:
    """The request: activity, place, when, reference."""
    place = ", ".join(p for p in (ticket.place, digits(ticket.postal_code)) if p)
    return spoken(
        language,
        "request",
        activity=text_in(language, ACTIVITIES[ticket.activity.value]),
        place=place,
        when=when_spoken(ticket, language),
        code=digits(ticket.reference),
    )


def details_text(ticket: Ticket, language: str) -> str:
    """What an accepting helper needs: whom to call, where, the reference."""
    address = ticket.address or ", ".join(
        p for p in (ticket.place, digits(ticket.postal_code)) if p
    )
    return spoken(
        language,
        "accepted",
        name=ticket.requester_first_name or "-",
        phone=phone_digits(ticket.requester_phone) if ticket.requester_phone else "-",
        address=address,
        code=digits(ticket.reference),
    )

"""The intake domain: what a caller has answered so far (an :class:`IntakeDraft` per call),
each answer checked and recorded, and the ticket made from a complete draft.

Functions take a session or the call's draft and plain values (keypad digits, the speech
result, a region); they know nothing of Flask requests or TwiML, so the webhooks decide
what the caller hears and commit once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.models import Activity, IntakeDraft, Ticket, TicketSource
from dispatch.postcodes import Place, lookup
from dispatch.tickets import TicketRequest, create_ticket, window_for
from hotline.core import clock
from hotline.core.phones import InvalidPhoneNumber, to_dialable_e164

KEYPAD_ACTIVITIES = {
    "1": Activity.SHOPPING,
    "2": Activity.ERRANDS,
    "3": Activity.PHONE_COMPANY,
    "4": Activity.ACCOMPANIMENT,
    "5": Activity.TRANSLATION,
    "9": Activity.OTHER,
}
KEYPAD_WHEN = {"1": "today", "2": "tomorrow", "3": "week"}
#: Spoken answers, most specific first ("übermorgen" is not "morgen").
SPOKEN_WHEN = {
    "de": [("diese woche", "week"), ("woche", "week"), ("heute", "today"), ("morgen", "tomorrow")],
    "en": [("this week", "week"), ("week", "week"), ("today", "today"), ("tomorrow", "tomorrow")],
    "tr": [("bu hafta", "week"), ("hafta", "week"), ("bugün", "today"), ("yarın", "tomorrow")],
    "ar": [
        ("هذا الأسبوع", "week"),
        ("الأسبوع", "week"),
        ("اليوم", "today"),
        ("غدا", "tomorrow"),
        ("غدًا", "tomorrow"),
    ],
    "uk": [
        ("цього тижня", "week"),
        ("тижн", "week"),
        ("сьогодні", "today"),
        ("завтра", "tomorrow"),
    ],
    "ru": [
        ("этой неделе", "week"),
        ("недел", "week"),
        ("сегодня", "today"),
        ("завтра", "tomorrow"),
    ],
}
#: Wrong or missing answers to one question before the call is handed to a person.
MAX_ATTEMPTS = 3


def callback_from_caller_id(caller: str | None, region: str) -> str | None:
    """The caller ID in E.164, or None when it is withheld ("anonymous", "+266696687") or
    otherwise no number to call back (premium-rate, foreign …)."""
    try:
        return to_dialable_e164(caller or "", region)
    except InvalidPhoneNumber:
        return None


def start_draft(
    session: Session,
    call_sid: str,
    line_number: str,
    caller: str | None,
    language: str,
    on_failure: str | None,
) -> IntakeDraft:
    """The intake record of this call, created on first use and reused on retries."""
    draft = draft_by_sid(session, call_sid)
    if draft is not None:
        return draft
    draft = IntakeDraft(
        call_sid=call_sid,
        line_number=line_number,
        caller_number=caller,
        language=language,
        on_failure=on_failure,
    )
    try:
        with session.begin_nested():
            session.add(draft)
    except IntegrityError:
        return draft_by_sid(session, call_sid)  # type: ignore[return-value]
    return draft


def draft_by_sid(session: Session, call_sid: str) -> IntakeDraft | None:
    return session.scalars(select(IntakeDraft).where(IntakeDraft.call_sid == call_sid)).first()


def record_activity(draft: IntakeDraft, digits: str) -> Activity | None:
    """The kind of help for the key pressed, recorded; None for a key that means nothing."""
    activity = KEYPAD_ACTIVITIES.get(digits)
    if activity is not None:
        draft.activity = activity.value
    return activity


def record_postcode(draft: IntakeDraft, digits: str) -> Place:
    """The place of the keyed-in postal code, recorded until the caller confirms it; raises
    :class:`~dispatch.postcodes.UnknownPostalCode` for anything not in the table."""
    place = lookup(digits)
    draft.postal_code = place.postal_code
    return place


def draft_place(draft: IntakeDraft) -> Place | None:
    """The place of the recorded postal code (to read it back again), if there is one."""
    return lookup(draft.postal_code) if draft.postal_code else None


def reject_postcode(draft: IntakeDraft) -> None:
    """The caller said the code read back is wrong: forget it, it is asked again."""
    draft.postal_code = None


def spoken_when(language: str, speech: str) -> str | None:
    said = speech.lower()
    for word, choice in SPOKEN_WHEN.get(language, SPOKEN_WHEN["de"]):
        if word in said:
            return choice
    return None


def record_when(draft: IntakeDraft, digits: str, speech: str = "") -> str | None:
    """ "today", "tomorrow" or "week", by key or by what the caller said; None if neither."""
    choice = KEYPAD_WHEN.get(digits) or spoken_when(draft.language, speech)
    if choice is not None:
        draft.when = choice
    return choice


def use_caller_id(draft: IntakeDraft) -> bool:
    """Call back on the number the caller rang from; False if it was withheld."""
    if not draft.caller_number:
        return False
    draft.callback = draft.caller_number
    return True


def record_callback(draft: IntakeDraft, digits: str, region: str) -> str:
    """The keyed-in callback number in E.164, recorded; raises :class:`InvalidPhoneNumber`."""
    draft.callback = to_dialable_e164(digits, region)
    return draft.callback


def is_complete(draft: IntakeDraft) -> bool:
    """Everything a ticket needs has been answered (the message is optional)."""
    return bool(draft.activity and draft.postal_code and draft.when and draft.callback)


def finish_draft(
    session: Session,
    draft: IntakeDraft,
    *,
    max_waves: int,
    zone: str,
    recording_url: str | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Create the ticket (once per call) from everything the caller entered.

    A retried ``finish`` webhook returns the ticket already made, and a recording that
    arrives after the ticket exists does not replace the one it was made with.
    """
    if recording_url and draft.ticket_id is None:
        draft.recording_url = recording_url
    if draft.ticket_id is not None:
        ticket = session.get(Ticket, draft.ticket_id)
        if ticket is not None:
            return ticket
    start, end = window_for(draft.when or "week", now or clock.now(), zone)
    description = "Telefonische Anfrage"
    if draft.recording_url:
        description += f" (Sprachnachricht: {draft.recording_url})"
    ticket = create_ticket(
        session,
        TicketRequest(
            activity=draft.activity or Activity.OTHER.value,
            postal_code=draft.postal_code or "",
            window_start=start,
            window_end=end,
            needed=1,
            description=description,
            languages=(draft.language,),
            requester_phone=draft.callback,
            recording_url=draft.recording_url,
            call_sid=draft.call_sid,
        ),
        TicketSource.PHONE,
        max_waves=max_waves,
    )
    draft.ticket_id = ticket.id
    return ticket

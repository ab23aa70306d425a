"""Operators' walk-home keywords, texted to a line's number (beside the rosters' ``AN``/
``AUS``/``SPERREN`` on the same number, shared by keyword):

- ``RÜCKRUF`` (also ``RUECKRUF``, ``RUCKRUF``) / ``CALLBACK``: call your last caller back
  through the line (:mod:`hotline.voice.callback`);
- ``ANGEKOMMEN`` / ``ARRIVED``: the person of your current or last accompanied call has
  arrived (:mod:`hotline.voice.accompaniment`);
- ``NOTIZ <Kategorie> <Text>`` / ``NOTE <category> <text>``: a note on your last call
  (:mod:`hotline.voice.notes`).

Replies are in the keyword's language. Any other word is left to the other routes of the
number (an operator gets the rosters' help, which comes first; the walk-home keywords are
named in every text after a call). Senders who are not operators are left to them too.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.models import utcnow
from hotline.core.oncall.models import Line, Operator
from hotline.core.phones import InvalidPhoneNumber, mask, to_e164
from hotline.core.sms import InboundSms
from hotline.voice import accompaniment, callback
from hotline.voice.models import Call
from hotline.voice.notes import MAX_TEXT, NoteError, add_note, category_from_word
from hotline.voice.walkhome_texts import category_words, text

log = logging.getLogger(__name__)

KEYWORDS = {
    "RÜCKRUF": ("callback", "de"),
    "RUECKRUF": ("callback", "de"),
    "RUCKRUF": ("callback", "de"),
    "CALLBACK": ("callback", "en"),
    "ANGEKOMMEN": ("arrived", "de"),
    "ARRIVED": ("arrived", "en"),
    "NOTIZ": ("note", "de"),
    "NOTE": ("note", "en"),
}


def understands(keyword: str) -> bool:
    return keyword in KEYWORDS


def line_for(session: Session, to: str) -> Line | None:
    try:
        number = to_e164(to, current_app.config["DEFAULT_REGION"])
    except InvalidPhoneNumber:
        return None
    return session.scalar(select(Line).where(Line.number == number))


def is_line_number(session: Session, to: str) -> bool:
    return line_for(session, to) is not None


def handle_sms(session: Session, sms: InboundSms) -> str | None:
    if sms.keyword not in KEYWORDS:
        return None
    operator = session.scalar(select(Operator).where(Operator.phone_number == sms.sender))
    if operator is None:
        return None
    command, lang = KEYWORDS[sms.keyword]
    line = line_for(session, sms.to)
    if line is None:
        return text(lang, "help")
    if command == "callback":
        result = callback.request_callback(session, line, operator, utcnow(), via="sms")
        if result.refused is not None:
            return refusal_text(lang, result.refused)
        log.info("operator %s asked for a call-back by SMS", mask(operator.phone_number))
        return text(lang, "callback_queued")
    if command == "arrived":
        return _arrived(session, operator, line, lang)
    return _note(session, operator, line, sms, lang)


def refusal_text(lang: str, refusal: callback.Refusal) -> str:
    minutes = current_app.config["CALLBACK_WINDOW_MINUTES"]
    return text(lang, refusal.value, minutes=minutes)


def arrived_reply(lang: str, outcome: str) -> str:
    return text(
        lang,
        {
            "arrived": "arrived",
            "already": "arrived_already",
            "kept": "arrived_kept",
            "none": "no_accompaniment",
        }[outcome],
    )


def _arrived(session: Session, operator: Operator, line: Line, lang: str) -> str:
    acc = accompaniment.latest_for_operator(session, operator.id, line.id)
    if acc is None:
        return text(lang, "no_accompaniment")
    return arrived_reply(lang, accompaniment.mark_arrived(session, acc.call_id, utcnow()))


def _note(session: Session, operator: Operator, line: Line, sms: InboundSms, lang: str) -> str:
    words = sms.words
    category = category_from_word(words[1]) if len(words) > 1 else None
    if category is None:
        return text(lang, "note_usage")
    call_id = session.scalar(
        select(Call.id)
        .where(Call.answered_by_id == operator.id, Call.line_id == line.id)
        .order_by(Call.answered_at.desc(), Call.id.desc())
        .limit(1)
    )
    if call_id is None:
        return text(lang, "note_no_call")
    body = sms.body.strip().split(None, 2)
    note_text = body[2] if len(body) > 2 else ""
    try:
        add_note(session, call_id, operator.id, category, note_text, utcnow(), via="sms")
    except NoteError as exc:
        if exc.reason == "too_long":
            return text(lang, "note_too_long", length=exc.length, limit=MAX_TEXT)
        return text(lang, "note_usage")
    return text(lang, "note_saved", category=category_words(lang)[category])

"""Call notes: after a call the operator records a category (a fixed list) and a short text,
on the phone page or by replying ``NOTIZ <Kategorie> <Text>`` / ``NOTE <category> <text>``
to the text they get after the call. Coordinators read them (``/anrufe/notizen``).

Notes follow the call record's retention: the text (which may say something about the
caller) is emptied when the caller's number is, ``CALLER_NUMBER_RETENTION_DAYS`` after the
call; the category stays, like the call itself, as an anonymous count. Export and erasure
by the caller's number cover them (registered before the call records' own, which forget
the number).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.core.errors import DomainError
from hotline.core.registry import Registry
from hotline.core.retention import PersonalData, RetentionRule, days
from hotline.voice.models import Call, CallNote, NoteCategory
from hotline.voice.walkhome_texts import CATEGORY_WORDS

log = logging.getLogger(__name__)

MAX_TEXT = 500


class NoteError(DomainError):
    """A note that cannot be stored; ``reason``: ``category``, ``too_long`` or ``no_call``
    (the code is ``note_`` + reason; the SMS and the walk-home page answer with their own
    texts by reason)."""

    def __init__(self, reason: str, length: int = 0) -> None:
        super().__init__(f"note_{reason}", length=length, limit=MAX_TEXT)
        self.reason = reason
        self.length = length

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.reason, self.length))


def category_from_word(word: str) -> NoteCategory | None:
    """The category a word names, in German or English (``GESPRÄCH``, ``gespraech``,
    ``talk`` …), or None."""
    said = word.strip().upper().replace("Ä", "AE").replace("Ö", "OE").replace("Ü", "UE")
    for words in CATEGORY_WORDS.values():
        for category, name in words.items():
            if said == name:
                return category
    try:
        return NoteCategory(said.lower())
    except ValueError:
        return None


def add_note(
    session: Session,
    call_id: int,
    operator_id: int | None,
    category: NoteCategory | str,
    text: str,
    now: dt.datetime,
    via: str,
) -> CallNote:
    """Store a note on ``call_id``; a text longer than :data:`MAX_TEXT` is refused, not
    cut (so nothing is lost without the operator knowing)."""
    try:
        category = NoteCategory(category)
    except ValueError:
        raise NoteError("category") from None
    text = " ".join(text.split())
    if len(text) > MAX_TEXT:
        raise NoteError("too_long", len(text))
    if session.get(Call, call_id) is None:
        raise NoteError("no_call")
    note = CallNote(
        call_id=call_id,
        operator_id=operator_id,
        category=category,
        text=text,
        via=via,
        created_at=now,
    )
    session.add(note)
    session.flush()
    log.info("note %s on call %s (%s)", note.id, call_id, category.value)
    return note


def recent_notes(
    session: Session, line_ids: list[int] | None = None, limit: int = 200
) -> list[CallNote]:
    """The newest notes first, for coordinators."""
    stmt = select(CallNote).join(Call, Call.id == CallNote.call_id)
    if line_ids is not None:
        stmt = stmt.where(Call.line_id.in_(line_ids))
    return list(session.scalars(stmt.order_by(CallNote.created_at.desc()).limit(limit)))


def purge_note_texts(session: Session, now: dt.datetime) -> str:
    cutoff = now - days("CALLER_NUMBER_RETENTION_DAYS")
    calls = select(Call.id).where(Call.started_at < cutoff)
    emptied = session.execute(
        update(CallNote)
        .where(CallNote.text != "", CallNote.call_id.in_(calls))
        .values(text="")
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"emptied {emptied} call note(s)"


def _of_number(session: Session, phone: str) -> list[CallNote]:
    return list(
        session.scalars(
            select(CallNote)
            .join(Call, Call.id == CallNote.call_id)
            .where(Call.caller_number == phone)
            .order_by(CallNote.id)
        )
    )


def export_notes(session: Session, phone: str) -> list[dict[str, object]]:
    return [
        {
            "call": note.call_id,
            "category": note.category.value,
            "text": note.text,
            "created_at": note.created_at.isoformat(),
        }
        for note in _of_number(session, phone)
    ]


def erase_notes(session: Session, phone: str) -> int:
    notes = _of_number(session, phone)
    for note in notes:
        note.text = ""
    return len(notes)


def register(registry: Registry) -> None:
    """Retention and data-subject requests for the notes; before the call records' own
    (:func:`hotline.voice.privacy.register`), whose erasure forgets the number notes are
    found by."""
    registry.retention(
        RetentionRule(
            name="call_notes.text",
            table="call_notes",
            fields="text",
            purpose="coordinators read what operators noted after a call (the category stays "
            "for counting)",
            period="with the caller's number: `CALLER_NUMBER_RETENTION_DAYS` days after the "
            "call (30)",
            action="emptied",
            apply=purge_note_texts,
        )
    )
    registry.personal(PersonalData("call_notes", export_notes, erase_notes))

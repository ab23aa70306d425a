"""SMS reminders before each shift, sent exactly once.

A periodic RQ job (:func:`reminder_sweep`, every minute on the worker) finds shifts starting
within ``SHIFT_REMINDER_MINUTES``. For each it inserts a :class:`ShiftReminder` (unique per
shift) and queues the text (:mod:`hotline.core.messaging`, key ``reminder:<shift>``) in one
transaction; a second sweep — or a restarted worker — finds the claim and adds nothing. The
pipeline sends the text once the transaction commits; just before, :func:`reminder_wanted`
drops it if the shift started long ago or the operator paused.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.core import messaging
from hotline.core.extensions import db
from hotline.core.i18n import N_, text_in
from hotline.core.messaging import OutboundMessage, Priority
from hotline.core.models import OutboxMessage, utcnow
from hotline.core.oncall.models import Line, Operator, OperatorStatus, Shift
from hotline.core.worker import app_context
from hotline.rosters.models import ShiftReminder
from hotline.rosters.shift_words import describe_shift, operator_language, operator_texts

log = logging.getLogger(__name__)

SWEEP_INTERVAL = dt.timedelta(seconds=60)
#: Outbox kind of reminders claimed before they were queued as texts directly.
OUTBOX_KIND = "shift_reminder"
MESSAGE_KIND = "shift_reminder"

REMINDER_TEXT = N_("Erinnerung: Ihre Schicht {shift}. Danke! (SCHICHTEN: nächste Schichten)")
operator_texts([REMINDER_TEXT])


def due_shifts(session: Session, now: dt.datetime, lead: dt.timedelta) -> list[int]:
    """Ids of shifts starting within ``lead`` that have no reminder yet.

    Asked line by line so every query is a range scan on ``(line_id, starts_at)`` instead of
    a walk over all shifts; there are few lines and this runs once a minute.
    """
    ids: list[int] = []
    for line_id in session.scalars(select(Line.id).order_by(Line.id)):
        stmt = (
            select(Shift.id)
            .outerjoin(ShiftReminder, ShiftReminder.shift_id == Shift.id)
            .where(
                Shift.line_id == line_id,
                Shift.starts_at > now,
                Shift.starts_at <= now + lead,
                ShiftReminder.id.is_(None),
            )
            .order_by(Shift.starts_at)
        )
        ids.extend(session.scalars(stmt))
    return ids


def queue_reminder(session: Session, shift: Shift) -> OutboundMessage | None:
    """The reminder text of ``shift``, queued once (its key is the shift)."""
    operator = session.get(Operator, shift.operator_id)
    if operator is None:
        return None
    lang = operator_language(operator)
    return messaging.queue(
        session,
        kind=MESSAGE_KIND,
        key=f"reminder:{shift.id}",
        to=operator.phone_number,
        body=text_in(lang, REMINDER_TEXT, shift=describe_shift(shift, lang)),
        sender=shift.line.number,
        priority=Priority.DEFAULT,
        refs={"shift_id": shift.id},
    )


def claim_reminders(session: Session, now: dt.datetime, lead: dt.timedelta) -> list[int]:
    """Claim and queue the due reminders; returns the ids of their texts (committed by the
    caller, and sent once that commit is done)."""
    ids: list[int] = []
    for shift_id in due_shifts(session, now, lead):
        try:
            with session.begin_nested():
                session.add(ShiftReminder(shift_id=shift_id))
                session.flush()
                message = queue_reminder(session, session.get(Shift, shift_id))
        except IntegrityError:
            continue  # another sweep claimed it first
        if message is not None:
            ids.append(message.id)
    return ids


def reminder_wanted(session: Session, message: OutboundMessage, now: dt.datetime) -> str | None:
    """Just before the text goes out: not for a shift that is gone or long started, nor to an
    operator who paused."""
    shift = session.get(Shift, (message.refs or {}).get("shift_id"))
    if shift is None:
        return "shift gone"
    if shift.starts_at <= now - dt.timedelta(minutes=5):
        return "shift started; reminder dropped"
    operator = session.get(Operator, shift.operator_id)
    if operator is None or operator.status != OperatorStatus.ACTIVE:
        return "operator paused or gone"
    return None


def send_reminder(session: Session, message: OutboxMessage) -> str:
    """Outbox handler for reminders claimed before they were queued as texts directly."""
    shift = session.get(Shift, message.payload["shift_id"])
    if shift is None:
        return "shift gone"
    queue_reminder(session, shift)
    return "reminder queued"


def reminder_sweep() -> int:
    """Queue the reminders that are due (a periodic job, every minute)."""
    with app_context():
        session = db.new_session()
        try:
            lead = dt.timedelta(minutes=current_app.config["SHIFT_REMINDER_MINUTES"])
            ids = claim_reminders(session, utcnow(), lead)
            session.commit()  # the texts are enqueued after this commit
        finally:
            session.close()
        return len(ids)

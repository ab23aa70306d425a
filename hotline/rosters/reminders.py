"""SMS reminders before each shift, sent exactly once.

A periodic RQ job (:func:`reminder_sweep`, every minute on the worker) finds shifts starting
within ``SHIFT_REMINDER_MINUTES``. For each it inserts a :class:`ShiftReminder` (unique per
shift) and an outbox message in one transaction; a second sweep — or a restarted worker —
finds the claim and adds nothing. The outbox job then sends the text once (it reloads the
row and does nothing if it is done).
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.core.extensions import db, jobs, telephony
from hotline.core.models import OutboxMessage, utcnow
from hotline.core.oncall.models import Line, Operator, OperatorStatus, Shift
from hotline.core.outbox import enqueue_ids
from hotline.core.phones import mask
from hotline.core.worker import app_context
from hotline.rosters.models import ShiftReminder
from hotline.rosters.operator_sms import TEXTS, describe_shift, operator_language

log = logging.getLogger(__name__)

SWEEP_INTERVAL = dt.timedelta(seconds=60)
OUTBOX_KIND = "shift_reminder"

REMINDER_TEXT = {
    "de": "Erinnerung: Ihre Schicht {shift}. Danke! (SCHICHTEN: nächste Schichten)",
    "en": "Reminder: your shift {shift}. Thank you! (SHIFTS: next shifts)",
}
assert set(REMINDER_TEXT) == set(TEXTS)


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


def claim_reminders(session: Session, now: dt.datetime, lead: dt.timedelta) -> list[int]:
    """Claim and queue the due reminders; returns the outbox ids (committed by the caller
    per shift, so one failed claim never loses the others)."""
    ids: list[int] = []
    for shift_id in due_shifts(session, now, lead):
        try:
            with session.begin_nested():
                session.add(ShiftReminder(shift_id=shift_id))
                message = OutboxMessage(kind=OUTBOX_KIND, payload={"shift_id": shift_id})
                session.add(message)
                session.flush()
            ids.append(message.id)
        except IntegrityError:
            continue  # another sweep claimed it first
    return ids


def send_reminder(session: Session, message: OutboxMessage) -> str:
    """Outbox handler: text the operator of the shift."""
    shift = session.get(Shift, message.payload["shift_id"])
    if shift is None:
        return "shift gone"
    if shift.starts_at <= utcnow() - dt.timedelta(minutes=5):
        return "shift started; reminder dropped"
    operator = session.get(Operator, shift.operator_id)
    if operator is None or operator.status != OperatorStatus.ACTIVE:
        return "operator paused or gone"
    lang = operator_language(operator)
    body = REMINDER_TEXT[lang].format(shift=describe_shift(shift, lang))
    telephony().send_sms(operator.phone_number, shift.line.number, body)
    log.info("shift reminder for shift %s sent to %s", shift.id, mask(operator.phone_number))
    return "reminded"


def reminder_sweep() -> int:
    """Queue the reminders that are due (a periodic job, every minute)."""
    with app_context():
        session = db.new_session()
        try:
            lead = dt.timedelta(minutes=current_app.config["SHIFT_REMINDER_MINUTES"])
            ids = claim_reminders(session, utcnow(), lead)
            session.commit()
        finally:
            session.close()
        if ids:
            enqueue_ids(jobs, ids)
        return len(ids)

"""Shift confirmation by SMS, and declined shifts offered to the line's other operators.

A shift someone else assigns to an operator (a planner in the browser or on the command
line, a weekly pattern, a planner handing a shift to another person) is texted to them —
once per shift and operator (:class:`ShiftConfirmation`, message key
``shift-confirm:<shift>:<operator>``), if it starts within ``SHIFT_CONFIRMATION_DAYS``.
Shifts operators take themselves (claims, swaps, ``NEHMEN``) are not asked about.

* ``OK`` confirms (``confirmed_at``); ``OK <code>`` just the shift with that code.
* ``NEIN``/``NO`` declines: the shift becomes an :class:`OpenShift` with a short code, the
  audit log records the decline (planners see it on the Today page), and every suitable
  operator — active, on this line within ``OPEN_SHIFT_OFFER_DAYS`` (a shift or ``AN``),
  free at that time — gets an offer on the bulk queue.
* ``NEHMEN <code>``/``TAKE <code>`` claims it through :func:`claim_open_shift`: one
  conditional UPDATE, so of many simultaneous replies exactly one wins; the rest hear
  that it is taken.

Replies are in the keyword's language (``OK`` is both: the operator's language).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask import current_app
from sqlalchemy import select, union, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hotline.core import messaging
from hotline.core.i18n import N_, text_in
from hotline.core.messaging import Draft, OutboundMessage, Priority
from hotline.core.models import utcnow
from hotline.core.oncall.models import Availability, Operator, OperatorStatus, Shift
from hotline.core.oncall.shifts import ShiftError
from hotline.core.phones import mask
from hotline.rosters.audit import Actor, record, snapshot
from hotline.rosters.models import (
    ConfirmationStatus,
    OpenShift,
    PatternOccurrence,
    ShiftConfirmation,
    ShiftPattern,
)
from hotline.rosters.open_shifts import ClaimResult, claim_open_shift, publish_open_shift
from hotline.rosters.shift_edits import remove_shift
from hotline.rosters.shift_words import describe_shift, operator_language, operator_texts

log = logging.getLogger(__name__)

CONFIRM_KIND = "shift_confirmation"
OFFER_KIND = "open_shift_offer"
#: Letters and digits nobody mixes up when typing them on a phone (no 0/O, 1/I).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 4

TEXTS: dict[str, str] = {
    "ask": N_(
        "Neue Schicht für Sie: {shift}. Bitte antworten Sie OK (zusagen) oder NEIN"
        " (absagen); bei mehreren offenen Schichten OK {code} bzw. NEIN {code}."
    ),
    "offer": N_("Offene Schicht: {shift}. Können Sie? Antworten Sie NEHMEN {code}."),
    "confirmed": N_("Danke, bestätigt: {list}"),
    "confirm_none": N_("Keine Schicht wartet auf Ihre Bestätigung."),
    "declined": N_("Schade, abgesagt: {shift}. Wir fragen andere. Danke für die Rückmeldung!"),
    "decline_which": N_("Welche Schicht? Antworten Sie NEIN mit dem Code: {list}"),
    "decline_none": N_("Keine Schicht mit diesem Code wartet auf Ihre Antwort."),
    "taken": N_("Danke! Die Schicht {shift} gehört jetzt Ihnen."),
    "already_taken": N_("Diese Schicht ist schon vergeben. Danke trotzdem!"),
    "unknown_code": N_("Diesen Code kennen wir nicht, oder die Schicht ist vorbei."),
    "take_code": N_("Bitte mit dem Code aus der Nachricht antworten, z. B. NEHMEN AB12."),
    "take_refused": N_(
        "Sie können diese Schicht nicht übernehmen (zur selben Zeit schon"
        " eingeplant, oder Ihr Profil ist pausiert)."
    ),
}
operator_texts(TEXTS.values())


def _reply(lang: str, key: str, **values: object) -> str:
    return text_in(lang, TEXTS[key], **values)


def new_code(session: Session, column: InstrumentedAttribute[str | None]) -> str:
    """A short random code not yet in ``column`` (the unique index is the final word)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(column).where(column == code).limit(1)) is None:
            return code


def _actor(operator: Operator) -> Actor:
    return Actor(f"{operator.name} (SMS)")


# -- asking -----------------------------------------------------------------------------------


def request_confirmation(
    session: Session, shift: Shift, now: dt.datetime | None = None
) -> ShiftConfirmation | None:
    """Text the operator of ``shift`` to confirm it, once per shift and operator.

    Called where someone else assigns a shift; nothing for shifts that have started, that
    start beyond ``SHIFT_CONFIRMATION_DAYS`` (0: never ask), or paused operators."""
    now = now or utcnow()
    days = int(current_app.config["SHIFT_CONFIRMATION_DAYS"])
    if days <= 0 or shift.starts_at <= now or shift.starts_at > now + dt.timedelta(days=days):
        return None
    operator = session.get(Operator, shift.operator_id)
    if operator is None or operator.status != OperatorStatus.ACTIVE:
        return None
    existing = session.scalar(
        select(ShiftConfirmation).where(
            ShiftConfirmation.shift_id == shift.id, ShiftConfirmation.operator_id == operator.id
        )
    )
    if existing is not None:
        return existing
    confirmation = ShiftConfirmation(
        shift_id=shift.id,
        operator_id=operator.id,
        code=new_code(session, ShiftConfirmation.code),
        status=ConfirmationStatus.PENDING,
        asked_at=now,
    )
    session.add(confirmation)
    session.flush()
    lang = operator_language(operator)
    messaging.queue(
        session,
        kind=CONFIRM_KIND,
        key=f"shift-confirm:{shift.id}:{operator.id}",
        to=operator.phone_number,
        body=_reply(lang, "ask", shift=describe_shift(shift, lang), code=confirmation.code),
        sender=shift.line.number,
        priority=Priority.DEFAULT,
        refs={"shift_id": shift.id, "confirmation_id": confirmation.id},
    )
    log.info("shift %s sent to %s to confirm", shift.id, mask(operator.phone_number))
    return confirmation


def request_for_pattern(
    session: Session, pattern: ShiftPattern, now: dt.datetime | None = None
) -> int:
    """Ask for the shifts a weekly pattern made (those within ``SHIFT_CONFIRMATION_DAYS``;
    the later ones are not asked about months ahead). Returns how many were asked."""
    stmt = (
        select(Shift)
        .join(PatternOccurrence, PatternOccurrence.shift_id == Shift.id)
        .where(PatternOccurrence.pattern_id == pattern.id)
        .order_by(Shift.starts_at)
    )
    asked = [request_confirmation(session, shift, now) for shift in session.scalars(stmt)]
    return sum(1 for c in asked if c is not None)


def pending(
    session: Session, operator_id: int, now: dt.datetime | None = None
) -> list[ShiftConfirmation]:
    """The operator's unanswered confirmations of shifts still theirs and still to come."""
    now = now or utcnow()
    stmt = (
        select(ShiftConfirmation)
        .join(Shift, Shift.id == ShiftConfirmation.shift_id)
        .where(
            ShiftConfirmation.operator_id == operator_id,
            ShiftConfirmation.status == ConfirmationStatus.PENDING,
            Shift.operator_id == operator_id,
            Shift.starts_at > now,
        )
        .order_by(Shift.starts_at)
    )
    return list(session.scalars(stmt))


def confirm(
    session: Session, confirmation: ShiftConfirmation, now: dt.datetime | None = None
) -> bool:
    """``OK``: record the confirmation (once; a second ``OK`` changes nothing)."""
    now = now or utcnow()
    done = session.execute(
        update(ShiftConfirmation)
        .where(
            ShiftConfirmation.id == confirmation.id,
            ShiftConfirmation.status == ConfirmationStatus.PENDING,
        )
        .values(status=ConfirmationStatus.CONFIRMED, confirmed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(confirmation)
    if done == 1 and confirmation.shift is not None:
        after = snapshot(confirmation.shift)
        record(
            session, confirmation.shift_id, "confirm", _actor(confirmation.operator), None, after
        )
    return done == 1


def decline(
    session: Session, confirmation: ShiftConfirmation, now: dt.datetime | None = None
) -> OpenShift | None:
    """``NEIN``: the shift becomes an open shift with a code, offered to suitable operators.

    The shift itself is removed (audited as a decline by the operator), so the gap shows in
    the week view until someone takes the open shift."""
    now = now or utcnow()
    done = session.execute(
        update(ShiftConfirmation)
        .where(
            ShiftConfirmation.id == confirmation.id,
            ShiftConfirmation.status == ConfirmationStatus.PENDING,
        )
        .values(status=ConfirmationStatus.DECLINED, declined_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(confirmation)
    shift = confirmation.shift
    if done != 1 or shift is None or shift.operator_id != confirmation.operator_id:
        return None
    operator = confirmation.operator
    actor = _actor(operator)
    slot = publish_open_shift(session, shift.line_id, shift.local_start, shift.local_end)
    slot.code = new_code(session, OpenShift.code)
    slot.declined_by_id = operator.id
    record(session, shift.id, "decline", actor, snapshot(shift), None)
    remove_shift(session, actor, shift, now)
    session.flush()
    session.expire(confirmation)
    offered = offer_open_shift(session, slot, exclude={operator.id}, now=now)
    log.info(
        "shift declined by %s; open shift %s offered to %d",
        mask(operator.phone_number),
        slot.id,
        offered,
    )
    return slot


# -- offering ---------------------------------------------------------------------------------


def suitable_operators(
    session: Session, slot: OpenShift, exclude: set[int], now: dt.datetime
) -> list[Operator]:
    """Active operators of the slot's line (a shift or ``AN`` on it within
    ``OPEN_SHIFT_OFFER_DAYS``) who are on no shift at that time, on any line."""
    since = now - dt.timedelta(days=int(current_app.config["OPEN_SHIFT_OFFER_DAYS"]))
    of_line = union(
        select(Shift.operator_id).where(Shift.line_id == slot.line_id, Shift.ends_at > since),
        select(Availability.operator_id).where(
            Availability.line_id == slot.line_id, Availability.until > since
        ),
    )
    busy = select(Shift.operator_id).where(
        Shift.starts_at < slot.ends_at, Shift.ends_at > slot.starts_at
    )
    stmt = (
        select(Operator)
        .where(
            Operator.status == OperatorStatus.ACTIVE,
            Operator.id.in_(select(of_line.subquery().c.operator_id)),
            Operator.id.not_in(busy),
        )
        .order_by(Operator.id)
    )
    return [o for o in session.scalars(stmt) if o.id not in exclude]


def offer_open_shift(
    session: Session, slot: OpenShift, exclude: set[int], now: dt.datetime | None = None
) -> int:
    """Queue the offer of ``slot`` to each suitable operator (bulk queue; one per operator)."""
    now = now or utcnow()
    if slot.code is None:
        slot.code = new_code(session, OpenShift.code)
    drafts = []
    for operator in suitable_operators(session, slot, exclude, now):
        lang = operator_language(operator)
        body = _reply(lang, "offer", shift=describe_shift(slot, lang), code=slot.code)
        drafts.append(
            Draft(
                key=f"open-offer:{slot.id}:{operator.id}",
                to=operator.phone_number,
                body=body,
                refs={"open_shift_id": slot.id},
            )
        )
    ids = messaging.queue_many(
        session,
        drafts,
        kind=OFFER_KIND,
        sender=slot.line.number,
        priority=Priority.BULK,
        batch=f"open-shift:{slot.id}",
        now=now,
    )
    return len(ids)


def take_by_code(
    session: Session, operator: Operator, code: str, now: dt.datetime | None = None
) -> tuple[ClaimResult, OpenShift | None]:
    """``NEHMEN <code>``: the first reply wins (:func:`claim_open_shift`). Raises
    :class:`ShiftError` (nothing changed) when the operator cannot work it."""
    now = now or utcnow()
    slot = session.scalar(select(OpenShift).where(OpenShift.code == code.upper()))
    if slot is None:
        return ClaimResult.GONE, None
    with session.begin_nested():
        result = claim_open_shift(session, slot.id, operator.id, _actor(operator), now)
    return result, slot


# -- the pipeline's checks just before sending -------------------------------------------------


def confirmation_wanted(session: Session, message: OutboundMessage, now: dt.datetime) -> str | None:
    """Not once answered, nor for a shift that is gone, handed on or started."""
    confirmation = session.get(ShiftConfirmation, (message.refs or {}).get("confirmation_id"))
    if confirmation is None or confirmation.status != ConfirmationStatus.PENDING:
        return "already answered"
    shift = confirmation.shift
    if shift is None or shift.operator_id != confirmation.operator_id:
        return "shift gone or handed to someone else"
    if shift.starts_at <= now:
        return "shift started"
    return None


def offer_wanted(session: Session, message: OutboundMessage, now: dt.datetime) -> str | None:
    """Not once someone took the shift, nor once it started."""
    slot = session.get(OpenShift, (message.refs or {}).get("open_shift_id"))
    if slot is None or slot.claimed_by_id is not None:
        return "open shift taken"
    if slot.starts_at <= now:
        return "shift started"
    return None


# -- the operators' replies -------------------------------------------------------------------


def answer(
    session: Session, operator: Operator, command: str, lang: str, words: list[str]
) -> str | None:
    """The reply to ``OK``/``NEIN``/``NEHMEN`` (``None``: ``NEIN`` while nothing waits for
    the operator's answer, left to the other routes of the number — dispatch's ``NEIN``)."""
    now = utcnow()
    code = words[1].upper() if len(words) > 1 else None
    if command == "take":
        if code is None:
            return _reply(lang, "take_code")
        try:
            result, slot = take_by_code(session, operator, code, now)
        except ShiftError:
            return _reply(lang, "take_refused")
        if result == ClaimResult.CLAIMED:
            return _reply(lang, "taken", shift=describe_shift(slot, lang))
        return _reply(lang, "already_taken" if result == ClaimResult.TAKEN else "unknown_code")
    waiting = pending(session, operator.id, now)
    if code is not None:
        waiting = [c for c in waiting if c.code == code]
    if command == "confirm":
        shifts = [c.shift for c in waiting if confirm(session, c, now)]
        if not shifts:
            return _reply(lang, "confirm_none")
        return _reply(lang, "confirmed", list="; ".join(describe_shift(s, lang) for s in shifts))
    if not waiting:
        return _reply(lang, "decline_none") if code is not None else None
    if len(waiting) > 1:
        listed = "; ".join(f"{c.code}: {describe_shift(c.shift, lang)}" for c in waiting)
        return _reply(lang, "decline_which", list=listed)
    described = describe_shift(waiting[0].shift, lang)
    decline(session, waiting[0], now)
    return _reply(lang, "declined", shift=described)

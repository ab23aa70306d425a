"""Operators' SMS keywords, texted to a line's number.

``AN``/``ON`` — available now (rung like someone on shift) until ``AUS``/``OFF`` or the time
limit; ``AN 2`` for two hours. ``SCHICHTEN``/``SHIFTS`` lists the next shifts. ``SPERREN``/``BLOCK``
after a call blocks that caller on the line (``BLOCK_DEFAULT_HOURS``). ``OK``, ``NEIN``/``NO``
and ``NEHMEN``/``TAKE <code>`` answer shift confirmations and offers
(:mod:`hotline.rosters.confirmations`). Anything else
gets a short help text. The reply is in the language of the keyword; for unknown words in the
operator's language (:func:`~hotline.rosters.shift_words.operator_language`: the first of
theirs the catalogue translates). Senders who are not operators are left to the other routes.

Opt-out words (``STOPP``, ``START`` …) never get here: the core handles them for everyone
first. On a number that is also the dispatch sender, only the keywords above are ours
(:func:`understands`); someone who is operator and helper texts ``JA`` to dispatch there.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.blocks import block_caller, call_history
from hotline.core.i18n import N_, text_in
from hotline.core.models import utcnow
from hotline.core.oncall.availability import end_availability, set_available
from hotline.core.oncall.models import Availability, Line, Operator, OperatorStatus, Shift
from hotline.core.phones import InvalidPhoneNumber, mask, to_e164
from hotline.core.registry import registry
from hotline.core.sms import InboundSms
from hotline.rosters import confirmations
from hotline.rosters.shift_words import describe_shift, operator_language, operator_texts

log = logging.getLogger(__name__)

KEYWORDS = {
    "AN": ("on", "de"),
    "ON": ("on", "en"),
    "AUS": ("off", "de"),
    "OFF": ("off", "en"),
    "SCHICHTEN": ("shifts", "de"),
    "SHIFTS": ("shifts", "en"),
    "SPERREN": ("block", "de"),
    "BLOCK": ("block", "en"),
    # Shift confirmation (hotline.rosters.confirmations); "OK" is German and English alike.
    "OK": ("confirm", None),
    "NEIN": ("decline", "de"),
    "NO": ("decline", "en"),
    "NEHMEN": ("take", "de"),
    "TAKE": ("take", "en"),
}

TEXTS: dict[str, str] = {
    "on": N_("Sie sind jetzt erreichbar für {line} bis {until} Uhr. Mit AUS beenden."),
    "off": N_("Sie sind nicht mehr erreichbar. Danke! Mit AN wieder erreichbar."),
    "off_none": N_("Sie waren nicht als erreichbar gemeldet."),
    "paused": N_("Ihr Profil ist pausiert; bitte wenden Sie sich an die Koordination."),
    "no_line": N_("Bitte schreiben Sie an die Nummer Ihrer Hotline."),
    "shifts": N_("Ihre nächsten Schichten: {list}"),
    "no_shifts": N_("Für Sie sind keine Schichten geplant."),
    "blocked": N_("Die Person Ihres letzten Anrufs auf {line} ist bis {until} Uhr gesperrt."),
    "block_none": N_("Kein Anruf zum Sperren gefunden (oder die Nummer war unterdrückt)."),
    "help": N_(
        "Befehle: AN (erreichbar), AUS (nicht erreichbar), SCHICHTEN (nächste Schichten),"
        " SPERREN (letzten Anrufer sperren), OK (Schicht bestätigen), NEIN (Schicht absagen),"
        " NEHMEN <Code> (offene Schicht übernehmen)."
    ),
}
operator_texts(TEXTS.values())
MAX_LISTED = 5


def _line_for(session: Session, to: str) -> Line | None:
    try:
        number = to_e164(to, current_app.config["DEFAULT_REGION"])
    except InvalidPhoneNumber:
        return None
    return session.scalar(select(Line).where(Line.number == number))


def next_shifts(
    session: Session, operator_id: int, now: dt.datetime, limit: int = MAX_LISTED
) -> list[Shift]:
    stmt = (
        select(Shift)
        .where(Shift.operator_id == operator_id, Shift.ends_at > now)
        .order_by(Shift.starts_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def is_line_number(session: Session, to: str) -> bool:
    """Operators text their line's number: that is where their keywords are understood."""
    return _line_for(session, to) is not None


def understands(keyword: str) -> bool:
    """The keywords operators act with; any other word only gets the help text."""
    return keyword in KEYWORDS


def handle_operator_sms(session: Session, sms: InboundSms) -> str | None:
    operator = session.scalar(select(Operator).where(Operator.phone_number == sms.sender))
    if operator is None:
        return None
    keyword = sms.keyword
    command, lang = KEYWORDS.get(keyword, ("help", None))
    lang = lang or operator_language(operator)
    now = utcnow()
    if command == "on":
        line = _line_for(session, sms.to)
        if line is None:
            return _reply(lang, "no_line")
        hours = None
        if len(sms.words) > 1:
            try:
                hours = float(sms.words[1].replace(",", "."))
            except ValueError:
                hours = None
        entry = go_available(session, operator, line, hours, now)
        if entry is None:
            return _reply(lang, "paused")
        until = entry.until.astimezone(ZoneInfo(line.timezone))
        return _reply(lang, "on", line=line.name, until=f"{until:%H:%M}")
    if command == "off":
        return _reply(lang, "off" if go_unavailable(session, operator, now) else "off_none")
    if command in ("confirm", "decline", "take"):
        return confirmations.answer(session, operator, command, lang, sms.words)
    if command == "block":
        return _block_last_caller(session, operator, sms, lang, now)
    if command == "shifts":
        shifts = next_shifts(session, operator.id, now)
        if not shifts:
            return _reply(lang, "no_shifts")
        return _reply(lang, "shifts", list="; ".join(describe_shift(s, lang) for s in shifts))
    return help_text(lang)


def help_text(lang: str) -> str:
    """The operators' help: the rosters' keywords and those other features registered."""
    extra = [text_in(lang, msgid) for msgid in registry().operator_sms_help]
    return " ".join([_reply(lang, "help"), *extra])


def _reply(lang: str, key: str, **values: object) -> str:
    return text_in(lang, TEXTS[key], **values)


def go_available(
    session: Session,
    operator: Operator,
    line: Line,
    hours: float | None = None,
    now: dt.datetime | None = None,
) -> Availability | None:
    """``AN``/``ON`` (and the switch on the operator's phone home): available on ``line`` for
    ``hours``, at most ``AVAILABILITY_HOURS``; ``None`` for a paused operator."""
    if operator.status != OperatorStatus.ACTIVE:
        return None
    limit = float(current_app.config["AVAILABILITY_HOURS"])
    hours = limit if hours is None else min(limit, hours)
    entry = set_available(session, operator.id, line.id, hours, now or utcnow())
    log.info("operator %s available on line %s", mask(operator.phone_number), line.id)
    return entry


def go_unavailable(session: Session, operator: Operator, now: dt.datetime | None = None) -> int:
    """``AUS``/``OFF`` (and the switch): end the operator's availability on every line."""
    ended = end_availability(session, operator.id, now or utcnow())
    log.info("operator %s no longer available", mask(operator.phone_number))
    return ended


def current_availability(
    session: Session, operator_id: int, now: dt.datetime | None = None
) -> Availability | None:
    """The operator's running ``AN`` availability (the latest, if on several lines)."""
    now = now or utcnow()
    return session.scalar(
        select(Availability)
        .where(
            Availability.operator_id == operator_id,
            Availability.started_at <= now,
            Availability.until > now,
        )
        .order_by(Availability.until.desc())
        .limit(1)
    )


def _block_last_caller(
    session: Session, operator: Operator, sms: InboundSms, lang: str, now: dt.datetime
) -> str:
    """``SPERREN``/``BLOCK``: block the caller of the operator's last call on the line texted,
    for ``BLOCK_DEFAULT_HOURS``. The caller is known only by hash, asked of the voice hotline
    through the core's :class:`~hotline.core.blocks.CallHistory`."""
    line = _line_for(session, sms.to)
    if line is None:
        return _reply(lang, "no_line")
    caller = call_history().last_caller_hash(session, operator.id, line.id)
    if caller is None:
        return _reply(lang, "block_none")
    hours = float(current_app.config["BLOCK_DEFAULT_HOURS"])
    block = block_caller(session, line.id, caller, hours, f"{operator.name} (SMS)", now)
    until = block.until.astimezone(ZoneInfo(line.timezone))
    log.info("operator %s blocked a caller on line %s", mask(operator.phone_number), line.id)
    return _reply(lang, "blocked", line=line.name, until=f"{until:%d.%m. %H:%M}")

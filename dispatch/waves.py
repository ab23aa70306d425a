"""Call-out waves: ask the best-ranked k × (open slots) helpers, then wait T minutes.

A wave is idempotent by number: ``send_wave(ticket, 2)`` does nothing once wave 2 has been
sent (``waves_sent``), nothing for a ticket that is filled or closed, and never asks a
helper twice about the same ticket (unique offer per ticket and helper). During quiet hours
a wave for a non-urgent ticket is postponed to the end of quiet hours.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch import texts
from dispatch.matching import dispatch_zone, in_quiet_hours, match_list, quiet_hours_end
from dispatch.models import Helper, HelperContact, Offer, OfferState, Ticket, TicketStatus
from dispatch.offers import accepted_count
from dispatch.outbound import (
    COORDINATOR,
    helper_channels,
    offer_link,
    queue_offer_mails,
    queue_offer_texts,
    queue_text,
)
from dispatch.voice_offers import queue_offer_calls
from hotline.core.bulk import among, insert_rows
from hotline.core.mail.addresses import blocked_addresses
from hotline.core.models import Channel


class WaveOutcome(str, Enum):
    SENT = "sent"
    NOT_OPEN = "not_open"  # filled, closed or gone
    ALREADY_SENT = "already_sent"
    EXHAUSTED = "exhausted"  # every wave sent and the ticket still open: coordinators told
    QUIET = "quiet"  # postponed to the end of quiet hours
    NO_MATCHES = "no_matches"


@dataclass
class WaveResult:
    outcome: WaveOutcome
    asked: int = 0
    next_wave_at: dt.datetime | None = None


def offer_text(ticket: Ticket, token: str, language: str) -> str:
    return offer_texts(ticket)(token, language)


def offer_texts(ticket: Ticket) -> Callable[[str, str], str]:
    """``offer_text`` for the many helpers of one wave: what depends only on the ticket and
    the language (the activity's name, the place, the time window) is worked out once per
    language, not once per helper (a wave may be 10,000 texts)."""
    fields: dict[str, dict[str, str]] = {}
    place = f"{ticket.postal_code} {ticket.place}"

    def write(token: str, language: str) -> str:
        known = fields.get(language)
        if known is None:
            known = fields[language] = {
                "activity": texts.activity_name(ticket.activity.value, language),
                "place": place,
                "when": when_text(ticket, language),
                "code": ticket.reference,
            }
        return texts.sms("offer", language, link=offer_link(token), **known)

    return write


def offer_mail(ticket: Ticket, token: str, language: str, name: str) -> tuple[str, str]:
    """``(subject, text)`` of an offer by e-mail: the same accept link as the SMS."""
    return texts.email(
        "offer",
        language,
        name=name,
        activity=texts.activity_name(ticket.activity.value, language),
        place=f"{ticket.postal_code} {ticket.place}",
        when=when_text(ticket, language),
        link=offer_link(token),
        code=ticket.reference,
    )


def when_text(ticket: Ticket, language: str) -> str:
    """``12.03. 10:00-13:00``, ``12.03.`` (whole day), ``11.03. ab 10:00``, ``11.03.-15.03.``"""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(dispatch_zone())
    start, end = ticket.window_start.astimezone(tz), ticket.window_end.astimezone(tz)
    last = end - dt.timedelta(seconds=1)
    if start.date() != last.date():
        return f"{start:%d.%m.}-{last:%d.%m.}"
    starts_at_midnight = (start.hour, start.minute) == (0, 0)
    ends_at_midnight = (end.hour, end.minute) == (0, 0)
    if starts_at_midnight and ends_at_midnight:
        return f"{start:%d.%m.}"
    if ends_at_midnight:
        return texts.from_time(f"{start:%d.%m.}", f"{start:%H:%M}", language)
    return f"{start:%d.%m. %H:%M}-{end:%H:%M}"


def send_wave(
    session: Session,
    ticket_id: int,
    wave: int,
    now: dt.datetime,
    rng: random.Random | None = None,
) -> WaveResult:
    """Create the offers and their texts for wave ``wave`` (the caller commits and then
    starts the sending)."""
    config = current_app.config
    ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None or ticket.status != TicketStatus.OPEN:
        return WaveResult(WaveOutcome.NOT_OPEN)
    if ticket.waves_sent >= wave:
        return WaveResult(WaveOutcome.ALREADY_SENT)
    if wave > ticket.max_waves:
        # The last wave had its T minutes: nobody else is asked; a person has to step in.
        ticket.next_wave_at = None
        ticket.waves_sent = wave
        _tell_coordinators_unfilled(session, ticket)
        return WaveResult(WaveOutcome.EXHAUSTED)
    zone = dispatch_zone()
    quiet = in_quiet_hours(now, zone, config["DISPATCH_QUIET_START"], config["DISPATCH_QUIET_END"])
    if quiet and not ticket.urgent:
        ticket.next_wave_at = quiet_hours_end(now, zone, config["DISPATCH_QUIET_END"])
        return WaveResult(WaveOutcome.QUIET, next_wave_at=ticket.next_wave_at)
    open_slots = ticket.needed - accepted_count(session, ticket.id)
    interval = dt.timedelta(minutes=config["DISPATCH_WAVE_MINUTES"])
    ticket.waves_sent = wave
    ticket.next_wave_at = now + interval  # after the last wave: the "still unfilled" check
    if open_slots <= 0:
        ticket.next_wave_at = None
        return WaveResult(WaveOutcome.NOT_OPEN)
    size = config["DISPATCH_WAVE_FACTOR"] * open_slots
    matches = match_list(session, ticket, now, config["DISPATCH_MAX_RADIUS_KM"], rng, limit=size)
    if not matches:
        return WaveResult(WaveOutcome.NO_MATCHES, next_wave_at=ticket.next_wave_at)
    create_offers(session, ticket, [m.helper_id for m in matches], wave, now)
    return WaveResult(WaveOutcome.SENT, asked=len(matches), next_wave_at=ticket.next_wave_at)


def _tell_coordinators_unfilled(session: Session, ticket: Ticket) -> None:
    count = accepted_count(session, ticket.id)
    text = texts.sms(
        "coordinator_unfilled",
        "de",
        code=ticket.reference,
        activity=texts.activity_name(ticket.activity.value, "de"),
        place=ticket.place,
        count=count,
        needed=ticket.needed,
        waves=ticket.max_waves,
    )
    for n, number in enumerate(current_app.config["DISPATCH_COORDINATOR_NUMBERS"]):
        queue_text(
            session,
            COORDINATOR,
            f"coordinator-unfilled:{ticket.id}:{ticket.max_waves}:{n}",
            number,
            text,
            ticket_id=ticket.id,
        )


def create_offers(
    session: Session, ticket: Ticket, helper_ids: list[int], wave: int, now: dt.datetime
) -> None:
    """Offers and their pending texts in bulk (a wave may be a thousand helpers), and each
    helper's ``last_asked_at`` moved to now for the fairness ranking."""
    table = Helper.__table__
    columns = [table.c[f.name] for f in dataclasses.fields(HelperContact)]
    wanted = select(*columns).where(among(session, table.c.id, helper_ids))
    helpers = {row.id: HelperContact(*row) for row in session.execute(wanted)}
    blocked = blocked_addresses(session, [h.email for h in helpers.values() if h.email])
    channels = {hid: helper_channels(h, blocked) for hid, h in helpers.items()}
    tokens = {hid: secrets.token_urlsafe(16) for hid in helper_ids}  # 128 bits
    write_text = offer_texts(ticket)
    rows = insert_rows(
        session,
        Offer.__table__,
        [
            {
                "ticket_id": ticket.id,
                "helper_id": hid,
                "wave": wave,
                "token": tokens[hid],
                "state": OfferState.PENDING,
                "created_at": now,
            }
            for hid in helper_ids
        ],
        returning=("id", "helper_id"),
    )
    queue_offer_texts(
        session,
        ticket.id,
        [
            (
                offer_id,
                hid,
                helpers[hid].phone,
                write_text(tokens[hid], texts.helper_language(helpers[hid])),
            )
            for offer_id, hid in rows
            if Channel.SMS in channels[hid]
        ],
        now,
    )
    queue_offer_mails(
        session,
        ticket.id,
        [
            (
                offer_id,
                hid,
                helpers[hid].email or "",
                offer_mail(
                    ticket, tokens[hid], texts.helper_language(helpers[hid]), helpers[hid].name
                ),
            )
            for offer_id, hid in rows
            if Channel.EMAIL in channels[hid]
        ],
        now,
    )
    queue_offer_calls(
        session,
        ticket.id,
        [
            (offer_id, hid, helpers[hid].phone, tokens[hid])
            for offer_id, hid in rows
            if Channel.CALL in channels[hid]
        ],
        now,
    )
    session.execute(
        update(Helper)
        .where(among(session, Helper.id, helper_ids))
        .values(last_asked_at=now)
        .execution_options(synchronize_session=False)
    )

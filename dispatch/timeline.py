"""What happened to a ticket, and what it is doing now, read from the records.

The timeline (:func:`timeline`) is built from the ticket, its offers and the outbound
messages stored for them (``offer:<id>``, ``standdown:<id>``, for call helpers
``offer-call:<id>:<attempt>``): nothing is logged twice, so
the page can never tell a different story from the one the data tells. The delivery status
of each message is read from :class:`hotline.core.models.OutboundMessage` whatever its
channel (SMS, e-mail, call).

The status (:func:`ticket_status`) is computed from the ticket's state and the clock, so a
ticket created at night says it waits for the end of quiet hours instead of claiming that
helpers are being texted now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.matching import dispatch_zone, in_quiet_hours, quiet_hours_end
from dispatch.models import Helper, Offer, OfferState, Ticket, TicketStatus
from dispatch.voice_offers import MAX_ATTEMPTS, call_key
from hotline.core.i18n import N_, gettext
from hotline.core.models import MessageState, OutboundMessage


class EntryKind(str, Enum):
    CREATED = "created"
    WAVE = "wave"  # a wave was sent: who was asked, and how each text fared
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    TOO_LATE = "too_late"
    UNREACHABLE = "unreachable"
    STOOD_DOWN = "stood_down"
    FILLED = "filled"
    CLOSED = "closed"


#: Page texts of the delivery states (msgids; translated when shown).
DELIVERY_LABELS = {
    MessageState.PENDING.value: N_("wartet auf Versand"),
    MessageState.SENDING.value: N_("wird gesendet"),
    MessageState.SENT.value: N_("gesendet"),
    MessageState.FAILED.value: N_("nicht zustellbar"),
    MessageState.SKIPPED.value: N_("nicht gesendet"),
    MessageState.UNCERTAIN.value: N_("Versand unklar"),
    "delivered": N_("zugestellt"),
    "undelivered": N_("nicht zugestellt"),
}

ENTRY_LABELS = {
    EntryKind.CREATED: N_("Ticket angelegt"),
    EntryKind.WAVE: N_("Runde {wave}: {count} gefragt"),
    EntryKind.ACCEPTED: N_("{name} hat zugesagt"),
    EntryKind.DECLINED: N_("{name} hat abgesagt"),
    EntryKind.WITHDRAWN: N_("{name} hat die Zusage zurückgezogen"),
    EntryKind.TOO_LATE: N_("{name} hat zu spät zugesagt"),
    EntryKind.UNREACHABLE: N_("{name} war nicht erreichbar"),
    EntryKind.STOOD_DOWN: N_("{name} wurde abbestellt"),
    EntryKind.FILLED: N_("Besetzt"),
    EntryKind.CLOSED: N_("Geschlossen"),
}


def delivery_label(delivery: str | None) -> str:
    """A message's delivery state in the page's language."""
    return gettext(DELIVERY_LABELS.get(delivery or "", N_("kein Versand")))


@dataclass(frozen=True)
class Asked:
    """One helper asked in a wave, and where their message is."""

    helper_id: int
    name: str
    offer_state: OfferState
    channel: str | None
    delivery: str | None  # MessageState value, or the provider's delivery status

    @property
    def delivery_label(self) -> str:
        return delivery_label(self.delivery)


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    kind: EntryKind
    wave: int | None = None
    helper_id: int | None = None
    name: str = ""
    delivery: str | None = None
    asked: list[Asked] = field(default_factory=list)

    @property
    def delivery_label(self) -> str:
        return delivery_label(self.delivery)

    @property
    def label(self) -> str:
        return gettext(
            ENTRY_LABELS[self.kind], wave=self.wave, count=len(self.asked), name=self.name
        )


def _delivery(message: OutboundMessage | None) -> str | None:
    """The most telling state: the provider's delivery report once there is one."""
    if message is None:
        return None
    if message.state == MessageState.SENT and message.delivery_status in (
        "delivered",
        "undelivered",
    ):
        return message.delivery_status
    return message.state.value


def _offer_message(messages: dict[str, OutboundMessage], offer_id: int) -> OutboundMessage | None:
    """The offer's text, or for a call helper the latest call (the retry once there is one)."""
    calls = [call_key(offer_id, n) for n in range(MAX_ATTEMPTS, 0, -1)]
    return next(
        (messages[k] for k in [f"offer:{offer_id}", *calls] if k in messages),
        None,
    )


_RESPONSES = {
    OfferState.ACCEPTED: EntryKind.ACCEPTED,
    OfferState.DECLINED: EntryKind.DECLINED,
    OfferState.WITHDRAWN: EntryKind.WITHDRAWN,
    OfferState.TOO_LATE: EntryKind.TOO_LATE,
}


def timeline(session: Session, ticket_id: int) -> list[Entry]:
    """The ticket's history, oldest first."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return []
    rows = session.execute(
        select(Offer, Helper.name)
        .join(Helper, Helper.id == Offer.helper_id)
        .where(Offer.ticket_id == ticket_id)
        .order_by(Offer.wave, Offer.created_at, Offer.id)
    ).all()
    keys = [f"offer:{o.id}" for o, _ in rows] + [f"standdown:{o.id}" for o, _ in rows]
    keys += [call_key(o.id, n) for o, _ in rows for n in range(1, MAX_ATTEMPTS + 1)]
    messages = (
        {
            m.key: m
            for m in session.scalars(select(OutboundMessage).where(OutboundMessage.key.in_(keys)))
        }
        if keys
        else {}
    )
    entries = [Entry(ticket.created_at, EntryKind.CREATED)]
    waves: dict[int, list[tuple[Offer, str]]] = {}
    for offer, name in rows:
        waves.setdefault(offer.wave, []).append((offer, name))
    for wave, offers in sorted(waves.items()):
        asked = []
        for offer, name in offers:
            message = _offer_message(messages, offer.id)
            asked.append(
                Asked(
                    offer.helper_id,
                    name,
                    offer.state,
                    message.channel.value if message else None,
                    _delivery(message),
                )
            )
        entries.append(
            Entry(min(o.created_at for o, _ in offers), EntryKind.WAVE, wave=wave, asked=asked)
        )
    for offer, name in rows:
        kind = _RESPONSES.get(offer.state)
        if kind is not None and offer.responded_at is not None:
            entries.append(Entry(offer.responded_at, kind, offer.wave, offer.helper_id, name))
        elif offer.state == OfferState.UNREACHABLE:
            message = _offer_message(messages, offer.id)
            at = (message.sent_at or message.created_at) if message else offer.created_at
            entries.append(
                Entry(
                    at, EntryKind.UNREACHABLE, offer.wave, offer.helper_id, name, _delivery(message)
                )
            )
        stand_down = messages.get(f"standdown:{offer.id}")
        if stand_down is not None:
            entries.append(
                Entry(
                    stand_down.created_at,
                    EntryKind.STOOD_DOWN,
                    offer.wave,
                    offer.helper_id,
                    name,
                    _delivery(stand_down),
                )
            )
    if ticket.filled_at is not None:
        entries.append(Entry(ticket.filled_at, EntryKind.FILLED))
    if ticket.closed_at is not None:
        entries.append(Entry(ticket.closed_at, EntryKind.CLOSED))
    order = list(EntryKind)
    return sorted(entries, key=lambda e: (e.at, order.index(e.kind)))


# -- status -----------------------------------------------------------------------------------


class StatusKind(str, Enum):
    CLOSED = "closed"
    FILLED = "filled"
    QUIET = "quiet"  # waiting for the end of quiet hours
    STARTING = "starting"  # the first wave is about to go out
    RUNNING = "running"  # waves going on: x of y accepted, next wave at …
    LAST_WAVE = "last_wave"  # the last wave's time is running
    NO_MATCHES = "no_matches"  # nobody (left) to ask
    EXHAUSTED = "exhausted"  # every wave sent, still open: a person has to step in


@dataclass(frozen=True)
class Status:
    kind: StatusKind
    accepted: int
    needed: int
    at: dt.datetime | None = None  # end of quiet hours, or the next wave

    def text(self) -> str:
        """One line in the page's language, e.g. "Wartet bis 08:00 (Ruhezeit)"."""
        at = self.at.astimezone(ZoneInfo(dispatch_zone())).strftime("%H:%M") if self.at else ""
        counts = {"accepted": self.accepted, "needed": self.needed, "at": at}
        texts = {
            StatusKind.CLOSED: N_("Geschlossen"),
            StatusKind.FILLED: N_("Besetzt"),
            StatusKind.QUIET: N_("Wartet bis {at} (Ruhezeit)"),
            StatusKind.STARTING: N_("Passende Helfende werden jetzt gefragt"),
            StatusKind.RUNNING: N_("{accepted} von {needed} zugesagt, nächste Runde {at}"),
            StatusKind.LAST_WAVE: N_("{accepted} von {needed} zugesagt, letzte Runde bis {at}"),
            StatusKind.NO_MATCHES: N_("Keine passenden Helfenden mehr"),
            StatusKind.EXHAUSTED: N_(
                "{accepted} von {needed} zugesagt, alle Runden gesendet: bitte selbst vermitteln"
            ),
        }
        if self.at is None and self.kind in (StatusKind.RUNNING, StatusKind.LAST_WAVE):
            return gettext(N_("{accepted} von {needed} zugesagt"), **counts)
        return gettext(texts[self.kind], **counts)


def ticket_status(session: Session, ticket: Ticket, now: dt.datetime) -> Status:
    """Where the ticket stands now, from its state and the clock."""
    accepted = session.scalar(
        select(func.count(Offer.id)).where(
            Offer.ticket_id == ticket.id, Offer.state == OfferState.ACCEPTED
        )
    )

    def status(kind: StatusKind, at: dt.datetime | None = None) -> Status:
        return Status(kind, accepted, ticket.needed, at)

    if ticket.status == TicketStatus.CLOSED:
        return status(StatusKind.CLOSED)
    if ticket.status == TicketStatus.FILLED:
        return status(StatusKind.FILLED)
    config = current_app.config
    zone = dispatch_zone()
    if ticket.waves_sent > ticket.max_waves:
        return status(StatusKind.EXHAUSTED)
    if not ticket.urgent and in_quiet_hours(
        now, zone, config["DISPATCH_QUIET_START"], config["DISPATCH_QUIET_END"]
    ):
        return status(StatusKind.QUIET, quiet_hours_end(now, zone, config["DISPATCH_QUIET_END"]))
    if ticket.waves_sent == 0:
        return status(StatusKind.STARTING)
    pending = session.scalar(
        select(func.count(Offer.id)).where(
            Offer.ticket_id == ticket.id, Offer.state == OfferState.PENDING
        )
    )
    last_wave_asked = session.scalar(
        select(func.count(Offer.id)).where(
            Offer.ticket_id == ticket.id, Offer.wave == ticket.waves_sent
        )
    )
    if not pending and not last_wave_asked:
        return status(StatusKind.NO_MATCHES)
    if ticket.waves_sent >= ticket.max_waves:
        return status(StatusKind.LAST_WAVE, ticket.next_wave_at)
    return status(StatusKind.RUNNING, ticket.next_wave_at)


def statuses(session: Session, tickets: list[Ticket], now: dt.datetime) -> dict[int, Status]:
    """The status of each ticket of a list page, by id."""
    return {t.id: ticket_status(session, t, now) for t in tickets}

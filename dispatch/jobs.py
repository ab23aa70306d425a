"""RQ jobs of dispatch. Each takes ids, reloads and does nothing when its work is done, so a
job that runs twice (retry, sweep, restarted worker) texts nobody twice.

* ``run_wave(ticket_id, wave)`` — create a wave's offers (their texts are sent by the core
  pipeline once the wave commits, see :mod:`hotline.core.messaging`) and schedule the next
  wave;
* ``sweep()`` — every minute: waves that are due (texts left behind by an outage are the
  core's message sweep's).

Scheduled waves have deterministic job ids (:func:`scheduled_wave_job_id`), so when a ticket
is filled or closed they are removed from RQ's scheduled registry (outbox kind
``dispatch_cancel_waves``, after the commit). One that runs anyway does nothing.

Work created inside a web request reaches these jobs through the outbox (kinds
``dispatch_start``, ``dispatch_wave``), so it starts after the commit, or from the outbox
sweep once Redis is back.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from redis.exceptions import RedisError
from rq import Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import Ticket, TicketStatus
from dispatch.offers import OUTBOX_CANCEL_WAVES, OUTBOX_DRAIN
from dispatch.waves import WaveOutcome, send_wave
from hotline.core.extensions import db, jobs
from hotline.core.models import OutboxMessage, utcnow
from hotline.core.worker import app_context

log = logging.getLogger(__name__)

SWEEP_INTERVAL = dt.timedelta(seconds=60)


class EnqueueFailed(RuntimeError):
    """Redis refused the job; the outbox row stays pending and is swept again."""


def wave_job_id(ticket_id: int, wave: int) -> str:
    """A wave to run now (first wave, after a withdrawal, found due by the sweep)."""
    return f"dispatch-wave-{ticket_id}-{wave}"


def scheduled_wave_job_id(ticket_id: int, wave: int, after_quiet: bool = False) -> str:
    """A wave scheduled for later: the next one T minutes after the last, or one postponed
    to the end of quiet hours (its own id, as it is scheduled by the job of the same wave)."""
    return f"dispatch-wave-{ticket_id}-{wave}-{'morning' if after_quiet else 'next'}"


def enqueue_wave(ticket_id: int, wave: int) -> bool:
    return jobs.enqueue(
        run_wave,
        ticket_id,
        wave,
        job_id=wave_job_id(ticket_id, wave),
        retry=Retry(max=3, interval=[5, 30, 120]),
    )


def schedule_wave(
    ticket_id: int, wave: int, delay: dt.timedelta, after_quiet: bool = False
) -> bool:
    job_id = scheduled_wave_job_id(ticket_id, wave, after_quiet)
    current = get_current_job()
    if current is not None and current.id == job_id:
        # Re-using the running job's id would lose the new schedule when this job's result
        # expires; the sweep sends the wave once ``next_wave_at`` is due.
        log.info("ticket %s wave %s left to the sweep", ticket_id, wave)
        return False
    return jobs.enqueue(
        run_wave,
        ticket_id,
        wave,
        job_id=job_id,
        delay=delay,
        retry=Retry(max=3, interval=[5, 30, 120]),
    )


def cancel_scheduled_waves(ticket_id: int, max_waves: int) -> int:
    """Remove the ticket's scheduled waves (up to the "still unfilled" check after
    ``max_waves``) from RQ; returns how many there were."""
    registry = ScheduledJobRegistry(queue=jobs.queue)
    removed = 0
    for wave in range(1, max_waves + 2):
        for after_quiet in (False, True):
            job_id = scheduled_wave_job_id(ticket_id, wave, after_quiet)
            if job_id not in registry:
                continue
            try:
                registry.remove(job_id, delete_job=True)
            except NoSuchJobError:
                registry.remove(job_id)
            removed += 1
    return removed


def run_wave(ticket_id: int, wave: int) -> str:
    with app_context():
        session = db.new_session()
        try:
            result = send_wave(session, ticket_id, wave, utcnow())
            session.commit()
        finally:
            session.close()
        if result.next_wave_at is not None:
            delay = max(result.next_wave_at - utcnow(), dt.timedelta(seconds=1))
            if result.outcome == WaveOutcome.QUIET:
                schedule_wave(ticket_id, wave, delay, after_quiet=True)
            else:
                schedule_wave(ticket_id, wave + 1, delay)
        log.info(
            "ticket %s wave %s: %s (%d asked)", ticket_id, wave, result.outcome.value, result.asked
        )
        return f"{result.outcome.value}: {result.asked} asked"


def due_waves(session: Session, now: dt.datetime) -> list[tuple[int, int]]:
    """(ticket, wave) pairs whose wave is due.

    A wave postponed by quiet hours did not move ``waves_sent``, so it is the one that is due;
    one past ``max_waves`` is the "still unfilled" check."""
    return [
        (t.id, t.waves_sent + 1)
        for t in session.scalars(
            select(Ticket).where(
                Ticket.status == TicketStatus.OPEN,
                Ticket.next_wave_at.is_not(None),
                Ticket.next_wave_at <= now,
            )
        )
    ]


def sweep() -> str:
    """Enqueue due waves (a periodic job, every minute)."""
    with app_context():
        session = db.new_session()
        try:
            waves = due_waves(session, utcnow())
        finally:
            session.close()
        for ticket_id, wave in waves:
            enqueue_wave(ticket_id, wave)
        return f"{len(waves)} wave(s)"


# -- outbox handlers (registered by dispatch.init_app) -------------------------------------------


def _must(ok: bool, what: str) -> None:
    if not ok:
        raise EnqueueFailed(f"could not enqueue {what}")


def outbox_start(session: Session, message: OutboxMessage) -> str:
    ticket_id = message.payload["ticket_id"]
    _must(enqueue_wave(ticket_id, 1), f"wave 1 of ticket {ticket_id}")
    return "wave 1 scheduled"


def outbox_wave(session: Session, message: OutboxMessage) -> str:
    ticket_id, wave = message.payload["ticket_id"], message.payload["wave"]
    _must(enqueue_wave(ticket_id, wave), f"wave {wave} of ticket {ticket_id}")
    return f"wave {wave} scheduled"


def outbox_drain(session: Session, message: OutboxMessage) -> str:
    """Rows of this kind were written before texts were sent by the core pipeline (which
    enqueues each text after its commit and sweeps the rest); there is nothing left to do."""
    return "texts are sent by the message pipeline"


def outbox_cancel_waves(session: Session, message: OutboxMessage) -> str:
    """After the commit that filled or closed a ticket: drop its scheduled waves."""
    ticket_id = message.payload["ticket_id"]
    ticket = session.get(Ticket, ticket_id)
    if ticket is not None and ticket.status == TicketStatus.OPEN:
        return "ticket reopened; waves kept"  # a withdrawal came first and scheduled anew
    max_waves = ticket.max_waves if ticket else current_app.config["DISPATCH_MAX_WAVES"]
    try:
        removed = cancel_scheduled_waves(ticket_id, max_waves)
    except (RedisError, OSError) as exc:
        raise EnqueueFailed(f"could not cancel the waves of ticket {ticket_id}: {exc}") from exc
    return f"{removed} scheduled wave(s) cancelled"


OUTBOX_HANDLERS = {
    "dispatch_start": outbox_start,
    "dispatch_wave": outbox_wave,
    OUTBOX_DRAIN: outbox_drain,
    OUTBOX_CANCEL_WAVES: outbox_cancel_waves,
}

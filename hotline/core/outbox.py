"""Transactional outbox: work that must happen even if Redis is down right now.

A request adds :class:`OutboxMessage` rows in its own transaction; after the commit the rows
are enqueued as RQ jobs (:func:`commit`). If Redis is unreachable,
nothing is lost: the periodic :func:`sweep_outbox` enqueues every row that is still pending.
Each feature registers the kinds it writes (:meth:`Registry.outbox_kind`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.extensions import db, jobs
from hotline.core.models import OutboxMessage, utcnow
from hotline.core.registry import registry
from hotline.core.telephony import TelephonyError
from hotline.core.worker import app_context

log = logging.getLogger(__name__)

SWEEP_INTERVAL = dt.timedelta(seconds=60)


def add_message(session: Session, kind: str, payload: dict[str, Any]) -> OutboxMessage:
    message = OutboxMessage(kind=kind, payload=payload)
    session.add(message)
    session.flush()
    # Remember the id so the request wrapper can enqueue it after commit; outside a request
    # (CLI, jobs) there is nothing to remember and the sweep picks the row up.
    with contextlib.suppress(RuntimeError):
        g.setdefault("outbox_ids", []).append(message.id)
        g.setdefault("outbox_kinds", {})[message.id] = kind
    return message


def commit(session: Session | None = None) -> None:
    """Commit the request's work once, then hand its committed outbox rows to the queue.

    The one "commit, then enqueue" of every request handler: enqueuing before the commit
    could run a job that cannot see its row yet; a failed enqueue after it loses nothing.
    """
    (session or db.session).commit()
    ids = g.pop("outbox_ids", [])
    kinds = g.pop("outbox_kinds", {})
    if ids:
        enqueue_ids(jobs, ids, kinds)


def job_id(message_id: int) -> str:
    return f"outbox-{message_id}"


def enqueue_ids(queues: Any, ids: list[int], kinds: dict[int, str] | None = None) -> int:
    """Enqueue committed outbox rows, each on the priority queue its kind was registered
    with (when ``kinds`` names the rows' kinds); returns how many made it into Redis."""
    priorities = registry().outbox_priorities if kinds else {}
    kinds = kinds or {}
    return sum(
        1
        for i in ids
        if queues.enqueue(
            process_outbox,
            i,
            job_id=job_id(i),
            priority=priorities.get(kinds.get(i, ""), "default"),
        )
    )


def pending_ids(session: Session, older_than: dt.timedelta, limit: int = 500) -> list[int]:
    return list(pending_rows(session, older_than, limit))


def pending_rows(session: Session, older_than: dt.timedelta, limit: int = 500) -> dict[int, str]:
    """Outbox rows not done after ``older_than``: id → kind, oldest first."""
    cutoff = utcnow() - older_than
    stmt = (
        select(OutboxMessage.id, OutboxMessage.kind)
        .where(OutboxMessage.done_at.is_(None), OutboxMessage.created_at <= cutoff)
        .order_by(OutboxMessage.created_at)
        .limit(limit)
    )
    return {row.id: row.kind for row in session.execute(stmt)}


def process_outbox(message_id: int) -> str:
    """Run the handler registered for the row's kind, once: a done row is left alone."""
    with app_context():
        session = db.new_session()
        try:
            message = session.get(OutboxMessage, message_id, with_for_update=True)
            if message is None or message.done_at is not None:
                return "nothing to do"
            message.attempts += 1
            handler = registry().outbox_handlers.get(message.kind)
            if handler is None:
                message.last_error = f"unknown kind {message.kind!r}"
                message.done_at = utcnow()
                session.commit()
                return message.last_error
            try:
                result = handler(session, message)
            except TelephonyError as exc:
                message.last_error = str(exc)
                session.commit()
                if exc.retryable:
                    raise
                message.done_at = utcnow()
                session.commit()
                return f"failed permanently: {exc}"
            message.done_at = utcnow()
            session.commit()
            return result
        finally:
            session.close()


def sweep_outbox(grace_seconds: int = 30) -> int:
    """Enqueue outbox rows that never made it to Redis (a periodic job, every minute)."""
    with app_context():
        session = db.new_session()
        try:
            rows = pending_rows(session, dt.timedelta(seconds=grace_seconds))
        finally:
            session.close()
        ids = list(rows)
        count = enqueue_ids(jobs, ids, rows)
        if ids:
            log.info("outbox sweep: %d pending, %d enqueued", len(ids), count)
        return count

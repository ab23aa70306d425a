"""Transactional outbox: work that must happen even if Redis is down right now.

A request adds :class:`OutboxMessage` rows in its own transaction; after the commit the rows
are enqueued as RQ jobs. If Redis is unreachable, nothing is lost: the worker's periodic
sweep enqueues every row that is still pending.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)


def add_message(session: Session, kind: str, payload: dict[str, Any]) -> OutboxMessage:
    message = OutboxMessage(kind=kind, payload=payload)
    session.add(message)
    session.flush()
    # Remember the id so the request wrapper can enqueue it after commit; outside a request
    # (CLI, jobs) there is nothing to remember and the sweep picks the row up.
    with contextlib.suppress(RuntimeError):
        g.setdefault("outbox_ids", []).append(message.id)
    return message


def job_id(message_id: int) -> str:
    return f"outbox-{message_id}"


def enqueue_ids(jobs: Any, ids: list[int]) -> int:
    """Enqueue committed outbox rows; returns how many made it into Redis."""
    from hotline.jobs import process_outbox

    return sum(1 for i in ids if jobs.enqueue(process_outbox, i, job_id=job_id(i)))


def pending_ids(session: Session, older_than: dt.timedelta, limit: int = 500) -> list[int]:
    cutoff = utcnow() - older_than
    stmt = (
        select(OutboxMessage.id)
        .where(OutboxMessage.done_at.is_(None), OutboxMessage.created_at <= cutoff)
        .order_by(OutboxMessage.created_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))

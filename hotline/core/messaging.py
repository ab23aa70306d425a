"""The one outbound pipeline: every text and outbound call the product makes.

Domain code queues a message inside its own transaction::

    messaging.queue(session, kind="shift_reminder", key=f"reminder:{shift.id}",
                    to=operator.phone_number, body=text, sender=line.number,
                    priority=Priority.DEFAULT, refs={"shift_id": shift.id})

which stores an :class:`~hotline.core.models.OutboundMessage` under a **unique key** (the
same key returns the same row, so nothing is queued twice). When the session commits, the
row's send job is enqueued on the RQ queue of its priority (:class:`Priority`: urgent work
first, bulk texts last); a row whose job never reached Redis (Redis down, job lost) is
re-enqueued by :func:`sweep_messages`, every minute. Sending is :mod:`hotline.core.sending`:
claimed once, opt-outs honoured, rate-limited per sender, retried with backoff, and every
message carries a status callback (:mod:`hotline.core.delivery`).

A feature registers hooks for its kinds with :meth:`Registry.message_kind`: a ``check``
just before sending (skip, or postpone to a time) and ``on_failed`` when a message cannot
be delivered. The core knows no feature.

Settings: ``SMS_PER_SECOND`` (per sending number; ``DISPATCH_SMS_PER_SECOND`` is still read
when it is not set), ``CALLS_PER_SECOND``, ``MESSAGE_MAX_ATTEMPTS``,
``MESSAGE_BACKOFF_SECONDS``, ``MESSAGE_BACKOFF_CAP_SECONDS``, ``MESSAGE_SLICE_SECONDS``,
``MESSAGE_RETENTION_DAYS``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction

from hotline.core import bulk, delivery
from hotline.core.db import conflict_insert
from hotline.core.extensions import db, jobs
from hotline.core.models import Channel, MessageState, OutboundMessage, utcnow
from hotline.core.queues import Priority
from hotline.core.registry import Registry
from hotline.core.sending import (
    enqueue_sends,
    message_id_of,
    schedule_send,
    sends_of,
    shown_recipient,
)
from hotline.core.worker import app_context

__all__ = ["Channel", "MessageState", "OutboundMessage", "Priority", "queue", "queue_many"]

log = logging.getLogger(__name__)

SWEEP_INTERVAL = dt.timedelta(seconds=60)
#: A row younger than this may still have its job on the way (enqueued after its commit).
SWEEP_GRACE = dt.timedelta(seconds=30)
SWEEP_LIMIT = 5000
#: Where a session keeps the rows it queued until it commits.
_QUEUED = "rufbereit.queued_messages"
#: Rows queued with a later ``not_before``: their jobs are scheduled for then.
_SCHEDULED = "rufbereit.scheduled_messages"


def queue(
    session: Session,
    *,
    kind: str,
    key: str,
    to: str,
    body: str,
    sender: str,
    channel: Channel = Channel.SMS,
    priority: Priority | str = Priority.DEFAULT,
    batch: str | None = None,
    refs: dict[str, Any] | None = None,
    ring_seconds: int | None = None,
    not_before: dt.datetime | None = None,
    subject: str | None = None,
) -> OutboundMessage:
    """Store a message under ``key`` unless one with that key exists (then return that one).

    ``body`` is the text, or for a call the URL of its TwiML; an e-mail
    (``channel=Channel.EMAIL``, ``to`` and ``sender`` addresses) has a ``subject``. The send
    job is enqueued after ``session`` commits.
    """
    values = {
        "kind": kind,
        "key": key,
        "to": to,
        "body": body,
        "subject": subject,
        "sender": sender,
        "channel": Channel(channel),
        "priority": Priority(priority).value,
        "batch": batch,
        "refs": dict(refs or {}),
        "ring_seconds": ring_seconds,
        "not_before": not_before,
        "state": MessageState.PENDING,
        "attempts": 0,
        "created_at": utcnow(),
    }
    # One statement whether or not the key is taken (a concurrent transaction's row waits
    # for that transaction and is then skipped); the stored row is read only when it was.
    insert_ = conflict_insert(session.get_bind().dialect.name)
    stmt = (
        insert_(OutboundMessage)
        .values(values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboundMessage)
    )
    message = session.scalars(stmt).first()
    if message is None:
        return _by_key(session, key, required=True)
    if not_before is not None and not_before > utcnow():
        # Due later (a retried call): its job is scheduled for then, after the commit.
        session.info.setdefault(_SCHEDULED, []).append((message.id, message.priority, not_before))
    else:
        _remember(session, [(message.id, message.priority)])
    return message


@dataclass
class Draft:
    """One message for :func:`queue_many` (same fields as :func:`queue`)."""

    key: str
    to: str
    body: str
    refs: dict[str, Any] = field(default_factory=dict)
    #: An e-mail's subject.
    subject: str | None = None


def queue_many(
    session: Session,
    drafts: Iterable[Draft],
    *,
    kind: str,
    sender: str,
    channel: Channel = Channel.SMS,
    priority: Priority | str = Priority.DEFAULT,
    batch: str | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Store many messages of one kind in one statement (a wave may be a thousand texts);
    keys that exist already are left as they are. Returns the ids of the new rows."""
    rows = [
        {
            "kind": kind,
            "key": d.key,
            "to": d.to,
            "body": d.body,
            "subject": d.subject,
            "sender": sender,
            "channel": Channel(channel),
            "priority": Priority(priority).value,
            "batch": batch,
            "refs": dict(d.refs),
            "state": MessageState.PENDING,
            "attempts": 0,
            "created_at": now or utcnow(),
        }
        for d in drafts
    ]
    if not rows:
        return []
    # One statement with an array per column, whatever the number of rows; a key stored
    # already (by this or a concurrent transaction) is skipped by the unique index.
    written = bulk.insert_rows(
        session, OutboundMessage.__table__, rows, returning=("id",), skip_conflicts_on=("key",)
    )
    ids = sorted(i for (i,) in written)
    _remember(session, [(i, Priority(priority).value) for i in ids])
    return ids


def by_key(session: Session, key: str) -> OutboundMessage | None:
    return _by_key(session, key)


def _by_key(session: Session, key: str, required: bool = False) -> OutboundMessage | None:
    stmt = select(OutboundMessage).where(OutboundMessage.key == key)
    return session.scalars(stmt).one() if required else session.scalars(stmt).first()


def skip_pending(session: Session, keys: Iterable[str]) -> int:
    """Skip the still-pending messages under ``keys`` (no longer wanted); returns how many."""
    keys = list(keys)
    if not keys:
        return 0
    return session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.key.in_(keys), OutboundMessage.state == MessageState.PENDING)
        .values(state=MessageState.SKIPPED)
        .execution_options(synchronize_session="fetch")
    ).rowcount


# -- enqueued after the commit ----------------------------------------------------------------


def _remember(session: Session, rows: list[tuple[int, str]]) -> None:
    session.info.setdefault(_QUEUED, []).extend(rows)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy reports a released SAVEPOINT as a commit too; the rows are not
        # committed until the outermost transaction is.
        return
    rows = session.info.pop(_QUEUED, None)
    if rows:
        enqueue_sends(rows)
    for message_id, priority, at in session.info.pop(_SCHEDULED, None) or []:
        # A lost schedule only delays the row: the sweep enqueues due rows without a job.
        schedule_send(message_id, priority, at, "due")


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_QUEUED, None)
        session.info.pop(_SCHEDULED, None)


def enqueue(session: Session, ids: Iterable[int]) -> int:
    """Enqueue the send jobs of committed rows again (the sweep; after a restart)."""
    ids = list(ids)
    if not ids:
        return 0
    stmt = select(OutboundMessage.id, OutboundMessage.priority).where(OutboundMessage.id.in_(ids))
    return enqueue_sends([tuple(r) for r in session.execute(stmt)])


# -- the sweep ----------------------------------------------------------------------------------


def live_send_jobs() -> dict[str, list[int]]:
    """Row ids named by send jobs that are waiting, scheduled or running, per priority; a
    bulk job's first row once for every send it owes (``message-17-n50``: 50 times)."""
    live: dict[str, list[int]] = {}
    for priority in Priority:
        queue_ = jobs.queue_named(priority)
        ids = list(queue_.get_job_ids())
        ids += ScheduledJobRegistry(queue=queue_).get_job_ids()
        ids += StartedJobRegistry(queue=queue_).get_job_ids()
        live[priority.value] = [
            i for job in ids if (i := message_id_of(job)) is not None for _ in range(sends_of(job))
        ]
    return live


def lost_rows(
    session: Session, live: dict[str, list[int]], now: dt.datetime, grace: dt.timedelta
) -> list[int]:
    """Due pending rows without a send job: each urgent or default row whose job is gone,
    and as many bulk rows as there are more bulk rows than bulk jobs (a bulk job sends
    whichever bulk row is fairest, so only their number matters)."""
    cutoff = now - grace
    stmt = (
        select(OutboundMessage.id, OutboundMessage.priority)
        .where(
            OutboundMessage.state == MessageState.PENDING,
            or_(OutboundMessage.not_before.is_(None), OutboundMessage.not_before <= cutoff),
            OutboundMessage.created_at <= cutoff,
        )
        .order_by(OutboundMessage.id)
        .limit(SWEEP_LIMIT)
    )
    rows = [tuple(r) for r in session.execute(stmt)]
    lost: list[int] = []
    bulk = Priority.BULK.value
    bulk_rows = [i for i, p in rows if p == bulk]
    for priority in {p for _, p in rows if p != bulk}:
        named = set(live.get(priority, []))
        lost += [i for i, p in rows if p == priority and i not in named]
    deficit = len(bulk_rows) - len(live.get(bulk, []))
    if deficit > 0:
        named = set(live.get(bulk, []))
        lost += [i for i in bulk_rows if i not in named][:deficit]
    return sorted(lost)


#: A claim older than this was cut: the worker that made it died in the provider call (a
#: send never takes this long: the client gives up after its timeout).
CUT_AFTER = dt.timedelta(minutes=2)


def mark_cut_sends(session: Session, now: dt.datetime) -> int:
    """Claims whose worker never came back are reported as uncertain instead of silently
    staying in ``sending`` (they are not sent again: the provider may have them)."""
    cut = session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.state == MessageState.SENDING,
            OutboundMessage.claimed_at < now - CUT_AFTER,
        )
    ).all()
    for message in cut:
        message.state = MessageState.UNCERTAIN
        log.error(
            "%s %s to %s: its worker died while sending; the provider may have it, not sent again",
            message.channel.value,
            message.key,
            shown_recipient(message),
        )
    return len(cut)


def uncertain_count(session: Session) -> int:
    """Messages whose provider call was cut (for coordinators and the health check)."""
    return (
        session.scalar(select(func.count()).where(OutboundMessage.state == MessageState.UNCERTAIN))
        or 0
    )


def sweep_messages() -> str:
    """Enqueue the send jobs that were lost, and report claims that were cut (a periodic
    job, every minute)."""
    with app_context():
        session = db.new_session()
        try:
            cut = mark_cut_sends(session, utcnow())
            session.commit()
            live = live_send_jobs()
            lost = lost_rows(session, live, utcnow(), SWEEP_GRACE)
            count = enqueue(session, lost)
        except (RedisError, OSError) as exc:
            log.warning("message sweep: Redis unavailable (%s)", exc)
            return "Redis unavailable"
        finally:
            session.close()
        if lost:
            log.info("message sweep: %d message(s) without a job, %d enqueued", len(lost), count)
        return f"{count} message(s) enqueued again, {cut} cut send(s) reported"


# -- retention ----------------------------------------------------------------------------------


def forget_old_messages(session: Session, now: dt.datetime) -> str:
    """Retention rule: texts and numbers of finished messages are forgotten after
    ``MESSAGE_RETENTION_DAYS`` (a voicemail notice names the caller, a helper's details text
    the requester); the row stays, so its key still says it was sent."""
    days = current_app.config["MESSAGE_RETENTION_DAYS"]
    forgotten = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.state.not_in([MessageState.PENDING, MessageState.SENDING]),
            OutboundMessage.created_at < now - dt.timedelta(days=days),
            OutboundMessage.to != "",
        )
        .values(to="", body="", subject=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"forgot {forgotten} message text(s)"


def init_app(app: Flask, reg: Registry) -> None:
    """The status callbacks, the sweep and the retention rule of the pipeline."""
    app.register_blueprint(delivery.bp)
    reg.periodic("sweep-messages", sweep_messages, SWEEP_INTERVAL)
    from hotline.core import mail

    mail.init_app(app, reg)
    from hotline.core.retention import RetentionRule

    reg.retention(
        RetentionRule(
            name="outbound_messages",
            table="outbound_messages",
            fields="to, body, subject",
            purpose="send each text or call once, retry it, and show its delivery status",
            period="`MESSAGE_RETENTION_DAYS` days after it was queued, once finished (30)",
            action="number or address and text emptied (the row stays, so it is never sent again)",
            apply=forget_old_messages,
        )
    )
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # a global CSRFProtect must leave signed provider callbacks alone
        csrf.exempt(delivery.bp)

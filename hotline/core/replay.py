"""Replaying the texts kept while the database was down (see :mod:`hotline.core.spool`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from hotline.core.extensions import db, jobs, telephony
from hotline.core.inbound import handle_inbound
from hotline.core.models import InboundMessage
from hotline.core.outbox import commit
from hotline.core.spool import LOCK_KEY, Spooled, pending, remove
from hotline.core.telephony import TelephonyError
from hotline.core.worker import app_context

log = logging.getLogger(__name__)

REPLAY_INTERVAL = dt.timedelta(seconds=15)


def replay() -> tuple[int, int]:
    """Act on every kept text while the database answers; returns ``(handled, left)``.

    Must run inside an app context; one replay at a time across all processes.
    """
    try:
        if not jobs.redis.set(LOCK_KEY, "1", nx=True, px=60_000):
            return 0, -1
        locked = True
    except (RedisError, OSError):
        locked = False  # Redis down: only the disk spool, and this process, are left
    handled = 0
    kept = pending()
    try:
        for index, (entry, where, handle) in enumerate(kept):
            session = db.new_session()
            try:
                first = (
                    entry.message_sid == ""
                    or session.get(InboundMessage, entry.message_sid) is None
                )
                reply = handle_inbound(session, entry.sms())
                commit(session)
            except SQLAlchemyError as exc:
                session.rollback()
                log.warning(
                    "inbound spool: database still unavailable (%s)", exc.__class__.__name__
                )
                return handled, len(kept) - index
            finally:
                session.close()
            try:
                remove(where, handle)
            except (RedisError, OSError) as exc:  # handled; a second pass is a no-op
                log.warning("inbound spool: %s not removed: %s", entry.message_sid, exc)
            handled += 1
            if first and reply:
                _send_reply(entry, reply)
    finally:
        if locked:
            with contextlib.suppress(RedisError, OSError):
                jobs.redis.delete(LOCK_KEY)
    return handled, 0


def _send_reply(entry: Spooled, reply: str) -> None:
    """The answer the webhook could not give, as a text from the number that was texted."""
    try:
        telephony().send_sms(entry.sender, entry.to, reply)
    except TelephonyError as exc:
        log.warning("reply to spooled SMS %s not sent: %s", entry.message_sid, exc)


def replay_spooled_sms() -> str:
    """The periodic job (every :data:`REPLAY_INTERVAL`)."""
    with app_context():
        handled, left = replay()
        return f"{handled} kept text(s) handled, {max(left, 0)} left"

"""What the hotline remembers about a caller between calls, by salted hash only: how often
they called the line in the last hour (the flood limit) and whom they last spoke to there
(sticky redial).

Both live in Redis, read and written by the entry webhook in one round trip (one Lua
command). Counting from call records instead would add a ``count(*)`` query to every call; a sorted set per caller and line gives an exact sliding
hour, is shared by every worker, and expires by itself. Retried webhooks are counted once
(the CallSid is the member).

Redis being down must never keep a caller off the line: then nobody is flood-limited and a
redial is routed normally (logged). A Redis flush forgets counts and redial partners, with
the same harmless effect.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass

from redis.commands.core import Script
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.extensions import jobs
from hotline.core.phones import caller_hash
from hotline.voice.models import Call

log = logging.getLogger(__name__)

HOUR = dt.timedelta(hours=1)
#: What Twilio sends as ``From`` for a withheld number; such callers share one hash, so they
#: are never flood-limited, blocked or stuck to an operator.
WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "+266696687", "+86282452253"}


def identifiable(number: str | None) -> bool:
    return (number or "").strip().lower() not in WITHHELD


def withheld_hash(salt: str) -> str:
    """The hash every caller without a number shares (:func:`hotline.voice.calls.new_call`)."""
    return caller_hash("anonymous", salt)


def _flood_key(line_id: int, hashed: str) -> str:
    return f"rufbereit:calls:{line_id}:{hashed}"


def _redial_key(line_id: int, hashed: str) -> str:
    return f"rufbereit:redial:{line_id}:{hashed}"


def callback_key(line_id: int, hashed: str) -> str:
    """An operator's last call on the line, by the hash of the operator's own number: set
    when the call ends (:func:`hotline.voice.callback.remember`), read by the entry webhook
    to offer "press 1 to call back" when they call the line."""
    return f"rufbereit:callback:{line_id}:{hashed}"


@dataclass(frozen=True)
class CallerMemory:
    #: Calls from this caller to this line in the last hour, this one included.
    calls_last_hour: int
    #: The operator of their last bridged call here, if it ended within the redial window.
    last_operator_id: int | None
    #: The caller is an operator whose own call on this line ended within the call-back
    #: window: that call's id (see :func:`callback_key`).
    callback_call_id: int | None = None


NOTHING = CallerMemory(0, None)


def _last_operator(raw: bytes | None, now: dt.datetime, window: dt.timedelta) -> int | None:
    if not raw:
        return None
    operator, _, ended = raw.decode().partition(":")
    try:
        ended_at = dt.datetime.fromtimestamp(float(ended), dt.UTC)
        operator_id = int(operator)
    except ValueError:
        return None
    return operator_id if now - ended_at <= window else None


# KEYS: the caller's calls of the last hour (a sorted set), whom they last spoke to, their
# own call to call back. ARGV: an hour ago, now, this CallSid, the set's lifetime in seconds.
# One command instead of six in a pipeline: the entry webhook's CPU is mostly per command.
_NOTE_CALL = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
local count = redis.call('ZCARD', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {count, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3])}
"""


@functools.cache
def _note_call_script() -> Script:
    """The script object (its SHA); called with the current client, which runs it by
    EVALSHA and loads it again should Redis have lost it."""
    return Script(jobs.redis, _NOTE_CALL)


def note_call(
    line_id: int, hashed: str, call_sid: str, now: dt.datetime, window: dt.timedelta
) -> CallerMemory:
    """Count this call and read whom the caller last spoke to: one Redis round trip."""
    stamp = now.timestamp()
    try:
        count, raw, own = _note_call_script()(
            client=jobs.redis,
            keys=[
                _flood_key(line_id, hashed),
                _redial_key(line_id, hashed),
                callback_key(line_id, hashed),
            ],
            args=[stamp - HOUR.total_seconds(), stamp, call_sid, int(HOUR.total_seconds()) + 60],
        )
    except (RedisError, OSError) as exc:
        log.warning("caller memory unavailable (%s); no flood limit or redial", exc)
        return NOTHING
    own_call = int(own) if own and own.isdigit() else None
    return CallerMemory(int(count), _last_operator(raw, now, window), own_call)


def last_operator(line_id: int, hashed: str, now: dt.datetime, window: dt.timedelta) -> int | None:
    """Whom the caller last spoke to on the line within ``window`` (follow-up webhooks)."""
    try:
        raw = jobs.redis.get(_redial_key(line_id, hashed))
    except (RedisError, OSError) as exc:
        log.warning("caller memory unavailable (%s); routing a redial normally", exc)
        return None
    return _last_operator(raw, now, window)


def remember_operator(call: Call, window: dt.timedelta) -> None:
    """A bridged call ended: a redial within ``window`` rings its operator first."""
    if call.answered_by_id is None or call.ended_at is None or window <= dt.timedelta(0):
        return
    try:
        jobs.redis.set(
            _redial_key(call.line_id, call.caller_hash),
            f"{call.answered_by_id}:{call.ended_at.timestamp()}",
            ex=int(window.total_seconds()) + 60,
        )
    except (RedisError, OSError) as exc:
        log.warning("could not remember the operator of call %s (%s)", call.id, exc)


class VoiceCallHistory:
    """The voice hotline's :class:`hotline.core.blocks.CallHistory`."""

    def __init__(self, salt: str) -> None:
        self.withheld = withheld_hash(salt)

    def last_caller_hash(self, session: Session, operator_id: int, line_id: int) -> str | None:
        hashed = session.scalar(
            select(Call.caller_hash)
            .where(Call.answered_by_id == operator_id, Call.line_id == line_id)
            .order_by(Call.answered_at.desc(), Call.id.desc())
            .limit(1)
        )
        return None if hashed is None or hashed == self.withheld else hashed

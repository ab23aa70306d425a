"""Per-sender rate limits shared by every worker process: a true sliding window in Redis.

"At most N texts per second" has to hold where it matters, at the provider: whichever one-
second window of the times the provider *received* requests one looks at, it holds at most N
of them. Counting requests when they start is not enough, since a request that takes a while
to arrive lets the next window in early. So every send occupies its slot from the moment it
is granted until one window length after the provider *answered*:

* ``acquire`` grants a slot while fewer than N sends are in flight or finished within the
  last window, and records the send as in flight;
* ``complete`` (after the provider answered, success or error) moves it to the finished set,
  stamped with the time of the answer.

A request received by the provider lies between its grant and its answer, and the next send
that can take the slot is granted a full window after that answer, so no window of provider
receive times holds more than N. Both steps are Lua scripts on Redis' own clock (``TIME``),
so all processes agree on the time and see one another's sends atomically.

An in-flight entry of a worker that died mid-request expires after ``in_flight_seconds``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis

KEY_PREFIX = "rufbereit:rate:"

# Times are whole milliseconds of Redis' clock (Lua hands numbers to Redis with 14 significant
# digits: enough for milliseconds, not for microseconds). A grant reads the clock rounded
# down, a finished send is stamped rounded up, so a slot is never free early.
#
# KEYS: finished set, in-flight set. ARGV: window ms, limit, member, in-flight TTL ms.
# Returns 0 when granted, else ms until the oldest finished send leaves the window, or -1
# when every slot is taken by a send still in flight.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local used = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
if used < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]) + window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then
  return math.max(1, tonumber(oldest[2]) + window - now)
end
return -1
"""

# KEYS: finished set, in-flight set. ARGV: member, window ms.
_COMPLETE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.ceil(tonumber(t[2]) / 1000)
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
end
return 0
"""


@dataclass(frozen=True)
class Rate:
    """``limit`` sends per ``window`` seconds: N per second for N ≥ 1, and one per 1/r
    seconds for a rate r below one."""

    limit: int
    window: float

    @classmethod
    def per_second(cls, rate: float) -> Rate | None:
        """None for 0 (no limit)."""
        if rate <= 0:
            return None
        if rate >= 1:
            return cls(int(math.floor(rate)), 1.0)
        return cls(1, 1.0 / rate)


def _ms(seconds: float) -> int:
    return int(math.ceil(seconds * 1000))


class SlidingWindowLimiter:
    """Slots per name (e.g. ``sms:+4915799990000``), shared through Redis."""

    #: How long to wait before asking again while every slot is in flight.
    POLL_SECONDS = 0.02
    #: How often a wait asks whether it should give up for more urgent work.
    STEP_SECONDS = 0.02

    def __init__(
        self,
        redis: Redis,
        in_flight_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.in_flight_ms = int(in_flight_seconds * 1000)
        self.sleep = sleep
        self.clock = clock
        self._acquire = redis.register_script(_ACQUIRE)
        self._complete = redis.register_script(_COMPLETE)

    @staticmethod
    def _keys(name: str) -> list[str]:
        return [f"{KEY_PREFIX}{name}:done", f"{KEY_PREFIX}{name}:flight"]

    def try_acquire(self, name: str, rate: Rate, member: str) -> float:
        """Take a slot for ``member``: 0.0 when granted, otherwise seconds to wait."""
        result = int(
            self._acquire(
                keys=self._keys(name),
                args=[_ms(rate.window), rate.limit, member, self.in_flight_ms],
            )
        )
        if result == 0:
            return 0.0
        if result < 0:
            return self.POLL_SECONDS
        return result / 1000

    def acquire(
        self,
        name: str,
        rate: Rate,
        member: str,
        budget: float,
        interrupt: Callable[[], bool] | None = None,
    ) -> float:
        """Wait up to ``budget`` seconds for a slot: 0.0 when granted, otherwise how much
        longer the caller would have to wait (it should come back then, not hold on).

        ``interrupt`` is asked every :attr:`STEP_SECONDS` while waiting; when it says yes,
        the wait ends at once (more urgent work is waiting for this process)."""
        deadline = self.clock() + budget
        while True:
            wait = self.try_acquire(name, rate, member)
            if wait == 0.0:
                return 0.0
            left = deadline - self.clock()
            if wait > left:
                return wait
            if interrupt is None:
                self.sleep(wait)
                continue
            until = self.clock() + wait
            while (remaining := until - self.clock()) > 0:
                if interrupt():
                    return remaining
                self.sleep(min(self.STEP_SECONDS, remaining))

    def complete(self, name: str, rate: Rate, member: str) -> None:
        """The provider answered: the slot stays taken for one window from now."""
        self._complete(keys=self._keys(name), args=[member, _ms(rate.window)])

    def release(self, name: str, member: str) -> None:
        """Give a slot back unused (nothing was sent)."""
        self.redis.zrem(self._keys(name)[1], member)

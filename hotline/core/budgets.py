"""Budgets: how often the public may make the organisation pay (texts sent, accounts
hashed), counted in Redis so every gunicorn worker and every host shares one count.

Two mechanisms live here:

* :func:`spend` — hourly budgets for a public surface, per client address, per phone number
  and overall (moving windows from the ``limits`` library). A feature defines a
  :class:`Budget` naming the settings that hold its limits and calls :func:`spend` *before*
  it stores or sends anything; a spent budget raises :class:`BudgetSpent`, which the feature
  turns into its own 429 page. Only the public surfaces that cost money or invite abuse use
  it (the helper sign-up, organisation registration); nothing a caller on the hotline hears
  or is texted goes through a budget.
* :func:`daily_cap_reached` / :func:`note_sent` — a cap per kind of text and calendar day
  (``DAILY_TEXT_CAPS``) that the outbound pipeline checks, with an alert (an ERROR log line
  and the notifiers registered with :func:`on_daily_cap`) once per kind and day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from limits import RateLimitItemPerHour
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from hotline.core.extensions import jobs

log = logging.getLogger(__name__)

_EXTENSION = "rufbereit.budgets"
_NOTIFIERS = "rufbereit.daily_cap_notifiers"
#: Redis and network failures, as redis-py and ``limits`` raise them.
_UNAVAILABLE = (RedisError, OSError, StorageError)

#: ``(kind, cap) -> None``: told once per kind and day that the cap was reached.
DailyCapNotifier = Callable[[str, int], None]


class Scope(str, Enum):
    ADDRESS = "address"
    NUMBER = "number"
    OVERALL = "overall"


@dataclass(frozen=True)
class Budget:
    """What one public action may cost per hour. Each field names the config setting that
    holds the limit for that scope; a missing setting or ``0`` means no limit there."""

    name: str
    per_address: str | None = None
    per_number: str | None = None
    overall: str | None = None


class BudgetSpent(Exception):
    """The budget of ``scope`` is used up; ``retry_after`` seconds until it has room."""

    def __init__(self, budget: Budget, scope: Scope, retry_after: int) -> None:
        self.budget = budget
        self.scope = scope
        self.retry_after = retry_after
        super().__init__(f"budget {budget.name} spent ({scope.value})")


class BudgetUnavailable(Exception):
    """The count cannot be read (Redis is unreachable): the action must be refused."""


def client_address() -> str:
    """The address the budget is kept for: ``request.remote_addr``, which only
    ``PROXY_FIX_HOPS`` trusted proxies may rewrite (never a client's own
    ``X-Forwarded-For``). IPv6 addresses count per /64, the block one subscriber gets, so a
    client cannot escape by rotating through its own addresses."""
    raw = request.remote_addr or "-"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def spend(budget: Budget, *, address: str, number: str | None = None) -> None:
    """Take one from each scope of ``budget``, or raise without taking anything.

    Every scope is checked first, so a request refused by the overall budget does not use
    up a person's own; then each is taken atomically in Redis (a concurrent request may
    still win the last place, and then this one is refused: no scope ever exceeds its
    limit).

    Redis unreachable raises :class:`BudgetUnavailable` and the caller refuses: the public
    surfaces *fail closed*. Their budgets exist because each request costs money (a text)
    or CPU (a password hash) at an anonymous stranger's command; failing open would turn
    every Redis outage — or anything that makes Redis look unreachable — into unlimited
    SMS pumping. A volunteer who cannot sign up for a few minutes loses little; the callers
    on the hotline never depend on this.
    """
    checks = _checks(budget, address, number)
    if not checks:
        return
    try:
        limiter = _limiter(current_app)
        for scope, item, identity in checks:
            ids = (budget.name, scope.value, identity)
            if not limiter.test(item, *ids):
                raise BudgetSpent(budget, scope, _retry_after(limiter, item, *ids))
        for scope, item, identity in checks:
            ids = (budget.name, scope.value, identity)
            if not limiter.hit(item, *ids):
                raise BudgetSpent(budget, scope, _retry_after(limiter, item, *ids))
    except _UNAVAILABLE as exc:
        log.error("budget %s unavailable, refusing: %s", budget.name, exc)
        raise BudgetUnavailable(budget.name) from exc


def _checks(
    budget: Budget, address: str, number: str | None
) -> list[tuple[Scope, RateLimitItemPerHour, str]]:
    config = current_app.config
    wanted = [
        (Scope.ADDRESS, budget.per_address, address),
        (Scope.NUMBER, budget.per_number, _number_key(number) if number else None),
        (Scope.OVERALL, budget.overall, "all"),
    ]
    checks = []
    for scope, setting, identity in wanted:
        limit = int(config.get(setting) or 0) if setting else 0
        if limit > 0 and identity:
            checks.append((scope, RateLimitItemPerHour(limit), identity))
    return checks


def _number_key(number: str) -> str:
    """Numbers are kept in Redis only as a keyed hash: the budget needs to tell them apart,
    not to know them."""
    secret = str(current_app.config.get("SECRET_KEY") or "")
    return hmac.new(secret.encode(), number.encode(), hashlib.sha256).hexdigest()[:24]


def _retry_after(
    limiter: MovingWindowRateLimiter, item: RateLimitItemPerHour, *identifiers: str
) -> int:
    """Seconds until the oldest counted request leaves the window (for ``Retry-After``)."""
    try:
        stats = limiter.get_window_stats(item, *identifiers)
    except _UNAVAILABLE:
        return item.get_expiry()
    return max(1, math.ceil(stats.reset_time - time.time()))


def _limiter(app: Flask) -> MovingWindowRateLimiter:
    """One limiter per app, on the app's Redis connection pool (with its short, unretried
    timeouts: a slow Redis refuses quickly instead of holding the page)."""
    limiter = app.extensions.get(_EXTENSION)
    if limiter is None:
        storage = RedisStorage(
            "redis://",
            connection_pool=jobs.redis.connection_pool,
            key_prefix=f"{jobs.queue_name}-budgets",
            wrap_exceptions=True,
        )
        limiter = MovingWindowRateLimiter(storage)
        app.extensions[_EXTENSION] = limiter
    return limiter


# -- daily caps on texts ---------------------------------------------------------------------


def parse_daily_caps(raw: str | Mapping[str, int] | None) -> dict[str, int]:
    """``DAILY_TEXT_CAPS``: ``signup_code=500,offer=5000`` → ``{"signup_code": 500, …}``."""
    if isinstance(raw, Mapping):
        return {str(k): int(v) for k, v in raw.items()}
    caps: dict[str, int] = {}
    for part in (raw or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        kind, sep, value = part.partition("=")
        if not sep or not value.strip().isdigit():
            raise ValueError(f"DAILY_TEXT_CAPS entry {part!r} must look like signup_code=500")
        caps[kind.strip()] = int(value)
    return caps


def daily_cap(kind: str) -> int | None:
    """Texts of ``kind`` allowed per day, or None for no cap."""
    cap = parse_daily_caps(current_app.config.get("DAILY_TEXT_CAPS")).get(kind)
    return cap if cap and cap > 0 else None


def daily_cap_reached(kind: str, now: dt.datetime | None = None) -> bool:
    """Whether today's texts of ``kind`` have reached ``DAILY_TEXT_CAPS``; the first time
    it is, the coordinators are alerted (once per kind and day, across all processes).

    Fails *open* when Redis is unreachable (logged): this guards the provider bill behind
    the public surfaces, which already fail closed; holding back every offer to helpers
    because the counter is briefly unreadable would stop help for people waiting for it.
    """
    cap = daily_cap(kind)
    if cap is None:
        return False
    try:
        count = int(jobs.redis.get(_daily_key(kind, now)) or 0)
    except _UNAVAILABLE as exc:
        log.warning("daily cap of %s not readable, sending: %s", kind, exc)
        return False
    if count < cap:
        return False
    _alert_once(kind, cap, now)
    return True


def note_sent(kind: str, now: dt.datetime | None = None) -> int:
    """Count one text of ``kind`` as sent today; returns today's count (0 if unknown)."""
    cap = daily_cap(kind)
    key = _daily_key(kind, now)
    try:
        pipe = jobs.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, int(dt.timedelta(days=2).total_seconds()))
        count = int(pipe.execute()[0])
    except _UNAVAILABLE as exc:
        log.warning("could not count a sent %s: %s", kind, exc)
        return 0
    if cap is not None and count >= cap:
        _alert_once(kind, cap, now)
    return count


def on_daily_cap(notifier: DailyCapNotifier, app: Flask | None = None) -> None:
    """``notifier(kind, cap)`` runs once per kind and day when the cap is reached (e.g. a
    feature texting or mailing its coordinators)."""
    (app or current_app).extensions.setdefault(_NOTIFIERS, []).append(notifier)


def _today(now: dt.datetime | None) -> str:
    zone = ZoneInfo(current_app.config.get("DEFAULT_TIMEZONE") or "Europe/Berlin")
    return (now or dt.datetime.now(dt.UTC)).astimezone(zone).date().isoformat()


def _daily_key(kind: str, now: dt.datetime | None) -> str:
    return f"{jobs.queue_name}-budgets:daily:{kind}:{_today(now)}"


def _alert_once(kind: str, cap: int, now: dt.datetime | None) -> None:
    key = f"{jobs.queue_name}-budgets:daily-alert:{kind}:{_today(now)}"
    try:
        first = jobs.redis.set(key, "1", nx=True, ex=int(dt.timedelta(days=2).total_seconds()))
    except _UNAVAILABLE:
        first = True  # better a second alert than none
    if not first:
        return
    log.error("daily cap reached: %s texts of kind %s today; further ones are held", cap, kind)
    notifiers: list[DailyCapNotifier] = current_app.extensions.get(_NOTIFIERS, [])
    for notifier in notifiers:
        try:
            notifier(kind, cap)
        except Exception:  # an alert that fails must not stop the pipeline
            log.exception("daily cap notifier %r failed for %s", notifier, kind)


def next_local_day(now: dt.datetime | None = None) -> dt.datetime:
    """The start of the next local day (``DEFAULT_TIMEZONE``), when daily caps start again."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    local = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
    tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), zone)
    return tomorrow.astimezone(dt.UTC)

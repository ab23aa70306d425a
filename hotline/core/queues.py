"""Redis and the RQ queue, created lazily so a Redis outage never breaks a webhook."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from enum import Enum
from typing import Any

from flask import Flask
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry as RedisRetry
from rq import Queue, Retry

log = logging.getLogger(__name__)


class Priority(str, Enum):
    """The queues every worker serves, in this order: a worker takes bulk work only when no
    urgent or default job waits, and bulk jobs are short, so urgent work never waits behind
    a wave of texts."""

    #: Caller-facing: a queued caller's operator call-outs, voicemail notices.
    URGENT = "urgent"
    #: Everything else that a person is waiting for (replies, reminders, sweeps).
    DEFAULT = "default"
    #: Bulk texts: dispatch waves, sign-up codes.
    BULK = "bulk"


class Jobs:
    def __init__(self) -> None:
        self.url = ""
        self.queue_name = "rufbereit"
        self._redis: Redis | None = None
        self.is_async = True
        self.socket_timeout = 1.0

    def init_app(self, app: Flask) -> None:
        self.url = app.config["REDIS_URL"]
        self.queue_name = app.config["RQ_QUEUE"]
        self.is_async = app.config.get("RQ_ASYNC", True)
        self.socket_timeout = float(app.config.get("REDIS_SOCKET_TIMEOUT") or 1.0)
        self._redis = None
        app.extensions["rufbereit.jobs"] = self

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            if not self.url:
                raise RedisError("REDIS_URL is not set")
            # Short, unretried timeouts: a request that enqueues after its commit loses
            # nothing when Redis is slow or gone (the sweep re-enqueues), but it must not
            # keep a caller waiting. redis-py would otherwise retry a timeout many times.
            self._redis = Redis.from_url(
                self.url,
                socket_connect_timeout=self.socket_timeout,
                socket_timeout=self.socket_timeout,
                health_check_interval=30,
                retry=RedisRetry(NoBackoff(), 0),
            )
        return self._redis

    def queue_named(self, priority: Priority | str = Priority.DEFAULT) -> Queue:
        """The RQ queue of ``priority`` (``RQ_QUEUE`` is the prefix of every queue name)."""
        name = f"{self.queue_name}-{Priority(priority).value}"
        return Queue(name, connection=self.redis, is_async=self.is_async)

    @property
    def queue(self) -> Queue:
        return self.queue_named(Priority.DEFAULT)

    @property
    def queues(self) -> list[Queue]:
        """All queues, most urgent first (the order workers serve them in)."""
        return [self.queue_named(p) for p in Priority]

    def enqueue(
        self,
        func: Callable[..., Any] | str,
        *args: Any,
        job_id: str | None = None,
        delay: dt.timedelta | None = None,
        retry: Retry | None = None,
        priority: Priority | str = Priority.DEFAULT,
    ) -> bool:
        """Enqueue, returning False (and logging) instead of raising when Redis is down.

        Callers only enqueue work whose rows are committed, so a False here loses nothing:
        the outbox sweep picks the rows up once Redis is back.
        """
        try:
            queue = self.queue_named(priority)
            if delay is not None:
                queue.enqueue_in(delay, func, *args, job_id=job_id, retry=retry)
            else:
                queue.enqueue(func, *args, job_id=job_id, retry=retry)
            return True
        except (RedisError, OSError) as exc:
            log.warning(
                "could not enqueue %s (%s): %s", getattr(func, "__name__", func), job_id, exc
            )
            return False

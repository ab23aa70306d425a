"""Redis and the RQ queue, created lazily so a Redis outage never breaks a webhook."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry

log = logging.getLogger(__name__)


class Jobs:
    def __init__(self) -> None:
        self.url = ""
        self.queue_name = "rufbereit"
        self._redis: Redis | None = None
        self.is_async = True

    def init_app(self, app: Flask) -> None:
        self.url = app.config["REDIS_URL"]
        self.queue_name = app.config["RQ_QUEUE"]
        self.is_async = app.config.get("RQ_ASYNC", True)
        self._redis = None
        app.extensions["rufbereit.jobs"] = self

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            if not self.url:
                raise RedisError("REDIS_URL is not set")
            self._redis = Redis.from_url(
                self.url, socket_connect_timeout=1, socket_timeout=2, health_check_interval=30
            )
        return self._redis

    @property
    def queue(self) -> Queue:
        return Queue(self.queue_name, connection=self.redis, is_async=self.is_async)

    def enqueue(
        self,
        func: Callable[..., Any] | str,
        *args: Any,
        job_id: str | None = None,
        delay: dt.timedelta | None = None,
        retry: Retry | None = None,
    ) -> bool:
        """Enqueue, returning False (and logging) instead of raising when Redis is down.

        Callers only enqueue work whose rows are committed, so a False here loses nothing:
        the outbox sweep picks the rows up once Redis is back.
        """
        try:
            if delay is not None:
                self.queue.enqueue_in(delay, func, *args, job_id=job_id, retry=retry)
            else:
                self.queue.enqueue(func, *args, job_id=job_id, retry=retry)
            return True
        except (RedisError, OSError) as exc:
            log.warning(
                "could not enqueue %s (%s): %s", getattr(func, "__name__", func), job_id, exc
            )
            return False

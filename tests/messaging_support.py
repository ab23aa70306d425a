"""Real RQ workers and RQ's scheduler loop in threads, for tests of the message pipeline.

Workers are :class:`rq.SimpleWorker` (jobs run in the worker's thread) serving the app's
queues in the order production workers serve them (urgent, default, bulk). Signal handlers
and SIGALRM time limits only work in the main thread, so these workers install no handlers
and time jobs with a timer; they stop when asked, after the job they are running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from redis import Redis
from rq import SimpleWorker
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

from hotline.core.extensions import jobs

T = TypeVar("T")


class _ThreadWorker(SimpleWorker):
    #: Job time limits by a timer thread instead of SIGALRM (main thread only).
    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


class WorkerThread(threading.Thread):
    """A worker serving ``jobs.queues`` until :meth:`stop`."""

    def __init__(self, redis: Redis) -> None:
        super().__init__(daemon=True)
        self.redis = redis
        self._stop_event = threading.Event()
        self.worker: _ThreadWorker | None = None

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.worker = _ThreadWorker(jobs.queues, connection=self.redis)
            # Returns after a second without jobs, so a stop request is seen soon.
            self.worker.work(max_idle_time=1, logging_level="WARNING")

    def stop(self) -> None:
        self._stop_event.set()
        if self.worker is not None:
            self.worker._stop_requested = True
        self.join(timeout=10)
        assert not self.is_alive(), "worker thread did not stop"


class SchedulerThread(threading.Thread):
    """RQ's scheduler loop as a worker runs it (``with_scheduler``): every ``interval``
    seconds, jobs whose scheduled time has come move to their queues."""

    def __init__(self, redis: Redis, interval: int = 1) -> None:
        super().__init__(daemon=True)
        self.scheduler = RQScheduler(jobs.queues, connection=redis, interval=interval)
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        self.scheduler.acquire_locks()
        while not self._stop_event.is_set():
            self.scheduler.enqueue_scheduled_jobs()
            self._stop_event.wait(self.interval)
        self.scheduler.release_locks()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


@contextmanager
def running(*threads: threading.Thread) -> Iterator[None]:
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        for thread in threads:
            thread.stop()  # type: ignore[attr-defined]


def wait_for(condition: Callable[[], T], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something true, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)

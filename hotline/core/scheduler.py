"""Periodic jobs that cannot die, delayed jobs that are moved on time, and the worker.

Every ``rufbereit worker`` process runs a ticker thread next to RQ's work loop. There is no
leader: each ticker does the same two things, and Redis decides who acts.

* **Periodic jobs** (``registry.periodic``), every ``SCHEDULER_TICK_SECONDS``: a job whose
  slot key (``SET {RQ_QUEUE}:periodic:{name} NX PX interval``) is free, and which is neither
  waiting in its queue nor running, is enqueued under the fixed id ``periodic-{name}``. The
  job runs :func:`run_periodic`, which holds a lease (``…:running``, a redis-py lock of
  ``SCHEDULER_TAKEOVER_SECONDS``, refreshed while the run lasts) so no second copy starts.
  Nothing depends on an earlier run having succeeded or on a key surviving: after an
  exception, a ``FLUSHALL``, Redis restarted empty or the worker killed with SIGKILL (its
  lease expires), the next tick of any live worker enqueues the job again. At most one copy
  is queued or running; a run that is still going when its interval ends delays the next.
* **Delayed jobs** (``enqueue_in``: waves, retries, call-out rounds), every
  ``SCHEDULER_DELAYED_SECONDS``: the ticker that takes a short lock moves the due jobs of
  every queue's ``ScheduledJobRegistry`` to their queue, in one ``WATCH``/``MULTI``
  transaction per batch, so a job is moved exactly once even if two movers overlap, and a
  job cancelled meanwhile (``ScheduledJobRegistry.remove``) is not moved at all.

Why not RQ's own schedulers (rq 2.12): its ``RQScheduler`` (``work(with_scheduler=True)``)
holds ``rq:scheduler-lock:{queue}`` for ``interval + 60`` s and other workers only try to take
it over every ``DEFAULT_SCHEDULER_FALLBACK_PERIOD`` (120 s), so a SIGKILLed holder stalls
every delayed job for one to two minutes; its forked scheduler process also dies on a Redis
error until the worker's ten-minute maintenance restarts it, and its mover reads the due ids
outside the transaction that moves them (a job could be moved twice, or after it was
cancelled). Workers here therefore run without it and this ticker is the only mover. RQ's
``CronScheduler`` is a separate process without any lock (two of them enqueue every job
twice), gives each run a new job id and ends on the first Redis error.

Work that only ever existed in Redis is gone after a ``FLUSHALL``; the periodic sweeps
(outbox rows, dispatch waves due in the database, …) enqueue it again from the database.

The worker itself (:func:`run_worker`): RQ's forking worker, restarted in-process when Redis
drops it; SIGTERM (or SIGINT) lets the running job finish — the job's process ignores the
signal, so a platform that signals every process still gets a warm shutdown — then exits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from flask import Flask
from redis import Redis
from redis.exceptions import LockError, RedisError, WatchError
from redis.lock import Lock
from rq import Queue, Worker
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.utils import as_text, current_timestamp

from hotline.core.outbox import SWEEP_INTERVAL, sweep_outbox
from hotline.core.queues import Priority
from hotline.core.registry import PeriodicJob, Registry, registry
from hotline.core.replay import REPLAY_INTERVAL, replay_spooled_sms
from hotline.core.retention import PURGE_INTERVAL, purge_job
from hotline.core.worker import app_context

log = logging.getLogger(__name__)

#: Due delayed jobs moved per transaction.
MOVE_BATCH = 200
#: Attempts per batch when another client changed a scheduled registry meanwhile.
MOVE_ATTEMPTS = 5


def register_core_jobs(reg: Registry) -> None:
    reg.periodic("sweep-outbox", sweep_outbox, SWEEP_INTERVAL)
    reg.periodic("inbound-spool", replay_spooled_sms, REPLAY_INTERVAL)
    reg.periodic("purge-personal-data", purge_job, PURGE_INTERVAL)


# -- settings ---------------------------------------------------------------------------------


def parse_intervals(raw: str) -> dict[str, dt.timedelta]:
    """Parse ``SCHEDULER_INTERVALS``: ``sweep-outbox=30,dispatch-sweep=60`` (seconds)."""
    result: dict[str, dt.timedelta] = {}
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, seconds = part.partition("=")
        try:
            value = float(seconds)
        except ValueError:
            value = -1.0
        if not sep or not name.strip() or value <= 0:
            raise ValueError(f"SCHEDULER_INTERVALS entry {part!r} must look like sweep-outbox=30")
        result[name.strip()] = dt.timedelta(seconds=value)
    return result


@dataclass(frozen=True)
class SchedulerSettings:
    """How often the ticker looks, and how long a dead worker can hold anything up."""

    tick: float = 5.0
    delayed: float = 1.0
    takeover: float = 30.0
    intervals: Mapping[str, dt.timedelta] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SchedulerSettings:
        settings = cls(
            tick=float(config.get("SCHEDULER_TICK_SECONDS", cls.tick)),
            delayed=float(config.get("SCHEDULER_DELAYED_SECONDS", cls.delayed)),
            takeover=float(config.get("SCHEDULER_TAKEOVER_SECONDS", cls.takeover)),
            intervals=parse_intervals(config.get("SCHEDULER_INTERVALS", "") or ""),
        )
        for name in ("tick", "delayed", "takeover"):
            if getattr(settings, name) <= 0:
                raise ValueError(f"scheduler setting {name} must be positive")
        return settings

    def interval(self, job: PeriodicJob) -> dt.timedelta:
        return self.intervals.get(job.name, job.interval)


# -- keys -------------------------------------------------------------------------------------


def periodic_job_id(name: str) -> str:
    """The one RQ job id a periodic job ever has: a second copy cannot hide under another."""
    return f"periodic-{name}"


def slot_key(prefix: str, name: str) -> str:
    return f"{prefix}:periodic:{name}"


def running_key(prefix: str, name: str) -> str:
    return f"{prefix}:periodic:{name}:running"


def mover_key(prefix: str) -> str:
    return f"{prefix}:delayed-mover"


def _millis(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def scheduler_redis(app: Flask) -> Redis:
    """A client of the scheduler's own, with short timeouts: RQ's worker raises the socket
    timeout of its connection for blocking pops, and a tick must never wait that long."""
    url = app.config["REDIS_URL"]
    if not url:
        raise RedisError("REDIS_URL is not set")
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2, health_check_interval=30)


def queue_name(app: Flask, priority: Priority | str) -> str:
    """The name :class:`hotline.core.queues.Jobs` gives the queue of ``priority``."""
    return f"{app.config['RQ_QUEUE']}-{Priority(priority).value}"


def build_queues(app: Flask, conn: Redis) -> dict[Priority, Queue]:
    """Every queue the workers serve on ``conn``, most urgent first."""
    return {p: Queue(queue_name(app, p), connection=conn) for p in Priority}


# -- periodic jobs ----------------------------------------------------------------------------


def _busy(conn: Redis, queue: Queue, prefix: str, name: str) -> bool:
    """Waiting in its queue or running (a live lease). The queue itself is asked, not the job's
    status: a job popped by a worker that was killed before it started is in neither."""
    if conn.exists(running_key(prefix, name)):
        return True
    return queue.get_job_position(periodic_job_id(name)) is not None


def enqueue_due_periodic(
    app: Flask, queues: Mapping[Priority, Queue], settings: SchedulerSettings
) -> list[str]:
    """Enqueue every periodic job whose interval has passed and that is neither queued nor
    running; returns their names. Safe to call from any number of processes at once."""
    prefix = app.config["RQ_QUEUE"]
    enqueued = []
    for job in registry(app).periodic_jobs.values():
        queue = queues[Priority(job.queue)]
        conn = queue.connection
        if _busy(conn, queue, prefix, job.name):
            continue
        key = slot_key(prefix, job.name)
        if not conn.set(key, "1", nx=True, px=_millis(settings.interval(job).total_seconds())):
            continue
        try:
            queue.enqueue(
                run_periodic,
                job.name,
                job_id=periodic_job_id(job.name),
                description=f"periodic {job.name}",
            )
        except BaseException:
            # Give the slot back so the next tick tries again instead of waiting an interval.
            with contextlib.suppress(RedisError, OSError):
                conn.delete(key)
            raise
        enqueued.append(job.name)
    return enqueued


class _LeaseKeeper(threading.Thread):
    """Keeps a periodic run's lease alive while the run lasts; takes it again if Redis lost
    it (a flush), so a second copy still cannot start."""

    def __init__(self, lease: Lock, every: float) -> None:
        super().__init__(name="periodic-lease", daemon=True)
        self.lease = lease
        self.every = every
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            try:
                self.lease.reacquire()
            except LockError:
                with contextlib.suppress(LockError, RedisError, OSError):
                    self.lease.acquire(blocking=False)
            except (RedisError, OSError):
                pass  # Redis is away; the lease is refreshed on the next round

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=2)


def run_periodic(name: str) -> Any:
    """The RQ job of every periodic job: run the registered function under its lease."""
    with app_context() as app:
        job = registry(app).periodic_jobs.get(name)
        if job is None:
            return f"no periodic job {name!r} (removed since it was enqueued)"
        settings = SchedulerSettings.from_config(app.config)
        conn = scheduler_redis(app)
        lease = conn.lock(
            running_key(app.config["RQ_QUEUE"], name),
            timeout=settings.takeover,
            blocking=False,
            thread_local=False,
        )
        if not lease.acquire(blocking=False):
            return "already running on another worker"
        keeper = _LeaseKeeper(lease, settings.takeover / 3)
        keeper.start()
        try:
            return job.func()
        finally:
            keeper.stop()
            with contextlib.suppress(LockError, RedisError, OSError):
                lease.release()
            conn.close()


# -- delayed jobs -----------------------------------------------------------------------------


def _move_batch(conn: Redis, queue: Queue) -> int:
    """Move one batch of due jobs from the queue's scheduled registry to the queue, atomically:
    the registry is watched from reading the due ids to the ``EXEC`` that enqueues them and
    removes them, so a concurrent mover or a cancellation makes this attempt start over."""
    registry_key = ScheduledJobRegistry(queue=queue).key
    for _attempt in range(MOVE_ATTEMPTS):
        with conn.pipeline() as pipe:
            try:
                pipe.watch(registry_key)
                due = pipe.zrangebyscore(
                    registry_key, 0, current_timestamp(), start=0, num=MOVE_BATCH
                )
                ids = [as_text(i) for i in due]
                if not ids:
                    return 0
                found = [j for j in Job.fetch_many(ids, connection=conn) if j is not None]
                pipe.multi()
                for job in found:
                    # What RQ's own scheduler does with a due job (rq 2.12 RQScheduler).
                    queue._enqueue_job(job, pipeline=pipe, at_front=job.should_enqueue_at_front())
                pipe.zrem(registry_key, *ids)  # ids whose job is gone are dropped as well
                pipe.execute()
                return len(found)
            except WatchError:
                continue
    return 0


def move_due_delayed(queues: Mapping[Priority, Queue]) -> int:
    """Move every due delayed job of every queue; returns how many were moved."""
    moved = 0
    for queue in queues.values():
        while True:
            batch = _move_batch(queue.connection, queue)
            moved += batch
            if batch < MOVE_BATCH:
                break
    return moved


# -- the ticker -------------------------------------------------------------------------------


class Ticker:
    """The scheduling thread of one worker process.

    Each step moves due delayed jobs (when this process takes the short mover lock) and, every
    ``tick`` seconds, enqueues due periodic jobs. A failing step is logged once until a step
    succeeds again — a Redis outage is one warning and one "back" line, not one per tick.
    """

    def __init__(self, app: Flask, settings: SchedulerSettings | None = None) -> None:
        self.app = app
        self.settings = settings or SchedulerSettings.from_config(app.config)
        self.prefix = app.config["RQ_QUEUE"]
        self.token = uuid.uuid4().hex
        self._conn: Redis | None = None
        self._queues: dict[Priority, Queue] = {}
        self._next_periodic = 0.0
        self._failing: str | None = None
        unknown = set(self.settings.intervals) - set(registry(app).periodic_jobs)
        if unknown:
            log.warning("SCHEDULER_INTERVALS names no periodic job: %s", ", ".join(sorted(unknown)))

    @property
    def conn(self) -> Redis:
        if self._conn is None:
            self._conn = scheduler_redis(self.app)
            self._queues = build_queues(self.app, self._conn)
        return self._conn

    @property
    def queues(self) -> dict[Priority, Queue]:
        _ = self.conn
        return self._queues

    def move_delayed(self) -> int:
        """Move due delayed jobs if no other worker did so within the last period."""
        taken = self.conn.set(
            mover_key(self.prefix), self.token, nx=True, px=_millis(self.settings.delayed)
        )
        return move_due_delayed(self.queues) if taken else 0

    def step(self, now: float | None = None) -> list[str]:
        """One round; returns the periodic jobs enqueued. Raises what went wrong."""
        now = time.monotonic() if now is None else now
        self.move_delayed()
        if now < self._next_periodic:
            return []
        enqueued = enqueue_due_periodic(self.app, self.queues, self.settings)
        self._next_periodic = now + self.settings.tick
        if enqueued:
            log.debug("periodic jobs enqueued: %s", ", ".join(enqueued))
        return enqueued

    def safe_step(self, now: float | None = None) -> list[str]:
        """:meth:`step`, logging a failure once per streak instead of raising it."""
        try:
            enqueued = self.step(now)
        except (RedisError, OSError) as exc:
            if self._failing is None:
                log.warning("scheduler: Redis unavailable (%s); retrying until it is back", exc)
            self._failing = "redis"
            return []
        except Exception as exc:  # noqa: BLE001 - the ticker must outlive any single failure
            what = f"{type(exc).__name__}: {exc}"
            if self._failing != what:
                log.exception("scheduler: tick failed")
            self._failing = what
            return []
        if self._failing is not None:
            log.info("scheduler: running again")
            self._failing = None
        return enqueued

    def run(self, stop: threading.Event) -> None:
        period = min(self.settings.tick, self.settings.delayed)
        while True:
            self.safe_step()
            if stop.wait(period):
                break
        if self._conn is not None:
            self._conn.close()


# -- the worker -------------------------------------------------------------------------------


class RufbereitWorker(Worker):
    """RQ's forking worker that tells :func:`run_worker` about a stop request and whose job
    processes ignore SIGTERM as well as SIGINT: the worker decides when a job is cut short
    (a second signal: cold shutdown), so a SIGTERM sent to every process still lets the job
    finish."""

    def __init__(self, *args: Any, stopping: threading.Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = stopping

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()
        super().request_stop(signum, frame)

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()
        if self.stopping.is_set():  # the signal came while RQ's handlers were not yet in place
            self._stop_requested = True

    def setup_work_horse_signals(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _new_worker(app: Flask, stopping: threading.Event) -> RufbereitWorker:
    """A worker on a connection of its own: RQ raises that connection's socket timeout for
    its blocking pops, which must not reach the client jobs enqueue with."""
    conn = Redis.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=1, health_check_interval=30
    )
    return RufbereitWorker(
        list(build_queues(app, conn).values()), connection=conn, stopping=stopping
    )


def run_worker(app: Flask, burst: bool = False) -> None:
    """Serve every queue (urgent first) and keep the scheduler ticking until SIGTERM/SIGINT.

    With ``burst``: move the due delayed jobs and enqueue the due periodic jobs once, work
    until the queues are empty, then return (Redis errors are raised).
    """
    settings = SchedulerSettings.from_config(app.config)
    ticker = Ticker(app, settings)
    stopping = threading.Event()
    level = app.config.get("LOG_LEVEL", "INFO")
    if burst:
        ticker.step()
        _new_worker(app, stopping).work(burst=True, logging_level=level)
        return

    def stop_between_workers(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {s: signal.signal(s, stop_between_workers) for s in (signal.SIGTERM, signal.SIGINT)}
    thread = threading.Thread(target=ticker.run, args=(stopping,), name="scheduler", daemon=True)
    thread.start()
    redis_down = False
    try:
        while not stopping.is_set():
            try:
                _new_worker(app, stopping).work(logging_level=level)
                if not stopping.is_set():
                    log.warning("worker: RQ's work loop ended (see above); starting a new one")
                redis_down = False
            except (RedisError, OSError) as exc:
                if not redis_down:
                    log.warning(
                        "worker: Redis unavailable (%s); starting again when it is back", exc
                    )
                redis_down = True
            finally:
                for sig in previous:
                    signal.signal(sig, stop_between_workers)
            if not stopping.is_set():
                # RQ's loop ends on a Redis error it does not retry; start a new one shortly.
                stopping.wait(settings.tick)
    finally:
        stopping.set()
        thread.join(timeout=settings.tick + 5)
        for sig, handler in previous.items():
            signal.signal(sig, handler)

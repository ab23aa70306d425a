"""Periodic jobs that cannot die, and the worker that runs them.

Every worker process runs a ticker thread. At each tick, for every registered periodic job,
it tries to take that job's slot in Redis (``SET key NX PX interval``); whoever takes it
enqueues the job. Nothing depends on an earlier run having succeeded or on a key surviving:
an exception in a run, Redis restarted empty or a worker killed with SIGKILL only mean that
the next tick of any live worker enqueues the job again.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from redis.exceptions import RedisError
from rq import Worker

from hotline.core.extensions import jobs
from hotline.core.outbox import SWEEP_INTERVAL, sweep_outbox
from hotline.core.registry import Registry, registry
from hotline.core.replay import REPLAY_INTERVAL, replay_spooled_sms
from hotline.core.retention import PURGE_INTERVAL, purge_job

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0
KEY_PREFIX = "rufbereit:periodic:"


def register_core_jobs(reg: Registry) -> None:
    reg.periodic("sweep-outbox", sweep_outbox, SWEEP_INTERVAL)
    reg.periodic("inbound-spool", replay_spooled_sms, REPLAY_INTERVAL)
    reg.periodic("purge-personal-data", purge_job, PURGE_INTERVAL)


def tick(app: Flask) -> list[str]:
    """Enqueue every periodic job whose slot is free; returns the names enqueued."""
    enqueued = []
    for job in registry(app).periodic_jobs.values():
        key = f"{KEY_PREFIX}{job.name}"
        try:
            taken = jobs.redis.set(key, "1", nx=True, px=int(job.interval.total_seconds() * 1000))
        except (RedisError, OSError) as exc:
            log.warning("periodic jobs: Redis unavailable (%s)", exc)
            return enqueued
        if taken and jobs.enqueue(job.func, job_id=f"periodic-{job.name}", priority=job.queue):
            enqueued.append(job.name)
    return enqueued


def _ticker(app: Flask, stop: threading.Event) -> None:
    while not stop.wait(TICK_SECONDS):
        try:
            tick(app)
        except Exception:  # noqa: BLE001 - the ticker must outlive any single failure
            log.exception("periodic jobs: tick failed")


def run_worker(app: Flask, burst: bool = False) -> None:
    stop = threading.Event()
    if not burst:
        tick(app)
        threading.Thread(target=_ticker, args=(app, stop), daemon=True).start()
    worker = Worker(jobs.queues, connection=jobs.redis)
    try:
        worker.work(with_scheduler=True, burst=burst)
    finally:
        stop.set()

"""The app the scheduler tests run ``rufbereit worker`` with: the real app plus one periodic
job whose runs the test can watch, and plain jobs the tests enqueue.

``python -m tests.scheduler_app worker`` is ``rufbereit worker`` with :func:`create_test_app`
as the app factory. Every run pushes a JSON record onto a Redis list, so a test waits for the
next run with ``BLPOP`` and a deadline instead of sleeping:

* ``RUNS`` — the periodic job ``test-recorder`` (every ``SCHEDULER_TEST_INTERVAL`` seconds,
  default 1; on the urgent queue, so it runs before the sweeps a worker starts with),
  ``{"worker": pid, "outcome": ...}``. ``SCHEDULER_TEST_BEHAVIOUR`` picks what a
  run does: ``count`` (record ``ok``), ``fail-first`` (the first run records ``raised`` and
  raises), ``hold`` (record ``started``, wait for an item on ``RELEASE``, record ``finished``).
* ``DONE`` — the plain jobs :func:`record` and :func:`hold`.
"""

from __future__ import annotations

import datetime as dt
import json
import os

from flask import Flask, current_app
from redis import Redis

from hotline import cli, create_app
from hotline.core.registry import registry

RUNS = "test:periodic-runs"
CALLS = "test:periodic-calls"
DONE = "test:done"
RELEASE = "test:release"
#: The longest a held job waits for its release before it gives up.
HOLD_SECONDS = 30


def _redis() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"])


def _push(key: str, outcome: str) -> None:
    # The job runs in a process forked by the worker: its parent is the worker.
    _redis().rpush(key, json.dumps({"worker": os.getppid(), "outcome": outcome}))


def _hold(key: str) -> None:
    _push(key, "started")
    if _redis().blpop([RELEASE], timeout=HOLD_SECONDS) is None:
        _push(key, "not released")
        return
    _push(key, "finished")


def record_run() -> str:
    """The periodic job ``test-recorder``."""
    behaviour = os.environ.get("SCHEDULER_TEST_BEHAVIOUR", "count")
    if behaviour == "fail-first" and _redis().incr(CALLS) == 1:
        _push(RUNS, "raised")
        raise RuntimeError("the first run fails")
    if behaviour == "hold":
        _hold(RUNS)
        return "held"
    _push(RUNS, "ok")
    return "ok"


def record(tag: str) -> None:
    """A plain job: records ``tag``."""
    from hotline.core.worker import app_context

    with app_context():
        _push(DONE, tag)


def hold() -> None:
    """A plain job that runs until the test releases it."""
    from hotline.core.worker import app_context

    with app_context():
        _hold(DONE)


def create_test_app() -> Flask:
    app = create_app()
    interval = dt.timedelta(seconds=float(os.environ.get("SCHEDULER_TEST_INTERVAL", "1")))
    registry(app).periodic("test-recorder", record_run, interval, queue="urgent")
    return app


if __name__ == "__main__":
    cli.create_app = create_test_app  # the group and the worker's job processes use it
    cli.main()

"""Periodic work that cannot die, delayed jobs moved on time, and a worker that stops politely.

The first tests drive the scheduler in-process on the suite's Redis; the rest start real
``rufbereit worker`` processes on a private ``redis-server`` and break things under them:
an exception in a run, ``FLUSHALL``, Redis restarted empty, a worker SIGKILLed with or
without a job in its hands, SIGTERM. Runs are observed through Redis lists
(:mod:`tests.scheduler_app`), waited for with ``BLPOP`` and a deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from hotline.core import scheduler
from hotline.core.queues import Priority
from hotline.core.registry import registry
from hotline.core.scheduler import (
    SchedulerSettings,
    Ticker,
    parse_intervals,
    periodic_job_id,
    run_periodic,
    running_key,
    slot_key,
)
from tests.faults.processes import RedisServer, WorkerProcess, start_worker, worker_env
from tests.scheduler_app import DONE, RELEASE, RUNS

#: Settings of the test workers: everything a dead worker holds is free again within 2 s.
FAST = {
    "SCHEDULER_TICK_SECONDS": 0.1,
    "SCHEDULER_DELAYED_SECONDS": 0.1,
    "SCHEDULER_TAKEOVER_SECONDS": 2,
    "SCHEDULER_TEST_INTERVAL": 0.3,
}
#: The longest a test waits for something the workers must do within a few seconds; the
#: requirement is "within a minute", RQ's own scheduler lock alone would take 61-120 s.
DEADLINE = 20.0
TEST_APP = [sys.executable, "-m", "tests.scheduler_app", "worker"]


# -- in-process: the ticker's decisions ---------------------------------------------------------


def _noop() -> str:
    return "ran"


@pytest.fixture
def periodic_app(app):
    """The test app with one periodic job, ``probe``, every minute, and nothing else."""
    reg = registry(app)
    reg.periodic_jobs.clear()
    reg.periodic("probe", _noop, dt.timedelta(minutes=1))
    return app


def default_queue(app, redis: Redis) -> Queue:
    return Queue(f"{app.config['RQ_QUEUE']}-default", connection=redis)


def interval_passed(app, redis: Redis, name: str = "probe") -> None:
    """As if the job's interval had run out: its slot is free again."""
    redis.delete(slot_key(app.config["RQ_QUEUE"], name))


def test_a_due_periodic_job_is_enqueued_once_however_many_workers_tick(periodic_app, redis):
    tickers = [Ticker(periodic_app) for _ in range(3)]
    assert [t.step() for t in tickers] == [["probe"], [], []]
    assert default_queue(periodic_app, redis).job_ids == [periodic_job_id("probe")]


def test_a_periodic_job_still_in_its_queue_is_not_enqueued_again(periodic_app, redis):
    ticker = Ticker(periodic_app)
    ticker.step()
    interval_passed(periodic_app, redis)
    assert Ticker(periodic_app).step() == []
    assert default_queue(periodic_app, redis).job_ids == [periodic_job_id("probe")]


def test_a_periodic_job_is_enqueued_again_once_its_run_is_over_and_its_interval_passed(
    periodic_app, redis
):
    Ticker(periodic_app).step()
    SimpleWorker([default_queue(periodic_app, redis)], connection=redis).work(burst=True)
    assert Ticker(periodic_app).step() == []  # within its interval
    interval_passed(periodic_app, redis)
    assert Ticker(periodic_app).step() == ["probe"]


def test_a_running_periodic_job_is_not_enqueued_again(periodic_app, redis):
    seen: list[list[str]] = []

    def look_while_running() -> None:
        interval_passed(periodic_app, redis)
        seen.append(Ticker(periodic_app).step())

    registry(periodic_app).periodic("probe", look_while_running, dt.timedelta(minutes=1))
    run_periodic("probe")
    assert seen == [[]]
    assert not redis.exists(running_key(periodic_app.config["RQ_QUEUE"], "probe"))


def test_a_run_finds_the_lease_taken_and_leaves_the_work_to_the_other_run(periodic_app, redis):
    calls: list[str] = []
    registry(periodic_app).periodic("probe", lambda: calls.append("ran"), dt.timedelta(minutes=1))
    redis.set(running_key(periodic_app.config["RQ_QUEUE"], "probe"), "another worker", px=60_000)
    assert run_periodic("probe") == "already running on another worker"
    assert calls == []


def test_an_exception_in_a_run_releases_the_lease(periodic_app, redis):
    def fail() -> None:
        raise RuntimeError("boom")

    registry(periodic_app).periodic("probe", fail, dt.timedelta(minutes=1))
    with pytest.raises(RuntimeError):
        run_periodic("probe")
    interval_passed(periodic_app, redis)
    assert Ticker(periodic_app).step() == ["probe"]


def test_scheduler_intervals_override_the_registered_interval(periodic_app, redis):
    periodic_app.config["SCHEDULER_INTERVALS"] = "probe=2.5"
    Ticker(periodic_app).step()
    ttl = redis.pttl(slot_key(periodic_app.config["RQ_QUEUE"], "probe"))
    assert 0 < ttl <= 2500


@pytest.mark.parametrize("raw", ["probe", "probe=", "=5", "probe=0", "probe=soon"])
def test_scheduler_intervals_reject_entries_without_a_positive_number(raw):
    with pytest.raises(ValueError, match="SCHEDULER_INTERVALS"):
        parse_intervals(raw)


def test_a_zero_tick_is_refused():
    with pytest.raises(ValueError, match="tick"):
        SchedulerSettings.from_config({"SCHEDULER_TICK_SECONDS": 0})


def schedule(app, redis: Redis, job_id: str, at: dt.datetime) -> Job:
    return default_queue(app, redis).enqueue_at(
        at, "tests.scheduler_app.record", job_id, job_id=job_id
    )


def test_due_delayed_jobs_are_moved_to_their_queue_and_later_ones_wait(periodic_app, redis):
    now = dt.datetime.now(dt.UTC)
    schedule(periodic_app, redis, "due", now - dt.timedelta(seconds=5))
    schedule(periodic_app, redis, "later", now + dt.timedelta(hours=1))
    Ticker(periodic_app).move_delayed()
    queue = default_queue(periodic_app, redis)
    assert queue.job_ids == ["due"]
    assert Job.fetch("due", connection=redis).get_status() == "queued"
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == ["later"]


def test_only_one_worker_moves_delayed_jobs_per_period(periodic_app, redis):
    schedule(periodic_app, redis, "due", dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
    first, second = Ticker(periodic_app), Ticker(periodic_app)
    assert first.move_delayed() == 1
    schedule(periodic_app, redis, "due-too", dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
    assert second.move_delayed() == 0  # the first worker's period is not over
    redis.delete(scheduler.mover_key(periodic_app.config["RQ_QUEUE"]))
    assert second.move_delayed() == 1


def _interleave(monkeypatch, during_read: Callable[[], None]) -> None:
    """Run ``during_read`` once, between the mover reading the due jobs and moving them."""
    fetch_many = Job.fetch_many
    pending = [during_read]

    def fetch_and_interleave(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if pending:
            pending.pop()()
        return fetch_many(*args, **kwargs)

    monkeypatch.setattr(Job, "fetch_many", fetch_and_interleave)


def test_a_delayed_job_two_movers_reach_at_once_is_queued_once(periodic_app, redis, monkeypatch):
    schedule(periodic_app, redis, "due", dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
    queue = default_queue(periodic_app, redis)
    elsewhere = Queue(queue.name, connection=Redis.from_url(periodic_app.config["REDIS_URL"]))
    _interleave(monkeypatch, lambda: scheduler.move_due_delayed({Priority.DEFAULT: elsewhere}))
    scheduler.move_due_delayed({Priority.DEFAULT: queue})
    assert queue.job_ids == ["due"]


def test_a_delayed_job_cancelled_while_the_mover_reads_it_is_not_queued(
    periodic_app, redis, monkeypatch
):
    schedule(periodic_app, redis, "due", dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
    queue = default_queue(periodic_app, redis)
    _interleave(monkeypatch, lambda: ScheduledJobRegistry(queue=queue).remove("due"))
    assert scheduler.move_due_delayed({Priority.DEFAULT: queue}) == 0
    assert queue.job_ids == []


def test_the_ticker_logs_a_redis_outage_once_and_resumes_when_it_is_back(periodic_app, caplog):
    with RedisServer() as server:
        periodic_app.config["REDIS_URL"] = server.url()
        ticker = Ticker(periodic_app)
        assert ticker.safe_step() == ["probe"]
        server.kill()
        with caplog.at_level(logging.INFO, logger="hotline.core.scheduler"):
            later = time.monotonic() + 3600  # every step is one where periodic jobs are due
            for _ in range(5):
                assert ticker.safe_step(later) == []
            server.start()
            assert ticker.safe_step(later) == ["probe"]  # an empty Redis: the slot is free
        messages = [r.getMessage() for r in caplog.records]
    assert sum("Redis unavailable" in m for m in messages) == 1
    assert sum("running again" in m for m in messages) == 1


# -- real workers on a private Redis ------------------------------------------------------------


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def private_redis(redis_server: RedisServer) -> Iterator[Redis]:
    # A socket timeout longer than any BLPOP of the tests, which must wait out their deadline.
    client = Redis.from_url(redis_server.url(), socket_timeout=DEADLINE + 10)
    yield client
    client.close()


@pytest.fixture
def spawn(engine, database_url, redis_server, tmp_path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start workers on the private Redis (``spawn(behaviour=..., command=...)``); every one
    is stopped at the end, and their logs are printed when the test fails."""
    started: list[WorkerProcess] = []

    def start(*args: str, behaviour: str = "count", command: list[str] | None = None, **env):  # noqa: ANN003, ANN202
        settings = {**FAST, "SCHEDULER_TEST_BEHAVIOUR": behaviour, **env}
        worker = start_worker(
            worker_env(database_url, redis_server.url(), **settings),
            *args,
            command=command or TEST_APP,
            log_path=tmp_path / f"worker-{len(started) + 1}.log",
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()
    for worker in started:
        print(f"--- worker {worker.pid} ---\n{worker.output()}")


def next_record(redis: Redis, key: str = RUNS, timeout: float = DEADLINE) -> dict:
    item = redis.blpop([key], timeout=timeout)
    assert item is not None, f"nothing on {key} within {timeout} s"
    return json.loads(item[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Poll ``condition`` until it holds or the deadline passes."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        pause.wait(0.05)


def test_a_periodic_job_runs_again_after_a_run_raised(spawn, private_redis):
    spawn(behaviour="fail-first")
    assert next_record(private_redis)["outcome"] == "raised"
    assert next_record(private_redis)["outcome"] == "ok"


def test_periodic_jobs_keep_running_after_flushall(spawn, private_redis):
    spawn()
    next_record(private_redis)
    private_redis.flushall()
    # Two runs after the flush: at most one can have been under way when it happened.
    assert [next_record(private_redis)["outcome"] for _ in range(2)] == ["ok", "ok"]


def test_periodic_jobs_keep_running_after_redis_was_down_and_came_back_empty(
    spawn, private_redis, redis_server
):
    worker = spawn()
    next_record(private_redis)
    redis_server.kill()
    wait_for(lambda: "scheduler: Redis unavailable" in worker.output(), "the worker notices")
    redis_server.start()
    assert [next_record(private_redis)["outcome"] for _ in range(2)] == ["ok", "ok"]
    assert worker.output().count("scheduler: Redis unavailable") == 1


def test_another_worker_takes_over_the_periodic_jobs_of_a_killed_worker(spawn, private_redis):
    first = spawn()
    assert next_record(private_redis)["worker"] == first.pid
    second = spawn()
    first.kill()
    private_redis.delete(RUNS)
    assert [next_record(private_redis)["worker"] for _ in range(2)] == [second.pid] * 2


def test_a_periodic_job_killed_mid_run_runs_again_on_another_worker_but_never_twice_at_once(
    spawn, private_redis
):
    first = spawn(behaviour="hold")
    assert next_record(private_redis) == {"worker": first.pid, "outcome": "started"}
    second = spawn(behaviour="hold")
    wait_for(lambda: "Listening on" in second.output(), "the second worker is up")
    assert private_redis.llen(RUNS) == 0  # no second copy while the first one runs
    first.kill()
    assert next_record(private_redis) == {"worker": second.pid, "outcome": "started"}
    private_redis.rpush(RELEASE, "go")
    assert next_record(private_redis) == {"worker": second.pid, "outcome": "finished"}


def test_a_delayed_job_is_run_on_time_after_the_worker_that_scheduled_it_is_killed(
    spawn, private_redis
):
    first = spawn()
    assert next_record(private_redis)["worker"] == first.pid
    second = spawn()
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    queue = Queue("rufbereit-default", connection=private_redis)
    queue.enqueue_at(due, "tests.scheduler_app.record", "delayed", job_id="delayed")
    first.kill()
    record = next_record(private_redis, DONE)
    assert record == {"worker": second.pid, "outcome": "delayed"}
    assert dt.datetime.now(dt.UTC) >= due.replace(microsecond=0)  # RQ schedules by the second


# -- the worker command (the Procfile's ``rufbereit worker``) ---------------------------------------


def test_sigterm_to_every_process_lets_the_running_job_finish_and_starts_no_other(
    spawn, private_redis
):
    queue = Queue("rufbereit-default", connection=private_redis)
    queue.enqueue("tests.scheduler_app.hold", job_id="held")
    queue.enqueue("tests.scheduler_app.record", "next", job_id="next")
    worker = spawn(command=[str(Path(sys.executable).with_name("rufbereit")), "worker"])
    assert next_record(private_redis, DONE)["outcome"] == "started"
    worker.terminate(every_process=True)
    wait_for(lambda: "warm shut down requested" in worker.output(), "the worker got SIGTERM")
    private_redis.rpush(RELEASE, "go")
    assert next_record(private_redis, DONE)["outcome"] == "finished"
    assert worker.wait(DEADLINE) == 0
    assert "next" in queue.job_ids and private_redis.llen(DONE) == 0


def test_burst_runs_queued_due_and_periodic_jobs_then_exits(spawn, private_redis):
    queue = Queue("rufbereit-default", connection=private_redis)
    queue.enqueue("tests.scheduler_app.record", "queued")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    queue.enqueue_at(past, "tests.scheduler_app.record", "due")
    later = queue.enqueue_in(dt.timedelta(hours=1), "tests.scheduler_app.record", "later")
    worker = spawn("--burst", command=[str(Path(sys.executable).with_name("rufbereit")), "worker"])
    assert worker.wait(60) == 0, worker.output()
    done = [json.loads(item)["outcome"] for item in private_redis.lrange(DONE, 0, -1)]
    assert sorted(done) == ["due", "queued"]
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [later.id]
    sweep = Job.fetch(periodic_job_id("sweep-outbox"), connection=private_redis)
    assert sweep.get_status() == "finished"

"""The sliding-window rate limit in Redis: a send holds its slot from its grant until one
window after the provider answered."""

from __future__ import annotations

import time

import pytest

from hotline.core.ratelimit import Rate, SlidingWindowLimiter

SENDER = "sms:+4915799990000"


class Waited(Exception):
    pass


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def limiter(redis, waits) -> SlidingWindowLimiter:
    def sleep(seconds: float) -> None:
        waits.append(seconds)
        raise Waited

    return SlidingWindowLimiter(redis, sleep=sleep)


def test_rates_below_one_per_second_mean_one_send_per_longer_window():
    assert Rate.per_second(20) == Rate(20, 1.0)
    assert Rate.per_second(2.5) == Rate(2, 1.0)
    assert Rate.per_second(0.5) == Rate(1, 2.0)
    assert Rate.per_second(0) is None


def test_the_rate_is_granted_at_once_and_the_next_send_waits(limiter, waits):
    rate = Rate(3, 60.0)
    for n in range(3):
        assert limiter.acquire(SENDER, rate, f"m{n}", budget=1.0) == 0.0
    assert limiter.try_acquire(SENDER, rate, "m3") > 0
    assert waits == []


def test_a_finished_send_keeps_its_slot_for_a_window_after_the_answer(limiter):
    rate = Rate(1, 60.0)
    assert limiter.try_acquire(SENDER, rate, "first") == 0.0
    limiter.complete(SENDER, rate, "first")
    wait = limiter.try_acquire(SENDER, rate, "second")
    assert 59.0 < wait <= 60.002  # whole milliseconds, rounded towards waiting longer


def test_a_send_in_flight_holds_its_slot_until_it_is_answered(limiter):
    rate = Rate(1, 0.001)  # a one-millisecond window: only the flight itself holds the slot
    assert limiter.try_acquire(SENDER, rate, "first") == 0.0
    assert limiter.try_acquire(SENDER, rate, "second") == SlidingWindowLimiter.POLL_SECONDS
    limiter.release(SENDER, "first")  # nothing was sent after all
    assert limiter.try_acquire(SENDER, rate, "second") == 0.0


def test_a_wait_longer_than_the_budget_is_not_waited_for(limiter, waits):
    rate = Rate(1, 60.0)
    limiter.try_acquire(SENDER, rate, "first")
    limiter.complete(SENDER, rate, "first")
    assert limiter.acquire(SENDER, rate, "second", budget=1.0) > 59.0
    assert waits == []  # the caller comes back later instead


def test_a_short_wait_is_waited_for(limiter, waits):
    rate = Rate(1, 0.5)
    limiter.try_acquire(SENDER, rate, "first")
    limiter.complete(SENDER, rate, "first")
    with pytest.raises(Waited):
        limiter.acquire(SENDER, rate, "second", budget=1.0)
    assert 0 < waits[0] <= 0.502


def test_a_wait_ends_when_more_urgent_work_comes(redis):
    limiter = SlidingWindowLimiter(redis, sleep=lambda s: None)
    rate = Rate(1, 0.9)
    limiter.try_acquire(SENDER, rate, "first")
    limiter.complete(SENDER, rate, "first")
    wait = limiter.acquire(SENDER, rate, "second", budget=1.0, interrupt=lambda: True)
    assert 0 < wait <= 0.902


def test_each_sender_has_its_own_slots(limiter):
    rate = Rate(1, 60.0)
    assert limiter.try_acquire(SENDER, rate, "a") == 0.0
    assert limiter.try_acquire("sms:+4930120000", rate, "b") == 0.0
    assert limiter.try_acquire("call:+4915799990000", rate, "c") == 0.0


def test_a_send_whose_worker_died_frees_its_slot_after_the_flight_limit(redis):
    limiter = SlidingWindowLimiter(redis, in_flight_seconds=0.001)
    rate = Rate(1, 60.0)
    assert limiter.try_acquire(SENDER, rate, "lost") == 0.0  # never completed
    end = time.monotonic() + 1.0
    while limiter.try_acquire(SENDER, rate, "next") != 0.0:  # free one ms after the grant
        assert time.monotonic() < end, "the lost send never freed its slot"

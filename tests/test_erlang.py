"""Erlang C: the probability of waiting, the service level, and the operators an hour needs."""

from __future__ import annotations

import heapq
import math
import random
import statistics
from fractions import Fraction

import pytest

from hotline.rosters.erlang import (
    ServiceTarget,
    erlang_c,
    operators_needed,
    service_level,
)


def exact_erlang_c(n: int, a: Fraction) -> Fraction:
    """C(N, A) straight from the textbook formula, in exact rational arithmetic:
    ``(A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A))``."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


@pytest.mark.parametrize(
    ("operators", "traffic", "published"),
    [
        # Wolfram Language documentation, ErlangC, basic example: c = 3, a = 2 → 4/9.
        (3, 2.0, 0.444),
        # M/M/2 textbook case (Kleinrock, Queueing Systems I, §3.5): ρ = 1/2 → C = 1/3.
        (2, 1.0, 0.333),
        # Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example":
        # 200 calls/h, 180 s → A = 10; N = 11 → Pw = 68.21 %, N = 14 → 17.41 %.
        (11, 10.0, 0.682),
        (14, 10.0, 0.174),
        # Westbay Engineers, "The Erlang-C formula" worked example: 360 calls per half hour,
        # 4 minutes each (A = 48), 55 agents → probability of waiting 23.87 %.
        (55, 48.0, 0.239),
    ],
)
def test_probability_of_waiting_matches_published_tables(operators, traffic, published):
    """Sources as listed beside each case; values rounded to 3 decimals as published."""
    assert round(erlang_c(operators, traffic), 3) == published


@pytest.mark.parametrize(
    ("operators", "traffic"),
    [(1, Fraction(1, 2)), (3, Fraction(2)), (7, Fraction(9, 2)), (30, Fraction(25)), (60, 55)],
)
def test_probability_of_waiting_agrees_with_exact_rational_arithmetic(operators, traffic):
    exact = exact_erlang_c(operators, Fraction(traffic))
    assert erlang_c(operators, float(traffic)) == pytest.approx(float(exact), rel=1e-12)


def test_no_calls_need_no_operators_and_nobody_waits():
    assert operators_needed(0, 180) == 0
    assert erlang_c(0, 0.0) == 0.0
    assert service_level(0, 0, 180, 20) == 1.0


def test_as_many_operators_as_erlangs_is_not_enough():
    """N ≤ A: the queue grows without bound, every caller waits."""
    assert erlang_c(10, 10.0) == 1.0
    assert service_level(10, 200, 180, 20) == 0.0
    assert operators_needed(200, 180) > 10


def test_the_worked_example_needs_fourteen_operators_for_80_percent_in_20_seconds():
    """Call Centre Helper's example: 13 operators answer 79.6 % within 20 s, 14 answer 88.8 %."""
    assert round(service_level(13, 200, 180, 20), 3) == 0.796
    assert round(service_level(14, 200, 180, 20), 3) == 0.888
    assert operators_needed(200, 180, ServiceTarget(0.8, 20)) == 14


def test_a_stricter_target_needs_more_operators():
    assert operators_needed(200, 180, ServiceTarget(0.9, 20)) == 15
    assert operators_needed(200, 180, ServiceTarget(0.8, 60)) < 14


def test_large_traffic_stays_finite_and_close_to_the_square_root_rule():
    """A = 2000 Erlang: A**N / N! overflows a float, the recursion does not. Square-root
    staffing (Halfin–Whitt) puts the answer a few √A above A."""
    needed = operators_needed(24_000, 300)  # A = 2000
    assert 2000 < needed < 2000 + 3 * math.sqrt(2000)
    assert 0 < erlang_c(needed, 2000.0) < 1


def simulate_service_level(
    arrivals_per_hour: float,
    handling_seconds: float,
    operators: int,
    within_seconds: float,
    calls: int,
    seed: int,
) -> tuple[float, float]:
    """Share of callers answered within ``within_seconds`` in a simulated M/M/N queue (FCFS),
    with the half-width of its 95 % confidence interval from 40 batch means (waits of
    consecutive callers are correlated, so the batches, not the callers, are the samples)."""
    rng = random.Random(seed)
    free_at = [0.0] * operators  # when each operator is next free
    now = 0.0
    warm_up = calls // 20
    answered_in_time: list[bool] = []
    for i in range(calls + warm_up):
        now += rng.expovariate(arrivals_per_hour / 3600.0)
        earliest = heapq.heappop(free_at)
        start = max(now, earliest)
        heapq.heappush(free_at, start + rng.expovariate(1.0 / handling_seconds))
        if i >= warm_up:
            answered_in_time.append(start - now <= within_seconds)
    batches = 40
    size = calls // batches
    means = [sum(answered_in_time[b * size : (b + 1) * size]) / size for b in range(batches)]
    half_width = 1.96 * statistics.stdev(means) / math.sqrt(batches)
    return statistics.fmean(means), half_width


def test_the_service_level_agrees_with_a_simulated_queue():
    """The same hour (60 calls/h, 6 minutes each: A = 6 Erlang, 8 operators, 20 s target)
    simulated for 400 000 calls with a fixed seed: Erlang's prediction lies inside the
    simulation's 95 % confidence interval, and that interval is narrow."""
    predicted = service_level(8, 60, 360, 20)
    simulated, half_width = simulate_service_level(60, 360, 8, 20, calls=400_000, seed=20261202)
    assert half_width < 0.01
    assert simulated - half_width <= predicted <= simulated + half_width

"""Erlang C: how many operators an hour needs so that enough callers are answered quickly.

The hotline is modelled as an M/M/N queue: calls arrive at random (Poisson, rate λ per
hour), take an exponentially distributed time to handle (mean ``handling_seconds``), and
wait in one first-come-first-served queue for any of N operators. With offered traffic
A = λ · handling time (in Erlang),

* C(N, A), the probability that a caller has to wait at all, is Erlang's C formula, and
* the service level, the share answered within ``t`` seconds, is
  ``1 − C(N, A) · exp(−(N − A) · t / handling_seconds)``.

C is computed from the Erlang B recursion ``B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1))``
and ``C = N·B / (N − A·(1 − B))``: no factorials or powers, so it stays exact to rounding
for hundreds of operators, where ``A**N / N!`` would overflow a float.

Pure functions, no I/O: the rosters feed them the demand the voice hotline recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Searching beyond this many operators means the inputs are not a hotline's.
MAX_OPERATORS = 10_000


@dataclass(frozen=True)
class ServiceTarget:
    """ "``share`` of callers answered within ``seconds``" (the usual 80 % within 20 s)."""

    share: float = 0.8
    seconds: float = 20.0


def traffic(arrivals_per_hour: float, handling_seconds: float) -> float:
    """Offered traffic in Erlang: the average number of operators busy with calls."""
    if arrivals_per_hour < 0 or handling_seconds < 0:
        raise ValueError("arrival rate and handling time must not be negative")
    return arrivals_per_hour * handling_seconds / 3600.0


def erlang_b(operators: int, traffic_erlang: float) -> float:
    """Probability that all ``operators`` are busy if callers who find them busy are lost."""
    if operators < 0 or traffic_erlang < 0:
        raise ValueError("operators and traffic must not be negative")
    b = 1.0
    for n in range(1, operators + 1):
        b = traffic_erlang * b / (n + traffic_erlang * b)
    return b


def erlang_c(operators: int, traffic_erlang: float) -> float:
    """Probability that a caller has to wait; 1.0 when the queue is unstable (N ≤ A), since
    the queue then grows without bound and almost every caller waits."""
    if traffic_erlang == 0:
        return 0.0
    if operators <= traffic_erlang:
        return 1.0
    b = erlang_b(operators, traffic_erlang)
    return _c_from_b(operators, traffic_erlang, b)


def _c_from_b(operators: int, traffic_erlang: float, b: float) -> float:
    return operators * b / (operators - traffic_erlang * (1.0 - b))


def service_level(
    operators: int, arrivals_per_hour: float, handling_seconds: float, within_seconds: float
) -> float:
    """Share of callers answered within ``within_seconds`` (0.0 when N ≤ A: unstable)."""
    a = traffic(arrivals_per_hour, handling_seconds)
    if a == 0:
        return 1.0
    if operators <= a:
        return 0.0
    c = erlang_c(operators, a)
    return _level(operators, a, c, handling_seconds, within_seconds)


def _level(operators: int, a: float, c: float, handling_seconds: float, within: float) -> float:
    return max(0.0, 1.0 - c * math.exp(-(operators - a) * within / handling_seconds))


def operators_needed(
    arrivals_per_hour: float,
    handling_seconds: float,
    target: ServiceTarget | None = None,
) -> int:
    """The fewest operators with which the hour meets ``target``; 0 when no calls arrive.

    Walks N upwards from the first stable count (the smallest integer above A), carrying
    the Erlang B recursion along, so a large A costs O(N) in total.
    """
    target = target or ServiceTarget()
    if not 0 <= target.share < 1:
        raise ValueError("the target share must be at least 0 and below 1")
    a = traffic(arrivals_per_hour, handling_seconds)
    if a == 0:
        return 0
    n = math.floor(a) + 1
    b = erlang_b(n, a)
    while n <= MAX_OPERATORS:
        c = _c_from_b(n, a, b)
        if _level(n, a, c, handling_seconds, target.seconds) >= target.share:
            return n
        n += 1
        b = a * b / (n + a * b)
    raise ValueError(f"more than {MAX_OPERATORS} operators would be needed")

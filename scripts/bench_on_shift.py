#!/usr/bin/env python3
"""Benchmark of "who is on shift now" (``hotline.shifts.on_shift``) with ad-hoc availability.

``on_shift`` answers every routed call. Since operators can text ``AN``/``ON`` it also looks
at the availability table; this measures what that costs against the shifts-only query it
replaced (the baseline), on a database with many shifts and availability rows spread over
years, and prints the query plans so the index use can be checked.

By default it runs on a temporary SQLite file; pass ``--database-url`` for PostgreSQL (the
schema there is dropped and rebuilt, so use a scratch database).

Usage::

    .venv/bin/python scripts/bench_on_shift.py
    .venv/bin/python scripts/bench_on_shift.py --shifts 1000000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/rufbereit_bench_rosters
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from hotline.core.db import make_engine  # noqa: E402
from hotline.core.migrations import upgrade  # noqa: E402
from hotline.core.oncall.models import (  # noqa: E402
    Availability,  # noqa: E402
    Line,
    Operator,
    OperatorStatus,
    Shift,
)
from hotline.core.oncall.shifts import MAX_SHIFT_HOURS, on_shift  # noqa: E402

UTC = dt.UTC
START = dt.datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 3 * 365


def baseline(session: Session, line_id: int, at: dt.datetime) -> list[Operator]:
    """The shifts-only query on_shift used before availability existed."""
    earliest = at - dt.timedelta(hours=MAX_SHIFT_HOURS)
    stmt = (
        select(Operator)
        .join(Shift, Shift.operator_id == Operator.id)
        .where(
            Shift.line_id == line_id,
            Shift.starts_at > earliest,
            Shift.starts_at <= at,
            Shift.ends_at > at,
            Operator.status == OperatorStatus.ACTIVE,
        )
        .distinct()
    )
    return list(session.scalars(stmt))


def seed(engine, lines: int, operators: int, shifts: int, availabilities: int) -> None:  # noqa: ANN001
    rng = random.Random(7)
    with engine.begin() as conn:
        conn.execute(
            insert(Line),
            [
                {
                    "number": f"+4930{100000 + i}",
                    "name": f"Line {i}",
                    "flow": "heimweg",
                    "timezone": "Europe/Berlin",
                    "ring_strategy": "simultaneous",
                    "ring_timeout": 20,
                    "show_caller_number": False,
                    "queue_timeout": 180,
                    "active": True,
                    "created_at": START,
                }
                for i in range(lines)
            ],
        )
        conn.execute(
            insert(Operator),
            [
                {
                    "name": f"Op {i}",
                    "phone_number": f"+49151{i:08d}",
                    "language_codes": "de",
                    "status": "active",
                    "created_at": START,
                }
                for i in range(operators)
            ],
        )
        batch = []
        for _ in range(shifts):
            start = START + dt.timedelta(hours=rng.randrange(SPAN_DAYS * 24))
            end = start + dt.timedelta(hours=rng.choice((3, 4, 6, 8)))
            local = (start + dt.timedelta(hours=1)).replace(tzinfo=None)
            batch.append(
                {
                    "operator_id": rng.randrange(operators) + 1,
                    "line_id": rng.randrange(lines) + 1,
                    "local_start": local,
                    "local_end": local + (end - start),
                    "timezone": "Europe/Berlin",
                    "starts_at": start,
                    "ends_at": end,
                    "created_at": START,
                }
            )
            if len(batch) == 20000:
                conn.execute(insert(Shift), batch)
                batch = []
        if batch:
            conn.execute(insert(Shift), batch)
        avail = []
        for _ in range(availabilities):
            start = START + dt.timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
            avail.append(
                {
                    "operator_id": rng.randrange(operators) + 1,
                    "line_id": rng.randrange(lines) + 1,
                    "started_at": start,
                    "until": start + dt.timedelta(hours=4),
                }
            )
        conn.execute(insert(Availability), avail)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


def measure(fn, engine, probes) -> list[float]:  # noqa: ANN001
    timings = []
    with Session(engine) as session:
        for line_id, at in probes:
            t0 = time.perf_counter()
            fn(session, line_id, at)
            timings.append((time.perf_counter() - t0) * 1e6)
            session.expunge_all()
    return timings


def plans(engine, line_id: int, at: dt.datetime) -> None:  # noqa: ANN001
    from hotline.core.oncall.availability import available_operator_ids

    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    earliest = at - dt.timedelta(hours=MAX_SHIFT_HOURS)
    on_duty = select(Shift.operator_id).where(
        Shift.line_id == line_id,
        Shift.starts_at > earliest,
        Shift.starts_at <= at,
        Shift.ends_at > at,
    )
    with engine.connect() as conn:
        for name, stmt in (
            ("shifts", on_duty),
            ("availability", available_operator_ids(line_id, at)),
        ):
            compiled = stmt.compile(conn, compile_kwargs={"literal_binds": False})
            params = {
                k: (v.replace(tzinfo=None) if isinstance(v, dt.datetime) else v)
                for k, v in compiled.params.items()
            }
            rows = conn.exec_driver_sql(
                prefix + str(compiled),
                params if engine.dialect.name != "sqlite" else tuple(params.values()),
            ).fetchall()
            print(f"  plan ({name}): " + " | ".join(str(r[-1]) for r in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--operators", type=int, default=5000)
    parser.add_argument("--shifts", type=int, default=300_000)
    parser.add_argument("--availabilities", type=int, default=50_000)
    parser.add_argument("--probes", type=int, default=3000)
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-on-shift-')}/bench.db"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    t0 = time.perf_counter()
    seed(engine, args.lines, args.operators, args.shifts, args.availabilities)
    print(
        f"database: {engine.dialect.name}; seeded {args.shifts:,} shifts and "
        f"{args.availabilities:,} availabilities in {time.perf_counter() - t0:.1f} s"
    )

    rng = random.Random(11)
    probes = [
        (
            rng.randrange(args.lines) + 1,
            START + dt.timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60)),
        )
        for _ in range(args.probes)
    ]
    measure(on_shift, engine, probes[:200])  # warm caches
    base = measure(baseline, engine, probes)
    new = measure(on_shift, engine, probes)
    for name, values in (("baseline (shifts only)", base), ("on_shift (+ availability)", new)):
        values.sort()
        print(
            f"{name:28s} median {statistics.median(values):8.0f} µs   "
            f"p95 {values[int(len(values) * 0.95)]:8.0f} µs"
        )
    print(
        f"ratio on_shift / baseline (median): {statistics.median(new) / statistics.median(base):.2f}"
    )
    plans(engine, probes[0][0], probes[0][1])


if __name__ == "__main__":
    main()

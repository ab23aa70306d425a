#!/usr/bin/env python3
"""CPU and database work per whole call, in one process: the repeatable measurement.

Wall-clock timings on the shared development machine are noise; the CPU a call costs the
app and the statements it sends are not. This script plays whole calls of
``bench_calls``' mix (the same :class:`bench_calls.CallPlayer`, signed the same way, the
same seed, so the same calls every run) straight into the app's WSGI callable in this
process, one webhook at a time, and reports:

- **CPU per call**: ``time.thread_time`` of this thread spent inside the app (building the
  WSGI environ and parsing the answer are left out), in total and per webhook kind;
- **statements per call** (``--count``, the default): a second pass of the same calls with
  the database behind ``bench_calls``' :class:`PgWireCounter`, per webhook kind: statements,
  round trips, transactions (what PostgreSQL was asked, whatever path in the app sent it);
- with ``--profile``, a cProfile top list of the CPU pass (``--profile-sort``, ``--top``).

The data set is ``bench_calls``' shape at a small size (``--shifts``/``--operators``,
seeded once into ``--database-url`` and reused); calls and queue call-outs of earlier runs
are removed first. Before the measured calls, ``--warmup`` calls warm every cache up, as a
worker that has served a while is warm. Redis (``--redis-url``) is needed as the app needs
it; jobs are enqueued but nobody runs them.

Usage::

    .venv/bin/python scripts/profile_calls.py --calls 300
    .venv/bin/python scripts/profile_calls.py --calls 300 --profile --top 40
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import os
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
for _path in (ROOT, SCRIPTS):  # run as a plain script from a checkout
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import bench_calls as calls  # noqa: E402
import bench_voice as voice  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/rufbereit_profile_calls"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def players(scripts: Sequence[calls.CallScript]) -> list[calls.CallPlayer]:
    validator = calls.RequestValidator(voice.AUTH_TOKEN)
    return [calls.CallPlayer(s, validator, 0.0) for s in scripts]


def flush_redis(url: str) -> None:
    """Forget callers' memory and queued jobs, so every run starts alike."""
    import redis

    redis.Redis.from_url(url).flushdb()


def other_redis_db(url: str) -> str:
    """The counting pass's Redis database: the next one down, so its callers are new."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db - 1) % 16}"))


def wsgi_environ(webhook: calls.Webhook, body: bytes) -> dict[str, Any]:
    """The environ gunicorn would build for ``webhook`` behind the public base's proxy."""
    parts = calls.urlsplit(webhook.url)
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "TwilioProxy/1.1",
        "HTTP_X_TWILIO_SIGNATURE": webhook.signature,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class Pass:
    """What one pass over the calls measured, per webhook kind."""

    def __init__(self) -> None:
        self.calls = 0
        self.failed = 0
        self.cpu: Counter[str] = Counter()  # seconds by kind
        self.requests: Counter[str] = Counter()
        self.wire: dict[str, calls.WireCounts] = {}

    @property
    def total_cpu(self) -> float:
        return sum(self.cpu.values())


def play(
    app: Any,
    players: Sequence[calls.CallPlayer],
    counter: calls.PgWireCounter | None = None,
    around: Callable[[Callable[[], Any]], Any] | None = None,
) -> Pass:
    """Play every call to its end, one webhook at a time, straight into ``app``."""
    result = Pass()
    clock = time.thread_time
    for player in players:
        game = player.play()
        try:
            webhook = next(game)
            while True:
                body = webhook.body
                environ = wsgi_environ(webhook, body)
                status: list[str] = []

                def start_response(s: str, _headers: Any, _exc: Any = None, st=status) -> None:
                    st.append(s)

                before = counter.snapshot() if counter else None
                started = clock()
                if around is None:
                    chunks = app(environ, start_response)
                    data = b"".join(chunks)
                    getattr(chunks, "close", lambda: None)()
                else:

                    def one(env=environ, sr=start_response) -> bytes:
                        chunks = app(env, sr)
                        data = b"".join(chunks)
                        getattr(chunks, "close", lambda: None)()
                        return data

                    data = around(one)
                result.cpu[webhook.kind] += clock() - started
                result.requests[webhook.kind] += 1
                if counter and before is not None:
                    delta = counter.snapshot() - before
                    result.wire[webhook.kind] = (
                        result.wire.get(webhook.kind, calls.WireCounts()) + delta
                    )
                webhook = game.send(calls.Reply(int(status[0][:3]), data))
        except StopIteration:
            result.calls += 1
        except calls.CallFailed as exc:
            result.failed += 1
            print(f"  call {player.script.call_sid} failed: {exc}")
    return result


def report(cpu: Pass, counted: Pass | None) -> None:
    n = max(1, cpu.calls)
    print(
        f"\n{cpu.calls} calls ({cpu.failed} failed), {sum(cpu.requests.values())} webhooks:"
        f" app CPU {cpu.total_cpu / n * 1000:.2f} ms per call"
    )
    header = f"  {'webhook':16}{'req/call':>9}{'CPU ms/req':>11}{'CPU ms/call':>12}"
    if counted:
        header += f"{'stmts/req':>11}{'trips/req':>11}{'tx/req':>8}"
    print(header)
    for kind in calls._ordered(cpu.requests):
        r = cpu.requests[kind]
        line = (
            f"  {kind:16}{r / n:>9.2f}{cpu.cpu[kind] / r * 1000:>11.3f}"
            f"{cpu.cpu[kind] / n * 1000:>12.2f}"
        )
        if counted and kind in counted.wire:
            w, k = counted.wire[kind], max(1, counted.requests[kind])
            line += f"{w.statements / k:>11.2f}{w.round_trips / k:>11.2f}{w.transactions / k:>8.2f}"
        print(line)
    if counted:
        total = calls.WireCounts()
        for w in counted.wire.values():
            total = total + w
        m = max(1, counted.calls)
        print(
            f"  per whole call: {total.statements / m:.1f} statements,"
            f" {total.round_trips / m:.1f} round trips, {total.transactions / m:.1f} transactions"
        )
        print(f"RESULT statements_per_call {total.statements / m:.1f}")
    print(f"RESULT app_cpu_ms_per_call {cpu.total_cpu / n * 1000:.2f}")


def print_sql(counted: Pass) -> None:
    for kind in calls._ordered(counted.requests):
        if kind not in counted.wire:
            continue
        n = max(1, counted.requests[kind])
        print(f"\n  {kind}:")
        for text, count in counted.wire[kind].sql.most_common():
            print(f"    {count / n:6.2f}  {text[:150]}")


def make_app(database_url: str, redis_url: str, flows_dir: Path, workdir: Path) -> Any:
    env = voice.app_env(database_url, flows_dir, "INFO")
    env.update(REDIS_URL=redis_url, FALLBACK_SNAPSHOT_PATH=str(workdir / "fallback.json"))
    os.environ.clear()
    os.environ.update(env)
    from hotline import create_app

    return create_app()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--calls", type=int, default=300, help="measured calls per pass")
    parser.add_argument("--warmup", type=int, default=60, help="calls before measuring")
    parser.add_argument("--shifts", type=int, default=10_000)
    parser.add_argument("--operators", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1, help="random seed of the call mix")
    parser.add_argument(
        "--mix", type=calls.Mix.parse, default=calls.Mix(), help="answered,menu-hangup,queued"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="CPU passes over the same calls; the least counts"
    )
    parser.add_argument("--no-count", dest="count", action="store_false")
    parser.add_argument("--show-sql", action="store_true", help="every statement per kind")
    parser.add_argument("--profile", action="store_true", help="cProfile the CPU pass")
    parser.add_argument("--profile-sort", default="tottime")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--profile-out", type=Path, help="also write the profile there (pstats)")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument(
        "--lines", type=int, help="a data set of this many lines at the default density instead"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.time_scale = 0.0
    args.flows_dir = voice.write_flows_dir(Path(tempfile.mkdtemp(prefix="rufbereit-prof-")))
    now = dt.datetime.now(dt.UTC)
    if args.lines:
        plan = calls.few_lines_plan(args.lines)
        args.database_url = calls.database_for(args.database_url, plan)
    else:
        plan = calls.scaled_plan(args.shifts, args.operators)
    data = calls.prepare(plan, args.database_url, args, now)
    # the same calls every run and in both passes: the run id only names the CallSids
    data.maker.run_id = "00000000"
    warm, measured = data.maker.scripts(args.warmup), data.maker.scripts(args.calls)
    from sqlalchemy.engine import make_url

    app = make_app(args.database_url, args.redis_url, args.flows_dir, args.flows_dir.parent)
    # CPU time, like the figures: waiting for PostgreSQL is not the app's work
    profiler = cProfile.Profile(time.thread_time) if args.profile else None
    cpu = None
    for _ in range(args.repeat):  # the least CPU of the repeats: others' load only adds
        calls.clear_calls(args.database_url)
        flush_redis(args.redis_url)
        play(app, players(warm))
        run = play(app, players(measured), around=profiler.runcall if profiler else None)
        print(f"  pass: {run.total_cpu / max(1, run.calls) * 1000:.2f} ms CPU per call")
        if cpu is None or run.total_cpu < cpu.total_cpu:
            cpu = run
    counted = None
    if args.count:
        url = make_url(args.database_url)
        redis_url = other_redis_db(args.redis_url)
        flush_redis(redis_url)
        calls.clear_calls(args.database_url)
        with calls.PgWireCounter(url.host or "127.0.0.1", url.port or 5432) as counter:
            counted_url = url.set(host="127.0.0.1", port=counter.port).render_as_string(
                hide_password=False
            )
            counted_app = make_app(counted_url, redis_url, args.flows_dir, args.flows_dir.parent)
            play(counted_app, players(warm))
            counted = play(counted_app, players(measured), counter)
    report(cpu, counted)
    if counted and args.show_sql:
        print_sql(counted)
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        if args.profile_out:
            stats.dump_stats(args.profile_out)
        stats.sort_stats(args.profile_sort).print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(r"rufbereit|hotline|ivr_flows", args.top)
        print(out.getvalue())
    with contextlib.suppress(Exception):
        calls.clear_calls(args.database_url)
    return 0 if cpu.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

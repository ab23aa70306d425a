"""The ``rufbereit`` command: database, flows, demo data, simulator, worker, retention."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import current_app

from hotline import create_app


def with_appcontext(command: Callable[..., Any]) -> Callable[..., Any]:
    """Build the app from the environment only for commands that need it (``flows check``
    works without a database or any configuration)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with create_app().app_context():
            return command(*args, **kwargs)

    return wrapper


@click.group()
def main() -> None:
    """Rufbereit hotline and dispatch."""


# -- database ---------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply all migrations (sql/) to DATABASE_URL."""
    from hotline.migrations import upgrade

    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    click.echo("==> migrating database")
    upgrade(url)
    click.echo("    schema is up to date")


# -- flows ------------------------------------------------------------------------------


@main.group()
def flows() -> None:
    """IVR flow files."""


@flows.command("check", context_settings={"ignore_unknown_options": False})
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def flows_check(paths: tuple[str, ...]) -> None:
    """Validate flow files (default: every flow in ivr_flows/). Exit 1 on errors."""
    from ivr_flows import FLOWS_DIR, check_flows

    targets = list(paths) or [str(FLOWS_DIR)]
    errors = check_flows(targets)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} error(s)", err=True)
        sys.exit(1)
    click.echo(f"ok: {', '.join(targets)}")


# -- people and lines -------------------------------------------------------------------


def _fail_on_bad_input(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn validation errors into a one-line message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValueError as exc:  # InvalidPhoneNumber, LineError, ShiftError, …
            raise click.ClickException(str(exc)) from exc

    return wrapper


@main.group()
def line() -> None:
    """Hotline numbers."""


@line.command("add")
@click.argument("number")
@click.argument("name")
@click.option("--flow", required=True, help="IVR flow name, e.g. heimweg.")
@click.option("--fallback", help="Number rung when nobody takes the call.")
@click.option("--partner", help="Partner/region label for statistics.")
@click.option("--timezone", default=None, help="IANA timezone (default: DEFAULT_TIMEZONE).")
@click.option(
    "--strategy",
    type=click.Choice(["simultaneous", "sequential"]),
    default="simultaneous",
    show_default=True,
)
@click.option("--ring-timeout", default=20, show_default=True, help="Seconds to ring.")
@click.option(
    "--queue-timeout",
    default=180,
    show_default=True,
    help="Seconds a caller may wait in the queue (0: no queue).",
)
@click.option("--show-caller-number", is_flag=True, help="Show operators the caller's number.")
@click.option(
    "--hours",
    "hours",
    multiple=True,
    metavar="DAY=HH:MM-HH:MM",
    help="Opening span, repeatable (mon=20:00-04:00). Default: always open.",
)
@with_appcontext
@_fail_on_bad_input
def line_add(
    number: str,
    name: str,
    flow: str,
    fallback: str | None,
    partner: str | None,
    timezone: str | None,
    strategy: str,
    ring_timeout: int,
    queue_timeout: int,
    show_caller_number: bool,
    hours: tuple[str, ...],
) -> None:
    """Add a line: NUMBER (the hotline number) and NAME (spoken to operators)."""
    from hotline.extensions import db as database
    from hotline.extensions import flows as loaded_flows
    from hotline.lines import always_open, create_line

    if loaded_flows.get(flow) is None:
        known = ", ".join(sorted(loaded_flows.flows)) or "none"
        raise click.ClickException(f"unknown flow {flow!r} (loaded flows: {known})")
    spans: dict[str, list[str]] = {}
    for item in hours:
        day, _, span = item.partition("=")
        spans.setdefault(day.strip().lower(), []).append(span.strip())
    session = database.new_session()
    with session.begin():
        new = create_line(
            session,
            number,
            name,
            flow,
            timezone=timezone or current_app.config["DEFAULT_TIMEZONE"],
            fallback_number=fallback,
            partner=partner,
            ring_strategy=strategy,
            ring_timeout=ring_timeout,
            queue_timeout=queue_timeout,
            show_caller_number=show_caller_number,
            hours=spans or None,
            region=current_app.config["DEFAULT_REGION"],
        )
        if not spans:
            always_open(new)
    click.echo(f"line {new.id}: {new.number} {new.name} (flow {new.flow})")


@line.command("list")
@with_appcontext
def line_list() -> None:
    """List lines with their opening hours."""
    from sqlalchemy import select

    from hotline.extensions import db as database
    from hotline.hours import Span, describe
    from hotline.models import Line

    with database.new_session() as session:
        for item in session.scalars(select(Line).order_by(Line.id)):
            spans = describe(Span(s.weekday, s.opens, s.closes) for s in item.opening_spans)
            click.echo(
                f"{item.id}\t{item.number}\t{item.name}\tflow={item.flow}\t"
                f"{item.ring_strategy.value}\t{spans or 'closed'}"
            )


@main.group()
def operator() -> None:
    """Volunteer operators."""


@operator.command("add")
@click.argument("name")
@click.argument("phone")
@click.option("--languages", default="de", show_default=True, help="Comma-separated codes.")
@with_appcontext
@_fail_on_bad_input
def operator_add(name: str, phone: str, languages: str) -> None:
    """Add an operator with their mobile number."""
    from hotline.extensions import db as database
    from hotline.operators import create_operator

    session = database.new_session()
    with session.begin():
        op = create_operator(
            session, name, phone, languages.split(","), region=current_app.config["DEFAULT_REGION"]
        )
    click.echo(f"operator {op.id}: {op.name}")


@main.group()
def shift() -> None:
    """Shifts."""


@shift.command("add")
@click.option("--operator", "operator_phone", required=True, help="The operator's mobile number.")
@click.option("--line", "line_number", required=True, help="The line's number.")
@click.argument("start", type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]))
@click.argument("end", type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]))
@with_appcontext
@_fail_on_bad_input
def shift_add(operator_phone: str, line_number: str, start: dt.datetime, end: dt.datetime) -> None:
    """Add a shift from START to END, wall-clock times in the line's timezone."""
    from sqlalchemy import select

    from hotline.extensions import db as database
    from hotline.models import Line, Operator
    from hotline.phones import to_e164
    from hotline.shifts import create_shift

    region = current_app.config["DEFAULT_REGION"]
    session = database.new_session()
    with session.begin():
        found_line = session.scalar(select(Line).where(Line.number == to_e164(line_number, region)))
        found_op = session.scalar(
            select(Operator).where(Operator.phone_number == to_e164(operator_phone, region))
        )
        if found_line is None or found_op is None:
            raise click.ClickException("no such " + ("line" if found_line is None else "operator"))
        new = create_shift(session, found_op.id, found_line.id, start, end)
    click.echo(
        f"shift {new.id}: {found_op.name} on {found_line.name}, {start:%a %d.%m. %H:%M}"
        f" – {end:%a %d.%m. %H:%M} ({new.timezone})"
    )


@main.command("stats")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 30 days ago)."
)
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), help="Day after the last (default: tomorrow)."
)
@click.option("--partner", help="Only lines of this partner/region.")
@with_appcontext
def stats_cmd(since: dt.datetime | None, until: dt.datetime | None, partner: str | None) -> None:
    """Calls per line: outcomes, answered share, average wait, distinct callers."""
    from hotline.extensions import db as database
    from hotline.stats import line_stats

    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = since.replace(tzinfo=dt.UTC) if since else today - dt.timedelta(days=30)
    end = until.replace(tzinfo=dt.UTC) if until else today + dt.timedelta(days=1)
    with database.new_session() as session:
        rows = line_stats(session, start, end, partner)
    click.echo(
        f"calls from {start:%Y-%m-%d} to {end:%Y-%m-%d}"
        + (f", partner {partner}" if partner else "")
    )
    if not rows:
        click.echo("no calls")
    for row in rows:
        wait = f"{row.avg_wait_seconds:.0f} s" if row.avg_wait_seconds is not None else "-"
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(row.outcomes.items()))
        click.echo(
            f"{row.line} [{row.partner or '-'}]: {row.calls} calls, {row.callers} callers, "
            f"{row.answered_share:.0%} answered, average wait {wait}; {outcomes}"
        )


@main.command("demo")
@with_appcontext
def demo_cmd() -> None:
    """Load demo data: one line, a few operators, shifts around now (idempotent)."""
    from hotline.demo import load_demo
    from hotline.extensions import db as database

    # The demo sign-ins have a published password: development and test databases only.
    accounts = current_app.config["ENV_NAME"] in {"development", "testing"}
    session = database.new_session()
    with session.begin():
        summary = load_demo(session, dt.datetime.now(dt.UTC), accounts=accounts)
    click.echo(summary)
    if not accounts:
        click.echo("no demo sign-ins outside RUFBEREIT_ENV=development")


@main.command("purge")
@with_appcontext
def purge_cmd() -> None:
    """Forget callers' numbers and recordings past their retention period."""
    from hotline.calls import purge_personal_data
    from hotline.extensions import db as database
    from hotline.models import utcnow

    session = database.new_session()
    with session.begin():
        numbers, recordings = purge_personal_data(
            session,
            utcnow(),
            current_app.config["CALLER_NUMBER_RETENTION_DAYS"],
            current_app.config["RECORDING_RETENTION_DAYS"],
        )
    click.echo(f"forgot {numbers} caller number(s) and {recordings} recording link(s)")


@main.command("simulate")
@click.argument("number")
@click.option("--caller", default="+4915700000000", help="Caller ID to present.")
@with_appcontext
def simulate_cmd(number: str, caller: str) -> None:
    """Play a line's IVR in the terminal, the way a caller would hear it.

    NUMBER is the line's phone number. Nothing is written to the database.
    """
    import logging

    from hotline.simulator import Simulator

    logging.getLogger().setLevel(logging.WARNING)  # the caller's view, not the server log
    Simulator(current_app._get_current_object(), number, caller).run()  # type: ignore[attr-defined]


@main.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@with_appcontext
def worker_cmd(burst: bool) -> None:
    """Run the RQ worker (with scheduler) and the outbox sweep."""
    from rq import Worker

    from hotline.extensions import jobs
    from hotline.jobs import purge_job, sweep_outbox
    from hotline.rosters.reminders import reminder_sweep
    from hotline.worker import set_app

    set_app(current_app._get_current_object())  # type: ignore[attr-defined]
    if not burst:
        jobs.enqueue(sweep_outbox, job_id="sweep-outbox")
        jobs.enqueue(purge_job, job_id="purge-personal-data")
        jobs.enqueue(reminder_sweep, job_id="roster-reminders")
        from dispatch.jobs import sweep as dispatch_sweep

        jobs.enqueue(dispatch_sweep, job_id="dispatch-sweep")  # due waves, unsent texts
    worker = Worker([jobs.queue_name], connection=jobs.redis)
    worker.work(with_scheduler=True, burst=burst)


def _register_roster_commands() -> None:
    from hotline.rosters.cli import user

    main.add_command(user)


_register_roster_commands()


def _register_dispatch_commands() -> None:
    from dispatch.cli import dispatch

    main.add_command(dispatch)


_register_dispatch_commands()

if __name__ == "__main__":  # pragma: no cover
    main()

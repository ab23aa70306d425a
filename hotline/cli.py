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


@main.command("demo")
@with_appcontext
def demo_cmd() -> None:
    """Load demo data: one line, a few operators, shifts around now (idempotent)."""
    from hotline.demo import load_demo
    from hotline.extensions import db as database

    session = database.new_session()
    with session.begin():
        summary = load_demo(session, dt.datetime.now(dt.UTC))
    click.echo(summary)


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
    from hotline.simulator import Simulator

    Simulator(current_app._get_current_object(), number, caller).run()  # type: ignore[attr-defined]


@main.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@with_appcontext
def worker_cmd(burst: bool) -> None:
    """Run the RQ worker (with scheduler) and the outbox sweep."""
    from rq import Worker

    from hotline.extensions import jobs
    from hotline.jobs import sweep_outbox
    from hotline.worker import set_app

    set_app(current_app._get_current_object())  # type: ignore[attr-defined]
    if not burst:
        jobs.enqueue(sweep_outbox, job_id="sweep-outbox")
    worker = Worker([jobs.queue_name], connection=jobs.redis)
    worker.work(with_scheduler=True, burst=burst)


if __name__ == "__main__":  # pragma: no cover
    main()

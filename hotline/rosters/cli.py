"""``rufbereit user|line|operator|shift …``: accounts, lines, operators and shifts."""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask import current_app

from hotline.core.cli import fail_on_bad_input, make_app, with_appcontext


@click.group("user")
def user() -> None:
    """Accounts for the roster pages."""


@user.command("create-admin")
@click.argument("username")
@click.option("--name", default="", help="Display name (default: the username).")
@click.password_option(help="At least 10 characters; prompted for when not given.")
def create_admin(username: str, name: str, password: str) -> None:
    """Create an admin account (the first one, or another)."""
    from hotline.core.accounts import AccountError, create_user
    from hotline.core.extensions import db
    from hotline.core.models import Role

    with make_app().app_context():
        session = db.new_session()
        try:
            account = create_user(session, username, name or username, password, Role.ADMIN)
            session.commit()
        except AccountError as exc:
            session.rollback()
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        finally:
            session.close()
    click.echo(f"admin {account.username} created; sign in at /anmelden")


@user.command("reset-password")
@click.argument("username")
@click.password_option(help="At least 10 characters; prompted for when not given.")
@with_appcontext
@fail_on_bad_input
def reset_password(username: str, password: str) -> None:
    """Give USERNAME a new password; every session of that account ends."""
    from hotline.core.accounts import reset_password as reset
    from hotline.core.extensions import db

    with db.new_session() as session, session.begin():
        name = reset(session, username, password).username
    click.echo(f"new password for {name}; all of its sessions have ended")


@click.group()
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
@fail_on_bad_input
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
    from hotline.core.extensions import db as database
    from hotline.core.extensions import flows as loaded_flows
    from hotline.core.oncall.lines import always_open, create_line

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

    from hotline.core.extensions import db as database
    from hotline.core.oncall.hours import Span, describe
    from hotline.core.oncall.models import Line

    with database.new_session() as session:
        for item in session.scalars(select(Line).order_by(Line.id)):
            spans = describe(Span(s.weekday, s.opens, s.closes) for s in item.opening_spans)
            click.echo(
                f"{item.id}\t{item.number}\t{item.name}\tflow={item.flow}\t"
                f"{item.ring_strategy.value}\t{spans or 'closed'}"
            )


@click.group()
def operator() -> None:
    """Volunteer operators."""


@operator.command("add")
@click.argument("name")
@click.argument("phone")
@click.option("--languages", default="de", show_default=True, help="Comma-separated codes.")
@with_appcontext
@fail_on_bad_input
def operator_add(name: str, phone: str, languages: str) -> None:
    """Add an operator with their mobile number."""
    from hotline.core.extensions import db as database
    from hotline.core.oncall.operators import create_operator

    session = database.new_session()
    with session.begin():
        op = create_operator(
            session, name, phone, languages.split(","), region=current_app.config["DEFAULT_REGION"]
        )
    click.echo(f"operator {op.id}: {op.name}")


@click.group()
def shift() -> None:
    """Shifts."""


@shift.command("add")
@click.option("--operator", "operator_phone", required=True, help="The operator's mobile number.")
@click.option("--line", "line_number", required=True, help="The line's number.")
@click.argument("start", type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]))
@click.argument("end", type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]))
@with_appcontext
@fail_on_bad_input
def shift_add(operator_phone: str, line_number: str, start: dt.datetime, end: dt.datetime) -> None:
    """Add a shift from START to END, wall-clock times in the line's timezone."""
    from sqlalchemy import select

    from hotline.core.extensions import db as database
    from hotline.core.oncall.models import Line, Operator
    from hotline.core.oncall.shifts import create_shift
    from hotline.core.phones import to_e164

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


#: The groups this feature adds to ``rufbereit``.
COMMANDS = (user, line, operator, shift)

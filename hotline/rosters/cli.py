"""``rufbereit user|line|operator|shift …``: accounts, lines, operators and shifts.

The commands call the same domain functions as the roster pages (a shift added here is
overlap-checked and audited like one added in the browser, with the actor "Kommandozeile")
and commit the same way; refusals are a one-line error and exit code 1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click
from flask import current_app

from hotline.core.cli import fail_on_bad_input, make_app, with_appcontext

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@contextlib.contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session for one command: committed once at the end (outbox rows then queued, as
    after a web request), rolled back if the command fails."""
    from hotline.core import outbox
    from hotline.core.extensions import db as database

    session = database.new_session()
    try:
        yield session
        outbox.commit(session)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@click.group("user")
def user() -> None:
    """Accounts for the roster pages."""


@user.command("create-admin")
@click.argument("username")
@click.option("--name", default="", help="Display name (default: the username).")
@click.password_option(help="At least 10 characters; prompted for when not given.")
def create_admin(username: str, name: str, password: str) -> None:
    """Create an admin account (the first one, or another)."""
    from hotline.core.accounts import AccountError
    from hotline.core.models import Role
    from hotline.rosters.account_edits import add_account

    with make_app().app_context():
        try:
            with unit_of_work() as session:
                account = add_account(session, username, name or username, password, Role.ADMIN)
                username = account.username
        except AccountError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    click.echo(f"admin {username} created; sign in at /anmelden")


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
    "--emergency",
    default=None,
    help="Emergency control centre's number operators may add to a call (HILFE 112). "
    "Default: none, not allowed.",
)
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
    emergency: str | None,
    hours: tuple[str, ...],
) -> None:
    """Add a line: NUMBER (the hotline number) and NAME (spoken to operators)."""
    from hotline.core.extensions import flows as loaded_flows
    from hotline.rosters.line_edits import add_line

    spans: dict[str, list[str]] = {}
    for item in hours:
        day, _, span = item.partition("=")
        spans.setdefault(day.strip().lower(), []).append(span.strip())
    with unit_of_work() as session:
        new = add_line(
            session,
            number,
            name,
            flow,
            loaded_flows.flows.keys(),
            timezone=timezone or current_app.config["DEFAULT_TIMEZONE"],
            hours=spans,
            fallback_number=fallback,
            partner=partner,
            ring_strategy=strategy,
            ring_timeout=ring_timeout,
            queue_timeout=queue_timeout,
            show_caller_number=show_caller_number,
            region=current_app.config["DEFAULT_REGION"],
            emergency_number=emergency,
        )
        summary = f"line {new.id}: {new.number} {new.name} (flow {new.flow})"
    click.echo(summary)


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


def _line_by_ref(session: Session, ref: str) -> int:
    """A line by id or by its number."""
    from sqlalchemy import select

    from hotline.core.oncall.models import Line
    from hotline.core.phones import to_e164

    if ref.isdigit() and len(ref) < 10:
        found = session.get(Line, int(ref))
    else:
        number = to_e164(ref, current_app.config["DEFAULT_REGION"])
        found = session.scalar(select(Line).where(Line.number == number))
    if found is None:
        raise click.ClickException(f"no line {ref}")
    return found.id


@line.command("show")
@click.argument("line_ref", metavar="LINE")
@with_appcontext
@fail_on_bad_input
def line_show(line_ref: str) -> None:
    """Every setting of LINE (its id or number), one per line; numbers masked."""
    from sqlalchemy import select

    from hotline.core.models import User
    from hotline.core.oncall.models import Line
    from hotline.core.phones import mask
    from hotline.rosters.line_edits import settings_of

    with unit_of_work() as session:
        found = session.get(Line, _line_by_ref(session, line_ref))
        settings = settings_of(session, found)
        names = {
            u.id: u.username
            for u in session.scalars(select(User).where(User.id.in_(settings["coordinators"])))
        }
        rows = [
            f"line\t{found.id}",
            f"number\t{mask(found.number)}",
            f"name\t{settings['name']}",
            f"flow\t{found.flow}",
            f"timezone\t{found.timezone}",
        ]
        for day, spans in settings["hours"].items():
            rows.append(f"hours.{day}\t{', '.join(spans) or 'closed'}")
        rows += [
            f"closures\t{' '.join(d.isoformat() for d in settings['closures']) or '-'}",
            f"holidays\t{settings['holiday_state'] or '-'}",
            f"strategy\t{settings['ring_strategy']}",
            f"ring-timeout\t{settings['ring_timeout']}",
            f"queue-timeout\t{settings['queue_timeout']}",
            f"fallback\t{mask(settings['fallback_number'])}",
            f"partner\t{settings['partner'] or '-'}",
            f"show-caller-number\t{'yes' if settings['show_caller_number'] else 'no'}",
            "coordinators\t"
            + (", ".join(names[i] for i in settings["coordinators"] if i in names) or "-"),
        ]
    click.echo("\n".join(rows))


@line.command("set")
@click.argument("line_ref", metavar="LINE")
@click.option("--name", help="New name.")
@click.option(
    "--hours",
    "hours",
    multiple=True,
    metavar="DAY=HH:MM-HH:MM",
    help="Opening span, repeatable; replaces all spans (mon=20:00-04:00, mon=closed).",
)
@click.option(
    "--closure",
    "closures",
    multiple=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Closed on this date, repeatable; replaces the list.",
)
@click.option("--no-closures", is_flag=True, help="Remove every closure.")
@click.option(
    "--holidays",
    "holiday_state",
    metavar="STATE",
    help="Closed on the public holidays of this federal state (NI, BY …); 'none' for none.",
)
@click.option("--strategy", type=click.Choice(["simultaneous", "sequential"]))
@click.option("--ring-timeout", type=int, help="Seconds to ring (5–120).")
@click.option("--queue-timeout", type=int, help="Seconds a caller may wait (0: no queue).")
@click.option("--fallback", help="Number rung when nobody takes the call; '' for none.")
@click.option("--partner", help="Partner/region label; '' for none.")
@click.option(
    "--show-caller-number/--hide-caller-number",
    default=None,
    help="Whether operators see the caller's number.",
)
@click.option(
    "--coordinator",
    "coordinators",
    multiple=True,
    metavar="USERNAME",
    help="Account that gets voicemail and dispatch notices, repeatable; replaces the list.",
)
@click.option("--no-coordinators", is_flag=True, help="Remove every coordinator account.")
@with_appcontext
@fail_on_bad_input
def line_set(
    line_ref: str,
    name: str | None,
    hours: tuple[str, ...],
    closures: tuple[dt.datetime, ...],
    no_closures: bool,
    holiday_state: str | None,
    strategy: str | None,
    ring_timeout: int | None,
    queue_timeout: int | None,
    fallback: str | None,
    partner: str | None,
    show_caller_number: bool | None,
    coordinators: tuple[str, ...],
    no_coordinators: bool,
) -> None:
    """Change settings of LINE (its id or number); what is not given stays.

    Goes through the same function as the settings page and is written to the audit log
    (actor "Kommandozeile") with the old and new values."""
    from sqlalchemy import select

    from hotline.core.models import User
    from hotline.rosters.audit import COMMAND_LINE
    from hotline.rosters.line_edits import change_line

    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = name
    if hours:
        spans: dict[str, list[str]] = {}
        for item in hours:
            day, _, span = item.partition("=")
            texts = spans.setdefault(day.strip().lower(), [])
            if span.strip().lower() != "closed":
                texts.append(span.strip())
        changes["hours"] = spans
    if closures or no_closures:
        changes["closures"] = [c.date() for c in closures]
    if holiday_state is not None:
        changes["holiday_state"] = "" if holiday_state.lower() == "none" else holiday_state
    for key, value in (
        ("ring_strategy", strategy),
        ("ring_timeout", ring_timeout),
        ("queue_timeout", queue_timeout),
        ("fallback_number", fallback),
        ("partner", partner),
        ("show_caller_number", show_caller_number),
    ):
        if value is not None:
            changes[key] = value
    with unit_of_work() as session:
        if coordinators or no_coordinators:
            wanted = [c.strip().lower() for c in coordinators]
            found = {
                u.username: u.id
                for u in session.scalars(select(User).where(User.username.in_(wanted)))
            }
            unknown = [c for c in wanted if c not in found]
            if unknown:
                raise click.ClickException(f"no account {', '.join(unknown)}")
            changes["coordinators"] = [found[c] for c in wanted]
        line_id = _line_by_ref(session, line_ref)
        changed = change_line(
            session, COMMAND_LINE, line_id, changes, region=current_app.config["DEFAULT_REGION"]
        )
    if not changed:
        click.echo(f"line {line_id}: nothing changed")
        return
    for key, (old, new) in changed.items():
        click.echo(f"line {line_id}: {key}: {old} -> {new}")


@click.group()
def operator() -> None:
    """Volunteer operators."""


@operator.command("add")
@click.argument("name")
@click.argument("phone")
@click.option("--languages", default="de", show_default=True, help="Comma-separated codes.")
@click.option(
    "--status", type=click.Choice(["active", "paused"]), default="active", show_default=True
)
@with_appcontext
@fail_on_bad_input
def operator_add(name: str, phone: str, languages: str, status: str) -> None:
    """Add an operator with their mobile number."""
    from hotline.rosters.operator_edits import add_operator

    with unit_of_work() as session:
        op = add_operator(
            session,
            name,
            phone,
            languages.split(","),
            status,
            region=current_app.config["DEFAULT_REGION"],
        )
        summary = f"operator {op.id}: {op.name}"
    click.echo(summary)


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
    """Add a shift from START to END, wall-clock times in the line's timezone.

    Like a shift added in the browser: refused if the operator is already on a shift then
    (on any line), written to the audit log (actor "Kommandozeile"), and texted to the
    operator to confirm (``OK``/``NEIN``) if it starts within ``SHIFT_CONFIRMATION_DAYS``."""
    from sqlalchemy import select

    from hotline.core.oncall.models import Line, Operator
    from hotline.core.phones import to_e164
    from hotline.rosters.audit import COMMAND_LINE
    from hotline.rosters.confirmations import request_confirmation
    from hotline.rosters.shift_edits import add_shift

    region = current_app.config["DEFAULT_REGION"]
    with unit_of_work() as session:
        found_line = session.scalar(select(Line).where(Line.number == to_e164(line_number, region)))
        found_op = session.scalar(
            select(Operator).where(Operator.phone_number == to_e164(operator_phone, region))
        )
        if found_line is None or found_op is None:
            raise click.ClickException("no such " + ("line" if found_line is None else "operator"))
        new = add_shift(session, COMMAND_LINE, found_op.id, found_line.id, start, end)
        request_confirmation(session, new)
        summary = (
            f"shift {new.id}: {found_op.name} on {found_line.name}, {start:%a %d.%m. %H:%M}"
            f" – {end:%a %d.%m. %H:%M} ({new.timezone})"
        )
    click.echo(summary)


@click.group()
def block() -> None:
    """Blocked callers: list, lift and extend (operators block by texting SPERREN)."""


@block.command("list")
@click.option("--line", "line_number", help="Only this line's blocks.")
@with_appcontext
@fail_on_bad_input
def block_list(line_number: str | None) -> None:
    """Active blocks: number, line, until (UTC), who blocked. Callers are never shown."""
    from sqlalchemy import select

    from hotline.core.blocks import active_blocks
    from hotline.core.models import utcnow
    from hotline.core.oncall.models import Line
    from hotline.core.phones import to_e164

    with unit_of_work() as session:
        line_id = None
        if line_number:
            number = to_e164(line_number, current_app.config["DEFAULT_REGION"])
            line_id = session.scalar(select(Line.id).where(Line.number == number))
            if line_id is None:
                raise click.ClickException("no such line")
        rows = [
            f"{b.id}\t{b.line.name}\t{b.until:%Y-%m-%d %H:%M} UTC\t{b.created_by}"
            for b in active_blocks(session, utcnow(), line_id)
        ]
    click.echo("\n".join(rows) if rows else "no active blocks")


@block.command("lift")
@click.argument("block_id", type=int)
@with_appcontext
@fail_on_bad_input
def block_lift(block_id: int) -> None:
    """End block BLOCK_ID now (audited with the actor "Kommandozeile")."""
    from hotline.core.blocks import lift_block
    from hotline.core.models import utcnow
    from hotline.rosters.audit import COMMAND_LINE

    with unit_of_work() as session:
        lift_block(session, block_id, COMMAND_LINE.label, utcnow())
    click.echo(f"block {block_id} lifted")


@block.command("extend")
@click.argument("block_id", type=int)
@click.option("--hours", type=int, default=24, show_default=True, help="Hours longer.")
@with_appcontext
@fail_on_bad_input
def block_extend(block_id: int, hours: int) -> None:
    """Let block BLOCK_ID run HOURS longer (audited with the actor "Kommandozeile")."""
    from hotline.core.blocks import extend_block
    from hotline.core.models import utcnow
    from hotline.rosters.audit import COMMAND_LINE

    with unit_of_work() as session:
        until = extend_block(session, block_id, hours, COMMAND_LINE.label, utcnow()).until
    click.echo(f"block {block_id} now until {until:%Y-%m-%d %H:%M} UTC")


#: The groups this feature adds to ``rufbereit``.
COMMANDS = (user, line, operator, shift, block)

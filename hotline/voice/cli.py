"""``rufbereit stats|simulate``: call statistics and the terminal call simulator."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app

from hotline.core.cli import with_appcontext


@click.command("stats")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 30 days ago)."
)
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), help="Day after the last (default: tomorrow)."
)
@click.option("--partner", help="Only lines of this partner/region.")
@click.option("--month", help="Print the monthly report of this month (e.g. 2026-11) instead.")
@with_appcontext
def stats_cmd(
    since: dt.datetime | None, until: dt.datetime | None, partner: str | None, month: str | None
) -> None:
    """Calls per line: outcomes, answered share, average wait, distinct callers.

    Days are the lines' local days (Europe/Berlin). With ``--month`` (and usually
    ``--partner``): the figures of the printable monthly report, in total and per line.
    """
    if month is not None:
        if since or until:
            raise click.UsageError("--month does not go with --since/--until")
        _report(partner, month)
    else:
        _summary(since, until, partner)


def _summary(since: dt.datetime | None, until: dt.datetime | None, partner: str | None) -> None:
    from hotline.core.extensions import db as database
    from hotline.voice.stats import line_stats

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


def _report(partner: str | None, month: str) -> None:
    """The monthly report's figures (``/statistik/bericht/<partner>/<month>``) as text."""
    from hotline.core.extensions import db as database
    from hotline.voice.stats import Period, anonymous_hash, lines_for, report, summary

    with database.new_session() as session:
        lines = lines_for(session, partner=partner)
        if not lines:
            raise click.ClickException(
                f"no lines of partner {partner!r}" if partner else "no lines"
            )
        try:
            period = Period.month(month, lines[0].timezone)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        salt = current_app.config["CALLER_HASH_SALT"]
        result = report(session, lines, period, anonymous_hash(salt))
    click.echo(f"{partner or 'all lines'}, {period.label}")
    for label, value in summary(result.total):
        click.echo(f"  {label}: {value}")
    for row in result.lines:
        click.echo(f"{row.line}:")
        for label, value in summary(row.figures):
            click.echo(f"  {label}: {value}")


@click.command("simulate")
@click.argument("number")
@click.option("--caller", default="+4915700000000", help="Caller ID to present.")
@click.option(
    "--at",
    "at",
    metavar='"YYYY-MM-DD HH:MM"',
    help="Play the call as at this local time on the line (opening hours, shifts, quiet hours).",
)
@with_appcontext
def simulate_cmd(number: str, caller: str, at: str | None) -> None:
    """Play a line's IVR in the terminal, the way a caller would hear it.

    NUMBER is the line's phone number. Nothing is written to the database.
    """
    import logging

    from hotline.voice.simulator import BadTime, Simulator, parse_at

    try:
        when = parse_at(at) if at is not None else None
    except BadTime as exc:
        raise click.BadParameter(f"{exc.text('de')} / {exc}", param_hint="--at") from None
    logging.getLogger().setLevel(logging.WARNING)  # the caller's view, not the server log
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    Simulator(app, number, caller, at=when).run()


#: The commands this feature adds to ``rufbereit``.
COMMANDS = (stats_cmd, simulate_cmd)

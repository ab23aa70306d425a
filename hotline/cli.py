"""The ``rufbereit`` command: configuration, database, flows, demo data, worker and retention;
each feature adds its own commands (lines, operators, shifts, users, stats, simulator,
dispatch)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask import current_app

from dispatch import cli as dispatch_cli
from hotline import create_app
from hotline.core.cli import with_appcontext
from hotline.core.config import ConfigError, load_settings, render_docs
from hotline.core.mail import cli as mail_cli
from hotline.rosters import cli as rosters_cli
from hotline.voice import cli as voice_cli


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Rufbereit hotline and dispatch."""
    # Looked up when a command runs, so tests can swap the module's create_app.
    ctx.obj = {"create_app": _create_app}


class SettingsProblems(click.ClickException):
    """Invalid settings: each problem on its own line on stderr, exit code 1."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    def show(self, file: object = None) -> None:
        for problem in self.problems:
            click.echo(problem, err=True)


def _create_app():  # noqa: ANN202 - the Flask app
    try:
        return create_app()
    except ConfigError as error:
        raise SettingsProblems(error.problems) from None


for _feature in (rosters_cli, voice_cli, dispatch_cli, mail_cli):
    for _command in _feature.COMMANDS:
        main.add_command(_command)


# -- configuration ----------------------------------------------------------------------


@main.group()
def config() -> None:
    """Settings (environment variables)."""


@config.command("check")
def config_check() -> None:
    """Check the current environment's settings; print every problem and exit 1 on any."""
    from hotline.app import SETTINGS

    try:
        settings = load_settings(SETTINGS)
    except ConfigError as error:
        click.echo(f"{len(error.problems)} problem(s):", err=True)
        raise SettingsProblems(error.problems) from None
    click.echo(f"ok: {len(settings)} settings valid (RUFBEREIT_ENV={settings['ENV_NAME']})")


@config.command("docs")
def config_docs() -> None:
    """Print docs/configuration.md, written from the declared settings."""
    from hotline.app import SETTINGS

    click.echo(render_docs(SETTINGS), nl=False)


# -- database ---------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply all migrations (sql/) to DATABASE_URL."""
    from hotline.core.migrations import upgrade

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


@main.command("demo")
@with_appcontext
def demo_cmd() -> None:
    """Load demo data: lines, operators, shifts around now, helpers (idempotent)."""
    from hotline.core.demo import load_demo
    from hotline.core.extensions import db as database

    # The demo sign-ins have a published password: development and test databases only.
    sign_ins = current_app.config["ENV_NAME"] in {"development", "testing"}
    session = database.new_session()
    with session.begin():
        summary = load_demo(session, dt.datetime.now(dt.UTC), sign_ins=sign_ins)
    click.echo(summary)
    if not sign_ins:
        click.echo("no demo sign-ins outside RUFBEREIT_ENV=development")


@main.command("purge")
@with_appcontext
def purge_cmd() -> None:
    """Apply every retention rule now (the worker does it every few hours)."""
    from hotline.core.extensions import db as database
    from hotline.core.retention import purge

    session = database.new_session()
    with session.begin():
        lines = purge(session)
    for line in lines:
        click.echo(line)


@main.group()
def privacy() -> None:
    """Personal data: the record of processing, and requests of one person."""


@privacy.command("docs")
@with_appcontext
def privacy_docs() -> None:
    """Print docs/data-protection.md as the retention rules in the code define it."""
    from hotline.core.registry import registry
    from hotline.core.retention import render_docs

    click.echo(render_docs(registry().retention_rules), nl=False)


def _number(phone: str) -> str:
    from hotline.core.phones import InvalidPhoneNumber, to_e164

    try:
        return to_e164(phone, current_app.config["DEFAULT_REGION"])
    except InvalidPhoneNumber as exc:
        raise click.ClickException(str(exc)) from exc


@privacy.command("export")
@click.argument("phone")
@with_appcontext
def privacy_export(phone: str) -> None:
    """Print as JSON everything kept about the person with this phone number."""
    import json

    from hotline.core.extensions import db as database
    from hotline.core.retention import export_person

    with database.new_session() as session:
        found = export_person(session, _number(phone))
    click.echo(json.dumps(found, ensure_ascii=False, indent=2, default=str))


@privacy.command("erase")
@click.argument("phone")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def privacy_erase(phone: str, yes: bool) -> None:
    """Erase or anonymise everything kept about the person with this phone number (an
    opt-out stays, so the number is not texted again)."""
    from hotline.core.extensions import db as database
    from hotline.core.retention import erase_person

    number = _number(phone)
    if not yes:
        click.confirm(f"Erase everything kept about {number}?", abort=True)
    session = database.new_session()
    with session.begin():
        touched = erase_person(session, number)
    for kind, count in touched.items():
        click.echo(f"{kind}: {count}")


@main.command("worker")
@click.option("--burst", is_flag=True, help="Work until the queues are empty, then exit.")
@with_appcontext
def worker_cmd(burst: bool) -> None:
    """Run an RQ worker: urgent work first, then the rest; periodic and delayed jobs are
    scheduled by every worker, so any one of them can die. SIGTERM lets the current job
    finish, a second SIGTERM cuts it short."""
    from redis.exceptions import RedisError

    from hotline.core.scheduler import run_worker
    from hotline.core.worker import set_app, set_app_factory

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    set_app(app)
    set_app_factory(create_app)
    try:
        run_worker(app, burst=burst)
    except (RedisError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc


if __name__ == "__main__":  # pragma: no cover
    main()
